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
	uint32_t next, crc;
	uint8_t zero, partial;       /* partial: clipped, cannot be checked by checksum */
};

struct lb_twriter {
	struct lb_dev dev;
	uint64_t lo, hi;             /* image offsets to write: [lo, hi) */
	uint64_t dest;               /* target offset where image offset lo goes */
	struct lb_extents ext;       /* image offsets of everything written */
	struct lb_vrec *v;
	size_t nv, capv;
	uint64_t written;            /* bytes */
	/* set when the caller will read back (verify): then every LB_TW_WINDOW chunks what was
	 * written is synced, read back and forgotten, so memory does not grow with the disk */
	int readback;
};

#define LB_TW_WINDOW 65536u          /* chunks (~64 GiB) remembered for a read-back at most */

#define LB_SLOT_SAME 0x200u          /* slot flag: the target already holds this chunk */

int lb_tw_open(struct lb_twriter *t, const char *target, struct lb_err *err);
void lb_tw_close(struct lb_twriter *t);
/* Writes the part of chunk s inside [lo, hi); s->data NULL means zeros. */
int lb_tw_write(struct lb_twriter *t, const struct lb_slot *s, struct lb_err *err);
/* Worker side, for --resume: does the target already hold chunk s (by CRC)? Uses s->out as
 * scratch. Safe to call from several threads. */
int lb_tw_same(struct lb_twriter *t, struct lb_slot *s);
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
