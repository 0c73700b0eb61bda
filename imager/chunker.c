/* Reading planned extents into chunks, and compressing them. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include "chunker.h"
#include "codec.h"
#include "err.h"
#include "le.h"
#include "ptable.h"
#include "rescue.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int lb_chunker_init(struct lb_chunker *c, struct lb_dev *src, const struct lb_plan *plan,
                    unsigned codec, int level)
{
	memset(c, 0, sizeof *c);
	c->src = src;
	c->plan = plan;
	c->codec = codec;
	c->level = level;
	c->bounds = malloc(((size_t)plan->nparts * 2 + 1) * sizeof *c->bounds);
	if (!c->bounds)
		return -ENOMEM;
	for (int i = 0; i < plan->nparts; i++) {
		c->bounds[c->nbounds++] = plan->parts[i].start;
		c->bounds[c->nbounds++] = plan->parts[i].start + plan->parts[i].size;
	}
	qsort(c->bounds, c->nbounds, sizeof *c->bounds, cmp_u64);
	c->no_holes = src->is_blk;   /* block devices are read whole (zeros found per chunk) */
	return 0;
}

void lb_chunker_free(struct lb_chunker *c)
{
	free(c->bounds);
	c->bounds = NULL;
	lb_ext_free(&c->pending);
	lb_ext_free(&c->bad);
}

/* The first partition boundary after off (UINT64_MAX when none). */
static uint64_t next_bound(const struct lb_chunker *c, uint64_t off)
{
	for (size_t i = 0; i < c->nbounds; i++)
		if (c->bounds[i] > off)
			return c->bounds[i];
	return UINT64_MAX;
}

/* Shorter holes are read like data (the kernel makes that cheap), so images of small disks
 * keep their 1 MiB chunks and `restore --resume` rewrites no more than it did. */
#define HOLE_MIN (32u << 20)

/* Disk-image files: the length of the hole at off (at most max) as the filesystem reports it
 * (SEEK_DATA), so a sparse 64 TiB image is not read byte by byte. Injected faults stay
 * faults: a hole ends where one starts. 0 when off is data. */
static uint64_t hole_at(struct lb_chunker *c, uint64_t off, uint64_t max)
{
	int64_t d;
	uint64_t hole;
	if (c->no_holes || off < c->data_until)
		return 0;
	d = lb_dev_seek(c->src, off, SEEK_DATA);   /* the fault layer makes faults data */
	if (d == -ENXIO)
		d = (int64_t)c->src->size;   /* no data after off */
	else if (d < 0) {
		c->no_holes = 1;
		return 0;
	}
	if ((uint64_t)d <= off) {
		int64_t h = lb_dev_seek(c->src, off, SEEK_HOLE);
		if (h < 0)
			c->no_holes = 1;
		else
			c->data_until = (uint64_t)h;
		return 0;
	}
	hole = (uint64_t)d - off < max ? (uint64_t)d - off : max;
	return hole;
}

int lb_chunker_produce(void *ctx, struct lb_slot *s, struct lb_err *err)
{
	struct lb_chunker *c = ctx;
	int rc;
	if (c->rescue)
		return lb_rescue_produce(c, s, err);
	const struct lb_extents *x = &c->plan->ext;
	uint64_t limit = 0;
	uint32_t room = LB_CHUNK_SIZE;

	if (c->ext_i >= x->n)
		return 1;
	s->offset = x->v[c->ext_i].off + c->ext_pos;
	limit = next_bound(c, s->offset);
	{
		uint64_t left = x->v[c->ext_i].len - c->ext_pos, hole;
		if (left > limit - s->offset)
			left = limit - s->offset;
		if (s->offset < c->src->size && left > c->src->size - s->offset)
			left = c->src->size - s->offset;
		hole = hole_at(c, s->offset, left < LB_MAX_ZERO ? left : LB_MAX_ZERO);
		if (hole >= HOLE_MIN) {
			/* one zero chunk for the hole, up to LB_MAX_ZERO */
			s->ext[0].off = s->offset;
			s->ext[0].len = hole;
			s->next = 1;
			s->len = (uint32_t)hole;
			s->flags |= LB_SLOT_HOLE;
			c->ext_pos += hole;
			if (c->ext_pos == x->v[c->ext_i].len) {
				c->ext_i++;
				c->ext_pos = 0;
			}
			return 0;
		}
	}
	while (room && c->ext_i < x->n && s->next < LB_SLOT_MAX_EXTENTS) {
		uint64_t off = x->v[c->ext_i].off + c->ext_pos;
		uint64_t left = x->v[c->ext_i].len - c->ext_pos;
		uint32_t take;
		if (off >= limit)
			break;
		if (left > limit - off)
			left = limit - off;
		take = left < room ? (uint32_t)left : room;
		if (off > c->src->size || take > c->src->size - off)
			return lb_fail(err, LB_EIO, "the plan reads past the end of %s", c->src->path);
		/* a piece that fails is zero-filled and read finely in the rescue passes */
		if ((rc = lb_rescue_pass1(c, s->in + s->len, take, off, err)) < 0)
			return -rc;
		if (rc)
			s->flags |= LB_CHUNK_BAD;
		if (s->next && s->ext[s->next - 1].off + s->ext[s->next - 1].len == off)
			s->ext[s->next - 1].len += take;
		else {
			s->ext[s->next].off = off;
			s->ext[s->next].len = take;
			s->next++;
		}
		s->len += take;
		room -= take;
		c->ext_pos += take;
		if (c->ext_pos == x->v[c->ext_i].len) {
			c->ext_i++;
			c->ext_pos = 0;
		}
	}
	s->in_len = s->len;
	return 0;
}

size_t lb_chunker_out_cap(void)
{
	/* compressed data is always shorter than the chunk (else it is stored) */
	return (size_t)LB_SLOT_MAX_EXTENTS * 16 + LB_SUM_LEN + LB_CHUNK_SIZE + LB_SEAL_LEN;
}

void lb_chunker_ops(struct lb_pipe_ops *ops)
{
	ops->in_cap = LB_CHUNK_SIZE;
	ops->out_cap = lb_chunker_out_cap();
	ops->produce = lb_chunker_produce;
	ops->worker_init = lb_chunker_worker_init;
	ops->worker_fini = lb_chunker_worker_fini;
	ops->work = lb_chunker_work;
}

struct wscratch {
	struct lb_enc *enc;          /* NULL: chunks are stored (deflate level 0) */
	int oom;
};

void *lb_chunker_worker_init(void *ctx)
{
	struct lb_chunker *c = ctx;
	struct wscratch *w = calloc(1, sizeof *w);
	if (w && c->codec && !(c->codec == LB_CODEC_DEFLATE && c->level == 0))
		w->oom = !(w->enc = lb_enc_new(c->codec, c->level));
	return w;
}

void lb_chunker_worker_fini(void *wctx)
{
	struct wscratch *w = wctx;
	if (w)
		lb_enc_free(w->enc);
	free(w);
}

int lb_is_zero(const uint8_t *p, size_t n)
{
	/* word-at-a-time; compilers vectorise this */
	size_t i = 0;
	uint64_t acc = 0;
	for (; i + 64 <= n; i += 64) {
		uint64_t w[8];
		memcpy(w, p + i, 64);
		acc |= w[0] | w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7];
		if (acc)
			return 0;
	}
	for (; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

int lb_dev_check_zero(struct lb_dev *d, uint64_t off, uint64_t len, uint8_t *buf, size_t cap,
                      uint64_t *at, struct lb_err *err)
{
	uint64_t end = off + len;
	while (off < end) {
		size_t n;
		int rc;
		if (!d->is_blk) {
			int64_t data = lb_dev_seek(d, off, SEEK_DATA);
			if (data == -ENXIO)
				return 0;   /* a hole up to the end of the file */
			if (data > 0 && (uint64_t)data > off) {
				off = (uint64_t)data;
				continue;
			}
		}
		n = end - off < cap ? (size_t)(end - off) : cap;
		if ((rc = lb_dev_read(d, buf, n, off, err)))
			return rc;
		if (!lb_is_zero(buf, n)) {
			size_t i = 0;
			while (!buf[i])
				i++;
			*at = off + i;
			return -1;
		}
		off += n;
	}
	return 0;
}

size_t lb_chunk_table(const struct lb_slot *s, uint8_t *buf)
{
	if (s->next <= 1)
		return 0;
	for (uint32_t i = 0; i < s->next; i++) {
		put64(buf + (size_t)i * 16, s->ext[i].off);
		put64(buf + (size_t)i * 16 + 8, s->ext[i].len);
	}
	return (size_t)s->next * 16;
}

void lb_chunker_work(void *ctx, void *wctx, struct lb_slot *s)
{
	struct lb_chunker *c = ctx;
	struct wscratch *w = wctx;
	size_t table = lb_chunk_table(s, s->out), n = 0;
	uint8_t *data;
	s->out_len = table;
	if ((s->flags & LB_SLOT_HOLE) || lb_is_zero(s->in, s->len)) {
		/* a hole is never read: s->in holds nothing; zero chunks carry no checksum */
		s->codec = LB_CODEC_ZERO;
		s->data = NULL;
		s->crc = lb_crc32(0, s->out, table);
		return;
	}
	s->data = s->in;
	lb_sum_of(LB_SUM_XXH128, s->out, table, s->in, s->len, &s->sum);
	if (!c->codec) {
		s->codec = LB_CODEC_STORED;   /* clone: the checksum is for the read-back */
		return;
	}
	if (!w || w->oom) {
		s->err_code = LB_ENOMEM;
		snprintf(s->err_msg, sizeof s->err_msg, "out of memory for a compressor");
		return;
	}
	memcpy(s->out + table, s->sum.v, LB_SUM_LEN);
	data = s->out + table + LB_SUM_LEN;
	if (w->enc)
		n = lb_enc_run(w->enc, s->in, s->len, data, s->len - 1);
	if (n) {
		s->codec = c->codec;
	} else {
		/* did not shrink: kept as it is, in the same buffer, so the payload is one piece */
		s->codec = LB_CODEC_STORED;
		memcpy(data, s->in, s->len);
		n = s->len;
	}
	s->out_len = table + LB_SUM_LEN + n;
	s->crc = lb_crc32(0, s->out, s->out_len);
}
