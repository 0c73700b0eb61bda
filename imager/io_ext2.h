/* io_ext2.h — libext2fs reads a filesystem through the engine's source handle (lb_dev_pread)
 * instead of re-opening the device by name: the read-only handle, fault injection and
 * whatever implements the device are then in every block libext2fs reads. */
#ifndef LB_IO_EXT2_H
#define LB_IO_EXT2_H
#include <stdint.h>
#include <ext2fs/ext2fs.h>
#include "blockdev.h"

/* ext2fs_open2 on the filesystem at [off, off+size) of d, read-only (EXT2_FLAG_RW is refused;
 * every write through it fails). Reads outside the area fail as short reads. d must outlive
 * the filesystem handle. Also registers libext2fs' error table, so error_message() names
 * its codes. */
errcode_t lb_ext2_open(struct lb_dev *d, uint64_t off, uint64_t size, int flags, ext2_filsys *fs);

/* The last read through fs that failed: its byte offset inside the area and its length; the
 * error code is returned (0: none failed). */
errcode_t lb_ext2_last_failure(ext2_filsys fs, uint64_t *off, uint64_t *len);

/* Bytes read through fs so far. */
uint64_t lb_ext2_bytes_read(ext2_filsys fs);
#endif
