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

/* ---- images ----------------------------------------------------------------------------
 * Images are looked for in --images-dir, on filesystems of the listed disks that are already
 * mounted, and on the stick's own filesystems. A filesystem of another disk is only listed: it may be the dying disk the person
 * came to save, so it is mounted (read-only, with nothing written: mounts.c) only when chosen.
 * Rows: 0 = Browse, then the images, then a heading and the filesystems to look on. */
#define MAXLOOK 64
struct look { char dev[64], fs[16], label[64], dir[512]; const char *why; uint64_t size; };
struct pi {
	const char *title;
	struct img_ent *v;
	int n, cap;
	struct look fs[MAXLOOK];
	int nfs;
	struct ui_list list;
};

static int fs_index(const struct pi *p, int row)
{
	int k = row - p->n - 2;
	return k >= 0 && k < p->nfs ? k : -1;
}

static int img_ok(void *ctx, int i)
{
	struct pi *p = ctx;
	return i <= p->n || fs_index(p, i) >= 0;
}

static void img_row(void *ctx, int i, int y, int x, int w, int sel)
{
	struct pi *p = ctx;
	int a = sel ? ui_attr(UI_SEL) : 0;
	if (i == 0) { ui_put(y, x, w, a, 1, " Browse for an image file..."); return; }
	if (i == p->n + 1) {
		ui_put(y, x, w, A_BOLD, 1, "Look on a filesystem (mounted read-only when chosen, "
		       "nothing written):");
		return;
	}
	int k = fs_index(p, i);
	if (k >= 0) {
		const struct look *l = &p->fs[k];
		const char *s = strrchr(l->dev, '/');
		char note[600];
		if (l->dir[0]) snprintf(note, sizeof note, "mounted read-only: Enter browses it");
		else snprintf(note, sizeof note, "%s", l->why ? "NOT SHUT DOWN CLEANLY" : "");
		ui_put(y, x, w, a, 1, " %-10s %-6s %-16.16s %10s  %s", s ? s + 1 : l->dev, l->fs,
		       l->label[0] ? l->label : "-", SZ(l->size), note);
		return;
	}
	struct img_ent *e = &p->v[i - 1];
	char t[32], shown[1100], name[1024];
	snprintf(name, sizeof name, "%s", e->path);
	lb_sanitize(name);        /* a file name is whatever the disk holds */
	int pw = w - 32 < 10 ? 10 : w - 32, l = (int)strlen(name);
	if (l > pw) {             /* .../folder/name.lbi, or the end of the name */
		const char *s = name + l, *slashes = NULL;
		for (int n = 0; s > name && n < 2; ) if (*--s == '/') { n++; slashes = s; }
		if (slashes && (int)strlen(slashes) + 3 <= pw) snprintf(shown, sizeof shown, "...%s", slashes);
		else snprintf(shown, sizeof shown, "...%s", name + l - (pw - 3));
	} else snprintf(shown, sizeof shown, "%s", name);
	ui_put(y, x, w, a, 1, " %-*s %10s  %s", pw, shown, SZ(e->size), fmt_time(e->mtime, t, sizeof t));
}

static void img_draw(void *ctx)
{
	struct pi *p = ctx;
	if (ui_too_small()) return;
	ui_frame(p->title, "Enter=Choose  N=A network share...  F5=Look again  Esc=Back  ?=Help");
	if (p->n)
		ui_put(2, 2, COLS - 4, A_BOLD, 0, "Images found (%d):", p->n);
	else
		ui_put(2, 2, COLS - 4, A_BOLD, 0, p->nfs ? "No images found yet. Choose a filesystem "
		       "below to look on it, or Browse." : "No images found. Browse, or attach the "
		       "disk that holds them and press F5.");
	list_draw(&p->list, 4, 2, LINES - 6, COLS - 4);
	refresh();
}

/* The filesystems of other disks that could hold images: listed, not mounted. Those we mounted
 * to look keep their row (with where they are); those mounted by someone else are searched. */
static void list_filesystems(struct pi *p, const struct mnt_ent *m, int nm)
{
	p->nfs = 0;
	for (int i = 0; i < app.ndisks; i++) {
		const struct lb_disk_info *d = &app.disks[i];
		for (int j = 0; j < d->nparts && p->nfs < MAXLOOK; j++) {
			const struct lb_part_info *pt = &d->parts[j];
			/* filesystems only: never a LUKS, LVM, md or ambiguous partition (probe.h) */
			if (pt->is_container || !pt->dev[0] || !pt->fs[0] || !strcmp(pt->fs, "swap") ||
			    strcmp(pt->usage, "filesystem"))
				continue;
			const struct mnt_ent *at = NULL;
			for (int k = 0; k < nm && !at; k++)
				if (!strcmp(m[k].dev, pt->dev)) at = &m[k];
			if (at && !(at->ours && at->ro)) continue;
			struct look *l = &p->fs[p->nfs++];
			memset(l, 0, sizeof *l);
			snprintf(l->dev, sizeof l->dev, "%s", pt->dev);
			snprintf(l->fs, sizeof l->fs, "%s", pt->fs);
			snprintf(l->label, sizeof l->label, "%s", pt->label);
			l->size = pt->size;
			if (at) snprintf(l->dir, sizeof l->dir, "%s", at->dir);
			else l->why = mount_needs_recovery(pt->dev, pt->fs);
		}
	}
}

/* a filesystem of one of the disks Lifeboat lists (not, say, the root of the host running it
 * with --disk) */
static int listed_dev(const char *dev)
{
	for (int i = 0; i < app.ndisks; i++) {
		if (!strcmp(app.disks[i].path, dev)) return 1;
		for (int j = 0; j < app.disks[i].nparts; j++)
			if (!strcmp(app.disks[i].parts[j].dev, dev)) return 1;
	}
	return 0;
}

static void scan(struct pi *p)
{
	erase();
	ui_frame(p->title, NULL);
	ui_put(2, 2, COLS - 4, 0, 0, "Looking for images...");
	refresh();
	p->n = 0;
	p->nfs = 0;
	if (app.images_dir) images_scan(app.images_dir, 2, &p->v, &p->n, &p->cap);
	if (!app.no_mount) {
		/* the stick's own filesystems are ours to read */
		for (int i = 0; i < app.ndisks; i++)
			for (int j = 0; app.disks[i].holds_boot && j < app.disks[i].nparts; j++) {
				const struct lb_part_info *pt = &app.disks[i].parts[j];
				char dir[512];
				struct lb_err err;
				if (!pt->is_container && pt->dev[0] && pt->fs[0] && strcmp(pt->fs, "swap") &&
				    !strcmp(pt->usage, "filesystem") && !mount_of_dev(pt->dev))
					mount_dev(pt->dev, pt->fs, 1, dir, sizeof dir, &err);
			}
		struct mnt_ent *m;
		int nm = mounts_read(&m);
		for (int i = 0; i < nm; i++)
			if (m[i].ours || listed_dev(m[i].dev)) images_scan(m[i].dir, 3, &p->v, &p->n, &p->cap);
		list_filesystems(p, m, nm);
		free(m);
	} else if (!app.images_dir) {
		images_scan(".", 1, &p->v, &p->n, &p->cap);
	}
	p->list.n = p->n + 1 + (p->nfs ? p->nfs + 1 : 0);
	p->list.sel = p->n ? 1 : 0;
	p->list.top = 0;
}

/* Enter on a filesystem row: mount it to look (after a warning when it needs recovery), then
 * show its images; once mounted, Enter browses it. 1 when an image was chosen by browsing. */
static int look_on(struct pi *p, int k, char *path, size_t len)
{
	struct look l = p->fs[k];
	const char *name = strrchr(l.dev, '/');
	name = name ? name + 1 : l.dev;
	if (l.dir[0]) return browse("Choose an image file", l.dir, 0, path, len);
	if (l.why) {
		char q[700];
		snprintf(q, sizeof q, "%s was not shut down cleanly: %s.\n\nLifeboat looks at it "
			 "read-only without replaying anything, so nothing is written to that disk, "
			 "but the newest files may be missing or incomplete there (an image read from "
			 "it is still checked against its checksums).\n\nLook on %s anyway?", name,
			 l.why, name);
		if (!ui_confirm("Not shut down cleanly", q, 0)) return 0;
	}
	char dir[512];
	struct lb_err err;
	if (mount_dev(l.dev, l.fs, 1, dir, sizeof dir, &err) < 0) {
		ui_error("The filesystem could not be mounted to look on it.", &err);
		return 0;
	}
	scan(p);
	for (int i = 0; i < p->n; i++)
		if (!strncmp(p->v[i].path, dir, strlen(dir)) && p->v[i].path[strlen(dir)] == '/') {
			p->list.sel = i + 1;
			return 0;
		}
	for (int i = 0; i < p->nfs; i++)
		if (!strcmp(p->fs[i].dev, l.dev)) p->list.sel = p->n + 2 + i;
	char msg[700];
	snprintf(msg, sizeof msg, "No images on %s (looked three folders deep). Press Enter on it "
		 "again to browse it.", name);
	ui_message("No images found", msg, 0);
	return 0;
}

int pick_image(const char *title, char *path, size_t len)
{
	struct pi p;
	memset(&p, 0, sizeof p);
	p.title = title;
	p.list.draw_row = img_row;
	p.list.is_selectable = img_ok;
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
		if ((k == 'n' || k == 'N') && net_share(0, path, len)) { r = 1; break; }
		if (k == '\n' || k == '\r' || k == KEY_ENTER) {
			int f = fs_index(&p, p.list.sel);
			if (f >= 0) {
				if (look_on(&p, f, path, len)) { r = 1; break; }
				continue;
			}
			if (p.list.sel == 0) {
				if (browse("Choose an image file", app.images_dir ? app.images_dir : "/", 0,
					   path, len)) { r = 1; break; }
				continue;
			}
			if (p.list.sel < 1 || p.list.sel > p.n) continue;
			snprintf(path, len, "%s", p.v[p.list.sel - 1].path);
			r = 1;
			break;
		}
	}
	free(p.v);
	/* what was mounted only to look goes away now, before any target is checked: only the
	 * filesystem holding the chosen image stays (its disk is then refused as a target) */
	if (mounts_release_looks(r ? path : NULL)) app_load_disks();
	return r;
}
