/* The block I/O interface: what every implementation shares (bounds, messages, the zeroing
 * fallback) and the front door lb_dev_open. The implementations are bdev_*.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
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

int lb_dev_open(struct lb_dev *d, const char *path, int writable, struct lb_err *err)
{
	int rc = lb_dev_open_fd(d, path, writable, err);
	/* Test hooks, sources only: a failing disk's read errors on the same code path */
	if (!rc && !writable && (rc = lb_dev_test_hooks(d, err)))
		lb_dev_close(d);
	return rc;
}

void lb_dev_close(struct lb_dev *d)
{
	if (d->ops)
		d->ops->close(d);
	d->ops = NULL;
	d->priv = NULL;
	d->fd = -1;
}

/* A handle that is not open reads and writes nothing (as a closed descriptor would). */
int lb_dev_pread(struct lb_dev *d, void *buf, size_t len, uint64_t off)
{
	if (!d->ops)
		return -EBADF;
	return d->ops->pread(d, buf, len, off);
}

int lb_dev_pread_direct(struct lb_dev *d, void *buf, size_t len, uint64_t off)
{
	if (d->ops && d->ops->pread_direct)
		return d->ops->pread_direct(d, buf, len, off);
	return lb_dev_pread(d, buf, len, off);
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
	r = d->ops ? d->ops->pwrite(d, buf, len, off) : -EBADF;
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
	if (!len || (d->ops && d->ops->zero(d, off, len) == 0))
		return 0;
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
	int r = d->ops ? d->ops->sync(d) : -EBADF;
	if (r)
		return lb_fail(err, LB_EIO, "flushing %s failed: %s", d->path, strerror(-r));
	return 0;
}

void lb_dev_drop_cache(struct lb_dev *d)
{
	if (d->ops && d->ops->drop_cache)
		d->ops->drop_cache(d);
}

int lb_dev_get_size(struct lb_dev *d, uint64_t *size)
{
	if (!d->ops)
		return -EBADF;
	if (!d->ops->get_size) {
		*size = d->size;
		return 0;
	}
	return d->ops->get_size(d, size);
}

int64_t lb_dev_seek(struct lb_dev *d, uint64_t off, int whence)
{
	if (!d->ops)
		return -EBADF;
	return d->ops->seek ? d->ops->seek(d, off, whence) : -EOPNOTSUPP;
}
