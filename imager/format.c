/* Encoding and checking of segment and record headers. */
#include <stdio.h>
#include <string.h>
#include "format.h"
#include "le.h"
#include "lifeboat.h"
#include "ptable.h"

void lb_seg_encode(const struct lb_seg_hdr *h, uint8_t out[LB_SEG_HDR_LEN])
{
	memset(out, 0, LB_SEG_HDR_LEN);
	memcpy(out, "LIFEBOAT", 8);
	put16(out + 8, (uint16_t)h->major);
	put16(out + 10, (uint16_t)h->minor);
	put32(out + 12, h->index);
	put64(out + 16, h->image_id);
	put64(out + 24, h->capacity);
	put32(out + 32, h->flags);
	put32(out + 60, lb_crc32(0, out, 60));
}

int lb_seg_decode(const uint8_t in[LB_SEG_HDR_LEN], struct lb_seg_hdr *h, char *why, size_t len)
{
	if (memcmp(in, "LIFEBOAT", 8)) {
		snprintf(why, len, "it does not start with the Lifeboat signature");
		return LB_EFOREIGN;
	}
	if (lb_crc32(0, in, 60) != le32(in + 60)) {
		snprintf(why, len, "its segment header is corrupted (checksum mismatch)");
		return LB_EDAMAGED;
	}
	h->major = le16(in + 8);
	h->minor = le16(in + 10);
	h->index = le32(in + 12);
	h->image_id = le64(in + 16);
	h->capacity = le64(in + 24);
	h->flags = h->major >= 2 ? le32(in + 32) : 0;   /* reserved (and unchecked) in 1.x */
	/* 1.1 changed the layout, so minor versions count too: a newer one needs a newer reader */
	if (!((h->major == 1 && h->minor <= 1) || (h->major == 2 && h->minor <= LB_FMT_MINOR))) {
		snprintf(why, len, "it is format version %u.%u; this Lifeboat (%s) reads versions "
		         "1.0, 1.1 and 2.0%s", h->major, h->minor, LB_VERSION, h->major >= 1 ?
		         ": it needs a newer Lifeboat" : "");
		return LB_EVERSION;
	}
	if (h->flags & ~LB_SEG_FLAGS_KNOWN) {
		snprintf(why, len, "it uses format features this Lifeboat (%s) does not know (segment "
		         "flags 0x%x): it needs a newer Lifeboat", LB_VERSION, (unsigned)h->flags);
		return LB_EVERSION;
	}
	if (h->capacity && h->capacity < 4096) {
		snprintf(why, len, "its segment header claims an impossible segment size (%llu)",
		         (unsigned long long)h->capacity);
		return LB_EDAMAGED;
	}
	return 0;
}

void lb_rec_encode(const struct lb_rec *r, uint8_t out[LB_REC_HDR_LEN])
{
	put32(out, LB_REC_MAGIC);
	out[4] = (uint8_t)r->type;
	out[5] = (uint8_t)r->codec;
	put16(out + 6, (uint16_t)r->flags);
	put64(out + 8, r->offset);
	put32(out + 16, r->nextents);
	put32(out + 20, r->length);
	put32(out + 24, r->stored);
	put32(out + 28, r->crc);
	put32(out + 32, r->seq);
	put32(out + 36, lb_crc32(0, out, 36));
}

size_t lb_chunk_data_at(unsigned major, unsigned codec, uint32_t nextents)
{
	return (size_t)nextents * 16 + (major >= 2 && codec != LB_CODEC_ZERO ? 16 : 0);
}

int lb_rec_decode(const uint8_t in[LB_REC_HDR_LEN], struct lb_rec *r, unsigned major,
                  unsigned seal, char *why, size_t len)
{
	uint32_t plain;
	if (le32(in) != LB_REC_MAGIC) {
		snprintf(why, len, "no record starts here (bad record signature)");
		return -1;
	}
	if (lb_crc32(0, in, 36) != le32(in + 36)) {
		snprintf(why, len, "the record header is corrupted (checksum mismatch)");
		return -1;
	}
	r->type = in[4];
	r->codec = in[5];
	r->flags = le16(in + 6);
	r->offset = le64(in + 8);
	r->nextents = le32(in + 16);
	r->length = le32(in + 20);
	r->stored = le32(in + 24);
	r->crc = le32(in + 28);
	r->seq = le32(in + 32);
	if (major < 2)
		seal = 0;
	/* the payload before sealing (END is never sealed) */
	if (r->type != LB_REC_END && (r->stored < seal ||
	                              (r->type == LB_REC_KEY && seal)))   /* KEY stays in the clear */
		goto bad;
	plain = r->type == LB_REC_END || r->type == LB_REC_KEY ? r->stored : r->stored - seal;
	switch (r->type) {
	case LB_REC_META:
		if (r->length > LB_MAX_META || plain != r->length)
			goto bad;
		break;
	case LB_REC_TRAILER:
		if (r->length > LB_MAX_TRAILER || plain != r->length || r->length < LB_TRAILER_FIXED)
			goto bad;
		break;
	case LB_REC_END:
		if (r->stored || r->length)
			goto bad;
		break;
	case LB_REC_INDEX:
		if (!r->nextents || r->nextents > LB_MAX_INDEX_EVERY ||
		    r->length != r->nextents * LB_INDEX_ENTRY || plain != r->length)
			goto bad;
		break;
	case LB_REC_KEY:
		if (major < 2) {
			snprintf(why, len, "unknown record type %u", r->type);
			return -1;
		}
		if (r->offset || r->nextents || r->codec || r->flags || r->seq || r->length != 80 ||
		    r->stored != 80)
			goto bad;
		break;
	case LB_REC_CHUNK: {
		/* 2.0: [table][checksum 16 B][data] for chunks with data */
		uint64_t table = (uint64_t)r->nextents * 16 +
		                 (major >= 2 && r->codec != LB_CODEC_ZERO ? 16 : 0);
		/* zero chunks carry no data, so they may cover much more (holes of sparse sources) */
		uint32_t max = r->codec == LB_CODEC_ZERO ? LB_MAX_ZERO : LB_MAX_CHUNK;
		if (r->codec > (major >= 2 ? LB_CODEC_ZSTD : LB_CODEC_DEFLATE)) {
			snprintf(why, len, "a chunk uses an unknown codec (%u)", r->codec);
			return -1;
		}
		if (!r->length || r->length > max || r->nextents > LB_MAX_EXTENTS ||
		    r->nextents == 1 || r->offset > UINT64_MAX - r->length)
			goto bad;
		if (r->codec == LB_CODEC_ZERO && plain != table)
			goto bad;
		if (r->codec == LB_CODEC_STORED && plain != table + r->length)
			goto bad;
		if (r->codec >= LB_CODEC_DEFLATE && (plain <= table ||
		                                     plain > table + r->length + r->length / 8 + 1024))
			goto bad;
		break;
	}
	default:
		snprintf(why, len, "unknown record type %u", r->type);
		return -1;
	}
	return 0;
bad:
	snprintf(why, len, "a record header has impossible sizes");
	return -1;
}
