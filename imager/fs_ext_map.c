/* The ext used map must not depend on the block bitmap alone: corrupt filesystems are what a
 * rescue tool meets, and a bitmap that marks a referenced block free (or a BLOCK_UNINIT group
 * that holds data) would make the backup drop it. So every block that something references
 * is added: each group's superblock copy, descriptors, reserved GDT blocks, bitmaps and inode
 * table (BLOCK_UNINIT groups and meta_bg layouts too), the MMP block, and the trees and data
 * of every inode that is in use by any sign: reserved, linked, marked in the inode bitmap, or
 * never deleted. All of it is metadata reading (inode tables, indirect and extent-tree
 * blocks); file data is never read. One inode's broken tree stops that inode only. */
#include <stdio.h>
#include <string.h>
#include "fs_ext.h"
#include "io_ext2.h"

struct mctx {
	ext2_filsys fs;
	blk64_t first, end;          /* blocks that exist: [first, end) */
	uint64_t tree, budget;       /* tree blocks (indirect, extent nodes, EA) visited; limit */
	int meta_only;               /* the bad-blocks inode: its data are the bad blocks */
	ext2fs_inode_bitmap scanned; /* inodes the table scan returned */
	unsigned faults;             /* I/O faults seen before the walk */
	char *why;
	size_t whylen;
	int fatal;
};

static void mark(struct mctx *c, blk64_t blk, blk64_t n)
{
	if (blk < c->first) {
		if (n <= c->first - blk)
			return;
		n -= c->first - blk;
		blk = c->first;
	}
	if (blk >= c->end)
		return;
	if (n > c->end - blk)
		n = c->end - blk;
	if (n)
		ext2fs_mark_block_bitmap_range2(c->fs->block_map, blk, n);
}

/* Reading a tree block costs a read: a garbage inode must not make the plan read the disk
 * many times over. A sane filesystem has fewer tree blocks than blocks. */
static int tree_block(struct mctx *c, blk64_t blk)
{
	if (++c->tree > c->budget) {
		if (!c->fatal)
			snprintf(c->why, c->whylen, "its inodes point at more tree blocks than it has "
			         "blocks (corrupt), so no block map can be trusted");
		c->fatal = 1;
		return -1;
	}
	mark(c, blk, 1);
	return 0;
}

static void group_metadata(struct mctx *c)
{
	ext2_filsys fs = c->fs;
	blk64_t old_count;

	/* Descriptor blocks before the first meta group, then the reserved GDT blocks that
	 * follow them: both, even where the features disagree about which there are. */
	if (ext2fs_has_feature_meta_bg(fs->super))
		old_count = fs->super->s_first_meta_bg < fs->desc_blocks ?
		            fs->super->s_first_meta_bg : fs->desc_blocks;
	else
		old_count = fs->desc_blocks;
	old_count += fs->super->s_reserved_gdt_blocks;
	for (dgrp_t g = 0; g < fs->group_desc_count; g++) {
		blk64_t sb = 0, old_desc = 0, new_desc = 0, last = ext2fs_group_last_block2(fs, g);
		ext2fs_super_and_bgd_loc2(fs, g, &sb, &old_desc, &new_desc, NULL);
		if (sb || g == 0)
			mark(c, sb, 1);
		if (old_desc && old_desc <= last)
			mark(c, old_desc, old_count < last - old_desc + 1 ? old_count : last - old_desc + 1);
		if (new_desc)
			mark(c, new_desc, 1);
		mark(c, ext2fs_block_bitmap_loc(fs, g), 1);
		mark(c, ext2fs_inode_bitmap_loc(fs, g), 1);
		if (ext2fs_inode_table_loc(fs, g))
			mark(c, ext2fs_inode_table_loc(fs, g), fs->inode_blocks_per_group);
	}
	if (ext2fs_has_feature_mmp(fs->super))
		mark(c, fs->super->s_mmp_block, 1);
}

static int block_cb(ext2_filsys fs, blk64_t *blocknr, e2_blkcnt_t blockcnt, blk64_t ref,
                    int ref_off, void *priv)
{
	struct mctx *c = priv;
	if (blockcnt < 0)   /* an indirect block: libext2fs reads it next */
		return tree_block(c, *blocknr) ? BLOCK_ABORT : 0;
	if (!c->meta_only)
		mark(c, *blocknr, 1);
	return 0;
}

static void walk_extents(struct mctx *c, ext2_ino_t ino, struct ext2_inode *inode)
{
	ext2_extent_handle_t h;
	struct ext2fs_extent e;
	int op = EXT2_EXTENT_ROOT, errors = 0;

	if (ext2fs_extent_open2(c->fs, ino, inode, &h))
		return;   /* a broken root: nothing of this inode can be found */
	for (;;) {
		errcode_t rc = ext2fs_extent_get(h, op, &e);
		op = EXT2_EXTENT_NEXT;
		if (rc == EXT2_ET_EXTENT_NO_NEXT)
			break;
		/* A child that cannot be read or does not verify is stepped over by the next
		 * EXT2_EXTENT_NEXT (libext2fs has already counted it visited). */
		if (rc) {
			if (rc == EXT2_ET_NO_CURRENT_NODE || ++errors > 64)
				break;
			continue;
		}
		if (e.e_flags & EXT2_EXTENT_FLAGS_LEAF)
			mark(c, e.e_pblk, e.e_len);
		else if (!(e.e_flags & EXT2_EXTENT_FLAGS_SECOND_VISIT) && tree_block(c, e.e_pblk))
			break;
	}
	ext2fs_extent_free(h);
}

static int in_use(struct mctx *c, ext2_ino_t ino, const struct ext2_inode *inode)
{
	return ino < EXT2_FIRST_INODE(c->fs->super) || inode->i_links_count ||
	       ext2fs_test_inode_bitmap2(c->fs->inode_map, ino) ||
	       (inode->i_mode && !inode->i_dtime);
}

static void walk_tree(struct mctx *c, ext2_ino_t ino, struct ext2_inode *inode);

/* A tree block that cannot be read hides the blocks it lists: then no map is complete. */
static void walk_inode(struct mctx *c, ext2_ino_t ino, struct ext2_inode *inode)
{
	uint64_t at;
	errcode_t err;
	walk_tree(c, ino, inode);
	if (!c->fatal && lb_ext2_faults(c->fs, &at, &err) > c->faults) {
		snprintf(c->why, c->whylen, "its inode %u's extent or indirect blocks cannot be read "
		         "(block %llu: %s)",
		         ino, (unsigned long long)(at / c->fs->blocksize), error_message(err));
		c->fatal = 1;
	}
}

static void walk_tree(struct mctx *c, ext2_ino_t ino, struct ext2_inode *inode)
{
	blk64_t acl = ext2fs_file_acl_block(c->fs, inode);
	if (acl && acl >= c->first && acl < c->end && tree_block(c, acl))
		return;
	/* inline data, fast symlinks and devices have no blocks; the bad-blocks inode has no
	 * mode, but its indirect blocks hold the list */
	if (ino != EXT2_BAD_INO && !ext2fs_inode_has_valid_blocks2(c->fs, inode))
		return;
	if (inode->i_flags & EXT4_EXTENTS_FL) {
		walk_extents(c, ino, inode);
		return;
	}
	c->meta_only = ino == EXT2_BAD_INO;
	/* errors end this inode's walk only; what was found until then stays marked */
	ext2fs_block_iterate3(c->fs, ino, BLOCK_FLAG_READ_ONLY, NULL, block_cb, c);
	c->meta_only = 0;
}

/* An inode the table scan did not return (libext2fs skips INODE_UNINIT groups and the
 * bg_itable_unused tail) or one that must be walked whatever its links say. */
static void walk_by_number(struct mctx *c, ext2_ino_t ino, struct ext2_inode *buf, int bufsize,
                           int force)
{
	if (!ino || ino > c->fs->super->s_inodes_count || c->fatal)
		return;
	errcode_t rc = ext2fs_read_inode_full(c->fs, ino, buf, bufsize);
	if (rc) {
		if (lb_ext2_faults(c->fs, &(uint64_t){ 0 }, &(errcode_t){ 0 }) > c->faults) {
			lb_ext_cannot_read(c->fs, "inode table", rc, c->faults, c->why, c->whylen);
			c->fatal = 1;
		}
		return;
	}
	if (ext2fs_test_inode_bitmap2(c->scanned, ino) && in_use(c, ino, buf))
		return;   /* walked already */
	if (force || in_use(c, ino, buf))
		walk_inode(c, ino, buf);
}

static int scan_tables(struct mctx *c, struct ext2_inode *buf, int bufsize)
{
	ext2_inode_scan scan;
	ext2_ino_t ino;
	errcode_t rc = ext2fs_open_inode_scan(c->fs, 32, &scan);
	if (rc) {
		snprintf(c->why, c->whylen, "its inode tables cannot be scanned (%s)", error_message(rc));
		return -1;
	}
	while (!c->fatal) {
		rc = ext2fs_get_next_inode_full(scan, &ino, buf, bufsize);
		if (rc == EXT2_ET_BAD_BLOCK_IN_INODE_TABLE || rc == EXT2_ET_INODE_CSUM_INVALID ||
		    rc == EXT2_ET_INODE_IS_GARBAGE)
			rc = 0;
		if (rc) {
			lb_ext_cannot_read(c->fs, "inode table", rc, c->faults, c->why, c->whylen);
			c->fatal = 1;
			break;
		}
		if (!ino)
			break;
		ext2fs_mark_inode_bitmap2(c->scanned, ino);
		if (in_use(c, ino, buf))
			walk_inode(c, ino, buf);
	}
	ext2fs_close_inode_scan(scan);
	return c->fatal ? -1 : 0;
}

/* Inodes the scan left out but something says are in use: the inode bitmap, a group marked
 * INODE_UNINIT whose bg_itable_unused says otherwise, the superblock's special inodes and the
 * orphan list. */
static void unscanned(struct mctx *c, struct ext2_inode *buf, int bufsize)
{
	ext2_filsys fs = c->fs;
	struct ext2_super_block *s = fs->super;
	ext2_ino_t ino = 1, run_end, count = s->s_inodes_count;
	unsigned ipg = s->s_inodes_per_group;

	while (!c->fatal && ino <= count &&
	       !ext2fs_find_first_set_inode_bitmap2(fs->inode_map, ino, count, &ino)) {
		if (ext2fs_find_first_zero_inode_bitmap2(fs->inode_map, ino, count, &run_end))
			run_end = count + 1;
		while (ino < run_end &&
		       !ext2fs_find_first_zero_inode_bitmap2(c->scanned, ino, run_end - 1, &ino)) {
			walk_by_number(c, ino, buf, bufsize, 0);
			ino++;
		}
		ino = run_end;
	}
	if (ext2fs_has_group_desc_csum(fs))
		for (dgrp_t g = 0; !c->fatal && g < fs->group_desc_count; g++) {
			unsigned unused = ext2fs_bg_itable_unused(fs, g);
			if (!ext2fs_bg_flags_test(fs, g, EXT2_BG_INODE_UNINIT) || unused >= ipg)
				continue;
			for (unsigned i = 0; i < ipg - unused; i++)
				if (!ext2fs_test_inode_bitmap2(c->scanned, g * ipg + i + 1))
					walk_by_number(c, g * ipg + i + 1, buf, bufsize, 0);
		}
	if (ext2fs_has_feature_journal(s) && !ext2fs_has_feature_journal_dev(s))
		walk_by_number(c, s->s_journal_inum, buf, bufsize, 1);
	walk_by_number(c, EXT2_RESIZE_INO, buf, bufsize, 1);
	walk_by_number(c, s->s_usr_quota_inum, buf, bufsize, 1);
	walk_by_number(c, s->s_grp_quota_inum, buf, bufsize, 1);
	walk_by_number(c, s->s_prj_quota_inum, buf, bufsize, 1);
	walk_by_number(c, s->s_orphan_file_inum, buf, bufsize, 1);
	walk_by_number(c, s->s_snapshot_inum, buf, bufsize, 1);
	/* orphans: deleted while open, their blocks freed only at the next mount or fsck */
	ino = s->s_last_orphan;
	for (unsigned n = 0; ino && ino <= count && n < 65536 && !c->fatal; n++) {
		walk_by_number(c, ino, buf, bufsize, 1);
		if (ext2fs_read_inode_full(fs, ino, buf, bufsize))
			break;
		ino = buf->i_dtime;
	}
}

void lb_ext_cannot_read(ext2_filsys fs, const char *what, errcode_t rc, unsigned faults_before,
                        char *why, size_t whylen)
{
	uint64_t at = 0;
	errcode_t io = 0;
	if (lb_ext2_faults(fs, &at, &io) > faults_before)
		snprintf(why, whylen, "its %s cannot be read (block %llu: %s)", what,
		         (unsigned long long)(at / fs->blocksize), error_message(io));
	else
		snprintf(why, whylen, "its %s cannot be read (%s)", what, error_message(rc));
}

int lb_ext_map_referenced(ext2_filsys fs, char *why, size_t whylen)
{
	struct mctx c = { 0 };
	struct ext2_inode *buf = NULL;
	int bufsize = EXT2_INODE_SIZE(fs->super), ret = -1;
	errcode_t rc;

	if (bufsize < (int)sizeof(struct ext2_inode_large))
		bufsize = sizeof(struct ext2_inode_large);
	c.fs = fs;
	c.first = fs->super->s_first_data_block;
	c.end = ext2fs_blocks_count(fs->super);
	c.budget = c.end + 65536;
	c.why = why;
	c.whylen = whylen;
	c.faults = lb_ext2_faults(fs, &(uint64_t){ 0 }, &(errcode_t){ 0 });
	rc = ext2fs_allocate_inode_bitmap(fs, "scanned inodes", &c.scanned);
	if (!rc)
		rc = ext2fs_get_mem(bufsize, &buf);
	if (rc) {
		snprintf(why, whylen, "out of memory walking its inodes (%s)", error_message(rc));
		goto out;
	}
	group_metadata(&c);
	if (scan_tables(&c, buf, bufsize))
		goto out;
	unscanned(&c, buf, bufsize);
	ret = c.fatal ? -1 : 0;
out:
	ext2fs_free_mem(&buf);
	if (c.scanned)
		ext2fs_free_inode_bitmap(c.scanned);
	return ret;
}
