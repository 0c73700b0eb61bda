/* format.h — the Lifeboat image format, version 2.0 (docs/FORMAT.md is the specification).
 *
 * A file (or each segment of a split image) starts with a 64-byte segment header; the bytes
 * after it, concatenated over all segments, form the stream: a META record, CHUNK records in
 * increasing offset order with an INDEX record after every K of them (and after the last),
 * a TRAILER record (totals, where the INDEX records are, bad ranges) and an END record, which
 * is always the last 40 bytes. Every record header and every body carries a CRC-32.
 * Version 1.0 had no INDEX records: its TRAILER held the whole index (still read). 2.0 put an
 * XXH3-128 checksum into each chunk's payload and a CRC-32 of every payload into its header,
 * added zstd and encryption (flags bit 0, a KEY record, sealed payloads); 1.x is still read. */
#ifndef LB_FORMAT_H
#define LB_FORMAT_H
#include <stddef.h>
#include <stdint.h>

#define LB_FMT_MAJOR 2                /* written; 1.0 and 1.1 are read too, anything newer refused */
#define LB_FMT_MINOR 0
#define LB_SEG_ENCRYPTED 0x1u        /* segment header flags (2.0): a KEY record, sealed records */
#define LB_SEG_FLAGS_KNOWN LB_SEG_ENCRYPTED
#define LB_SEAL_LEN 40               /* nonce + tag a sealed payload adds (2.0, encrypted) */
#define LB_SEG_HDR_LEN 64
#define LB_REC_HDR_LEN 40
#define LB_REC_MAGIC 0x4352424cu     /* "LBRC" */
#ifndef LB_CHUNK_SIZE                /* -DLB_CHUNK_SIZE=... for measurements only */
#define LB_CHUNK_SIZE (1u << 20)     /* logical bytes per chunk written by this version */
#endif
#define LB_MAX_CHUNK (16u << 20)     /* largest chunk with data a reader accepts */
#define LB_MAX_ZERO (1u << 30)       /* largest zero chunk (codec 0: no payload) */
#define LB_MAX_EXTENTS 4096u         /* extents in one chunk a reader accepts */
#define LB_MAX_META (1u << 20)
#define LB_MAX_TRAILER (1u << 30)     /* body bytes; 1.0 trailers held the whole index */
#define LB_INDEX_EVERY 4096u         /* chunks per INDEX record written by this version */
#define LB_MAX_INDEX_EVERY 65536u    /* largest INDEX record (entries) a reader accepts */
#define LB_MAX_PIECES (1u << 21)     /* INDEX records listed in a 1.1 trailer, at most */

enum lb_rec_type { LB_REC_META = 1, LB_REC_CHUNK = 2, LB_REC_TRAILER = 3, LB_REC_END = 4,
                   LB_REC_INDEX = 5, LB_REC_KEY = 6 };
enum lb_codec { LB_CODEC_ZERO = 0, LB_CODEC_STORED = 1, LB_CODEC_DEFLATE = 2, LB_CODEC_ZSTD = 3 };
#define LB_CHUNK_BAD 0x1u            /* flags: contains unreadable sectors, filled with zeros */
#define LB_CHUNK_PATCH 0x2u          /* flags: data recovered by a later rescue pass; follows all
                                      * ordinary chunks and overrides the zeros of a BAD chunk */

struct lb_seg_hdr {
	unsigned major, minor;
	uint32_t index;                  /* 0 for the first file */
	uint64_t image_id;               /* random, the same in every segment of one image */
	uint64_t capacity;               /* stream bytes per full segment; 0 = not split */
	uint32_t flags;                  /* 2.0: LB_SEG_ENCRYPTED; 1.x: reserved, not read */
};

struct lb_rec {
	unsigned type, codec, flags;
	uint64_t offset;                 /* CHUNK: first logical byte; INDEX: seq of its first chunk */
	uint32_t nextents;               /* CHUNK: extents in the table; 0 = one, [offset, +length);
	                                  * INDEX: entries */
	uint32_t length;                 /* CHUNK: logical bytes; META/TRAILER/INDEX: body bytes */
	uint32_t stored;                 /* bytes of payload after the header */
	uint32_t crc;                    /* 2.0: CRC-32 of the stored payload; 1.x: of the body, or
	                                  * for a CHUNK of its extent table + logical data */
	uint32_t seq;                    /* CHUNK: 0, 1, 2...; INDEX: its number 0, 1, 2...;
	                                  * END: number of chunks (low 32 bits) */
};

/* Trailer body, 1.0: fixed part, then nchunks index entries, then nbad ranges.
 * 1.1: fixed part (LB_TRAILER11_FIXED), then one LB_PIECE_ENTRY per INDEX record, then nbad
 * ranges. An INDEX record's body is its chunks' LB_INDEX_ENTRY entries. */
#define LB_TRAILER_FIXED 48
#define LB_TRAILER11_FIXED 64
#define LB_INDEX_ENTRY 24            /* span start, span end, stream position of the record */
#define LB_PIECE_ENTRY 24            /* stream position of an INDEX record, lowest span start,
                                      * highest span end of its chunks */

void lb_seg_encode(const struct lb_seg_hdr *h, uint8_t out[LB_SEG_HDR_LEN]);
/* 0, or LB_EFOREIGN / LB_EDAMAGED / LB_EVERSION with why filled. */
int lb_seg_decode(const uint8_t in[LB_SEG_HDR_LEN], struct lb_seg_hdr *h, char *why, size_t len);
void lb_rec_encode(const struct lb_rec *r, uint8_t out[LB_REC_HDR_LEN]);
/* 0 when the header is intact and its fields are within the limits above for an image of
 * version major whose payloads are sealed (encrypted: seal = LB_SEAL_LEN) or not (0); else why. */
int lb_rec_decode(const uint8_t in[LB_REC_HDR_LEN], struct lb_rec *r, unsigned major,
                  unsigned seal, char *why, size_t len);
/* Where a 2.0 chunk's data starts in its (unsealed) payload: after the extent table and, for a
 * chunk with data, its checksum. */
size_t lb_chunk_data_at(unsigned major, unsigned codec, uint32_t nextents);
#endif
