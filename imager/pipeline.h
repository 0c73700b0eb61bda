/* pipeline.h — one producer thread, N worker threads, and an in-order consumer running on the
 * caller's thread (so progress callbacks, and a TUI drawing from them, stay on one thread).
 * Memory is bounded: a fixed ring of slots, each with one input and one output buffer (and an
 * optional third, aux), sized by lb_pipeline_shape so the chunk buffers stay within
 * LB_PIPE_BUDGET whatever --threads and the core count say. Buffers are 4096-aligned, so a
 * device opened with O_DIRECT can read and write them without a copy.
 *
 * Errors are ordered: a slot that failed in a worker, or the producer failing after slot S,
 * is reported when the consumer reaches that point, after every earlier slot was consumed and
 * before any later one is. So restore never writes past a chunk it could not vouch for. */
#ifndef LB_PIPELINE_H
#define LB_PIPELINE_H
#include <stddef.h>
#include <stdint.h>
#include "chksum.h"
#include "extents.h"
#include "format.h"
#include "lifeboat.h"

#define LB_SLOT_MAX_EXTENTS LB_MAX_EXTENTS

struct lb_slot {
	uint64_t seq;
	uint64_t offset;             /* first logical byte */
	uint32_t len;                /* logical bytes */
	uint32_t next;               /* extents in ext[] (1 = the plain range [offset, +len)) */
	struct lb_extent *ext;
	uint8_t *in;                 /* producer's buffer */
	size_t in_len;
	uint8_t *out;                /* worker's buffer */
	size_t out_len;
	uint8_t *aux;                /* NULL unless ops->aux_cap: the user's third buffer */
	size_t aux_cap, aux_len;
	const uint8_t *data;         /* the logical data after work (in or out), NULL for zeros */
	unsigned codec, flags;
	uint32_t crc;                /* the record header's crc field (2.0: CRC-32 of the payload) */
	struct lb_sum sum;           /* the chunk's checksum (kind: the image's, lb_image_sum_kind) */
	uint64_t stream_pos;         /* restore/verify: where the record was in the image */
	uint32_t rec_seq;            /* restore/verify: the record's seq field */
	int sealed;                  /* encrypted image: in is still sealed (the worker opens it) */
	int err_code;                /* set by work(): reported in order by the pipeline */
	char err_msg[512];
};

struct lb_pipe_ops {
	void *ctx;
	size_t in_cap, out_cap;      /* buffer sizes per slot */
	size_t aux_cap;              /* 0: no aux buffer */
	/* Producer thread: fill s (seq, buffers allocated); return 0 = filled, 1 = no more,
	 * or an lb_code with err filled. */
	int (*produce)(void *ctx, struct lb_slot *s, struct lb_err *err);
	void *(*worker_init)(void *ctx);          /* per worker thread scratch (may be NULL) */
	void (*worker_fini)(void *wctx);
	/* Worker threads, concurrently: transform s; on failure set s->err_code / s->err_msg. */
	void (*work)(void *ctx, void *wctx, struct lb_slot *s);
	/* Caller's thread, in seq order; return 0 or an lb_code with err filled. */
	int (*consume)(void *ctx, struct lb_slot *s, struct lb_err *err);
	/* Caller's thread, after each consume and every 0.2 s while waiting for the next slot (a
	 * producer in slow reads): return non-zero to stop (cancel). */
	int (*tick)(void *ctx);
};

#ifndef LB_PIPE_BUDGET              /* -DLB_PIPE_BUDGET=... for measurements only */
#define LB_PIPE_BUDGET (32u << 20)  /* bytes of slot buffers at most (unless 3 slots need more) */
#endif
#define LB_PIPE_MAX_WORKERS 12      /* more threads than this do not make one disk faster */

int lb_pipeline_run(const struct lb_pipe_ops *ops, int threads, struct lb_err *err);
int lb_default_threads(void);
/* How many workers and slots a run gets for threads asked (< 1: lb_default_threads) and
 * slot_bytes of buffers per slot: at most LB_PIPE_MAX_WORKERS workers, 2 * workers + 2 slots,
 * but no more slots than fit in LB_PIPE_BUDGET (at least 3: one being read, one worked on, one
 * written), and no more workers than slots - 1. */
void lb_pipeline_shape(int threads, size_t slot_bytes, int *workers, int *slots);
#endif
