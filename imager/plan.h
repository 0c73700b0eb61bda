/* plan.h — what a backup or clone reads: the disk's address space, with each recognised
 * filesystem reduced to its used ranges and everything else (boot code, tables, gaps, the tail,
 * unknown partitions) kept raw. */
#ifndef LB_PLAN_H
#define LB_PLAN_H
#include "blockdev.h"
#include "extents.h"
#include "fs.h"
#include "lifeboat.h"
#include "ptable.h"

struct lb_plan {
	struct lb_ptable table;
	struct lb_extents ext;      /* everything to read, sorted, merged, absolute offsets */
	int nparts;
	struct lb_plan_part *parts; /* in table order; number 0 = a device with no table */
	struct lb_fs_info *fsinfo;  /* per part */
	uint64_t disk_area_bytes;   /* planned bytes outside partitions */
	uint64_t unalloc_skipped;   /* bytes of large unallocated regions left out */
	int nunalloc;
	struct lb_unalloc_area *unalloc; /* those regions, skipped or kept (and why) */
	uint64_t total;
	uint64_t min_size;          /* smallest disk a whole restore fits on */
};

/* flags for lb_plan_build */
#define LB_PLAN_KEEP_UNALLOC 1      /* read large unallocated regions too */

/* sel/nsel: partition numbers to include (NULL = all). Unknown numbers are an error.
 * Outside partitions (unalloc.c): the first GiB before the first partition, gaps up to 16 MiB,
 * the first and last MiB and the table's structures are kept; larger regions are skipped
 * unless a probe finds a filesystem signature there, or flags has LB_PLAN_KEEP_UNALLOC. A
 * disk without a table is one area, unchanged. */
int lb_plan_build(struct lb_dev *d, const int *sel, int nsel, int flags, struct lb_plan *p,
                  struct lb_err *err);
void lb_plan_free(struct lb_plan *p);
/* Index into p->parts of the partition holding byte off, or -1 (disk areas). */
int lb_plan_part_at(const struct lb_plan *p, uint64_t off);
/* Copies the plan's per-partition rows into a report. */
int lb_plan_to_report(const struct lb_plan *p, struct lb_report *r);
#endif
