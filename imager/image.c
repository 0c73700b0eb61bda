/* Record-level image reading with every check the format allows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "codec.h"
#include "crypt.h"
#include "err.h"
#include "image.h"
#include "le.h"
#include "meta.h"
#include "ptable.h"

size_t lb_image_in_cap(const struct lb_image *img)
{
	size_t cs = img->info.chunk_size;
	return (size_t)LB_MAX_EXTENTS * 16 + cs + cs / 8 + 1024 + LB_SEAL_LEN + LB_SUM_LEN;
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
	if (lb_rec_decode(h, rec, img->r.hdr.major, img->seal, why, sizeof why))
		return damaged(err, img, pos, why);
	return 0;
}

int lb_image_sum_kind(const struct lb_image *img)
{
	return img->r.hdr.major >= 2 ? LB_SUM_XXH128 : LB_SUM_CRC32;
}

static const char *img_name(const struct lb_image *img)
{
	return img->r.is_pipe ? "the image on standard input" : img->r.path;
}

/* A sealed record whose CRC is right but whose tag fails, with the right key: someone changed
 * it (or moved it), which is not the same as damage. */
static int altered(struct lb_err *err, const struct lb_image *img, uint64_t pos, const char *what)
{
	return lb_fail(err, LB_EDAMAGED, "%s was ALTERED after it was written (tampered): "
	               "authentication failed at %s, stream offset %llu (its CRC is intact and the "
	               "passphrase is right, so these bytes are not the ones Lifeboat sealed)",
	               img_name(img), what, (unsigned long long)pos);
}

/* Reads the body of a META, INDEX or TRAILER record whose header is at pos, sequentially (seq)
 * or at pos; dst holds rec->stored bytes and gets the rec->length body bytes at its start.
 * Checks the payload CRC (2.0: of the stored bytes; 1.x: of the body, the same bytes) and
 * unseals. 0; -1 = CRC mismatch, -2 = tag failure (err untouched, the caller names what); or an
 * lb_code with err set. */
static int read_body(struct lb_image *img, const struct lb_rec *rec, uint64_t pos, int seq,
                     uint8_t *dst, struct lb_err *err)
{
	int rc = seq ? lb_imgr_read(&img->r, dst, rec->stored, err)
	             : lb_imgr_pread(&img->r, dst, rec->stored, pos + LB_REC_HDR_LEN, err);
	if (rc)
		return rc;
	if (lb_crc32(0, dst, rec->stored) != rec->crc)
		return -1;
	if (img->crypt && lb_crypt_open(img->crypt, rec, dst))
		return -2;
	return 0;
}

/* An encrypted image: the KEY record (clear) is first. Without ask and with locked_ok, stops
 * there (*stop = 1) having described what is clear; else derives the key and checks it. */
static int read_key(struct lb_image *img, const struct lb_rec *rec, lb_passphrase_fn ask,
                    void *ask_ctx, int locked_ok, int *stop, struct lb_err *err)
{
	uint8_t body[LB_KEY_BODY];
	struct lb_kdf k;
	char why[200], *pass = NULL;
	int rc;
	if ((rc = lb_imgr_read(&img->r, body, sizeof body, err)))
		return rc;
	if (lb_crc32(0, body, sizeof body) != rec->crc)
		return damaged(err, img, 0, "its key record is corrupted (checksum mismatch)");
	if (lb_kdf_parse(body, &k, why, sizeof why))
		return lb_fail(err, LB_EVERSION, "%s: %s", img_name(img), why);
	img->info.encrypted = 1;
	img->info.kdf_ops = k.ops;
	img->info.kdf_mem = k.mem;
	img->info.segments = img->r.is_pipe ? 0 : img->r.nseg;
	if (!ask && locked_ok) {
		img->info.locked = 1;
		*stop = 1;
		return 0;
	}
	if (!ask || !(pass = calloc(1, LB_MAX_PASSPHRASE + 1)) ||
	    ask(ask_ctx, img_name(img), pass, LB_MAX_PASSPHRASE + 1) || !pass[0]) {
		rc = pass || !ask ? lb_fail(err, LB_EKEY, "%s is encrypted: it needs its passphrase",
		                            img_name(img))
		                  : lb_fail(err, LB_ENOMEM, "out of memory");
		goto out;
	}
	pass[LB_MAX_PASSPHRASE] = 0;
	if (!(img->crypt = calloc(1, sizeof *img->crypt))) {
		rc = lb_fail(err, LB_ENOMEM, "out of memory");
		goto out;
	}
	rc = lb_crypt_unlock(img->crypt, pass, strlen(pass), img->r.hdr.image_id, body);
	if (rc == 1)
		rc = lb_fail(err, LB_EKEY, "wrong passphrase for %s", img_name(img));
	else if (rc)
		rc = lb_fail(err, LB_ENOMEM, "deriving the key of %s failed (Argon2id needs %llu MiB "
		             "of memory)", img_name(img), (unsigned long long)(k.mem >> 20));
	img->seal = LB_SEAL_LEN;
out:
	if (pass) {
		lb_crypt_wipe_buf(pass, LB_MAX_PASSPHRASE + 1);
		free(pass);
	}
	return rc;
}

/* Remembers one unreadable range; past LB_KEEP_BAD (or out of memory) the list is marked
 * partial and its users check less, saying so. */
static void keep_bad(struct lb_image *img, uint64_t off, uint64_t len)
{
	if (img->bad_partial || !len)
		return;
	if (img->bad.n >= LB_KEEP_BAD || lb_ext_push(&img->bad, off, len) < 0)
		img->bad_partial = 1;
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
	img->bad_bytes = 0;
	free(img->index);
	img->index = malloc(n * LB_INDEX_ENTRY + 1);
	if (!img->index)
		return -2;
	memcpy(img->index, body + LB_TRAILER_FIXED, n * LB_INDEX_ENTRY);
	img->bad.n = 0;
	img->bad_partial = 0;
	for (uint64_t i = 0; i < nbad; i++) {
		const uint8_t *b = body + LB_TRAILER_FIXED + n * LB_INDEX_ENTRY + i * 16;
		img->bad_bytes += le64(b + 8);
		keep_bad(img, le64(b), le64(b + 8));
	}
	return 0;
}

static void trailer_to_info(struct lb_image *img)
{
	img->have_trailer = 1;
	img->info.complete = 1;
	img->info.chunks = img->nchunks;
	img->info.data_bytes = img->data_bytes;
	img->info.stored_bytes = img->stored_bytes;
	img->info.nbad = (int)(img->nbad > 1000000 ? 1000000 : img->nbad);
	img->info.bad_bytes = img->bad_bytes;
}

/* Sequential (seq) or random-access reading of trailer and index bodies. */
static int rd(struct lb_image *img, int seq, void *buf, size_t len, uint64_t off,
              struct lb_err *err)
{
	if (img->tbody) {
		/* an unsealed trailer, in memory */
		if (off < img->tbody_at || off - img->tbody_at > img->tbody_len ||
		    len > img->tbody_len - (off - img->tbody_at))
			return lb_fail(err, LB_EDAMAGED, "internal: reading outside the trailer");
		memcpy(buf, img->tbody + (off - img->tbody_at), len);
		return 0;
	}
	return seq ? lb_imgr_read(&img->r, buf, len, err) : lb_imgr_pread(&img->r, buf, len, off, err);
}

/* Chunks described by INDEX record j of a 1.1 image whose totals are known. */
static uint64_t piece_count(const struct lb_image *img, uint64_t j)
{
	return j + 1 < img->npieces ? img->every : img->nchunks - j * img->every;
}

#define STREAM_BUF (2048 * 24)   /* a whole number of piece entries and of bad ranges */

/* A 1.1 trailer: the fixed part, the list of INDEX records (kept for files; for pipes
 * checked against what the INDEX records said) and the unreadable ranges, which are only
 * counted, so memory does not grow with them. seq: read at the current position. */
static int read_trailer11(struct lb_image *img, const struct lb_rec *tr, uint64_t tpos, int seq,
                          struct lb_err *err)
{
	uint8_t fx[LB_TRAILER11_FIXED], *buf = NULL;
	uint64_t off = tpos + LB_REC_HDR_LEN + LB_TRAILER11_FIXED, n, nbad, m, badsum = 0, left;
	uint32_t every, crc, lcrc = 0;
	int keep = !img->r.is_pipe, rc;
	if (tr->length < LB_TRAILER11_FIXED)
		return damaged(err, img, tpos, "the trailer is too short");
	if ((rc = rd(img, seq, fx, sizeof fx, tpos + LB_REC_HDR_LEN, err)))
		return rc;
	crc = lb_crc32(0, fx, sizeof fx);
	n = le64(fx);
	nbad = le64(fx + 24);
	m = le64(fx + 32);
	every = le32(fx + 40);
	if (!every || every > LB_MAX_INDEX_EVERY || m > LB_MAX_PIECES || nbad > tr->length / 16 ||
	    LB_TRAILER11_FIXED + m * LB_PIECE_ENTRY + nbad * 16 != tr->length ||
	    m != n / every + (n % every != 0) || le32(fx + 44) || le64(fx + 56))
		return damaged(err, img, tpos, "the trailer (totals and index list) is corrupted");
	if (img->r.is_pipe && (m != img->seen_pieces || (img->every && m > 1 && every != img->every) ||
	                       (img->every && every < img->every)))
		return damaged(err, img, tpos, "the trailer does not list the index records that came "
		               "before it");
	buf = malloc(STREAM_BUF);
	if (keep) {
		free(img->pieces);
		img->pieces = malloc(m * LB_PIECE_ENTRY + 1);
	}
	if (!buf || (keep && !img->pieces)) {
		free(buf);
		return lb_fail(err, LB_ENOMEM, "out of memory reading the image's index");
	}
	for (left = m * LB_PIECE_ENTRY; left; ) {
		size_t k = left < STREAM_BUF ? (size_t)left : STREAM_BUF;
		uint8_t *p = keep ? img->pieces + (m * LB_PIECE_ENTRY - left) : buf;
		if ((rc = rd(img, seq, p, k, off, err)))
			goto out;
		crc = lb_crc32(crc, p, k);
		lcrc = lb_crc32(lcrc, p, k);
		off += k;
		left -= k;
	}
	img->bad.n = 0;
	img->bad_partial = 0;
	for (left = nbad * 16; left; ) {
		size_t k = left < STREAM_BUF ? (size_t)left : STREAM_BUF;
		if ((rc = rd(img, seq, buf, k, off, err)))
			goto out;
		crc = lb_crc32(crc, buf, k);
		for (size_t i = 0; i < k; i += 16) {
			uint64_t bo = le64(buf + i), bl = le64(buf + i + 8);
			keep_bad(img, bo, bl);
			if (!bl || bo + bl < bo)
				badsum = UINT64_MAX;   /* impossible range: fails the total below */
			else if (badsum != UINT64_MAX)
				badsum = badsum + bl < badsum ? UINT64_MAX : badsum + bl;
		}
		off += k;
		left -= k;
	}
	/* sealed: the CRC was of the sealed bytes, checked before unsealing */
	if ((!img->crypt && crc != tr->crc) || badsum != le64(fx + 48)) {
		rc = damaged(err, img, tpos, "the trailer (totals and index list) is corrupted "
		             "(checksum mismatch)");
		goto out;
	}
	if (img->r.is_pipe && lcrc != img->pieces_crc) {
		rc = damaged(err, img, tpos, "the trailer's list of index records does not match the "
		             "index records in the image");
		goto out;
	}
	img->nchunks = n;
	img->data_bytes = le64(fx + 8);
	img->stored_bytes = le64(fx + 16);
	img->nbad = nbad;
	img->bad_bytes = badsum;
	img->npieces = m;
	img->every = every;
	trailer_to_info(img);
	rc = 0;
out:
	free(buf);
	return rc;
}

/* Reads INDEX record j (files, from the trailer's list) and checks it; its entries are then
 * what the chunks it describes are checked against, before they are handed out. */
static int load_piece(struct lb_image *img, uint64_t j, struct lb_err *err)
{
	const uint8_t *e = img->pieces + j * LB_PIECE_ENTRY;
	uint64_t pos = le64(e), cnt = piece_count(img, j), lo = UINT64_MAX, hi = 0, prev = 0;
	struct lb_rec rec;
	char what[200];
	int rc;
	if ((rc = read_header(img, &rec, pos, 0, err)))
		return lb_context(err, "index record %llu (chunks %llu to %llu)", (unsigned long long)j,
		                  (unsigned long long)(j * img->every),
		                  (unsigned long long)(j * img->every + cnt - 1));
	snprintf(what, sizeof what, "index record %llu (chunks %llu to %llu) ", (unsigned long long)j,
	         (unsigned long long)(j * img->every), (unsigned long long)(j * img->every + cnt - 1));
	if (rec.type != LB_REC_INDEX || rec.offset != j * img->every || rec.nextents != cnt ||
	    rec.seq != (uint32_t)j) {
		snprintf(what + strlen(what), sizeof what - strlen(what), "is missing: another record "
		         "is where the trailer says it is");
		return damaged(err, img, pos, what);
	}
	if ((rc = read_body(img, &rec, pos, 0, img->piece, err)) > 0)
		return rc;
	if (rc == -2) {
		what[strlen(what) - 1] = 0;
		return altered(err, img, pos, what);
	}
	if (rc) {
		snprintf(what + strlen(what), sizeof what - strlen(what), "is corrupted (checksum "
		         "mismatch)");
		return damaged(err, img, pos, what);
	}
	for (uint64_t i = 0; i < cnt; i++) {
		const uint8_t *x = img->piece + i * LB_INDEX_ENTRY;
		if (le64(x + 16) < prev || le64(x + 16) >= pos || le64(x + 8) < le64(x)) {
			lo = 1;
			hi = 0;
			break;
		}
		prev = le64(x + 16) + LB_REC_HDR_LEN;
		lo = le64(x) < lo ? le64(x) : lo;
		hi = le64(x + 8) > hi ? le64(x + 8) : hi;
	}
	if (lo != le64(e + 8) || hi != le64(e + 16)) {
		snprintf(what + strlen(what), sizeof what - strlen(what), "is inconsistent with the "
		         "trailer");
		return damaged(err, img, pos, what);
	}
	img->piece_no = j;
	img->piece_loaded = 1;
	return 0;
}

/* Random access (imgread.c): the entries of INDEX record j, checked, as load_piece reads them
 * (1.0: the whole index, j = 0). The pointer stays valid until the next call. */
int lb_image_index_piece(struct lb_image *img, uint64_t j, const uint8_t **entries,
                         uint64_t *count, struct lb_err *err)
{
	int rc;
	if (img->index) {
		if (j)
			return lb_fail(err, LB_EUSAGE, "internal: a 1.0 index has one piece");
		*entries = img->index;
		*count = img->nchunks;
		return 0;
	}
	if (!img->v11 || !img->have_trailer || j >= img->npieces)
		return lb_fail(err, LB_EUSAGE, "internal: no index record %llu", (unsigned long long)j);
	if (!img->piece_loaded || img->piece_no != j) {
		img->piece_loaded = 0;   /* a failed load leaves the buffer half overwritten */
		if ((rc = load_piece(img, j, err)))
			return rc;
	}
	*entries = img->piece;
	*count = piece_count(img, j);
	return 0;
}

uint64_t lb_image_index_pieces(const struct lb_image *img)
{
	return img->index ? 1 : img->v11 && img->have_trailer ? img->npieces : 0;
}

/* Files, 1.1: the trailer's list of INDEX records must tile the stream before the trailer,
 * the last one ending where the trailer starts; the last one is read and checked now. */
static int check_pieces(struct lb_image *img, uint64_t tpos, struct lb_err *err)
{
	uint64_t prev = 0;
	size_t every = img->every;
	img->piece = malloc(every * LB_INDEX_ENTRY + LB_SEAL_LEN);   /* read sealed, then opened */
	img->win = malloc(every * LB_INDEX_ENTRY);
	img->ibuf = malloc(every * LB_INDEX_ENTRY + LB_SEAL_LEN);
	img->capwin = img->every;
	if (!img->piece || !img->win || !img->ibuf)
		return lb_fail(err, LB_ENOMEM, "out of memory reading the image's index");
	for (uint64_t j = 0; j < img->npieces; j++) {
		uint64_t pos = le64(img->pieces + j * LB_PIECE_ENTRY), len;
		len = LB_REC_HDR_LEN + piece_count(img, j) * LB_INDEX_ENTRY + img->seal;
		if (j + 1 == img->npieces && pos >= prev && pos <= tpos && tpos - pos != len) {
			char what[200];
			snprintf(what, sizeof what, "the last index record (%llu, of chunks %llu to %llu) "
			         "is missing or cut short: the trailer does not follow it",
			         (unsigned long long)j, (unsigned long long)(j * img->every),
			         (unsigned long long)(j * img->every + piece_count(img, j) - 1));
			return damaged(err, img, pos, what);
		}
		if (pos < prev || pos > tpos || tpos - pos < len)
			return damaged(err, img, tpos, "the trailer lists an index record at an impossible "
			               "position");
		prev = pos + len;
	}
	if (!img->npieces && img->nchunks)
		return damaged(err, img, tpos, "the trailer lists no index records");
	return img->npieces ? load_piece(img, img->npieces - 1, err) : 0;
}

/* Encrypted: the trailer is sealed as one piece, so it is read and opened whole, then parsed
 * from memory. */
static int read_sealed_trailer(struct lb_image *img, const struct lb_rec *tr, uint64_t tpos,
                               int seq, struct lb_err *err)
{
	int rc;
	if (!(img->tbody = malloc((size_t)tr->stored + 1)))
		return lb_fail(err, LB_ENOMEM, "out of memory reading the image's trailer");
	img->tbody_at = tpos + LB_REC_HDR_LEN;
	img->tbody_len = tr->length;
	rc = read_body(img, tr, tpos, seq, img->tbody, err);
	if (rc == -1)
		rc = damaged(err, img, tpos, "the trailer (totals and index list) is corrupted "
		             "(checksum mismatch)");
	else if (rc == -2)
		rc = altered(err, img, tpos, "the trailer");
	if (!rc)
		rc = read_trailer11(img, tr, tpos, 0, err);
	free(img->tbody);
	img->tbody = NULL;
	return rc;
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
	if (tr.type != LB_REC_TRAILER || tpos + LB_REC_HDR_LEN + tr.stored != len - LB_REC_HDR_LEN ||
	    tr.crc != end.crc)
		return damaged(err, img, tpos, "the trailer does not match the end marker");
	if (img->v11) {
		if ((rc = img->crypt ? read_sealed_trailer(img, &tr, tpos, 0, err)
		                     : read_trailer11(img, &tr, tpos, 0, err)))
			return rc;
		if ((uint32_t)img->nchunks != end.seq)
			return damaged(err, img, tpos, "the trailer's number of chunks does not match the "
			               "end marker");
		if ((rc = check_pieces(img, tpos, err)))
			return rc;
		img->info.image_bytes = img->r.file_bytes;
		return 0;
	}
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
	trailer_to_info(img);
	img->info.image_bytes = img->r.file_bytes;
	return 0;
}

static int open_image(struct lb_image *img, const char *path, lb_passphrase_fn ask,
                      void *ask_ctx, int locked_ok, struct lb_err *err)
{
	struct lb_rec rec;
	char *body = NULL, why[200];
	uint64_t mpos = 0;
	int rc, stop = 0;
	memset(img, 0, sizeof *img);
	if ((rc = lb_imgr_open(&img->r, path, err)))
		return rc;
	img->info.major = img->r.hdr.major;
	img->info.minor = img->r.hdr.minor;
	if ((rc = read_header(img, &rec, 0, 1, err)))
		goto fail;
	if ((rec.type == LB_REC_KEY) != !!(img->r.hdr.flags & LB_SEG_ENCRYPTED)) {
		rc = damaged(err, img, 0, rec.type == LB_REC_KEY ? "a key record starts an image that is "
		             "not marked encrypted" : "the image is marked encrypted but its key record "
		             "is missing");
		goto fail;
	}
	if (rec.type == LB_REC_KEY) {
		if ((rc = read_key(img, &rec, ask, ask_ctx, locked_ok, &stop, err)) || stop)
			goto fail;   /* (stop: described as far as it is clear; the caller closes) */
		mpos = img->r.pos;
		if ((rc = read_header(img, &rec, mpos, 1, err)))
			goto fail;
	}
	if (rec.type != LB_REC_META) {
		rc = damaged(err, img, mpos, "the image does not start with its description");
		goto fail;
	}
	body = malloc((size_t)rec.stored + 1);
	if (!body) {
		rc = lb_fail(err, LB_ENOMEM, "out of memory");
		goto fail;
	}
	rc = read_body(img, &rec, mpos, 1, (uint8_t *)body, err);
	if (rc == -1)
		rc = damaged(err, img, mpos + LB_REC_HDR_LEN, "its description is corrupted (checksum "
		             "mismatch)");
	else if (rc == -2)
		rc = altered(err, img, mpos, "its description");
	if (rc)
		goto fail;
	body[rec.length] = 0;
	if (lb_meta_parse(body, rec.length, &img->info, why, sizeof why)) {
		rc = damaged(err, img, LB_REC_HDR_LEN, why);
		goto fail;
	}
	if (!img->info.chunk_size || img->info.chunk_size > LB_MAX_CHUNK)
		img->info.chunk_size = LB_MAX_CHUNK;
	img->info.segments = img->r.is_pipe ? 0 : img->r.nseg;
	if (img->r.hdr.major < 2 || !img->info.codec[0])
		snprintf(img->info.codec, sizeof img->info.codec, "deflate");   /* 1.x: the only one */
	snprintf(img->info.checksum, sizeof img->info.checksum, "%s",
	         lb_sum_name(lb_image_sum_kind(img)));
	img->v11 = img->r.hdr.major >= 2 || img->r.hdr.minor >= 1;   /* INDEX records */
	if (img->v11 && img->r.is_pipe) {
		/* the INDEX records' size is learnt from the first one: room for the largest */
		img->capwin = LB_MAX_INDEX_EVERY;
		img->win = malloc((size_t)img->capwin * LB_INDEX_ENTRY);
		img->ibuf = malloc((size_t)img->capwin * LB_INDEX_ENTRY);
		if (!img->win || !img->ibuf) {
			rc = lb_fail(err, LB_ENOMEM, "out of memory");
			goto fail;
		}
	}
	if (!img->r.is_pipe && (rc = load_trailer(img, err)))
		goto fail;
	free(body);
	return 0;
fail:
	free(body);
	if (stop && !rc)
		return 0;
	lb_image_close(img);
	return rc;
}

int lb_image_open_key(struct lb_image *img, const char *path, lb_passphrase_fn ask,
                      void *ask_ctx, struct lb_err *err)
{
	return open_image(img, path, ask, ask_ctx, 0, err);
}

int lb_image_open(struct lb_image *img, const char *path, struct lb_err *err)
{
	return open_image(img, path, NULL, NULL, 0, err);
}

void lb_image_close(struct lb_image *img)
{
	lb_imgr_close(&img->r);
	lb_image_info_free(&img->info);
	free(img->index);
	free(img->pieces);
	free(img->piece);
	free(img->win);
	free(img->ibuf);
	lb_ext_free(&img->bad);
	lb_crypt_wipe(img->crypt);
	free(img->crypt);
	free(img->tbody);
	img->crypt = NULL;
	img->tbody = NULL;
	img->index = img->pieces = img->piece = img->win = img->ibuf = NULL;
}

void lb_image_info_free(struct lb_image_info *info)
{
	free(info->parts);
	info->parts = NULL;
	info->nparts = 0;
	free(info->unalloc);
	info->unalloc = NULL;
	info->nunalloc = 0;
}

/* Reads a body of len bytes at the current position only to check its CRC. */
static int skip_checked(struct lb_image *img, uint64_t len, uint32_t want, int *ok,
                        struct lb_err *err)
{
	uint8_t *buf = malloc(STREAM_BUF);
	uint32_t crc = 0;
	int rc = 0;
	if (!buf)
		return lb_fail(err, LB_ENOMEM, "out of memory");
	while (len && !rc) {
		size_t k = len < STREAM_BUF ? (size_t)len : STREAM_BUF;
		if (!(rc = lb_imgr_read(&img->r, buf, k, err)))
			crc = lb_crc32(crc, buf, k);
		len -= k;
	}
	free(buf);
	*ok = crc == want;
	return rc;
}

static int finish_stream(struct lb_image *img, const struct lb_rec *tr, uint64_t tpos,
                         struct lb_err *err)
{
	struct lb_rec end;
	int rc, ok = 1;
	if (img->v11 && img->nwin)
		return damaged(err, img, tpos, "the index record of the last chunks is missing");
	if (img->have_trailer) {
		/* files: the trailer was checked at open; it must be this one */
		if ((rc = skip_checked(img, tr->stored, tr->crc, &ok, err)))
			return rc;
		if (!ok)
			return damaged(err, img, tpos, "the trailer (index and totals) is corrupted");
		if (img->v11 && img->seen_pieces != img->npieces)
			return damaged(err, img, tpos, "index records are missing before the trailer");
	} else if (img->v11) {
		if ((rc = img->crypt ? read_sealed_trailer(img, tr, tpos, 1, err)
		                     : read_trailer11(img, tr, tpos, 1, err)))
			return rc;
	} else {
		uint8_t *body = malloc(tr->length);
		if (!body)
			return lb_fail(err, LB_ENOMEM, "out of memory reading the image's index");
		rc = lb_imgr_read(&img->r, body, tr->length, err);
		if (!rc) {
			rc = read_trailer_body(img, tr, tpos, body);
			if (rc == -2)
				rc = lb_fail(err, LB_ENOMEM, "out of memory reading the image's index");
			else if (rc == -1)
				rc = damaged(err, img, tpos, "the trailer (index and totals) is corrupted");
			else
				trailer_to_info(img);
		}
		free(body);
		if (rc)
			return rc;
	}
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

/* An INDEX record met in the stream: it must describe exactly the chunks read since the
 * previous one. Files checked it (read ahead) already; this checks it is the same record. */
static int stream_index(struct lb_image *img, const struct lb_rec *rec, uint64_t pos,
                        struct lb_err *err)
{
	uint64_t j = img->seen_pieces;
	uint8_t e[LB_PIECE_ENTRY];
	char what[200];
	int rc;
	snprintf(what, sizeof what, "index record %llu (chunks %llu to %llu) ", (unsigned long long)j,
	         (unsigned long long)rec->offset,
	         (unsigned long long)(rec->offset + rec->nextents - 1));
	if (!img->v11)
		return damaged(err, img, pos, "an index record in a version 1.0 image");
	if (rec->seq != (uint32_t)j || rec->offset != img->seq - img->nwin ||
	    rec->nextents != img->nwin || img->short_piece ||
	    (img->every && rec->nextents > img->every)) {
		snprintf(what + strlen(what), sizeof what - strlen(what), "does not follow the chunks "
		         "it describes (chunks or index records are missing)");
		return damaged(err, img, pos, what);
	}
	if (!img->r.is_pipe &&
	    (j >= img->npieces || le64(img->pieces + j * LB_PIECE_ENTRY) != pos)) {
		snprintf(what + strlen(what), sizeof what - strlen(what), "is not where the trailer "
		         "says");
		return damaged(err, img, pos, what);
	}
	if ((rc = read_body(img, rec, pos, 1, img->ibuf, err)) > 0)
		return rc;
	if (rc == -2) {
		what[strlen(what) - 1] = 0;
		return altered(err, img, pos, what);
	}
	if (rc) {
		snprintf(what + strlen(what), sizeof what - strlen(what), "is corrupted (checksum "
		         "mismatch)");
		return damaged(err, img, pos, what);
	}
	if (memcmp(img->ibuf, img->win, rec->length)) {
		snprintf(what + strlen(what), sizeof what - strlen(what), "does not match the chunks "
		         "it describes");
		return damaged(err, img, pos, what);
	}
	if (!img->every)
		img->every = rec->nextents;   /* pipes: the first one tells the size of all but the last */
	else if (rec->nextents < img->every)
		img->short_piece = 1;
	put64(e, pos);
	put64(e + 8, img->win_lo);
	put64(e + 16, img->win_hi);
	img->pieces_crc = lb_crc32(img->pieces_crc, e, sizeof e);
	img->seen_pieces++;
	img->nwin = 0;
	return 0;
}

int lb_image_next(struct lb_image *img, struct lb_slot *s, size_t cap, struct lb_err *err)
{
	struct lb_rec rec;
	uint64_t pos, span_end;
	int rc;
	if (img->at_end)
		return 1;
	for (;;) {
		pos = img->r.pos;
		if ((rc = read_header(img, &rec, pos, 1, err)))
			return rc;
		if (rec.type != LB_REC_INDEX)
			break;
		if ((rc = stream_index(img, &rec, pos, err)))
			return rc;
	}
	if (rec.type == LB_REC_TRAILER)
		return finish_stream(img, &rec, pos, err);
	if (rec.type != LB_REC_CHUNK)
		return damaged(err, img, pos, "a record of the wrong kind sits among the chunks");
	if (rec.seq != (uint32_t)img->seq)
		return damaged(err, img, pos, "a chunk is missing or repeated (sequence numbers jump)");
	if (img->v11 && (img->short_piece || img->nwin == (img->every ? img->every : img->capwin))) {
		char what[160];
		snprintf(what, sizeof what, "the index record after chunk %llu is missing",
		         (unsigned long long)(img->seq - 1));
		return damaged(err, img, pos, what);
	}
	if (rec.flags & LB_CHUNK_PATCH)
		img->in_patches = 1;   /* rescued data: after all ordinary chunks, in any order */
	else if (img->in_patches)
		return damaged(err, img, pos, "an ordinary chunk follows the rescued ones");
	else if (rec.offset < img->last_end)
		return damaged(err, img, pos, "chunks are out of order");
	if ((rec.codec != LB_CODEC_ZERO && rec.length > img->info.chunk_size) || rec.stored > cap)
		return damaged(err, img, pos, "a chunk is larger than the image's chunk size");
	if ((rc = lb_imgr_read(&img->r, s->in, rec.stored, err)))
		return rc;
	s->in_len = rec.stored;
	s->sealed = 0;
	s->rec_seq = rec.seq;
	if (img->crypt && !rec.nextents) {
		/* one range: nothing in the payload is needed here, so the decoding worker opens it
		 * (the cipher runs in parallel) */
		s->sealed = 1;
	} else if (img->crypt) {
		/* opened here, before the extent table is used; damage (CRC) told from tampering */
		char what[200];
		snprintf(what, sizeof what, "chunk %llu (disk offset %llu)", (unsigned long long)img->seq,
		         (unsigned long long)rec.offset);
		if (lb_crc32(0, s->in, rec.stored) != rec.crc) {
			snprintf(what + strlen(what), sizeof what - strlen(what), ": its stored bytes are "
			         "damaged (CRC-32 mismatch)");
			return damaged(err, img, pos, what);
		}
		if (lb_crypt_open(img->crypt, &rec, s->in))
			return altered(err, img, pos, what);
		s->in_len = rec.stored - LB_SEAL_LEN;
	}
	span_end = rec.offset + rec.length;
	if (rec.nextents) {
		/* the table is checked by the worker; its last range ends the span */
		const uint8_t *last = s->in + (size_t)(rec.nextents - 1) * 16;
		uint64_t lo = le64(last), ll = le64(last + 8);
		span_end = lo + ll < lo ? UINT64_MAX : lo + ll;
	}
	if (img->index || (img->v11 && img->have_trailer)) {
		const uint8_t *e = NULL;
		if (img->seq < img->nchunks) {
			if (img->index) {
				e = img->index + img->seq * LB_INDEX_ENTRY;
			} else {
				uint64_t j = img->seq / img->every;
				if ((!img->piece_loaded || img->piece_no != j) && (rc = load_piece(img, j, err)))
					return rc;
				e = img->piece + (img->seq - j * img->every) * LB_INDEX_ENTRY;
			}
		}
		if (!e || le64(e) != rec.offset || le64(e + 8) != span_end || le64(e + 16) != pos) {
			/* the span's end came from the extent table: damage there is the payload's */
			if (rec.nextents && img->r.hdr.major >= 2 && !img->crypt &&
			    lb_crc32(0, s->in, rec.stored) != rec.crc) {
				char what[200];
				snprintf(what, sizeof what, "chunk %llu (disk offset %llu): its stored bytes "
				         "are damaged (CRC-32 mismatch)", (unsigned long long)img->seq,
				         (unsigned long long)rec.offset);
				return damaged(err, img, pos, what);
			}
			return damaged(err, img, pos, "the chunk does not match the image's index");
		}
	}
	if (img->v11) {
		uint8_t *w = img->win + (size_t)img->nwin * LB_INDEX_ENTRY;
		put64(w, rec.offset);
		put64(w + 8, span_end);
		put64(w + 16, pos);
		if (!img->nwin || rec.offset < img->win_lo)
			img->win_lo = rec.offset;
		if (!img->nwin || span_end > img->win_hi)
			img->win_hi = span_end;
		img->nwin++;
	}
	s->offset = rec.offset;
	s->len = rec.length;
	s->next = rec.nextents ? rec.nextents : 1;
	s->codec = rec.codec;
	s->flags = rec.flags;
	s->crc = rec.crc;
	s->stream_pos = pos;
	if (!rec.nextents) {
		s->ext[0].off = rec.offset;
		s->ext[0].len = rec.length;
	}
	if (!img->in_patches)
		img->last_end = span_end;
	img->seen_data += rec.length;
	img->seen_stored += rec.stored;
	img->seq++;
	return 0;
}

/* Parses and checks the chunk's extent table (at p) into s->ext; NULL when fine, else why. */
static const char *parse_table(struct lb_slot *s, const uint8_t *p)
{
	uint64_t sum = 0, prev_end = s->offset;
	if (s->next <= 1)
		return NULL;   /* one range: set from the header by lb_image_next */
	for (uint32_t i = 0; i < s->next; i++) {
		const uint8_t *e = p + (size_t)i * 16;
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
	return parse_table(s, s->in) == NULL;
}

void lb_image_ops(const struct lb_image *img, struct lb_pipe_ops *ops)
{
	ops->in_cap = lb_image_in_cap(img);
	ops->out_cap = img->info.chunk_size;
	ops->worker_init = lb_decoder_new;
	ops->worker_fini = lb_decoder_free;
}

struct lb_decoder {
	const struct lb_image *img;
	struct lb_dec *dec;
};

void *lb_decoder_new(void *ctx)
{
	struct lb_decoder *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	d->img = ctx;
	if (!(d->dec = lb_dec_new())) {
		free(d);
		return NULL;
	}
	return d;
}

void lb_decoder_free(void *dctx)
{
	struct lb_decoder *d = dctx;
	if (d)
		lb_dec_free(d->dec);
	free(d);
}

static void chunk_bad(struct lb_slot *s, const char *image, const char *what)
{
	s->err_code = LB_EDAMAGED;
	snprintf(s->err_msg, sizeof s->err_msg, "%s is damaged: chunk %llu (disk offset %llu, stream "
	         "offset %llu): %s", image, (unsigned long long)s->seq, (unsigned long long)s->offset,
	         (unsigned long long)s->stream_pos, what);
}

/* Worker: a single-range chunk of an encrypted image, as lb_image_next left it: the CRC of the
 * sealed bytes (damage), then the tag (tampering), then the plaintext payload in place. */
static int open_sealed(struct lb_decoder *d, struct lb_slot *s, const char *image)
{
	struct lb_rec r = { LB_REC_CHUNK, s->codec, s->flags, s->offset, 0, s->len,
	                    (uint32_t)s->in_len, s->crc, s->rec_seq };
	if (lb_crc32(0, s->in, s->in_len) != s->crc) {
		chunk_bad(s, image, "its stored bytes are damaged (CRC-32 mismatch)");
		return -1;
	}
	if (s->in_len < LB_SEAL_LEN || lb_crypt_open(d->img->crypt, &r, s->in)) {
		s->err_code = LB_EDAMAGED;
		snprintf(s->err_msg, sizeof s->err_msg, "%s was ALTERED after it was written "
		         "(tampered): authentication failed at chunk %llu (disk offset %llu), stream "
		         "offset %llu (its CRC is intact and the passphrase is right, so these bytes are "
		         "not the ones Lifeboat sealed)", image, (unsigned long long)s->rec_seq,
		         (unsigned long long)s->offset, (unsigned long long)s->stream_pos);
		return -1;
	}
	s->in_len -= LB_SEAL_LEN;
	s->sealed = 0;
	return 0;
}

int lb_chunk_open(void *dctx, struct lb_slot *s, const char *image)
{
	struct lb_decoder *d = dctx;
	const char *what;
	if (!d) {
		s->err_code = LB_ENOMEM;
		snprintf(s->err_msg, sizeof s->err_msg, "out of memory for a decompressor");
		return -1;
	}
	if (s->sealed && open_sealed(d, s, image))
		return -1;
	if (d->img->r.hdr.major >= 2 && !d->img->crypt) {
		/* damage of the stored bytes, told apart from a wrong decoding below (encrypted: checked
		 * before unsealing, by open_sealed or lb_image_next) */
		if (lb_crc32(0, s->in, s->in_len) != s->crc) {
			chunk_bad(s, image, "its stored bytes are damaged (CRC-32 mismatch)");
			return -1;
		}
	}
	if ((what = parse_table(s, s->in))) {
		chunk_bad(s, image, what);
		return -1;
	}
	if (d->img->r.hdr.major < 2)
		lb_sum_from_crc(s->crc, &s->sum);   /* 1.x: the header's crc is the checksum */
	else if (s->codec != LB_CODEC_ZERO)
		memcpy(s->sum.v, s->in + (size_t)(s->next > 1 ? s->next : 0) * 16, LB_SUM_LEN);
	return 0;
}

void lb_chunk_finish(void *dctx, struct lb_slot *s, const char *image)
{
	struct lb_decoder *d = dctx;
	unsigned major = d->img->r.hdr.major;
	int kind = lb_image_sum_kind(d->img);
	size_t table = s->next > 1 ? (size_t)s->next * 16 : 0;
	size_t at = lb_chunk_data_at(major, s->codec, s->next > 1 ? s->next : 0);
	struct lb_sum got;
	char a[64], b[64], what[200];
	switch (s->codec) {
	case LB_CODEC_ZERO:
		s->data = NULL;
		/* 1.x: the CRC covers the extent table; 2.0: the payload CRC did */
		if (major < 2 && lb_crc32(0, s->in, table) != s->crc) {
			chunk_bad(s, image, "checksum mismatch");
			return;
		}
		return;
	case LB_CODEC_STORED:
		s->data = s->in + at;
		break;
	case LB_CODEC_DEFLATE:
	case LB_CODEC_ZSTD:
		if (lb_dec_run(d->dec, s->codec, s->in + at, s->in_len - at, s->out, s->len)) {
			chunk_bad(s, image, "its compressed data does not decode");
			return;
		}
		s->data = s->out;
		break;
	default:
		chunk_bad(s, image, "unknown codec");
		return;
	}
	lb_sum_of(kind, s->in, table, s->data, s->len, &got);
	if (!lb_sum_eq(&got, &s->sum)) {
		snprintf(what, sizeof what, "checksum mismatch after decoding (the image says %s, the "
		         "data gives %s)", lb_sum_format(kind, &s->sum, a, sizeof a),
		         lb_sum_format(kind, &got, b, sizeof b));
		chunk_bad(s, image, what);
	}
}

void lb_chunk_decode(void *dctx, struct lb_slot *s, const char *image)
{
	if (!lb_chunk_open(dctx, s, image))
		lb_chunk_finish(dctx, s, image);
}

int lb_image_info(const char *path, struct lb_image_info *info, struct lb_err *err)
{
	return lb_image_info_key(path, NULL, NULL, info, err);
}

int lb_image_info_key(const char *path, lb_passphrase_fn ask, void *ask_ctx,
                      struct lb_image_info *info, struct lb_err *err)
{
	struct lb_image img;
	int rc = open_image(&img, path, ask, ask_ctx, !ask, err);
	if (rc)
		return rc;
	*info = img.info;
	img.info.parts = NULL;
	img.info.unalloc = NULL;
	img.info.nparts = 0;
	lb_image_close(&img);
	return 0;
}
