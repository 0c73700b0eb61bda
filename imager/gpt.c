/* GPT: read the primary header and entries, fall back to the backup copy when the primary is
 * damaged, and write both copies for a disk of a new size (restore to a larger/smaller disk). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "err.h"
#include "le.h"
#include "ptable.h"

/* Entries arrays larger than this are not believed (the spec's default is 16 KiB). */
#define GPT_MAX_ENTRIES_BYTES (4u << 20)

void lb_guid_format(const uint8_t g[16], char *out)
{
	snprintf(out, 37, "%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X", le32(g), le16(g + 4),
	         le16(g + 6), g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]);
}

/* UTF-16LE name to UTF-8 (BMP only; anything else becomes '?'). */
static void utf16_name(const uint8_t *p, char *out, size_t outlen)
{
	size_t o = 0;
	for (int i = 0; i < 36; i++) {
		unsigned c = le16(p + 2 * i);
		if (!c)
			break;
		if (c < 0x80 && o + 1 < outlen) {
			out[o++] = (char)c;
		} else if (c < 0x800 && o + 2 < outlen) {
			out[o++] = (char)(0xc0 | c >> 6);
			out[o++] = (char)(0x80 | (c & 0x3f));
		} else if (c >= 0x800 && (c < 0xd800 || c > 0xdfff) && o + 3 < outlen) {
			out[o++] = (char)(0xe0 | c >> 12);
			out[o++] = (char)(0x80 | ((c >> 6) & 0x3f));
			out[o++] = (char)(0x80 | (c & 0x3f));
		} else if (o + 1 < outlen) {
			out[o++] = '?';
		}
	}
	out[o] = 0;
}

/* Checks the header sector read from `lba`; fills g. 0 when valid. */
static int header_ok(const uint8_t *h, unsigned ss, uint64_t lba, uint64_t nsect,
                     struct lb_gpt_geom *g)
{
	uint8_t tmp[512];
	uint32_t hsize = le32(h + 12);
	if (memcmp(h, "EFI PART", 8) || hsize < 92 || hsize > ss || hsize > sizeof tmp)
		return -1;
	memcpy(tmp, h, hsize);
	put32(tmp + 16, 0);
	if (lb_crc32(0, tmp, hsize) != le32(h + 16))
		return -1;
	g->sector = ss;
	g->current_lba = le64(h + 24);
	g->backup_lba = le64(h + 32);
	g->first_usable = le64(h + 40);
	g->last_usable = le64(h + 48);
	memcpy(g->disk_guid, h + 56, 16);
	g->entries_lba = le64(h + 72);
	g->nentries = le32(h + 80);
	g->entry_size = le32(h + 84);
	if (g->current_lba != lba || g->entry_size < 128 || g->entry_size % 8 ||
	    (uint64_t)g->nentries * g->entry_size > GPT_MAX_ENTRIES_BYTES || g->nentries == 0 ||
	    g->first_usable > g->last_usable || g->last_usable >= nsect ||
	    g->entries_lba >= nsect ||
	    g->entries_lba + ((uint64_t)g->nentries * g->entry_size + ss - 1) / ss > nsect)
		return -1;
	return 0;
}

/* Reads header at lba and its entries; on success fills t's partitions. */
static int try_copy(struct lb_dev *d, unsigned ss, uint64_t lba, uint64_t nsect, uint64_t disk_size,
                    struct lb_ptable *t, struct lb_err *err)
{
	uint8_t hdr[4096];
	struct lb_gpt_geom g;
	uint8_t *ents = NULL;
	size_t elen;
	int n = 0, rc = -1;

	memset(&g, 0, sizeof g);
	if (lba >= nsect || lb_dev_read(d, hdr, ss, lba * ss, err))
		goto out;
	if (header_ok(hdr, ss, lba, nsect, &g))
		goto out;
	elen = (size_t)g.nentries * g.entry_size;
	ents = malloc(elen);
	if (!ents || lb_dev_read(d, ents, elen, g.entries_lba * ss, err))
		goto out;
	if (lb_crc32(0, ents, elen) != le32(hdr + 88))
		goto out;
	t->n = 0;
	for (uint32_t i = 0; i < g.nentries; i++) {
		const uint8_t *e = ents + (size_t)i * g.entry_size;
		static const uint8_t zero[16];
		struct lb_ptpart *p;
		uint64_t first = le64(e + 32), last = le64(e + 40);
		if (!memcmp(e, zero, 16))
			continue;
		if (t->n >= LB_MAX_PARTS) {
			snprintf(t->note, sizeof t->note, "more than %d GPT partitions; the rest ignored",
			         LB_MAX_PARTS);
			break;
		}
		p = &t->parts[t->n++];
		memset(p, 0, sizeof *p);
		p->number = (int)i + 1;
		memcpy(p->type_guid, e, 16);
		memcpy(p->guid, e + 16, 16);
		p->attrs = le64(e + 48);
		lb_guid_format(p->type_guid, p->type);
		utf16_name(e + 56, p->name, sizeof p->name);
		/* Clip at the last usable sector, not the disk's end: a partition reaching into the
		 * backup GPT would make the image "need" more than the source disk itself (restore
		 * refused as too small), and the GPT rewrite refuse it. The clipped-off part is
		 * copied raw all the same, as a disk area outside partitions. */
		if (last < first || first > g.last_usable || first > UINT64_MAX / ss) {
			p->past_end = 1;
			p->start = disk_size;
			p->size = 0;
			continue;
		}
		p->start = first * ss;
		if (last > g.last_usable) {
			p->past_end = 1;
			last = g.last_usable;
		}
		p->size = (last - first + 1) * ss;
		n++;
	}
	t->gpt = g;
	rc = 0;
out:
	free(ents);
	if (err)
		lb_err_clear(err);   /* a failed copy is not an error by itself: the other may do */
	return rc;
}

int lb_gpt_read(struct lb_dev *d, uint64_t disk_size, struct lb_ptable *t, struct lb_err *err)
{
	/* The device's own sector size first (a 4Kn disk may still carry a 512-byte GPT from an
	 * image written onto it, which the kernel ignores); files have none: 512, then 4096. */
	unsigned first = d->is_blk && d->lsec == 4096 ? 4096 : 512;
	for (size_t k = 0; k < 2; k++) {
		unsigned ss = k == 0 ? first : 4096 + 512 - first;
		uint64_t nsect = disk_size / ss;
		struct lb_ptable backup;
		int prim, back;
		if (nsect < 3)
			continue;
		prim = try_copy(d, ss, 1, nsect, disk_size, t, err) == 0;
		if (prim) {
			uint64_t b = t->gpt.backup_lba < nsect ? t->gpt.backup_lba : nsect - 1;
			memset(&backup, 0, sizeof backup);
			back = try_copy(d, ss, b, nsect, disk_size, &backup, err) == 0 ||
			       (b != nsect - 1 && try_copy(d, ss, nsect - 1, nsect, disk_size, &backup, err) == 0);
			t->gpt.primary_ok = 1;
			t->gpt.backup_ok = back;
			if (!back)
				snprintf(t->note, sizeof t->note, "the backup GPT is missing or damaged "
				         "(the primary is good)");
		} else {
			if (try_copy(d, ss, nsect - 1, nsect, disk_size, t, err))
				continue;
			t->gpt.backup_ok = 1;
			snprintf(t->note, sizeof t->note, "the primary GPT is damaged; "
			         "partitions read from the backup GPT");
		}
		snprintf(t->type, sizeof t->type, "gpt");
		t->sector = ss;
		if (d->is_blk && d->lsec && d->lsec != ss && !t->note[0])
			snprintf(t->note, sizeof t->note, "the GPT is laid out for %u-byte sectors, but "
			         "the disk reports %u-byte sectors (moved out of a USB enclosure?)", ss,
			         d->lsec);
		return 0;
	}
	return 0;
}

static void build_header(uint8_t *h, const struct lb_gpt_geom *g, uint64_t cur, uint64_t alt,
                         uint64_t entries_lba, uint32_t ents_crc)
{
	memset(h, 0, g->sector);
	memcpy(h, "EFI PART", 8);
	put32(h + 8, 0x00010000);
	put32(h + 12, 92);
	put64(h + 24, cur);
	put64(h + 32, alt);
	put64(h + 40, g->first_usable);
	put64(h + 48, g->last_usable);
	memcpy(h + 56, g->disk_guid, 16);
	put64(h + 72, entries_lba);
	put32(h + 80, g->nentries);
	put32(h + 84, g->entry_size);
	put32(h + 88, ents_crc);
	put32(h + 16, lb_crc32(0, h, 92));
}

/* The entries array, as it will be written: read from whichever copy is valid. */
static int load_entries(struct lb_dev *d, const struct lb_ptable *t, uint8_t *ents, size_t elen,
                        struct lb_err *err)
{
	const struct lb_gpt_geom *g = &t->gpt;
	return lb_dev_read(d, ents, elen, g->entries_lba * g->sector, err);
}

int lb_gpt_write(struct lb_dev *d, const struct lb_ptable *t, struct lb_err *err)
{
	struct lb_gpt_geom g = t->gpt;
	unsigned ss = g.sector;
	uint64_t nsect = d->size / ss, esect, last, pent;
	size_t elen = (size_t)g.nentries * g.entry_size;
	uint8_t *ents = NULL, *hdr = NULL, mbr[512];
	uint32_t ecrc;
	int rc;

	esect = (elen + ss - 1) / ss;
	last = nsect - 1;
	if (nsect < 2 * esect + 3)
		return lb_fail(err, LB_ETOOSMALL, "%s is too small for a GPT", d->path);
	ents = calloc(1, esect * ss);
	hdr = calloc(1, ss);
	if (!ents || !hdr) {
		rc = lb_fail(err, LB_ENOMEM, "out of memory writing the GPT");
		goto out;
	}
	if ((rc = load_entries(d, t, ents, elen, err)))
		goto out;
	ecrc = lb_crc32(0, ents, elen);
	g.last_usable = last - esect - 1;
	if (t->parts_end && (t->parts_end - 1) / ss > g.last_usable) {
		rc = lb_fail(err, LB_ETOOSMALL, "partitions end past the last usable sector of %s",
		             d->path);
		goto out;
	}
	/* Primary: header at LBA 1, entries where the primary had them (LBA 2 when it was lost). */
	pent = g.primary_ok ? g.entries_lba : 2;
	build_header(hdr, &g, 1, last, pent, ecrc);
	if ((rc = lb_dev_write(d, ents, esect * ss, pent * ss, err)) ||
	    (rc = lb_dev_write(d, hdr, ss, ss, err)))
		goto out;
	/* Backup: entries just before the last sector, header in it. */
	build_header(hdr, &g, last, 1, last - esect, ecrc);
	if ((rc = lb_dev_write(d, ents, esect * ss, (last - esect) * ss, err)) ||
	    (rc = lb_dev_write(d, hdr, ss, last * ss, err)))
		goto out;
	/* Protective MBR: a single 0xEE entry covers the disk (capped at 2^32-1 sectors). */
	if ((rc = lb_dev_read(d, mbr, 512, 0, err)))
		goto out;
	if (mbr[510] == 0x55 && mbr[511] == 0xaa && mbr[446 + 4] == 0xee && !mbr[462 + 4] &&
	    !mbr[478 + 4] && !mbr[494 + 4]) {
		uint64_t span = nsect - 1;
		put32(mbr + 446 + 12, span > 0xffffffffu ? 0xffffffffu : (uint32_t)span);
		rc = lb_dev_write(d, mbr, 512, 0, err);
	}
out:
	free(ents);
	free(hdr);
	return rc;
}
