/* Record-level image reading with every check the format allows. */
#include <libdeflate.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "err.h"
#include "image.h"
#include "le.h"
#include "meta.h"
#include "ptable.h"

size_t lb_image_in_cap(const struct lb_image *img)
{
	size_t cs = img->info.chunk_size;
	return (size_t)LB_MAX_EXTENTS * 16 + cs + cs / 8 + 1024;
}

static int damaged(struct lb_err *err, const struct lb_image *img, uint64_t pos, const char *what)
{
	return lb_fail(err, LB_EDAMAGED, "%s is damaged at stream offset %llu: %s",
	               img->r.is_pipe ? "the image on standard input" : img->r.path,
	               (unsigned long long)pos, what);
}

static int read_header(struct lb_image *img, struct lb_rec *rec, uint64_t pos, int seq_read,
                       struct lb_err *err)
{
	uint8_t h[LB_REC_HDR_LEN];
	char why[160];
	int rc = seq_read ? lb_imgr_read(&img->r, h, sizeof h, err)
	                  : lb_imgr_pread(&img->r, h, sizeof h, pos, err);
	if (rc)
		return rc;
	if (lb_rec_decode(h, rec, why, sizeof why))
		return damaged(err, img, pos, why);
	return 0;
}

static int read_trailer_body(struct lb_image *img, const struct lb_rec *rec, uint64_t pos,
                             const uint8_t *body)
{
	uint64_t n, nbad;
	(void)pos;
	if (lb_crc32(0, body, rec->length) != rec->crc)
		return -1;
	n = le64(body);
	nbad = le64(body + 24);
	if (n > (rec->length - LB_TRAILER_FIXED) / LB_INDEX_ENTRY ||
	    nbad > (rec->length - LB_TRAILER_FIXED - n * LB_INDEX_ENTRY) / 16 ||
	    LB_TRAILER_FIXED + n * LB_INDEX_ENTRY + nbad * 16 != rec->length)
		return -1;
	img->nchunks = n;
	img->data_bytes = le64(body + 8);
	img->stored_bytes = le64(body + 16);
	img->nbad = nbad;
	free(img->index);
	free(img->bad);
	img->index = malloc(n * LB_INDEX_ENTRY + 1);
	img->bad = malloc(nbad * sizeof *img->bad + 1);
	if (!img->index || !img->bad)
		return -2;
	memcpy(img->index, body + LB_TRAILER_FIXED, n * LB_INDEX_ENTRY);
	for (uint64_t i = 0; i < nbad; i++) {
		const uint8_t *b = body + LB_TRAILER_FIXED + n * LB_INDEX_ENTRY + i * 16;
		img->bad[i][0] = le64(b);
		img->bad[i][1] = le64(b + 8);
	}
	img->have_trailer = 1;
	img->info.complete = 1;
	img->info.chunks = n;
	img->info.data_bytes = img->data_bytes;
	img->info.stored_bytes = img->stored_bytes;
	img->info.nbad = (int)(nbad > 1000000 ? 1000000 : nbad);
	img->info.bad_bytes = 0;
	for (uint64_t i = 0; i < nbad; i++)
		img->info.bad_bytes += img->bad[i][1];
	return 0;
}

/* Files: END is the last record; it points at the trailer. */
static int load_trailer(struct lb_image *img, struct lb_err *err)
{
	struct lb_rec end, tr;
	uint64_t len = img->r.stream_len, tpos;
	uint8_t *body;
	int rc;
	if (len < 2 * LB_REC_HDR_LEN + LB_TRAILER_FIXED)
		return damaged(err, img, len, "the image is truncated: its end marker is missing");
	if ((rc = read_header(img, &end, len - LB_REC_HDR_LEN, 0, err)) || end.type != LB_REC_END) {
		lb_err_clear(err);
		return lb_fail(err, LB_EDAMAGED, "%s is incomplete: its end marker is missing (the "
		               "backup was interrupted, the file truncated%s)", img->r.path,
		               img->r.hdr.capacity ? ", or its last segment is missing" : "");
	}
	tpos = end.offset;
	if (tpos > len - 2 * LB_REC_HDR_LEN)
		return damaged(err, img, len - LB_REC_HDR_LEN, "the end marker points outside the image");
	if ((rc = read_header(img, &tr, tpos, 0, err)))
		return rc;
	if (tr.type != LB_REC_TRAILER || tpos + LB_REC_HDR_LEN + tr.length != len - LB_REC_HDR_LEN ||
	    tr.crc != end.crc)
		return damaged(err, img, tpos, "the trailer does not match the end marker");
	body = malloc(tr.length);
	if (!body)
		return lb_fail(err, LB_ENOMEM, "out of memory reading the image's index");
	if ((rc = lb_imgr_pread(&img->r, body, tr.length, tpos + LB_REC_HDR_LEN, err))) {
		free(body);
		return rc;
	}
	rc = read_trailer_body(img, &tr, tpos, body);
	free(body);
	if (rc == -2)
		return lb_fail(err, LB_ENOMEM, "out of memory reading the image's index");
	if (rc || (uint32_t)img->nchunks != end.seq)
		return damaged(err, img, tpos, "the trailer (index and totals) is corrupted");
	img->info.image_bytes = img->r.file_bytes;
	return 0;
}

int lb_image_open(struct lb_image *img, const char *path, struct lb_err *err)
{
	struct lb_rec rec;
	char *body = NULL, why[200];
	int rc;
	memset(img, 0, sizeof *img);
	if ((rc = lb_imgr_open(&img->r, path, err)))
		return rc;
	img->info.major = img->r.hdr.major;
	img->info.minor = img->r.hdr.minor;
	if ((rc = read_header(img, &rec, 0, 1, err)))
		goto fail;
	if (rec.type != LB_REC_META) {
		rc = damaged(err, img, 0, "the image does not start with its description");
		goto fail;
	}
	body = malloc((size_t)rec.length + 1);
	if (!body) {
		rc = lb_fail(err, LB_ENOMEM, "out of memory");
		goto fail;
	}
	if ((rc = lb_imgr_read(&img->r, body, rec.length, err)))
		goto fail;
	body[rec.length] = 0;
	if (lb_crc32(0, body, rec.length) != rec.crc) {
		rc = damaged(err, img, LB_REC_HDR_LEN, "its description is corrupted (checksum mismatch)");
		goto fail;
	}
	if (lb_meta_parse(body, rec.length, &img->info, why, sizeof why)) {
		rc = damaged(err, img, LB_REC_HDR_LEN, why);
		goto fail;
	}
	if (!img->info.chunk_size || img->info.chunk_size > LB_MAX_CHUNK)
		img->info.chunk_size = LB_MAX_CHUNK;
	img->info.segments = img->r.is_pipe ? 0 : img->r.nseg;
	if (!img->r.is_pipe && (rc = load_trailer(img, err)))
		goto fail;
	free(body);
	return 0;
fail:
	free(body);
	lb_image_close(img);
	return rc;
}

void lb_image_close(struct lb_image *img)
{
	lb_imgr_close(&img->r);
	lb_image_info_free(&img->info);
	free(img->index);
	free(img->bad);
	img->index = NULL;
	img->bad = NULL;
}

void lb_image_info_free(struct lb_image_info *info)
{
	free(info->parts);
	info->parts = NULL;
	info->nparts = 0;
}

static int finish_stream(struct lb_image *img, const struct lb_rec *tr, uint64_t tpos,
                         struct lb_err *err)
{
	struct lb_rec end;
	uint8_t *body = malloc(tr->length);
	int rc;
	if (!body)
		return lb_fail(err, LB_ENOMEM, "out of memory reading the image's index");
	rc = lb_imgr_read(&img->r, body, tr->length, err);
	if (!rc) {
		if (img->have_trailer) {
			/* files: the trailer was loaded at open; it must be this one */
			rc = lb_crc32(0, body, tr->length) == tr->crc ? 0 : -1;
		} else {
			rc = read_trailer_body(img, tr, tpos, body);
			if (rc == -2)
				rc = lb_fail(err, LB_ENOMEM, "out of memory reading the image's index");
		}
		if (rc == -1)
			rc = damaged(err, img, tpos, "the trailer (index and totals) is corrupted");
	}
	free(body);
	if (rc)
		return rc;
	if (img->nchunks != img->seq || img->data_bytes != img->seen_data ||
	    img->stored_bytes != img->seen_stored)
		return damaged(err, img, tpos, "the trailer's totals do not match the chunks read "
		               "(chunks are missing or extra)");
	if ((rc = read_header(img, &end, img->r.pos, 1, err)))
		return rc;
	if (end.type != LB_REC_END || end.offset != tpos || end.crc != tr->crc)
		return damaged(err, img, img->r.pos - LB_REC_HDR_LEN, "the end marker is wrong");
	if (!img->r.is_pipe && img->r.pos != img->r.stream_len)
		return damaged(err, img, img->r.pos, "unexpected data after the end marker");
	img->at_end = 1;
	return 1;
}

int lb_image_next(struct lb_image *img, struct lb_slot *s, size_t cap, struct lb_err *err)
{
	struct lb_rec rec;
	uint64_t pos = img->r.pos;
	int rc;
	if (img->at_end)
		return 1;
	if ((rc = read_header(img, &rec, pos, 1, err)))
		return rc;
	if (rec.type == LB_REC_TRAILER)
		return finish_stream(img, &rec, pos, err);
	if (rec.type != LB_REC_CHUNK)
		return damaged(err, img, pos, "a record of the wrong kind sits among the chunks");
	if (rec.seq != (uint32_t)img->seq)
		return damaged(err, img, pos, "a chunk is missing or repeated (sequence numbers jump)");
	if (rec.flags & LB_CHUNK_PATCH)
		img->in_patches = 1;   /* rescued data: after all ordinary chunks, in any order */
	else if (img->in_patches)
		return damaged(err, img, pos, "an ordinary chunk follows the rescued ones");
	else if (rec.offset < img->last_end)
		return damaged(err, img, pos, "chunks are out of order");
	if (rec.length > img->info.chunk_size || rec.stored > cap)
		return damaged(err, img, pos, "a chunk is larger than the image's chunk size");
	if (img->index) {
		const uint8_t *e = img->index + img->seq * LB_INDEX_ENTRY;
		if (img->seq >= img->nchunks || le64(e) != rec.offset || le64(e + 16) != pos)
			return damaged(err, img, pos, "the chunk does not match the image's index");
	}
	if ((rc = lb_imgr_read(&img->r, s->in, rec.stored, err)))
		return rc;
	s->offset = rec.offset;
	s->len = rec.length;
	s->next = rec.nextents ? rec.nextents : 1;
	s->codec = rec.codec;
	s->flags = rec.flags;
	s->crc = rec.crc;
	s->in_len = rec.stored;
	s->stream_pos = pos;
	if (!rec.nextents) {
		s->ext[0].off = rec.offset;
		s->ext[0].len = rec.length;
		if (!img->in_patches)
			img->last_end = rec.offset + rec.length;
	} else if (!img->in_patches) {
		/* the table is checked by the worker; the span end comes from the index when known */
		const uint8_t *last = s->in + (size_t)(rec.nextents - 1) * 16;
		uint64_t lo = le64(last), ll = le64(last + 8);
		img->last_end = lo + ll < lo ? UINT64_MAX : lo + ll;
	}
	img->seen_data += rec.length;
	img->seen_stored += rec.stored;
	img->seq++;
	return 0;
}

/* Parses and checks the chunk's extent table into s->ext; NULL when fine, else why. */
static const char *parse_table(struct lb_slot *s)
{
	uint64_t sum = 0, prev_end = s->offset;
	if (s->next <= 1)
		return NULL;   /* one range: set from the header by lb_image_next */
	for (uint32_t i = 0; i < s->next; i++) {
		const uint8_t *e = s->in + (size_t)i * 16;
		uint64_t off = le64(e), len = le64(e + 8);
		if (!len || off < prev_end || (i == 0 && off != s->offset) || off + len < off ||
		    len > s->len)
			return "its extent table is inconsistent";
		s->ext[i].off = off;
		s->ext[i].len = len;
		sum += len;
		prev_end = off + len;
	}
	return sum == s->len ? NULL : "its extent table does not add up to its length";
}

int lb_chunk_table_ok(struct lb_slot *s)
{
	return parse_table(s) == NULL;
}

void lb_image_ops(const struct lb_image *img, struct lb_pipe_ops *ops)
{
	ops->in_cap = lb_image_in_cap(img);
	ops->out_cap = img->info.chunk_size;
	ops->worker_init = lb_decoder_new;
	ops->worker_fini = lb_decoder_free;
}

void *lb_decoder_new(void *ctx)
{
	return libdeflate_alloc_decompressor();
}

void lb_decoder_free(void *dctx)
{
	if (dctx)
		libdeflate_free_decompressor(dctx);
}

void lb_chunk_decode(void *dctx, struct lb_slot *s, const char *image)
{
	size_t table = s->next > 1 ? (size_t)s->next * 16 : 0;
	uint32_t crc;
	const char *what = parse_table(s);
	if (!dctx) {
		s->err_code = LB_ENOMEM;
		snprintf(s->err_msg, sizeof s->err_msg, "out of memory for a decompressor");
		return;
	}
	if (what)
		goto bad;
	crc = lb_crc32(0, s->in, table);
	switch (s->codec) {
	case LB_CODEC_ZERO:
		s->data = NULL;
		break;
	case LB_CODEC_STORED:
		s->data = s->in + table;
		crc = lb_crc32(crc, s->data, s->len);
		break;
	case LB_CODEC_DEFLATE:
		if (libdeflate_deflate_decompress(dctx, s->in + table, s->in_len - table, s->out, s->len,
		                                  NULL) != LIBDEFLATE_SUCCESS) {
			what = "its compressed data does not decode";
			goto bad;
		}
		s->data = s->out;
		crc = lb_crc32(crc, s->data, s->len);
		break;
	default:
		what = "unknown codec";
		goto bad;
	}
	if (crc != s->crc) {
		what = "checksum mismatch";
		goto bad;
	}
	return;
bad:
	s->err_code = LB_EDAMAGED;
	snprintf(s->err_msg, sizeof s->err_msg, "%s is damaged: chunk %llu (disk offset %llu, stream "
	         "offset %llu): %s", image, (unsigned long long)s->seq, (unsigned long long)s->offset,
	         (unsigned long long)s->stream_pos, what);
}

int lb_image_info(const char *path, struct lb_image_info *info, struct lb_err *err)
{
	struct lb_image img;
	int rc = lb_image_open(&img, path, err);
	if (rc)
		return rc;
	*info = img.info;
	img.info.parts = NULL;
	img.info.nparts = 0;
	lb_image_close(&img);
	return 0;
}
