/* Fuzz target: the FAT parser (boot sector geometry and the allocation-table walk) on a
 * filesystem filling the input, as `backup` meets it on a partition. */
#include <string.h>
#include "fuzz.h"
#include "fs.h"
#include "le.h"

/* FAT16 and FAT32 need thousands of clusters (megabytes); a seed holds only the boot sector
 * and the start of the FATs, and the disk is extended with zeros (made up by the memory
 * device on read) to the size the boot sector claims. Zeros read as free clusters. The walk
 * costs about 50 ns per cluster under libFuzzer's instrumentation, so fuzzing caps the disk
 * at 4 MiB (FAT12, FAT16 up to 8 k clusters, small FAT32: every branch, at thousands of
 * executions a second instead of ~150); replaying the seeds once (make check) allows 64 MiB,
 * so the 32 MiB FAT32 seed still runs whole. */
#ifdef LB_FUZZ_REPLAY
#define FAT_DISK_MAX (64u << 20)
#else
#define FAT_DISK_MAX (4u << 20)
#endif

static size_t disk_size(const uint8_t *data, size_t size)
{
	uint64_t bps, total, want;
	if (size < 512)
		return size;
	bps = le16(data + 11);
	total = le16(data + 19) ? le16(data + 19) : le32(data + 32);
	want = bps * total;
	return want > size && want <= FAT_DISK_MAX ? (size_t)want : size;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lb_dev d;
	struct lb_fs_info info;
	struct lb_extents x = { 0 };
	const char *method = NULL;
	char why[160];
	fuzz_dev(&d, data, size, disk_size(data, size), 0);
	memset(&info, 0, sizeof info);
	if (lb_fs_fat.probe(&d, 0, d.size, &info) &&
	    lb_fs_fat.used(&d, 0, d.size, &x, &method, why, sizeof why) == 0) {
		for (size_t i = 0; i < x.n; i++)
			if (x.v[i].off > d.size || x.v[i].len > d.size - x.v[i].off)
				__builtin_trap();   /* used ranges must lie inside the filesystem */
	}
	lb_ext_free(&x);
	lb_dev_close(&d);
	return 0;
}
