/* Unallocated space: which parts of the disk outside partitions a backup keeps, and the probe
 * that tells a deleted partition (a filesystem with no table entry) from empty space. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "le.h"
#include "unalloc.h"

static int add_clipped(struct lb_extents *x, uint64_t off, uint64_t len, uint64_t size)
{
	if (off >= size || !len)
		return 0;
	if (len > size - off)
		len = size - off;
	return lb_ext_add(x, off, len);
}

int lb_unalloc_fixed(const struct lb_ptable *t, uint64_t size, struct lb_extents *fixed)
{
	int rc = 0;
	rc |= add_clipped(fixed, 0, LB_MIB, size);
	rc |= add_clipped(fixed, size > LB_MIB ? size - LB_MIB : 0, LB_MIB, size);
	for (int i = 0; i < t->nebr; i++)
		rc |= add_clipped(fixed, t->ebr[i], t->sector, size);
	if (!strcmp(t->type, "gpt")) {
		const struct lb_gpt_geom *g = &t->gpt;
		uint64_t ss = t->sector, ent = ((uint64_t)g->nentries * g->entry_size + ss - 1) / ss;
		uint64_t prim_ent = g->current_lba == 1 ? g->entries_lba : 2;
		uint64_t back = g->current_lba == 1 ? g->backup_lba : g->current_lba;
		uint64_t back_ent = g->current_lba == 1 ? (back > ent ? back - ent : 0) : g->entries_lba;
		rc |= add_clipped(fixed, ss, ss, size);
		rc |= add_clipped(fixed, prim_ent * ss, ent * ss, size);
		rc |= add_clipped(fixed, back_ent * ss, ent * ss, size);
		rc |= add_clipped(fixed, back * ss, ss, size);
	}
	lb_ext_normalize(fixed);
	return rc ? -ENOMEM : 0;
}

int lb_unalloc_split(const struct lb_extents *rest, uint64_t size, uint64_t first_start,
                     const struct lb_extents *fixed, struct lb_extents *keep,
                     struct lb_extents *cand)
{
	struct lb_extents c = { 0 };
	int rc = 0;
	for (size_t i = 0; !rc && i < rest->n; i++) {
		uint64_t a = rest->v[i].off, b = a + rest->v[i].len;
		if (a < first_start && a < LB_UNALLOC_HEAD_KEEP) {
			/* before the first partition: the first GiB stays, the rest is judged as any
			 * other region */
			uint64_t k = b < LB_UNALLOC_HEAD_KEEP ? b : LB_UNALLOC_HEAD_KEEP;
			rc |= lb_ext_add(keep, a, k - a);
			a = k;
			if (a == b)
				continue;
		}
		if (b - a <= LB_UNALLOC_GAP_KEEP)
			rc |= lb_ext_add(keep, a, b - a);
		else
			rc |= lb_ext_add(&c, a, b - a);
	}
	lb_ext_normalize(&c);
	/* the table's own structures and the disk's ends are kept inside any region */
	for (size_t i = 0; !rc && i < fixed->n; i++) {
		for (size_t j = 0; j < c.n; j++) {
			uint64_t lo = c.v[j].off > fixed->v[i].off ? c.v[j].off : fixed->v[i].off;
			uint64_t e1 = c.v[j].off + c.v[j].len, e2 = fixed->v[i].off + fixed->v[i].len;
			uint64_t hi = e1 < e2 ? e1 : e2;
			if (lo < hi)
				rc |= lb_ext_add(keep, lo, hi - lo);
		}
		if (!rc && lb_ext_subtract(&c, fixed->v[i].off, fixed->v[i].len) < 0)
			rc = -ENOMEM;
	}
	/* what the structures leave of a region may be small: small pieces are kept */
	for (size_t j = 0; !rc && j < c.n; j++)
		rc |= c.v[j].len <= LB_UNALLOC_GAP_KEEP ? lb_ext_add(keep, c.v[j].off, c.v[j].len)
		                                        : lb_ext_add(cand, c.v[j].off, c.v[j].len);
	lb_ext_free(&c);
	lb_ext_normalize(keep);
	lb_ext_normalize(cand);
	return rc ? -ENOMEM : 0;
}

const char *lb_unalloc_signature(const uint8_t *h, const uint8_t *b64k)
{
	const uint8_t *sb = h + 1024;
	/* ext: the magic and fields no superblock lacks (a 2-byte magic alone matches random data
	 * too often over thousands of probes) */
	if (le16(sb + 56) == 0xef53 && le32(sb + 0) && le32(sb + 4) && le32(sb + 24) <= 6 &&
	    le32(sb + 32) && le32(sb + 40))
		return "ext2/3/4";
	if (!memcmp(h + 3, "NTFS    ", 8))
		return "NTFS";
	if (!memcmp(h + 3, "EXFAT   ", 8))
		return "exFAT";
	if (h[510] == 0x55 && h[511] == 0xaa && (!memcmp(h + 54, "FAT", 3) || !memcmp(h + 82, "FAT", 3)))
		return "FAT";
	if (!memcmp(h, "XFSB", 4))
		return "XFS";
	if (!memcmp(h, "LUKS\xba\xbe", 6))
		return "LUKS";
	/* BitLocker (Vista, 7+) boot sectors, as libblkid's bitlocker probe knows them */
	if (!memcmp(h, "\xeb\x52\x90-FVE-FS-", 11) || !memcmp(h, "\xeb\x58\x90-FVE-FS-", 11))
		return "BitLocker";
	/* md superblock 1.1 (at the start) with its version and this offset (0) */
	if (le32(h) == 0xa92b4efc && le32(h + 4) == 1 && !le64(h + 144))
		return "md RAID";
	for (int s = 0; s < 4; s++)
		if (!memcmp(h + 512 * s, "LABELONE", 8))
			return "LVM";
	if (!memcmp(h + 4086, "SWAPSPACE2", 10) || !memcmp(h + 4086, "SWAP-SPACE", 10))
		return "swap";
	if (b64k && !memcmp(b64k + 0x40, "_BHRfS_M", 8))
		return "btrfs";
	return NULL;
}

/* Bytes the probe reads at a candidate offset: 4 KiB, and 512 at +64 KiB (btrfs). */
#define PROBE_SPAN (65536 + 512)

static const char *probe_at(struct lb_dev *d, uint64_t c)
{
	uint8_t head[4096], b64k[512];
	int have64;
	if (c + sizeof head > d->size || lb_dev_pread(d, head, sizeof head, c))
		return NULL;
	have64 = c + PROBE_SPAN <= d->size && !lb_dev_pread(d, b64k, sizeof b64k, c + 65536);
	return lb_unalloc_signature(head, have64 ? b64k : NULL);
}

int lb_unalloc_probe(struct lb_dev *d, uint64_t off, uint64_t len, uint64_t *at, char *what,
                     size_t wlen)
{
	uint64_t end = off + len, stride = LB_MIB, c = off;
	int reads = 0;
	while (len / stride > LB_UNALLOC_MAX_PROBES)
		stride <<= 1;
	while (c < end && reads <= LB_UNALLOC_MAX_PROBES) {
		int64_t q = lb_dev_seek(d, c, SEEK_DATA);
		const char *name;
		if (q == -ENXIO || (q >= 0 && (uint64_t)q >= end))
			break;              /* a hole to the end of the region: nothing there */
		if (q >= 0 && (uint64_t)q >= c + PROBE_SPAN) {
			uint64_t nc = (uint64_t)q & ~(LB_MIB - 1);
			if (nc > c) {
				c = nc;      /* jump the hole without reading it */
				continue;
			}
		}
		reads++;
		if ((name = probe_at(d, c))) {
			*at = c;
			snprintf(what, wlen, "%s", name);
			return 1;
		}
		c = (c + stride) & ~(stride - 1);
	}
	return 0;
}
