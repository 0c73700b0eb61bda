/* An ext filesystem whose journal needs recovery (the state a crash or a power cut leaves):
 * its internal journal is found through the journal inode, replayed in memory (jbd2.c) and
 * turned into a view of the device (jbd2_overlay.c) that lb_ext2_open_view reads through.
 * Nothing is written to the source; the image keeps the journal as it is, so the restored
 * filesystem replays it itself on its first mount or e2fsck. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fs_ext.h"
#include "io_ext2.h"

struct jsrc {
	struct lb_dev *d;
	uint64_t off, fs_blocks;
	uint32_t bs;
	struct lb_jbd2_run *runs;   /* the journal inode's blocks, in logical order */
	size_t n, cap;
	uint32_t nblocks;
	int bad;                    /* the inode points outside the filesystem */
};

static int add_run(struct jsrc *s, uint32_t lblk, uint64_t pblk)
{
	struct lb_jbd2_run *r = s->n ? &s->runs[s->n - 1] : NULL;
	if (r && r->lblk + r->len == lblk && r->pblk + r->len == pblk && r->len < UINT32_MAX) {
		r->len++;
		return 0;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct lb_jbd2_run *n = realloc(s->runs, cap * sizeof *n);
		if (!n)
			return -1;
		s->runs = n;
		s->cap = cap;
	}
	s->runs[s->n].lblk = lblk;
	s->runs[s->n].pblk = pblk;
	s->runs[s->n].len = 1;
	s->n++;
	return 0;
}

static int journal_block(ext2_filsys fs, blk64_t *blocknr, e2_blkcnt_t blockcnt, blk64_t ref_blk,
                         int ref_offset, void *priv)
{
	struct jsrc *s = priv;
	if (blockcnt < 0 || (uint64_t)blockcnt >= s->nblocks)
		return 0;
	if (*blocknr >= s->fs_blocks || !*blocknr) {
		s->bad = 1;
		return BLOCK_ABORT;
	}
	return add_run(s, (uint32_t)blockcnt, *blocknr) ? BLOCK_ABORT : 0;
}

static int read_journal(void *ctx, uint32_t n, void *buf)
{
	const struct jsrc *s = ctx;
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->runs[mid].lblk + (uint64_t)s->runs[mid].len <= n)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == s->n || s->runs[lo].lblk > n)
		return -ENODATA;   /* a hole in the journal inode */
	return lb_dev_pread(s->d, buf, s->bs,
	                    s->off + (s->runs[lo].pblk + (n - s->runs[lo].lblk)) * s->bs);
}

int lb_ext_journal_view(struct lb_dev *d, uint64_t off, uint64_t size, ext2_filsys fs,
                        struct lb_jbd2_view **view, char *note, size_t notelen, char *why,
                        size_t whylen)
{
	struct ext2_super_block *sb = fs->super;
	struct jsrc s = { .d = d, .off = off, .bs = fs->blocksize,
	                  .fs_blocks = ext2fs_blocks_count(fs->super) };
	struct lb_jbd2_src src = { read_journal, &s, 0, fs->blocksize, s.fs_blocks };
	struct lb_jbd2 j = { 0 };
	struct ext2_inode inode;
	char detail[160];
	uint64_t isize;
	size_t distinct;
	errcode_t rc;
	int r, ret = -1;
	static const uint8_t zero_uuid[16];

	*view = NULL;
	if (!ext2fs_has_feature_journal(sb)) {
		snprintf(why, whylen, "it is marked as needing journal recovery but has no journal");
		return -1;
	}
	if (!sb->s_journal_inum || sb->s_journal_dev || memcmp(sb->s_journal_uuid, zero_uuid, 16)) {
		snprintf(why, whylen, "its journal needs recovery and is on an external journal device, "
		         "copied raw");
		return -1;
	}
	if ((rc = ext2fs_read_inode(fs, sb->s_journal_inum, &inode))) {
		snprintf(why, whylen, "its journal needs recovery and its journal inode %u cannot be "
		         "read (%s)", sb->s_journal_inum, error_message(rc));
		return -1;
	}
	isize = EXT2_I_SIZE(&inode) / fs->blocksize;
	s.nblocks = src.nblocks = isize > UINT32_MAX ? UINT32_MAX : (uint32_t)isize;
	rc = ext2fs_block_iterate3(fs, sb->s_journal_inum, BLOCK_FLAG_READ_ONLY | BLOCK_FLAG_DATA_ONLY,
	                           NULL, journal_block, &s);
	if (rc || s.bad) {
		snprintf(why, whylen, "its journal needs recovery and the journal inode's blocks cannot "
		         "be listed (%s)", s.bad ? "it points outside the filesystem" : error_message(rc));
		goto out;
	}
	if (lb_jbd2_replay(&src, &j, detail, sizeof detail)) {
		snprintf(why, whylen, "its journal needs recovery but cannot be replayed: %s", detail);
		goto out;
	}
	if (j.journal_errno) {
		snprintf(why, whylen, "its journal records an error (%d): e2fsck would mark the "
		         "filesystem as having errors", (int)j.journal_errno);
		goto out;
	}
	distinct = j.n;
	if ((r = lb_jbd2_view_new(d, off, size, fs->blocksize, &j, s.runs, s.n, view))) {
		snprintf(why, whylen, "its journal needs recovery and its replayed view cannot be "
		         "built (%s)", strerror(-r));
		goto out;
	}
	if (j.empty)
		snprintf(note, notelen, "journal marked for recovery holds no transactions (%s)",
		         j.format);
	else
		/* short: the plan's reason may add the slack after the filesystem's end */
		snprintf(note, notelen, "journal replayed in memory: %u transaction%s, %llu block%s; "
		         "image keeps it unreplayed", j.ntrans, j.ntrans == 1 ? "" : "s",
		         (unsigned long long)distinct, distinct == 1 ? "" : "s");
	ret = 0;
out:
	lb_jbd2_free(&j);
	free(s.runs);
	return ret;
}

struct addctx { struct lb_extents *out; uint64_t off, bs, nblocks; };

static int add_blocks(void *ctx, uint64_t blk, uint64_t count)
{
	struct addctx *a = ctx;
	if (blk >= a->nblocks)
		return 0;
	if (count > a->nblocks - blk)
		count = a->nblocks - blk;
	return lb_ext_add(a->out, a->off + blk * a->bs, count * a->bs) < 0 ? -1 : 0;
}

int lb_ext_journal_add(const struct lb_jbd2_view *view, ext2_filsys fs, uint64_t off,
                       struct lb_extents *out)
{
	struct addctx a = { out, off, fs->blocksize, ext2fs_blocks_count(fs->super) };
	return lb_jbd2_view_each_block(view, add_blocks, &a);
}

errcode_t lb_ext_open_replayed(struct lb_dev *d, uint64_t off, uint64_t size, int flags,
                               ext2_filsys *fs, struct lb_jbd2_view **view)
{
	char note[160], why[160];
	ext2_filsys vfs = NULL;
	errcode_t rc = lb_ext2_open(d, off, size, flags, fs);

	*view = NULL;
	if (rc || !ext2fs_has_feature_journal_needs_recovery((*fs)->super))
		return rc;
	if (lb_ext_journal_view(d, off, size, *fs, view, note, sizeof note, why, sizeof why))
		return 0;   /* the device as it is: better than nothing */
	if (lb_ext2_open_view(d, off, size, flags, *view, &vfs)) {
		lb_jbd2_view_free(*view);
		*view = NULL;
		return 0;
	}
	ext2fs_close_free(fs);
	*fs = vfs;
	return 0;
}
