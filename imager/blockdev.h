/* blockdev.h — the engine's one block I/O interface: a handle (struct lb_dev) over a table of
 * operations (struct lb_dev_ops, as e2fsprogs' io_manager). Implementations: block devices and
 * disk-image files (bdev_fd.c), a buffer in memory (bdev_mem.c, for unit tests and fuzz
 * targets), and fault injection wrapping another one (bdev_fault.c). Everything that reads or
 * writes a disk goes through lb_dev_* so tests exercise exactly the reads a real run makes.
 * Sources are opened read-only; only targets are opened for writing. */
#ifndef LB_BLOCKDEV_H
#define LB_BLOCKDEV_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "lifeboat.h"

struct lb_dev;

/* One implementation. Each returns 0 or -errno; reads and writes transfer exactly len bytes
 * (a read past the end is -ENODATA). Size and sector sizes are not operations but fields of
 * struct lb_dev that open fills, because the whole engine reads them directly. */
struct lb_dev_ops {
	const char *name;
	int (*pread)(struct lb_dev *d, void *buf, size_t len, uint64_t off);
	/* past any cache (rescue passes, one caller at a time); NULL: pread */
	int (*pread_direct)(struct lb_dev *d, void *buf, size_t len, uint64_t off);
	int (*pwrite)(struct lb_dev *d, const void *buf, size_t len, uint64_t off);
	/* cheap zeroing where possible; any error: the caller writes zeros itself */
	int (*zero)(struct lb_dev *d, uint64_t off, uint64_t len);
	int (*sync)(struct lb_dev *d);
	void (*drop_cache)(struct lb_dev *d);   /* NULL: nothing cached */
	void (*close)(struct lb_dev *d);        /* frees priv */
	/* as lseek SEEK_DATA / SEEK_HOLE: the next data or hole at or after off; -ENXIO: no data
	 * after off; other errors: cannot tell (so read everything). NULL: -EOPNOTSUPP */
	int64_t (*seek)(struct lb_dev *d, uint64_t off, int whence);
	/* the size now (a vanished or shrunk device is no longer what open saw); NULL: d->size */
	int (*get_size)(struct lb_dev *d, uint64_t *size);
};

struct lb_dev {
	const struct lb_dev_ops *ops;   /* NULL: not open (closing is then a no-op) */
	void *priv;                     /* the implementation's own state */
	/* every implementation fills these */
	char path[256];                 /* for messages; a real path only for devices and files */
	uint64_t size;
	unsigned lsec, psec;            /* logical and physical sector sizes */
	int writable;
	/* devices and files (bdev_fd.c); fd is -1 and the rest 0 for other implementations */
	int fd;
	int is_blk;
	dev_t rdev;             /* block devices: the device number */
	dev_t st_dev;           /* files: the filesystem holding them, and the inode */
	ino_t ino;
};

/* Devices and files, then the test hooks on read-only handles (LIFEBOAT_FAULTS,
 * LIFEBOAT_FAULT_DELAY, LIFEBOAT_READLOG: see bdev_fault.c).
 * writable: 0 read-only, 1 read-write, 2 read-write and exclusive (block devices: O_EXCL) */
int lb_dev_open(struct lb_dev *d, const char *path, int writable, struct lb_err *err);
/* bdev_fd.c alone, without fault injection */
int lb_dev_open_fd(struct lb_dev *d, const char *path, int writable, struct lb_err *err);
/* A disk of size bytes whose first len bytes are buf (not copied; the caller keeps it alive
 * until close). The rest reads as zeros and cannot be written (-ENOSPC), so a fuzz input can
 * stand for a large, mostly empty disk. size < len means len. Writes need writable. */
int lb_dev_open_mem(struct lb_dev *d, void *buf, size_t len, uint64_t size, int writable);
/* Wraps the open handle d so reads touching a listed range fail: spec is LIFEBOAT_FAULTS'
 * syntax, "OFF+LEN[,OFF+LEN...][,gone@X]" in bytes. Writes pass through. On error d is
 * unchanged. lb_dev_test_hooks does it from the environment (nothing when no hook is set). */
int lb_dev_add_faults(struct lb_dev *d, const char *spec, struct lb_err *err);
int lb_dev_test_hooks(struct lb_dev *d, struct lb_err *err);
void lb_dev_close(struct lb_dev *d);
/* Reads exactly len bytes at off: 0 or -errno (-EIO for an injected fault). */
int lb_dev_pread(struct lb_dev *d, void *buf, size_t len, uint64_t off);
/* Like lb_dev_pread, but past the page cache on block devices (O_DIRECT) when off and len are
 * whole logical sectors, so one unreadable sector does not take its neighbours with it. For
 * the rescue passes; one caller at a time. */
int lb_dev_pread_direct(struct lb_dev *d, void *buf, size_t len, uint64_t off);
/* Reads exactly len bytes at off; a short read (past the end) is an error. */
int lb_dev_read(struct lb_dev *d, void *buf, size_t len, uint64_t off, struct lb_err *err);
int lb_dev_write(struct lb_dev *d, const void *buf, size_t len, uint64_t off, struct lb_err *err);
/* Makes [off, off+len) read as zeros, cheaply where the device or filesystem can. */
int lb_dev_zero(struct lb_dev *d, uint64_t off, uint64_t len, struct lb_err *err);
int lb_dev_sync(struct lb_dev *d, struct lb_err *err);
/* After sync: make later reads come from the medium, not the page cache. */
void lb_dev_drop_cache(struct lb_dev *d);
/* Where data (whence SEEK_DATA) or a hole (SEEK_HOLE) next starts at or after off, so sparse
 * image files are not read byte by byte; an injected fault counts as data. -errno as above. */
int64_t lb_dev_seek(struct lb_dev *d, uint64_t off, int whence);
/* The device's size asked again (d->size is what open saw): 0 or -errno. */
int lb_dev_get_size(struct lb_dev *d, uint64_t *size);
/* Plain read/write loops with EINTR and short-transfer handling; return 0 or -errno. */
int lb_pread_full(int fd, void *buf, size_t len, uint64_t off);
int lb_pwrite_full(int fd, const void *buf, size_t len, uint64_t off);
int lb_read_full(int fd, void *buf, size_t len, size_t *got);
int lb_write_full(int fd, const void *buf, size_t len);
#endif
