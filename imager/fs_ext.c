/* ext2/3/4 through libext2fs: the blocks that hold data are those the block bitmap marks plus
 * every block something references (fs_ext_map.c). A filesystem whose structure cannot be
 * trusted (errors recorded, not cleanly unmounted, features this libext2fs does not know,
 * corrupt descriptors, unreadable bitmaps or inode tables, a journal to replay that cannot be
 * replayed) is refused here, so the planner copies it raw and says why. A journal that needs
 * recovery is replayed in memory (fs_ext_journal.c) and everything below judges and maps the
 * replayed view, as e2fsck would leave the filesystem. */
#include <sys/types.h>
#include <stdio.h>
#include <string.h>
#include "fs_ext.h"
#include "io_ext2.h"
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

/* Feature names as e2p (tune2fs, dumpe2fs) spells them, for the reason a filesystem is
 * copied raw; unnamed bits as e2p prints them. */
static const struct { int ro; uint32_t bit; const char *name; } feature_names[] = {
	{ 0, EXT2_FEATURE_INCOMPAT_COMPRESSION, "compression" },
	{ 0, EXT2_FEATURE_INCOMPAT_FILETYPE, "filetype" },
	{ 0, EXT3_FEATURE_INCOMPAT_RECOVER, "needs_recovery" },
	{ 0, EXT3_FEATURE_INCOMPAT_JOURNAL_DEV, "journal_dev" },
	{ 0, EXT2_FEATURE_INCOMPAT_META_BG, "meta_bg" },
	{ 0, EXT3_FEATURE_INCOMPAT_EXTENTS, "extent" },
	{ 0, EXT4_FEATURE_INCOMPAT_64BIT, "64bit" },
	{ 0, EXT4_FEATURE_INCOMPAT_MMP, "mmp" },
	{ 0, EXT4_FEATURE_INCOMPAT_FLEX_BG, "flex_bg" },
	{ 0, EXT4_FEATURE_INCOMPAT_EA_INODE, "ea_inode" },
	{ 0, EXT4_FEATURE_INCOMPAT_DIRDATA, "dirdata" },
	{ 0, EXT4_FEATURE_INCOMPAT_CSUM_SEED, "metadata_csum_seed" },
	{ 0, EXT4_FEATURE_INCOMPAT_LARGEDIR, "large_dir" },
	{ 0, EXT4_FEATURE_INCOMPAT_INLINE_DATA, "inline_data" },
	{ 0, EXT4_FEATURE_INCOMPAT_ENCRYPT, "encrypt" },
	{ 0, EXT4_FEATURE_INCOMPAT_CASEFOLD, "casefold" },
	{ 1, EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER, "sparse_super" },
	{ 1, EXT2_FEATURE_RO_COMPAT_LARGE_FILE, "large_file" },
	{ 1, EXT4_FEATURE_RO_COMPAT_HUGE_FILE, "huge_file" },
	{ 1, EXT4_FEATURE_RO_COMPAT_GDT_CSUM, "uninit_bg" },
	{ 1, EXT4_FEATURE_RO_COMPAT_DIR_NLINK, "dir_nlink" },
	{ 1, EXT4_FEATURE_RO_COMPAT_EXTRA_ISIZE, "extra_isize" },
	{ 1, EXT4_FEATURE_RO_COMPAT_QUOTA, "quota" },
	{ 1, EXT4_FEATURE_RO_COMPAT_BIGALLOC, "bigalloc" },
	{ 1, EXT4_FEATURE_RO_COMPAT_METADATA_CSUM, "metadata_csum" },
	{ 1, EXT4_FEATURE_RO_COMPAT_REPLICA, "replica" },
	{ 1, EXT4_FEATURE_RO_COMPAT_READONLY, "read-only" },
	{ 1, EXT4_FEATURE_RO_COMPAT_PROJECT, "project" },
	{ 1, EXT4_FEATURE_RO_COMPAT_SHARED_BLOCKS, "shared_blocks" },
	{ 1, EXT4_FEATURE_RO_COMPAT_VERITY, "verity" },
	{ 1, EXT4_FEATURE_RO_COMPAT_ORPHAN_PRESENT, "orphan_present" },
};

/* Appends the names of the feature bits in `bits` to out ("mmp, FEATURE_I31"). */
static void feature_list(int ro, uint32_t bits, char *out, size_t len)
{
	size_t n = strlen(out);
	for (int b = 0; b < 32 && n < len; b++) {
		const char *name = NULL;
		char other[16];
		if (!(bits & (1u << b)))
			continue;
		for (size_t i = 0; i < sizeof feature_names / sizeof *feature_names; i++)
			if (feature_names[i].ro == ro && feature_names[i].bit == 1u << b)
				name = feature_names[i].name;
		if (!name) {
			snprintf(other, sizeof other, "FEATURE_%c%d", ro ? 'R' : 'I', b);
			name = other;
		}
		n += snprintf(out + n, len - n, "%s%s", n ? ", " : "", name);
	}
}

/* Whether libext2fs can read this filesystem at all. The library itself refuses incompat
 * features it does not support (its build decides some, like mmp); read-only compatible
 * features it lets through on a read-only open, but a map built without understanding them
 * could be wrong (bigalloc was one), so those are judged by its list of supported ones. */
static int features_known(struct lb_dev *d, uint64_t off, ext2_filsys fs, errcode_t open_rc,
                          char *why, size_t whylen)
{
	uint8_t sb[1024];
	uint32_t incompat, ro;
	char names[96] = "";
	const char *version = "?";
	struct lb_err e = { 0 };

	if (fs) {
		incompat = 0;
		ro = fs->super->s_feature_ro_compat & ~EXT2_LIB_FEATURE_RO_COMPAT_SUPP;
	} else if (open_rc == EXT2_ET_UNSUPP_FEATURE && !lb_dev_read(d, sb, sizeof sb, off + 1024, &e)) {
		if (le32(sb + 96) & EXT3_FEATURE_INCOMPAT_JOURNAL_DEV) {
			snprintf(why, whylen, "it is an external journal (journal_dev), not a filesystem "
			         "with files");
			return 0;
		}
		/* what the header does not list; else what this build of the library left out */
		incompat = le32(sb + 96) & ~(EXT2_LIB_FEATURE_INCOMPAT_SUPP | EXT4_FEATURE_INCOMPAT_MMP);
		if (!incompat)
			incompat = le32(sb + 96) & ~EXT2_LIB_FEATURE_INCOMPAT_SUPP;
		ro = le32(sb + 100) & ~EXT2_LIB_FEATURE_RO_COMPAT_SUPP;
	} else {
		return 1;
	}
	feature_list(0, incompat, names, sizeof names);
	feature_list(1, ro, names, sizeof names);
	if (!names[0])
		return 1;
	ext2fs_get_library_version(&version, NULL);
	snprintf(why, whylen, "it uses features libext2fs %s does not know: %s", version, names);
	return 0;
}

static int ext_used(struct lb_dev *d, uint64_t off, uint64_t size, struct lb_extents *out,
                    const char **method, char *why, size_t whylen)
{
	ext2_filsys fs = NULL;
	struct lb_jbd2_view *view = NULL;
	char note[160] = "";
	errcode_t rc;
	blk64_t blk, end, first, zero, nblocks;
	uint64_t bs;
	unsigned faults;
	int ret = -1;

	*method = "used";
	/* read-only, through the engine's handle: the faults a run meets are the ones it sees */
	rc = lb_ext2_open(d, off, size, EXT2_FLAG_64BITS | EXT2_FLAG_SKIP_MMP, &fs);
	if (rc) {
		if (features_known(d, off, NULL, rc, why, whylen))
			snprintf(why, whylen, "libext2fs cannot open it (%s)", error_message(rc));
		return -1;
	}
	if (!features_known(d, off, fs, 0, why, whylen))
		goto out;
	if (ext2fs_has_feature_journal_needs_recovery(fs->super)) {
		/* the choice of blocks follows the replayed view; the image keeps the journal */
		if (lb_ext_journal_view(d, off, size, fs, &view, note, sizeof note, why, whylen))
			goto out;
		ext2fs_close_free(&fs);
		rc = lb_ext2_open_view(d, off, size, EXT2_FLAG_64BITS | EXT2_FLAG_SKIP_MMP, view, &fs);
		if (rc) {
			snprintf(why, whylen, "libext2fs cannot open it after its journal's replay in "
			         "memory (%s)", error_message(rc));
			goto out;
		}
		if (!features_known(d, off, fs, 0, why, whylen))
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
	/* The map below adds each group's metadata at the places its descriptor names: check
	 * every descriptor (bitmaps and inode tables inside the filesystem, no overlaps) first. */
	rc = ext2fs_check_desc(fs);
	if (rc) {
		snprintf(why, whylen, "its group descriptors are corrupted (%s)", error_message(rc));
		goto out;
	}
	/* From here on a wrong checksum is no reason to stop: the bitmaps are only one part of
	 * the map, and a tree block that fails its checksum is still referenced. */
	fs->flags |= EXT2_FLAG_IGNORE_CSUM_ERRORS;
	fs->default_bitmap_type = EXT2FS_BMAP64_RBTREE;   /* small on big disks */
	faults = lb_ext2_faults(fs, &(uint64_t){ 0 }, &(errcode_t){ 0 });
	rc = ext2fs_read_block_bitmap(fs);
	if (rc) {
		lb_ext_cannot_read(fs, "block bitmap", rc, faults, why, whylen);
		goto out;
	}
	rc = ext2fs_read_inode_bitmap(fs);
	if (rc) {
		lb_ext_cannot_read(fs, "inode bitmap", rc, faults, why, whylen);
		goto out;
	}
	if (lb_ext_map_referenced(fs, why, whylen))
		goto out;
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
	if (view && lb_ext_journal_add(view, fs, off, out) < 0)
		goto nomem;
	lb_ext_normalize(out);
	snprintf(why, whylen, "%s", note);
	ret = 0;
	goto out;
nomem:
	snprintf(why, whylen, "out of memory building its block map");
out:
	ext2fs_close_free(&fs);
	lb_jbd2_view_free(view);
	return ret;
}

const struct lb_fs_ops lb_fs_ext = { "ext", ext_probe, ext_used, lb_ext_damage };
