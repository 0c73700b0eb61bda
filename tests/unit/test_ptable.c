/* Partition-table parsing on crafted disks: sane tables, and hostile ones (EBR loops,
 * partitions past the end, absurd GPT entry counts, a damaged primary GPT). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "blockdev.h"
#include "le.h"
#include "ptable.h"
#include "unit.h"

static char path[] = "/tmp/lb-unit-ptable.XXXXXX";
static uint8_t *disk;
static const size_t SIZE = 8u << 20;

static void entry(uint8_t *sec, int slot, uint8_t type, uint32_t start, uint32_t n)
{
	uint8_t *e = sec + 446 + 16 * slot;
	memset(e, 0, 16);
	e[4] = type;
	put32(e + 8, start);
	put32(e + 12, n);
}

static int parse(struct lb_ptable *t)
{
	struct lb_dev d;
	struct lb_err err = { 0 };
	FILE *f = fopen(path, "wb");
	int rc;
	fwrite(disk, 1, SIZE, f);
	fclose(f);
	if (lb_dev_open(&d, path, 0, &err))
		return -1;
	rc = lb_ptable_read(&d, t, &err);
	lb_dev_close(&d);
	return rc;
}

static void gpt(int nparts, uint32_t nentries)
{
	uint64_t last = SIZE / 512 - 1;
	uint8_t *h = disk + 512, *ents = disk + 1024;
	memset(disk, 0, 34 * 512);
	entry(disk, 0, 0xee, 1, (uint32_t)last);
	disk[510] = 0x55;
	disk[511] = 0xaa;
	for (int i = 0; i < nparts; i++) {
		uint8_t *e = ents + 128 * i;
		memset(e, 0x11, 16);
		memset(e + 16, 0x22 + i, 16);
		put64(e + 32, 2048 + 2048 * (uint64_t)i);
		put64(e + 40, 2048 + 2048 * (uint64_t)i + 2047);
		e[56] = 'p';
	}
	memcpy(h, "EFI PART", 8);
	put32(h + 8, 0x10000);
	put32(h + 12, 92);
	put64(h + 24, 1);
	put64(h + 32, last);
	put64(h + 40, 34);
	put64(h + 48, last - 33);
	put64(h + 72, 2);
	put32(h + 80, nentries);
	put32(h + 84, 128);
	put32(h + 88, lb_crc32(0, ents, 128 * 128));
	put32(h + 16, 0);
	put32(h + 16, lb_crc32(0, h, 92));
}

int main(void)
{
	struct lb_ptable *t = malloc(sizeof *t);
	int fd = mkstemp(path);
	close(fd);
	disk = calloc(1, SIZE);

	/* MBR: two primaries, an extended with two logicals */
	disk[510] = 0x55;
	disk[511] = 0xaa;
	entry(disk, 0, 0x83, 2048, 2048);
	entry(disk, 1, 0x05, 4096, 8192);
	{
		uint8_t *ebr1 = disk + 4096 * 512, *ebr2 = disk + 8192 * 512;
		ebr1[510] = ebr2[510] = 0x55;
		ebr1[511] = ebr2[511] = 0xaa;
		entry(ebr1, 0, 0x83, 2048, 1024);
		entry(ebr1, 1, 0x05, 4096, 2048);
		entry(ebr2, 0, 0x0b, 2048, 1024);
	}
	CHECK(parse(t) == 0);
	CHECK(!strcmp(t->type, "mbr") && t->n == 4);
	CHECK(lb_ptable_find(t, 5) && lb_ptable_find(t, 5)->start == 6144 * 512ULL);
	CHECK(lb_ptable_find(t, 6) && lb_ptable_find(t, 6)->start == 10240 * 512ULL);
	CHECK(lb_ptable_find(t, 2)->container);
	CHECK(t->note[0] == 0);
	/* every EBR of the chain is remembered (a backup keeps them, wherever they are) */
	CHECK(t->nebr == 2 && t->ebr[0] == 4096 * 512ULL && t->ebr[1] == 8192 * 512ULL);

	/* the chain loops back to its first EBR */
	entry(disk + 8192 * 512, 1, 0x05, 0, 2048);
	CHECK(parse(t) == 0 && t->n == 4 && strstr(t->note, "loops"));

	/* a primary past the end */
	entry(disk, 2, 0x83, 16000, 1u << 30);
	CHECK(parse(t) == 0);
	CHECK(lb_ptable_find(t, 3)->past_end && lb_ptable_find(t, 3)->start + lb_ptable_find(t, 3)->size <= SIZE);
	CHECK(strstr(t->note, "loops") || strstr(t->note, "past the end"));

	/* a FAT boot sector is not a partition table */
	memset(disk, 0, 512);
	disk[0] = 0xeb; disk[1] = 0x3c; disk[2] = 0x90;
	memset(disk + 446, 0x41, 64);
	disk[510] = 0x55; disk[511] = 0xaa;
	CHECK(parse(t) == 0 && !strcmp(t->type, "none"));

	/* GPT: good; primary damaged with a good backup; absurd entry count */
	memset(disk, 0, SIZE);
	gpt(3, 128);
	/* backup copy: entries + header at the end */
	memcpy(disk + SIZE - 33 * 512, disk + 1024, 32 * 512);
	{
		uint8_t *b = disk + SIZE - 512;
		memcpy(b, disk + 512, 512);
		put64(b + 24, SIZE / 512 - 1);
		put64(b + 32, 1);
		put64(b + 72, SIZE / 512 - 33);
		put32(b + 16, 0);
		put32(b + 16, lb_crc32(0, b, 92));
	}
	CHECK(parse(t) == 0 && !strcmp(t->type, "gpt") && t->n == 3);
	CHECK(t->gpt.primary_ok && t->gpt.backup_ok);
	CHECK(!strcmp(t->parts[0].name, "p") && t->parts[2].start == 6144 * 512ULL);
	disk[512 + 30] ^= 1;   /* break the primary header */
	CHECK(parse(t) == 0 && !strcmp(t->type, "gpt") && t->n == 3 && !t->gpt.primary_ok);
	CHECK(strstr(t->note, "primary GPT is damaged") != NULL);
	/* a GPT counts only behind a protective (or hybrid) MBR, as for the kernel and libblkid:
	 * behind a plain MBR it is a leftover, and the MBR is the table */
	entry(disk, 0, 0x83, 2048, 4096);
	CHECK(parse(t) == 0 && !strcmp(t->type, "mbr") && t->n == 1 && t->stale_gpt);
	CHECK(strstr(t->note, "backup GPT was found but ignored") != NULL);
	memset(disk + 510, 0, 2);   /* no MBR at all: nothing the kernel would read */
	CHECK(parse(t) == 0 && !strcmp(t->type, "none") && t->stale_gpt);
	disk[510] = 0x55;
	disk[511] = 0xaa;
	entry(disk, 0, 0xee, 1, 2047);   /* hybrid: 0xEE among others */
	entry(disk, 1, 0x0c, 2048, 2048);
	CHECK(parse(t) == 0 && !strcmp(t->type, "gpt") && t->n == 3 && !t->stale_gpt);
	gpt(3, 0x7fffffff);    /* absurd count with a valid CRC: not believed */
	memset(disk + SIZE - 512, 0, 512);
	CHECK(parse(t) == 0 && strcmp(t->type, "gpt") != 0);

	unlink(path);
	free(disk);
	free(t);
	return UNIT_DONE();
}
