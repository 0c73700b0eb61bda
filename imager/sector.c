/* Logical sector sizes: the one a disk's contents are laid out for, and the smallest unit a
 * filesystem can be read in. A partition table counts sectors, so it is only readable on a
 * disk with the sector size it was written for; a filesystem can move to another sector size
 * only when its own unit (FAT: bytes per sector; ext: block size) is at least the device's,
 * as Linux refuses to mount it otherwise. */
#include <string.h>
#include "le.h"
#include "ptable.h"

unsigned lb_layout_sector(const struct lb_dev *d, const struct lb_ptable *t)
{
	if (d->is_blk)
		return d->lsec;
	/* an image file has no sector size of its own: its GPT tells (found at 512 or at 4096) */
	return !strcmp(t->type, "gpt") ? t->sector : 512;
}

static int pow2_in(unsigned v, unsigned lo, unsigned hi)
{
	return v >= lo && v <= hi && !(v & (v - 1));
}

unsigned lb_fs_unit(const uint8_t *head, size_t len, const char **what)
{
	*what = "";
	/* ext2/3/4: the magic in the superblock at 1024, block size 1024 << s_log_block_size */
	if (len >= 2048 && le16(head + 1024 + 56) == 0xef53 && le32(head + 1024 + 24) <= 6) {
		*what = "ext filesystem with blocks";
		return 1024u << le32(head + 1024 + 24);
	}
	/* FAT: a jump, a boot signature and a sane BPB (bytes per sector, sectors per cluster,
	 * reserved sectors, FAT count) */
	if (len >= 512 && (head[0] == 0xeb || head[0] == 0xe9) && head[510] == 0x55 &&
	    head[511] == 0xaa && pow2_in(le16(head + 11), 512, 4096) && pow2_in(head[13], 1, 128) &&
	    le16(head + 14) && (head[16] == 1 || head[16] == 2) &&
	    (!memcmp(head + 54, "FAT", 3) || !memcmp(head + 82, "FAT32", 5))) {
		*what = "FAT filesystem with sectors";
		return le16(head + 11);
	}
	return 0;
}
