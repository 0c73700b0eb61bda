/* Failing sources: pass 1's skipping, the rescue passes, and telling a vanished disk from a bad
 * sector. Everything here runs on the pipeline's producer thread. */
#include <errno.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include "err.h"
#include "mapfile.h"
#include "rescue.h"

#define BLOCK (64u << 10)          /* rescue reads: what O_DIRECT takes in one go */
#define SKIP_FIRST (1u << 20)      /* pass 1: distance skipped after the first failure */
#define SKIP_MAX (1ULL << 30)

/* A failing read: did the disk go away (unplugged, reset, dead controller) rather than meet a
 * bad sector? Then reading on only grinds through errors, and the run must stop. */
static int vanished(struct lb_dev *d, int r)
{
	uint64_t size = 0;
	if (r == -ENODEV || r == -ENXIO || r == -ENOMEDIUM)
		return 1;
	return lb_dev_get_size(d, &size) < 0 || size < d->size;
}

static int gone(struct lb_chunker *c, uint64_t off, struct lb_err *err)
{
	return lb_fail(err, LB_EIO, "%s disappeared at offset %llu (unplugged, powered off, or "
	               "it stopped answering); the copy stopped there, not taking the rest for bad "
	               "sectors. Reconnect it and run the same command again", c->src->path,
	               (unsigned long long)off);
}

static int note_pending(struct lb_chunker *c, uint64_t off, uint64_t len, struct lb_err *err)
{
	if (lb_ext_add(&c->pending, off, len) < 0)
		return lb_fail(err, LB_ENOMEM, "out of memory");
	c->bad_bytes += len;
	if (c->map)
		lb_map_mark(c->map, LB_MAP_PENDING, off, len);
	return 0;
}

static int note_bad(struct lb_chunker *c, uint64_t off, uint64_t len, struct lb_err *err)
{
	if (lb_ext_add(&c->bad, off, len) < 0)
		return lb_fail(err, LB_ENOMEM, "out of memory");
	if (c->map)
		lb_map_mark(c->map, LB_MAP_BAD, off, len);
	return 0;
}

int lb_rescue_pass1(struct lb_chunker *c, uint8_t *buf, uint32_t len, uint64_t off,
                    struct lb_err *err)
{
	uint64_t end = off + len, cap = c->src->size / 100;
	int any = 0, r;
	if (cap < 16 * SKIP_FIRST)
		cap = 16 * SKIP_FIRST;
	if (cap > SKIP_MAX)
		cap = SKIP_MAX;
	while (off < end) {
		uint64_t n = end - off;
		if (atomic_load(&c->cancel))
			return -lb_fail(err, LB_ECANCELLED, "cancelled");
		if (off < c->skip_until) {
			/* inside the distance skipped after a failure: not read now, the rescue
			 * passes come back for it once the rest is saved */
			if (n > c->skip_until - off)
				n = c->skip_until - off;
			memset(buf, 0, n);
		} else if ((r = lb_dev_pread(c->src, buf, n, off)) == 0) {
			c->skip = 0;   /* a good read: out of the bad zone */
			buf += n;
			off += n;
			continue;
		} else if (vanished(c->src, r)) {
			return -gone(c, off, err);
		} else {
			memset(buf, 0, n);
			c->skip = c->skip ? (c->skip * 2 > cap ? cap : c->skip * 2) : SKIP_FIRST;
			c->skip_until = off + n + c->skip;
		}
		if ((r = note_pending(c, off, n, err)))
			return -r;
		any = 1;
		buf += n;
		off += n;
	}
	return any;
}

int lb_rescue_known_bad(struct lb_chunker *c, const struct lb_extents *bad)
{
	for (size_t i = 0; i < bad->n; i++) {
		if (lb_ext_add(&c->bad, bad->v[i].off, bad->v[i].len) < 0)
			return -ENOMEM;
		c->bad_bytes += bad->v[i].len;
	}
	return 0;
}

int lb_chunker_start_rescue(struct lb_chunker *c, int retries)
{
	c->rescue = 1;
	c->retries = retries;
	c->pend_i = 0;
	c->pend_pos = 0;
	lb_ext_normalize(&c->pending);
	if (!c->pending.n && retries && c->bad.n) {
		/* only ranges known bad from an earlier run: straight to the retry passes */
		c->retries--;
		c->sector_only = 1;
		lb_ext_normalize(&c->bad);
		c->pending = c->bad;
		memset(&c->bad, 0, sizeof c->bad);
	}
	return c->pending.n > 0;
}

/* Appends [off, off+len) just read into s; merges with the previous extent when adjacent. */
static void slot_append(struct lb_slot *s, uint64_t off, uint32_t len)
{
	if (s->next && s->ext[s->next - 1].off + s->ext[s->next - 1].len == off)
		s->ext[s->next - 1].len += len;
	else {
		s->ext[s->next].off = off;
		s->ext[s->next].len = len;
		s->next++;
	}
	s->len += len;
}

/* Reads one sector (or the end of a piece) into s, or notes it bad. */
static int read_sector(struct lb_chunker *c, struct lb_slot *s, uint64_t off, uint32_t m,
                       struct lb_err *err)
{
	int r = lb_dev_pread_direct(c->src, s->in + s->len, m, off);
	if (!r) {
		slot_append(s, off, m);
		c->bad_bytes -= m;
		return 0;
	}
	if (vanished(c->src, r))
		return gone(c, off, err);
	return note_bad(c, off, m, err);
}

/* Rescue passes: fill a patch chunk with what can now be read of the pending pieces, in
 * blocks, then sector by sector where a block fails (a sector is read on its own once). What
 * still fails goes to c->bad; further passes (retries) go over c->bad sector by sector. The
 * cancel flag is checked before every read, so a long pass over slow bad sectors stops within
 * one read of Ctrl-C. */
int lb_rescue_produce(struct lb_chunker *c, struct lb_slot *s, struct lb_err *err)
{
	unsigned sec = c->src->lsec ? c->src->lsec : 512;
	int rc;
	for (;;) {
		while (c->pend_i < c->pending.n) {
			struct lb_extent *e = &c->pending.v[c->pend_i];
			uint64_t off = e->off + c->pend_pos, left = e->len - c->pend_pos;
			uint32_t blk = c->sector_only ? sec : BLOCK, n;
			if (!left) {
				c->pend_i++;
				c->pend_pos = 0;
				continue;
			}
			if (s->len + blk > LB_CHUNK_SIZE || s->next + 2 >= LB_SLOT_MAX_EXTENTS) {
				if (s->len)
					goto full;
				return lb_fail(err, LB_EIO, "internal: rescue chunk too small");
			}
			if (atomic_load(&c->cancel))
				return lb_fail(err, LB_ECANCELLED, "cancelled");
			n = left < blk ? (uint32_t)left : blk;
			if (n <= sec) {
				if ((rc = read_sector(c, s, off, n, err)))
					return rc;
			} else {
				/* a block first (fast where only a few sectors are bad), then its sectors */
				int r = lb_dev_pread_direct(c->src, s->in + s->len, n, off);
				if (!r) {
					slot_append(s, off, n);
					c->bad_bytes -= n;
				} else if (vanished(c->src, r)) {
					return gone(c, off, err);
				} else {
					for (uint32_t k = 0; k < n; k += sec) {
						if (atomic_load(&c->cancel))
							return lb_fail(err, LB_ECANCELLED, "cancelled");
						if ((rc = read_sector(c, s, off + k, n - k < sec ? n - k : sec,
						                      err)))
							return rc;
					}
				}
			}
			c->pend_pos += n;
		}
		if (s->len)
			goto full;
		if (!c->retries || !c->bad.n)
			return 1;
		/* another pass over what is still bad, one read per sector */
		c->retries--;
		c->sector_only = 1;
		lb_ext_free(&c->pending);
		lb_ext_normalize(&c->bad);
		c->pending = c->bad;
		memset(&c->bad, 0, sizeof c->bad);
		c->pend_i = 0;
		c->pend_pos = 0;
	}
full:
	s->offset = s->ext[0].off;
	s->in_len = s->len;
	s->flags |= LB_CHUNK_PATCH;
	return 0;
}

void lb_rescue_report(const struct lb_plan *plan, struct lb_dev *src, const struct lb_extents *bad,
                      struct lb_report *rep)
{
	if (!bad->n)
		return;
	rep->bad = malloc(bad->n * sizeof *rep->bad);
	for (size_t i = 0; rep->bad && i < bad->n; i++) {
		rep->bad[i][0] = bad->v[i].off;
		rep->bad[i][1] = bad->v[i].len;
	}
	rep->nbad = rep->bad ? (int)bad->n : 0;
	rep->bad_bytes = lb_ext_total(bad);
	for (int i = 0; i < plan->nparts; i++) {
		const struct lb_plan_part *p = &plan->parts[i];
		const struct lb_fs_ops *fs;
		struct lb_fs_info info;
		char *text = NULL;
		uint64_t hit = 0;
		for (size_t k = 0; k < bad->n; k++) {
			uint64_t s = bad->v[k].off, e = s + bad->v[k].len;
			if (s < p->start + p->size && e > p->start)
				hit += (e < p->start + p->size ? e : p->start + p->size) - (s > p->start ? s : p->start);
		}
		if (!hit)
			continue;
		fs = lb_fs_probe(src, p->start, p->size, &info);
		if (fs && fs->damage && !strcmp(p->method, "used"))
			fs->damage(src, p->start, p->size, bad, &text);
		lb_text_add(&rep->damage, "partition %d (%s%s%s): %llu unreadable bytes%s", p->number,
		            p->fs[0] ? p->fs : "unknown", p->label[0] ? ", " : "", p->label,
		            (unsigned long long)hit, text ? ", which hit:" : "");
		if (text) {
			size_t n = strlen(text);
			if (n && text[n - 1] == '\n')
				text[n - 1] = 0;
			lb_text_add(&rep->damage, "%s", text);
			free(text);
		}
	}
}

int lb_rescue_tick(struct lb_chunker *c, struct lb_prog *prog, uint64_t done)
{
	struct lb_err ignored;
	if (c->map)
		lb_map_save(c->map, 0, &ignored);   /* a failure here is reported by the last save */
	if (lb_prog_update(prog, done, 0)) {
		atomic_store(&c->cancel, 1);
		return 1;
	}
	return 0;
}
