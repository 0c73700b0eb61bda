/* fs_ntfs.h — libntfs-3g over the engine's I/O layer, shared by fs_ntfs.c (the used-cluster
 * map) and fs_ntfs_damage.c (which files sit on unreadable sectors). Only with LB_HAVE_NTFS3G. */
#ifndef LB_FS_NTFS_H
#define LB_FS_NTFS_H
#include <sys/stat.h>   /* first: ntfstime.h defines struct timespec unless st_mtime is */
#include "fs.h"
#include <ntfs-3g/types.h>
#include <ntfs-3g/device.h>
#include <ntfs-3g/volume.h>
#include <ntfs-3g/attrib.h>
#include <ntfs-3g/inode.h>

/* The device libntfs-3g reads: the area [off, off+size) of the engine's handle. */
struct ntfs_io {
	struct lb_dev *d;
	uint64_t off, size;
	s64 pos;
	unsigned writes;        /* write attempts refused (none expected: mounted read-only) */
	char err[160];          /* the cause of the first read that failed */
};
struct lb_ntfs {
	struct ntfs_io io;
	struct ntfs_device *dev;
	ntfs_volume *vol;
};

/* Mounts the area read-only through the engine's handle (libntfs-3g never sees the device
 * itself, and every write it might try fails with EROFS); 0, or -1 with why filled. */
int lb_ntfs_open(struct lb_dev *d, uint64_t off, uint64_t size, struct lb_ntfs *o, char *why,
                 size_t whylen);
void lb_ntfs_close(struct lb_ntfs *o);
void lb_ntfs_damage(struct lb_dev *d, uint64_t off, uint64_t size, const struct lb_extents *bad,
                    char **text);
#endif
