/* An io_manager for libext2fs over the engine's source handle: every block libext2fs reads
 * goes through lb_dev_pread at the filesystem's offset, read-only. The channel's name carries
 * the handle and the area ("lifeboat:<pointer>:<offset>:<size>[:<view>]"), so no table of
 * open devices is shared between threads. A view (jbd2.h) lays a replayed journal over what
 * is read: libext2fs then sees the filesystem as e2fsck's recovery would leave it. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "io_ext2.h"

struct lbio {
	struct lb_dev *d;
	uint64_t off, size;          /* the filesystem's area on d */
	struct struct_io_stats stats;  /* bytes read */
	unsigned faults;             /* reads that failed with an I/O error */
	errcode_t fault;             /* the last one */
	uint64_t fault_off;
	const struct lb_jbd2_view *view;   /* the replayed journal over the device, or NULL */
};

static struct struct_io_manager lb_io_manager;

static errcode_t lbio_open(const char *name, int flags, io_channel *channel)
{
	struct lbio *p = NULL;
	io_channel io = NULL;
	void *dev = NULL, *view = NULL;
	unsigned long long off, size;
	errcode_t rc;

	if (flags & IO_FLAG_RW)
		return EXT2_ET_RO_FILSYS;
	if (!name || sscanf(name, "lifeboat:%p:%llu:%llu:%p", &dev, &off, &size, &view) < 3 || !dev)
		return EXT2_ET_BAD_DEVICE_NAME;
	rc = ext2fs_get_memzero(sizeof *io, &io);
	if (!rc)
		rc = ext2fs_get_memzero(sizeof *p, &p);
	if (!rc)
		rc = ext2fs_get_mem(strlen(name) + 1, &io->name);
	if (rc) {
		ext2fs_free_mem(&p);
		ext2fs_free_mem(&io);
		return rc;
	}
	strcpy(io->name, name);
	p->d = dev;
	p->off = off;
	p->size = size;
	p->view = view;
	p->stats.num_fields = 2;
	io->magic = EXT2_ET_MAGIC_IO_CHANNEL;
	io->manager = &lb_io_manager;
	io->block_size = 1024;
	io->refcount = 1;
	io->private_data = p;
	*channel = io;
	return 0;
}

static errcode_t lbio_close(io_channel io)
{
	if (--io->refcount > 0)
		return 0;
	ext2fs_free_mem(&io->private_data);
	ext2fs_free_mem(&io->name);
	ext2fs_free_mem(&io);
	return 0;
}

static errcode_t lbio_set_blksize(io_channel io, int blksize)
{
	if (blksize <= 0)
		return EXT2_ET_INVALID_ARGUMENT;
	io->block_size = blksize;
	return 0;
}

static errcode_t lbio_read_blk64(io_channel io, unsigned long long block, int count, void *buf)
{
	struct lbio *p = io->private_data;
	uint64_t len = count < 0 ? (uint64_t)-(int64_t)count : (uint64_t)count * io->block_size;
	uint64_t at = block * (uint64_t)io->block_size, have = 0;
	errcode_t rc = 0;
	int r;

	/* never past the area: that is another partition, or nothing */
	if (at < p->size)
		have = p->size - at < len ? p->size - at : len;
	if (have) {
		r = lb_dev_pread(p->d, buf, have, p->off + at);
		if (r == -ENODATA)
			rc = EXT2_ET_SHORT_READ;
		else if (r)
			rc = -r;
	}
	if (!rc && have < len)
		rc = EXT2_ET_SHORT_READ;
	if (!rc && p->view) {
		r = lb_jbd2_view_patch(p->view, buf, at, len);
		if (r)
			rc = r == -ENOMEM ? EXT2_ET_NO_MEMORY : -r;
	}
	if (rc) {
		memset(buf, 0, len);
		if (rc != EXT2_ET_SHORT_READ) {
			p->faults++;
			p->fault = rc;
			p->fault_off = at;
		}
		if (io->read_error)
			rc = io->read_error(io, block, count, buf, len, 0, rc);
		return rc;
	}
	p->stats.bytes_read += len;
	return 0;
}

static errcode_t lbio_read_blk(io_channel io, unsigned long block, int count, void *buf)
{
	return lbio_read_blk64(io, block, count, buf);
}

static errcode_t lbio_write_blk64(io_channel io, unsigned long long block, int count,
                                  const void *buf)
{
	return EXT2_ET_RO_FILSYS;
}

static errcode_t lbio_write_blk(io_channel io, unsigned long block, int count, const void *buf)
{
	return EXT2_ET_RO_FILSYS;
}

static errcode_t lbio_write_byte(io_channel io, unsigned long off, int count, const void *buf)
{
	return EXT2_ET_RO_FILSYS;
}

static errcode_t lbio_flush(io_channel io)
{
	return 0;
}

static errcode_t lbio_set_option(io_channel io, const char *option, const char *arg)
{
	return EXT2_ET_INVALID_ARGUMENT;
}

static errcode_t lbio_get_stats(io_channel io, io_stats *stats)
{
	struct lbio *p = io->private_data;
	*stats = &p->stats;
	return 0;
}

static struct struct_io_manager lb_io_manager = {
	.magic = EXT2_ET_MAGIC_IO_MANAGER,
	.name = "Lifeboat source I/O manager",
	.open = lbio_open,
	.close = lbio_close,
	.set_blksize = lbio_set_blksize,
	.read_blk = lbio_read_blk,
	.write_blk = lbio_write_blk,
	.flush = lbio_flush,
	.write_byte = lbio_write_byte,
	.set_option = lbio_set_option,
	.get_stats = lbio_get_stats,
	.read_blk64 = lbio_read_blk64,
	.write_blk64 = lbio_write_blk64,
};

/* libext2fs does not register its own error table: without this, error_message() says
 * "Unknown code ext2 60" instead of what is wrong. */
static void init_errors(void)
{
	initialize_ext2_error_table();
}

errcode_t lb_ext2_open_view(struct lb_dev *d, uint64_t off, uint64_t size, int flags,
                            const struct lb_jbd2_view *view, ext2_filsys *fs)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	char name[128];
	pthread_once(&once, init_errors);
	*fs = NULL;
	if (flags & EXT2_FLAG_RW)
		return EXT2_ET_RO_FILSYS;
	if (view)
		snprintf(name, sizeof name, "lifeboat:%p:%" PRIu64 ":%" PRIu64 ":%p", (void *)d, off,
		         size, (const void *)view);
	else
		snprintf(name, sizeof name, "lifeboat:%p:%" PRIu64 ":%" PRIu64, (void *)d, off, size);
	return ext2fs_open2(name, NULL, flags, 0, 0, &lb_io_manager, fs);
}

errcode_t lb_ext2_open(struct lb_dev *d, uint64_t off, uint64_t size, int flags, ext2_filsys *fs)
{
	return lb_ext2_open_view(d, off, size, flags, NULL, fs);
}

static struct lbio *priv(ext2_filsys fs)
{
	return fs && fs->io && fs->io->manager == &lb_io_manager ? fs->io->private_data : NULL;
}

unsigned lb_ext2_faults(ext2_filsys fs, uint64_t *off, errcode_t *err)
{
	struct lbio *p = priv(fs);
	if (!p || !p->faults)
		return 0;
	*off = p->fault_off;
	*err = p->fault;
	return p->faults;
}

uint64_t lb_ext2_bytes_read(ext2_filsys fs)
{
	struct lbio *p = priv(fs);
	return p ? p->stats.bytes_read : 0;
}
