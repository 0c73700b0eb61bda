/* After a whole-disk restore or clone: erase the GPT headers and end-of-disk RAID superblocks the
 * target kept from before, so the kernel, blkid, sfdisk and sgdisk see the table that was
 * written and nothing else. A hand-kept list, not libblkid (not in the static build yet). */
#include <stdlib.h>
#include <string.h>
#include "err.h"
#include "ptable.h"
#include "twrite.h"

/* Did the restore write all of [off, off+len) of the target? t->ext holds image offsets. */
static int written(const struct lb_twriter *t, uint64_t off, uint64_t len)
{
	for (size_t i = 0; i < t->ext.n; i++) {
		uint64_t a = t->ext.v[i].off, b = a + t->ext.v[i].len;
		if (a < t->lo)
			a = t->lo;
		if (b > t->hi)
			b = t->hi;
		if (a >= b)
			continue;
		a = a - t->lo + t->dest;
		b = b - t->lo + t->dest;
		if (a <= off && off + len <= b)
			return 1;
	}
	return 0;
}

/* A signature at a target offset: the image's own when written (or, for `always`, stale even
 * so: the moved backup GPT header). */
struct sig {
	uint64_t off;
	const char *magic;
	size_t len;
	int always;
};

static const char gpt_magic[] = "EFI PART", md_le[] = "\xfc\x4e\x2b\xa9", md_be[] = "\xa9\x2b\x4e\xfc";

int lb_tw_wipe_stale(struct lb_twriter *t, uint64_t gpt_src_size, int *wiped, struct lb_err *err)
{
	static const uint8_t zero[8];
	struct lb_ptable *pt = malloc(sizeof *pt);
	uint64_t size = t->dev.size, live_lo = 0, live_hi = size;
	struct sig cand[12];
	int n = 0, rc;
	*wiped = 0;
	if (!pt)
		return lb_fail(err, LB_ENOMEM, "out of memory");
	if ((rc = lb_ptable_read(&t->dev, pt, err)))
		goto out;
	/* The GPT the target has now (the image's, or rewritten for its size): its headers and
	 * entries lie in [0, live_lo) and [live_hi, size), and stay. */
	if (!strcmp(pt->type, "gpt")) {
		live_lo = pt->gpt.first_usable * pt->gpt.sector;
		live_hi = (pt->gpt.last_usable + 1) * pt->gpt.sector;
	}
	if (size < (128u << 10))
		goto out;
	/* GPT headers: LBA 1 and the last LBA, for 512- and 4096-byte sectors... */
	cand[n++] = (struct sig){ 512, gpt_magic, 8, 0 };
	cand[n++] = (struct sig){ 4096, gpt_magic, 8, 0 };
	cand[n++] = (struct sig){ (size / 512 - 1) * 512, gpt_magic, 8, 0 };
	cand[n++] = (struct sig){ (size / 4096 - 1) * 4096, gpt_magic, 8, 0 };
	/* ...and the backup header the image carried where the source ended, which is stale once
	 * the backup moved to the end of a larger target (the image wrote it). */
	if (gpt_src_size && gpt_src_size < size) {
		cand[n++] = (struct sig){ (gpt_src_size / 512 - 1) * 512, gpt_magic, 8, 1 };
		cand[n++] = (struct sig){ (gpt_src_size / 4096 - 1) * 4096, gpt_magic, 8, 1 };
	}
	/* md RAID superblocks that live at the end of a device (0.90: the last 64 KiB-aligned
	 * 64 KiB, either byte order; 1.0: 8 KiB from the end, 4 KiB-aligned): with one left over,
	 * blkid calls the disk a RAID member instead of reading its table. */
	cand[n++] = (struct sig){ (size & ~(uint64_t)0xffff) - 0x10000, md_le, 4, 0 };
	cand[n++] = (struct sig){ (size & ~(uint64_t)0xffff) - 0x10000, md_be, 4, 0 };
	cand[n++] = (struct sig){ ((size / 512 - 16) & ~(uint64_t)7) * 512, md_le, 4, 0 };
	for (int i = 0; i < n; i++) {
		uint8_t magic[8];
		const struct sig *c = &cand[i];
		if (c->off + c->len > size || c->off < live_lo || c->off >= live_hi)
			continue;
		if ((rc = lb_dev_read(&t->dev, magic, c->len, c->off, err)))
			goto out;
		if (memcmp(magic, c->magic, c->len))
			continue;
		if (!c->always && written(t, c->off, c->len))
			continue;   /* the image's own bytes (a scan of every extent: done last) */
		/* as wipefs does: the magic goes, so no tool takes the rest for a superblock */
		if ((rc = lb_dev_write(&t->dev, zero, c->len, c->off, err)))
			goto out;
		(*wiped)++;
	}
	rc = 0;
out:
	free(pt);
	return rc;
}
