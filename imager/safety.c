/* Wrong-disk protection. Every refusal says what was found and what to do instead. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "err.h"
#include "safety.h"
#include "sysfs.h"

struct ident {
	int is_blk;
	dev_t rdev, whole;           /* block devices */
	dev_t st_dev;                /* files */
	ino_t ino;
};

static int ident_of(const char *path, struct ident *id)
{
	struct stat st;
	memset(id, 0, sizeof *id);
	if (stat(path, &st) < 0)
		return -1;
	if (S_ISBLK(st.st_mode)) {
		id->is_blk = 1;
		id->rdev = st.st_rdev;
		id->whole = lb_whole_disk(st.st_rdev);
	} else {
		id->st_dev = st.st_dev;
		id->ino = st.st_ino;
	}
	return 0;
}

/* The whole disk that stores the file at path (or would, for a file not yet created). */
static dev_t disk_storing(const char *path, dev_t *loop_file_dev, ino_t *loop_file_ino)
{
	struct stat st;
	char copy[PATH_MAX];
	*loop_file_dev = 0;
	*loop_file_ino = 0;
	if (stat(path, &st) < 0) {
		snprintf(copy, sizeof copy, "%s", path);
		if (stat(dirname(copy), &st) < 0)
			return 0;
	}
	if (S_ISBLK(st.st_mode))
		return lb_whole_disk(st.st_rdev);
	return lb_whole_disk(st.st_dev);
}

static int in_use(const struct ident *t, const char *target, struct lb_err *err)
{
	char what[512], mp[PATH_MAX];
	if (t->is_blk) {
		int busy = t->rdev == t->whole ? lb_disk_in_use(t->whole, what, sizeof what)
		                               : lb_mountpoint_of(t->rdev, mp, sizeof mp);
		if (busy && t->rdev != t->whole)
			snprintf(what, sizeof what, "%s is mounted on %s", target, mp);
		if (busy)
			return lb_fail(err, LB_EREFUSED, "refusing to write to %s: %s. Unmount it (umount) "
			               "or pick another target", target, what);
	} else {
		dev_t loop = lb_loop_backing(t->st_dev, t->ino);
		if (loop && lb_disk_in_use(loop, what, sizeof what))
			return lb_fail(err, LB_EREFUSED, "refusing to write to %s: it backs loop device "
			               "%u:%u and %s. Unmount it first", target, major(loop), minor(loop),
			               what);
	}
	return 0;
}

int lb_check_target(const char *target, const char *image, const char *source, struct lb_err *err)
{
	struct ident t, o;
	int rc;
	if (ident_of(target, &t) < 0)
		return lb_fail(err, errno == ENOENT ? LB_ENOENT : LB_EIO, "cannot use %s as the target: "
		               "%s%s", target, strerror(errno), errno == ENOENT ? " (to restore into a new "
		               "disk-image file, create it first, e.g. truncate -s 20G FILE)" : "");
	if ((rc = in_use(&t, target, err)))
		return rc;
	if (image && strcmp(image, "-") && ident_of(image, &o) == 0) {
		dev_t fdev;
		ino_t fino;
		if (!t.is_blk && !o.is_blk && o.st_dev == t.st_dev && o.ino == t.ino)
			return lb_fail(err, LB_EREFUSED, "refusing to restore %s onto itself", image);
		if (t.is_blk && disk_storing(image, &fdev, &fino) == t.whole)
			return lb_fail(err, LB_EREFUSED, "refusing to write to %s: the image %s is stored "
			               "on that disk. Keep images on another disk", target, image);
	}
	if (source && ident_of(source, &o) == 0) {
		if (t.is_blk && o.is_blk && t.whole == o.whole)
			return lb_fail(err, LB_EREFUSED, "refusing to clone: %s and %s are the same disk%s",
			               source, target, t.rdev != o.rdev ? " (one is a partition of the "
			               "other)" : "");
		if (!t.is_blk && !o.is_blk && t.st_dev == o.st_dev && t.ino == o.ino)
			return lb_fail(err, LB_EREFUSED, "refusing to clone %s onto itself", source);
		if (t.is_blk && !o.is_blk && lb_whole_disk(o.st_dev) == t.whole)
			return lb_fail(err, LB_EREFUSED, "refusing to write to %s: the source file %s is "
			               "stored on that disk", target, source);
	}
	return 0;
}

int lb_check_image_dest(const struct lb_dev *src, const char *image, struct lb_err *err)
{
	dev_t fdev;
	ino_t fino;
	struct ident o;
	if (!strcmp(image, "-"))
		return 0;
	if (ident_of(image, &o) == 0 && !o.is_blk && !src->is_blk && o.st_dev == src->st_dev &&
	    o.ino == src->ino)
		return lb_fail(err, LB_EREFUSED, "refusing to write the image over its own source %s",
		               src->path);
	if (ident_of(image, &o) == 0 && o.is_blk)
		return lb_fail(err, LB_EUSAGE, "%s is a block device: the image must be a file (to "
		               "copy a disk to a disk, use 'lifeboat clone')", image);
	if (src->is_blk && disk_storing(image, &fdev, &fino) == lb_whole_disk(src->rdev))
		return lb_fail(err, LB_EREFUSED, "refusing to save the image on %s: that is the disk "
		               "being backed up, and Lifeboat never writes to a source. Save it on "
		               "another disk", src->path);
	return 0;
}
