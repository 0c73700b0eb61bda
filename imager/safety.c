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

/* A 0-byte target (a card reader with no card, an unattached loop device, an empty file)
 * would take nothing and report success. */
static int check_not_empty(const char *target, struct lb_err *err)
{
	struct lb_dev d;
	struct lb_err e = { 0 };
	uint64_t size;
	if (lb_dev_open(&d, target, 0, &e))
		return 0;   /* opening it for writing says what is wrong */
	size = d.size;
	lb_dev_close(&d);
	if (!size)
		return lb_fail(err, LB_EREFUSED, "refusing to write to %s: it is empty (0 bytes): a "
		               "card reader with no card, a loop device with no file attached, or an "
		               "empty file (to restore into a new disk-image file, give it a size first, "
		               "e.g. truncate -s 20G FILE)", target);
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
	if ((rc = check_not_empty(target, err)))
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

/* The highest mount state among the devices that show the source's bytes: the disk (and its
 * partitions when it is a whole disk), and every loop device over the source file — or over
 * the file behind a loop device given as the source. */
static int source_mount_state(const struct lb_dev *src, char *what, size_t len)
{
	dev_t loops[32], fdev;
	ino_t fino;
	int state = 0, n = 0;
	if (src->is_blk) {
		dev_t whole = lb_whole_disk(src->rdev);
		state = lb_disk_mount_state(src->rdev, src->rdev == whole, what, len);
		if (src->rdev == whole && lb_loop_file_of(src->rdev, &fdev, &fino))
			n = lb_loops_backed_by(fdev, fino, loops, 32);
	} else {
		n = lb_loops_backed_by(src->st_dev, src->ino, loops, 32);
	}
	for (int i = 0; i < n && state < 2; i++) {
		char w[512];
		int s = loops[i] == src->rdev ? 0 : lb_disk_mount_state(loops[i], 1, w, sizeof w);
		if (s > state) {
			snprintf(what, len, "%s (a loop device over %s)", w, src->is_blk ? "the same file" :
			         src->path);
			state = s;
		}
	}
	return state;
}

int lb_check_source(const struct lb_dev *src, const char *verb, int allow_mounted, char *note,
                    size_t len, struct lb_err *err)
{
	char what[768];
	int state;
	if (note && len)
		note[0] = 0;
	if (!src->size)
		return lb_fail(err, LB_EREFUSED, "refusing to %s %s: it is empty (0 bytes): a card "
		               "reader with no card, a loop device with no file attached, or an empty "
		               "file? Insert the medium or pick another source", verb, src->path);
	state = source_mount_state(src, what, sizeof what);
	if (state == 2 && !allow_mounted)
		return lb_fail(err, LB_EREFUSED, "refusing to %s %s: %s, so it changes while it is "
		               "copied. Unmount it or remount it read-only (mount -o remount,ro), or "
		               "allow it (--allow-mounted) for a copy that is crash-consistent at best",
		               verb, src->path, what);
	if (state == 2 && note)
		snprintf(note, len, "%s: this copy is crash-consistent at best (as after a power cut)",
		         what);
	else if (state == 1 && note)
		snprintf(note, len, "%s: nothing can change it while it is copied", what);
	return 0;
}
