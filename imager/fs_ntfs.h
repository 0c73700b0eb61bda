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
/* lb_ntfs_walk's callbacks: 0 goes on, negative stops the walk (-1 with why filled: out of
 * memory). run: one run of clusters of record rec's attributes; 1 skips the rest of that
 * record. done: after a record's runs, hit = 1 when run returned 1. unreadable: a record the
 * $MFT's bitmap marks in use that cannot be read or whose attributes cannot be walked. */
struct lb_ntfs_walk {
	int (*run)(void *priv, uint64_t rec, int64_t lcn, int64_t len);
	int (*done)(void *priv, uint64_t rec, int hit);   /* optional */
	int (*unreadable)(void *priv, uint64_t rec, int err);
	void *priv;
};
/* Every base MFT record the $MFT's bitmap marks in use (all: and any whose own header says in
 * use); 0, or -1 with why filled. */
int lb_ntfs_walk(struct lb_ntfs *o, int all, const struct lb_ntfs_walk *w, char *why, size_t whylen);
void lb_ntfs_damage(struct lb_dev *d, uint64_t off, uint64_t size, const struct lb_extents *bad,
                    char **text);
#endif
