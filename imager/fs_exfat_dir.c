/* exFAT directories: entries read in order through a directory's clusters (64 KiB at a time,
 * whatever the cluster size), the root directory's own entries (allocation bitmaps, up-case
 * table, volume label), and a walk of the whole tree that names every file's and directory's
 * cluster runs (for dirty volumes and the damage report).
 *
 * Entry sets (a File entry 0x85, its Stream Extension 0xc0 and File Name 0xc1 entries) are
 * taken as they stand, their SetChecksum unchecked: a set that names clusters keeps them in
 * the copy either way. Each directory cluster is read once (a directory that loops or shares
 * clusters with another stops the walk), so the walk is bounded by the volume's size. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fs_exfat.h"
#include "le.h"

#define CHUNK (64u << 10)
#define PATH_MAX_LEN 4096

void lb_exfat_utf8(const uint8_t *p, size_t n, char *out, size_t outlen)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t c = le16(p + 2 * i);
		char u[4];
		size_t k;
		if (c >= 0xd800 && c < 0xdc00 && i + 1 < n && le16(p + 2 * i + 2) >= 0xdc00 &&
		    le16(p + 2 * i + 2) < 0xe000) {
			c = 0x10000 + ((c - 0xd800) << 10) + (le16(p + 2 * i + 2) - 0xdc00);
			i++;
		} else if (c >= 0xd800 && c < 0xe000) {
			c = '?';
		}
		if (c < 0x80) {
			u[0] = (char)c;
			k = 1;
		} else if (c < 0x800) {
			u[0] = (char)(0xc0 | c >> 6);
			u[1] = (char)(0x80 | (c & 0x3f));
			k = 2;
		} else if (c < 0x10000) {
			u[0] = (char)(0xe0 | c >> 12);
			u[1] = (char)(0x80 | (c >> 6 & 0x3f));
			u[2] = (char)(0x80 | (c & 0x3f));
			k = 3;
		} else {
			u[0] = (char)(0xf0 | c >> 18);
			u[1] = (char)(0x80 | (c >> 12 & 0x3f));
			u[2] = (char)(0x80 | (c >> 6 & 0x3f));
			u[3] = (char)(0x80 | (c & 0x3f));
			k = 4;
		}
		if (o + k >= outlen)
			break;
		memcpy(out + o, u, k);
		o += k;
	}
	if (outlen)
		out[o] = 0;
}

/* One directory's clusters, collected as runs, read in chunks. */
struct dir {
	struct lb_exfat *v;
	uint32_t (*runs)[2];
	size_t nruns, cap, ri;
	uint64_t at;            /* bytes into runs[ri] */
	uint8_t *buf;
	size_t len, pos;
	const struct lb_exfat_walk *w;   /* when set, told each run */
	const char *path;
	uint8_t *seen;          /* when set, directory clusters met so far (a loop stops the walk) */
	int looped;
};

static int add_run(void *priv, uint32_t first, uint32_t n)
{
	struct dir *dr = priv;
	if (dr->seen) {
		for (uint32_t c = first - 2, e = first - 2 + n; c < e; c++) {
			if (dr->seen[c / 8] >> (c % 8) & 1) {
				dr->looped = 1;
				return -1;
			}
			dr->seen[c / 8] |= (uint8_t)(1u << (c % 8));
		}
	}
	if (dr->w) {
		int rc = dr->w->run(dr->w->priv, dr->path, 1, first, n);
		if (rc)
			return rc;
	}
	if (dr->nruns == dr->cap) {
		size_t cap = dr->cap ? 2 * dr->cap : 16;
		void *t = realloc(dr->runs, cap * sizeof *dr->runs);
		if (!t)
			return -2;
		dr->runs = t;
		dr->cap = cap;
	}
	dr->runs[dr->nruns][0] = first;
	dr->runs[dr->nruns++][1] = n;
	return 0;
}

static int dir_open(struct dir *dr, struct lb_exfat *v, uint32_t first, uint64_t want, int nofat,
                    const char *what, char *why, size_t whylen)
{
	int rc;
	dr->v = v;
	if (!(dr->buf = malloc(CHUNK))) {
		snprintf(why, whylen, "out of memory reading its directories");
		return -1;
	}
	rc = lb_exfat_runs(v, first, want, nofat, what, add_run, dr, why, whylen);
	if (rc == -2 || (rc && !why[0] && !dr->looped))
		snprintf(why, whylen, "out of memory reading its directories");
	else if (dr->looped)
		snprintf(why, whylen, "%s shares clusters with another directory (a loop)", what);
	return rc;
}

static void dir_close(struct dir *dr)
{
	free(dr->runs);
	free(dr->buf);
}

/* The next 32-byte entry: 1, 0 at the end of the directory's clusters, -1 unreadable. */
static int dir_next(struct dir *dr, const uint8_t **e, char *why, size_t whylen)
{
	struct lb_exfat *v = dr->v;
	if (dr->pos >= dr->len) {
		uint64_t run_bytes, n;
		struct lb_err err = { 0 };
		while (dr->ri < dr->nruns && dr->at >= (run_bytes = (uint64_t)dr->runs[dr->ri][1] * v->cs)) {
			dr->ri++;
			dr->at = 0;
		}
		if (dr->ri >= dr->nruns)
			return 0;
		n = run_bytes - dr->at < CHUNK ? run_bytes - dr->at : CHUNK;
		if (lb_dev_read(v->d, dr->buf, (size_t)n, v->off + lb_exfat_cl_off(v, dr->runs[dr->ri][0]) +
		                dr->at, &err)) {
			snprintf(why, whylen, "its directory %s cannot be read at cluster %u", dr->path ?
			         dr->path : "/", dr->runs[dr->ri][0] + (uint32_t)(dr->at / v->cs));
			return -1;
		}
		dr->at += n;
		dr->len = (size_t)n;
		dr->pos = 0;
	}
	*e = dr->buf + dr->pos;
	dr->pos += 32;
	return 1;
}

int lb_exfat_read_root(struct lb_exfat *v, struct lb_exfat_root *r, char *why, size_t whylen)
{
	struct dir dr = { 0 };
	const uint8_t *e;
	int rc;
	memset(r, 0, sizeof *r);
	if (dir_open(&dr, v, v->root, 0, 0, "the root directory", why, whylen)) {
		dir_close(&dr);
		return -1;
	}
	while ((rc = dir_next(&dr, &e, why, whylen)) == 1 && e[0]) {
		if (e[0] == 0x81) {
			int slot = e[1] & 1;
			if (r->nbm == 2 || r->bm_first[slot]) {
				snprintf(why, whylen, "its root directory holds more allocation bitmap entries "
				         "than it has FATs");
				rc = -1;
				break;
			}
			r->bm_first[slot] = le32(e + 20);
			r->bm_len[slot] = le64(e + 24);
			r->nbm++;
		} else if (e[0] == 0x82 && !r->up_first) {
			r->up_first = le32(e + 20);
			r->up_len = le64(e + 24);
		} else if (e[0] == 0x83 && !r->label[0]) {
			lb_exfat_utf8(e + 2, e[1] < 11 ? e[1] : 11, r->label, sizeof r->label);
		}
		/* they come first as every formatter writes them: a large root is not read whole */
		if (r->nbm == (int)v->nfats && r->up_first && r->label[0])
			break;
	}
	dir_close(&dr);
	return rc < 0 ? -1 : 0;
}

/* --- the walk ----------------------------------------------------------------------------- */

struct pending {
	uint32_t first;
	uint64_t want;
	int nofat;
	char *path;
};

struct walk {
	struct lb_exfat *v;
	const struct lb_exfat_walk *w;
	struct pending *stack;
	size_t n, cap;
	char *path;                 /* the current stream's, for run_cb */
	char *why;
	size_t whylen;
};

static int run_cb(void *priv, uint32_t first, uint32_t n)
{
	struct walk *k = priv;
	return k->w->run(k->w->priv, k->path, 0, first, n);
}

static uint64_t clusters_for(const struct lb_exfat *v, uint64_t bytes)
{
	return bytes / v->cs + (bytes % v->cs != 0);
}

/* A stream of clusters that is not a directory (a file, the bitmap, vendor data). */
static int stream(struct walk *k, char *path, uint32_t first, uint64_t bytes, int nofat)
{
	if (!first || !bytes)
		return 0;
	k->path = path;
	return lb_exfat_runs(k->v, first, clusters_for(k->v, bytes), nofat, path, run_cb, k, k->why,
	                     k->whylen);
}

static char *join(const char *parent, const char *name)
{
	size_t a = strlen(parent), b = strlen(name);
	char *p;
	if (a + 1 + b >= PATH_MAX_LEN)
		b = a + 1 < PATH_MAX_LEN ? PATH_MAX_LEN - a - 2 : 0;
	if (!(p = malloc(a + b + 2)))
		return NULL;
	memcpy(p, parent, a);
	p[a] = '/';
	memcpy(p + a + 1, name, b);
	p[a + 1 + b] = 0;
	return p;
}

/* One entry set, complete: its stream's clusters (files) or pushed for later (directories). */
struct set {
	int open;
	unsigned left, attr, flags, namelen, got;
	uint32_t first;
	uint64_t len;
	uint8_t name[2 * 255];
};

static int set_done(struct walk *k, const char *parent, struct set *s)
{
	char name[1024], *path;
	int rc = 0;
	s->open = 0;
	if (!(s->flags & 1) || !s->first || !s->len)
		return 0;
	lb_exfat_utf8(s->name, s->got < s->namelen ? s->got : s->namelen, name, sizeof name);
	if (!(path = join(parent, name[0] ? name : "?")))
		return -2;
	if (s->attr & 0x10) {
		if (k->n == k->cap) {
			size_t cap = k->cap ? 2 * k->cap : 64;
			void *t = realloc(k->stack, cap * sizeof *k->stack);
			if (!t) {
				free(path);
				return -2;
			}
			k->stack = t;
			k->cap = cap;
		}
		k->stack[k->n++] = (struct pending){ s->first, clusters_for(k->v, s->len), s->flags >> 1 & 1, path };
		return 0;
	}
	rc = stream(k, path, s->first, s->len, s->flags >> 1 & 1);
	free(path);
	return rc;
}

/* Reads one directory's entries; 0, or non-zero (why filled unless the callback stopped). */
static int walk_dir(struct walk *k, struct pending *p, uint8_t *seen)
{
	struct dir dr = { .w = k->w, .path = p->path[0] ? p->path : "/", .seen = seen };
	struct set s = { 0 };
	const uint8_t *e;
	int rc;
	if ((rc = dir_open(&dr, k->v, p->first, p->want, p->nofat, dr.path, k->why, k->whylen))) {
		dir_close(&dr);
		return rc;
	}
	while ((rc = dir_next(&dr, &e, k->why, k->whylen)) == 1 && e[0]) {
		unsigned t = e[0];
		rc = 0;
		if (!(t & 0x80))
			continue;   /* deleted: its clusters are free (the bitmap says so) */
		if (!(t & 0x40) && s.open && (rc = set_done(k, p->path, &s)))
			break;
		if (t == 0x85) {
			memset(&s, 0, sizeof s);
			s.open = 1;
			s.left = e[1];
			s.attr = le16(e + 4);
		} else if (t == 0xc0 && s.open && s.left) {
			s.left--;
			s.flags = e[1];
			s.namelen = e[3];
			s.first = le32(e + 20);
			s.len = le64(e + 24);
		} else if (t == 0xc1 && s.open && s.left) {
			s.left--;
			if (s.got < 255) {
				unsigned n = 255 - s.got < 15 ? 255 - s.got : 15;
				memcpy(s.name + 2 * s.got, e + 2, 2 * n);
				s.got += n;
			}
		} else if ((t == 0x81 || t == 0x82) && !p->path[0]) {
			char what[32];
			snprintf(what, sizeof what, "(%s)", t == 0x81 ? "allocation bitmap" : "up-case table");
			rc = stream(k, what, le32(e + 20), le64(e + 24), 0);
		} else if (t & 0x40 ? (e[1] & 1) : (t >= 0xa0 && (le16(e + 4) & 1))) {
			/* vendor allocation (secondary) or benign primary with clusters: the spec's
			 * generic templates keep FirstCluster and DataLength at 20 and 24 */
			char *path = join(p->path, t & 0x40 ? "(vendor data)" : "(volume data)");
			int nofat = t & 0x40 ? e[1] >> 1 & 1 : le16(e + 4) >> 1 & 1;
			if (t & 0x40 && s.open && s.left)
				s.left--;
			rc = path ? stream(k, path, le32(e + 20), le64(e + 24), nofat) : -2;
			free(path);
		} else if (t & 0x40 && s.open && s.left) {
			s.left--;
		}
		if (rc)
			break;
		if (s.open && !s.left && (rc = set_done(k, p->path, &s)))
			break;
	}
	if (rc > 0)
		rc = 0;   /* the end-of-directory entry */
	if (rc == 0 && s.open)
		rc = set_done(k, p->path, &s);   /* a set cut short still names its clusters */
	if (rc == -2)
		snprintf(k->why, k->whylen, "out of memory walking its directories");
	dir_close(&dr);
	return rc < 0 ? rc : 0;
}

int lb_exfat_walk(struct lb_exfat *v, const struct lb_exfat_walk *w, char *why, size_t whylen)
{
	struct walk k = { v, w, NULL, 0, 0, NULL, why, whylen };
	uint8_t *seen = calloc(1, (size_t)v->nclusters / 8 + 1);
	struct pending root = { v->root, 0, 0, (char *)"" };
	int rc;
	why[0] = 0;
	if (!seen) {
		snprintf(why, whylen, "out of memory walking its directories");
		return -1;
	}
	v->steps = 0;
	rc = walk_dir(&k, &root, seen);
	while (!rc && k.n) {
		struct pending p = k.stack[--k.n];
		rc = walk_dir(&k, &p, seen);
		free(p.path);
	}
	while (k.n)
		free(k.stack[--k.n].path);
	free(k.stack);
	free(seen);
	if (rc && !why[0])
		snprintf(why, whylen, "its directories cannot be walked");
	return rc;
}
