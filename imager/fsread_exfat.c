/* Reading files out of exFAT (fsread.h), read-only through the engine's handle, with the
 * boot region and FAT chains of fs_exfat_boot.c and fs_exfat_chain.c.
 *
 * A file is numbered by where its File directory entry (0x85) lies: its byte offset from the
 * volume's start; the root directory is number 1. An entry set may run on into the next
 * cluster of a fragmented directory, so what readdir learns of each entry (its stream: first
 * cluster, lengths, NoFatChain; its attributes and times) is kept in a table by number, and
 * stat and pread look there. A number readdir has not given yet is read in place when its set
 * cannot cross a cluster. Names need no up-case table to be listed.
 *
 * Sizes are DataLength; bytes past ValidDataLength read as zeros (as Windows gives them) and
 * are a hole to map. Times are UTC when the entry records its offset from UTC, else taken as
 * UTC. ctime is the last write (exFAT keeps no change time). Chains are checked as in
 * fsread_fat.c: a loop, a chain too short for the size, a cluster outside the heap is
 * LB_EDAMAGED naming the file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "err.h"
#include "fs_exfat.h"
#include "fsread.h"
#include "fsread_utf16.h"
#include "le.h"

#define ROOT_ID 1
#define PIECE (64u << 10)

struct node {
	uint64_t id;            /* 0: an empty slot */
	uint64_t size, valid;
	uint32_t first;
	uint16_t attr;
	uint8_t flags;          /* the stream's GeneralSecondaryFlags: 1 allocated, 2 NoFatChain */
	int64_t mtime, atime;
	uint32_t mtime_ns;
	char name[24];          /* the start of its name, for messages */
};

struct run {
	uint32_t first, n;
};

struct xfs {
	struct lb_exfat v;
	struct node *nodes;     /* open addressing on id */
	size_t cap, used;
	struct node root;
	/* the chain last followed (pread piece by piece follows it once) */
	uint64_t runs_id;
	struct run *runs;
	size_t nruns, rcap;
};

/* --- the table of entries seen -------------------------------------------------------------- */

static size_t slot(const struct xfs *x, uint64_t id)
{
	size_t i = (size_t)((id >> 5) * 0x9e3779b97f4a7c15ull) & (x->cap - 1);
	while (x->nodes[i].id && x->nodes[i].id != id)
		i = (i + 1) & (x->cap - 1);
	return i;
}

static int remember(struct xfs *x, const struct node *n)
{
	size_t i;
	if (2 * (x->used + 1) > x->cap) {
		size_t cap = x->cap ? 2 * x->cap : 1024;
		struct node *old = x->nodes;
		size_t ocap = x->cap;
		if (!(x->nodes = calloc(cap, sizeof *x->nodes))) {
			x->nodes = old;
			return -1;
		}
		x->cap = cap;
		for (size_t j = 0; j < ocap; j++)
			if (old[j].id)
				x->nodes[slot(x, old[j].id)] = old[j];
		free(old);
	}
	i = slot(x, n->id);
	if (!x->nodes[i].id)
		x->used++;
	x->nodes[i] = *n;
	return 0;
}

/* --- entries -------------------------------------------------------------------------------- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;
	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* A timestamp field, its 10 ms part (0-199) and its UTC offset byte; 0 when not a date. */
static int64_t ts(uint32_t t, unsigned cs10, unsigned utc, uint32_t *ns)
{
	unsigned y = t >> 25, mo = t >> 21 & 15, d = t >> 16 & 31, h = t >> 11 & 31, mi = t >> 5 & 63;
	unsigned s = (t & 31) * 2;
	int64_t r;
	*ns = 0;
	if (mo < 1 || mo > 12 || !d || h > 23 || mi > 59 || s > 59)
		return 0;
	r = days_from_civil(1980 + y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
	if (cs10 < 200) {
		r += cs10 / 100;
		*ns = (cs10 % 100) * 10000000u;
	}
	if (utc & 0x80) {   /* 15-minute steps, signed 7 bits */
		int q = utc & 0x7f;
		if (q & 0x40)
			q -= 0x80;
		r -= (int64_t)q * 15 * 60;
	}
	return r;
}

static void node_stat(const struct node *n, struct lb_fsr_stat *st)
{
	memset(st, 0, sizeof *st);
	st->id = n->id;
	st->nlink = 1;
	if (n->attr & 0x10)
		st->mode = S_IFDIR | 0755;
	else
		st->mode = S_IFREG | (n->attr & 0x01 ? 0444 : 0644);
	st->size = n->attr & 0x10 ? 0 : n->size;
	st->mtime = st->ctime = n->mtime;
	st->mtime_ns = st->ctime_ns = n->mtime_ns;
	st->atime = n->atime;
}

/* Fills n from a File entry f and its Stream Extension s. */
static void from_set(struct node *n, uint64_t id, const uint8_t *f, const uint8_t *s)
{
	uint32_t ns;
	memset(n, 0, sizeof *n);
	n->id = id;
	n->attr = le16(f + 4);
	n->mtime = ts(le32(f + 12), f[21], f[23], &n->mtime_ns);
	n->atime = ts(le32(f + 16), 0, f[24], &ns);
	n->flags = s[1];
	n->first = le32(s + 20);
	n->valid = le64(s + 8);
	n->size = le64(s + 24);
}

static uint64_t clusters(const struct lb_exfat *v, uint64_t bytes)
{
	return bytes / v->cs + (bytes % v->cs != 0);
}

/* --- chains --------------------------------------------------------------------------------- */

struct collect {
	struct xfs *x;
	int oom;
};

static int add_run(void *priv, uint32_t first, uint32_t n)
{
	struct collect *c = priv;
	struct xfs *x = c->x;
	if (x->nruns == x->rcap) {
		size_t cap = x->rcap ? 2 * x->rcap : 16;
		void *t = realloc(x->runs, cap * sizeof *x->runs);
		if (!t) {
			c->oom = 1;
			return -2;
		}
		x->runs = t;
		x->rcap = cap;
	}
	x->runs[x->nruns++] = (struct run){ first, n };
	return 0;
}

static int cmp_run(const void *a, const void *b)
{
	const struct run *p = a, *q = b;
	return p->first < q->first ? -1 : p->first > q->first;
}

/* The clusters of node n into x->runs, checked; what names it in messages. */
static int follow(struct xfs *x, const struct node *n, const char *what, struct lb_err *err)
{
	char why[200] = "";
	struct collect c = { x, 0 };
	uint64_t want = n->id == ROOT_ID ? 0 : clusters(&x->v, n->size);
	struct run *sorted;
	int rc;
	x->runs_id = 0;
	x->nruns = 0;
	x->v.steps = 0;   /* the budget is per chain here: files are read again and again */
	rc = lb_exfat_runs(&x->v, n->first, want, n->flags >> 1 & 1, what, add_run, &c, why, sizeof why);
	if (c.oom)
		return lb_fail(err, LB_ENOMEM, "out of memory following the clusters of %s", what);
	if (rc)
		return lb_fail(err, strstr(why, "cannot be read") ? LB_EIO : LB_EDAMAGED, "exfat: %s", why);
	if (!(sorted = malloc(x->nruns * sizeof *sorted)))
		return lb_fail(err, LB_ENOMEM, "out of memory following the clusters of %s", what);
	memcpy(sorted, x->runs, x->nruns * sizeof *sorted);
	qsort(sorted, x->nruns, sizeof *sorted, cmp_run);
	for (size_t i = 1; i < x->nruns; i++)
		if (sorted[i - 1].first + (uint64_t)sorted[i - 1].n > sorted[i].first) {
			uint32_t cl = sorted[i].first;
			free(sorted);
			return lb_fail(err, LB_EDAMAGED, "exfat: the FAT chain of %s loops (cluster %u is in "
			               "it twice)", what, cl);
		}
	free(sorted);
	{
		/* a chain that ends before the size needs: lb_exfat_runs stops at the end marker */
		uint64_t got = 0;
		for (size_t i = 0; i < x->nruns; i++)
			got += x->runs[i].n;
		if (want && got < want)
			return lb_fail(err, LB_EDAMAGED, "exfat: %s is cut short: its FAT chain ends after %llu "
			               "of the %llu clusters its size needs", what, (unsigned long long)got,
			               (unsigned long long)want);
	}
	x->runs_id = n->id;
	return 0;
}

/* The node numbered id: from the table, or read in place. */
static int get_node(struct xfs *x, uint64_t id, struct node *n, struct lb_err *err)
{
	uint8_t e[64];
	struct lb_err e2 = { 0 };
	if (id == ROOT_ID) {
		*n = x->root;
		return 0;
	}
	if (x->cap) {
		size_t i = slot(x, id);
		if (x->nodes[i].id == id) {
			*n = x->nodes[i];
			return 0;
		}
	}
	if (id % 32 || id < x->v.heap_off || id >= x->v.heap_end ||
	    (id - x->v.heap_off) % x->v.cs + 64 > x->v.cs)
		return lb_fail(err, LB_ENOENT, "exfat: no file number %llu", (unsigned long long)id);
	if (lb_dev_read(x->v.d, e, sizeof e, x->v.off + id, &e2))
		return lb_fail(err, LB_EIO, "exfat: the directory entry at byte %llu cannot be read",
		               (unsigned long long)id);
	if (e[0] != 0x85 || e[32] != 0xc0 || e[1] < 2)
		return lb_fail(err, LB_ENOENT, "exfat: no file at directory entry byte %llu",
		               (unsigned long long)id);
	from_set(n, id, e, e + 32);
	snprintf(n->name, sizeof n->name, "#%llu", (unsigned long long)id);
	return 0;
}

static void node_what(const struct node *n, char *out, size_t cap)
{
	if (n->id == ROOT_ID)
		snprintf(out, cap, "the root directory");
	else
		snprintf(out, cap, "\"%s\"%s (entry at byte %llu)", n->name,
		         strlen(n->name) == sizeof n->name - 1 ? "..." : "", (unsigned long long)n->id);
}

/* --- directories ---------------------------------------------------------------------------- */

struct set {
	int open;
	unsigned left, namelen, got;
	uint64_t id;
	uint8_t file[32], stream[32];
	int have_stream;
	uint8_t name[2 * 255];
};

struct rd {
	struct xfs *x;
	int (*fn)(void *ctx, const char *name, size_t name_len, const struct lb_fsr_stat *st);
	void *ctx;
	struct set s;
	uint64_t bad, bad_id;
	char dirname[96];
};

/* A set whose entries are all in: handed to fn (0), or counted as unusable. */
static int set_done(struct rd *r)
{
	struct set *s = &r->s;
	struct node n;
	struct lb_fsr_stat st;
	char name[255 * 3];
	long len = -1;
	s->open = 0;
	if (s->have_stream && !s->left && s->got >= s->namelen && s->namelen)
		len = lb_utf16le_to_utf8(s->name, s->namelen, name, sizeof name);
	if (len < 0 || !lb_fsr_name_ok(name, (size_t)len)) {
		if (!r->bad++)
			r->bad_id = s->id;
		return 0;
	}
	from_set(&n, s->id, s->file, s->stream);
	snprintf(n.name, sizeof n.name, "%.*s", (int)len, name);
	if (remember(r->x, &n))
		return -2;
	node_stat(&n, &st);
	return r->fn(r->ctx, name, (size_t)len, &st);
}

/* One directory entry at byte `at` of the volume. 1: the end of the directory. */
static int entry(struct rd *r, const uint8_t *e, uint64_t at)
{
	unsigned t = e[0];
	struct set *s = &r->s;
	int rc;
	if (!t)
		return 1;
	if (!(t & 0x80)) {   /* deleted */
		if (s->open && (rc = set_done(r)))
			return rc;
		return 0;
	}
	if (!(t & 0x40)) {   /* a primary entry ends any set before it */
		if (s->open && (rc = set_done(r)))
			return rc;
		if (t == 0x85) {
			memset(s, 0, sizeof *s);
			s->open = 1;
			s->id = at;
			s->left = e[1];
			memcpy(s->file, e, 32);
		}
		return 0;
	}
	if (!s->open)
		return 0;
	if (s->left)
		s->left--;
	if (t == 0xc0 && !s->have_stream) {
		s->have_stream = 1;
		memcpy(s->stream, e, 32);
		s->namelen = e[3];
	} else if (t == 0xc1 && s->have_stream && s->got < 255) {
		unsigned n = 255 - s->got < 15 ? 255 - s->got : 15;
		memcpy(s->name + 2 * s->got, e + 2, 2 * n);
		s->got += n;
	}
	if (!s->left)
		return set_done(r);
	return 0;
}

static int exfat_readdir(void *h, uint64_t id,
                         int (*fn)(void *ctx, const char *name, size_t name_len,
                                   const struct lb_fsr_stat *st),
                         void *ctx, struct lb_err *err)
{
	struct xfs *x = h;
	struct rd r = { .x = x, .fn = fn, .ctx = ctx };
	struct node n;
	struct run *runs = NULL;
	size_t nruns;
	uint8_t *buf = NULL;
	int rc, end = 0;
	if ((rc = get_node(x, id, &n, err)))
		return rc;
	node_what(&n, r.dirname, sizeof r.dirname);
	if (!(n.attr & 0x10))
		return lb_fail(err, LB_EUSAGE, "exfat: %s is not a directory", r.dirname);
	if (!(n.flags & 1) || (n.id != ROOT_ID && !n.size))
		return 0;   /* no clusters: empty */
	if ((rc = follow(x, &n, r.dirname, err)))
		return rc;
	/* fn may read files through us: the runs and the buffer are this call's own */
	nruns = x->nruns;
	runs = malloc(nruns * sizeof *runs);
	buf = malloc(PIECE);
	if (!runs || !buf) {
		rc = lb_fail(err, LB_ENOMEM, "out of memory reading a directory");
		goto out;
	}
	memcpy(runs, x->runs, nruns * sizeof *runs);
	for (size_t i = 0; i < nruns && !end && !rc; i++) {
		uint64_t start = x->v.heap_off + (uint64_t)(runs[i].first - 2) * x->v.cs;
		uint64_t len = (uint64_t)runs[i].n * x->v.cs;
		if (n.id != ROOT_ID && n.size < len)
			len = n.size;   /* within the last run of a directory, its DataLength */
		for (uint64_t at = 0; at < len && !end && !rc; at += PIECE) {
			size_t k = len - at < PIECE ? (size_t)(len - at) : PIECE;
			struct lb_err e2 = { 0 };
			if (lb_dev_read(x->v.d, buf, k, x->v.off + start + at, &e2)) {
				rc = lb_fail(err, LB_EIO, "exfat: %s cannot be read at byte %llu", r.dirname,
				             (unsigned long long)(start + at));
				break;
			}
			for (size_t j = 0; j + 32 <= k && !end && !rc; j += 32) {
				rc = entry(&r, buf + j, start + at + j);
				if (rc == 1) {
					end = 1;
					rc = 0;
				}
			}
		}
		if (n.id != ROOT_ID)
			n.size -= len;
	}
	if (!rc && r.s.open)
		rc = set_done(&r);   /* a set cut short by the end: counted as unusable */
	if (rc == -2)
		rc = lb_fail(err, LB_ENOMEM, "out of memory reading a directory");
	if (!rc && r.bad)
		rc = lb_fail(err, LB_EDAMAGED, "exfat: %s holds %llu entry set%s that cannot be read "
		             "(incomplete, or a name that cannot be given; the first at byte %llu)",
		             r.dirname, (unsigned long long)r.bad, r.bad == 1 ? "" : "s",
		             (unsigned long long)r.bad_id);
out:
	free(runs);
	free(buf);
	return rc;
}

/* --- the rest of the table ------------------------------------------------------------------ */

static int exfat_open(struct lb_dev *d, uint64_t off, uint64_t size, void **out, struct lb_err *err)
{
	struct xfs *x = calloc(1, sizeof *x);
	char why[200] = "";
	*out = NULL;
	if (!x)
		return lb_fail(err, LB_ENOMEM, "out of memory opening an exFAT filesystem");
	if (lb_exfat_open(&x->v, d, off, size, why, sizeof why)) {
		lb_exfat_close(&x->v);
		free(x);
		return lb_fail(err, LB_EDAMAGED, "exfat: %s", why);
	}
	x->root.id = ROOT_ID;
	x->root.attr = 0x10;
	x->root.flags = 1;
	x->root.first = x->v.root;
	*out = x;
	return 0;
}

static void exfat_close(void *h)
{
	struct xfs *x = h;
	if (!x)
		return;
	lb_exfat_close(&x->v);
	free(x->nodes);
	free(x->runs);
	free(x);
}

static uint64_t exfat_root(void *h)
{
	(void)h;
	return ROOT_ID;
}

static int exfat_stat(void *h, uint64_t id, struct lb_fsr_stat *st, struct lb_err *err)
{
	struct node n;
	int rc = get_node(h, id, &n, err);
	if (!rc)
		node_stat(&n, st);
	return rc;
}

static int exfat_pread(void *h, uint64_t id, void *buf, size_t len, uint64_t off, struct lb_err *err)
{
	struct xfs *x = h;
	struct node n;
	char what[96];
	uint64_t skip;
	size_t i = 0;
	int rc;
	if ((rc = get_node(x, id, &n, err)))
		return rc;
	node_what(&n, what, sizeof what);
	if (n.attr & 0x10)
		return lb_fail(err, LB_EUSAGE, "exfat: %s is a directory", what);
	if (off > n.size || len > n.size - off)
		return lb_fail(err, LB_EUSAGE, "exfat: %s: bytes %llu-%llu are past its end (%llu bytes)",
		               what, (unsigned long long)off, (unsigned long long)(off + len),
		               (unsigned long long)n.size);
	if (n.valid > n.size)
		n.valid = n.size;
	/* past ValidDataLength: zeros, whatever the clusters hold */
	if (off + len > n.valid) {
		uint64_t from = off > n.valid ? off : n.valid;
		memset((uint8_t *)buf + (from - off), 0, (size_t)(off + len - from));
		len = (size_t)(from - off);
	}
	if (!len)
		return 0;
	if (!(n.flags & 1))
		return lb_fail(err, LB_EDAMAGED, "exfat: %s has %llu bytes but no clusters", what,
		               (unsigned long long)n.size);
	if (x->runs_id != id && (rc = follow(x, &n, what, err)))
		return rc;
	skip = off;
	while (len) {
		uint64_t run_bytes, k;
		struct lb_err e2 = { 0 };
		if (i >= x->nruns)
			return lb_fail(err, LB_EDAMAGED, "exfat: %s: its chain is shorter than its size", what);
		run_bytes = (uint64_t)x->runs[i].n * x->v.cs;
		if (skip >= run_bytes) {
			skip -= run_bytes;
			i++;
			continue;
		}
		k = run_bytes - skip < len ? run_bytes - skip : len;
		if (lb_dev_read(x->v.d, buf, (size_t)k, x->v.off + lb_exfat_cl_off(&x->v, x->runs[i].first) +
		                skip, &e2)) {
			const char *c = strrchr(e2.msg, ':');
			return lb_fail(err, LB_EIO, "exfat: %s cannot be read at byte %llu of it (%s)", what,
			               (unsigned long long)off, c ? c + 2 : e2.msg);
		}
		buf = (uint8_t *)buf + k;
		len -= (size_t)k;
		off += k;
		skip = 0;
		i++;
	}
	return 0;
}

static int exfat_map(void *h, uint64_t id, uint64_t off, int *data, uint64_t *run, struct lb_err *err)
{
	struct node n;
	int rc;
	if ((rc = get_node(h, id, &n, err)))
		return rc;
	if (off >= n.size)
		return lb_fail(err, LB_EUSAGE, "exfat: map past the end of file number %llu",
		               (unsigned long long)id);
	if (n.valid > n.size)
		n.valid = n.size;
	*data = off < n.valid;
	*run = *data ? n.valid - off : n.size - off;
	return 0;
}

static const char *exfat_note(void *h)
{
	const struct xfs *x = h;
	if (x->v.flags & EXFAT_DIRTY)
		return "it was not cleanly unmounted (VolumeDirty): a file being written then may be "
		       "incomplete";
	return x->v.backup_note;
}

const struct lb_fsr_ops lb_fsr_exfat = {
	.name = "exfat",
	.open = exfat_open,
	.close = exfat_close,
	.root = exfat_root,
	.stat = exfat_stat,
	.readdir = exfat_readdir,
	.pread = exfat_pread,
	.map = exfat_map,
	.readlink = NULL,   /* exFAT has no symlinks */
	.note = exfat_note,
};
