/* io_ext2.h — libext2fs reads a filesystem through the engine's source handle (lb_dev_pread)
 * instead of re-opening the device by name: the read-only handle, fault injection and
 * whatever implements the device are then in every block libext2fs reads. */
#ifndef LB_IO_EXT2_H
#define LB_IO_EXT2_H
#include <stdint.h>
#include <sys/types.h>   /* before ext2fs.h: musl's headers do not pull it in */
#include <ext2fs/ext2fs.h>
#include "blockdev.h"
#include "jbd2.h"

/* ext2fs_open2 on the filesystem at [off, off+size) of d, read-only (EXT2_FLAG_RW is refused;
 * every write through it fails). Reads outside the area fail as short reads. d must outlive
 * the filesystem handle. Also registers libext2fs' error table, so error_message() names
 * its codes. */
errcode_t lb_ext2_open(struct lb_dev *d, uint64_t off, uint64_t size, int flags, ext2_filsys *fs);

/* lb_ext2_open on the replayed view: every read gets the journal's replayed blocks and the
 * view's superblock laid over it (lb_jbd2_view_patch). view must outlive the handle. */
errcode_t lb_ext2_open_view(struct lb_dev *d, uint64_t off, uint64_t size, int flags,
                            const struct lb_jbd2_view *view, ext2_filsys *fs);

/* How many reads through fs failed with an I/O error so far (reads past the area, which only
 * a corrupt pointer asks for, are not counted); the last one's byte offset inside the area and
 * error code go to *off and *err when there was one. */
unsigned lb_ext2_faults(ext2_filsys fs, uint64_t *off, errcode_t *err);

/* Bytes read through fs so far. */
uint64_t lb_ext2_bytes_read(ext2_filsys fs);
#endif
