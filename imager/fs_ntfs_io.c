/* libntfs-3g's device, read-only, over the engine's handle: reads go to lb_dev_read at the
 * partition's offset, writes fail with EROFS (and are counted), so the library neither
 * re-opens the disk nor can change it. */
#ifdef LB_HAVE_NTFS3G
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <linux/fs.h>
#include <ntfs-3g/logging.h>
#include "fs_ntfs.h"


static int io_open(struct ntfs_device *dev, int flags)
{
	if ((flags & O_ACCMODE) != O_RDONLY) {
		errno = EROFS;
		return -1;
	}
	NDevSetReadOnly(dev);
	NDevSetOpen(dev);
	return 0;
}

static int io_close(struct ntfs_device *dev)
{
	NDevClearOpen(dev);
	return 0;
}

static s64 io_seek(struct ntfs_device *dev, s64 offset, int whence)
{
	struct ntfs_io *io = dev->d_private;
	s64 to = whence == SEEK_SET ? offset : whence == SEEK_CUR ? io->pos + offset :
	         whence == SEEK_END ? (s64)io->size + offset : -1;
	if (to < 0) {
		errno = EINVAL;
		return -1;
	}
	return io->pos = to;
}

static s64 io_pread(struct ntfs_device *dev, void *buf, s64 count, s64 pos)
{
	struct ntfs_io *io = dev->d_private;
	struct lb_err e = { 0 };
	if (pos < 0 || count < 0) {
		errno = EINVAL;
		return -1;
	}
	if ((uint64_t)pos >= io->size)
		return 0;
	if ((uint64_t)count > io->size - (uint64_t)pos)
		count = (s64)(io->size - (uint64_t)pos);
	if (lb_dev_read(io->d, buf, (size_t)count, io->off + (uint64_t)pos, &e)) {
		/* the cause only: the plan's reason names the partition already */
		if (!io->err[0]) {
			const char *cause = strrchr(e.msg, ':');
			snprintf(io->err, sizeof io->err, "%s", cause ? cause + 1 + (cause[1] == ' ') : e.msg);
		}
		errno = EIO;
		return -1;
	}
	return count;
}

static s64 io_read(struct ntfs_device *dev, void *buf, s64 count)
{
	struct ntfs_io *io = dev->d_private;
	s64 n = io_pread(dev, buf, count, io->pos);
	if (n > 0)
		io->pos += n;
	return n;
}

static s64 io_write(struct ntfs_device *dev, const void *buf, s64 count)
{
	((struct ntfs_io *)dev->d_private)->writes++;
	errno = EROFS;
	return -1;
}

static s64 io_pwrite(struct ntfs_device *dev, const void *buf, s64 count, s64 pos)
{
	return io_write(dev, buf, count);
}

static int io_sync(struct ntfs_device *dev)
{
	return 0;   /* nothing is ever written */
}

static int io_stat(struct ntfs_device *dev, struct stat *st)
{
	struct ntfs_io *io = dev->d_private;
	memset(st, 0, sizeof *st);
	st->st_mode = S_IFREG | 0444;
	st->st_size = (off_t)io->size;
	return 0;
}

static int io_ioctl(struct ntfs_device *dev, unsigned long request, void *argp)
{
	struct ntfs_io *io = dev->d_private;
	if (request == BLKGETSIZE64) {
		*(uint64_t *)argp = io->size;
		return 0;
	}
	if (request == BLKSSZGET) {
		*(int *)argp = (int)io->d->lsec;
		return 0;
	}
	errno = ENOTTY;
	return -1;
}

static struct ntfs_device_operations io_ops = {
	.open = io_open, .close = io_close, .seek = io_seek, .read = io_read, .write = io_write,
	.pread = io_pread, .pwrite = io_pwrite, .sync = io_sync, .stat = io_stat, .ioctl = io_ioctl,
};

/* libntfs-3g logs to stderr by default; the engine never prints (front ends do). */
static void quiet_library(void)
{
	ntfs_log_set_handler(ntfs_log_handler_null);
}


int lb_ntfs_open(struct lb_dev *d, uint64_t off, uint64_t size, struct lb_ntfs *o,
                        char *why, size_t whylen)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	memset(o, 0, sizeof *o);
	pthread_once(&once, quiet_library);
	o->io.d = d;
	o->io.off = off;
	o->io.size = size;
	o->dev = ntfs_device_alloc(d->path, 0, &io_ops, &o->io);
	if (!o->dev) {
		snprintf(why, whylen, "out of memory opening it");
		return -1;
	}
	/* Read-only: no hiberfil or $LogFile check, no $TXF_DATA fix, nothing written (and the
	 * device refuses writes anyway). Forensic: not even the access times of a read-only mount. */
	o->vol = ntfs_device_mount(o->dev, NTFS_MNT_RDONLY | NTFS_MNT_FORENSIC);
	if (!o->vol) {
		int en = errno;
		if (o->io.err[0]) {
			snprintf(why, whylen, "its metadata cannot be read (%s)", o->io.err);
		} else {
			snprintf(why, whylen, "libntfs-3g cannot open it (%s)", strerror(en));
		}
		ntfs_device_free(o->dev);
		o->dev = NULL;
		return -1;
	}
	return 0;
}

void lb_ntfs_close(struct lb_ntfs *o)
{
	if (o->vol)
		ntfs_umount(o->vol, FALSE);   /* closes and frees the device as well */
	else if (o->dev)
		ntfs_device_free(o->dev);
	o->vol = NULL;
	o->dev = NULL;
}

#endif
