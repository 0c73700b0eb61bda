/* fuzz_fsr.h — shared by the file reader targets (fuzz_fsr_*.c): open a filesystem through
 * its reader and walk the whole tree, stat every entry and read every file, checking what
 * fsread.h promises (names never ".", ".." or holding '/' or NUL; stat agrees with readdir;
 * reads stay in bounds). Bounded: a directory loop of a hostile volume gives new numbers at
 * every level, so the walk stops at a depth and a count of entries and bytes, as the generic
 * layer (fsread.c) stops loops of its own. */
#ifndef LB_FUZZ_FSR_H
#define LB_FUZZ_FSR_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "err.h"
#include "fsread.h"

struct fuzz_fsr {
	const struct lb_fsr_ops *ops;
	void *fs;
	int depth;
	unsigned entries;
	uint64_t bytes;
	uint8_t buf[65536];
};

static int fuzz_fsr_entry(void *ctx, const char *name, size_t len, const struct lb_fsr_stat *st)
{
	struct fuzz_fsr *w = ctx;
	struct lb_fsr_stat again;
	struct lb_err err = { 0 };
	if (!len || memchr(name, '/', len) || memchr(name, 0, len) ||
	    (len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		__builtin_trap();   /* a name the reader must never hand out */
	if (++w->entries > 5000)
		return 1;
	if (w->ops->stat(w->fs, st->id, &again, &err) == 0 &&
	    (again.mode != st->mode || again.size != st->size))
		__builtin_trap();   /* the same file seen two ways */
	if (S_ISDIR(st->mode) && w->depth < 12) {
		w->depth++;
		lb_err_clear(&err);
		w->ops->readdir(w->fs, st->id, fuzz_fsr_entry, w, &err);
		w->depth--;
	} else if (S_ISREG(st->mode)) {
		for (uint64_t off = 0; off < st->size && w->bytes < (16u << 20);) {
			size_t n = st->size - off < sizeof w->buf ? (size_t)(st->size - off) : sizeof w->buf;
			lb_err_clear(&err);
			if (w->ops->map) {
				int data = -1;
				uint64_t run = 0;
				if (w->ops->map(w->fs, st->id, off, &data, &run, &err) == 0 &&
				    (run < 1 || run > st->size - off || (data != 0 && data != 1)))
					__builtin_trap();
				lb_err_clear(&err);
			}
			if (w->ops->pread(w->fs, st->id, w->buf, n, off, &err))
				break;
			off += n;
			w->bytes += n;
		}
	} else if (S_ISLNK(st->mode) && w->ops->readlink) {
		char t[4096];
		if (w->ops->readlink(w->fs, st->id, t, sizeof t, &err) == 0 && !memchr(t, 0, sizeof t))
			__builtin_trap();
	}
	return 0;
}

static inline void fuzz_fsr_walk(const struct lb_fsr_ops *ops, struct lb_dev *d)
{
	struct fuzz_fsr *w = calloc(1, sizeof *w);
	struct lb_err err = { 0 };
	struct lb_fsr_stat st;
	if (!w)
		abort();
	w->ops = ops;
	if (ops->open(d, 0, d->size, &w->fs, &err) == 0) {
		lb_err_clear(&err);
		ops->stat(w->fs, ops->root(w->fs), &st, &err);
		lb_err_clear(&err);
		ops->readdir(w->fs, ops->root(w->fs), fuzz_fsr_entry, w, &err);
		ops->close(w->fs);
	}
#ifdef LB_FUZZ_REPLAY
	if (getenv("LB_FUZZ_VERBOSE"))
		fprintf(stderr, "%s: %u entries, %llu bytes read\n", ops->name, w->entries,
		        (unsigned long long)w->bytes);
#endif
	free(w);
}
#endif
