/* unalloc.h — space outside every partition: what a backup keeps of it, what it may skip, and
 * the probe that finds a deleted partition's filesystem in a region it would skip. */
#ifndef LB_UNALLOC_H
#define LB_UNALLOC_H
#include <stdint.h>
#include "blockdev.h"
#include "extents.h"
#include "ptable.h"

#define LB_MIB (1ull << 20)
/* Before the first partition, up to this much is always kept (boot loaders live there; as
 * Clonezilla keeps up to 1 GiB after the MBR). */
#define LB_UNALLOC_HEAD_KEEP (1ull << 30)
/* Between and after partitions, regions up to this size are kept (alignment gaps, EBRs, GPT). */
#define LB_UNALLOC_GAP_KEEP (16ull << 20)
/* Signature reads per skippable region at most: the stride between probed 1 MiB-aligned offsets
 * grows (powers of two) so that a huge region costs a bounded number of reads. */
#define LB_UNALLOC_MAX_PROBES 4096

/* Ranges kept whatever their size: the first and the last MiB of the disk, the MBR, every EBR,
 * both GPT headers and entry arrays. Appended to fixed (normalized). 0 or -ENOMEM. */
int lb_unalloc_fixed(const struct lb_ptable *t, uint64_t disk_size, struct lb_extents *fixed);

/* Splits rest (normalized: the disk outside every partition) into keep (kept unconditionally)
 * and cand (regions a backup may skip, each larger than LB_UNALLOC_GAP_KEEP). first_start: the
 * first partition's start (disk_size when there is none). Both outputs normalized.
 * 0 or -ENOMEM. */
int lb_unalloc_split(const struct lb_extents *rest, uint64_t disk_size, uint64_t first_start,
                     const struct lb_extents *fixed, struct lb_extents *keep,
                     struct lb_extents *cand);

/* Looks for a filesystem or volume signature in [off, off+len): at off and at 1 MiB-aligned
 * offsets (a wider stride for huge regions; holes of sparse files are jumped over). Returns 1
 * when found (*at = where it starts, what = "ext4"-style name), 0 when not. Read errors count
 * as nothing found there. */
int lb_unalloc_probe(struct lb_dev *d, uint64_t off, uint64_t len, uint64_t *at, char *what,
                     size_t wlen);

/* The signature test itself on a region's bytes: head = the first 4096 bytes at a candidate
 * offset, b64k = 512 bytes at +64 KiB (NULL when past the end). Returns a name or NULL. */
const char *lb_unalloc_signature(const uint8_t *head, const uint8_t *b64k);
#endif
