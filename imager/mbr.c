/* MBR partition tables: four primary slots and the extended partition's chain of EBRs. */
#include <stdio.h>
#include <string.h>
#include "err.h"
#include "le.h"
#include "ptable.h"

int lb_gpt_read(struct lb_dev *d, uint64_t disk_size, struct lb_ptable *t, struct lb_err *err);

static int is_extended(uint8_t type)
{
	return type == 0x05 || type == 0x0f || type == 0x85;
}

/* A partition entry is plausible when its status byte is valid and a used slot has a start
 * and a size; boot code that happens to sit in a FAT boot sector rarely passes. */
static int entry_plausible(const uint8_t *e)
{
	if (e[0] != 0 && e[0] != 0x80)
		return 0;
	if (e[4] == 0)
		return 1;
	return le32(e + 8) != 0 && le32(e + 12) != 0;
}

static int add_part(struct lb_ptable *t, int number, uint8_t type, uint64_t start_lba,
                    uint64_t nsect, uint64_t disk_size)
{
	struct lb_ptpart *p;
	if (t->n >= LB_MAX_PARTS)
		return -1;
	p = &t->parts[t->n++];
	memset(p, 0, sizeof *p);
	p->number = number;
	p->mbr_type = type;
	p->container = is_extended(type);
	p->start = start_lba * t->sector;
	p->size = nsect * t->sector;
	snprintf(p->type, sizeof p->type, "0x%02x", type);
	if (p->start >= disk_size) {
		p->past_end = 1;
		p->size = 0;
		p->start = disk_size;
	} else if (p->size > disk_size - p->start) {
		p->past_end = 1;
		p->size = disk_size - p->start;
	}
	return 0;
}

static void note(struct lb_ptable *t, const char *msg)
{
	if (!t->note[0])
		snprintf(t->note, sizeof t->note, "%s", msg);
}

/* Walks the EBR chain of the extended partition at [ext_lba, ext_lba + ext_len). */
static int read_logicals(struct lb_dev *d, struct lb_ptable *t, uint64_t ext_lba, uint64_t ext_len,
                         uint64_t disk_size, struct lb_err *err)
{
	uint8_t sec[4096];
	uint64_t ebr = ext_lba, seen[128];
	int number = 5, nseen = 0;
	unsigned ss = t->sector;

	while (ebr) {
		const uint8_t *e0, *e1;
		for (int i = 0; i < nseen; i++)
			if (seen[i] == ebr) {
				note(t, "the extended partition's chain loops back on itself; "
				        "later logical partitions ignored");
				return 0;
			}
		if (nseen == (int)(sizeof seen / sizeof seen[0])) {
			note(t, "more than 128 logical partitions; the rest ignored");
			return 0;
		}
		seen[nseen++] = ebr;
		if (ebr < ext_lba || ebr >= ext_lba + ext_len || (ebr + 1) * ss > disk_size) {
			note(t, "a link in the extended partition's chain points outside it; "
			        "later logical partitions ignored");
			return 0;
		}
		if (lb_dev_read(d, sec, ss, ebr * ss, err))
			return err->code;
		if (sec[510] != 0x55 || sec[511] != 0xaa) {
			note(t, "an extended boot record lacks its signature; "
			        "later logical partitions ignored");
			return 0;
		}
		/* remembered so a backup keeps every EBR, wherever the chain put it */
		if (t->nebr < (int)(sizeof t->ebr / sizeof t->ebr[0]))
			t->ebr[t->nebr++] = ebr * ss;
		e0 = sec + 446;
		e1 = sec + 462;
		if (e0[4] && le32(e0 + 12)) {
			uint64_t start = ebr + le32(e0 + 8);
			if (add_part(t, number++, e0[4], start, le32(e0 + 12), disk_size))
				return 0;
			if (start + le32(e0 + 12) > ext_lba + ext_len)
				note(t, "a logical partition runs past the end of the extended partition");
		}
		ebr = (e1[4] && is_extended(e1[4])) ? ext_lba + le32(e1 + 8) : 0;
	}
	return 0;
}

static int read_mbr(struct lb_dev *d, const uint8_t *sec, struct lb_ptable *t, uint64_t disk_size,
                    struct lb_err *err)
{
	int i, used = 0;
	for (i = 0; i < 4; i++)
		if (!entry_plausible(sec + 446 + 16 * i))
			return 0;   /* not a partition table (e.g. a filesystem's boot sector) */
	for (i = 0; i < 4; i++)
		used += sec[446 + 16 * i + 4] != 0;
	if (!used)
		return 0;
	snprintf(t->type, sizeof t->type, "mbr");
	for (i = 0; i < 4; i++) {
		const uint8_t *e = sec + 446 + 16 * i;
		if (!e[4])
			continue;
		add_part(t, i + 1, e[4], le32(e + 8), le32(e + 12), disk_size);
		if (is_extended(e[4]) && read_logicals(d, t, le32(e + 8), le32(e + 12), disk_size, err))
			return err->code;
	}
	return 0;
}

static int overlapping(const struct lb_ptable *t)
{
	for (int i = 0; i < t->n; i++)
		for (int j = i + 1; j < t->n; j++) {
			const struct lb_ptpart *a = &t->parts[i], *b = &t->parts[j];
			if (a->container || b->container || !a->size || !b->size)
				continue;
			if (a->start < b->start + b->size && b->start < a->start + a->size)
				return 1;
		}
	return 0;
}

/* Is sector 0 an MBR that hands the disk to a GPT? The kernel (block/partitions/efi.c,
 * is_pmbr_valid) and libblkid accept a GPT only when an MBR with its signature has a 0xEE entry:
 * protective (the only entry) or hybrid (among others). Otherwise a GPT found on the disk is a
 * leftover that nothing else will read, and the MBR is the table. */
static int mbr_protects_gpt(const uint8_t *sec)
{
	if (sec[510] != 0x55 || sec[511] != 0xaa)
		return 0;
	for (int i = 0; i < 4; i++)
		if (sec[446 + 16 * i + 4] == 0xee)
			return 1;
	return 0;
}

int lb_ptable_read_sized(struct lb_dev *d, uint64_t disk_size, struct lb_ptable *t,
                         struct lb_err *err)
{
	uint8_t sec[512];
	memset(t, 0, sizeof *t);
	snprintf(t->type, sizeof t->type, "none");
	t->sector = d->lsec ? d->lsec : 512;
	/* disk_size may exceed d->size: reading a table restored onto a smaller disk */
	if (disk_size < 512 || d->size < 512)
		return 0;
	if (lb_dev_read(d, sec, 512, 0, err))
		return err->code;
	if (lb_gpt_read(d, disk_size, t, err))
		return err->code;
	if (!strcmp(t->type, "gpt") && !mbr_protects_gpt(sec)) {
		char what[40];
		snprintf(what, sizeof what, "%s", t->gpt.primary_ok ? "a GPT" : "a backup GPT");
		memset(t, 0, sizeof *t);
		snprintf(t->type, sizeof t->type, "none");
		t->sector = d->lsec ? d->lsec : 512;
		snprintf(t->note, sizeof t->note, "%s was found but ignored, as the kernel does: "
		         "sector 0 is not a protective MBR (a leftover of an earlier table?)", what);
		t->stale_gpt = 1;
	}
	if (strcmp(t->type, "gpt") && sec[510] == 0x55 && sec[511] == 0xaa) {
		t->sector = d->lsec ? d->lsec : 512;   /* MBR offsets count logical sectors */
		if (read_mbr(d, sec, t, disk_size, err))
			return err->code;
	}
	for (int i = 0; i < t->n; i++) {
		const struct lb_ptpart *p = &t->parts[i];
		if (p->past_end)
			note(t, "a partition claims space past the end of the disk");
		/* an entry past the end is kept as start = disk end, size 0: it occupies nothing, and
		 * counting it would make the image need more than the disk it came from */
		if (p->size && p->start + p->size > t->parts_end)
			t->parts_end = p->start + p->size;
	}
	if (overlapping(t))
		note(t, "partitions overlap each other");
	return 0;
}

int lb_ptable_read(struct lb_dev *d, struct lb_ptable *t, struct lb_err *err)
{
	return lb_ptable_read_sized(d, d->size, t, err);
}

const struct lb_ptpart *lb_ptable_find(const struct lb_ptable *t, int number)
{
	for (int i = 0; i < t->n; i++)
		if (t->parts[i].number == number)
			return &t->parts[i];
	return NULL;
}

uint64_t lb_ptable_min_size(const struct lb_ptable *t)
{
	uint64_t end = t->parts_end;
	if (!strcmp(t->type, "gpt")) {
		/* the backup entries and header follow the last usable sector */
		uint64_t ent = ((uint64_t)t->gpt.nentries * t->gpt.entry_size + t->sector - 1) / t->sector;
		uint64_t min_first = (2 + ent) * t->sector;
		if (end < min_first)
			end = min_first;
		end += (ent + 1) * t->sector;
	}
	if (!strcmp(t->type, "mbr") && end < 512)
		end = 512;
	return end;
}
