/* Fuzz target: the FAT parser (boot sector geometry and the allocation-table walk) on a
 * filesystem filling the input, as `backup` meets it on a partition. */
#include <string.h>
#include "fuzz.h"
#include "fs.h"
#include "le.h"

/* FAT16 and FAT32 need thousands of clusters (megabytes); a seed holds only the boot sector
 * and the start of the FATs, and the disk is extended with zeros (sparse, so cheap) to the
 * size the boot sector claims, capped at 64 MiB. Zeros read as free clusters. */
static size_t disk_size(const uint8_t *data, size_t size)
{
	uint64_t bps, total, want;
	if (size < 512)
		return size;
	bps = le16(data + 11);
	total = le16(data + 19) ? le16(data + 19) : le32(data + 32);
	want = bps * total;
	return want > size && want <= (64u << 20) ? (size_t)want : size;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lb_dev d;
	struct lb_err err = { 0 };
	struct lb_fs_info info;
	struct lb_extents x = { 0 };
	const char *method = NULL;
	char why[160];
	const char *path = fuzz_disk(data, size, disk_size(data, size));
	if (lb_dev_open(&d, path, 0, &err))
		return 0;
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
