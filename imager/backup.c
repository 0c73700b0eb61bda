/* Backup: plan the source, then stream its chunks into an image written under a temporary
 * name, renamed only when complete and synced. */
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <time.h>
#include "chunker.h"
#include "crypt.h"
#include "err.h"
#include "le.h"
#include "meta.h"
#include "plan.h"
#include "progress.h"
#include "ptable.h"
#include "safety.h"
#include "segio.h"
#include "sysfs.h"
#include "mapfile.h"
#include "rescue.h"

#define FAT_SUPER_MAGIC 0x4d44
#define FAT_SEGMENT (4ULL * 1024 * 1024 * 1024 - 1024 * 1024)   /* under FAT32's 4 GiB limit */

struct bctx {
	struct lb_chunker ch;        /* first: the chunker's callbacks take the pipeline ctx as it */
	struct lb_imgw w;
	struct lb_plan plan;
	struct lb_prog prog;
	struct lb_report *rep;
	/* the index goes out in INDEX records of `every` chunks, so memory stays O(every) plus
	 * one small entry per INDEX record, whatever the size of the disk */
	uint8_t *piece;              /* entries of the chunks since the last INDEX record */
	uint32_t npiece, every;
	uint64_t piece_lo, piece_hi;
	uint8_t *pieces;             /* one LB_PIECE_ENTRY per INDEX record written */
	size_t npieces, cappieces;
	uint64_t nchunks, all_stored;
	uint64_t done, all_data;
	double t_last;
	int last_part;
	struct lb_map map;           /* with --mapfile */
	struct lb_crypt *crypt;      /* encrypted image: every record after KEY is sealed */
	uint8_t *sealed;             /* scratch for a sealed payload */
	size_t capsealed;
};

static int open_source(const char *path, struct lb_dev *d, struct lb_err *err)
{
	if (!path || !*path)
		return lb_fail(err, LB_EUSAGE, "no source given");
	return lb_dev_open(d, path, 0, err);
}

int lb_backup_plan(const struct lb_backup_opts *o, struct lb_report *rep, struct lb_err *err)
{
	struct lb_dev src;
	struct lb_plan plan;
	int rc;
	memset(rep, 0, sizeof *rep);
	memset(&plan, 0, sizeof plan);
	if ((rc = open_source(o->source, &src, err)))
		return rc;
	rc = lb_check_source(&src, "back up", o->allow_mounted, rep->source_note,
	                     sizeof rep->source_note, err);
	if (!rc)
		rc = lb_plan_build(&src, o->parts, o->nparts,
		                   o->keep_unallocated ? LB_PLAN_KEEP_UNALLOC : 0, &plan, err);
	if (!rc && lb_plan_to_report(&plan, rep))
		rc = lb_fail(err, LB_ENOMEM, "out of memory");
	lb_plan_free(&plan);
	lb_dev_close(&src);
	return rc;
}

/* Chunks per INDEX record. LIFEBOAT_TEST_INDEX_EVERY (a test hook, read once per backup) makes
 * it small, so tests meet many INDEX records without millions of chunks. */
static uint32_t index_every(void)
{
	const char *v = getenv("LIFEBOAT_TEST_INDEX_EVERY");
	unsigned long n = v ? strtoul(v, NULL, 10) : 0;
	return n >= 1 && n <= LB_MAX_INDEX_EVERY ? (uint32_t)n : LB_INDEX_EVERY;
}

/* Encrypted images: seals the payload (r->stored, r->crc become those of the sealed bytes). */
static int write_rec(struct bctx *b, struct lb_rec *r, const void *body, size_t len,
                     struct lb_err *err)
{
	uint8_t h[LB_REC_HDR_LEN];
	if (b->crypt && r->type != LB_REC_END && r->type != LB_REC_KEY) {
		if (len + LB_SEAL_LEN > UINT32_MAX)
			return lb_fail(err, LB_EUNSUPPORTED, "a record is too large to seal");
		if (len + LB_SEAL_LEN > b->capsealed) {
			uint8_t *v = realloc(b->sealed, len + LB_SEAL_LEN);
			if (!v)
				return lb_fail(err, LB_ENOMEM, "out of memory for encryption");
			b->sealed = v;
			b->capsealed = len + LB_SEAL_LEN;
		}
		r->stored = (uint32_t)(len + LB_SEAL_LEN);
		if (lb_crypt_seal(b->crypt, r, body, len, b->sealed))
			return lb_fail(err, LB_EIO, "internal: sealing a record failed");
		body = b->sealed;
		len += LB_SEAL_LEN;
		r->crc = lb_crc32(0, body, len);
	}
	lb_rec_encode(r, h);
	if (lb_imgw_write(&b->w, h, sizeof h, err))
		return err->code;
	return len ? lb_imgw_write(&b->w, body, len, err) : 0;
}

/* Writes the INDEX record of the chunks since the last one, and remembers where it went. */
static int write_index(struct bctx *b, struct lb_err *err)
{
	struct lb_rec r = { 0 };
	uint8_t *e;
	int rc;
	if (!b->npiece)
		return 0;
	if (b->npieces == LB_MAX_PIECES)
		return lb_fail(err, LB_EUNSUPPORTED, "the image would need more than %u index records "
		               "(%llu chunks); this version cannot write an image that large",
		               LB_MAX_PIECES, (unsigned long long)b->nchunks);
	if (b->npieces == b->cappieces) {
		size_t cap = b->cappieces ? b->cappieces * 2 : 64;
		uint8_t *v = realloc(b->pieces, cap * LB_PIECE_ENTRY);
		if (!v)
			return lb_fail(err, LB_ENOMEM, "out of memory for the image index");
		b->pieces = v;
		b->cappieces = cap;
	}
	e = b->pieces + b->npieces * LB_PIECE_ENTRY;
	put64(e, b->w.pos);
	put64(e + 8, b->piece_lo);
	put64(e + 16, b->piece_hi);
	r.type = LB_REC_INDEX;
	r.offset = b->nchunks - b->npiece;
	r.nextents = b->npiece;
	r.length = r.stored = b->npiece * LB_INDEX_ENTRY;
	r.crc = lb_crc32(0, b->piece, r.length);
	r.seq = (uint32_t)b->npieces;
	if ((rc = write_rec(b, &r, b->piece, r.length, err)))
		return rc;
	b->npieces++;
	b->npiece = 0;
	return 0;
}

static int consume(void *ctx, struct lb_slot *s, struct lb_err *err)
{
	struct bctx *b = ctx;
	struct lb_rec r = { 0 };
	uint64_t pos = b->w.pos, span_end = s->ext[s->next - 1].off + s->ext[s->next - 1].len;
	int part = lb_plan_part_at(&b->plan, s->offset), rc;
	uint8_t *e;

	r.type = LB_REC_CHUNK;
	r.codec = s->codec;
	r.flags = s->flags & (LB_CHUNK_BAD | LB_CHUNK_PATCH);   /* not the slot's own flags */
	r.offset = s->offset;
	r.nextents = s->next > 1 ? s->next : 0;
	r.length = s->len;
	r.crc = s->crc;                 /* CRC-32 of the payload as written */
	r.seq = (uint32_t)b->nchunks;   /* low 32 bits; continues across the rescue passes */
	r.stored = (uint32_t)s->out_len;
	if (s->len > (s->codec == LB_CODEC_ZERO ? LB_MAX_ZERO : LB_CHUNK_SIZE) ||
	    s->out_len > UINT32_MAX)
		return lb_fail(err, LB_EIO, "internal: chunk at offset %llu is too large for the image "
		               "format (%u bytes)", (unsigned long long)s->offset, s->len);
	if ((rc = write_rec(b, &r, s->out, s->out_len, err)))
		return rc;
	e = b->piece + (size_t)b->npiece * LB_INDEX_ENTRY;
	put64(e, s->offset);
	put64(e + 8, span_end);
	put64(e + 16, pos);
	if (!b->npiece || s->offset < b->piece_lo)
		b->piece_lo = s->offset;
	if (!b->npiece || span_end > b->piece_hi)
		b->piece_hi = span_end;
	b->npiece++;
	b->nchunks++;
	b->all_stored += r.stored;
	if (b->npiece == b->every && (rc = write_index(b, err)))
		return rc;

	if (b->ch.map)
		for (uint32_t i = 0; i < s->next; i++)
			lb_map_mark(b->ch.map, s->flags & LB_CHUNK_PATCH ? LB_MAP_PATCHED : LB_MAP_WRITTEN,
			            s->ext[i].off, s->ext[i].len);
	b->rep->bytes_written = b->w.file_bytes;
	b->prog.p.bad_bytes = b->ch.bad_bytes;
	b->prog.p.out_bytes = b->w.file_bytes;
	b->all_data += s->len;
	if (s->flags & LB_CHUNK_PATCH)
		return 0;   /* recovered data: already counted (as zeros) in the first pass */
	b->rep->bytes_read += s->len;
	if (s->codec == LB_CODEC_ZERO)
		b->rep->zero_bytes += s->len;
	if (part >= 0) {
		double now = lb_now();
		b->rep->part_read[part] += s->len;
		b->rep->part_stored[part] += b->w.pos - pos;
		if (b->last_part == part)
			b->rep->part_seconds[part] += now - b->t_last;
		b->t_last = now;
		b->prog.p.part = b->plan.parts[part].number;
		b->prog.p.method = !strcmp(b->plan.parts[part].method, "used") ? "used blocks" :
		                   !strcmp(b->plan.parts[part].method, "header") ? "header only" : "raw";
	} else {
		b->t_last = lb_now();
		b->prog.p.part = 0;
		b->prog.p.method = "disk areas";
	}
	b->last_part = part;
	b->done += s->len;
	return 0;
}

static int tick(void *ctx)
{
	struct bctx *b = ctx;
	return lb_rescue_tick(&b->ch, &b->prog, b->done);
}

static int write_meta(struct bctx *b, const struct lb_backup_opts *o, const struct lb_dev *src,
                      unsigned codec, int level, struct lb_err *err)
{
	struct lb_image_info info;
	struct lb_disk_info id;
	struct lb_rec r = { 0 };
	size_t len;
	char *text;
	int rc;
	memset(&info, 0, sizeof info);
	memset(&id, 0, sizeof id);
	if (src->is_blk)
		lb_sysfs_identity(lb_whole_disk(src->rdev), &id);
	else
		snprintf(id.transport, sizeof id.transport, "file");
	info.major = LB_FMT_MAJOR;
	info.minor = LB_FMT_MINOR;
	snprintf(info.tool_version, sizeof info.tool_version, "%s", LB_VERSION);
	info.created = time(NULL);
	snprintf(info.note, sizeof info.note, "%s", o->note ? o->note : "");
	snprintf(info.src_path, sizeof info.src_path, "%s", src->path);
	snprintf(info.src_model, sizeof info.src_model, "%s", id.model);
	snprintf(info.src_serial, sizeof info.src_serial, "%s", id.serial);
	snprintf(info.src_transport, sizeof info.src_transport, "%s", id.transport);
	info.src_size = src->size;
	info.lsec = lb_layout_sector(src, &b->plan.table);   /* files: from their GPT */
	info.psec = src->psec;
	snprintf(info.table, sizeof info.table, "%s", b->plan.table.type);
	info.min_size = b->plan.min_size;
	info.chunk_size = LB_CHUNK_SIZE;
	info.level = level;
	snprintf(info.codec, sizeof info.codec, "%s", codec == LB_CODEC_ZSTD ? "zstd" : "deflate");
	info.nparts = b->plan.nparts;
	info.parts = b->plan.parts;
	info.unalloc_skipped = b->plan.unalloc_skipped;
	info.nunalloc = b->plan.nunalloc;
	info.unalloc = b->plan.unalloc;
	text = lb_meta_build(&info, &len);
	if (!text)
		return lb_fail(err, LB_ENOMEM, "out of memory");
	if (len > LB_MAX_META) {
		free(text);
		return lb_fail(err, LB_EUNSUPPORTED, "the image's description would exceed %u bytes "
		               "(%d partitions)", LB_MAX_META, b->plan.nparts);
	}
	r.type = LB_REC_META;
	r.length = r.stored = (uint32_t)len;
	r.crc = lb_crc32(0, text, len);
	rc = write_rec(b, &r, text, len, err);
	free(text);
	return rc;
}

/* The unreadable ranges as the trailer lists them, from range i on, into buf (n of them). */
static void encode_bad(const struct lb_extents *bad, size_t i, size_t n, uint8_t *buf)
{
	for (size_t k = 0; k < n; k++) {
		put64(buf + k * 16, bad->v[i + k].off);
		put64(buf + k * 16 + 8, bad->v[i + k].len);
	}
}

/* Version 1.1 and 2.0: totals, where the INDEX records are, and the unreadable ranges. The ranges are
 * encoded piece by piece (twice: for the CRC, which the header carries, then to write), so no
 * copy of a long list is made. */
static int write_trailer(struct bctx *b, struct lb_err *err)
{
	enum { PIECE = 4096 };
	struct lb_rec r = { 0 }, end = { 0 };
	const struct lb_extents *bad = &b->ch.bad;
	uint8_t fx[LB_TRAILER11_FIXED] = { 0 }, *buf;
	uint64_t len, tpos;
	uint32_t crc;
	int rc;
	if ((rc = write_index(b, err)))   /* the chunks since the last INDEX record */
		return rc;
	len = LB_TRAILER11_FIXED + (uint64_t)b->npieces * LB_PIECE_ENTRY + (uint64_t)bad->n * 16;
	if (len > LB_MAX_TRAILER)
		return lb_fail(err, LB_EUNSUPPORTED, "the image's trailer would exceed %u bytes (%zu "
		               "unreadable ranges); this version cannot list that many",
		               LB_MAX_TRAILER, bad->n);
	if (!(buf = malloc(PIECE * 16)))
		return lb_fail(err, LB_ENOMEM, "out of memory for the image's trailer");
	tpos = b->w.pos;
	put64(fx, b->nchunks);
	put64(fx + 8, b->all_data);
	put64(fx + 16, b->all_stored);
	put64(fx + 24, bad->n);
	put64(fx + 32, b->npieces);
	put32(fx + 40, b->every);
	put64(fx + 48, lb_ext_total(bad));
	crc = lb_crc32(0, fx, sizeof fx);
	if (b->npieces)
		crc = lb_crc32(crc, b->pieces, b->npieces * LB_PIECE_ENTRY);
	for (size_t i = 0; i < bad->n; i += PIECE) {
		size_t n = bad->n - i < PIECE ? bad->n - i : PIECE;
		encode_bad(bad, i, n, buf);
		crc = lb_crc32(crc, buf, n * 16);
	}
	r.type = LB_REC_TRAILER;
	r.length = r.stored = (uint32_t)len;
	r.crc = crc;
	if (b->crypt) {
		/* sealed as one piece: the whole body is assembled first */
		uint8_t *body = malloc(len);
		if (!body) {
			free(buf);
			return lb_fail(err, LB_ENOMEM, "out of memory for the image's trailer");
		}
		memcpy(body, fx, sizeof fx);
		if (b->npieces)
			memcpy(body + sizeof fx, b->pieces, b->npieces * LB_PIECE_ENTRY);
		encode_bad(bad, 0, bad->n, body + sizeof fx + b->npieces * LB_PIECE_ENTRY);
		rc = write_rec(b, &r, body, len, err);
		free(body);
		free(buf);
		goto end;
	}
	rc = write_rec(b, &r, fx, sizeof fx, err);
	if (!rc && b->npieces)
		rc = lb_imgw_write(&b->w, b->pieces, b->npieces * LB_PIECE_ENTRY, err);
	for (size_t i = 0; !rc && i < bad->n; i += PIECE) {
		size_t n = bad->n - i < PIECE ? bad->n - i : PIECE;
		encode_bad(bad, i, n, buf);
		rc = lb_imgw_write(&b->w, buf, n * 16, err);
	}
	free(buf);
end:
	if (rc)
		return rc;
	end.type = LB_REC_END;
	end.offset = tpos;
	end.crc = r.crc;
	end.seq = (uint32_t)b->nchunks;
	return write_rec(b, &end, NULL, 0, err);
}

/* Encrypted image: the KEY record (clear), first in the stream; derives the key. */
static int write_key(struct bctx *b, const char *pass, struct lb_err *err)
{
	struct lb_rec r = { 0 };
	uint8_t body[LB_KEY_BODY];
	if (!*pass)
		return lb_fail(err, LB_EUSAGE, "the passphrase is empty");
	if (!(b->crypt = calloc(1, sizeof *b->crypt)))
		return lb_fail(err, LB_ENOMEM, "out of memory");
	if (lb_crypt_create(b->crypt, pass, strlen(pass), b->w.image_id, body))
		return lb_fail(err, LB_ENOMEM, "deriving the image key failed (Argon2id needs %u MiB "
		               "of memory)", LB_KDF_MEM >> 20);
	r.type = LB_REC_KEY;
	r.length = r.stored = LB_KEY_BODY;
	r.crc = lb_crc32(0, body, sizeof body);
	return write_rec(b, &r, body, sizeof body, err);
}

static uint64_t auto_split(const char *image)
{
	struct statfs fs;
	char copy[PATH_MAX];
	snprintf(copy, sizeof copy, "%s", image);
	if (statfs(dirname(copy), &fs) == 0 && fs.f_type == FAT_SUPER_MAGIC)
		return FAT_SEGMENT;
	return 0;
}

int lb_backup(const struct lb_backup_opts *o, struct lb_report *rep, struct lb_err *err)
{
	struct lb_dev src;
	struct bctx *b = calloc(1, sizeof *b);
	struct lb_pipe_ops ops;
	uint64_t split = o->split;
	int lmin, lmax, level, codec = lb_codec_levels(o->codec, &lmin, &lmax, &level), rc, wopen = 0;
	double t0 = lb_now();

	memset(rep, 0, sizeof *rep);
	if (!b)
		return lb_fail(err, LB_ENOMEM, "out of memory");
	if (codec < 0) {
		free(b);
		return lb_fail(err, LB_EUSAGE, "unknown codec '%s' (zstd or deflate)", o->codec);
	}
	if (o->level >= 0)
		level = o->level;
	if (level < lmin || level > lmax) {
		free(b);
		return lb_fail(err, LB_EUSAGE, "%s levels are %d to %d (got %d)",
		               codec == LB_CODEC_ZSTD ? "zstd" : "deflate", lmin, lmax, level);
	}
	b->rep = rep;
	b->last_part = -2;
	if (!o->image || !*o->image) {
		free(b);
		return lb_fail(err, LB_EUSAGE, "no image path given");
	}
	if ((rc = open_source(o->source, &src, err))) {
		free(b);
		return rc;
	}
	if ((rc = lb_check_image_dest(&src, o->image, err)) ||
	    (rc = lb_backup_check_dest(o->image, NULL, err)))
		goto out_src;
	if ((rc = lb_check_source(&src, "back up", o->allow_mounted, rep->source_note,
	                          sizeof rep->source_note, err)))
		goto out_src;
	lb_prog_init(&b->prog, o->progress, o->progress_ctx);
	lb_prog_phase(&b->prog, LB_PHASE_PLAN, 0);
	if (lb_prog_update(&b->prog, 0, 1)) {
		rc = lb_fail(err, LB_ECANCELLED, "cancelled");
		goto out_src;
	}
	if ((rc = lb_plan_build(&src, o->parts, o->nparts,
	                        o->keep_unallocated ? LB_PLAN_KEEP_UNALLOC : 0, &b->plan, err)))
		goto out_src;
	b->every = index_every();
	b->piece = malloc((size_t)b->every * LB_INDEX_ENTRY);
	if (!b->piece || lb_plan_to_report(&b->plan, rep) ||
	    lb_chunker_init(&b->ch, &src, &b->plan, (unsigned)codec, level)) {
		rc = lb_fail(err, LB_ENOMEM, "out of memory");
		goto out;
	}
	/* A backup always reads everything again (its image is a new file): the mapfile records
	 * this run, for ddrescue or a later clone; only clone resumes from one. */
	if (o->mapfile) {
		if ((rc = lb_map_init(&b->map, o->mapfile, src.size, NULL, NULL, err)))
			goto out;
		b->ch.map = &b->map;
	}
	if (!split && !o->no_split && strcmp(o->image, "-"))
		split = auto_split(o->image);
	if (split && split < (1u << 20) + LB_SEG_HDR_LEN) {
		rc = lb_fail(err, LB_EUSAGE, "--split must be at least 1 MiB");
		goto out;
	}
	if ((rc = lb_imgw_open_flags(&b->w, o->image, split ? split - LB_SEG_HDR_LEN : 0,
	                             o->passphrase ? LB_SEG_ENCRYPTED : 0, err)))
		goto out;
	wopen = 1;
	if (o->passphrase && (rc = write_key(b, o->passphrase, err)))
		goto out;
	if ((rc = write_meta(b, o, &src, (unsigned)codec, level, err)))
		goto out;
	lb_prog_phase(&b->prog, LB_PHASE_COPY, b->plan.total);
	memset(&ops, 0, sizeof ops);
	ops.ctx = b;
	lb_chunker_ops(&ops);
	ops.consume = consume;
	ops.tick = tick;
	b->t_last = lb_now();
	if ((rc = lb_pipeline_run(&ops, o->threads, err)))
		goto out;
	/* failing disk: come back to the pieces that failed, now that the good data is saved */
	if (lb_chunker_start_rescue(&b->ch, o->retries > 0 ? o->retries : 0) &&
	    (rc = lb_pipeline_run(&ops, o->threads, err)))
		goto out;
	lb_ext_normalize(&b->ch.bad);
	if ((rc = write_trailer(b, err)))
		goto out;
	if ((rc = lb_imgw_finish(&b->w, err)))
		goto out;
	wopen = 0;   /* complete under its final name: nothing to remove from here on */
	rep->bytes_written = b->w.file_bytes;
	rep->segments = (int)b->w.seg + 1;
	if (b->ch.bad.n)
		lb_rescue_report(&b->plan, &src, &b->ch.bad, rep);
	if (b->ch.map) {
		b->map.finished = 1;
		if ((rc = lb_map_save(b->ch.map, 1, err)))
			goto out;
	}
	snprintf(rep->image_path, sizeof rep->image_path, "%s", o->image);
	lb_prog_phase(&b->prog, LB_PHASE_FINISH, b->plan.total);
	lb_prog_update(&b->prog, b->done, 1);
out:
	if (rc && wopen)
		lb_imgw_abort(&b->w);
	if (b->ch.map) {
		struct lb_err ignored;
		if (rc)
			lb_map_save(b->ch.map, 1, &ignored);   /* what this run got to, for ddrescue */
		lb_map_free(b->ch.map);
	}
	lb_chunker_free(&b->ch);
	lb_plan_free(&b->plan);
	free(b->piece);
	free(b->pieces);
	if (b->sealed)
		free(b->sealed);
	lb_crypt_wipe(b->crypt);
	free(b->crypt);
out_src:
	lb_dev_close(&src);
	rep->seconds = lb_now() - t0;
	free(b);
	return rc;
}
