/* Restore: check the image (for files: its end and index first), check the target, then write
 * chunk by chunk, each one verified before it is written; read back; fix the GPT for the size. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "err.h"
#include "image.h"
#include "progress.h"
#include "ptable.h"
#include "safety.h"
#include "twrite.h"

#define SLOT_SKIP 0x100u   /* internal: chunk outside what is restored */

struct rctx {
	struct lb_image img;         /* first: the decoders take the pipeline ctx as the image */
	struct lb_twriter tw;
	struct lb_prog prog;
	struct lb_report *rep;
	uint64_t done, lo, hi;
	const char *name;
	size_t cap;
	int resume;
	unsigned fs_sector;          /* the target's sector size the filesystem must fit (0 = any) */
	char where[300];             /* the target, for that message */
};

static const char *image_name(const char *path)
{
	return strcmp(path, "-") ? path : "the image on standard input";
}

/* Works out where the image goes on the target; fills p. The image must be open. A partition
 * table counts sectors: a whole-disk restore with one needs the sector size it was written
 * for. A filesystem restored alone (or a disk without a table) needs a sector size no larger
 * than its own unit; that is checked on its first bytes (check_fs_sector): *fs_sector gets
 * the target's sector size for it, 0 when any will do (an image file). */
static int place(const struct lb_restore_opts *o, const struct lb_image_info *info,
                 struct lb_target_plan *p, uint64_t *lo, uint64_t *hi, unsigned *fs_sector,
                 struct lb_err *err)
{
	struct lb_dev t;
	char need[32], have[32], shortby[32];
	int rc;
	memset(p, 0, sizeof *p);
	*fs_sector = 0;
	snprintf(p->target, sizeof p->target, "%s", o->target);
	if (!info->src_size)   /* made before backup refused empty sources */
		return lb_fail(err, LB_EREFUSED, "refusing to restore %s: it is the image of an empty "
		               "(0-byte) source and holds nothing", image_name(o->image));
	if ((rc = lb_check_target(o->target, o->image, NULL, err)))
		return rc;
	if ((rc = lb_dev_open(&t, o->target, 0, err)))
		return rc;
	p->target_size = t.size;
	if (t.is_blk) {
		struct lb_disk_info id;
		memset(&id, 0, sizeof id);
		lb_disk_probe(o->target, &id, NULL);
		snprintf(p->model, sizeof p->model, "%s", id.model);
		snprintf(p->serial, sizeof p->serial, "%s", id.serial);
		snprintf(p->transport, sizeof p->transport, "%s", id.transport);
		lb_disk_free(&id);
	} else {
		snprintf(p->transport, sizeof p->transport, "file");
	}
	if (!o->partition) {
		p->image_size = info->src_size;
		p->needed = info->min_size ? info->min_size : info->src_size;
		*lo = 0;
		*hi = info->src_size < t.size ? info->src_size : t.size;
		p->grows = t.size > info->src_size;
		p->shrinks = t.size < info->src_size;
		if (strcmp(info->table, "none") && info->lsec && t.is_blk && t.lsec != info->lsec) {
			rc = lb_fail(err, LB_EREFUSED, "refusing to restore: %s has %u-byte logical "
			             "sectors, but the image comes from a disk with %u-byte sectors, and "
			             "its partition table (%s) counts sectors of that size, so it would not "
			             "be readable on %s. Restore onto a disk with %u-byte sectors, or "
			             "restore the partitions one by one (--partition N --to M) into "
			             "partitions made on this disk", o->target, t.lsec, info->lsec,
			             info->table, o->target, info->lsec);
			goto out;
		}
		if (!strcmp(info->table, "none") && t.is_blk)
			*fs_sector = t.lsec;
	} else {
		const struct lb_plan_part *pp = NULL;
		for (int i = 0; i < info->nparts; i++)
			if (info->parts[i].number == o->partition)
				pp = &info->parts[i];
		if (!pp) {
			rc = lb_fail(err, LB_EUSAGE, "the image has no partition %d (see 'lifeboat info')",
			             o->partition);
			goto out;
		}
		if (!strcmp(pp->method, "skipped")) {
			rc = lb_fail(err, LB_EUSAGE, "partition %d was not included in this backup",
			             o->partition);
			goto out;
		}
		p->image_size = pp->size;
		p->needed = pp->size;
		*lo = pp->start;
		*hi = pp->start + pp->size;
		if (o->to_partition) {
			struct lb_ptable *pt = malloc(sizeof *pt);
			const struct lb_ptpart *tp;
			if (!pt) {
				rc = lb_fail(err, LB_ENOMEM, "out of memory");
				goto out;
			}
			rc = lb_ptable_read(&t, pt, err);
			tp = rc ? NULL : lb_ptable_find(pt, o->to_partition);
			if (!rc && (!tp || tp->container))
				rc = lb_fail(err, LB_EUSAGE, "%s has no partition %d to restore into (see "
				             "'lifeboat list')", o->target, o->to_partition);
			if (!rc) {
				p->write_offset = tp->start;
				p->target_size = tp->size;
				*fs_sector = lb_layout_sector(&t, pt);
			}
			free(pt);
			if (rc)
				goto out;
		} else if (t.is_blk) {
			*fs_sector = t.lsec;
		}
	}
	if (p->target_size < p->needed) {
		uint64_t missing = p->needed - p->target_size;
		rc = lb_fail(err, LB_ETOOSMALL, "%s is too small: the image needs at least %llu bytes "
		             "(%s) there, it has %llu (%s); %llu bytes (%s) are missing. Use a larger "
		             "disk%s", o->target, (unsigned long long)p->needed,
		             lb_human_size(p->needed, need, sizeof need),
		             (unsigned long long)p->target_size,
		             lb_human_size(p->target_size, have, sizeof have),
		             (unsigned long long)missing, lb_human_size(missing, shortby, sizeof shortby),
		             o->partition ? " or partition" : "");
		goto out;
	}
	snprintf(p->summary, sizeof p->summary, "%s %s%s%s (%s) with %s%s",
	         o->partition ? "overwrite" : "erase", o->target,
	         p->model[0] ? ", " : "", p->model, lb_human_size(p->target_size, have, sizeof have),
	         o->partition ? "a partition of " : "the disk image ", image_name(o->image));
	if (!o->partition && p->grows && !strcmp(info->table, "gpt"))
		snprintf(p->summary + strlen(p->summary), sizeof p->summary - strlen(p->summary),
		         "; the backup GPT moves to the end of the larger disk");
	rc = 0;
out:
	lb_dev_close(&t);
	return rc;
}

int lb_restore_prepare(const struct lb_restore_opts *o, struct lb_target_plan *p, struct lb_err *err)
{
	struct lb_image img;
	uint64_t lo, hi;
	unsigned fs_sector;
	int rc;
	if (!o->image || !o->target)
		return lb_fail(err, LB_EUSAGE, "restore needs an image and a target");
	if (!strcmp(o->image, "-"))
		return lb_fail(err, LB_EUSAGE, "cannot prepare a restore from standard input: the "
		               "image would be consumed; run the restore directly");
	if ((rc = lb_image_open_key(&img, o->image, o->passphrase, o->passphrase_ctx, err)))
		return rc;
	rc = place(o, &img.info, p, &lo, &hi, &fs_sector, err);
	lb_image_close(&img);
	return rc;
}

static int produce(void *ctx, struct lb_slot *s, struct lb_err *err)
{
	struct rctx *r = ctx;
	int rc = lb_image_next(&r->img, s, r->cap, err);
	if (rc == 0 && (s->offset < r->lo || s->offset >= r->hi))
		s->flags |= SLOT_SKIP;
	return rc;
}

static void work(void *ctx, void *w, struct lb_slot *s)
{
	struct rctx *r = ctx;
	if (s->flags & SLOT_SKIP)
		return;
	if (lb_chunk_open(w, s, r->name))
		return;
	/* --resume: the checksum of what the target holds is compared before decoding anything;
	 * a chunk that differs keeps what was read (aux), for writing only the blocks that differ */
	/* Not patch chunks: they overwrite part of an earlier chunk (one with unreadable sectors)
	 * that the writer may not have written yet when this worker reads the target; they are
	 * small, and always written (and read back). */
	if (r->resume && !(s->flags & LB_CHUNK_PATCH) && lb_tw_same(&r->tw, s)) {
		s->flags |= LB_SLOT_SAME;
		return;
	}
	lb_chunk_finish(w, s, r->name);
}

/* Before the first chunk of a filesystem restored alone is written: can it live on the
 * target's sector size? Its first bytes (boot sector, superblock) are in that chunk when the
 * image has them; when not, nothing is known and nothing refused. */
static int check_fs_sector(struct rctx *r, const struct lb_slot *s, struct lb_err *err)
{
	const uint8_t *p = s->data;
	uint64_t want = r->hi - r->lo < 2048 ? r->hi - r->lo : 2048;
	unsigned need = r->fs_sector, unit;
	const char *what;
	r->fs_sector = 0;   /* once: this is the first chunk written */
	if (!p || (s->flags & LB_SLOT_SAME))
		return 0;       /* zeros, or (--resume) what an earlier run already checked */
	for (uint32_t k = 0; k < s->next; k++) {
		uint64_t off = s->ext[k].off, len = s->ext[k].len;
		if (off <= r->lo && r->lo + want <= off + len) {
			unit = lb_fs_unit(p + (r->lo - off), (size_t)want, &what);
			if (!unit || unit >= need)
				return 0;
			return lb_fail(err, LB_EREFUSED, "refusing to restore: the image holds a %s of "
			               "%u bytes, which cannot live on %s with its %u-byte logical "
			               "sectors (Linux will not mount it there); nothing was written. "
			               "Restore it onto a disk with sectors of at most %u bytes", what, unit,
			               r->where, need, unit);
		}
		p += len;
	}
	return 0;
}

static int consume(void *ctx, struct lb_slot *s, struct lb_err *err)
{
	struct rctx *r = ctx;
	int rc = 0;
	if (r->fs_sector && !(s->flags & SLOT_SKIP) && (rc = check_fs_sector(r, s, err)))
		return rc;
	if (!(s->flags & SLOT_SKIP))
		rc = lb_tw_write(&r->tw, s, err);
	r->done += s->len;
	r->prog.p.out_bytes = r->tw.written;
	return rc;
}

static int tick(void *ctx)
{
	struct rctx *r = ctx;
	return lb_prog_update(&r->prog, r->done, 0);
}

int lb_restore(const struct lb_restore_opts *o, struct lb_report *rep, struct lb_err *err)
{
	struct rctx *r = calloc(1, sizeof *r);
	struct lb_target_plan plan;
	struct lb_pipe_ops ops;
	double t0 = lb_now();
	int rc, tw_open = 0;

	memset(rep, 0, sizeof *rep);
	if (!r)
		return lb_fail(err, LB_ENOMEM, "out of memory");
	if (!o->image || !o->target) {
		free(r);
		return lb_fail(err, LB_EUSAGE, "restore needs an image and a target");
	}
	r->rep = rep;
	r->name = image_name(o->image);
	lb_prog_init(&r->prog, o->progress, o->progress_ctx);
	if ((rc = lb_image_open_key(&r->img, o->image, o->passphrase, o->passphrase_ctx, err)))
		goto out_free;
	if ((rc = place(o, &r->img.info, &plan, &r->lo, &r->hi, &r->fs_sector, err)))
		goto out;
	if (o->to_partition)
		snprintf(r->where, sizeof r->where, "partition %d of %s", o->to_partition, o->target);
	else
		snprintf(r->where, sizeof r->where, "%s", o->target);
	if ((rc = lb_tw_open(&r->tw, o->target, err)))
		goto out;
	tw_open = 1;
	r->tw.readback = o->verify;
	r->tw.sum_kind = lb_image_sum_kind(&r->img);
	r->tw.lo = r->lo;
	r->tw.hi = r->hi;
	r->tw.dest = plan.write_offset;
	r->cap = lb_image_in_cap(&r->img);
	r->resume = o->resume;
	{
		uint64_t total = 0;
		for (int i = 0; i < r->img.info.nparts; i++)
			if (!o->partition || r->img.info.parts[i].number == o->partition)
				total += r->img.info.parts[i].bytes;
		if (!o->partition && r->img.info.data_bytes)
			total = r->img.info.data_bytes;
		lb_prog_phase(&r->prog, LB_PHASE_COPY, total);
	}
	if (lb_prog_update(&r->prog, 0, 1)) {
		rc = lb_fail(err, LB_ECANCELLED, "cancelled");
		goto out;
	}
	memset(&ops, 0, sizeof ops);
	ops.ctx = r;
	lb_image_ops(&r->img, &ops);
	/* --resume: what the target holds stays beside the decoded chunk, compared per 4 KiB */
	ops.aux_cap = o->resume ? ops.out_cap : 0;
	ops.produce = produce;
	ops.work = work;
	ops.consume = consume;
	ops.tick = tick;
	if ((rc = lb_pipeline_run(&ops, o->threads, err)))
		goto out;
	rep->bytes_read = r->img.r.file_bytes;
	rep->bytes_written = r->tw.written;
	rep->bytes_same = r->tw.same;
	rep->chunks = r->tw.chunks;
	rep->chunks_written = r->tw.chunks_written;
	rep->nbad = r->img.info.nbad;
	rep->bad_bytes = r->img.info.bad_bytes;
	/* read-back checks chunks with unreadable sectors too, and that those sectors are zeros */
	for (size_t i = 0; i < r->img.bad.n; i++)
		if (lb_ext_push(&r->tw.bad, r->img.bad.v[i].off, r->img.bad.v[i].len) < 0) {
			rc = lb_fail(err, LB_ENOMEM, "out of memory");
			goto out;
		}
	r->tw.mask_unknown = r->img.bad_partial;
	lb_ext_normalize(&r->tw.bad);
	if ((rc = lb_tw_finish(&r->tw, o->verify, !o->partition && !strcmp(r->img.info.table, "gpt") ?
	                       r->img.info.src_size : 0, !o->partition, &r->prog, rep, err)))
		goto out;
	lb_prog_phase(&r->prog, LB_PHASE_FINISH, r->done);
	lb_prog_update(&r->prog, r->done, 1);
	rc = 0;
out:
	if (tw_open)
		lb_tw_close(&r->tw);
	lb_image_close(&r->img);
out_free:
	rep->seconds = lb_now() - t0;
	free(r);
	return rc;
}
