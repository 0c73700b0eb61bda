/* Disk discovery: every imageable block device, its identity, table, partitions and what
 * lives on them. Read-only throughout. */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "err.h"
#include "fs.h"
#include "probe.h"
#include "ptable.h"
#include "sysfs.h"

void lb_disk_free(struct lb_disk_info *d)
{
	if (!d)
		return;
	free(d->parts);
	d->parts = NULL;
	d->nparts = 0;
}

void lb_disk_list_free(struct lb_disk_info *disks, int n)
{
	for (int i = 0; i < n; i++)
		lb_disk_free(&disks[i]);
	free(disks);
}

static void fill_probe(struct lb_part_info *p, const struct lb_probe *pr)
{
	snprintf(p->fs, sizeof p->fs, "%s", pr->info.type);
	snprintf(p->label, sizeof p->label, "%s", pr->info.label);
	snprintf(p->uuid, sizeof p->uuid, "%s", pr->info.uuid);
	snprintf(p->fs_version, sizeof p->fs_version, "%s", pr->version);
	snprintf(p->usage, sizeof p->usage, "%s", pr->usage);
	snprintf(p->note, sizeof p->note, "%s", pr->note);
	p->fs_total = pr->info.total;
	p->fs_used = pr->info.used;
}

int lb_disk_probe(const char *path, struct lb_disk_info *d, struct lb_err *err)
{
	struct lb_err local = { 0 };
	struct lb_dev dev;
	struct lb_ptable *t = NULL;
	const char *base;
	int rc;
	if (!err)
		err = &local;
	memset(d, 0, sizeof *d);
	snprintf(d->path, sizeof d->path, "%s", path);
	base = strrchr(path, '/');
	snprintf(d->name, sizeof d->name, "%s", base ? base + 1 : path);
	if ((rc = lb_dev_open(&dev, path, 0, err)))
		return rc;
	d->size = dev.size;
	d->lsec = dev.lsec;
	d->psec = dev.psec;
	d->is_file = !dev.is_blk;
	if (dev.is_blk) {
		lb_sysfs_identity(dev.rdev, d);
		d->mounted = lb_disk_in_use(dev.rdev, d->mountpoint, sizeof d->mountpoint);
		if (d->mounted) {
			/* keep just the mount point for display when it is a mount */
			const char *on = strstr(d->mountpoint, " mounted on ");
			if (on)
				memmove(d->mountpoint, on + 12, strlen(on + 12) + 1);
			lb_sanitize(d->mountpoint);
		}
	} else {
		snprintf(d->transport, sizeof d->transport, "file");
	}
	t = malloc(sizeof *t);
	if (!t) {
		rc = lb_fail(err, LB_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = lb_ptable_read(&dev, t, err)))
		goto out;
	snprintf(d->table, sizeof d->table, "%s", t->type);
	d->lsec = lb_layout_sector(&dev, t);
	snprintf(d->table_note, sizeof d->table_note, "%s", t->note);
	d->parts = calloc((size_t)t->n + 1, sizeof *d->parts);
	if (!d->parts) {
		rc = lb_fail(err, LB_ENOMEM, "out of memory");
		goto out;
	}
	for (int i = 0; i < t->n; i++) {
		const struct lb_ptpart *tp = &t->parts[i];
		struct lb_part_info *p = &d->parts[d->nparts++];
		struct lb_probe pr;
		p->number = tp->number;
		p->start = tp->start;
		p->size = tp->size;
		p->is_container = tp->container;
		snprintf(p->type, sizeof p->type, "%s", tp->type);
		snprintf(p->name, sizeof p->name, "%s", tp->name);
		lb_sanitize(p->name);      /* a GPT name is whatever the disk holds */
		if (!tp->container && tp->size) {
			lb_probe_area(&dev, tp->start, tp->size, &pr);
			fill_probe(p, &pr);
		}
		if (dev.is_blk) {
			char name[64];
			dev_t pd = lb_partition_dev(dev.rdev, tp->number, name, sizeof name);
			if (pd) {
				snprintf(p->dev, sizeof p->dev, "/dev/%s", name);
				lb_mountpoint_of(pd, p->mountpoint, sizeof p->mountpoint);
				lb_sanitize(p->mountpoint);
			}
		}
	}
	if (!strcmp(t->type, "none")) {
		/* a filesystem on the whole device: show it as the device's only content */
		struct lb_probe pr;
		lb_probe_area(&dev, 0, dev.size, &pr);
		if (pr.info.type[0] || pr.note[0]) {
			struct lb_part_info *p = &d->parts[d->nparts++];
			p->number = 0;
			p->size = dev.size;
			fill_probe(p, &pr);
			snprintf(p->dev, sizeof p->dev, "%s", path);
			snprintf(p->mountpoint, sizeof p->mountpoint, "%s", d->mountpoint);
		}
	}
	rc = 0;
out:
	free(t);
	lb_dev_close(&dev);
	if (rc)
		lb_disk_free(d);
	return rc;
}

/* Devices that are never worth imaging: RAM disks, compressed swap, optical drives, and loop
 * devices with nothing attached. */
static int skip_device(const char *name)
{
	static const char *const prefixes[] = { "ram", "zram", "sr", "fd", "dm-", "md", "nbd" };
	char path[300], v[32];
	FILE *f;
	for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
		if (!strncmp(name, prefixes[i], strlen(prefixes[i])))
			return 1;
	snprintf(path, sizeof path, "/sys/block/%s/size", name);
	f = fopen(path, "re");
	if (!f)
		return 1;
	if (!fgets(v, sizeof v, f))
		v[0] = '0';
	fclose(f);
	return strtoull(v, NULL, 10) == 0;
}

static int cmp_disk(const void *a, const void *b)
{
	return strcmp(((const struct lb_disk_info *)a)->name, ((const struct lb_disk_info *)b)->name);
}

int lb_disk_list(struct lb_disk_info **disks, int *ndisks, struct lb_err *err)
{
	DIR *dir = opendir("/sys/block");
	struct dirent *e;
	struct lb_disk_info *v = NULL;
	int n = 0, cap = 0;
	*disks = NULL;
	*ndisks = 0;
	if (!dir)
		return lb_fail(err, LB_EIO, "cannot read /sys/block: is sysfs mounted?");
	while ((e = readdir(dir))) {
		char path[300];
		struct lb_err one = { 0 };
		if (e->d_name[0] == '.' || skip_device(e->d_name))
			continue;
		if (n == cap) {
			struct lb_disk_info *nv;
			cap = cap ? cap * 2 : 8;
			nv = realloc(v, (size_t)cap * sizeof *v);
			if (!nv) {
				lb_disk_list_free(v, n);
				closedir(dir);
				return lb_fail(err, LB_ENOMEM, "out of memory");
			}
			v = nv;
		}
		snprintf(path, sizeof path, "/dev/%s", e->d_name);
		if (lb_disk_probe(path, &v[n], &one) == 0)
			n++;
	}
	closedir(dir);
	qsort(v, (size_t)n, sizeof *v, cmp_disk);
	*disks = v;
	*ndisks = n;
	return 0;
}
