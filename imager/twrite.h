/* twrite.h — writing chunks to a restore or clone target, remembering what was written so it
 * can be read back and checked against the chunk checksums afterwards. */
#ifndef LB_TWRITE_H
#define LB_TWRITE_H
#include "blockdev.h"
#include "extents.h"
#include "pipeline.h"
#include "progress.h"

struct lb_vrec {
	uint64_t first;              /* index into ext */
	uint32_t next;
	struct lb_sum sum;           /* of the chunk (kind: the writer's sum_kind) */
	uint8_t zero, partial;       /* partial: clipped, cannot be checked by checksum */
	uint8_t masked;              /* holds unreadable sectors: checked with lb_tw_check_rec's mask */
};

struct lb_twriter {
	struct lb_dev dev;
	int sum_kind;                /* the chunks' checksums: LB_SUM_CRC32 (1.x images), XXH128 */
	uint64_t lo, hi;             /* image offsets to write: [lo, hi) */
	uint64_t dest;               /* target offset where image offset lo goes */
	struct lb_extents ext;       /* image offsets of everything written */
	struct lb_vrec *v;
	size_t nv, capv;
	uint64_t written;            /* bytes */
	uint64_t same;               /* bytes --resume found right on the target and did not write */
	uint64_t chunks, chunks_written;   /* chunks passed to lb_tw_write; those written to */
	/* set when the caller will read back (verify): then every LB_TW_WINDOW chunks what was
	 * written is synced, read back and forgotten, so memory does not grow with the disk */
	int readback;
	size_t flush_at;             /* records kept (bad sectors) after the last window */
	/* Failing sources. A chunk flagged BAD was checksummed with zeros where pass 1 could not
	 * read; those bytes are exactly the patch chunks' ranges plus the ranges still unreadable
	 * at the end. So read-back recomputes a BAD chunk's checksum with those bytes taken as
	 * zeros (every other byte of it is checked), patch chunks are checked by their own
	 * checksums, and the unreadable ranges must read back as zeros: every byte is checked. */
	struct lb_extents patched;   /* image offsets of patch chunks written */
	struct lb_extents bad;       /* image offsets still unreadable (set before lb_tw_finish) */
	int mask_unknown;            /* bad is incomplete (too many ranges): chunks with bad
	                              * sectors are not checked, and the copy is not called verified */
};

#ifndef LB_TW_WINDOW                 /* -DLB_TW_WINDOW=3 exercises the windows in tests */
#define LB_TW_WINDOW 65536u          /* chunks (~64 GiB) remembered for a read-back at most */
#endif

#define LB_SLOT_SAME 0x200u          /* slot flag: the target already holds this chunk */
#define LB_SLOT_DIFF 0x4000u         /* slot flag: it holds it in part; s->aux says what it has:
                                      * data chunks: the chunk's bytes as read from the target;
                                      * zero chunks: s->aux_len target ranges not zeros */
#define LB_TW_BLOCK 4096u            /* --resume compares and rewrites blocks of this size */

int lb_tw_open(struct lb_twriter *t, const char *target, struct lb_err *err);
void lb_tw_close(struct lb_twriter *t);
/* Writes the part of chunk s inside [lo, hi); s->data NULL means zeros. */
int lb_tw_write(struct lb_twriter *t, const struct lb_slot *s, struct lb_err *err);
/* Worker side, for --resume: does the target already hold chunk s (by its checksum, s->sum)?
 * Reads into s->aux when the pipeline has one (aux_cap >= the chunk size), else s->out as
 * scratch. With aux, a chunk that differs is flagged LB_SLOT_DIFF when aux holds what
 * lb_tw_write needs to write only the 4 KiB blocks that differ. A chunk found the same is
 * not read again by the read-back (it was just read and checked). Safe from several threads. */
int lb_tw_same(struct lb_twriter *t, struct lb_slot *s);
/* Checks one chunk against d: its extents (image offsets) are at d offset off - lo + dest; the
 * bytes inside mask (image offsets, sorted and merged; NULL = none) are not read and count as
 * zeros. *same = 1 when the data matches sum (of that kind), or is all zeros for a zero chunk. */
int lb_tw_check_rec(struct lb_dev *d, const struct lb_extent *ext, uint32_t next, int kind,
                    const struct lb_sum *sum, int zero, uint64_t lo, uint64_t dest,
                    const struct lb_extents *mask, uint8_t *buf, size_t cap, int *same,
                    struct lb_err *err);
/* The mask for BAD chunks: a's and b's ranges, sorted and merged, into out. */
int lb_ext_union(const struct lb_extents *a, const struct lb_extents *b, struct lb_extents *out);
/* Flushes, drops cached pages, reads everything back and checks it. */
int lb_tw_verify(struct lb_twriter *t, struct lb_prog *prog, int *verified, struct lb_err *err);
/* The end of every restore and clone: flush, read back and check (verify), then for a
 * whole-disk GPT write (gpt_src_size != 0) move the backup GPT; for any whole-disk write erase
 * old GPT headers outside it (lb_tw_wipe_stale); flush again, and have the kernel re-read the
 * partitions of a whole-disk block device. */
int lb_tw_finish(struct lb_twriter *t, int verify, uint64_t gpt_src_size, int whole_disk,
                 struct lb_prog *prog, struct lb_report *rep, struct lb_err *err);
/* After a whole-disk write: erases GPT headers (512- and 4096-byte sectors, LBA 1 and the last
 * LBA) and md RAID 0.90/1.0 superblocks (at the end) that the target kept from before outside
 * what was written and outside the table it now has, and for a GPT image (gpt_src_size != 0)
 * on a larger target the backup header left where the source ended. *wiped counts them. */
int lb_tw_wipe_stale(struct lb_twriter *t, uint64_t gpt_src_size, int *wiped, struct lb_err *err);
/* After a whole-disk write of a GPT disk: moves the backup GPT to the target's end (and repairs
 * a damaged primary) when needed. */
int lb_tw_fix_gpt(struct lb_twriter *t, uint64_t src_size, int *relocated, struct lb_err *err);
#endif
