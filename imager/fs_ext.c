/* ext2/3/4 through libext2fs: the block bitmap says which blocks hold data. A filesystem whose
 * bitmap cannot be trusted (journal to replay, errors recorded, not cleanly unmounted, features
 * this libext2fs does not know) is refused here, so the planner copies it raw and says why. */
#include <sys/types.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <ext2fs/ext2fs.h>
#include "fs.h"
#include "le.h"

static void uuid_text(const uint8_t *u, char *out, size_t len)
{
	snprintf(out, len, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	         u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
	         u[13], u[14], u[15]);
}

static void copy_label(const uint8_t *p, size_t n, char *out, size_t outlen)
{
	size_t i;
	for (i = 0; i < n && i + 1 < outlen && p[i]; i++)
		out[i] = (p[i] >= 0x20 && p[i] != 0x7f) ? (char)p[i] : '?';
	out[i] = 0;
}

static int ext_probe(struct lb_dev *d, uint64_t off, uint64_t size, struct lb_fs_info *info)
{
	uint8_t sb[1024];
	uint32_t log_bs, incompat;
	uint64_t bs, blocks, freeb;
	struct lb_err e = { 0 };
	if (size < 2048 || lb_dev_read(d, sb, sizeof sb, off + 1024, &e))
		return 0;
	if (le16(sb + 56) != 0xEF53)
		return 0;
	log_bs = le32(sb + 24);
	if (log_bs > 6)
		return 0;
	bs = 1024ULL << log_bs;
	incompat = le32(sb + 96);
	blocks = le32(sb + 4);
	freeb = le32(sb + 12);
	if (incompat & 0x80) {   /* 64bit: high halves */
		blocks |= (uint64_t)le32(sb + 0x150) << 32;
		freeb |= (uint64_t)le32(sb + 0x158) << 32;
	}
	if (!blocks || freeb > blocks)
		return 0;
	/* extents, 64bit, flex_bg or huge files mark ext4; a journal marks ext3 */
	if (incompat & (0x40 | 0x80 | 0x200) || le32(sb + 100) & 0x8)
		snprintf(info->type, sizeof info->type, "ext4");
	else if (le32(sb + 92) & 0x4)
		snprintf(info->type, sizeof info->type, "ext3");
	else
		snprintf(info->type, sizeof info->type, "ext2");
	copy_label(sb + 120, 16, info->label, sizeof info->label);
	uuid_text(sb + 104, info->uuid, sizeof info->uuid);
	info->total = blocks * bs;
	info->used = (blocks - freeb) * bs;
	return 1;
}

/* libext2fs does not register its own error table: without this, error_message() says
 * "Unknown code ext2 60" instead of what is wrong. */
static void init_errors(void)
{
	initialize_ext2_error_table();
}

static int ext_used(struct lb_dev *d, uint64_t off, uint64_t size, struct lb_extents *out,
                    const char **method, char *why, size_t whylen)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	ext2_filsys fs = NULL;
	errcode_t rc;
	char opts[64];
	blk64_t blk, end, first, zero, nblocks;
	uint64_t bs;
	int ret = -1;

	*method = "used";
	pthread_once(&once, init_errors);
	snprintf(opts, sizeof opts, "offset=%llu", (unsigned long long)off);
	/* Read-only: without EXT2_FLAG_RW the unix I/O manager opens the device O_RDONLY. */
	rc = ext2fs_open2(d->path, opts, EXT2_FLAG_64BITS | EXT2_FLAG_SKIP_MMP, 0, 0,
	                  unix_io_manager, &fs);
	if (rc) {
		snprintf(why, whylen, "libext2fs cannot open it (%s)", error_message(rc));
		return -1;
	}
	if (fs->super->s_feature_incompat & ~EXT2_LIB_FEATURE_INCOMPAT_SUPP ||
	    fs->super->s_feature_ro_compat & ~EXT2_LIB_FEATURE_RO_COMPAT_SUPP) {
		snprintf(why, whylen, "it uses features this version of libext2fs does not know");
		goto out;
	}
	if (ext2fs_has_feature_journal_needs_recovery(fs->super)) {
		snprintf(why, whylen, "its journal needs recovery (not cleanly unmounted)");
		goto out;
	}
	if (fs->super->s_state & EXT2_ERROR_FS) {
		snprintf(why, whylen, "it has errors recorded (run e2fsck on the original first)");
		goto out;
	}
	if (!(fs->super->s_state & EXT2_VALID_FS)) {
		snprintf(why, whylen, "it was not cleanly unmounted");
		goto out;
	}
	bs = fs->blocksize;
	nblocks = ext2fs_blocks_count(fs->super);
	if (nblocks > size / bs) {
		snprintf(why, whylen, "its superblock claims %llu blocks, more than the partition holds",
		         (unsigned long long)nblocks);
		goto out;
	}
	/* libext2fs reads a block bitmap whose location is out of range as "all free", so one
	 * lying group descriptor would make the backup skip that group's data: check every
	 * descriptor (bitmaps and inode tables inside their group, no overlaps) first. */
	rc = ext2fs_check_desc(fs);
	if (rc) {
		snprintf(why, whylen, "its group descriptors are corrupted (%s)", error_message(rc));
		goto out;
	}
	rc = ext2fs_read_block_bitmap(fs);
	if (rc) {
		snprintf(why, whylen, "its block bitmap cannot be read (%s)", error_message(rc));
		goto out;
	}
	/* The boot block and the superblock, whatever the bitmap says. */
	if (lb_ext_add(out, off, 2048) < 0)
		goto nomem;
	first = fs->super->s_first_data_block;
	if (first && lb_ext_add(out, off, first * bs) < 0)
		goto nomem;
	end = nblocks - 1;
	blk = first;
	while (blk <= end) {
		if (ext2fs_find_first_set_block_bitmap2(fs->block_map, blk, end, &blk))
			break;
		if (ext2fs_find_first_zero_block_bitmap2(fs->block_map, blk, end, &zero))
			zero = end + 1;
		if (lb_ext_add(out, off + blk * bs, (zero - blk) * bs) < 0)
			goto nomem;
		blk = zero;
	}
	lb_ext_normalize(out);
	ret = 0;
	goto out;
nomem:
	snprintf(why, whylen, "out of memory building its block map");
out:
	ext2fs_close_free(&fs);
	return ret;
}

void lb_ext_damage(struct lb_dev *d, uint64_t off, uint64_t size, const struct lb_extents *bad,
                   char **text);   /* fs_ext_damage.c */
const struct lb_fs_ops lb_fs_ext = { "ext", ext_probe, ext_used, lb_ext_damage };
