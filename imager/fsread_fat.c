/* Reading files out of FAT12/16/32 (fsread.h), read-only through the engine's handle.
 *
 * A file is numbered by where its short (8.3) directory entry lies: its byte offset from the
 * volume's start (a multiple of 32 inside the root area or the cluster heap). The root
 * directory, which has no entry, is number 1. So stat reads the one entry again and needs no
 * table of what readdir has seen.
 *
 * Names: the VFAT long name when its entries are complete, in order and carry the checksum
 * of the short name that follows them (as the Linux kernel and Windows check it); otherwise
 * the short name, with the case bits Windows NT sets (lowercase base or extension) and bytes
 * above 0x7f read as code page 437 (the Linux default). Times are stored as local time with no
 * zone: they are given as if UTC. ctime is the last write (FAT keeps no change time).
 *
 * Every cluster chain is checked as it is followed: a cluster outside the heap, a free or bad
 * cluster inside a chain, a chain shorter than the file's size, clusters visited twice (a
 * loop, or two files sharing clusters within one chain) are LB_EDAMAGED naming the file, never
 * a hang: a file's chain is followed only for the clusters its size needs, a directory's for
 * at most 2 MiB (the largest directory FAT allows: 65,536 entries). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "blockdev.h"
#include "err.h"
#include "fs_fat.h"
#include "fsread.h"
#include "fsread_utf16.h"
#include "le.h"

#define ROOT_ID 1
#define FAT_WINDOW (64u << 10)
#define DIR_MAX (2u << 20)

struct run {
	uint32_t first, n;
};

struct fatfs {
	struct lb_dev *d;
	uint64_t off;
	struct fat_geom g;
	uint64_t cs;                   /* cluster size in bytes */
	uint64_t root_at, root_len;    /* FAT12/16: the fixed root area (bytes from off) */
	uint32_t eoc;                  /* the first end-of-chain value */
	int dirty;                     /* the boot sector's "not cleanly unmounted" bit */
	uint8_t *fat;                  /* a window of the FAT being read */
	uint64_t fat_at;
	size_t fat_len;
	unsigned fat_copy;             /* the copy the window came from */
	/* the chain last followed, so reading a file piece by piece follows it once */
	uint64_t runs_id;
	struct run *runs;
	size_t nruns, cap;
};

static const uint16_t cp437[128] = {
	0x00c7, 0x00fc, 0x00e9, 0x00e2, 0x00e4, 0x00e0, 0x00e5, 0x00e7,
	0x00ea, 0x00eb, 0x00e8, 0x00ef, 0x00ee, 0x00ec, 0x00c4, 0x00c5,
	0x00c9, 0x00e6, 0x00c6, 0x00f4, 0x00f6, 0x00f2, 0x00fb, 0x00f9,
	0x00ff, 0x00d6, 0x00dc, 0x00a2, 0x00a3, 0x00a5, 0x20a7, 0x0192,
	0x00e1, 0x00ed, 0x00f3, 0x00fa, 0x00f1, 0x00d1, 0x00aa, 0x00ba,
	0x00bf, 0x2310, 0x00ac, 0x00bd, 0x00bc, 0x00a1, 0x00ab, 0x00bb,
	0x2591, 0x2592, 0x2593, 0x2502, 0x2524, 0x2561, 0x2562, 0x2556,
	0x2555, 0x2563, 0x2551, 0x2557, 0x255d, 0x255c, 0x255b, 0x2510,
	0x2514, 0x2534, 0x252c, 0x251c, 0x2500, 0x253c, 0x255e, 0x255f,
	0x255a, 0x2554, 0x2569, 0x2566, 0x2560, 0x2550, 0x256c, 0x2567,
	0x2568, 0x2564, 0x2565, 0x2559, 0x2558, 0x2552, 0x2553, 0x256b,
	0x256a, 0x2518, 0x250c, 0x2588, 0x2584, 0x258c, 0x2590, 0x2580,
	0x03b1, 0x00df, 0x0393, 0x03c0, 0x03a3, 0x03c3, 0x00b5, 0x03c4,
	0x03a6, 0x0398, 0x03a9, 0x03b4, 0x221e, 0x03c6, 0x03b5, 0x2229,
	0x2261, 0x00b1, 0x2265, 0x2264, 0x2320, 0x2321, 0x00f7, 0x2248,
	0x00b0, 0x2219, 0x00b7, 0x221a, 0x207f, 0x00b2, 0x25a0, 0x00a0,
};

/* The cause in lb_dev_read's sentence (which names the device, already named by the caller). */
static const char *cause(const struct lb_err *e)
{
	const char *c = strrchr(e->msg, ':');
	return c ? c + 1 + (c[1] == ' ') : e->msg;
}

/* The short name as printable text, for messages: "README  TXT" -> "README.TXT". */
static void short_text(const uint8_t *e, char *out, size_t cap)
{
	size_t o = 0;
	for (int i = 0; i < 11 && o + 2 < cap; i++) {
		unsigned c = i == 0 && e[0] == 0x05 ? 0xe5 : e[i];
		if (i == 8 && e[8] != ' ')
			out[o++] = '.';
		if (c == ' ')
			continue;
		out[o++] = c < 0x20 || c >= 0x7f ? '?' : (char)c;
	}
	out[o] = 0;
}

static void what(const struct fatfs *fs, uint64_t id, const uint8_t *e, char *out, size_t cap)
{
	char s[16];
	if (id == ROOT_ID) {
		snprintf(out, cap, "the root directory");
		return;
	}
	short_text(e, s, sizeof s);
	snprintf(out, cap, "%s (directory entry at byte %llu)", s, (unsigned long long)id);
}

/* --- the FAT ------------------------------------------------------------------------------ */

/* Entry cl (in the heap's range) of the FAT: from the copy the filesystem reads, or, when
 * that cannot be read (a damaged chunk of the image), the next copy. */
static int fat_next(struct fatfs *fs, uint32_t cl, uint32_t *next, struct lb_err *err)
{
	uint64_t at = (uint64_t)cl * fs->g.bits / 8;
	unsigned need = fs->g.bits == 32 ? 4 : 2;
	const uint8_t *p;
	if (!fs->fat || at < fs->fat_at || at + need > fs->fat_at + fs->fat_len) {
		struct lb_err e = { 0 };
		uint64_t start = at & ~(uint64_t)(FAT_WINDOW - 1);
		/* +4: a FAT12 entry may straddle the window's end */
		size_t len = fs->g.fat_bytes - start < FAT_WINDOW + 4 ? (size_t)(fs->g.fat_bytes - start)
		                                                       : FAT_WINDOW + 4;
		unsigned i;
		if (!fs->fat && !(fs->fat = malloc(FAT_WINDOW + 4)))
			return lb_fail(err, LB_ENOMEM, "out of memory reading the FAT");
		fs->fat_len = 0;
		for (i = 0; i < fs->g.nfats; i++) {
			unsigned copy = (fs->g.active + i) % fs->g.nfats;
			lb_err_clear(&e);
			if (!lb_dev_read(fs->d, fs->fat, len, fs->off + fs->g.fat_start +
			                 copy * fs->g.fat_bytes + start, &e)) {
				fs->fat_copy = copy;
				break;
			}
		}
		if (i == fs->g.nfats)
			return lb_fail(err, LB_EIO, "no copy of the FAT can be read at byte %llu of it (%s)",
			               (unsigned long long)start, cause(&e));
		fs->fat_at = start;
		fs->fat_len = len;
	}
	p = fs->fat + (at - fs->fat_at);
	if (fs->g.bits == 12)
		*next = (cl & 1) ? le16(p) >> 4 : le16(p) & 0xfff;
	else if (fs->g.bits == 16)
		*next = le16(p);
	else
		*next = le32(p) & 0x0fffffff;
	return 0;
}

static int cmp_run(const void *a, const void *b)
{
	const struct run *x = a, *y = b;
	return x->first < y->first ? -1 : x->first > y->first;
}

/* Follows the chain from first into fs->runs: want clusters (a file), or to its end (want 0:
 * a directory, at most DIR_MAX bytes). name says whose chain it is in messages. */
static int follow(struct fatfs *fs, uint64_t id, uint32_t first, uint64_t want, const char *name,
                  struct lb_err *err)
{
	uint64_t got = 0, limit = want ? want : DIR_MAX / fs->cs + 1;
	uint32_t cl = first;
	struct run *sorted;
	int rc;
	fs->runs_id = 0;
	fs->nruns = 0;
	if (cl < 2 || cl - 2 >= fs->g.nclusters)
		return lb_fail(err, LB_EDAMAGED, "%s starts at cluster %u, outside the volume's %llu "
		               "clusters", name, cl, (unsigned long long)fs->g.nclusters);
	/* bounds the walk by the volume too: a loop is found within nclusters steps */
	if (want > fs->g.nclusters)
		return lb_fail(err, LB_EDAMAGED, "%s is larger than the volume (%llu clusters of its "
		               "%llu)", name, (unsigned long long)want, (unsigned long long)fs->g.nclusters);
	for (;;) {
		uint32_t next;
		if (fs->nruns && fs->runs[fs->nruns - 1].first + fs->runs[fs->nruns - 1].n == cl) {
			fs->runs[fs->nruns - 1].n++;
		} else {
			if (fs->nruns == fs->cap) {
				size_t cap = fs->cap ? 2 * fs->cap : 16;
				void *t = realloc(fs->runs, cap * sizeof *fs->runs);
				if (!t)
					return lb_fail(err, LB_ENOMEM, "out of memory following the chain of %s", name);
				fs->runs = t;
				fs->cap = cap;
			}
			fs->runs[fs->nruns++] = (struct run){ cl, 1 };
		}
		if (++got == want)
			break;
		if (got > limit)
			return lb_fail(err, LB_EDAMAGED, "%s has a cluster chain that loops (it runs past the "
			               "%u MiB a FAT directory can hold)", name, DIR_MAX >> 20);
		if ((rc = fat_next(fs, cl, &next, err)))
			return lb_context(err, "%s", name);
		if (next >= fs->eoc) {
			if (want)
				return lb_fail(err, LB_EDAMAGED, "%s is cut short: its cluster chain ends after %llu "
				               "of the %llu clusters its size needs", name,
				               (unsigned long long)got, (unsigned long long)want);
			break;
		}
		if (next < 2 || next - 2 >= fs->g.nclusters)
			return lb_fail(err, LB_EDAMAGED, "%s has a broken cluster chain: cluster %u leads to "
			               "%s 0x%x", name, cl, next == fs->eoc - 1 ? "a bad cluster," :
			               next ? "cluster" : "a free cluster,", next);
		cl = next;
	}
	/* a loop or a cross-link inside the chain: some cluster appears twice */
	if (!(sorted = malloc(fs->nruns * sizeof *sorted)))
		return lb_fail(err, LB_ENOMEM, "out of memory following the chain of %s", name);
	memcpy(sorted, fs->runs, fs->nruns * sizeof *sorted);
	qsort(sorted, fs->nruns, sizeof *sorted, cmp_run);
	for (size_t i = 1; i < fs->nruns; i++)
		if (sorted[i - 1].first + (uint64_t)sorted[i - 1].n > sorted[i].first) {
			uint32_t c = sorted[i].first;
			free(sorted);
			return lb_fail(err, LB_EDAMAGED, "%s has a cluster chain that loops (cluster %u is "
			               "in it twice)", name, c);
		}
	free(sorted);
	fs->runs_id = id;
	return 0;
}

/* --- entries -------------------------------------------------------------------------------- */

static uint32_t first_cluster(const struct fatfs *fs, const uint8_t *e)
{
	return le16(e + 26) | (fs->g.bits == 32 ? (uint32_t)le16(e + 20) << 16 : 0);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
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

/* A FAT date and time (local, no zone: taken as UTC); 0 when the date is not a date. */
static int64_t fat_time(unsigned date, unsigned tm)
{
	unsigned m = date >> 5 & 15, d = date & 31, h = tm >> 11, mi = tm >> 5 & 63, s = (tm & 31) * 2;
	if (!date || m < 1 || m > 12 || !d || h > 23 || mi > 59 || s > 59)
		return 0;
	return days_from_civil(1980 + (date >> 9), m, d) * 86400 + h * 3600 + mi * 60 + s;
}

static void entry_stat(const struct fatfs *fs, uint64_t id, const uint8_t *e, struct lb_fsr_stat *st)
{
	memset(st, 0, sizeof *st);
	st->id = id;
	st->nlink = 1;
	if (e[11] & 0x10)
		st->mode = S_IFDIR | 0755;
	else
		st->mode = S_IFREG | (e[11] & 0x01 ? 0444 : 0644);
	st->size = e[11] & 0x10 ? 0 : le32(e + 28);
	st->mtime = st->ctime = fat_time(le16(e + 24), le16(e + 22));
	st->atime = fat_time(le16(e + 18), 0);
}

static void root_stat(struct lb_fsr_stat *st)
{
	memset(st, 0, sizeof *st);
	st->id = ROOT_ID;
	st->nlink = 1;
	st->mode = S_IFDIR | 0755;
}

/* Reads the short entry numbered id; LB_ENOENT when id is not where an entry can be. */
static int read_entry(struct fatfs *fs, uint64_t id, uint8_t e[32], struct lb_err *err)
{
	struct lb_err e2 = { 0 };
	int in_root = fs->root_len && id >= fs->root_at && id < fs->root_at + fs->root_len;
	if (id % 32 || (!in_root && (id < fs->g.data_start ||
	                             id >= fs->g.data_start + fs->g.nclusters * fs->cs)))
		return lb_fail(err, LB_ENOENT, "fat: no file number %llu", (unsigned long long)id);
	if (lb_dev_read(fs->d, e, 32, fs->off + id, &e2))
		return lb_fail(err, LB_EIO, "fat: the directory entry at byte %llu cannot be read (%s)",
		               (unsigned long long)id, cause(&e2));
	if (!e[0] || e[0] == 0xe5 || (e[11] & 0x3f) == 0x0f || (e[11] & 0x08))
		return lb_fail(err, LB_ENOENT, "fat: no file at directory entry byte %llu",
		               (unsigned long long)id);
	return 0;
}

/* --- directories ---------------------------------------------------------------------------- */

struct lfn {
	int next;               /* the sequence number expected next (0: none pending) */
	int count;
	uint8_t sum;
	uint8_t units[20 * 13 * 2];
};

static uint8_t short_sum(const uint8_t *e)
{
	uint8_t s = 0;
	for (int i = 0; i < 11; i++)
		s = (uint8_t)(((s & 1) << 7) + (s >> 1) + e[i]);
	return s;
}

static void lfn_add(struct lfn *l, const uint8_t *e)
{
	static const uint8_t at[13] = { 1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30 };
	int seq = e[0] & 0x1f;
	if (e[0] & 0x40) {
		if (!seq || seq > 20) {
			l->next = 0;
			return;
		}
		l->count = seq;
		l->next = seq;
		l->sum = e[13];
	} else if (!l->next || seq != l->next || e[13] != l->sum) {
		l->next = 0;   /* out of order: the short name will do */
		return;
	}
	for (int i = 0; i < 13; i++)
		memcpy(l->units + 2 * (13 * (seq - 1) + i), e + at[i], 2);
	l->next = seq - 1 ? seq - 1 : -1;   /* -1: complete */
}

/* The long name pending before short entry e, when it is whole and belongs to it. */
static long lfn_name(struct lfn *l, const uint8_t *e, char *out, size_t cap)
{
	size_t n = 0, max;
	if (l->next != -1 || l->sum != short_sum(e))
		return -1;
	max = 13 * (size_t)l->count;
	while (n < max && le16(l->units + 2 * n))
		n++;
	return lb_utf16le_to_utf8(l->units, n, out, cap);
}

static long short_name(const uint8_t *e, char *out, size_t cap)
{
	size_t o = 0;
	int base_end = 8, ext_end = 11;
	while (base_end > 0 && e[base_end - 1] == ' ')
		base_end--;
	while (ext_end > 8 && e[ext_end - 1] == ' ')
		ext_end--;
	for (int i = 0; i < ext_end; i++) {
		unsigned c = i == 0 && e[0] == 0x05 ? 0xe5 : e[i];
		int lower = e[12] & (i < 8 ? 0x08 : 0x10);
		if (i >= base_end && i < 8)
			continue;
		if (i == 8)
			out[o++] = '.';
		if (c >= 0x80) {
			uint16_t u = cp437[c - 0x80];
			uint8_t le[2] = { (uint8_t)u, (uint8_t)(u >> 8) };
			long k = lb_utf16le_to_utf8(le, 1, out + o, cap - o);
			if (k < 0)
				return -1;
			o += (size_t)k;
			continue;
		}
		if (lower && c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		out[o++] = (char)c;
	}
	return (long)o;   /* at most 12 characters of 3 bytes: callers give far more room */
}

struct rd {
	struct fatfs *fs;
	int (*fn)(void *ctx, const char *name, size_t name_len, const struct lb_fsr_stat *st);
	void *ctx;
	struct lfn lfn;
	char dirname[80];
	uint64_t bad;           /* entries whose names cannot be handed out */
	uint64_t bad_id;
	int done;               /* the end marker met */
};

/* The entries of one piece of directory (n bytes at byte `at` of the volume, in buf). */
static int dir_piece(struct rd *r, const uint8_t *buf, size_t n, uint64_t at)
{
	for (size_t i = 0; i + 32 <= n; i += 32) {
		const uint8_t *e = buf + i;
		struct lb_fsr_stat st;
		char name[20 * 13 * 3 + 16];
		long len;
		int rc;
		if (!e[0]) {
			r->done = 1;
			return 0;
		}
		if (e[0] == 0xe5) {
			r->lfn.next = 0;
			continue;
		}
		if ((e[11] & 0x3f) == 0x0f) {
			lfn_add(&r->lfn, e);
			continue;
		}
		if (e[11] & 0x08) {   /* the volume label */
			r->lfn.next = 0;
			continue;
		}
		if (e[0] == '.' && (e[1] == ' ' || (e[1] == '.' && e[2] == ' '))) {
			r->lfn.next = 0;
			continue;
		}
		len = lfn_name(&r->lfn, e, name, sizeof name);
		r->lfn.next = 0;
		if (len < 0 || !lb_fsr_name_ok(name, (size_t)len))
			len = short_name(e, name, sizeof name);
		if (len < 0 || !lb_fsr_name_ok(name, (size_t)len)) {
			if (!r->bad++)
				r->bad_id = at + i;
			continue;
		}
		entry_stat(r->fs, at + i, e, &st);
		if ((rc = r->fn(r->ctx, name, (size_t)len, &st)))
			return rc;
	}
	return 0;
}

static int fat_readdir(void *h, uint64_t id,
                       int (*fn)(void *ctx, const char *name, size_t name_len,
                                 const struct lb_fsr_stat *st),
                       void *ctx, struct lb_err *err)
{
	struct fatfs *fs = h;
	struct rd r = { .fs = fs, .fn = fn, .ctx = ctx };
	uint8_t e[32];
	struct lb_err e2 = { 0 };
	uint8_t *buf;
	int rc = 0;
	/* one cluster at a time, in a buffer of this call's own: fn may read other directories */
	if (!(buf = malloc(fs->cs)))
		return lb_fail(err, LB_ENOMEM, "out of memory reading a directory");
	if (id == ROOT_ID && fs->root_len) {
		/* FAT12/16: a fixed area, read a cluster's worth at a time */
		snprintf(r.dirname, sizeof r.dirname, "the root directory");
		for (uint64_t at = 0; at < fs->root_len && !r.done && !rc; at += fs->cs) {
			size_t n = fs->root_len - at < fs->cs ? (size_t)(fs->root_len - at) : (size_t)fs->cs;
			if (lb_dev_read(fs->d, buf, n, fs->off + fs->root_at + at, &e2))
				rc = lb_fail(err, LB_EIO, "fat: the root directory cannot be read at byte %llu "
				             "(%s)", (unsigned long long)(fs->root_at + at), cause(&e2));
			else
				rc = dir_piece(&r, buf, n, fs->root_at + at);
		}
	} else {
		uint32_t first;
		size_t nruns;
		struct run *runs;
		if (id == ROOT_ID) {
			first = fs->g.root_cluster;
			snprintf(r.dirname, sizeof r.dirname, "the root directory");
		} else {
			if ((rc = read_entry(fs, id, e, err)))
				goto out;
			what(fs, id, e, r.dirname, sizeof r.dirname);
			if (!(e[11] & 0x10)) {
				rc = lb_fail(err, LB_EUSAGE, "fat: %s is not a directory", r.dirname);
				goto out;
			}
			first = first_cluster(fs, e);
		}
		{
			char name[96];
			snprintf(name, sizeof name, "fat: directory %s", r.dirname);
			if ((rc = follow(fs, 0, first, 0, name, err)))
				goto out;
		}
		/* the callback may make the generic layer read files: keep our own copy of the runs */
		nruns = fs->nruns;
		if (!(runs = malloc(nruns * sizeof *runs))) {
			rc = lb_fail(err, LB_ENOMEM, "out of memory reading a directory");
			goto out;
		}
		memcpy(runs, fs->runs, nruns * sizeof *runs);
		for (size_t i = 0; i < nruns && !r.done && !rc; i++)
			for (uint32_t c = 0; c < runs[i].n && !r.done && !rc; c++) {
				uint64_t at = fs->g.data_start + (uint64_t)(runs[i].first - 2 + c) * fs->cs;
				if (lb_dev_read(fs->d, buf, fs->cs, fs->off + at, &e2)) {
					rc = lb_fail(err, LB_EIO, "fat: %s cannot be read at cluster %u (%s)",
					             r.dirname, runs[i].first + c, cause(&e2));
					break;
				}
				rc = dir_piece(&r, buf, fs->cs, at);
			}
		free(runs);
	}
out:
	free(buf);
	if (rc)
		return rc;
	if (r.bad)
		return lb_fail(err, LB_EDAMAGED, "fat: %s holds %llu entr%s with no usable name (the first "
		               "at byte %llu)", r.dirname, (unsigned long long)r.bad, r.bad == 1 ? "y" : "ies",
		               (unsigned long long)r.bad_id);
	return 0;
}

/* --- the rest of the table ------------------------------------------------------------------ */

static int fat_open(struct lb_dev *d, uint64_t off, uint64_t size, void **out, struct lb_err *err)
{
	uint8_t b[512];
	struct fatfs *fs;
	struct lb_err e = { 0 };
	*out = NULL;
	if (lb_dev_read(d, b, sizeof b, off, &e))
		return lb_fail(err, LB_EIO, "fat: the boot sector cannot be read (%s)", cause(&e));
	if (!(fs = calloc(1, sizeof *fs)))
		return lb_fail(err, LB_ENOMEM, "out of memory opening a FAT filesystem");
	if (lb_fat_geometry(b, size, &fs->g)) {
		free(fs);
		return lb_fail(err, LB_EDAMAGED, "fat: the boot sector does not describe a consistent "
		               "FAT filesystem");
	}
	fs->d = d;
	fs->off = off;
	fs->cs = (uint64_t)fs->g.spc * fs->g.bps;
	fs->eoc = fs->g.bits == 12 ? 0xff8 : fs->g.bits == 16 ? 0xfff8 : 0x0ffffff8;
	/* BS_Reserved1 / the state byte Linux sets while mounted (fs/fat: FAT_STATE_DIRTY) */
	fs->dirty = b[fs->g.bits == 32 ? 65 : 37] & 0x01;
	if (fs->g.bits != 32) {
		fs->root_at = fs->g.fat_start + fs->g.nfats * fs->g.fat_bytes;
		fs->root_len = fs->g.data_start - fs->root_at;
	}
	*out = fs;
	return 0;
}

static void fat_close(void *h)
{
	struct fatfs *fs = h;
	if (!fs)
		return;
	free(fs->fat);
	free(fs->runs);
	free(fs);
}

static uint64_t fat_root(void *h)
{
	(void)h;
	return ROOT_ID;
}

static int fat_stat(void *h, uint64_t id, struct lb_fsr_stat *st, struct lb_err *err)
{
	struct fatfs *fs = h;
	uint8_t e[32];
	int rc;
	if (id == ROOT_ID) {
		root_stat(st);
		return 0;
	}
	if ((rc = read_entry(fs, id, e, err)))
		return rc;
	entry_stat(fs, id, e, st);
	return 0;
}

static int fat_pread(void *h, uint64_t id, void *buf, size_t len, uint64_t off, struct lb_err *err)
{
	struct fatfs *fs = h;
	uint8_t e[32];
	char name[96];
	uint64_t size, skip;
	size_t i = 0;
	int rc;
	if ((rc = read_entry(fs, id, e, err)))
		return rc;
	what(fs, id, e, name + 5, sizeof name - 5);
	memcpy(name, "fat: ", 5);
	size = le32(e + 28);
	if (e[11] & 0x10)
		return lb_fail(err, LB_EUSAGE, "%s is a directory", name);
	if (off > size || len > size - off)
		return lb_fail(err, LB_EUSAGE, "%s: bytes %llu-%llu are past its end (%llu bytes)", name,
		               (unsigned long long)off, (unsigned long long)(off + len),
		               (unsigned long long)size);
	if (!len)
		return 0;
	if (fs->runs_id != id &&
	    (rc = follow(fs, id, first_cluster(fs, e), (size + fs->cs - 1) / fs->cs, name, err)))
		return rc;
	skip = off;
	while (len) {
		uint64_t run_bytes, n;
		struct lb_err e2 = { 0 };
		if (i >= fs->nruns)
			return lb_fail(err, LB_EDAMAGED, "%s: its cluster chain is shorter than its size", name);
		run_bytes = (uint64_t)fs->runs[i].n * fs->cs;
		if (skip >= run_bytes) {
			skip -= run_bytes;
			i++;
			continue;
		}
		n = run_bytes - skip < len ? run_bytes - skip : len;
		if (lb_dev_read(fs->d, buf, (size_t)n, fs->off + fs->g.data_start +
		                (uint64_t)(fs->runs[i].first - 2) * fs->cs + skip, &e2))
			return lb_fail(err, LB_EIO, "%s cannot be read at byte %llu of it (%s)", name,
			               (unsigned long long)off, cause(&e2));
		buf = (uint8_t *)buf + n;
		len -= (size_t)n;
		off += n;
		skip = 0;
		i++;
	}
	return 0;
}

static const char *fat_note(void *h)
{
	const struct fatfs *fs = h;
	return fs->dirty ? "it was not cleanly unmounted (its dirty bit is set): a file being written "
	                   "then may be incomplete" : NULL;
}

const struct lb_fsr_ops lb_fsr_fat = {
	.name = "fat",
	.open = fat_open,
	.close = fat_close,
	.root = fat_root,
	.stat = fat_stat,
	.readdir = fat_readdir,
	.pread = fat_pread,
	.map = NULL,        /* FAT has no holes */
	.readlink = NULL,   /* nor symlinks */
	.note = fat_note,
};
