/* image.h — reading an image record by record: the description (META), the chunks in order,
 * and the trailer and end marker, cross-checking sequence numbers, order, index and totals. */
#ifndef LB_IMAGE_H
#define LB_IMAGE_H
#include "extents.h"
#include "format.h"
#include "lifeboat.h"
#include "pipeline.h"
#include "segio.h"

#define LB_KEEP_BAD (1u << 22)       /* ranges kept in memory: 64 MiB */

struct lb_image {
	struct lb_imgr r;
	struct lb_image_info info;
	/* from the trailer (files: read at open; pipes: at the end) */
	int have_trailer;
	uint64_t nchunks, data_bytes, stored_bytes, nbad, bad_bytes;
	/* the unreadable ranges, for read-back and verify --against (the bytes a chunk with bad
	 * sectors holds as zeros); all of them unless more than LB_KEEP_BAD (bad_partial) */
	struct lb_extents bad;
	int bad_partial;
	uint8_t *index;              /* 1.0: the whole index, nchunks * LB_INDEX_ENTRY bytes */
	/* 1.1: the index comes in INDEX records of `every` chunks; memory stays O(every) */
	int v11;
	uint32_t every;              /* from the trailer (files) or the first INDEX record (pipes) */
	uint64_t npieces;
	uint8_t *pieces;             /* files: the trailer's list, npieces * LB_PIECE_ENTRY */
	uint8_t *piece;              /* files: entries of INDEX record piece_no, read ahead */
	uint64_t piece_no;
	int piece_loaded;
	uint8_t *win, *ibuf;         /* entries of the chunks read since the last INDEX record;
	                              * scratch for an INDEX record's body */
	uint32_t nwin, capwin;
	uint64_t win_lo, win_hi, seen_pieces;
	int short_piece;             /* an INDEX record with fewer than `every` entries was read */
	uint32_t pieces_crc;         /* pipes: CRC of the trailer's list as the INDEX records say */
	/* sequential reading */
	uint64_t seq, last_end, seen_data, seen_stored;
	int at_end, in_patches;
	/* encrypted images (2.0): the key, and records after KEY are sealed (seal = LB_SEAL_LEN) */
	struct lb_crypt *crypt;
	unsigned seal;
	uint8_t *tbody;              /* an unsealed trailer body, read from here (rd) */
	uint64_t tbody_at, tbody_len;
};

/* Opens the image, reads its description; for image files also the end marker, the trailer
 * and the last INDEX record, so a truncated or incomplete file is refused here, before
 * anything is written. The other INDEX records are checked as reading reaches them. */
int lb_image_open(struct lb_image *img, const char *path, struct lb_err *err);
/* The same for an image that may be encrypted: ask (may be NULL: LB_EKEY) gives the
 * passphrase; a wrong one fails with LB_EKEY. */
int lb_image_open_key(struct lb_image *img, const char *path, lb_passphrase_fn ask,
                      void *ask_ctx, struct lb_err *err);
void lb_image_close(struct lb_image *img);
/* Reads the next chunk record into s (s->in = payload as stored, s->offset/len/next/codec/
 * flags, s->crc = the header's crc, s->stream_pos). Returns 0, 1 at a verified end, or an
 * lb_code. */
int lb_image_next(struct lb_image *img, struct lb_slot *s, size_t cap, struct lb_err *err);
/* The kind of the image's chunk checksums (chksum.h): CRC-32 for 1.x, XXH3-128 for 2.0. */
int lb_image_sum_kind(const struct lb_image *img);
/* Worker side, in two steps (restore --resume compares the target between them):
 * lb_chunk_open checks the payload's CRC (2.0), parses the extent table into s->ext and sets
 * s->sum; 0, or -1 with s->err_code / s->err_msg set. lb_chunk_finish decodes into s->data
 * (s->out is the scratch buffer) and checks s->sum. lb_chunk_decode does both. dctx is the
 * worker's lb_decoder_new. */
int lb_chunk_open(void *dctx, struct lb_slot *s, const char *image);
void lb_chunk_finish(void *dctx, struct lb_slot *s, const char *image);
void lb_chunk_decode(void *dctx, struct lb_slot *s, const char *image);
/* Checks the extent table alone and fills s->ext; 1 when consistent (1.x payloads). */
int lb_chunk_table_ok(struct lb_slot *s);
/* Worker scratch for lb_chunk_decode (decoders of every codec); ctx is the image (a pipeline's
 * ctx starts with its struct lb_image). NULL when out of memory, which lb_chunk_decode then
 * reports. */
void *lb_decoder_new(void *ctx);
void lb_decoder_free(void *dctx);
/* Fills the buffer sizes and worker scratch of a pipeline that decodes this image. */
void lb_image_ops(const struct lb_image *img, struct lb_pipe_ops *ops);
/* Random access (files): the number of index pieces (INDEX records; 1.0: 1, the whole index)
 * and the checked entries of piece j (LB_INDEX_ENTRY bytes each: span start, span end, stream
 * position), valid until the next call. Not thread-safe: callers lock. */
uint64_t lb_image_index_pieces(const struct lb_image *img);
int lb_image_index_piece(struct lb_image *img, uint64_t j, const uint8_t **entries,
                         uint64_t *count, struct lb_err *err);
/* Buffer sizes a reader of this image needs. */
size_t lb_image_in_cap(const struct lb_image *img);
#endif
