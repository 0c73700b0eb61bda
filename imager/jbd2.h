/* jbd2.h — an ext3/ext4 journal (JBD2) read and replayed in memory, never written: what
 * e2fsck's recovery would lay over the filesystem, as a map fs block → journal block.
 * jbd2.c parses and runs the three recovery passes (scan, revoke, replay) the way
 * e2fsprogs' e2fsck/recovery.c and the kernel do; jbd2_overlay.c serves reads of the
 * replayed view from that map (fs_ext_journal.c ties both to libext2fs). */
#ifndef LB_JBD2_H
#define LB_JBD2_H
#include <stddef.h>
#include <stdint.h>
#include "blockdev.h"

/* Where the journal's blocks come from: read(ctx, n, buf) fills buf with the journal's
 * logical block n (blocksize bytes) and returns 0, or a negative errno. */
struct lb_jbd2_src {
	int (*read)(void *ctx, uint32_t n, void *buf);
	void *ctx;
	uint32_t nblocks;        /* the journal's length in blocks (its inode's size) */
	uint32_t blocksize;      /* the filesystem's block size: the journal's must match */
	uint64_t fs_blocks;      /* blocks in the filesystem: a tag past them is corruption */
};

/* One block the replay writes: fs block `fsblk` gets journal block `jblk`, with the JBD2
 * magic put back in its first four bytes when `escaped`. */
struct lb_jbd2_write {
	uint64_t fsblk;
	uint32_t jblk;
	uint32_t escaped;
};

struct lb_jbd2 {
	struct lb_jbd2_write *w;   /* sorted by fsblk, one per block: the last write wins */
	size_t n;
	uint32_t first_tid, ntrans;  /* the transactions replayed: first_tid .. +ntrans-1 */
	uint64_t tags;             /* block tags met in them (before revokes and overwrites) */
	uint64_t revoked;          /* tags skipped because a later revoke names their block */
	int32_t journal_errno;     /* s_errno of the journal superblock: e2fsck marks errors */
	int empty;                 /* s_start 0: nothing to replay */
	char format[48];           /* "v2, 64bit, csum v3" — for the plan */
};

/* Reads the journal superblock and runs the passes. 0 and *j filled (free with
 * lb_jbd2_free), or -1 with `why` naming what failed and where (transaction, journal
 * block): an unknown format, checksums that fail, a transaction e2fsck would call corrupt,
 * unreadable blocks. Memory is bounded by the journal's length (one entry per block tag)
 * and a cap on revoke records. Survives any bytes. */
int lb_jbd2_replay(const struct lb_jbd2_src *src, struct lb_jbd2 *j, char *why, size_t whylen);
void lb_jbd2_free(struct lb_jbd2 *j);

/* The replayed view of a filesystem at [off, off+size) of d: the writes of a replay, the
 * journal's own block map (logical → physical, in runs) to read them on demand, and the
 * superblock as e2fsck leaves it after recovery (needs_recovery cleared; errors recorded
 * when the journal says so; checksum recomputed). Built by lb_jbd2_view_new, which takes
 * over j's writes; runs is copied. */
struct lb_jbd2_run { uint32_t lblk, len; uint64_t pblk; };
struct lb_jbd2_view;

int lb_jbd2_view_new(struct lb_dev *d, uint64_t off, uint64_t size, uint32_t blocksize,
                     struct lb_jbd2 *j, const struct lb_jbd2_run *runs, size_t nruns,
                     struct lb_jbd2_view **out);
void lb_jbd2_view_free(struct lb_jbd2_view *v);

/* buf holds bytes [at, at+len) of the filesystem as read from the device: lays the replayed
 * blocks and the view's superblock over them. 0, or a negative errno when a journal block
 * could not be read. Safe from several threads at once (reads only). */
int lb_jbd2_view_patch(const struct lb_jbd2_view *v, void *buf, uint64_t at, uint64_t len);

/* The fs blocks the journal occupies and those the replay writes, one call per run of
 * consecutive blocks; stops at the first non-zero return and returns it. */
int lb_jbd2_view_each_block(const struct lb_jbd2_view *v,
                            int (*fn)(void *ctx, uint64_t fsblk, uint64_t count), void *ctx);
#endif
