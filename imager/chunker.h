/* chunker.h — turning a plan into chunks: the producer that reads the source (backup, clone)
 * and the worker that tests for zeros, checksums and compresses. */
#ifndef LB_CHUNKER_H
#define LB_CHUNKER_H
#include <stdatomic.h>
#include "blockdev.h"
#include "pipeline.h"
#include "plan.h"

struct lb_map;

struct lb_chunker {
	struct lb_dev *src;
	const struct lb_plan *plan;
	size_t ext_i;                /* position in plan->ext */
	uint64_t ext_pos;            /* bytes of that extent already taken */
	uint64_t *bounds;            /* partition starts and ends, sorted: chunks never cross one */
	size_t nbounds;
	unsigned codec;              /* LB_CODEC_ZSTD, LB_CODEC_DEFLATE; 0: no payload (clone) */
	int level;                   /* of that codec; deflate 0 = stored */
	/* failing disks (rescue.c): pass 1 zero-fills a piece that fails, skips ahead, and notes
	 * both in pending; rescue passes then read pending pieces block by block and sector by
	 * sector (patch chunks) */
	struct lb_extents pending;   /* not yet read finely */
	struct lb_extents bad;       /* still unreadable after the last pass */
	size_t pend_i;
	uint64_t pend_pos;
	int rescue;                  /* producing patch chunks from pending */
	int retries;                 /* further sector-by-sector passes over bad */
	int sector_only;             /* a retry pass: bad sectors are read one by one, once */
	uint64_t skip, skip_until;   /* pass 1 inside a bad zone: distance skipped, and to where */
	_Atomic uint64_t bad_bytes;  /* for progress: unreadable so far (pass 1 counts pending) */
	/* disk-image files: holes become zero chunks without being read */
	uint64_t data_until;         /* [.., data_until) is known to be data (SEEK_HOLE) */
	int no_holes;                /* block device, or the filesystem cannot say */
	atomic_int cancel;           /* set by the front end's tick: the producer stops between reads */
	struct lb_map *map;          /* NULL, or the mapfile kept as the run goes */
};

#define LB_SLOT_HOLE 0x400u          /* slot flag: a hole of the source file, not read: zeros */

int lb_chunker_init(struct lb_chunker *c, struct lb_dev *src, const struct lb_plan *plan,
                    unsigned codec, int level);
void lb_chunker_free(struct lb_chunker *c);
/* pipeline callbacks; ctx is the struct lb_chunker */
int lb_chunker_produce(void *ctx, struct lb_slot *s, struct lb_err *err);
/* Switches the chunker to its rescue passes (rescue.c); returns 0 when there is nothing to
 * rescue. */
int lb_chunker_start_rescue(struct lb_chunker *c, int retries);
void *lb_chunker_worker_init(void *ctx);
void lb_chunker_worker_fini(void *wctx);
/* Sets s->sum (XXH3-128 of extent table + data), s->codec, s->data (the logical data, NULL for
 * zeros). With a codec (backup) s->out = the whole 2.0 payload, [table][checksum][data as the
 * codec has it], stored chunks copied too (s->out_len bytes; out_cap leaves LB_SEAL_LEN more),
 * and s->crc = its CRC-32. */
void lb_chunker_work(void *ctx, void *wctx, struct lb_slot *s);
size_t lb_chunker_out_cap(void);
/* Fills the producer and worker side of ops with the chunker's callbacks and buffer sizes. */
void lb_chunker_ops(struct lb_pipe_ops *ops);
/* Encodes the slot's extent table (when more than one extent) into buf; returns its length. */
size_t lb_chunk_table(const struct lb_slot *s, uint8_t *buf);
int lb_is_zero(const uint8_t *p, size_t n);
/* Does [off, off+len) of d read as zeros? Reads through buf (cap bytes) and, on files, skips
 * holes (SEEK_DATA), so a zero chunk of up to 1 GiB costs little. 0: zeros; -1: not, *at = the
 * first byte that is not; else an lb_code with err filled. */
int lb_dev_check_zero(struct lb_dev *d, uint64_t off, uint64_t len, uint8_t *buf, size_t cap,
                      uint64_t *at, struct lb_err *err);
#endif
