/* codec.h — compressing and decoding the data of one chunk, per worker thread: DEFLATE
 * (libdeflate) and zstd (libzstd), each a single independent frame (docs/FORMAT.md). */
#ifndef LB_CODEC_H
#define LB_CODEC_H
#include <stddef.h>

struct lb_enc;
struct lb_dec;

/* codec LB_CODEC_ZSTD or LB_CODEC_DEFLATE at a level of that codec (lb_codec_levels); NULL
 * when out of memory. */
struct lb_enc *lb_enc_new(unsigned codec, int level);
void lb_enc_free(struct lb_enc *e);
unsigned lb_enc_codec(const struct lb_enc *e);
/* Compresses n bytes into out; returns the compressed size, or 0 when it does not fit in cap
 * (give cap = n - 1: a chunk that does not shrink is stored). */
size_t lb_enc_run(struct lb_enc *e, const void *in, size_t n, void *out, size_t cap);

struct lb_dec *lb_dec_new(void);
void lb_dec_free(struct lb_dec *d);
/* 0 when in (n bytes, codec DEFLATE or ZSTD) decodes to exactly len bytes into out; else -1
 * (a zstd frame must be exactly one, whole, and decode to exactly len). */
int lb_dec_run(struct lb_dec *d, unsigned codec, const void *in, size_t n, void *out, size_t len);
#endif
