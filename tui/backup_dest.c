/* backup_dest.c — where to save the image: the images folder, a mounted filesystem, a
 * filesystem on another disk (mounted read-write under /mnt when chosen), or any folder. Never a
 * filesystem of the source disk. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include "backup.h"

enum { D_DIR, D_MOUNTED, D_PART, D_BROWSE, D_NET };
struct dest { int kind; char dir[512], dev[256], fs[16], label[64]; uint64_t size, free; };
struct dd { struct bk *b; struct dest v[64]; int n; struct ui_list list; };

static int on_source(struct bk *b, const char *dev)
{
	if (!strcmp(dev, b->disk->path)) return 1;
	for (int i = 0; i < b->disk->nparts; i++)
		if (b->disk->parts[i].dev[0] && !strcmp(b->disk->parts[i].dev, dev)) return 1;
	return 0;
}

static void add(struct dd *d, int kind, const char *dir, const char *dev, const char *fs)
{
	if (d->n >= 64) return;
	struct dest *e = &d->v[d->n++];
	memset(e, 0, sizeof *e);
	e->kind = kind;
	snprintf(e->dir, sizeof e->dir, "%s", dir ? dir : "");
	snprintf(e->dev, sizeof e->dev, "%s", dev ? dev : "");
	snprintf(e->fs, sizeof e->fs, "%s", fs ? fs : "");
	if (dir && *dir) path_free_space(dir, &e->free, NULL, 0);
}

static void collect(struct dd *d)
{
	struct bk *b = d->b;
	d->n = 0;
	if (app.images_dir) add(d, D_DIR, app.images_dir, NULL, NULL);
	struct mnt_ent *m;
	int nm = mounts_read(&m);
	for (int i = 0; i < nm; i++) {
		if (m[i].ro && !m[i].ours) continue;
		if (on_source(b, m[i].dev) || !strcmp(m[i].dir, "/")) continue;
		add(d, D_MOUNTED, m[i].dir, m[i].dev, m[i].type);
	}
	if (!app.no_mount)
		for (int i = 0; i < app.ndisks; i++) {
			struct lb_disk_info *dk = &app.disks[i];
			if (!strcmp(dk->path, b->disk->path)) continue;
			for (int j = 0; j < dk->nparts; j++) {
				struct lb_part_info *p = &dk->parts[j];
				/* filesystems only: never a LUKS, LVM, md or ambiguous partition (probe.h) */
				if (p->is_container || !p->dev[0] || !p->fs[0] || !strcmp(p->fs, "swap") ||
				    strcmp(p->usage, "filesystem")) continue;
				int seen = 0;
				for (int k = 0; k < nm && !seen; k++) seen = !strcmp(m[k].dev, p->dev) && !m[k].ro;
				if (seen) continue;
				add(d, D_PART, NULL, p->dev, p->fs);
				struct dest *e = &d->v[d->n - 1];
				snprintf(e->label, sizeof e->label, "%s", p->label);
				e->size = p->size;
				e->free = p->fs_total > p->fs_used ? p->fs_total - p->fs_used : 0;
			}
		}
	free(m);
	add(d, D_BROWSE, NULL, NULL, NULL);
	add(d, D_NET, NULL, NULL, NULL);
	d->list.n = d->n;
}

static void row(void *ctx, int i, int y, int x, int w, int sel)
{
	struct dd *d = ctx;
	struct dest *e = &d->v[i];
	int a = sel ? ui_attr(UI_SEL) : 0;
	switch (e->kind) {
	case D_DIR: ui_put(y, x, w, a, 1, " Images folder  %-36s %10s free", e->dir, SZ(e->free)); break;
	case D_MOUNTED:
		ui_put(y, x, w, a, 1, " %-14.14s %-6s %-29.29s %10s free", e->dev, e->fs, e->dir,
		       SZ(e->free));
		break;
	case D_PART:
		ui_put(y, x, w, a, 1, " %-14.14s %-6s %-16.16s %10s  (mount under %s)", e->dev, e->fs,
		       e->label, SZ(e->size), app.mnt_root);
		break;
	case D_BROWSE: ui_put(y, x, w, a, 1, " Browse for a folder..."); break;
	case D_NET: ui_put(y, x, w, a, 1, " A network share... (smb://, nfs://)"); break;
	}
}

static void draw(void *ctx)
{
	struct dd *d = ctx;
	if (ui_too_small()) return;
	ui_frame("Back up: where to save", "Enter=Choose  F5=Look again  Esc=Back  ?=Help");
	ui_put(2, 2, COLS - 4, A_BOLD, 0, "Where should the image of %s be saved?",
	       disk_short_name(d->b->disk));
	ui_put(3, 2, COLS - 4, 0, 0, "(Filesystems on %s itself are not offered.)",
	       disk_short_name(d->b->disk));
	list_draw(&d->list, 5, 2, LINES - 7, COLS - 4);
	refresh();
}

static void default_name(struct bk *b)
{
	char model[64], *o = model;
	const char *s = b->disk->model[0] ? b->disk->model : disk_short_name(b->disk);
	for (; *s && o < model + 40; s++) {
		char c = *s;
		if (isalnum((unsigned char)c)) *o++ = c;
		else if (o > model && o[-1] != '-') *o++ = '-';
	}
	while (o > model && o[-1] == '-') o--;
	*o = 0;
	if (!*model) snprintf(model, sizeof model, "disk");
	time_t t = time(NULL);
	struct tm tm;
	localtime_r(&t, &tm);
	char date[32];
	strftime(date, sizeof date, "%Y%m%d-%H%M", &tm);
	snprintf(b->name, sizeof b->name, "%s-%s.lbi", model, date);
}

/* A folder on one of the source's own filesystems would change the disk being copied. */
static int dir_on_source(struct bk *b, const char *dir)
{
	struct stat ds, ps;
	if (stat(dir, &ds) < 0) return 0;
	if (stat(b->disk->path, &ps) == 0 && S_ISBLK(ps.st_mode) && ps.st_rdev == ds.st_dev) return 1;
	for (int i = 0; i < b->disk->nparts; i++) {
		const char *dev = b->disk->parts[i].dev;
		if (dev[0] && stat(dev, &ps) == 0 && S_ISBLK(ps.st_mode) && ps.st_rdev == ds.st_dev)
			return 1;
	}
	return 0;
}

int bk_destination(struct bk *b)
{
	struct dd d;
	memset(&d, 0, sizeof d);
	d.b = b;
	d.list.draw_row = row;
	d.list.ctx = &d;
	collect(&d);
	for (;;) {
		ui_set_backdrop(draw, &d);
		draw(&d);
		int k = ui_getkey(-1);
		if (k == ERR || k == KEY_ESC) return 0;
		if (k == KEY_RESIZE || list_key(&d.list, k, LINES - 7)) continue;
		if (k == '?') ui_help("dest");
		if (k == KEY_F(5) || k == 'g') collect(&d);
		if (!(k == '\n' || k == '\r' || k == KEY_ENTER) || d.list.sel < 0) continue;
		struct dest *e = &d.v[d.list.sel];
		int kind = e->kind;
		char start[512];
		snprintf(start, sizeof start, "%s", e->dir);
		if (e->kind == D_PART) {
			struct lb_err err;
			if (mount_dev(e->dev, e->fs, 0, start, sizeof start, &err) < 0) {
				ui_error("The filesystem could not be mounted.", &err);
				continue;
			}
			collect(&d);     /* e is stale from here on */
		}
		if (kind == D_BROWSE) snprintf(start, sizeof start, "/");
		if (kind == D_NET && !net_share(1, start, sizeof start)) continue;
		b->dest_ours = kind == D_PART;
		if (!browse("Back up: choose a folder", start, 1, b->dest_dir, sizeof b->dest_dir))
			continue;
		if (dir_on_source(b, b->dest_dir)) {
			ui_message("Cannot save there", "That folder is on the disk being copied. Choose "
				   "a folder on another disk.", 1);
			continue;
		}
		if (path_free_space(b->dest_dir, &b->dest_free, b->dest_fs, sizeof b->dest_fs) < 0) {
			ui_message("Cannot use this folder", "Lifeboat cannot read this folder's free "
				   "space.", 1);
			continue;
		}
		if (!b->name[0]) default_name(b);
		return 1;
	}
}
