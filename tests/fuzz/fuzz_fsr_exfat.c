/* Fuzz target: the exFAT file reader (fsread_exfat.c) as `lifeboat files` and `extract` meet
 * it: open, then the whole tree walked and every file read, on a volume filling the input. */
#include <string.h>
#include "fuzz.h"
#include "fsread.h"
#include "fuzz_fsr.h"
#include "le.h"

/* The seeds are the first 64 KiB of small volumes; the disk is extended with zeros to the
 * size the boot sector claims (capped: the bitmap and walks cost per cluster). */
#ifdef LB_FUZZ_REPLAY
#define EXFAT_DISK_MAX (64u << 20)
#else
#define EXFAT_DISK_MAX (4u << 20)
#endif

static size_t disk_size(const uint8_t *data, size_t size)
{
	uint64_t want;
	if (size < 512 || data[108] < 9 || data[108] > 12)
		return size;
	want = le64(data + 72);
	if (want > EXFAT_DISK_MAX >> data[108])
		return size;
	want <<= data[108];
	return want > size ? (size_t)want : size;
}

/* A mutated boot sector fails its checksum, which would keep the fuzzer out of everything
 * after it: the checksum sector is recomputed unless DriveSelect's top bit (a byte nothing
 * reads) asks to keep the input's, so failing checksums are fuzzed too. */
static void fix_checksum(uint8_t *b, size_t size)
{
	size_t sec;
	uint32_t sum = 0;
	if (size < 512 || b[108] < 9 || b[108] > 12 || (b[111] & 0x80))
		return;
	sec = (size_t)1 << b[108];
	if (size < 12 * sec)
		return;
	for (size_t i = 0; i < 11 * sec; i++)
		if (i != 106 && i != 107 && i != 112)
			sum = ((sum & 1) ? 0x80000000u : 0) + (sum >> 1) + b[i];
	for (size_t i = 11 * sec; i < 12 * sec; i += 4)
		put32(b + i, sum);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);
	struct lb_dev d;
	if (!copy)
		abort();
	memcpy(copy, data, size);
	fix_checksum(copy, size);
	fuzz_dev(&d, copy, size, disk_size(data, size), 0);
	fuzz_fsr_walk(&lb_fsr_exfat, &d);
	lb_dev_close(&d);
	free(copy);
	return 0;
}
