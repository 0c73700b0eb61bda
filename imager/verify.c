/* Verify: decode every chunk and check every checksum, the index and the totals; with
 * --against, also compare the image's data with a disk. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "chunker.h"
#include "err.h"
#include "image.h"
#include "le.h"
#include "progress.h"
#include "ptable.h"
#include "twrite.h"

/* A whole-disk restore of a GPT image onto a disk of another size rewrites, on purpose, the
 * protective MBR's size field, the primary GPT header (backup LBA, last usable LBA, CRC) and
 * the backup GPT (moved to the new end). --against compares what the restore promised: those
 * bytes are skipped and checked by meaning instead (same disk GUID and entries, a valid GPT
 * for the disk's size, the MBR's size field as restore sets it); everything else byte for
 * byte. On a disk of the same size restore rewrites them only when one GPT copy in the image
 * is damaged: there (defer) they are compared, and a difference counts unless the image's
 * primary or backup header is damaged and the disk's GPT is whole. */
struct gpt_check {
	int on, defer;
	unsigned ss;
	struct lb_ptable *t;         /* the disk's table, read for its own size */
	struct lb_extent skip[4];    /* image offsets not compared byte for byte, sorted */
	int nskip;
	uint8_t mbr[512], *hdr, *bhdr; /* the image's sector 0, primary and backup header sectors */
	int have_mbr, have_hdr, have_bhdr;
	uint64_t bhdr_at;
	uint64_t pending;            /* defer: 1 + offset of the first difference there, or 0 */
};

struct vctx {
	struct lb_image img;         /* first: the decoders take the pipeline ctx as the image */
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
	struct gpt_check g;
	uint64_t diff_at;            /* where compare() found a difference */
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

/* [off, off+len) of the image (p, or zeros when NULL) against the disk. Past the end of a
 * smaller disk that still holds every partition (min_size), restore drops the image's bytes
 * (the tail, the old backup GPT): not compared. On a disk smaller than that, they are a
 * difference unless they are zeros. */
static int compare(struct vctx *v, const uint8_t *p, uint64_t off, uint64_t len,
                   struct lb_err *err)
{
	uint64_t in = off < v->dev.size ? (len < v->dev.size - off ? len : v->dev.size - off) : 0;
	int fits = v->img.info.min_size && v->dev.size >= v->img.info.min_size;
	if (in < len && !fits && p && !lb_is_zero(p + in, (size_t)(len - in))) {
		uint64_t at = in;
		while (!p[at])
			at++;
		v->diff_at = off + at;
		return lb_fail(err, LB_EMISMATCH, "%s differs from the image: it is smaller (%llu "
		               "bytes) than the data at offset %llu", v->dev.path,
		               (unsigned long long)v->dev.size, (unsigned long long)(off + at));
	}
	if (!p) {   /* zero chunks may be far larger than the buffer */
		uint64_t at = 0;
		int rc = in ? lb_dev_check_zero(&v->dev, off, in, v->buf, v->img.info.chunk_size, &at,
		                                err) : 0;
		if (rc < 0) {
			v->diff_at = at;
			return lb_fail(err, LB_EMISMATCH, "%s differs from the image at offset %llu",
			               v->dev.path, (unsigned long long)at);
		}
		return rc;
	}
	for (uint64_t done = 0, n; done < in; done += n) {
		n = in - done < v->img.info.chunk_size ? in - done : v->img.info.chunk_size;
		if (lb_dev_read(&v->dev, v->buf, (size_t)n, off + done, err))
			return err->code;
		if (memcmp(p + done, v->buf, (size_t)n)) {
			uint64_t at = 0;
			while (at < n && p[done + at] == v->buf[at])
				at++;
			v->diff_at = off + done + at;
			return lb_fail(err, LB_EMISMATCH, "%s differs from the image at offset %llu",
			               v->dev.path, (unsigned long long)v->diff_at);
		}
	}
	return 0;
}

/* Keeps the image's bytes of [at, at+n) that lie in this extent. */
static void capture(uint8_t *dst, uint64_t at, uint64_t n, const uint8_t *p, uint64_t off,
                    uint64_t len)
{
	uint64_t lo = off > at ? off : at, hi = off + len < at + n ? off + len : at + n;
	if (lo >= hi)
		return;
	if (p)
		memcpy(dst + (lo - at), p + (lo - off), (size_t)(hi - lo));
	else
		memset(dst + (lo - at), 0, (size_t)(hi - lo));
}

/* compare() over the extent, around the GPT structures checked by meaning. */
static int compare_extent(struct vctx *v, const uint8_t *p, uint64_t off, uint64_t len,
                          struct lb_err *err)
{
	struct gpt_check *g = &v->g;
	uint64_t cur = off, end = off + len;
	int rc = 0;
	if (g->on) {
		capture(g->mbr, 0, 512, p, off, len);
		capture(g->hdr, g->ss, g->ss, p, off, len);
		capture(g->bhdr, g->bhdr_at, g->ss, p, off, len);
		g->have_mbr |= off < 512;
		g->have_hdr |= off < 2ULL * g->ss && off + len > g->ss;
		g->have_bhdr |= off < g->bhdr_at + g->ss && off + len > g->bhdr_at;
	}
	while (!rc && cur < end) {
		uint64_t stop = end;
		int skipped = 0;
		for (int i = 0; g->on && i < g->nskip && !skipped; i++) {
			const struct lb_extent *k = &g->skip[i];
			if (k->off <= cur && cur < k->off + k->len) {
				uint64_t to = k->off + k->len < end ? k->off + k->len : end;
				if (g->defer) {
					rc = compare(v, p ? p + (cur - off) : NULL, cur, to - cur, err);
					if (rc == LB_EMISMATCH) {
						if (!g->pending)
							g->pending = v->diff_at + 1;
						rc = 0;
					}
				}
				cur = to;
				skipped = 1;
			} else if (k->off > cur && k->off < stop) {
				stop = k->off;
			}
		}
		if (skipped)
			continue;
		rc = compare(v, p ? p + (cur - off) : NULL, cur, stop - cur, err);
		cur = stop;
	}
	return rc;
}

static int consume(void *ctx, struct lb_slot *s, struct lb_err *err)
{
	struct vctx *v = ctx;
	const uint8_t *p = s->data;
	v->done += s->len;
	if (!v->against)
		return 0;
	if (s->flags & LB_CHUNK_BAD) {
		struct lb_vrec vr = { .first = v->bad_ext.n, .next = s->next, .sum = s->sum,
		                      .zero = s->codec == LB_CODEC_ZERO, .masked = 1 };
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
		int rc = compare_extent(v, p, s->ext[i].off, s->ext[i].len, err);
		if (rc)
			return rc;
		if (p)
			p += s->ext[i].len;
	}
	return 0;
}

static void add_skip(struct gpt_check *g, uint64_t off, uint64_t len)
{
	int i = g->nskip++;
	while (i > 0 && g->skip[i - 1].off > off) {
		g->skip[i] = g->skip[i - 1];
		i--;
	}
	g->skip[i].off = off;
	g->skip[i].len = len;
}

/* Before comparing: the disk must carry a whole GPT for its own size, as restore leaves it. */
static int gpt_setup(struct vctx *v, struct lb_err *err)
{
	struct gpt_check *g = &v->g;
	const struct lb_gpt_geom *t;
	uint64_t esect, nsect, src_end;
	int rc;
	g->t = malloc(sizeof *g->t);
	if (!g->t)
		return lb_fail(err, LB_ENOMEM, "out of memory");
	if ((rc = lb_ptable_read(&v->dev, g->t, err)))
		return rc;
	t = &g->t->gpt;
	nsect = g->t->sector ? v->dev.size / g->t->sector : 0;
	if (strcmp(g->t->type, "gpt") || !t->primary_ok || !t->backup_ok || t->current_lba != 1 ||
	    t->backup_lba != nsect - 1) {
		if (v->dev.size == v->img.info.src_size)
			return 0;   /* not what a repairing restore leaves: byte for byte, then */
		if (strcmp(g->t->type, "gpt") || !t->primary_ok || !t->backup_ok)
			return lb_fail(err, LB_EMISMATCH, "%s differs from the image: the image holds a "
			               "GPT disk, and %s has no intact GPT (primary and backup) for its "
			               "size", v->dev.path, v->dev.path);
		return lb_fail(err, LB_EMISMATCH, "%s differs from the image: its GPT was not adjusted "
		               "to its size (the backup GPT is at sector %llu, the disk's last is %llu)",
		               v->dev.path, (unsigned long long)t->backup_lba,
		               (unsigned long long)(nsect - 1));
	}
	g->ss = g->t->sector;
	g->hdr = calloc(1, g->ss);
	g->bhdr = calloc(1, g->ss);
	if (!g->hdr || !g->bhdr)
		return lb_fail(err, LB_ENOMEM, "out of memory");
	esect = ((uint64_t)t->nentries * t->entry_size + g->ss - 1) / g->ss;
	src_end = v->img.info.src_size / g->ss * g->ss;
	g->bhdr_at = src_end - g->ss;
	g->defer = v->dev.size == v->img.info.src_size;
	add_skip(g, 458, 4);                                  /* protective MBR: sectors covered */
	add_skip(g, g->ss, g->defer ? (esect + 1) * g->ss : g->ss); /* primary header (entries) */
	if (src_end >= (esect + 1) * g->ss)                   /* the source's backup GPT */
		add_skip(g, src_end - (esect + 1) * g->ss, (esect + 1) * g->ss);
	if (nsect * g->ss < src_end)                          /* the new backup GPT, inside */
		add_skip(g, (nsect - esect - 1) * g->ss, (esect + 1) * g->ss);
	g->on = 1;
	return 0;
}

static int header_ok(const uint8_t *h, unsigned ss)
{
	uint8_t hc[512];
	if (memcmp(h, "EFI PART", 8) || le32(h + 12) < 92 || le32(h + 12) > ss || le32(h + 12) > 512)
		return 0;
	memcpy(hc, h, le32(h + 12));
	memset(hc + 16, 0, 4);
	return lb_crc32(0, hc, le32(h + 12)) == le32(h + 16);
}

/* After comparing: what was skipped, by meaning. */
static int gpt_finish(struct vctx *v, struct lb_err *err)
{
	struct gpt_check *g = &v->g;
	const struct lb_gpt_geom *t = &g->t->gpt;
	const uint8_t *h = g->hdr, *m = g->mbr;
	uint8_t disk[512];
	uint64_t span = v->dev.size / g->ss - 1;
	int rc, prim = g->have_hdr && header_ok(h, g->ss), back = g->have_bhdr &&
	                                                          header_ok(g->bhdr, g->ss);
	/* same size: a difference in the GPT areas is what a repairing restore wrote only when
	 * one of the image's copies is damaged */
	if (g->pending && (prim && back))
		return lb_fail(err, LB_EMISMATCH, "%s differs from the image at offset %llu",
		               v->dev.path, (unsigned long long)(g->pending - 1));
	if (!prim && back)
		h = g->bhdr;   /* the copy restore repaired the GPT from */
	if ((prim || back) &&
	    (memcmp(h + 56, t->disk_guid, 16) || le64(h + 40) != t->first_usable ||
	     (prim && le64(h + 72) != t->entries_lba) || le32(h + 80) != t->nentries ||
	     le32(h + 84) != t->entry_size))
		return lb_fail(err, LB_EMISMATCH, "%s differs from the image: its GPT header has "
		               "another disk GUID or entry layout", v->dev.path);
	if (g->defer && !g->pending)
		return 0;   /* every byte matched */
	if (!g->have_mbr)
		return 0;
	if ((rc = lb_dev_read(&v->dev, disk, sizeof disk, 0, err)))
		return rc;
	/* restore sets the size of a protective MBR's 0xEE entry; any other MBR stays as it was */
	if (m[510] == 0x55 && m[511] == 0xaa && m[446 + 4] == 0xee && !m[462 + 4] && !m[478 + 4] &&
	    !m[494 + 4] ? le32(disk + 458) != (span > 0xffffffffu ? 0xffffffffu : span) :
	    memcmp(disk + 458, m + 458, 4))
		return lb_fail(err, LB_EMISMATCH, "%s differs from the image at offset 458 (the "
		               "protective MBR does not cover the disk)", v->dev.path);
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
		if ((rc = lb_tw_check_rec(&v->dev, e, vr->next, lb_image_sum_kind(&v->img), &vr->sum,
		                          vr->zero, 0, 0, &mask, v->buf, v->img.info.chunk_size, &same,
		                          err)))
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
	if ((rc = lb_image_open_key(&v->img, o->image, o->passphrase, o->passphrase_ctx, err)))
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
		if (!strcmp(v->img.info.table, "gpt") && (rc = gpt_setup(v, err)))
			goto out;
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
	if (v->g.on && (rc = gpt_finish(v, err)))
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
	free(v->g.t);
	free(v->g.hdr);
	free(v->g.bhdr);
	lb_ext_free(&v->bad_ext);
	lb_ext_free(&v->patched);
	lb_image_close(&v->img);
out_free:
	rep->seconds = lb_now() - t0;
	free(v);
	return rc;
}
