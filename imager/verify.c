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
#include "twrite.h"

struct vctx {
	struct lb_image img;
	struct lb_dev dev;
	int against;
	struct lb_prog prog;
	uint64_t done;
	uint8_t *buf;
	size_t cap;
	const char *name;
	/* --against, chunks with unreadable sectors: their zero-filled bytes are the patches'
	 * ranges plus the final unreadable ranges, known only at the end; so each is checked then,
	 * by its checksum with those bytes taken as zeros (twrite.h) */
	struct lb_vrec *badv;
	size_t nbadv, capbadv;
	struct lb_extents bad_ext, patched;
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
	if (!v->against)
		return 0;
	if (s->flags & LB_CHUNK_BAD) {
		struct lb_vrec vr = { v->bad_ext.n, s->next, s->crc, s->codec == LB_CODEC_ZERO, 0, 1 };
		if (v->nbadv == v->capbadv) {
			size_t cap = v->capbadv ? v->capbadv * 2 : 64;
			struct lb_vrec *nv = realloc(v->badv, cap * sizeof *nv);
			if (!nv)
				return lb_fail(err, LB_ENOMEM, "out of memory");
			v->badv = nv;
			v->capbadv = cap;
		}
		for (uint32_t i = 0; i < s->next; i++)
			if (lb_ext_push(&v->bad_ext, s->ext[i].off, s->ext[i].len) < 0)
				return lb_fail(err, LB_ENOMEM, "out of memory");
		v->badv[v->nbadv++] = vr;
		return 0;
	}
	for (uint32_t i = 0; i < s->next; i++) {
		if ((s->flags & LB_CHUNK_PATCH) && lb_ext_push(&v->patched, s->ext[i].off, s->ext[i].len) < 0)
			return lb_fail(err, LB_ENOMEM, "out of memory");
	}
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

/* The chunks with unreadable sectors, once the patches and the final bad ranges are known:
 * every byte but the unreadable ones is compared (patched bytes by their patch chunks). */
static int check_bad_chunks(struct vctx *v, struct lb_err *err)
{
	struct lb_extents bad = { 0 }, mask = { 0 };
	int rc = 0, same;
	if (v->img.bad_partial)
		return lb_fail(err, LB_EUNSUPPORTED, "the image lists more than %u unreadable ranges: "
		               "the chunks holding them cannot be compared with %s", LB_KEEP_BAD,
		               v->dev.path);
	for (size_t i = 0; i < v->img.bad.n && !rc; i++)
		if (lb_ext_push(&bad, v->img.bad.v[i].off, v->img.bad.v[i].len) < 0)
			rc = -1;
	if (rc || lb_ext_union(&v->patched, &bad, &mask)) {
		rc = lb_fail(err, LB_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < v->nbadv && !rc; i++) {
		const struct lb_vrec *vr = &v->badv[i];
		const struct lb_extent *e = &v->bad_ext.v[vr->first];
		uint64_t end = e[vr->next - 1].off + e[vr->next - 1].len;
		if (end > v->dev.size) {
			rc = lb_fail(err, LB_EMISMATCH, "%s differs from the image: it is smaller (%llu "
			             "bytes) than the data at offset %llu", v->dev.path,
			             (unsigned long long)v->dev.size, (unsigned long long)e[0].off);
			break;
		}
		if ((rc = lb_tw_check_rec(&v->dev, e, vr->next, vr->crc, vr->zero, 0, 0, &mask, v->buf,
		                          v->img.info.chunk_size, &same, err)))
			break;
		if (!same)
			rc = lb_fail(err, LB_EMISMATCH, "%s differs from the image between offsets %llu and "
			             "%llu (in a chunk that holds unreadable sectors; those were not "
			             "compared)", v->dev.path, (unsigned long long)e[0].off,
			             (unsigned long long)end);
	}
out:
	lb_ext_free(&bad);
	lb_ext_free(&mask);
	return rc;
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
	if (v->against && (rc = check_bad_chunks(v, err)))
		goto out;
	rep->verified = 1;
	rep->bytes_read = v->img.r.file_bytes;
	rep->bytes_planned = v->done;
	lb_prog_phase(&v->prog, LB_PHASE_FINISH, v->done);
	lb_prog_update(&v->prog, v->done, 1);
out:
	lb_dev_close(&v->dev);
	free(v->buf);
	free(v->badv);
	lb_ext_free(&v->bad_ext);
	lb_ext_free(&v->patched);
	lb_image_close(&v->img);
out_free:
	rep->seconds = lb_now() - t0;
	free(v);
	return rc;
}
