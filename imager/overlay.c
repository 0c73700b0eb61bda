/* The copy-on-write overlay of a served image (layout in overlay.h). Writes take the lock
 * exclusively, reads share it, so a read never sees half a write's bitmap. Data is written
 * before its bit is set: after a crash a block is either old (image) or new. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "blockdev.h"
#include "err.h"
#include "le.h"
#include "overlay.h"

#define BS 4096u
#define HDR 4096u
static const char magic[8] = "LBOVRLY1";

struct lb_overlay {
	char path[4096];
	int fd;
	uint64_t size, nblocks, data_off, bm_len;
	uint8_t *bm;                 /* mapped from the file */
	pthread_rwlock_t lock;
};

static int bit(const struct lb_overlay *o, uint64_t b)
{
	return o->bm[b >> 3] >> (b & 7) & 1;
}

static void set_bit(struct lb_overlay *o, uint64_t b)
{
	o->bm[b >> 3] |= (uint8_t)(1u << (b & 7));
}

static int io_fail(struct lb_err *err, const struct lb_overlay *o, const char *what, int e)
{
	return lb_fail(err, e == ENOSPC ? LB_ENOSPACE : LB_EIO, "%s the overlay %s failed: %s", what,
	               o->path, strerror(e));
}

int lb_overlay_open(struct lb_overlay **out, const char *path, uint64_t size, uint64_t image_id,
                    struct lb_err *err)
{
	struct lb_overlay *o = calloc(1, sizeof *o);
	uint8_t h[64];
	struct stat st;
	int rc;
	*out = NULL;
	if (!o)
		return lb_fail(err, LB_ENOMEM, "out of memory");
	o->fd = -1;
	snprintf(o->path, sizeof o->path, "%s", path);
	pthread_rwlock_init(&o->lock, NULL);
	o->size = size;
	o->nblocks = (size + BS - 1) / BS;
	o->bm_len = (o->nblocks + 7) / 8;
	o->data_off = HDR + (o->bm_len + BS - 1) / BS * BS;
	if ((o->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		rc = lb_fail(err, errno == ENOENT ? LB_ENOENT : LB_EIO, "cannot open the overlay %s: %s",
		             path, strerror(errno));
		goto fail;
	}
	if (fstat(o->fd, &st) || !S_ISREG(st.st_mode)) {
		rc = lb_fail(err, LB_EREFUSED, "the overlay %s must be a regular file", path);
		goto fail;
	}
	if (st.st_size == 0) {       /* new: header, then a sparse bitmap and data area */
		memset(h, 0, sizeof h);
		memcpy(h, magic, 8);
		put32(h + 8, 1);
		put32(h + 12, BS);
		put64(h + 16, size);
		put64(h + 24, image_id);
		put64(h + 32, HDR);
		put64(h + 40, o->data_off);
		if ((rc = lb_pwrite_full(o->fd, h, sizeof h, 0)) ||
		    ftruncate(o->fd, (off_t)(o->data_off + size)) || fsync(o->fd)) {
			rc = io_fail(err, o, "creating", rc ? -rc : errno);
			goto fail;
		}
	} else {
		if ((rc = lb_pread_full(o->fd, h, sizeof h, 0)) || memcmp(h, magic, 8)) {
			rc = lb_fail(err, LB_EREFUSED, "refusing %s as an overlay: it exists and is not "
			             "a Lifeboat overlay (give a new file name)", path);
			goto fail;
		}
		if (le32(h + 8) != 1 || le32(h + 12) != BS || le64(h + 32) != HDR ||
		    le64(h + 40) != o->data_off || le64(h + 16) != size || le64(h + 24) != image_id) {
			rc = lb_fail(err, LB_EREFUSED, "refusing the overlay %s: it was made for another "
			             "image (or another version of Lifeboat)", path);
			goto fail;
		}
		if ((uint64_t)st.st_size < o->data_off + size && ftruncate(o->fd,
		                                                          (off_t)(o->data_off + size))) {
			rc = io_fail(err, o, "extending", errno);
			goto fail;
		}
	}
	o->bm = mmap(NULL, o->bm_len ? o->bm_len : 1, PROT_READ | PROT_WRITE, MAP_SHARED, o->fd, HDR);
	if (o->bm == MAP_FAILED) {
		o->bm = NULL;
		rc = io_fail(err, o, "mapping", errno);
		goto fail;
	}
	*out = o;
	return 0;
fail:
	lb_overlay_close(o);
	return rc;
}

void lb_overlay_close(struct lb_overlay *o)
{
	if (!o)
		return;
	if (o->bm) {
		msync(o->bm, o->bm_len ? o->bm_len : 1, MS_SYNC);
		munmap(o->bm, o->bm_len ? o->bm_len : 1);
	}
	if (o->fd >= 0) {
		fdatasync(o->fd);
		close(o->fd);
	}
	pthread_rwlock_destroy(&o->lock);
	free(o);
}

/* From pos: the end of the run of blocks whose bit equals that of pos's block, within end. */
static uint64_t run_end(const struct lb_overlay *o, uint64_t pos, uint64_t end, int *in)
{
	uint64_t b = pos / BS;
	*in = bit(o, b);
	while (++b * BS < end && bit(o, b) == *in)
		;
	return b * BS < end ? b * BS : end;
}

static int read_locked(struct lb_overlay *o, struct lb_imgread_worker *w, uint8_t *dst,
                       size_t len, uint64_t off, struct lb_err *err)
{
	uint64_t end = off + len;
	int rc;
	while (off < end) {
		int in;
		uint64_t e = run_end(o, off, end, &in);
		if (in) {
			if ((rc = lb_pread_full(o->fd, dst, e - off, o->data_off + off)))
				return io_fail(err, o, "reading", rc == -ENODATA ? EIO : -rc);
		} else if ((rc = lb_imgread_pread(w, dst, e - off, off, err))) {
			return rc;
		}
		dst += e - off;
		off = e;
	}
	return 0;
}

static int outside(const struct lb_overlay *o, uint64_t len, uint64_t off, struct lb_err *err)
{
	if (off > o->size || len > o->size - off)
		return lb_fail(err, LB_EUSAGE, "bytes %llu to %llu are outside the disk",
		               (unsigned long long)off, (unsigned long long)(off + len));
	return 0;
}

int lb_overlay_pread(struct lb_overlay *o, struct lb_imgread_worker *w, void *buf, size_t len,
                     uint64_t off, struct lb_err *err)
{
	int rc;
	if ((rc = outside(o, len, off, err)))
		return rc;
	pthread_rwlock_rdlock(&o->lock);
	rc = read_locked(o, w, buf, len, off, err);
	pthread_rwlock_unlock(&o->lock);
	return rc;
}

int lb_overlay_map(struct lb_overlay *o, struct lb_imgread_worker *w, uint64_t off, uint64_t len,
                   int *data, uint64_t *run, struct lb_err *err)
{
	uint64_t e;
	int in, rc;
	if ((rc = outside(o, len, off, err)))
		return rc;
	pthread_rwlock_rdlock(&o->lock);
	e = run_end(o, off, off + len, &in);
	pthread_rwlock_unlock(&o->lock);
	if (in) {
		*data = 1;
		*run = e - off;
		return 0;
	}
	return lb_imgread_map(w, off, e - off, data, run, err);
}

/* Block b gets src (n bytes at offset at inside it; NULL = zeros): a block not in the overlay
 * yet is first copied from the image. Write lock held. */
static int patch_block(struct lb_overlay *o, struct lb_imgread_worker *w, uint64_t b,
                       const uint8_t *src, size_t at, size_t n, struct lb_err *err)
{
	uint8_t buf[BS];
	uint64_t start = b * BS, blen = o->size - start < BS ? o->size - start : BS;
	int rc;
	if ((rc = read_locked(o, w, buf, (size_t)blen, start, err)))
		return rc;
	if (src)
		memcpy(buf + at, src, n);
	else
		memset(buf + at, 0, n);
	if ((rc = lb_pwrite_full(o->fd, buf, (size_t)blen, o->data_off + start)))
		return io_fail(err, o, "writing", -rc);
	set_bit(o, b);
	return 0;
}

/* Whole blocks [first, last) get src (NULL: zeros, by punching the data area). */
static int whole_blocks(struct lb_overlay *o, uint64_t first, uint64_t last, const uint8_t *src,
                        struct lb_err *err)
{
	uint64_t start = first * BS, end = last * BS < o->size ? last * BS : o->size;
	int rc;
	if (first >= last)
		return 0;
	if (src) {
		if ((rc = lb_pwrite_full(o->fd, src, (size_t)(end - start), o->data_off + start)))
			return io_fail(err, o, "writing", -rc);
	} else if (fallocate(o->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
	                     (off_t)(o->data_off + start), (off_t)(end - start))) {
		static const uint8_t zero[BS];
		for (uint64_t p = start; p < end; p += BS)
			if ((rc = lb_pwrite_full(o->fd, zero, end - p < BS ? end - p : BS,
			                         o->data_off + p)))
				return io_fail(err, o, "writing", -rc);
	}
	for (uint64_t b = first; b < last; b++)
		set_bit(o, b);
	return 0;
}

static int write_range(struct lb_overlay *o, struct lb_imgread_worker *w, const uint8_t *src,
                       uint64_t len, uint64_t off, struct lb_err *err)
{
	uint64_t end = off + len, first, last;
	int rc = 0;
	if ((rc = outside(o, len, off, err)) || !len)
		return rc;
	pthread_rwlock_wrlock(&o->lock);
	first = (off + BS - 1) / BS;                 /* whole blocks: [first, last) */
	last = end == o->size ? o->nblocks : end / BS;
	if (first > last) {                          /* inside one block */
		rc = patch_block(o, w, off / BS, src, off % BS, (size_t)len, err);
		goto out;
	}
	if (off % BS && (rc = patch_block(o, w, off / BS, src, off % BS,
	                                  (size_t)(BS - off % BS < len ? BS - off % BS : len), err)))
		goto out;
	if ((rc = whole_blocks(o, first, last, src ? src + (first * BS - off) : NULL, err)))
		goto out;
	if (last < o->nblocks && last * BS < end && last * BS >= off)
		rc = patch_block(o, w, last, src ? src + (last * BS - off) : NULL, 0,
		                 (size_t)(end - last * BS), err);
out:
	pthread_rwlock_unlock(&o->lock);
	return rc;
}

int lb_overlay_pwrite(struct lb_overlay *o, struct lb_imgread_worker *w, const void *buf,
                      size_t len, uint64_t off, struct lb_err *err)
{
	return write_range(o, w, buf, len, off, err);
}

int lb_overlay_zero(struct lb_overlay *o, struct lb_imgread_worker *w, uint64_t len, uint64_t off,
                    struct lb_err *err)
{
	return write_range(o, w, NULL, len, off, err);
}

int lb_overlay_flush(struct lb_overlay *o, struct lb_err *err)
{
	if (msync(o->bm, o->bm_len ? o->bm_len : 1, MS_SYNC) || fdatasync(o->fd))
		return io_fail(err, o, "syncing", errno);
	return 0;
}
