/* blockdev.h — one handle for block devices and plain disk-image files. Sources are opened
 * read-only; only targets are opened for writing. */
#ifndef LB_BLOCKDEV_H
#define LB_BLOCKDEV_H
#include <stdint.h>
#include <sys/types.h>
#include "lifeboat.h"

struct lb_dev {
	int fd;
	int is_blk, writable;
	char path[256];
	uint64_t size;
	unsigned lsec, psec;
	dev_t rdev;             /* block devices: the device number */
	dev_t st_dev;           /* files: the filesystem holding them, and the inode */
	ino_t ino;
	/* Test hook: byte ranges that read as I/O errors (LIFEBOAT_FAULTS="off+len,..."), so
	 * rescue reading is tested on the same code path a failing disk takes. Sources only.
	 * Also "gone@X" in the list (below), LIFEBOAT_FAULT_DELAY=ms (a failing read takes that
	 * long, like a disk retrying) and LIFEBOAT_READLOG=file (tests count reads). */
	int nfaults;
	uint64_t faults[64][2];
	uint64_t gone_at;       /* "gone@X" + 1: from the first read covering byte X on, every read
	                         * fails with ENODEV, as from an unplugged disk (0 = never) */
	int gone;
	unsigned fault_delay_ms; /* LIFEBOAT_FAULT_DELAY: a failing read takes this long */
	int readlog;            /* LIFEBOAT_READLOG: fd + 1 of a file logging every read */
	/* rescue reads bypass the page cache (O_DIRECT), or a bad sector costs its whole page */
	int direct_fd;          /* valid when direct_open */
	int direct_open;
	void *bounce;           /* aligned buffer for direct reads */
};

/* writable: 0 read-only, 1 read-write, 2 read-write and exclusive (block devices: O_EXCL) */
int lb_dev_open(struct lb_dev *d, const char *path, int writable, struct lb_err *err);
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
/* Plain read/write loops with EINTR and short-transfer handling; return 0 or -errno. */
int lb_pread_full(int fd, void *buf, size_t len, uint64_t off);
int lb_pwrite_full(int fd, const void *buf, size_t len, uint64_t off);
int lb_read_full(int fd, void *buf, size_t len, size_t *got);
int lb_write_full(int fd, const void *buf, size_t len);
#endif
