/* Verify: decode every chunk and check every checksum, the index and the totals; with
 * --against, also compare the image's data with a disk. */
#include <libdeflate.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "chunker.h"
#include "err.h"
#include "image.h"
#include "progress.h"

struct vctx {
	struct lb_image img;
	struct lb_dev dev;
	int against;
	struct lb_prog prog;
	uint64_t done;
	uint8_t *buf;
	size_t cap;
	const char *name;
};

static int produce(void *ctx, struct lb_slot *s, struct lb_err *err)
{
	struct vctx *v = ctx;
	return lb_image_next(&v->img, s, v->cap, err);
}

static void work(void *ctx, void *w, struct lb_slot *s)
{
	struct vctx *v = ctx;
	lb_chunk_decode(w, s, v->name);
}

static int consume(void *ctx, struct lb_slot *s, struct lb_err *err)
{
	struct vctx *v = ctx;
	const uint8_t *p = s->data;
	v->done += s->len;
	if (!v->against || (s->flags & LB_CHUNK_BAD))
		return 0;   /* unreadable sectors read as zeros in the image: nothing to compare */
	for (uint32_t i = 0; i < s->next; i++) {
		uint64_t off = s->ext[i].off, len = s->ext[i].len;
		if (off > v->dev.size || len > v->dev.size - off)
			return lb_fail(err, LB_EMISMATCH, "%s differs from the image: it is smaller "
			               "(%llu bytes) than the data at offset %llu", v->dev.path,
			               (unsigned long long)v->dev.size, (unsigned long long)off);
		if (!p) {   /* zero chunks may be far larger than the buffer */
			uint64_t at = 0;
			int rc = lb_dev_check_zero(&v->dev, off, len, v->buf, v->img.info.chunk_size, &at,
			                           err);
			if (rc < 0)
				return lb_fail(err, LB_EMISMATCH, "%s differs from the image at offset %llu",
				               v->dev.path, (unsigned long long)at);
			if (rc)
				return rc;
			continue;
		}
		if (lb_dev_read(&v->dev, v->buf, len, off, err))
			return err->code;
		if (p ? memcmp(p, v->buf, len) : !lb_is_zero(v->buf, len)) {
			uint64_t at = 0;
			while (at < len && (p ? p[at] : 0) == v->buf[at])
				at++;
			return lb_fail(err, LB_EMISMATCH, "%s differs from the image at offset %llu",
			               v->dev.path, (unsigned long long)(off + at));
		}
		if (p)
			p += len;
	}
	return 0;
}

static int tick(void *ctx)
{
	struct vctx *v = ctx;
	return lb_prog_update(&v->prog, v->done, 0);
}

int lb_verify(const struct lb_verify_opts *o, struct lb_report *rep, struct lb_err *err)
{
	struct vctx *v = calloc(1, sizeof *v);
	struct lb_pipe_ops ops;
	double t0 = lb_now();
	int rc;
	memset(rep, 0, sizeof *rep);
	if (!v)
		return lb_fail(err, LB_ENOMEM, "out of memory");
	v->dev.fd = -1;
	v->name = strcmp(o->image, "-") ? o->image : "the image on standard input";
	lb_prog_init(&v->prog, o->progress, o->progress_ctx);
	if ((rc = lb_image_open(&v->img, o->image, err)))
		goto out_free;
	if (o->against) {
		if ((rc = lb_dev_open(&v->dev, o->against, 0, err)))
			goto out;
		v->against = 1;
		v->buf = malloc(v->img.info.chunk_size);
		if (!v->buf) {
			rc = lb_fail(err, LB_ENOMEM, "out of memory");
			goto out;
		}
	}
	v->cap = lb_image_in_cap(&v->img);
	lb_prog_phase(&v->prog, LB_PHASE_VERIFY, v->img.info.data_bytes);
	memset(&ops, 0, sizeof ops);
	ops.ctx = v;
	lb_image_ops(&v->img, &ops);
	ops.produce = produce;
	ops.work = work;
	ops.consume = consume;
	ops.tick = tick;
	if ((rc = lb_pipeline_run(&ops, o->threads, err)))
		goto out;
	rep->verified = 1;
	rep->bytes_read = v->img.r.file_bytes;
	rep->bytes_planned = v->done;
	lb_prog_phase(&v->prog, LB_PHASE_FINISH, v->done);
	lb_prog_update(&v->prog, v->done, 1);
out:
	lb_dev_close(&v->dev);
	free(v->buf);
	lb_image_close(&v->img);
out_free:
	rep->seconds = lb_now() - t0;
	free(v);
	return rc;
}
