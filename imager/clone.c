/* Clone: the backup's reader and the restore's writer joined directly, no image in between. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "chunker.h"
#include "err.h"
#include "mapfile.h"
#include "plan.h"
#include "progress.h"
#include "rescue.h"
#include "safety.h"
#include "twrite.h"

struct cctx {
	struct lb_chunker ch;        /* first: the chunker's callbacks take the pipeline ctx as it */
	struct lb_twriter tw;
	struct lb_plan plan;
	struct lb_prog prog;
	uint64_t done;
	struct lb_map map;           /* with --mapfile */
};

/* A partition table counts sectors, so a disk with one is cloned only onto a disk of the same
 * logical sector size; a lone filesystem only onto sectors no larger than its own unit. */
static int check_sector(const struct lb_clone_opts *o, struct lb_dev *src,
                        const struct lb_plan *plan, unsigned tsec, struct lb_err *err)
{
	unsigned ssec = lb_layout_sector(src, &plan->table), unit;
	uint8_t head[2048];
	const char *what;
	if (strcmp(plan->table.type, "none")) {
		if (ssec == tsec)
			return 0;
		return lb_fail(err, LB_EREFUSED, "refusing to clone: %s has %u-byte logical sectors, "
		               "but %s has %u-byte sectors, and its partition table (%s) counts sectors "
		               "of that size, so it would not be readable on %s. Clone onto a disk with "
		               "%u-byte sectors", o->target, tsec, o->source, ssec, plan->table.type,
		               o->target, ssec);
	}
	if (src->size < sizeof head || lb_dev_pread(src, head, sizeof head, 0))
		return 0;   /* nothing known, nothing refused; an unreadable start is the copy's business */
	unit = lb_fs_unit(head, sizeof head, &what);
	if (!unit || unit >= tsec)
		return 0;
	return lb_fail(err, LB_EREFUSED, "refusing to clone: %s holds a %s of %u bytes, which cannot "
	               "live on %s with its %u-byte logical sectors (Linux will not mount it there). "
	               "Clone it onto a disk with sectors of at most %u bytes", o->source, what, unit,
	               o->target, tsec, unit);
}

static int check(const struct lb_clone_opts *o, struct lb_dev *src, struct lb_plan *plan,
                 struct lb_target_plan *p, struct lb_err *err)
{
	struct lb_dev t;
	char need[32], have[32];
	int rc;
	memset(p, 0, sizeof *p);
	if (!o->source || !o->target)
		return lb_fail(err, LB_EUSAGE, "clone needs a source and a target");
	if ((rc = lb_check_target(o->target, NULL, o->source, err)))
		return rc;
	if ((rc = lb_dev_open(src, o->source, 0, err)))
		return rc;
	if ((rc = lb_check_source(src, "clone", o->allow_mounted, NULL, 0, err)))
		goto fail;
	if ((rc = lb_plan_build(src, NULL, 0, o->keep_unallocated ? LB_PLAN_KEEP_UNALLOC : 0, plan,
	                        err)))
		goto fail;
	if ((rc = lb_dev_open(&t, o->target, 0, err)))
		goto fail_plan;
	snprintf(p->target, sizeof p->target, "%s", o->target);
	p->target_size = t.size;
	p->image_size = src->size;
	p->needed = plan->min_size;
	p->grows = t.size > src->size;
	p->shrinks = t.size < src->size;
	if (t.is_blk) {
		struct lb_disk_info id;
		memset(&id, 0, sizeof id);
		lb_disk_probe(o->target, &id, NULL);
		snprintf(p->model, sizeof p->model, "%s", id.model);
		snprintf(p->serial, sizeof p->serial, "%s", id.serial);
		snprintf(p->transport, sizeof p->transport, "%s", id.transport);
		lb_disk_free(&id);
	}
	lb_dev_close(&t);
	if (t.is_blk && (rc = check_sector(o, src, plan, t.lsec, err)))
		goto fail_plan;
	if (p->target_size < p->needed) {
		rc = lb_fail(err, LB_ETOOSMALL, "%s is too small: cloning %s needs at least %llu bytes "
		             "(%s), it has %llu (%s); %llu bytes are missing", o->target, o->source,
		             (unsigned long long)p->needed, lb_human_size(p->needed, need, sizeof need),
		             (unsigned long long)p->target_size,
		             lb_human_size(p->target_size, have, sizeof have),
		             (unsigned long long)(p->needed - p->target_size));
		goto fail_plan;
	}
	snprintf(p->summary, sizeof p->summary, "erase %s%s%s (%s) with a copy of %s", o->target,
	         p->model[0] ? ", " : "", p->model, lb_human_size(p->target_size, have, sizeof have),
	         o->source);
	return 0;
fail_plan:
	lb_plan_free(plan);
fail:
	lb_dev_close(src);
	return rc;
}

int lb_clone_prepare(const struct lb_clone_opts *o, struct lb_target_plan *p, struct lb_err *err)
{
	struct lb_dev src;
	struct lb_plan plan;
	int rc = check(o, &src, &plan, p, err);
	if (!rc) {
		lb_plan_free(&plan);
		lb_dev_close(&src);
	}
	return rc;
}

static int consume(void *ctx, struct lb_slot *s, struct lb_err *err)
{
	struct cctx *c = ctx;
	int rc = lb_tw_write(&c->tw, s, err);
	if (rc)
		return rc;
	/* the mapfile says copied only once it is on the target: a resumed run trusts it */
	if (c->ch.map)
		for (uint32_t i = 0; i < s->next; i++)
			lb_map_mark(c->ch.map, s->flags & LB_CHUNK_PATCH ? LB_MAP_PATCHED : LB_MAP_WRITTEN,
			            s->ext[i].off, s->ext[i].len);
	if (!(s->flags & LB_CHUNK_PATCH))
		c->done += s->len;   /* patches were counted (as zeros) in the first pass */
	c->prog.p.out_bytes = c->tw.written;
	c->prog.p.bad_bytes = c->ch.bad_bytes;
	return 0;
}

static int tick(void *ctx)
{
	struct cctx *c = ctx;
	return lb_rescue_tick(&c->ch, &c->prog, c->done);
}

/* --mapfile naming an existing file: an earlier run was interrupted. What it copied is on the
 * target already, what it found unreadable is zeros there: this run reads neither again
 * (the unreadable ranges only with retries). */
static int resume(struct cctx *c, const struct lb_clone_opts *o, struct lb_dev *src,
                  struct lb_report *rep, struct lb_err *err)
{
	struct lb_extents done, bad;
	int rc = lb_map_load(o->mapfile, src->size, &done, &bad, err);
	if (rc == 1)
		return lb_map_init(&c->map, o->mapfile, src->size, NULL, NULL, err);
	if (rc)
		return rc;
	for (size_t i = 0; i < done.n && !rc; i++)
		rc = lb_ext_subtract(&c->plan.ext, done.v[i].off, done.v[i].len);
	for (size_t i = 0; i < bad.n && !rc; i++)
		rc = lb_ext_subtract(&c->plan.ext, bad.v[i].off, bad.v[i].len);
	if (rc || lb_rescue_known_bad(&c->ch, &bad))
		rc = lb_fail(err, LB_ENOMEM, "out of memory");
	rep->bytes_same = lb_ext_total(&done);
	c->plan.total = lb_ext_total(&c->plan.ext);
	if (!rc)
		rc = lb_map_init(&c->map, o->mapfile, src->size, &done, &bad, err);
	lb_ext_free(&done);
	lb_ext_free(&bad);
	return rc;
}

int lb_clone(const struct lb_clone_opts *o, struct lb_report *rep, struct lb_err *err)
{
	struct cctx *c = calloc(1, sizeof *c);
	struct lb_target_plan tp;
	struct lb_dev src;
	struct lb_pipe_ops ops;
	double t0 = lb_now();
	int rc, tw_open = 0;
	memset(rep, 0, sizeof *rep);
	if (!c)
		return lb_fail(err, LB_ENOMEM, "out of memory");
	lb_prog_init(&c->prog, o->progress, o->progress_ctx);
	if ((rc = check(o, &src, &c->plan, &tp, err))) {
		free(c);
		return rc;
	}
	lb_check_source(&src, "clone", 1, rep->source_note, sizeof rep->source_note, err);
	if (lb_plan_to_report(&c->plan, rep) || lb_chunker_init(&c->ch, &src, &c->plan, 0, 0)) {
		rc = lb_fail(err, LB_ENOMEM, "out of memory");
		goto out;
	}
	if (o->mapfile) {
		if ((rc = resume(c, o, &src, rep, err)))
			goto out;
		c->ch.map = &c->map;
	}
	if ((rc = lb_tw_open(&c->tw, o->target, err)))
		goto out;
	tw_open = 1;
	c->tw.readback = o->verify;
	c->tw.sum_kind = LB_SUM_XXH128;   /* the chunker's checksums */
	c->tw.lo = 0;
	c->tw.hi = src.size < c->tw.dev.size ? src.size : c->tw.dev.size;
	/* resuming: ranges an earlier run found unreadable must be zeros on the target, even if
	 * the mapfile came from elsewhere (ddrescue, a backup) */
	for (size_t i = 0; i < c->ch.bad.n; i++) {
		uint64_t off = c->ch.bad.v[i].off, len = c->ch.bad.v[i].len;
		if (off < c->tw.hi && (rc = lb_dev_zero(&c->tw.dev, off, len < c->tw.hi - off ? len :
		                                        c->tw.hi - off, err)))
			goto out;
	}
	lb_prog_phase(&c->prog, LB_PHASE_COPY, c->plan.total);
	memset(&ops, 0, sizeof ops);
	ops.ctx = c;
	lb_chunker_ops(&ops);
	ops.consume = consume;
	ops.tick = tick;
	if ((rc = lb_pipeline_run(&ops, o->threads, err)))
		goto out;
	/* failing disk: come back to the pieces that failed, now that the good data is copied,
	 * exactly as a backup does */
	if (lb_chunker_start_rescue(&c->ch, o->retries > 0 ? o->retries : 0) &&
	    (rc = lb_pipeline_run(&ops, o->threads, err)))
		goto out;
	lb_ext_normalize(&c->ch.bad);
	rep->bytes_read = c->done;
	rep->bytes_written = c->tw.written;
	lb_rescue_report(&c->plan, &src, &c->ch.bad, rep);
	for (size_t i = 0; i < c->ch.bad.n; i++)
		if (lb_ext_push(&c->tw.bad, c->ch.bad.v[i].off, c->ch.bad.v[i].len) < 0) {
			rc = lb_fail(err, LB_ENOMEM, "out of memory");
			goto out;
		}
	if ((rc = lb_tw_finish(&c->tw, o->verify, !strcmp(c->plan.table.type, "gpt") ? src.size : 0, 1,
	                       &c->prog, rep, err)))
		goto out;
	if (c->ch.map) {
		c->map.finished = 1;
		if ((rc = lb_map_save(c->ch.map, 1, err)))
			goto out;
	}
	lb_prog_phase(&c->prog, LB_PHASE_FINISH, c->done);
	lb_prog_update(&c->prog, c->done, 1);
out:
	if (c->ch.map) {
		struct lb_err ignored;
		if (rc)
			lb_map_save(c->ch.map, 1, &ignored);   /* what is on the target, to resume from */
		lb_map_free(c->ch.map);
	}
	if (tw_open)
		lb_tw_close(&c->tw);
	lb_chunker_free(&c->ch);
	lb_plan_free(&c->plan);
	lb_dev_close(&src);
	rep->seconds = lb_now() - t0;
	free(c);
	return rc;
}
