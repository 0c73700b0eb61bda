/* Which files and metadata of an ext filesystem sit on unreadable sectors: the block map of
 * every inode is walked (libext2fs), then directories are scanned for the names of the inodes
 * hit (as debugfs' icheck + ncheck do). Runs only when a backup met unreadable sectors. */
#include <sys/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fs_ext.h"
#include "io_ext2.h"

#define MAX_HITS 10000

struct dctx {
	blk64_t (*bad)[2];           /* block ranges [first, last] */
	size_t nbad;
	ext2_ino_t *hits;
	size_t nhits;
	int hit;
	char **text;
	ext2_filsys fs;
};

static int block_bad(const struct dctx *c, blk64_t b)
{
	size_t lo = 0, hi = c->nbad;
	while (lo < hi) {
		size_t m = (lo + hi) / 2;
		if (b < c->bad[m][0])
			hi = m;
		else if (b > c->bad[m][1])
			lo = m + 1;
		else
			return 1;
	}
	return 0;
}

static int range_bad(const struct dctx *c, blk64_t first, blk64_t n)
{
	for (size_t i = 0; i < c->nbad; i++)
		if (c->bad[i][0] < first + n && c->bad[i][1] >= first)
			return 1;
	return 0;
}

static int block_cb(ext2_filsys fs, blk64_t *blocknr, e2_blkcnt_t blockcnt, blk64_t ref,
                    int ref_off, void *priv)
{
	struct dctx *c = priv;
	if (block_bad(c, *blocknr)) {
		c->hit = 1;
		return BLOCK_ABORT;
	}
	return 0;
}

static int is_hit(const struct dctx *c, ext2_ino_t ino)
{
	for (size_t i = 0; i < c->nhits; i++)
		if (c->hits[i] == ino)
			return 1;
	return 0;
}

static int dir_cb(ext2_ino_t dir, int entry, struct ext2_dir_entry *de, int offset, int blocksize,
                  char *buf, void *priv)
{
	struct dctx *c = priv;
	int len = ext2fs_dirent_name_len(de);
	char *dpath = NULL;
	if (!de->inode || (len == 1 && de->name[0] == '.') ||
	    (len == 2 && de->name[0] == '.' && de->name[1] == '.') || !is_hit(c, de->inode))
		return 0;
	if (ext2fs_get_pathname(c->fs, dir, 0, &dpath) == 0) {
		lb_text_add(c->text, "  file: %s%s%.*s", dpath, strcmp(dpath, "/") ? "/" : "", len, de->name);
		ext2fs_free_mem(&dpath);
	}
	return 0;
}

static void metadata(struct dctx *c)
{
	ext2_filsys fs = c->fs;
	for (dgrp_t g = 0; g < fs->group_desc_count; g++) {
		blk64_t sb = 0, old_desc = 0, new_desc = 0;
		blk_t used = 0;
		ext2fs_super_and_bgd_loc2(fs, g, &sb, &old_desc, &new_desc, &used);
		if ((sb || g == 0) && range_bad(c, sb, 1))
			lb_text_add(c->text, "  metadata: superblock copy of group %u", g);
		if (old_desc && range_bad(c, old_desc, fs->desc_blocks))
			lb_text_add(c->text, "  metadata: group descriptors (copy in group %u)", g);
		if (range_bad(c, ext2fs_block_bitmap_loc(fs, g), 1))
			lb_text_add(c->text, "  metadata: block bitmap of group %u", g);
		if (range_bad(c, ext2fs_inode_bitmap_loc(fs, g), 1))
			lb_text_add(c->text, "  metadata: inode bitmap of group %u", g);
		if (range_bad(c, ext2fs_inode_table_loc(fs, g), fs->inode_blocks_per_group))
			lb_text_add(c->text, "  metadata: inode table of group %u (inodes %u-%u)", g,
			            g * fs->super->s_inodes_per_group + 1,
			            (g + 1) * fs->super->s_inodes_per_group);
	}
}

/* The next inode of the scan; past an unreadable piece of an inode table (which metadata()
 * has named) it goes on with the next group. 0 and *ino = 0 at the end. */
static errcode_t next_inode(struct dctx *c, ext2_inode_scan scan, ext2_ino_t *ino,
                            struct ext2_inode *inode)
{
	for (;;) {
		errcode_t rc = ext2fs_get_next_inode(scan, ino, inode);
		uint64_t at;
		errcode_t err;
		dgrp_t g;
		if (rc == EXT2_ET_BAD_BLOCK_IN_INODE_TABLE)
			continue;
		if (rc != EXT2_ET_NEXT_INODE_READ || !lb_ext2_faults(c->fs, &at, &err))
			return rc;
		at /= c->fs->blocksize;
		for (g = 0; g < c->fs->group_desc_count; g++)
			if (at >= ext2fs_inode_table_loc(c->fs, g) &&
			    at < ext2fs_inode_table_loc(c->fs, g) + c->fs->inode_blocks_per_group)
				break;
		if (g >= c->fs->group_desc_count)
			return rc;
		if (g + 1 == c->fs->group_desc_count) {
			*ino = 0;
			return 0;
		}
		if ((rc = ext2fs_inode_scan_goto_blockgroup(scan, g + 1)))
			return rc;
	}
}

void lb_ext_damage(struct lb_dev *d, uint64_t off, uint64_t size, const struct lb_extents *bad,
                       char **text)
{
	struct dctx c = { 0 };
	struct lb_jbd2_view *view = NULL;   /* a crashed filesystem: names as after its replay */
	ext2_inode_scan scan = NULL;
	struct ext2_inode inode;
	ext2_ino_t ino;
	uint64_t bs;

	if (lb_ext_open_replayed(d, off, size, EXT2_FLAG_64BITS | EXT2_FLAG_SKIP_MMP, &c.fs, &view))
		return;
	c.fs->flags |= EXT2_FLAG_IGNORE_CSUM_ERRORS;   /* name what it can, checksums or not */
	bs = c.fs->blocksize;
	c.text = text;
	c.bad = malloc((bad->n + 1) * sizeof *c.bad);
	c.hits = malloc(MAX_HITS * sizeof *c.hits);
	if (!c.bad || !c.hits)
		goto out;
	for (size_t i = 0; i < bad->n; i++) {
		uint64_t s = bad->v[i].off, e = s + bad->v[i].len;
		if (e <= off || s >= off + size)
			continue;
		if (s < off)
			s = off;
		if (e > off + size)
			e = off + size;
		c.bad[c.nbad][0] = (s - off) / bs;
		c.bad[c.nbad++][1] = (e - 1 - off) / bs;
	}
	if (!c.nbad)
		goto out;
	metadata(&c);
	if (ext2fs_open_inode_scan(c.fs, 0, &scan))
		goto out;
	for (;;) {
		errcode_t rc = next_inode(&c, scan, &ino, &inode);
		blk64_t acl;
		if (rc) {
			lb_text_add(text, "  (the inode table could not be read past inode %u)", ino);
			break;
		}
		if (!ino)
			break;
		if (!inode.i_links_count)
			continue;
		acl = ext2fs_file_acl_block(c.fs, &inode);
		c.hit = acl && block_bad(&c, acl);   /* its extended attributes */
		if (!c.hit && ext2fs_inode_has_valid_blocks2(c.fs, &inode))
			ext2fs_block_iterate3(c.fs, ino, BLOCK_FLAG_READ_ONLY, NULL, block_cb, &c);
		if (!c.hit)
			continue;
		if (ino < EXT2_FIRST_INODE(c.fs->super))
			lb_text_add(text, "  metadata: %s (inode %u)", ino == EXT2_JOURNAL_INO ? "the journal" :
			            ino == EXT2_ROOT_INO ? "the root directory" : "a reserved inode", ino);
		if (c.nhits < MAX_HITS)
			c.hits[c.nhits++] = ino;
	}
	ext2fs_close_inode_scan(scan);
	if (!c.nhits || ext2fs_open_inode_scan(c.fs, 0, &scan))
		goto out;
	/* names: every directory entry that points at a damaged inode */
	while (next_inode(&c, scan, &ino, &inode) == 0 && ino)
		if (inode.i_links_count && LINUX_S_ISDIR(inode.i_mode))
			ext2fs_dir_iterate2(c.fs, ino, 0, NULL, dir_cb, &c);
	ext2fs_close_inode_scan(scan);
out:
	free(c.bad);
	free(c.hits);
	ext2fs_close_free(&c.fs);
	lb_jbd2_view_free(view);
}
