/* Fuzz target: the FAT file reader (fsread_fat.c) as `lifeboat files` and `extract` meet it:
 * open, then the whole tree walked and every file read, on a volume filling the input. */
#include <string.h>
#include "fuzz.h"
#include "fsread.h"
#include "fuzz_fsr.h"
#include "le.h"

/* The disk is extended with zeros to the size the boot sector claims, as in fuzz_fat.c. */
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
	fuzz_dev(&d, data, size, disk_size(data, size), 0);
	fuzz_fsr_walk(&lb_fsr_fat, &d);
	lb_dev_close(&d);
	return 0;
}
