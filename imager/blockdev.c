/* Block device and disk-image file I/O. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "blockdev.h"
#include "err.h"

int lb_pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	char *p = buf;
	while (len) {
		ssize_t n = pread(fd, p, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -ENODATA;   /* past the end */
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

int lb_pwrite_full(int fd, const void *buf, size_t len, uint64_t off)
{
	const char *p = buf;
	while (len) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -ENOSPC;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* Reads until len bytes or end of file; *got says how many. */
int lb_read_full(int fd, void *buf, size_t len, size_t *got)
{
	char *p = buf;
	size_t done = 0;
	while (done < len) {
		ssize_t n = read(fd, p + done, len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			*got = done;
			return -errno;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	*got = done;
	return 0;
}

int lb_write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Test hooks for sources (see blockdev.h): LIFEBOAT_FAULTS="off+len,...[,gone@X]",
 * LIFEBOAT_FAULT_DELAY=ms, LIFEBOAT_READLOG=file. */
static void faults_init(struct lb_dev *d)
{
	const char *p = getenv("LIFEBOAT_FAULTS"), *v;
	unsigned long long o, l;
	int n;
	while (p && d->nfaults < 64) {
		if (sscanf(p, "gone@%llu%n", &o, &n) == 1)
			d->gone_at = o + 1;
		else if (sscanf(p, "%llu+%llu%n", &o, &l, &n) == 2) {
			d->faults[d->nfaults][0] = o;
			d->faults[d->nfaults++][1] = l;
		} else
			break;
		p += n;
		if (*p != ',')
			break;
		p++;
	}
	if ((v = getenv("LIFEBOAT_FAULT_DELAY")))
		d->fault_delay_ms = (unsigned)strtoul(v, NULL, 10);
	if ((v = getenv("LIFEBOAT_READLOG")) && *v) {
		int fd = open(v, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		d->readlog = fd >= 0 ? fd + 1 : 0;
	}
}

/* The injected result of reading [off, off+len): 0 = read it for real. */
static int injected_fault(struct lb_dev *d, size_t len, uint64_t off)
{
	int r = 0;
	if (d->gone_at && off <= d->gone_at - 1 && off + len > d->gone_at - 1)
		d->gone = 1;
	if (d->gone)
		return -ENODEV;
	for (int i = 0; i < d->nfaults && !r; i++)
		if (off < d->faults[i][0] + d->faults[i][1] && d->faults[i][0] < off + len)
			r = -EIO;
	if (r && d->fault_delay_ms)
		usleep(d->fault_delay_ms * 1000u);
	return r;
}

static int logged(struct lb_dev *d, size_t len, uint64_t off, int r)
{
	if (d->readlog) {
		char line[80];
		int n = snprintf(line, sizeof line, "%llu %zu %d\n", (unsigned long long)off, len, r);
		if (write(d->readlog - 1, line, (size_t)n) < 0)
			d->readlog = 0;
	}
	return r;
}

int lb_dev_open(struct lb_dev *d, const char *path, int writable, struct lb_err *err)
{
	struct stat st;
	memset(d, 0, sizeof *d);
	d->fd = -1;
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
	if (!writable)
		faults_init(d);
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
	return 0;
fail_errno:;
	int e = errno;
	close(d->fd);
	d->fd = -1;
	return lb_fail(err, LB_EIO, "cannot read the size of %s: %s", path, strerror(e));
}

void lb_dev_close(struct lb_dev *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
	if (d->direct_open)
		close(d->direct_fd);
	d->direct_open = 0;
	if (d->readlog)
		close(d->readlog - 1);
	d->readlog = 0;
	free(d->bounce);
	d->bounce = NULL;
}

int lb_dev_pread(struct lb_dev *d, void *buf, size_t len, uint64_t off)
{
	int r = injected_fault(d, len, off);
	return logged(d, len, off, r ? r : lb_pread_full(d->fd, buf, len, off));
}

#define BOUNCE (64u << 10)

int lb_dev_pread_direct(struct lb_dev *d, void *buf, size_t len, uint64_t off)
{
	int r;
	if (!d->is_blk || off % d->lsec || len % d->lsec || len > BOUNCE)
		return lb_dev_pread(d, buf, len, off);
	if ((r = injected_fault(d, len, off)))
		return logged(d, len, off, r);
	if (!d->direct_open) {
		if (posix_memalign(&d->bounce, 4096, BOUNCE))
			return lb_dev_pread(d, buf, len, off);
		d->direct_fd = open(d->path, O_RDONLY | O_DIRECT | O_CLOEXEC);
		if (d->direct_fd < 0) {
			free(d->bounce);
			d->bounce = NULL;
			return lb_dev_pread(d, buf, len, off);
		}
		d->direct_open = 1;
	}
	r = lb_pread_full(d->direct_fd, d->bounce, len, off);
	if (r == -EINVAL)   /* the device refuses this alignment: use the page cache after all */
		return lb_dev_pread(d, buf, len, off);
	if (!r)
		memcpy(buf, d->bounce, len);
	return logged(d, len, off, r);
}

int lb_dev_read(struct lb_dev *d, void *buf, size_t len, uint64_t off, struct lb_err *err)
{
	int r;
	if (off > d->size || len > d->size - off)
		return lb_fail(err, LB_EIO, "read of %zu bytes at offset %llu is past the end of %s "
		               "(%llu bytes)", len, (unsigned long long)off, d->path,
		               (unsigned long long)d->size);
	r = lb_dev_pread(d, buf, len, off);
	if (r)
		return lb_fail(err, LB_EIO, "read error on %s at offset %llu (%zu bytes): %s", d->path,
		               (unsigned long long)off, len, strerror(-r));
	return 0;
}

int lb_dev_write(struct lb_dev *d, const void *buf, size_t len, uint64_t off, struct lb_err *err)
{
	int r;
	if (off > d->size || len > d->size - off)
		return lb_fail(err, LB_ETOOSMALL, "write at offset %llu is past the end of %s",
		               (unsigned long long)off, d->path);
	r = lb_pwrite_full(d->fd, buf, len, off);
	if (r)
		return lb_fail(err, r == -ENOSPC ? LB_ENOSPACE : LB_EIO,
		               "write error on %s at offset %llu: %s", d->path,
		               (unsigned long long)off, strerror(-r));
	return 0;
}

int lb_dev_zero(struct lb_dev *d, uint64_t off, uint64_t len, struct lb_err *err)
{
	static const char zeros[65536];
	if (off > d->size || len > d->size - off)
		return lb_fail(err, LB_ETOOSMALL, "write at offset %llu is past the end of %s",
		               (unsigned long long)off, d->path);
	if (!len)
		return 0;
	if (d->is_blk) {
		uint64_t range[2] = { off, len };
		if ((off | len) % 512 == 0 && ioctl(d->fd, BLKZEROOUT, range) == 0)
			return 0;
	} else if (fallocate(d->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off,
	                     (off_t)len) == 0) {
		return 0;
	}
	while (len) {
		size_t n = len < sizeof zeros ? (size_t)len : sizeof zeros;
		int r = lb_dev_write(d, zeros, n, off, err);
		if (r)
			return r;
		off += n;
		len -= n;
	}
	return 0;
}

int lb_dev_sync(struct lb_dev *d, struct lb_err *err)
{
	if (fsync(d->fd) < 0)
		return lb_fail(err, LB_EIO, "flushing %s failed: %s", d->path, strerror(errno));
	return 0;
}

void lb_dev_drop_cache(struct lb_dev *d)
{
	if (d->is_blk)
		ioctl(d->fd, BLKFLSBUF, 0);
	posix_fadvise(d->fd, 0, 0, POSIX_FADV_DONTNEED);
}
