/* Block I/O over an open image: the source disk as the backup saw it, read through the image's
 * index (imgread.c), so a filesystem reader (fsread.h) works on a backup exactly as on a disk.
 * Read-only. A damaged chunk is -EIO; its sentence (which chunk, which check failed) is kept so
 * the reader's message can say why (lb_dev_image_error). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "blockdev.h"
#include "err.h"
#include "fsread.h"
#include "imgread.h"

struct img {
	struct lb_imgread *r;
	struct lb_imgread_worker *w;
	struct lb_err last;          /* the last failed read */
};

static int img_errno(int code)
{
	switch (code) {
	case LB_ENOMEM: return -ENOMEM;
	case LB_EUSAGE: return -ENODATA;   /* outside the disk */
	default: return -EIO;
	}
}

static int img_pread(struct lb_dev *d, void *buf, size_t len, uint64_t off)
{
	struct img *m = d->priv;
	struct lb_err err = { 0 };
	int rc;
	if (off > d->size || len > d->size - off)
		return -ENODATA;
	if (!(rc = lb_imgread_pread(m->w, buf, len, off, &err)))
		return 0;
	m->last = err;
	return img_errno(rc);
}

static int img_pwrite(struct lb_dev *d, const void *buf, size_t len, uint64_t off)
{
	return -EROFS;
}

static int img_zero(struct lb_dev *d, uint64_t off, uint64_t len)
{
	return -EROFS;
}

static int img_sync(struct lb_dev *d)
{
	return 0;
}

static void img_close(struct lb_dev *d)
{
	struct img *m = d->priv;
	if (m)
		lb_imgread_worker_free(m->w);
	free(m);
}

/* what the index stores: a range in no chunk (or in a zero chunk) is a hole */
static int64_t img_seek(struct lb_dev *d, uint64_t off, int whence)
{
	struct img *m = d->priv;
	struct lb_err err = { 0 };
	while (off < d->size) {
		uint64_t run;
		int data, rc = lb_imgread_map(m->w, off, d->size - off, &data, &run, &err);
		if (rc)
			return img_errno(rc);
		if ((whence == SEEK_DATA && data) || (whence == SEEK_HOLE && !data))
			return (int64_t)off;
		off += run;
	}
	return whence == SEEK_HOLE ? (int64_t)d->size : -ENXIO;
}

static const struct lb_dev_ops img_ops = {
	"image", img_pread, NULL, img_pwrite, img_zero, img_sync, NULL, img_close, img_seek, NULL,
};

int lb_dev_open_image(struct lb_dev *d, struct lb_imgread *r, struct lb_err *err)
{
	const struct lb_image_info *info = lb_imgread_info(r);
	struct img *m = calloc(1, sizeof *m);
	memset(d, 0, sizeof *d);
	d->fd = -1;
	if (!m || !(m->w = lb_imgread_worker_new(r))) {
		free(m);
		return lb_fail(err, LB_ENOMEM, "out of memory opening the image as a disk");
	}
	m->r = r;
	snprintf(d->path, sizeof d->path, "(the image's disk%s%.200s)", info->src_path[0] ? ", " : "",
	         info->src_path);
	d->size = lb_imgread_size(r);
	d->lsec = info->lsec ? info->lsec : 512;
	d->psec = info->psec ? info->psec : d->lsec;
	d->ops = &img_ops;
	d->priv = m;
	return 0;
}

const char *lb_dev_image_error(const struct lb_dev *d)
{
	const struct img *m = d->ops == &img_ops ? d->priv : NULL;
	return m && m->last.code ? m->last.msg : NULL;
}
