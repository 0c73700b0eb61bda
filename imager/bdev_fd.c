/* Block I/O on block devices and disk-image files, through a file descriptor. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "blockdev.h"
#include "err.h"

/* A second descriptor on the same device or file, opened with O_DIRECT (same access mode,
 * never writable for a source) at open, when the kernel allows it there (tmpfs, for one, does
 * not). Two uses:
 * - bulk transfers (whole chunks: backup's source reads, restore's writes and read-back) go
 *   past the page cache when they are large and aligned: no copy into the cache, no cache
 *   filled with a whole disk that pushes everything else out, and on a loop device no double
 *   caching. Small reads (tables, superblocks, filesystem maps) keep the cache they profit
 *   from. The first EINVAL (an alignment the device or filesystem refuses) turns it off.
 * - rescue reads (pread_direct), or a bad sector costs its whole page: through an aligned
 *   bounce buffer made at the first one (one caller at a time).
 * Mixing the two descriptors is coherent on Linux: a direct transfer first writes back and
 * then drops the cached pages it overlaps. */
struct fd_direct {
	int fd;                      /* -1: none */
	atomic_int off;              /* bulk transfers turned off (EINVAL seen) */
	unsigned align;              /* offsets, lengths and buffers: multiples of this */
	void *bounce;
};

#define BOUNCE (64u << 10)
#define BULK_MIN (64u << 10)     /* smaller transfers stay in the page cache */

/* May this transfer go through the direct descriptor? */
static int bulk_ok(const struct lb_dev *d, const void *buf, size_t len, uint64_t off)
{
	const struct fd_direct *x = d->priv;
	return x && x->fd >= 0 && !atomic_load(&x->off) && len >= BULK_MIN &&
	       (off | len | (uintptr_t)buf) % x->align == 0;
}

static int fd_pread(struct lb_dev *d, void *buf, size_t len, uint64_t off)
{
	if (bulk_ok(d, buf, len, off)) {
		struct fd_direct *x = d->priv;
		int r = lb_pread_full(x->fd, buf, len, off);
		if (r != -EINVAL)
			return r;
		atomic_store(&x->off, 1);   /* refused: the page cache from now on */
	}
	return lb_pread_full(d->fd, buf, len, off);
}

static int fd_pread_direct(struct lb_dev *d, void *buf, size_t len, uint64_t off)
{
	struct fd_direct *x = d->priv;
	int r;
	if (!d->is_blk || !x || x->fd < 0 || off % d->lsec || len % d->lsec || len > BOUNCE)
		return lb_pread_full(d->fd, buf, len, off);
	if (!x->bounce && posix_memalign(&x->bounce, 4096, BOUNCE)) {
		x->bounce = NULL;
		return lb_pread_full(d->fd, buf, len, off);
	}
	r = lb_pread_full(x->fd, x->bounce, len, off);
	if (r == -EINVAL)   /* the device refuses this alignment: use the page cache after all */
		return lb_pread_full(d->fd, buf, len, off);
	if (!r)
		memcpy(buf, x->bounce, len);
	return r;
}

static int fd_pwrite(struct lb_dev *d, const void *buf, size_t len, uint64_t off)
{
	if (bulk_ok(d, buf, len, off)) {
		struct fd_direct *x = d->priv;
		int r = lb_pwrite_full(x->fd, buf, len, off);
		if (r != -EINVAL)
			return r;
		/* refused before anything was written (alignment is checked first): buffered */
		atomic_store(&x->off, 1);
	}
	return lb_pwrite_full(d->fd, buf, len, off);
}

static int fd_zero(struct lb_dev *d, uint64_t off, uint64_t len)
{
	if (d->is_blk) {
		uint64_t range[2] = { off, len };
		if ((off | len) % 512 == 0 && ioctl(d->fd, BLKZEROOUT, range) == 0)
			return 0;
		return -EOPNOTSUPP;
	}
	if (fallocate(d->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off,
	              (off_t)len) == 0)
		return 0;
	return -errno;
}

static int fd_sync(struct lb_dev *d)
{
	return fsync(d->fd) < 0 ? -errno : 0;
}

static void fd_drop_cache(struct lb_dev *d)
{
	if (d->is_blk)
		ioctl(d->fd, BLKFLSBUF, 0);
	posix_fadvise(d->fd, 0, 0, POSIX_FADV_DONTNEED);
}

static void fd_close(struct lb_dev *d)
{
	struct fd_direct *x = d->priv;
	if (d->fd >= 0)
		close(d->fd);
	if (x) {
		if (x->fd >= 0)
			close(x->fd);
		free(x->bounce);
		free(x);
	}
}

static int64_t fd_seek(struct lb_dev *d, uint64_t off, int whence)
{
	off_t r = lseek(d->fd, (off_t)off, whence);
	return r < 0 ? -errno : (int64_t)r;
}

static int fd_get_size(struct lb_dev *d, uint64_t *size)
{
	struct stat st;
	if (d->is_blk)
		return ioctl(d->fd, BLKGETSIZE64, size) < 0 ? -errno : 0;
	if (fstat(d->fd, &st) < 0)
		return -errno;
	*size = (uint64_t)st.st_size;
	return 0;
}

static const struct lb_dev_ops fd_ops = {
	"device or file", fd_pread, fd_pread_direct, fd_pwrite, fd_zero, fd_sync, fd_drop_cache,
	fd_close, fd_seek, fd_get_size,
};

/* The direct descriptor, when the kernel gives one; without it everything is buffered. Not
 * O_EXCL: the first descriptor holds that claim already. LIFEBOAT_NO_DIRECT=1 turns it off
 * (measurements). */
static void open_direct(struct lb_dev *d, int writable)
{
	struct fd_direct *x;
	const char *no = getenv("LIFEBOAT_NO_DIRECT");
	if (no && *no && strcmp(no, "0"))
		return;
	if (!(x = calloc(1, sizeof *x)))
		return;
	x->fd = open(d->path, (writable ? O_RDWR : O_RDONLY) | O_DIRECT | O_CLOEXEC);
	x->align = d->lsec > 4096 ? d->lsec : 4096;
	if (x->fd < 0) {
		free(x);
		return;
	}
	d->priv = x;
}

int lb_dev_open_fd(struct lb_dev *d, const char *path, int writable, struct lb_err *err)
{
	struct stat st;
	memset(d, 0, sizeof *d);
	snprintf(d->path, sizeof d->path, "%s", path);
	/* O_EXCL on a block device fails while the kernel has it mounted or claimed */
	d->fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (d->fd >= 0 && writable == 2 && fstat(d->fd, &st) == 0 && S_ISBLK(st.st_mode)) {
		close(d->fd);
		d->fd = open(path, O_RDWR | O_EXCL | O_CLOEXEC);
		if (d->fd < 0 && errno == EBUSY)
			return lb_fail(err, LB_EREFUSED, "refusing to write to %s: the kernel reports it "
			               "busy (mounted, or in use by RAID/LVM/swap)", path);
	}
	if (d->fd < 0) {
		int e = errno;
		return lb_fail(err, e == ENOENT ? LB_ENOENT : LB_EIO, "cannot open %s%s: %s%s", path,
		               writable ? " for writing" : "", strerror(e),
		               e == ENOENT ? " (check the name with 'lifeboat list')" :
		               e == EACCES || e == EPERM ? " (run as root)" : "");
	}
	if (fstat(d->fd, &st) < 0)
		goto fail_errno;
	d->writable = writable;
	d->lsec = d->psec = 512;
	if (S_ISBLK(st.st_mode)) {
		int s;
		unsigned int ps;
		d->is_blk = 1;
		d->rdev = st.st_rdev;
		if (ioctl(d->fd, BLKGETSIZE64, &d->size) < 0)
			goto fail_errno;
		if (ioctl(d->fd, BLKSSZGET, &s) == 0 && s > 0)
			d->lsec = (unsigned)s;
		if (ioctl(d->fd, BLKPBSZGET, &ps) == 0 && ps > 0)
			d->psec = ps;
	} else if (S_ISREG(st.st_mode)) {
		d->size = (uint64_t)st.st_size;
		d->st_dev = st.st_dev;
		d->ino = st.st_ino;
	} else {
		close(d->fd);
		d->fd = -1;
		return lb_fail(err, LB_EUSAGE, "%s is neither a block device nor a disk-image file", path);
	}
	d->ops = &fd_ops;
	open_direct(d, writable);
	return 0;
fail_errno:;
	int e = errno;
	close(d->fd);
	d->fd = -1;
	return lb_fail(err, LB_EIO, "cannot read the size of %s: %s", path, strerror(e));
}
