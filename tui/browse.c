/* browse.c — a directory browser: pick a folder (to save an image in) or an image file. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "ui.h"

struct ent { char name[256]; int is_dir; uint64_t size; };
struct br {
	const char *title;
	int want_dir;
	char cwd[PATH_MAX];
	struct ent *v;
	int n;
	struct ui_list list;
	char free_line[128];
};

enum { B_OPEN = 1, B_UP, B_HERE, B_HELP, B_BACK, B_MKDIR };
static const struct ui_key keys[] = {
	{ '\n', B_OPEN }, { '\r', B_OPEN }, { KEY_ENTER, B_OPEN }, { KEY_RIGHT, B_OPEN },
	{ KEY_BACKSPACE, B_UP }, { 127, B_UP }, { 8, B_UP }, { KEY_LEFT, B_UP }, { 's', B_HERE },
	{ '?', B_HELP }, { KEY_ESC, B_BACK }, { 'q', B_BACK }, { 'm', B_MKDIR }, { 0, 0 },
};

static int cmp(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;
	if (x->is_dir != y->is_dir) return y->is_dir - x->is_dir;
	return strcmp(x->name, y->name);
}

static void load(struct br *b)
{
	free(b->v);
	b->v = NULL;
	b->n = 0;
	int cap = 0;
	DIR *d = opendir(b->cwd);
	for (struct dirent *e; d && (e = readdir(d));) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
		if (e->d_name[0] == '.') continue;
		char p[PATH_MAX + 256];
		snprintf(p, sizeof p, "%s/%s", b->cwd, e->d_name);
		struct stat st;
		if (stat(p, &st) < 0) continue;
		int isdir = S_ISDIR(st.st_mode);
		size_t l = strlen(e->d_name);
		if (!isdir && (b->want_dir || l < 5 || strcmp(e->d_name + l - 4, ".lbi"))) continue;
		if (b->n == cap) {
			cap = cap ? cap * 2 : 64;
			struct ent *nv = realloc(b->v, cap * sizeof *nv);
			if (!nv) break;
			b->v = nv;
		}
		struct ent *x = &b->v[b->n++];
		snprintf(x->name, sizeof x->name, "%s", e->d_name);
		x->is_dir = isdir;
		x->size = (uint64_t)st.st_size;
	}
	if (d) closedir(d);
	qsort(b->v, b->n, sizeof *b->v, cmp);
	b->list.n = b->n + 2;       /* row 0: ".", row 1: ".." */
	b->list.sel = b->want_dir ? 0 : 1;
	b->list.top = 0;
	uint64_t fr;
	char t[32];
	b->free_line[0] = 0;
	if (path_free_space(b->cwd, &fr, t, sizeof t) == 0)
		snprintf(b->free_line, sizeof b->free_line, "%s free (%s)", SZ(fr), t);
}

static int row_ok(void *ctx, int i)
{
	struct br *b = ctx;
	return i > 0 || b->want_dir;
}

static void row(void *ctx, int i, int y, int x, int w, int sel)
{
	struct br *b = ctx;
	int a = sel ? ui_attr(UI_SEL) : 0;
	if (i == 0) {
		ui_put(y, x, w, b->want_dir ? a : ui_attr(UI_DIM), 1, " .   (save in this folder)");
		return;
	}
	if (i == 1) { ui_put(y, x, w, a, 1, " ..  (up one level)"); return; }
	struct ent *e = &b->v[i - 2];
	char name[256];
	snprintf(name, sizeof name, "%s", e->name);
	lb_sanitize(name);        /* a file name is whatever the disk holds */
	if (e->is_dir) ui_put(y, x, w, a, 1, " %s/", name);
	else ui_put(y, x, w, a, 1, " %-*.*s %10s", w - 13, w - 13, name, SZ(e->size));
}

static void draw(void *ctx)
{
	struct br *b = ctx;
	if (ui_too_small()) return;
	ui_frame(b->title, b->want_dir ?
		 "Enter=Open  s=Save here  Backspace=Up  m=New folder  Esc=Back  ?=Help" :
		 "Enter=Open/Choose  Backspace=Up  Esc=Back  ?=Help");
	char cwd[PATH_MAX];
	snprintf(cwd, sizeof cwd, "%s", b->cwd);
	ui_put(2, 2, COLS - 4, A_BOLD, 0, "Folder: %s", lb_sanitize(cwd));
	ui_put(3, 2, COLS - 4, 0, 0, "%s", b->free_line);
	list_draw(&b->list, 5, 2, LINES - 7, COLS - 4);
	refresh();
}

static void go_up(struct br *b)
{
	char *s = strrchr(b->cwd, '/');
	if (!s) return;
	if (s == b->cwd) s[1] = 0;
	else *s = 0;
	load(b);
}

int browse(const char *title, const char *start, int want_dir, char *out, size_t len)
{
	struct br b;
	memset(&b, 0, sizeof b);
	b.title = title;
	b.want_dir = want_dir;
	if (!start || !realpath(start, b.cwd)) snprintf(b.cwd, sizeof b.cwd, "/");
	b.list.is_selectable = row_ok;
	b.list.draw_row = row;
	b.list.ctx = &b;
	load(&b);
	int result = 0;
	for (;;) {
		ui_set_backdrop(draw, &b);
		draw(&b);
		int k = ui_getkey(-1);
		if (k == ERR) break;
		if (k == KEY_RESIZE) continue;
		if (list_key(&b.list, k, LINES - 7)) continue;
		int a = ui_action(keys, k);
		if (a == B_BACK) break;
		if (a == B_HELP) ui_help("browse");
		if (a == B_UP) go_up(&b);
		if (a == B_MKDIR && want_dir) {
			char name[128] = "";
			if (ui_input("New folder", "Name of the new folder:", name, sizeof name, 0) && *name &&
			    !strchr(name, '/')) {
				char p[PATH_MAX + 130];
				snprintf(p, sizeof p, "%s/%s", b.cwd, name);
				if (mkdir(p, 0755) < 0) ui_message("New folder", "The folder could not be made.", 1);
				load(&b);
			}
		}
		if (a == B_HERE && want_dir) { snprintf(out, len, "%s", b.cwd); result = 1; break; }
		if (a == B_OPEN) {
			int i = b.list.sel;
			if (i == 0 && want_dir) { snprintf(out, len, "%s", b.cwd); result = 1; break; }
			if (i == 1) { go_up(&b); continue; }
			if (i < 2) continue;
			struct ent *e = &b.v[i - 2];
			char p[PATH_MAX + 260];
			snprintf(p, sizeof p, "%s/%s", strcmp(b.cwd, "/") ? b.cwd : "", e->name);
			if (e->is_dir && strlen(p) < sizeof b.cwd) { memcpy(b.cwd, p, strlen(p) + 1); load(&b); }
			else { snprintf(out, len, "%s", p); result = 1; break; }
		}
	}
	free(b.v);
	return result;
}
