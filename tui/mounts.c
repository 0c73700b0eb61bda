/* mounts.c — the only place the TUI mounts anything: destination filesystems read-write under
 * /mnt for a backup, and a filesystem the person chose to look for images on, read-only. Never
 * the source disk (callers pass only partitions of other disks), and never in --disk mode with
 * image files. Everything mounted here is unmounted when Lifeboat leaves or before a reboot;
 * looking mounts are unmounted as soon as an image is chosen (mounts_release_looks).
 *
 * A read-only mount is not enough to leave a disk alone: ext4 replays its journal and cleans up
 * orphan inodes on a read-only mount, XFS replays its log, btrfs its log tree. A disk being
 * rescued must not be written, so a looking mount (1) marks the block device read-only
 * (BLKROSET: the kernel then refuses every write, and ext4 skips replay and orphan cleanup),
 * (2) tells the filesystem not to recover (noload, norecovery, rescue=nologreplay), and
 * (3) is nosuid,nodev,noexec: nothing on a foreign disk runs or opens devices. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <unistd.h>
#include "ui.h"

#define MAXOURS 32
/* what this process mounted; ro_was >= 0: we marked the device read-only and it was ro_was */
static struct { char dir[512], dev[64]; int rw, ro_was; } ours[MAXOURS];
static int nours;

static int real_fs(const char *type)
{
	static const char *const real[] = { "ext2", "ext3", "ext4", "vfat", "msdos", "exfat", "ntfs",
		"ntfs3", "fuseblk", "xfs", "btrfs", "f2fs", "jfs", "reiserfs", "hfsplus", "udf",
		"iso9660", NULL };
	for (int i = 0; real[i]; i++)
		if (!strcmp(real[i], type)) return 1;
	return 0;
}

/* /proc/mounts escapes spaces and such as \040 */
static void unescape(char *s)
{
	char *o = s;
	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' && s[2] && s[3]) {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else *o++ = *s;
	}
	*o = 0;
}

int mounts_read(struct mnt_ent **out)
{
	*out = NULL;
	FILE *f = fopen("/proc/self/mounts", "r");
	if (!f) return 0;
	int n = 0, cap = 0;
	char line[2048];
	while (fgets(line, sizeof line, f)) {
		char dev[512], dir[1024], type[64], opts[512];
		if (sscanf(line, "%511s %1023s %63s %511s", dev, dir, type, opts) != 4) continue;
		if (!real_fs(type)) continue;
		unescape(dev);
		unescape(dir);
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			struct mnt_ent *v = realloc(*out, cap * sizeof **out);
			if (!v) break;
			*out = v;
		}
		struct mnt_ent *m = &(*out)[n++];
		memset(m, 0, sizeof *m);
		snprintf(m->dev, sizeof m->dev, "%s", dev);
		snprintf(m->dir, sizeof m->dir, "%s", dir);
		snprintf(m->type, sizeof m->type, "%s", type);
		m->ro = !strncmp(opts, "ro", 2) && (opts[2] == ',' || !opts[2]);
		for (int i = 0; i < nours; i++)
			if (!strcmp(ours[i].dir, dir)) m->ours = 1;
	}
	fclose(f);
	return n;
}

const char *mount_of_dev(const char *dev)
{
	static char dir[1024];
	struct mnt_ent *v;
	int n = mounts_read(&v);
	const char *r = NULL;
	for (int i = 0; i < n && !r; i++)
		if (!strcmp(v[i].dev, dev)) { snprintf(dir, sizeof dir, "%s", v[i].dir); r = dir; }
	free(v);
	return r;
}

/* The block device's read-only flag: set it (returning what it was, or -1 when it could not be
 * set), or put back what it was. */
static int dev_ro_set(const char *dev)
{
	int fd = open(dev, O_RDONLY | O_CLOEXEC), was = 0, on = 1;
	if (fd < 0) return -1;
	if (ioctl(fd, BLKROGET, &was) < 0 || ioctl(fd, BLKROSET, &on) < 0) was = -1;
	close(fd);
	return was;
}

static void dev_ro_restore(const char *dev, int was)
{
	int fd = open(dev, O_RDONLY | O_CLOEXEC);
	if (fd < 0) return;
	ioctl(fd, BLKROSET, &was);
	close(fd);
}

const char *mount_needs_recovery(const char *dev, const char *fstype)
{
	unsigned char sb[1024];
	if (!fstype || strncmp(fstype, "ext", 3)) return NULL;
	int fd = open(dev, O_RDONLY | O_CLOEXEC);
	if (fd < 0) return NULL;
	ssize_t n = pread(fd, sb, sizeof sb, 1024);
	close(fd);
	if (n != (ssize_t)sizeof sb || sb[0x38] != 0x53 || sb[0x39] != 0xef) return NULL;
	unsigned incompat = sb[0x60] | sb[0x61] << 8 | (unsigned)sb[0x62] << 16 | (unsigned)sb[0x63] << 24;
	unsigned state = sb[0x3a] | sb[0x3b] << 8;
	unsigned orphan = sb[0xe8] | sb[0xe9] << 8 | (unsigned)sb[0xea] << 16 | (unsigned)sb[0xeb] << 24;
	if (incompat & 0x4) return "its journal holds changes that were never written out";
	if (orphan) return "it holds files that were deleted while still open";
	if (state & 0x2) return "it is marked as having errors";
	if (!(state & 0x1)) return "it was not unmounted cleanly";
	return NULL;
}

/* Mount options that keep a filesystem from writing while it is looked at. */
static const char *look_opts(const char *type)
{
	if (!strcmp(type, "ext4")) return "noload";
	if (!strcmp(type, "xfs") || !strcmp(type, "f2fs")) return "norecovery";
	if (!strcmp(type, "btrfs")) return "rescue=nologreplay";
	return NULL;
}

/* the kernel's name for an engine's filesystem name */
static const char *kernel_type(const char *fs)
{
	if (!fs || !*fs || !strcmp(fs, "swap")) return NULL;
	if (!strcmp(fs, "ext2") || !strcmp(fs, "ext3")) return "ext4";
	if (!strcmp(fs, "ntfs")) return "ntfs3";
	return fs;
}

static void forget(int i)
{
	if (ours[i].ro_was >= 0) dev_ro_restore(ours[i].dev, ours[i].ro_was);
	ours[i] = ours[--nours];
}

/* 0 when unmounted (and the device's read-only flag put back) */
static int release_one(int i)
{
	if (ours[i].rw) sync();
	if (umount(ours[i].dir) < 0 && umount2(ours[i].dir, MNT_DETACH) < 0) return -1;
	rmdir(ours[i].dir);
	forget(i);
	return 0;
}

int mount_dev(const char *dev, const char *fstype, int ro, char *dir, size_t dlen,
	      struct lb_err *err)
{
	memset(err, 0, sizeof *err);
	if (app.no_mount) {
		err->code = LB_EREFUSED;
		snprintf(err->msg, sizeof err->msg, "Lifeboat does not mount anything when it works "
			 "on disk-image files (--disk).");
		return -EPERM;
	}
	struct mnt_ent *m;
	int nm = mounts_read(&m), found = -1;
	for (int i = 0; i < nm && found < 0; i++)
		if (!strcmp(m[i].dev, dev)) found = i;
	if (found >= 0) {
		snprintf(dir, dlen, "%s", m[found].dir);
		int need_rw = !ro && m[found].ro, ours_ = m[found].ours;
		free(m);
		if (!need_rw) return 0;
		int i = 0;
		while (ours_ && i < nours && strcmp(ours[i].dir, dir)) i++;
		/* looked at read-only by us: mount it afresh, read-write (a journal not loaded
		 * cannot be remounted read-write) */
		if (!ours_ || i == nours || release_one(i) < 0) {
			err->code = LB_EREFUSED;
			snprintf(err->msg, sizeof err->msg, "%s is mounted read-only at %s, so nothing "
				 "can be saved there.", dev, dir);
			return -EROFS;
		}
	} else {
		free(m);
	}
	const char *base = strrchr(dev, '/');
	base = base ? base + 1 : dev;
	snprintf(dir, dlen, "%s/%s", app.mnt_root, base);
	mkdir(app.mnt_root, 0755);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		err->code = LB_EIO;
		snprintf(err->msg, sizeof err->msg, "Could not create the folder %s: %s.", dir,
			 strerror(errno));
		return -errno;
	}
	int ro_was = ro ? dev_ro_set(dev) : -1;
	static const char *const try_types[] = { "ext4", "vfat", "exfat", "ntfs3", "xfs", "btrfs",
		"f2fs", NULL };
	unsigned long flags = MS_NOSUID | MS_NODEV | MS_NOEXEC | (ro ? MS_RDONLY : 0);
	int rc = -1, e = 0;
	const char *t = kernel_type(fstype);
	if (t) {
		rc = mount(dev, dir, t, flags, ro ? look_opts(t) : NULL);
		e = errno;
	}
	for (int i = 0; rc < 0 && try_types[i]; i++) {
		if (t && !strcmp(t, try_types[i])) continue;
		rc = mount(dev, dir, try_types[i], flags, ro ? look_opts(try_types[i]) : NULL);
		if (rc < 0 && !e) e = errno;
	}
	if (rc < 0) {
		rmdir(dir);
		if (ro_was >= 0) dev_ro_restore(dev, ro_was);
		err->code = LB_EIO;
		snprintf(err->msg, sizeof err->msg, "Could not mount %s%s: %s. It may need repair "
			 "(or was not shut down cleanly, if it is from Windows).", dev,
			 ro ? " read-only" : "", strerror(e));
		return -e;
	}
	if (nours < MAXOURS) {
		snprintf(ours[nours].dir, sizeof ours[nours].dir, "%s", dir);
		snprintf(ours[nours].dev, sizeof ours[nours].dev, "%s", dev);
		ours[nours].rw = !ro;
		ours[nours++].ro_was = ro_was;
	}
	return 0;
}

/* is path inside dir? */
static int under(const char *path, const char *dir)
{
	size_t l = strlen(dir);
	return path && !strncmp(path, dir, l) && (path[l] == '/' || !path[l]);
}

int mounts_release_looks(const char *keep)
{
	int n = 0;
	for (int i = nours - 1; i >= 0; i--)
		if (!ours[i].rw && !under(keep, ours[i].dir) && release_one(i) == 0) n++;
	return n;
}

void mounts_release(void)
{
	sync();
	while (nours > 0)
		if (release_one(nours - 1) < 0) forget(nours - 1);
}

int path_free_space(const char *dir, uint64_t *free_bytes, char *fstype, size_t fslen)
{
	struct statvfs sv;
	struct statfs sf;
	if (statvfs(dir, &sv) < 0) return -errno;
	*free_bytes = (uint64_t)sv.f_bavail * sv.f_frsize;
	if (fstype && fslen) {
		fstype[0] = 0;
		if (statfs(dir, &sf) == 0) {
			switch ((unsigned long)sf.f_type) {
			case 0x4d44: snprintf(fstype, fslen, "vfat"); break;
			case 0xEF53: snprintf(fstype, fslen, "ext4"); break;
			case 0x2011BAB0: snprintf(fstype, fslen, "exfat"); break;
			case 0x5346544e: snprintf(fstype, fslen, "ntfs"); break;
			case 0x01021994: snprintf(fstype, fslen, "tmpfs"); break;
			default: snprintf(fstype, fslen, "other"); break;
			}
		}
	}
	const char *fake = getenv("LIFEBOAT_TEST_FREE");   /* tests: pretend this many bytes are free */
	if (fake && *fake) *free_bytes = strtoull(fake, NULL, 10);
	return 0;
}
