/* The exFAT boot region: the main boot sector's fields checked against each other and the
 * partition, and the boot checksum (sector 11, over sectors 0-10 but VolumeFlags and
 * PercentInUse) of the main region (sectors 0-11) and of the backup (12-23).
 *
 * The main region is what Windows and Linux mount by; a backup that fails is noted and the
 * map still used. A main region that fails with a backup that passes is what a repair tool
 * would copy over it: Lifeboat copies the volume raw instead (the image holds both, and
 * fsck.exfat can repair the restored copy), never choosing for the owner. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fs_exfat.h"
#include "le.h"

/* The fields of a main or backup boot sector: 0 when they describe a volume within size. */
static int geometry(const uint8_t *b, uint64_t size, struct lb_exfat *v, char *why, size_t whylen)
{
	uint64_t vol_secs, fat_off, fat_len, heap_off, heap_secs;
	unsigned bs, ss;
	if (b[0] != 0xeb || memcmp(b + 3, "EXFAT   ", 8) || b[510] != 0x55 || b[511] != 0xaa) {
		snprintf(why, whylen, "has no exFAT boot sector signature");
		return -1;
	}
	for (int i = 11; i < 64; i++)
		if (b[i]) {   /* FAT's BPB area: must be zero, so FAT drivers refuse the volume */
			snprintf(why, whylen, "has non-zero bytes where FAT's BPB would be");
			return -1;
		}
	bs = b[108];
	ss = b[109];
	if (bs < 9 || bs > 12 || ss > 25 - bs) {
		snprintf(why, whylen, "has sector or cluster size shifts out of range (%u, %u)", bs, ss);
		return -1;
	}
	if (b[105] != 1) {
		snprintf(why, whylen, "has a revision Lifeboat does not know (%u.%u)", b[105], b[104]);
		return -1;
	}
	v->bps_shift = bs;
	v->spc_shift = ss;
	v->cs = 1ull << (bs + ss);
	vol_secs = le64(b + 72);
	fat_off = le32(b + 80);
	fat_len = le32(b + 84);
	heap_off = le32(b + 88);
	v->nclusters = le32(b + 92);
	v->root = le32(b + 96);
	v->serial = le32(b + 100);
	v->flags = le16(b + 106);
	v->nfats = b[110];
	v->active = v->nfats == 2 ? (v->flags & 1) : 0;
	heap_secs = (uint64_t)v->nclusters << ss;
	/* 24: both boot regions come first; the FAT holds an entry for every cluster (and 0, 1) */
	if ((v->nfats != 1 && v->nfats != 2) || fat_off < 24 || !v->nclusters ||
	    v->nclusters > 0xfffffff5u || fat_len << bs < ((uint64_t)v->nclusters + 2) * 4 ||
	    fat_off + fat_len * v->nfats > heap_off || vol_secs > size >> bs ||
	    heap_off + heap_secs > vol_secs || !lb_exfat_cl_ok(v, v->root)) {
		snprintf(why, whylen, "has inconsistent fields (FAT, cluster heap or root directory "
		         "outside the volume, or a volume larger than its partition)");
		return -1;
	}
	v->vol_bytes = vol_secs << bs;
	v->fat_off = fat_off << bs;
	v->fat_bytes = fat_len << bs;
	v->heap_off = heap_off << bs;
	v->heap_end = (heap_off + heap_secs) << bs;
	return 0;
}

/* 1 when the region of 12 sectors of 1 << bs bytes at `at` passes its boot checksum, 0 when
 * not, -1 when it cannot be read (io_err filled). */
static int checksum_ok(struct lb_exfat *v, uint64_t at, unsigned bs)
{
	size_t sec = (size_t)1 << bs, n = 12 * sec;
	uint8_t *r = malloc(n);
	struct lb_err e = { 0 };
	uint32_t sum = 0;
	int ok = 1;
	if (!r) {
		snprintf(v->io_err, sizeof v->io_err, "out of memory");
		return -1;
	}
	if (lb_dev_read(v->d, r, n, at, &e)) {
		const char *cause = strrchr(e.msg, ':');
		snprintf(v->io_err, sizeof v->io_err, "%s", cause ? cause + 1 + (cause[1] == ' ') : e.msg);
		free(r);
		return -1;
	}
	for (size_t i = 0; i < 11 * sec; i++)
		if (i != 106 && i != 107 && i != 112)
			sum = ((sum & 1) ? 0x80000000u : 0) + (sum >> 1) + r[i];
	for (size_t i = 11 * sec; i < n; i += 4)
		if (le32(r + i) != sum)
			ok = 0;
	free(r);
	return ok;
}

/* The backup region, found with the main boot sector's sector size or, when that is unusable,
 * with each size exFAT allows: 1 when it is a consistent region that passes its checksum. */
static int backup_good(struct lb_exfat *v, uint64_t size, unsigned main_bs)
{
	uint8_t b[512];
	struct lb_err e = { 0 };
	char why[160];
	for (unsigned bs = 9; bs <= 12; bs++) {
		struct lb_exfat t = { .d = v->d };
		if (main_bs >= 9 && main_bs <= 12 && bs != main_bs)
			continue;
		if (size < 24ull << bs || lb_dev_read(v->d, b, sizeof b, v->off + (12ull << bs), &e) ||
		    geometry(b, size, &t, why, sizeof why) || t.bps_shift != bs)
			continue;
		if (checksum_ok(v, v->off + (12ull << bs), bs) == 1)
			return 1;
	}
	return 0;
}

int lb_exfat_open(struct lb_exfat *v, struct lb_dev *d, uint64_t off, uint64_t size, char *why,
                  size_t whylen)
{
	uint8_t b[512];
	struct lb_err e = { 0 };
	char what[120] = "";
	int ok;
	memset(v, 0, sizeof *v);
	v->d = d;
	v->off = off;
	if (size < 24 * 512 || lb_dev_read(d, b, sizeof b, off, &e)) {
		snprintf(why, whylen, "its boot sector cannot be read");
		return -1;
	}
	if (geometry(b, size, v, what, sizeof what)) {
		unsigned bs = b[108];
		memset(v, 0, sizeof *v);
		v->d = d;
		v->off = off;
		snprintf(why, whylen, "its main boot sector %s%s", what, backup_good(v, size, bs) ?
		         "; its backup boot region is intact (never copied over it): copied raw" :
		         "; its backup boot region is damaged too");
		return -1;
	}
	ok = size >= 24ull << v->bps_shift ? checksum_ok(v, off, v->bps_shift) : -1;
	if (ok < 0) {
		snprintf(why, whylen, "its main boot region cannot be read (%s)", v->io_err);
		return -1;
	}
	if (!ok) {
		unsigned bs = v->bps_shift;
		snprintf(why, whylen, "its main boot region fails its boot checksum%s", backup_good(v, size, bs) ?
		         "; its backup boot region is intact (never copied over it): copied raw" :
		         "; its backup boot region is damaged too");
		return -1;
	}
	if (!backup_good(v, size, v->bps_shift))
		v->backup_note = "its backup boot region is damaged (the main one is intact and used; "
		                 "both copied as they are)";
	return 0;
}

void lb_exfat_close(struct lb_exfat *v)
{
	free(v->fatbuf);
	v->fatbuf = NULL;
}
