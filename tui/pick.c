/* pick.c — choosing a disk, and choosing an image among those found on attached filesystems. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ui.h"

/* ---- disks ------------------------------------------------------------------------------- */
struct pd { const char *title, *why, *exclude; struct ui_list list; };

static int disk_ok(void *ctx, int i)
{
	struct pd *p = ctx;
	return !(p->exclude && !strcmp(app.disks[i].path, p->exclude));
}

static void disk_row(void *ctx, int i, int y, int x, int w, int sel)
{
	struct pd *p = ctx;
	const struct lb_disk_info *d = &app.disks[i];
	int excluded = !disk_ok(p, i);
	char mark[48] = "";
	if (excluded) snprintf(mark, sizeof mark, " (the source)");
	else if (d->holds_boot) snprintf(mark, sizeof mark, " [Lifeboat stick]");
	else if (d->mounted) snprintf(mark, sizeof mark, " [in use]");
	ui_put(y, x, w, sel ? ui_attr(UI_SEL) : excluded ? ui_attr(UI_DIM) : 0, 1,
	       " %-8s %10s  %-22.22s %-6s %2d part.%s", disk_short_name(d), SZ(d->size),
	       d->model[0] ? d->model : "(no model)", d->transport, d->nparts, mark);
}

static void disk_draw(void *ctx)
{
	struct pd *p = ctx;
	if (ui_too_small()) return;
	ui_frame(p->title, "Enter=Choose  Esc=Back  ?=Help");
	ui_put(2, 2, COLS - 4, A_BOLD, 0, "%s", p->why);
	if (!app.ndisks) ui_put(4, 2, COLS - 4, ui_attr(UI_WARN), 0, "No disks found.");
	list_draw(&p->list, 4, 2, LINES - 6, COLS - 4);
	if (app.ndisks && p->list.sel < 0)
		ui_put(LINES - 3, 2, COLS - 4, ui_attr(UI_WARN), 0, "No other disk to choose: connect "
		       "one, go back with Esc and press F5 on the main screen.");
	refresh();
}

int pick_disk(const char *title, const char *why, const char *exclude, char *path, size_t len)
{
	struct pd p = { title, why, exclude, { 0 } };
	p.list.n = app.ndisks;
	p.list.is_selectable = disk_ok;
	p.list.draw_row = disk_row;
	p.list.ctx = &p;
	for (;;) {
		ui_set_backdrop(disk_draw, &p);
		disk_draw(&p);
		int k = ui_getkey(-1);
		if (k == ERR || k == KEY_ESC) return 0;
		if (k == KEY_RESIZE || list_key(&p.list, k, LINES - 6)) continue;
		if (k == '?') ui_help(exclude ? "target" : "source");
		if ((k == '\n' || k == '\r' || k == KEY_ENTER) && p.list.sel >= 0 && app.ndisks) {
			snprintf(path, len, "%s", app.disks[p.list.sel].path);
			return 1;
		}
	}
}

/* ---- images ------------------------------------------------------------------------------ */
struct pi { const char *title; struct img_ent *v; int n, cap; struct ui_list list; };

static void img_row(void *ctx, int i, int y, int x, int w, int sel)
{
	struct pi *p = ctx;
	int a = sel ? ui_attr(UI_SEL) : 0;
	if (i == 0) { ui_put(y, x, w, a, 1, " Browse for an image file..."); return; }
	struct img_ent *e = &p->v[i - 1];
	char t[32], shown[1100];
	int pw = w - 32 < 10 ? 10 : w - 32, l = (int)strlen(e->path);
	if (l > pw) {             /* .../folder/name.lbi, or the end of the name */
		const char *s = e->path + l, *slashes = NULL;
		for (int n = 0; s > e->path && n < 2; ) if (*--s == '/') { n++; slashes = s; }
		if (slashes && (int)strlen(slashes) + 3 <= pw) snprintf(shown, sizeof shown, "...%s", slashes);
		else snprintf(shown, sizeof shown, "...%s", e->path + l - (pw - 3));
	} else snprintf(shown, sizeof shown, "%s", e->path);
	ui_put(y, x, w, a, 1, " %-*s %10s  %s", pw, shown, SZ(e->size), fmt_time(e->mtime, t, sizeof t));
}

static void img_draw(void *ctx)
{
	struct pi *p = ctx;
	if (ui_too_small()) return;
	ui_frame(p->title, "Enter=Choose  F5=Look again  Esc=Back  ?=Help");
	ui_put(2, 2, COLS - 4, A_BOLD, 0, p->n ? "Images found (%d):" : "No images found on the "
	       "attached disks. Browse, or attach the disk that holds them and press F5.", p->n);
	list_draw(&p->list, 4, 2, LINES - 6, COLS - 4);
	refresh();
}

static void scan(struct pi *p)
{
	erase();
	ui_frame(p->title, NULL);
	ui_put(2, 2, COLS - 4, 0, 0, "Looking for images...");
	refresh();
	p->n = 0;
	if (app.images_dir) images_scan(app.images_dir, 2, &p->v, &p->n, &p->cap);
	if (!app.no_mount) {
		/* look inside every filesystem: mounted ones as they are, others read-only */
		for (int i = 0; i < app.ndisks; i++)
			for (int j = 0; j < app.disks[i].nparts; j++) {
				const struct lb_part_info *pt = &app.disks[i].parts[j];
				if (pt->is_container || !pt->dev[0] || !pt->fs[0] || !strcmp(pt->fs, "swap"))
					continue;
				char dir[512];
				struct lb_err err;
				mount_dev(pt->dev, pt->fs, 1, dir, sizeof dir, &err);
			}
		struct mnt_ent *m;
		int nm = mounts_read(&m);
		for (int i = 0; i < nm; i++) images_scan(m[i].dir, 3, &p->v, &p->n, &p->cap);
		free(m);
	} else if (!app.images_dir) {
		images_scan(".", 1, &p->v, &p->n, &p->cap);
	}
	p->list.n = p->n + 1;
	p->list.sel = p->n ? 1 : 0;
}

int pick_image(const char *title, char *path, size_t len)
{
	struct pi p;
	memset(&p, 0, sizeof p);
	p.title = title;
	p.list.draw_row = img_row;
	p.list.ctx = &p;
	scan(&p);
	int r = 0;
	for (;;) {
		ui_set_backdrop(img_draw, &p);
		img_draw(&p);
		int k = ui_getkey(-1);
		if (k == ERR || k == KEY_ESC) break;
		if (k == KEY_RESIZE || list_key(&p.list, k, LINES - 6)) continue;
		if (k == '?') ui_help("images");
		if (k == KEY_F(5) || k == 'g') scan(&p);
		if (k == '\n' || k == '\r' || k == KEY_ENTER) {
			if (p.list.sel == 0) {
				if (browse("Choose an image file", app.images_dir ? app.images_dir : "/", 0,
					   path, len)) { r = 1; break; }
				continue;
			}
			snprintf(path, len, "%s", p.v[p.list.sel - 1].path);
			r = 1;
			break;
		}
	}
	free(p.v);
	return r;
}
