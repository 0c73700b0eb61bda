/* Block I/O on a buffer in memory: unit tests and fuzz targets get a disk without scratch
 * files or system calls. The disk may be larger than the buffer; the rest reads as zeros. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "blockdev.h"

struct mem {
	uint8_t *buf;
	size_t len;
};

static int mem_pread(struct lb_dev *d, void *buf, size_t len, uint64_t off)
{
	const struct mem *m = d->priv;
	size_t n = 0;
	if (off > d->size || len > d->size - off)
		return -ENODATA;
	if (off < m->len) {
		n = m->len - off < len ? m->len - (size_t)off : len;
		memcpy(buf, m->buf + off, n);
	}
	memset((uint8_t *)buf + n, 0, len - n);
	return 0;
}

static int mem_pwrite(struct lb_dev *d, const void *buf, size_t len, uint64_t off)
{
	const struct mem *m = d->priv;
	if (!d->writable)
		return -EBADF;
	if (off > m->len || len > m->len - off)
		return -ENOSPC;
	memcpy(m->buf + off, buf, len);
	return 0;
}

static int mem_zero(struct lb_dev *d, uint64_t off, uint64_t len)
{
	const struct mem *m = d->priv;
	if (!d->writable)
		return -EBADF;
	if (off < m->len)
		memset(m->buf + off, 0, m->len - off < len ? m->len - (size_t)off : (size_t)len);
	return 0;   /* past the buffer it reads as zeros already */
}

static int mem_sync(struct lb_dev *d)
{
	(void)d;
	return 0;
}

static void mem_close(struct lb_dev *d)
{
	free(d->priv);
}

/* the buffer is data, the zero tail a hole */
static int64_t mem_seek(struct lb_dev *d, uint64_t off, int whence)
{
	const struct mem *m = d->priv;
	if (off >= d->size)
		return -ENXIO;
	if (whence == SEEK_DATA)
		return off < m->len ? (int64_t)off : -ENXIO;
	if (whence == SEEK_HOLE)
		return off < m->len ? (int64_t)m->len : (int64_t)off;
	return -EINVAL;
}

static const struct lb_dev_ops mem_ops = {
	"memory", mem_pread, NULL, mem_pwrite, mem_zero, mem_sync, NULL, mem_close, mem_seek, NULL,
};

int lb_dev_open_mem(struct lb_dev *d, void *buf, size_t len, uint64_t size, int writable)
{
	struct mem *m = malloc(sizeof *m);
	memset(d, 0, sizeof *d);
	d->fd = -1;
	if (!m)
		return LB_ENOMEM;
	m->buf = buf;
	m->len = len;
	snprintf(d->path, sizeof d->path, "(memory, %llu bytes)",
	         (unsigned long long)(size > len ? size : len));
	d->size = size > len ? size : len;
	d->lsec = d->psec = 512;
	d->writable = writable;
	d->ops = &mem_ops;
	d->priv = m;
	return 0;
}
