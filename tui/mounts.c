/* mounts.c — the only place the TUI mounts anything: destination filesystems read-write under
 * /mnt for a backup, other filesystems read-only to look for images. Never the source disk
 * (callers pass only partitions of other disks), and never in --disk mode. Everything mounted
 * here is unmounted when Lifeboat leaves or before a reboot. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <unistd.h>
#include "ui.h"

#define MAXOURS 32
static struct { char dir[512]; int rw; } ours[MAXOURS];
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
		if (ours_ && mount(NULL, dir, NULL, MS_REMOUNT | MS_NOSUID | MS_NODEV, NULL) == 0) return 0;
		err->code = LB_EREFUSED;
		snprintf(err->msg, sizeof err->msg, "%s is mounted read-only at %s, so nothing can be "
			 "saved there.", dev, dir);
		return -EROFS;
	}
	free(m);
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
	static const char *const try_types[] = { "ext4", "vfat", "exfat", "ntfs3", "xfs", "btrfs",
		"f2fs", NULL };
	unsigned long flags = MS_NOSUID | MS_NODEV | (ro ? MS_RDONLY : 0);
	int rc = -1, e = 0;
	const char *t = fstype && *fstype ? fstype : NULL;
	if (t && !strcmp(t, "swap")) t = NULL;
	if (t) {
		rc = mount(dev, dir, !strcmp(t, "ext2") || !strcmp(t, "ext3") ? "ext4" : t, flags, NULL);
		e = errno;
	}
	for (int i = 0; rc < 0 && try_types[i]; i++) {
		rc = mount(dev, dir, try_types[i], flags, NULL);
		if (rc < 0 && !e) e = errno;
	}
	if (rc < 0) {
		rmdir(dir);
		err->code = LB_EIO;
		snprintf(err->msg, sizeof err->msg, "Could not mount %s%s: %s. It may need repair "
			 "(or was not shut down cleanly, if it is from Windows).", dev,
			 ro ? " read-only" : "", strerror(e));
		return -e;
	}
	if (nours < MAXOURS) {
		snprintf(ours[nours].dir, sizeof ours[nours].dir, "%s", dir);
		ours[nours++].rw = !ro;
	}
	return 0;
}

void mounts_release(void)
{
	sync();
	while (nours > 0) {
		nours--;
		if (umount(ours[nours].dir) == 0 || umount2(ours[nours].dir, MNT_DETACH) == 0)
			rmdir(ours[nours].dir);
	}
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
