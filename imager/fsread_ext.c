/* ext2/3/4 files through libext2fs, read-only over the engine's device (io_ext2.c). A
 * filesystem whose journal needs recovery is read as e2fsck's recovery would leave it: the
 * journal is replayed in memory (fs_ext_journal.c), nothing written; when it cannot be
 * replayed the filesystem is read as it lies, and the note says so. Checksums are checked:
 * an inode or directory block that fails its checksum is an error naming it, never data. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "err.h"
#include "fs_ext.h"
#include "fsread.h"
#include "io_ext2.h"

struct extfs {
	ext2_filsys fs;
	struct lb_jbd2_view *view;
	ext2_file_t file;            /* the last file read, kept open */
	ext2_ino_t file_ino;
	uint64_t *runs;              /* the last file mapped: its data as (first block, count) */
	size_t nruns, cap;
	ext2_ino_t map_ino;
	char note[160];
};

static const char *msg(errcode_t rc)
{
	return error_message(rc);
}

static int ext_open(struct lb_dev *d, uint64_t off, uint64_t size, void **out,
                    struct lb_err *err)
{
	struct extfs *x = calloc(1, sizeof *x);
	errcode_t rc;
	if (!x)
		return lb_fail(err, LB_ENOMEM, "out of memory");
	rc = lb_ext_open_replayed(d, off, size, EXT2_FLAG_64BITS | EXT2_FLAG_SKIP_MMP, &x->fs,
	                          &x->view);
	if (rc) {
		free(x);
		return lb_fail(err, rc == EXT2_ET_UNSUPP_FEATURE || rc == EXT2_ET_RO_UNSUPP_FEATURE ?
		               LB_EUNSUPPORTED : LB_EDAMAGED, "the ext filesystem cannot be opened: %s",
		               msg(rc));
	}
	if (x->view)
		snprintf(x->note, sizeof x->note, "its journal needed recovery: replayed in memory, "
		         "files are read as after that recovery (nothing written)");
	else if (ext2fs_has_feature_journal_needs_recovery(x->fs->super))
		snprintf(x->note, sizeof x->note, "its journal needs recovery and cannot be replayed: "
		         "files are read as they lie, recent changes may be missing or inconsistent");
	*out = x;
	return 0;
}

static void close_file(struct extfs *x)
{
	if (x->file)
		ext2fs_file_close(x->file);
	x->file = NULL;
	x->file_ino = 0;
}

static void ext_close(void *fs)
{
	struct extfs *x = fs;
	close_file(x);
	free(x->runs);
	ext2fs_close_free(&x->fs);
	lb_jbd2_view_free(x->view);
	free(x);
}

static uint64_t ext_root(void *fs)
{
	return EXT2_ROOT_INO;
}

static int check_ino(struct extfs *x, uint64_t id, struct lb_err *err)
{
	if (id < 1 || id > x->fs->super->s_inodes_count)
		return lb_fail(err, LB_EDAMAGED, "inode %llu is outside the filesystem (%u inodes)",
		               (unsigned long long)id, x->fs->super->s_inodes_count);
	return 0;
}

/* fscrypt: names and contents are ciphertext without the user's key; never given as data */
static int not_encrypted(struct extfs *x, uint64_t id, const char *what, struct lb_err *err)
{
	struct ext2_inode in;
	errcode_t rc = ext2fs_read_inode(x->fs, (ext2_ino_t)id, &in);
	if (rc)
		return lb_fail(err, LB_EDAMAGED, "inode %llu cannot be read: %s",
		               (unsigned long long)id, msg(rc));
	if (in.i_flags & EXT4_ENCRYPT_FL)
		return lb_fail(err, LB_EUNSUPPORTED, "%s (inode %llu) is encrypted (ext4 fscrypt): "
		               "Lifeboat cannot decrypt it", what, (unsigned long long)id);
	return 0;
}

/* seconds and nanoseconds of an ext4 time: 32 signed bits, and in large inodes 2 epoch bits
 * above them and the nanoseconds */
static void ext_time(uint32_t lo, const uint32_t *extra, int64_t *s, uint32_t *ns)
{
	*s = (int32_t)lo;
	*ns = 0;
	if (extra) {
		*s += (int64_t)(*extra & EXT4_EPOCH_MASK) << 32;
		*ns = *extra >> EXT4_EPOCH_BITS;
		if (*ns > 999999999)
			*ns = 0;
	}
}

static int ext_stat(void *fs, uint64_t id, struct lb_fsr_stat *st, struct lb_err *err)
{
	struct extfs *x = fs;
	struct ext2_inode_large in;
	unsigned isz = EXT2_INODE_SIZE(x->fs->super), have = EXT2_GOOD_OLD_INODE_SIZE;
	errcode_t rc;
	int rc2;
	if ((rc2 = check_ino(x, id, err)))
		return rc2;
	memset(&in, 0, sizeof in);
	rc = ext2fs_read_inode_full(x->fs, (ext2_ino_t)id, (struct ext2_inode *)&in,
	                            isz < sizeof in ? isz : sizeof in);
	if (rc)
		return lb_fail(err, rc == EXT2_ET_SHORT_READ || rc == EIO ? LB_EIO : LB_EDAMAGED,
		               "inode %llu cannot be read: %s", (unsigned long long)id, msg(rc));
	if (isz > EXT2_GOOD_OLD_INODE_SIZE)
		have += in.i_extra_isize;
	memset(st, 0, sizeof *st);
	st->id = id;
	st->mode = in.i_mode;   /* ext's mode bits are Linux's */
	switch (st->mode & S_IFMT) {
	case S_IFREG: case S_IFDIR: case S_IFLNK: case S_IFCHR: case S_IFBLK: case S_IFIFO:
	case S_IFSOCK:
		break;
	default:
		return lb_fail(err, LB_EDAMAGED, "inode %llu has no file type (mode %06o): not a file "
		               "in use", (unsigned long long)id, st->mode);
	}
	st->nlink = in.i_links_count ? in.i_links_count : 1;   /* dir_nlink: 1 = many */
	st->uid = inode_uid(in);
	st->gid = inode_gid(in);
	st->size = EXT2_I_SIZE(&in);
	ext_time(in.i_atime, inode_includes(have, i_atime_extra) ? &in.i_atime_extra : NULL,
	         &st->atime, &st->atime_ns);
	ext_time(in.i_mtime, inode_includes(have, i_mtime_extra) ? &in.i_mtime_extra : NULL,
	         &st->mtime, &st->mtime_ns);
	ext_time(in.i_ctime, inode_includes(have, i_ctime_extra) ? &in.i_ctime_extra : NULL,
	         &st->ctime, &st->ctime_ns);
	if (S_ISCHR(st->mode) || S_ISBLK(st->mode)) {
		/* as the kernel: the old 8:8 encoding in block 0, else the new one in block 1 */
		uint32_t v = in.i_block[0];
		if (v)
			st->rdev = makedev((v >> 8) & 0xff, v & 0xff);
		else {
			v = in.i_block[1];
			st->rdev = makedev((v & 0xfff00) >> 8, (v & 0xff) | ((v >> 12) & 0xfff00));
		}
	}
	return 0;
}

struct dirctx {
	struct extfs *x;
	int (*fn)(void *ctx, const char *name, size_t name_len, const struct lb_fsr_stat *st);
	void *ctx;
	int rc;
};

static int dir_cb(ext2_ino_t dir, int entry, struct ext2_dir_entry *de, int offset, int blocksize, char *buf, void *priv)
{
	struct dirctx *c = priv;
	struct lb_fsr_stat st;
	struct lb_err e = { 0 };
	int len = ext2fs_dirent_name_len(de);
	if (!de->inode || (len == 1 && de->name[0] == '.') ||
	    (len == 2 && de->name[0] == '.' && de->name[1] == '.'))
		return 0;
	if (ext_stat(c->x, de->inode, &st, &e)) {
		memset(&st, 0, sizeof st);   /* its stat names why */
		st.id = de->inode;
	}
	if ((c->rc = c->fn(c->ctx, de->name, (size_t)len, &st)))
		return DIRENT_ABORT;
	return 0;
}

static int ext_readdir(void *fs, uint64_t id,
                       int (*fn)(void *ctx, const char *name, size_t name_len,
                                 const struct lb_fsr_stat *st),
                       void *ctx, struct lb_err *err)
{
	struct extfs *x = fs;
	struct dirctx c = { x, fn, ctx, 0 };
	errcode_t rc;
	int r;
	if ((r = check_ino(x, id, err)) || (r = not_encrypted(x, id, "the directory", err)))
		return r;
	rc = ext2fs_dir_iterate2(x->fs, (ext2_ino_t)id, 0, NULL, dir_cb, &c);
	if (c.rc)
		return c.rc;
	if (rc)
		return lb_fail(err, rc == EXT2_ET_SHORT_READ || rc == EIO ? LB_EIO : LB_EDAMAGED,
		               "directory (inode %llu) cannot be read: %s", (unsigned long long)id,
		               msg(rc));
	return 0;
}

static int open_file(struct extfs *x, uint64_t id, struct lb_err *err)
{
	errcode_t rc;
	int r;
	if (x->file && x->file_ino == id)
		return 0;
	close_file(x);
	if ((r = check_ino(x, id, err)) || (r = not_encrypted(x, id, "the file", err)))
		return r;
	if ((rc = ext2fs_file_open(x->fs, (ext2_ino_t)id, 0, &x->file))) {
		x->file = NULL;
		return lb_fail(err, LB_EDAMAGED, "inode %llu cannot be opened: %s",
		               (unsigned long long)id, msg(rc));
	}
	x->file_ino = (ext2_ino_t)id;
	return 0;
}

static int ext_pread(void *fs, uint64_t id, void *buf, size_t len, uint64_t off,
                     struct lb_err *err)
{
	struct extfs *x = fs;
	char *p = buf;
	errcode_t rc;
	int r;
	if ((r = open_file(x, id, err)))
		return r;
	if ((rc = ext2fs_file_llseek(x->file, off, EXT2_SEEK_SET, NULL)))
		return lb_fail(err, LB_EDAMAGED, "inode %llu: cannot seek to byte %llu: %s",
		               (unsigned long long)id, (unsigned long long)off, msg(rc));
	while (len) {
		unsigned want = len > (1u << 30) ? 1u << 30 : (unsigned)len, got = 0;
		if ((rc = ext2fs_file_read(x->file, p, want, &got))) {
			uint64_t at = off + (uint64_t)(p - (char *)buf);
			close_file(x);   /* its buffer may hold the failed block */
			return lb_fail(err, rc == EXT2_ET_SHORT_READ || rc == EIO ? LB_EIO : LB_EDAMAGED,
			               "inode %llu: reading at byte %llu failed: %s",
			               (unsigned long long)id, (unsigned long long)at, msg(rc));
		}
		if (!got)
			return lb_fail(err, LB_EDAMAGED, "inode %llu ends before its size says",
			               (unsigned long long)id);
		p += got;
		len -= got;
	}
	return 0;
}

static int add_run(struct extfs *x, uint64_t blk)
{
	if (x->nruns && x->runs[2 * x->nruns - 2] + x->runs[2 * x->nruns - 1] == blk) {
		x->runs[2 * x->nruns - 1]++;
		return 0;
	}
	if (x->nruns == x->cap) {
		size_t n = x->cap ? 2 * x->cap : 64;
		uint64_t *r = realloc(x->runs, n * 2 * sizeof *r);
		if (!r)
			return -1;
		x->runs = r;
		x->cap = n;
	}
	x->runs[2 * x->nruns] = blk;
	x->runs[2 * x->nruns + 1] = 1;
	x->nruns++;
	return 0;
}

static int map_cb(ext2_filsys fs, blk64_t *blocknr, e2_blkcnt_t blockcnt, blk64_t ref_blk,
                  int ref_offset, void *priv)
{
	struct extfs *x = priv;
	if (blockcnt < 0 || !*blocknr)
		return 0;
	/* blocks come in logical order from both indirect maps and extent trees */
	if (x->nruns && (uint64_t)blockcnt < x->runs[2 * x->nruns - 2] + x->runs[2 * x->nruns - 1])
		return 0;
	return add_run(x, (uint64_t)blockcnt) ? BLOCK_ABORT : 0;
}

static int ext_map(void *fs, uint64_t id, uint64_t off, int *data, uint64_t *run,
                   struct lb_err *err)
{
	struct extfs *x = fs;
	struct ext2_inode in;
	uint64_t bs = x->fs->blocksize, size, blk, lo = 0, hi;
	errcode_t rc;
	int r;
	if ((r = check_ino(x, id, err)))
		return r;
	if ((rc = ext2fs_read_inode(x->fs, (ext2_ino_t)id, &in)))
		return lb_fail(err, LB_EDAMAGED, "inode %llu cannot be read: %s",
		               (unsigned long long)id, msg(rc));
	size = EXT2_I_SIZE(&in);
	if (off >= size)
		return lb_fail(err, LB_EUSAGE, "inode %llu: no data past its end",
		               (unsigned long long)id);
	if ((in.i_flags & EXT4_INLINE_DATA_FL) || !ext2fs_inode_has_valid_blocks2(x->fs, &in)) {
		*data = 1;   /* in the inode itself */
		*run = size - off;
		return 0;
	}
	if (x->map_ino != id) {
		x->nruns = 0;
		x->map_ino = 0;
		rc = ext2fs_block_iterate3(x->fs, (ext2_ino_t)id,
		                           BLOCK_FLAG_READ_ONLY | BLOCK_FLAG_DATA_ONLY, NULL, map_cb, x);
		if (rc) {
			x->nruns = 0;
			return lb_fail(err, rc == EXT2_ET_SHORT_READ || rc == EIO ? LB_EIO : LB_EDAMAGED,
			               "inode %llu: its block map cannot be read: %s",
			               (unsigned long long)id, msg(rc));
		}
		x->map_ino = (ext2_ino_t)id;
	}
	/* the first run ending after blk */
	blk = off / bs;
	hi = x->nruns;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (x->runs[2 * mid] + x->runs[2 * mid + 1] <= blk)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < x->nruns && x->runs[2 * lo] <= blk) {
		*data = 1;
		*run = (x->runs[2 * lo] + x->runs[2 * lo + 1]) * bs - off;
	} else {
		*data = 0;
		*run = lo < x->nruns ? x->runs[2 * lo] * bs - off : size - off;
	}
	if (*run > size - off)
		*run = size - off;
	return 0;
}

static int ext_readlink(void *fs, uint64_t id, char *buf, size_t cap, struct lb_err *err)
{
	struct extfs *x = fs;
	struct ext2_inode in;
	uint64_t size;
	errcode_t rc;
	int r;
	if ((r = check_ino(x, id, err)))
		return r;
	if ((rc = ext2fs_read_inode(x->fs, (ext2_ino_t)id, &in)))
		return lb_fail(err, LB_EDAMAGED, "inode %llu cannot be read: %s",
		               (unsigned long long)id, msg(rc));
	if (in.i_flags & EXT4_ENCRYPT_FL)
		return lb_fail(err, LB_EUNSUPPORTED, "symbolic link (inode %llu) is encrypted (ext4 "
		               "fscrypt): Lifeboat cannot decrypt it", (unsigned long long)id);
	if (!LINUX_S_ISLNK(in.i_mode))
		return lb_fail(err, LB_EUSAGE, "inode %llu is not a symbolic link",
		               (unsigned long long)id);
	size = EXT2_I_SIZE(&in);
	if (size + 1 > cap)
		return lb_fail(err, LB_EUNSUPPORTED, "symbolic link (inode %llu): its target is %llu "
		               "bytes long", (unsigned long long)id, (unsigned long long)size);
	if (ext2fs_is_fast_symlink(&in)) {
		/* the target sits in the inode's block pointers */
		if (size > sizeof in.i_block)
			return lb_fail(err, LB_EDAMAGED, "symbolic link (inode %llu) is damaged",
			               (unsigned long long)id);
		memcpy(buf, in.i_block, (size_t)size);
	} else if ((r = ext_pread(x, id, buf, (size_t)size, 0, err))) {
		return r;
	}
	buf[size] = 0;
	if (strlen(buf) != size)
		return lb_fail(err, LB_EDAMAGED, "symbolic link (inode %llu): its target holds a NUL "
		               "byte", (unsigned long long)id);
	return 0;
}

static const char *ext_note(void *fs)
{
	struct extfs *x = fs;
	return x->note[0] ? x->note : NULL;
}

const struct lb_fsr_ops lb_fsr_ext = {
	.name = "ext",
	.open = ext_open,
	.close = ext_close,
	.root = ext_root,
	.stat = ext_stat,
	.readdir = ext_readdir,
	.pread = ext_pread,
	.map = ext_map,
	.readlink = ext_readlink,
	.note = ext_note,
};
