/* Unallocated space (unalloc.c): which regions outside partitions are kept unconditionally and
 * which a backup may skip (the bounds, the table structures inside a region, small leftovers),
 * the structures a table contributes, the signature test, and the probe's offsets. */
#include <stdlib.h>
#include <string.h>
#include "blockdev.h"
#include "le.h"
#include "unalloc.h"
#include "unit.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)

static struct lb_extents mk(int n, const uint64_t *v)
{
	struct lb_extents x = { 0 };
	for (int i = 0; i < n; i++)
		lb_ext_add(&x, v[2 * i], v[2 * i + 1]);
	lb_ext_normalize(&x);
	return x;
}

static int same(const struct lb_extents *x, int n, const uint64_t *v)
{
	if ((int)x->n != n)
		return 0;
	for (int i = 0; i < n; i++)
		if (x->v[i].off != v[2 * i] || x->v[i].len != v[2 * i + 1])
			return 0;
	return 1;
}

/* split of rest with the disk's ends (and extra fixed ranges) */
static void split(uint64_t size, uint64_t first, int nr, const uint64_t *r, int nf,
                  const uint64_t *f, struct lb_extents *keep, struct lb_extents *cand)
{
	struct lb_extents rest = mk(nr, r), fixed = { 0 };
	struct lb_ptable *t = calloc(1, sizeof *t);
	strcpy(t->type, "mbr");
	t->sector = 512;
	memset(keep, 0, sizeof *keep);
	memset(cand, 0, sizeof *cand);
	CHECK(lb_unalloc_fixed(t, size, &fixed) == 0);
	for (int i = 0; i < nf; i++)
		lb_ext_add(&fixed, f[2 * i], f[2 * i + 1]);
	lb_ext_normalize(&fixed);
	CHECK(lb_unalloc_split(&rest, size, first, &fixed, keep, cand) == 0);
	lb_ext_free(&rest);
	lb_ext_free(&fixed);
	free(t);
}

static void test_split(void)
{
	struct lb_extents k, c;
	uint64_t S = 4 * GiB;

	/* one partition [1 MiB, 65 MiB): the tail but its last MiB may be skipped */
	{
		uint64_t r[] = { 0, MiB, 65 * MiB, S - 65 * MiB };
		uint64_t wk[] = { 0, MiB, S - MiB, MiB }, wc[] = { 65 * MiB, S - 66 * MiB };
		split(S, MiB, 2, r, 0, NULL, &k, &c);
		CHECK(same(&k, 2, wk) && same(&c, 1, wc));
		lb_ext_free(&k), lb_ext_free(&c);
	}
	/* gaps between partitions: 16 MiB is kept, one sector more may be skipped */
	{
		uint64_t r[] = { 100 * MiB, 16 * MiB, 200 * MiB, 16 * MiB + 512 };
		uint64_t wk[] = { 0, MiB, 100 * MiB, 16 * MiB, S - MiB, MiB };
		uint64_t wc[] = { 200 * MiB, 16 * MiB + 512 };
		split(S, MiB, 2, r, 0, NULL, &k, &c);
		CHECK(k.n == 1 && k.v[0].off == 100 * MiB && k.v[0].len == 16 * MiB);
		CHECK(same(&c, 1, wc));
		(void)wk;
		lb_ext_free(&k), lb_ext_free(&c);
	}
	/* before the first partition (at 3 GiB): the first GiB stays */
	{
		uint64_t r[] = { 0, 3 * GiB };
		uint64_t wk[] = { 0, GiB }, wc[] = { GiB, 2 * GiB };
		split(S, 3 * GiB, 1, r, 0, NULL, &k, &c);
		CHECK(same(&k, 1, wk) && same(&c, 1, wc));
		lb_ext_free(&k), lb_ext_free(&c);
	}
	/* ... and 10 MiB past the first GiB are a small leftover: kept */
	{
		uint64_t r[] = { 0, GiB + 10 * MiB };
		uint64_t wk[] = { 0, GiB + 10 * MiB };
		split(S, GiB + 10 * MiB, 1, r, 0, NULL, &k, &c);
		CHECK(same(&k, 1, wk) && c.n == 0);
		lb_ext_free(&k), lb_ext_free(&c);
	}
	/* an EBR inside a large region is kept and cuts it in two; a small piece after it is kept */
	{
		uint64_t r[] = { 100 * MiB, 800 * MiB, 1000 * MiB, 401 * MiB };
		uint64_t f[] = { 500 * MiB, 512, 1400 * MiB, 512 };
		uint64_t wk[] = { 500 * MiB, 512, 1400 * MiB, MiB };
		uint64_t wc[] = { 100 * MiB, 400 * MiB, 500 * MiB + 512, 400 * MiB - 512,
		                  1000 * MiB, 400 * MiB };
		split(S, MiB, 2, r, 2, f, &k, &c);
		CHECK(same(&k, 2, wk) && same(&c, 3, wc));
		lb_ext_free(&k), lb_ext_free(&c);
	}
	/* a table with no partition: the first GiB and the last MiB */
	{
		uint64_t r[] = { 0, 8 * GiB };
		uint64_t wk[] = { 0, GiB, 8 * GiB - MiB, MiB }, wc[] = { GiB, 7 * GiB - MiB };
		split(8 * GiB, 8 * GiB, 1, r, 0, NULL, &k, &c);
		CHECK(same(&k, 2, wk) && same(&c, 1, wc));
		lb_ext_free(&k), lb_ext_free(&c);
	}
	/* a disk of 1.5 MiB: all of it is the disk's ends */
	{
		uint64_t r[] = { 0, 3 * MiB / 2 };
		uint64_t wk[] = { 0, 3 * MiB / 2 };
		split(3 * MiB / 2, 3 * MiB / 2, 1, r, 0, NULL, &k, &c);
		CHECK(same(&k, 1, wk) && c.n == 0);
		lb_ext_free(&k), lb_ext_free(&c);
	}
	/* the tail region's last MiB is kept even when the region is the whole of a huge disk */
	{
		uint64_t T = 1ull << 40;
		uint64_t r[] = { 0, MiB, 33 * MiB, T - 33 * MiB };
		uint64_t wk[] = { 0, MiB, T - MiB, MiB }, wc[] = { 33 * MiB, T - 34 * MiB };
		split(T, MiB, 2, r, 0, NULL, &k, &c);
		CHECK(same(&k, 2, wk) && same(&c, 1, wc));
		lb_ext_free(&k), lb_ext_free(&c);
	}
}

static void test_fixed(void)
{
	struct lb_ptable *t = calloc(1, sizeof *t);
	struct lb_extents f = { 0 };
	uint64_t S = 4 * GiB;

	/* GPT, 4096-byte sectors, entries placed far from the header (sgdisk -j); backup at the
	 * end with its entries before it */
	strcpy(t->type, "gpt");
	t->sector = 4096;
	t->gpt.current_lba = 1;
	t->gpt.backup_lba = S / 4096 - 1;
	t->gpt.entries_lba = 2048;
	t->gpt.nentries = 128;
	t->gpt.entry_size = 128;   /* 16 KiB: 4 sectors */
	CHECK(lb_unalloc_fixed(t, S, &f) == 0);
	{
		uint64_t w[] = { 0, MiB, 2048 * 4096ull, 4 * 4096, S - MiB, MiB };
		CHECK(same(&f, 3, w));
	}
	lb_ext_free(&f);
	/* read from the backup (damaged primary): the primary is still at LBA 1 and 2 */
	t->sector = 512;
	t->gpt.current_lba = S / 512 - 1;
	t->gpt.backup_lba = 1;
	t->gpt.entries_lba = S / 512 - 33;
	CHECK(lb_unalloc_fixed(t, S, &f) == 0);
	{
		uint64_t w[] = { 0, MiB, S - MiB, MiB };
		CHECK(same(&f, 2, w));
	}
	lb_ext_free(&f);
	/* MBR: every EBR, clipped to the disk */
	memset(t, 0, sizeof *t);
	strcpy(t->type, "mbr");
	t->sector = 512;
	t->nebr = 3;
	t->ebr[0] = 100 * MiB;
	t->ebr[1] = 2 * GiB;
	t->ebr[2] = S;   /* past the end: nothing */
	CHECK(lb_unalloc_fixed(t, S, &f) == 0);
	{
		uint64_t w[] = { 0, MiB, 100 * MiB, 512, 2 * GiB, 512, S - MiB, MiB };
		CHECK(same(&f, 4, w));
	}
	lb_ext_free(&f);
	free(t);
}

static void test_signature(void)
{
	static uint8_t h[4096], b[512];
	memset(h, 0, sizeof h);
	memset(b, 0, sizeof b);
	CHECK(lb_unalloc_signature(h, b) == NULL);
	CHECK(lb_unalloc_signature(h, NULL) == NULL);
	/* ext: the magic alone is not enough */
	put16(h + 1024 + 56, 0xef53);
	CHECK(lb_unalloc_signature(h, b) == NULL);
	put32(h + 1024, 8192);
	put32(h + 1024 + 4, 32768);
	put32(h + 1024 + 24, 2);
	put32(h + 1024 + 32, 32768);
	put32(h + 1024 + 40, 8192);
	CHECK(lb_unalloc_signature(h, b) && !strcmp(lb_unalloc_signature(h, b), "ext2/3/4"));
	put32(h + 1024 + 24, 40);   /* a block size no ext has */
	CHECK(lb_unalloc_signature(h, b) == NULL);
	memset(h, 0, sizeof h);
	memcpy(h + 3, "NTFS    ", 8);
	CHECK(!strcmp(lb_unalloc_signature(h, b), "NTFS"));
	memset(h, 0, sizeof h);
	memcpy(h + 82, "FAT32   ", 8);
	CHECK(lb_unalloc_signature(h, b) == NULL);   /* without the boot signature */
	h[510] = 0x55, h[511] = 0xaa;
	CHECK(!strcmp(lb_unalloc_signature(h, b), "FAT"));
	memset(h, 0, sizeof h);
	memcpy(h, "XFSB", 4);
	CHECK(!strcmp(lb_unalloc_signature(h, b), "XFS"));
	memset(h, 0, sizeof h);
	memcpy(h, "LUKS\xba\xbe", 6);
	CHECK(!strcmp(lb_unalloc_signature(h, b), "LUKS"));
	memset(h, 0, sizeof h);
	memcpy(h, "\xeb\x58\x90-FVE-FS-", 11);
	CHECK(!strcmp(lb_unalloc_signature(h, b), "BitLocker"));
	memset(h, 0, sizeof h);
	put32(h, 0xa92b4efc);
	put32(h + 4, 1);
	CHECK(!strcmp(lb_unalloc_signature(h, b), "md RAID"));
	put32(h + 144, 8);   /* a superblock that says it lives elsewhere */
	CHECK(lb_unalloc_signature(h, b) == NULL);
	memset(h, 0, sizeof h);
	memcpy(h + 512, "LABELONE", 8);
	CHECK(!strcmp(lb_unalloc_signature(h, b), "LVM"));
	memset(h, 0, sizeof h);
	memcpy(h + 4086, "SWAPSPACE2", 10);
	CHECK(!strcmp(lb_unalloc_signature(h, b), "swap"));
	memset(h, 0, sizeof h);
	memcpy(b + 0x40, "_BHRfS_M", 8);
	CHECK(!strcmp(lb_unalloc_signature(h, b), "btrfs"));
	CHECK(lb_unalloc_signature(h, NULL) == NULL);
	/* random bytes: nothing */
	srand(7);
	for (int n = 0; n < 2000; n++) {
		for (size_t i = 0; i < sizeof h; i++)
			h[i] = (uint8_t)rand();
		for (size_t i = 0; i < sizeof b; i++)
			b[i] = (uint8_t)rand();
		CHECK(lb_unalloc_signature(h, b) == NULL);
	}
}

static void test_probe(void)
{
	size_t len = 32 * MiB;
	uint8_t *buf = calloc(1, len);
	struct lb_dev d;
	uint64_t at = 0;
	char what[32];

	/* an ext superblock at 8 MiB in a 1 GiB disk (the rest reads as a hole) */
	put16(buf + 8 * MiB + 1024 + 56, 0xef53);
	put32(buf + 8 * MiB + 1024, 8192);
	put32(buf + 8 * MiB + 1024 + 4, 32768);
	put32(buf + 8 * MiB + 1024 + 32, 32768);
	put32(buf + 8 * MiB + 1024 + 40, 8192);
	CHECK(lb_dev_open_mem(&d, buf, len, GiB, 0) == 0);
	CHECK(lb_unalloc_probe(&d, 3 * MiB + 512, GiB - 4 * MiB, &at, what, sizeof what) == 1);
	CHECK(at == 8 * MiB && !strcmp(what, "ext2/3/4"));
	/* a region that ends before it, or starts after it: nothing */
	CHECK(lb_unalloc_probe(&d, 0, 8 * MiB, &at, what, sizeof what) == 0);
	CHECK(lb_unalloc_probe(&d, 8 * MiB + 512, 100 * MiB, &at, what, sizeof what) == 0);
	/* the region's own start is probed even when not aligned */
	memmove(buf + 8 * MiB + 512, buf + 8 * MiB, 4096);
	memset(buf + 8 * MiB, 0, 512);
	CHECK(lb_unalloc_probe(&d, 8 * MiB + 512, 100 * MiB, &at, what, sizeof what) == 1);
	CHECK(at == 8 * MiB + 512);
	CHECK(lb_unalloc_probe(&d, 4 * MiB, 100 * MiB, &at, what, sizeof what) == 0);
	lb_dev_close(&d);

	/* btrfs at 20 MiB (its magic at +64 KiB), in a 64 GiB disk: the probes' stride grows to
	 * 16 MiB, so 20 MiB is not looked at, but 16 MiB is */
	memset(buf, 0, len);
	memcpy(buf + 20 * MiB + 65536 + 0x40, "_BHRfS_M", 8);
	CHECK(lb_dev_open_mem(&d, buf, len, 64 * GiB, 0) == 0);
	CHECK(lb_unalloc_probe(&d, MiB, 100 * MiB, &at, what, sizeof what) == 1);
	CHECK(at == 20 * MiB && !strcmp(what, "btrfs"));
	CHECK(lb_unalloc_probe(&d, MiB, 64 * GiB - 2 * MiB, &at, what, sizeof what) == 0);
	memcpy(buf + 16 * MiB + 65536 + 0x40, "_BHRfS_M", 8);
	CHECK(lb_unalloc_probe(&d, MiB, 64 * GiB - 2 * MiB, &at, what, sizeof what) == 1);
	CHECK(at == 16 * MiB);
	lb_dev_close(&d);
	free(buf);
}

int main(void)
{
	test_split();
	test_fixed();
	test_signature();
	test_probe();
	return UNIT_DONE();
}
