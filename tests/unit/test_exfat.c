/* exFAT volumes built in memory, for what mkfs.exfat cannot make or a test disk cannot afford:
 * TexFAT (two FATs and bitmaps, ActiveFat), 32 MiB clusters on 4096-byte sectors, NoFatChain
 * files, bitmaps that lag the directories on a dirty volume, boot checksums failing in the
 * main or the backup region, a looping chain, UTF-16 labels, the damage report's names. */
#include <stdlib.h>
#include <string.h>
#include "fs.h"
#include "le.h"
#include "unit.h"

struct vol {
	uint8_t *b;
	uint64_t size, sec, cs, fat, fat_bytes, heap;
	unsigned nfats;
	uint32_t n, root, bm[2];
	size_t rootpos;
};

static uint8_t *cl(struct vol *v, uint32_t c)
{
	return v->b + v->heap + (uint64_t)(c - 2) * v->cs;
}

static void fat_set(struct vol *v, int which, uint32_t c, uint32_t next)
{
	for (unsigned i = 0; i < v->nfats; i++)
		if (which < 0 || (unsigned)which == i)
			put32(v->b + v->fat + i * v->fat_bytes + 4 * c, next);
}

static void bit_set(struct vol *v, int slot, uint32_t c, int on)
{
	uint8_t *p = cl(v, v->bm[slot]) + (c - 2) / 8;
	*p = on ? *p | (1u << ((c - 2) % 8)) : *p & ~(1u << ((c - 2) % 8));
}

/* A used stream of clusters by FAT chain (list, ended by 0) in every bitmap. */
static void chain(struct vol *v, const uint32_t *c)
{
	for (int i = 0; c[i]; i++) {
		fat_set(v, -1, c[i], c[i + 1] ? c[i + 1] : 0xffffffffu);
		for (unsigned s = 0; s < v->nfats; s++)
			bit_set(v, s, c[i], 1);
	}
}

/* Appends a file entry set to the directory at dir (an ASCII name). */
static void entry_set(uint8_t *dir, size_t *pos, const char *name, int is_dir, uint32_t first,
                      uint64_t len, int nofat)
{
	size_t nl = strlen(name), nn = (nl + 14) / 15;
	uint8_t *e = dir + *pos;
	memset(e, 0, 32 * (2 + nn));
	e[0] = 0x85;
	e[1] = (uint8_t)(1 + nn);
	put16(e + 4, is_dir ? 0x10 : 0x20);
	e[32] = 0xc0;
	e[33] = (uint8_t)(1 | (nofat ? 2 : 0));
	e[35] = (uint8_t)nl;
	put64(e + 32 + 8, len);
	put32(e + 32 + 20, first);
	put64(e + 32 + 24, len);
	for (size_t i = 0; i < nl; i++) {
		uint8_t *ne = e + 64 + 32 * (i / 15);
		ne[0] = 0xc1;
		put16(ne + 2 + 2 * (i % 15), (uint8_t)name[i]);
	}
	*pos += 32 * (2 + nn);
}

static void checksum(struct vol *v, uint8_t *r)
{
	uint32_t sum = 0;
	for (size_t i = 0; i < 11 * v->sec; i++)
		if (i != 106 && i != 107 && i != 112)
			sum = ((sum & 1) ? 0x80000000u : 0) + (sum >> 1) + r[i];
	for (size_t i = 11 * v->sec; i < 12 * v->sec; i += 4)
		put32(r + i, sum);
}

/* Boot regions (both, checksummed) once everything else is written. */
static void seal(struct vol *v)
{
	checksum(v, v->b);
	memcpy(v->b + 12 * v->sec, v->b, 12 * v->sec);
}

/* A volume of n clusters: bitmap(s) from cluster 2, up-case table, root directory; the
 * label "Ünï" (UTF-16). */
static void build(struct vol *v, unsigned bs, unsigned ss, uint32_t n, unsigned nfats, unsigned flags)
{
	uint64_t fat_secs;
	uint32_t c;
	memset(v, 0, sizeof *v);
	v->sec = 1u << bs;
	v->cs = v->sec << ss;
	v->n = n;
	v->nfats = nfats;
	fat_secs = ((uint64_t)(n + 2) * 4 + v->sec - 1) / v->sec;
	v->fat = 24 * v->sec;
	v->fat_bytes = fat_secs * v->sec;
	v->heap = v->fat + nfats * v->fat_bytes;
	v->size = v->heap + (uint64_t)n * v->cs + v->sec;   /* a sector after the heap */
	v->b = calloc(1, v->size);   /* pages never touched cost nothing */
	v->b[0] = 0xeb, v->b[1] = 0x76, v->b[2] = 0x90;
	memcpy(v->b + 3, "EXFAT   ", 8);
	put64(v->b + 72, v->size / v->sec);
	put32(v->b + 80, 24);
	put32(v->b + 84, (uint32_t)fat_secs);
	put32(v->b + 88, (uint32_t)(v->heap / v->sec));
	put32(v->b + 92, n);
	put32(v->b + 100, 0x1234abcd);
	put16(v->b + 104, 0x100);
	put16(v->b + 106, (uint16_t)flags);
	v->b[108] = (uint8_t)bs;
	v->b[109] = (uint8_t)ss;
	v->b[110] = (uint8_t)nfats;
	v->b[510] = 0x55, v->b[511] = 0xaa;
	fat_set(v, -1, 0, 0xfffffff8u);
	fat_set(v, -1, 1, 0xffffffffu);
	c = 2;
	for (unsigned s = 0; s < nfats; s++)
		v->bm[s] = c++;
	for (unsigned s = 0; s < nfats; s++) {
		uint32_t one[2] = { v->bm[s], 0 };
		chain(v, one);
	}
	{
		uint32_t up[2] = { c, 0 }, root[2] = { c + 1, 0 };
		chain(v, up);
		chain(v, root);
		v->root = c + 1;
	}
	put32(v->b + 96, v->root);
	{
		uint8_t *r = cl(v, v->root);
		r[0] = 0x83;
		r[1] = 3;
		put16(r + 2, 0xdc);   /* Ü */
		put16(r + 4, 'n');
		put16(r + 6, 0xef);   /* ï */
		for (unsigned s = 0; s < nfats; s++) {
			uint8_t *e = r + 32 * (1 + s);
			e[0] = 0x81;
			e[1] = (uint8_t)s;
			put32(e + 20, v->bm[s]);
			put64(e + 24, (n + 7) / 8);
		}
		r[32 * (1 + nfats)] = 0x82;
		put32(r + 32 * (1 + nfats) + 20, c);
		put64(r + 32 * (1 + nfats) + 24, 128);
		v->rootpos = 32 * (2 + nfats);
	}
}

/* 1 when every byte of cluster c is in x */
static int has(const struct vol *v, const struct lb_extents *x, uint32_t c)
{
	uint64_t s = v->heap + (uint64_t)(c - 2) * v->cs;
	for (size_t i = 0; i < x->n; i++)
		if (x->v[i].off <= s && x->v[i].off + x->v[i].len >= s + v->cs)
			return 1;
	return 0;
}

static int used(struct vol *v, struct lb_extents *x, char *why, size_t whylen)
{
	struct lb_dev d;
	const char *method = NULL;
	int rc;
	lb_dev_open_mem(&d, v->b, v->size, v->size, 0);
	memset(x, 0, sizeof *x);
	why[0] = 0;
	rc = lb_fs_exfat.used(&d, 0, v->size, x, &method, why, whylen);
	if (rc)
		lb_ext_free(x);   /* what a failed map appended (the planner drops it too) */
	lb_dev_close(&d);
	return rc;
}

/* The standard contents: /A fragmented (10, 11, 20), /B contiguous without a FAT chain
 * (30-33), /D (40) holding /D/C (41). */
static void files(struct vol *v)
{
	uint32_t a[] = { 10, 11, 20, 0 }, dir[] = { 40, 0 }, c[] = { 41, 0 };
	size_t pos = 0;
	chain(v, a);
	for (uint32_t k = 30; k <= 33; k++)
		for (unsigned s = 0; s < v->nfats; s++)
			bit_set(v, s, k, 1);
	chain(v, dir);
	chain(v, c);
	entry_set(cl(v, v->root), &v->rootpos, "A", 0, 10, 3 * v->cs - 5, 0);
	entry_set(cl(v, v->root), &v->rootpos, "B", 0, 30, 4 * v->cs, 1);
	entry_set(cl(v, v->root), &v->rootpos, "D", 1, 40, v->cs, 0);
	entry_set(cl(v, 40), &pos, "C", 0, 41, 100, 0);
}

static void test_clean_and_dirty(void)
{
	struct vol v;
	struct lb_extents x;
	struct lb_fs_info info = { 0 };
	struct lb_dev d;
	char why[200];
	build(&v, 9, 3, 200, 1, 0);
	files(&v);
	seal(&v);
	CHECK(used(&v, &x, why, sizeof why) == 0 && !why[0]);
	CHECK(x.n && x.v[0].off == 0 && x.v[0].len >= v.heap);   /* everything before the heap */
	CHECK(has(&v, &x, 2) && has(&v, &x, 3) && has(&v, &x, 4));
	CHECK(has(&v, &x, 10) && has(&v, &x, 11) && has(&v, &x, 20) && has(&v, &x, 33) && has(&v, &x, 41));
	CHECK(!has(&v, &x, 12) && !has(&v, &x, 34) && !has(&v, &x, 201));
	/* the sector after the heap is the volume's */
	CHECK(x.v[x.n - 1].off + x.v[x.n - 1].len == v.size);
	lb_ext_free(&x);

	lb_dev_open_mem(&d, v.b, v.size, v.size, 0);
	CHECK(lb_fs_probe(&d, 0, v.size, &info) == &lb_fs_exfat);
	CHECK(!strcmp(info.type, "exfat") && !strcmp(info.label, "\xc3\x9cn\xc3\xaf"));
	CHECK(!strcmp(info.uuid, "1234-ABCD") && info.total == v.size);
	CHECK(info.used == v.heap + 12 * v.cs);   /* bitmap, up-case, root, 3 + 4 + 1 + 1 */
	lb_dev_close(&d);

	/* the bitmap lags the directories (20, 33, 41 cleared): clean trusts it, dirty walks */
	bit_set(&v, 0, 20, 0);
	bit_set(&v, 0, 33, 0);
	bit_set(&v, 0, 41, 0);
	CHECK(used(&v, &x, why, sizeof why) == 0 && !has(&v, &x, 20) && !has(&v, &x, 41));
	lb_ext_free(&x);
	put16(v.b + 106, 2);   /* VolumeFlags is outside the checksum */
	CHECK(used(&v, &x, why, sizeof why) == 0 && strstr(why, "marked dirty"));
	CHECK(has(&v, &x, 20) && has(&v, &x, 33) && has(&v, &x, 41) && !has(&v, &x, 12));
	lb_ext_free(&x);
	/* dirty, and /D/C's chain broken: the walk cannot vouch for the map, raw */
	put32(cl(&v, 40) + 32 + 20, 5000);
	CHECK(used(&v, &x, why, sizeof why) && strstr(why, "marked dirty") &&
	      strstr(why, "/D/C starts outside the cluster heap"));
	lb_ext_free(&x);
	/* a directory that contains itself */
	put32(cl(&v, 40) + 32 + 20, 41);
	{
		size_t pos = 96;
		entry_set(cl(&v, 40), &pos, "self", 1, 40, v.cs, 0);
	}
	CHECK(used(&v, &x, why, sizeof why) && strstr(why, "loop"));
	lb_ext_free(&x);
	free(v.b);
}

static void test_checksums_and_loops(void)
{
	struct vol v;
	struct lb_extents x;
	char why[200];
	build(&v, 9, 0, 64, 1, 0);
	files(&v);
	seal(&v);
	v.b[12 * v.sec + 600] ^= 1;   /* the backup's boot code */
	CHECK(used(&v, &x, why, sizeof why) == 0 && strstr(why, "backup boot region is damaged"));
	lb_ext_free(&x);
	seal(&v);
	v.b[600] ^= 1;                /* the main one's */
	CHECK(used(&v, &x, why, sizeof why) && strstr(why, "main boot region fails its boot checksum; "
	                                              "its backup boot region is intact"));
	v.b[12 * v.sec + 600] ^= 1;
	CHECK(used(&v, &x, why, sizeof why) && strstr(why, "backup boot region is damaged too"));
	v.b[600] ^= 1;
	v.b[12 * v.sec + 600] ^= 1;
	put32(v.b + 92, 1u << 30);    /* more clusters than the volume holds */
	seal(&v);
	CHECK(used(&v, &x, why, sizeof why) && strstr(why, "inconsistent fields"));
	put32(v.b + 92, v.n);
	fat_set(&v, -1, v.root, v.root);   /* the root directory's chain onto itself */
	seal(&v);
	CHECK(used(&v, &x, why, sizeof why) && strstr(why, "loops"));
	fat_set(&v, -1, v.root, 0xffffffffu);
	put64(cl(&v, v.root) + 32 + 24, 3);   /* a bitmap of 3 bytes for 64 clusters */
	CHECK(used(&v, &x, why, sizeof why) && strstr(why, "too short"));
	free(v.b);
}

/* TexFAT: ActiveFat 1, each bitmap marks a cluster the other does not; FAT 0's root chain is
 * broken, so only following FAT 1 works */
static void test_texfat(void)
{
	struct vol v;
	struct lb_extents x;
	struct lb_dev d;
	struct lb_fs_info info = { 0 };
	char why[200];
	build(&v, 9, 1, 100, 2, 1);
	bit_set(&v, 0, 50, 1);
	bit_set(&v, 1, 51, 1);
	fat_set(&v, 0, v.root, 0);
	seal(&v);
	CHECK(used(&v, &x, why, sizeof why) == 0 && strstr(why, "TexFAT"));
	CHECK(has(&v, &x, 50) && has(&v, &x, 51) && !has(&v, &x, 52));
	lb_ext_free(&x);
	lb_dev_open_mem(&d, v.b, v.size, v.size, 0);
	CHECK(lb_fs_probe(&d, 0, v.size, &info) == &lb_fs_exfat);
	CHECK(info.used == v.heap + 5 * v.cs);   /* the active bitmap: 2 bitmaps, up-case, root, 51 */
	lb_dev_close(&d);
	free(v.b);
}

/* 4096-byte sectors and 32 MiB clusters */
static void test_big_clusters(void)
{
	struct vol v;
	struct lb_extents x;
	char why[200];
	uint32_t f[] = { 7, 6, 0 };
	build(&v, 12, 13, 8, 1, 0);
	chain(&v, f);
	entry_set(cl(&v, v.root), &v.rootpos, "big", 0, 7, 2 * v.cs, 0);
	seal(&v);
	CHECK(v.cs == 32u << 20);
	CHECK(used(&v, &x, why, sizeof why) == 0);
	CHECK(has(&v, &x, 6) && has(&v, &x, 7) && !has(&v, &x, 5) && !has(&v, &x, 8));
	CHECK(lb_ext_total(&x) == v.heap + 5 * v.cs + v.sec);
	lb_ext_free(&x);
	free(v.b);
}

static void test_damage(void)
{
	struct vol v;
	struct lb_extents bad = { 0 };
	struct lb_dev d;
	char *text = NULL;
	build(&v, 9, 3, 200, 1, 0);
	files(&v);
	seal(&v);
	lb_ext_add(&bad, v.fat + 8, 4);
	lb_ext_add(&bad, v.heap + 18 * v.cs + 100, 10);   /* cluster 20: /A */
	lb_ext_add(&bad, v.heap + 39 * v.cs, 1);          /* 41: /D/C */
	lb_ext_add(&bad, v.heap + 100 * v.cs, 1);         /* free */
	lb_dev_open_mem(&d, v.b, v.size, v.size, 0);
	lb_fs_exfat.damage(&d, 0, v.size, &bad, &text);
	CHECK(text && strstr(text, "  metadata: the FAT\n") && strstr(text, "  file: /A\n") &&
	      strstr(text, "  file: /D/C\n") && !strstr(text, "/B") && !strstr(text, "directory: /D\n"));
	free(text);
	lb_dev_close(&d);
	lb_ext_free(&bad);
	free(v.b);
}

int main(void)
{
	test_clean_and_dirty();
	test_checksums_and_loops();
	test_texfat();
	test_big_clusters();
	test_damage();
	return UNIT_DONE();
}
