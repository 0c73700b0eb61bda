/* Block devices as the kernel describes them in /sys and /proc. */
#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "sysfs.h"

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	size_t n;
	if (!f)
		return -1;
	if (!fgets(buf, (int)len, f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	n = strlen(buf);
	while (n && isspace((unsigned char)buf[n - 1]))
		buf[--n] = 0;
	return 0;
}

static void sys_path(dev_t dev, char *out, size_t len)
{
	char link[64];
	snprintf(link, sizeof link, "/sys/dev/block/%u:%u", major(dev), minor(dev));
	if (!realpath(link, out))
		snprintf(out, len, "%s", link);
}

static dev_t parse_dev(const char *s)
{
	unsigned ma, mi;
	return sscanf(s, "%u:%u", &ma, &mi) == 2 ? makedev(ma, mi) : 0;
}

dev_t lb_whole_disk(dev_t dev)
{
	char p[PATH_MAX], f[PATH_MAX + 32], v[32];
	sys_path(dev, p, sizeof p);
	snprintf(f, sizeof f, "%s/partition", p);
	if (access(f, F_OK) != 0)
		return dev;
	snprintf(f, sizeof f, "%s/../dev", p);
	return read_line(f, v, sizeof v) == 0 ? parse_dev(v) : dev;
}

static void trim_copy(char *dst, size_t len, const char *src)
{
	while (isspace((unsigned char)*src))
		src++;
	snprintf(dst, len, "%s", src);
	for (size_t n = strlen(dst); n && isspace((unsigned char)dst[n - 1]);)
		dst[--n] = 0;
	/* firmware strings (model, VPD serial) are bytes the device chose */
	lb_sanitize(dst);
}

void lb_sysfs_identity(dev_t disk, struct lb_disk_info *d)
{
	char p[PATH_MAX], f[PATH_MAX + 32], v[256];
	sys_path(disk, p, sizeof p);
	snprintf(f, sizeof f, "%s/device/model", p);
	if (read_line(f, v, sizeof v) == 0)
		trim_copy(d->model, sizeof d->model, v);
	snprintf(f, sizeof f, "%s/device/serial", p);
	if (read_line(f, v, sizeof v) == 0)
		trim_copy(d->serial, sizeof d->serial, v);
	if (!d->serial[0]) {
		/* SCSI/SATA: the unit serial number VPD page (4-byte header, then text) */
		FILE *fp;
		snprintf(f, sizeof f, "%s/device/vpd_pg80", p);
		fp = fopen(f, "re");
		if (fp) {
			size_t n = fread(v, 1, sizeof v - 1, fp);
			fclose(fp);
			if (n > 4) {
				v[n] = 0;
				trim_copy(d->serial, sizeof d->serial, v + 4);
			}
		}
	}
	if (!d->serial[0]) {
		snprintf(f, sizeof f, "%s/serial", p);   /* virtio-blk */
		if (read_line(f, v, sizeof v) == 0)
			trim_copy(d->serial, sizeof d->serial, v);
	}
	snprintf(f, sizeof f, "%s/removable", p);
	if (read_line(f, v, sizeof v) == 0)
		d->removable = atoi(v);
	snprintf(f, sizeof f, "%s/ro", p);
	if (read_line(f, v, sizeof v) == 0)
		d->readonly = atoi(v);
	{
		static const struct { const char *needle, *name; } map[] = {
			{ "/usb", "usb" }, { "/nvme", "nvme" }, { "/mmc", "mmc" }, { "/virtio", "virtio" },
			{ "/ata", "sata" }, { "/loop", "loop" }, { "/host", "scsi" },
		};
		snprintf(d->transport, sizeof d->transport, "unknown");
		for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
			if (strstr(p, map[i].needle)) {
				snprintf(d->transport, sizeof d->transport, "%s", map[i].name);
				break;
			}
	}
	if (!strcmp(d->transport, "loop") && !d->model[0]) {
		snprintf(f, sizeof f, "%s/loop/backing_file", p);
		if (read_line(f, v, sizeof v) == 0)
			trim_copy(d->model, sizeof d->model, v);
	}
}

int lb_mountpoint_of(dev_t dev, char *mp, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	int found = 0;
	if (!f)
		return 0;
	while (!found && fgets(line, sizeof line, f)) {
		char devs[32], point[PATH_MAX];
		if (sscanf(line, "%*d %*d %31s %*s %4095s", devs, point) == 2 && parse_dev(devs) == dev) {
			snprintf(mp, len, "%s", point);
			found = 1;
		}
	}
	fclose(f);
	return found;
}

static int swap_on(dev_t dev)
{
	FILE *f = fopen("/proc/swaps", "re");
	char line[4096];
	int found = 0;
	if (!f)
		return 0;
	while (!found && fgets(line, sizeof line, f)) {
		char path[PATH_MAX];
		struct stat st;
		if (sscanf(line, "%4095s", path) == 1 && stat(path, &st) == 0 && S_ISBLK(st.st_mode) &&
		    st.st_rdev == dev)
			found = 1;
	}
	fclose(f);
	return found;
}

static int has_holders(dev_t dev)
{
	char p[PATH_MAX], f[PATH_MAX + 32];
	DIR *d;
	struct dirent *e;
	int n = 0;
	sys_path(dev, p, sizeof p);
	snprintf(f, sizeof f, "%s/holders", p);
	d = opendir(f);
	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* The disk and each of its partitions (device numbers and kernel names); returns how many. */
static int disk_devs(dev_t disk, dev_t *devs, char (*names)[64], int max)
{
	char p[PATH_MAX], f[PATH_MAX + 300], v[32];
	DIR *d;
	struct dirent *e;
	int n = 0;
	sys_path(disk, p, sizeof p);
	devs[n] = disk;
	snprintf(names[n++], sizeof names[0], "%s", strrchr(p, '/') ? strrchr(p, '/') + 1 : p);
	d = opendir(p);
	while (d && (e = readdir(d)) && n < max) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(f, sizeof f, "%s/%s/partition", p, e->d_name);
		if (access(f, F_OK))
			continue;
		snprintf(f, sizeof f, "%s/%s/dev", p, e->d_name);
		if (read_line(f, v, sizeof v) == 0) {
			devs[n] = parse_dev(v);
			snprintf(names[n++], sizeof names[0], "%s", e->d_name);
		}
	}
	if (d)
		closedir(d);
	return n;
}

/* Calls check for the disk and each of its partitions until one reports use. */
int lb_disk_in_use(dev_t disk, char *what, size_t len)
{
	char mp[PATH_MAX];
	dev_t devs[LB_MAX_DEVS_IN_USE_CHECK];
	char names[LB_MAX_DEVS_IN_USE_CHECK][64];
	int n = disk_devs(disk, devs, names, LB_MAX_DEVS_IN_USE_CHECK), hit = 0;
	for (int i = 0; i < n && !hit; i++) {
		if (lb_mountpoint_of(devs[i], mp, sizeof mp)) {
			snprintf(what, len, "/dev/%s is mounted on %s", names[i], mp);
			hit = 1;
		} else if (swap_on(devs[i])) {
			snprintf(what, len, "/dev/%s is in use as swap", names[i]);
			hit = 1;
		} else if (has_holders(devs[i])) {
			snprintf(what, len, "/dev/%s is in use by another device (RAID, LVM or crypt)",
			         names[i]);
			hit = 1;
		}
	}
	return hit;
}

dev_t lb_partition_dev(dev_t disk, int number, char *name, size_t len)
{
	char p[PATH_MAX], f[PATH_MAX + 300], v[32];
	DIR *d;
	struct dirent *e;
	dev_t found = 0;
	sys_path(disk, p, sizeof p);
	d = opendir(p);
	while (d && !found && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(f, sizeof f, "%s/%s/partition", p, e->d_name);
		if (read_line(f, v, sizeof v) || atoi(v) != number)
			continue;
		snprintf(f, sizeof f, "%s/%s/dev", p, e->d_name);
		if (read_line(f, v, sizeof v) == 0) {
			found = parse_dev(v);
			snprintf(name, len, "%s", e->d_name);
		}
	}
	if (d)
		closedir(d);
	return found;
}

dev_t lb_loop_backing(dev_t st_dev, ino_t ino)
{
	dev_t found = 0;
	return lb_loops_backed_by(st_dev, ino, &found, 1) ? found : 0;
}

int lb_loops_backed_by(dev_t st_dev, ino_t ino, dev_t *out, int max)
{
	DIR *d = opendir("/sys/block");
	struct dirent *e;
	int n = 0;
	while (d && n < max && (e = readdir(d))) {
		char f[PATH_MAX], v[PATH_MAX], devs[32];
		struct stat st;
		if (strncmp(e->d_name, "loop", 4))
			continue;
		snprintf(f, sizeof f, "/sys/block/%s/loop/backing_file", e->d_name);
		if (read_line(f, v, sizeof v) || stat(v, &st) || st.st_dev != st_dev || st.st_ino != ino)
			continue;
		snprintf(f, sizeof f, "/sys/block/%s/dev", e->d_name);
		if (read_line(f, devs, sizeof devs) == 0)
			out[n++] = parse_dev(devs);
	}
	if (d)
		closedir(d);
	return n;
}

int lb_loop_file_of(dev_t dev, dev_t *st_dev, ino_t *ino)
{
	char p[PATH_MAX], f[PATH_MAX + 32], v[PATH_MAX];
	struct stat st;
	sys_path(dev, p, sizeof p);
	snprintf(f, sizeof f, "%s/loop/backing_file", p);
	if (read_line(f, v, sizeof v) || stat(v, &st))
		return 0;
	*st_dev = st.st_dev;
	*ino = st.st_ino;
	return 1;
}

/* One line of /proc/self/mountinfo: "36 35 98:0 /root /mnt rw,noatime - ext4 /dev/x rw,..."
 * The superblock's options (after " - ") say whether the filesystem itself can change: a
 * read-only bind mount of a read-write filesystem still changes. */
int lb_mount_state(dev_t dev, char *mp, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	int state = 0;
	if (!f)
		return 0;
	while (state < 2 && fgets(line, sizeof line, f)) {
		char devs[32], point[PATH_MAX], sopts[256];
		const char *sep = strstr(line, " - ");
		if (sscanf(line, "%*d %*d %31s %*s %4095s", devs, point) != 2 || parse_dev(devs) != dev)
			continue;
		if (!sep || sscanf(sep + 3, "%*s %*s %255s", sopts) != 1)
			sopts[0] = 0;
		if (strncmp(sopts, "ro", 2) || (sopts[2] && sopts[2] != ',')) {
			snprintf(mp, len, "%s", point);
			state = 2;
		} else if (!state) {
			snprintf(mp, len, "%s", point);
			state = 1;
		}
	}
	fclose(f);
	return state;
}

int lb_disk_mount_state(dev_t disk, int with_parts, char *what, size_t len)
{
	char mp[PATH_MAX];
	dev_t devs[LB_MAX_DEVS_IN_USE_CHECK];
	char names[LB_MAX_DEVS_IN_USE_CHECK][64];
	int n = with_parts ? disk_devs(disk, devs, names, LB_MAX_DEVS_IN_USE_CHECK) : 1, state = 0;
	if (!with_parts) {
		char p[PATH_MAX];
		devs[0] = disk;
		sys_path(disk, p, sizeof p);
		snprintf(names[0], sizeof names[0], "%s", strrchr(p, '/') ? strrchr(p, '/') + 1 : p);
	}
	for (int i = 0; i < n && state < 2; i++) {
		int s = lb_mount_state(devs[i], mp, sizeof mp);
		if (s > state) {
			snprintf(what, len, "/dev/%s is mounted %s on %s", names[i],
			         s == 2 ? "read-write" : "read-only", mp);
			state = s;
		}
	}
	return state;
}
