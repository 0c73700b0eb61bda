/* After a whole-disk restore or clone: erase the GPT headers the target kept from before, so the
 * kernel, blkid, sfdisk and sgdisk see the table that was written and nothing else. */
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

int lb_tw_wipe_stale(struct lb_twriter *t, uint64_t gpt_src_size, int *wiped, struct lb_err *err)
{
	static const uint8_t zero[8];
	struct lb_ptable *pt = malloc(sizeof *pt);
	uint64_t size = t->dev.size, live_lo = 0, live_hi = size, cand[6];
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
	/* Where a GPT header sits: LBA 1 and the last LBA, for 512- and 4096-byte sectors... */
	if (size < 8192)
		goto out;
	cand[n++] = 512;
	cand[n++] = 4096;
	cand[n++] = (size / 512 - 1) * 512;
	cand[n++] = (size / 4096 - 1) * 4096;
	/* ...and the backup header the image carried where the source ended, which is stale once
	 * the backup moved to the end of a larger target (the image wrote it: checked apart). */
	if (gpt_src_size && gpt_src_size < size) {
		cand[n++] = (gpt_src_size / 512 - 1) * 512;
		cand[n++] = (gpt_src_size / 4096 - 1) * 4096;
	}
	for (int i = 0; i < n; i++) {
		uint8_t magic[8];
		uint64_t c = cand[i];
		if (c + 8 > size || c < live_lo || c >= live_hi)
			continue;
		if (i < 4 && written(t, c, 8))
			continue;   /* the image's own bytes, whatever they are */
		if ((rc = lb_dev_read(&t->dev, magic, 8, c, err)))
			goto out;
		if (memcmp(magic, "EFI PART", 8))
			continue;
		/* as wipefs does: the signature goes, so no tool takes the rest for a header */
		if ((rc = lb_dev_write(&t->dev, zero, 8, c, err)))
			goto out;
		(*wiped)++;
	}
	rc = 0;
out:
	free(pt);
	return rc;
}
