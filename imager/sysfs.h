/* sysfs.h — what the kernel knows about block devices: identity, transport, partitions,
 * and whether anything (a mount, swap, a device-mapper holder) is using them. */
#ifndef LB_SYSFS_H
#define LB_SYSFS_H
#include <stddef.h>
#include <sys/types.h>
#include "lifeboat.h"

#define LB_MAX_DEVS_IN_USE_CHECK 300

/* Whole-disk device number for a disk or partition device number. */
dev_t lb_whole_disk(dev_t dev);
/* Fills model, serial, transport, removable, ro for the disk with this device number. */
void lb_sysfs_identity(dev_t disk, struct lb_disk_info *d);
/* Where the disk (or any of its partitions) is in use: mounted, swap, or held by another
 * device. Returns 1 with what (e.g. "/dev/sdb2 is mounted on /mnt") filled, else 0. */
int lb_disk_in_use(dev_t disk, char *what, size_t len);
/* Mount point of exactly this device number, or 0 when not mounted. */
int lb_mountpoint_of(dev_t dev, char *mp, size_t len);
/* Device number of the kernel's partition `number` of disk, or 0. */
dev_t lb_partition_dev(dev_t disk, int number, char *name, size_t len);
/* For files: a loop device backed by this file, 0 when none. */
dev_t lb_loop_backing(dev_t st_dev, ino_t ino);
/* Every loop device backed by this file (up to max, in out); returns how many. */
int lb_loops_backed_by(dev_t st_dev, ino_t ino, dev_t *out, int max);
/* For a loop device: the file behind it (1), else 0. */
int lb_loop_file_of(dev_t dev, dev_t *st_dev, ino_t *ino);
/* 2 when a filesystem on exactly this device is mounted read-write (mp: where), 1 when it is
 * mounted read-only only, 0 when not mounted. */
int lb_mount_state(dev_t dev, char *mp, size_t len);
/* The same for a disk (and, with_parts, each of its partitions): the highest state found, with
 * what filled ("/dev/sdb2 is mounted read-write on /mnt"). */
int lb_disk_mount_state(dev_t disk, int with_parts, char *what, size_t len);
#endif
