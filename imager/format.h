/* format.h — the Lifeboat image format, version 1 (docs/FORMAT.md is the specification).
 *
 * A file (or each segment of a split image) starts with a 64-byte segment header; the bytes
 * after it, concatenated over all segments, form the stream: a META record, CHUNK records in
 * increasing offset order, a TRAILER record (index, totals, bad ranges) and an END record,
 * which is always the last 40 bytes. Every record header and every body carries a CRC-32. */
#ifndef LB_FORMAT_H
#define LB_FORMAT_H
#include <stddef.h>
#include <stdint.h>

#define LB_FMT_MAJOR 1
#define LB_FMT_MINOR 0
#define LB_SEG_HDR_LEN 64
#define LB_REC_HDR_LEN 40
#define LB_REC_MAGIC 0x4352424cu     /* "LBRC" */
#define LB_CHUNK_SIZE (1u << 20)     /* logical bytes per chunk written by this version */
#define LB_MAX_CHUNK (16u << 20)     /* largest chunk a reader accepts */
#define LB_MAX_EXTENTS 4096u         /* extents in one chunk a reader accepts */
#define LB_MAX_META (1u << 20)
#define LB_MAX_TRAILER (1u << 30)

enum lb_rec_type { LB_REC_META = 1, LB_REC_CHUNK = 2, LB_REC_TRAILER = 3, LB_REC_END = 4 };
enum lb_codec { LB_CODEC_ZERO = 0, LB_CODEC_STORED = 1, LB_CODEC_DEFLATE = 2 };
#define LB_CHUNK_BAD 0x1u            /* flags: contains unreadable sectors, filled with zeros */
#define LB_CHUNK_PATCH 0x2u          /* flags: data recovered by a later rescue pass; follows all
                                      * ordinary chunks and overrides the zeros of a BAD chunk */

struct lb_seg_hdr {
	unsigned major, minor;
	uint32_t index;                  /* 0 for the first file */
	uint64_t image_id;               /* random, the same in every segment of one image */
	uint64_t capacity;               /* stream bytes per full segment; 0 = not split */
};

struct lb_rec {
	unsigned type, codec, flags;
	uint64_t offset;                 /* CHUNK: first logical byte */
	uint32_t nextents;               /* CHUNK: extents in the table; 0 = one, [offset, +length) */
	uint32_t length;                 /* CHUNK: logical bytes; META/TRAILER: body bytes */
	uint32_t stored;                 /* bytes of payload after the header */
	uint32_t crc;                    /* CRC-32 of extent table + logical data (see FORMAT.md) */
	uint32_t seq;                    /* CHUNK: 0, 1, 2...; END: number of chunks (low 32 bits) */
};

/* Trailer body: fixed part, then nchunks index entries, then nbad ranges. */
#define LB_TRAILER_FIXED 48
#define LB_INDEX_ENTRY 24            /* span start, span end, stream position of the record */

void lb_seg_encode(const struct lb_seg_hdr *h, uint8_t out[LB_SEG_HDR_LEN]);
/* 0, or LB_EFOREIGN / LB_EDAMAGED / LB_EVERSION with why filled. */
int lb_seg_decode(const uint8_t in[LB_SEG_HDR_LEN], struct lb_seg_hdr *h, char *why, size_t len);
void lb_rec_encode(const struct lb_rec *r, uint8_t out[LB_REC_HDR_LEN]);
/* 0 when the header is intact and its fields are within the limits above; else why. */
int lb_rec_decode(const uint8_t in[LB_REC_HDR_LEN], struct lb_rec *r, char *why, size_t len);
#endif
