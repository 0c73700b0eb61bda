/* browse_image_list.c — the folder screen of "Browse an image": the entries of one folder of
 * the image's filesystem (type, size, time, name), opening folders, going up, and marking
 * files and trees to copy. Everything is read through lb_fsr_*: nothing is mounted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "browse_image.h"

#define COUNT_DEPTH 64        /* a tree deeper than this is not counted to its end */

enum { F_OPEN = 1, F_UP, F_MARK, F_COPY, F_HELP, F_BACK, F_UNMARK_ALL };
static const struct ui_key keys[] = {
	{ '\n', F_OPEN }, { '\r', F_OPEN }, { KEY_ENTER, F_OPEN }, { KEY_RIGHT, F_OPEN },
	{ KEY_BACKSPACE, F_UP }, { 127, F_UP }, { 8, F_UP }, { KEY_LEFT, F_UP },
	{ ' ', F_MARK }, { KEY_IC, F_MARK }, { 'c', F_COPY }, { KEY_F(5), F_COPY },
	{ '?', F_HELP }, { KEY_ESC, F_BACK }, { 'q', F_BACK }, { 'u', F_UNMARK_ALL }, { 0, 0 },
};

/* ---- the folder's entries ------------------------------------------------------------------ */
static void free_ents(struct bi *b)
{
	for (int i = 0; i < b->n; i++) { free(b->v[i].name); free(b->v[i].link); }
	free(b->v);
	b->v = NULL;
	b->n = 0;
}

struct collect { struct bi *b; int cap; int nomem; };

static int collect_one(void *ctx, const char *name, size_t len, const struct lb_fsr_stat *st)
{
	struct collect *c = ctx;
	struct bi *b = c->b;
	if (b->n == c->cap) {
		int nc = c->cap ? c->cap * 2 : 256;
		struct bi_ent *nv = realloc(b->v, (size_t)nc * sizeof *nv);
		if (!nv) { c->nomem = 1; return 1; }
		b->v = nv;
		c->cap = nc;
	}
	char *n = malloc(len + 1);
	if (!n) { c->nomem = 1; return 1; }
	memcpy(n, name, len);
	n[len] = 0;
	b->v[b->n].name = n;
	b->v[b->n].len = len;
	b->v[b->n].st = *st;
	b->v[b->n].link = NULL;
	b->n++;
	return 0;
}

static int ent_cmp(const void *x, const void *y)
{
	const struct bi_ent *a = x, *c = y;
	int da = S_ISDIR(a->st.mode), dc = S_ISDIR(c->st.mode);
	if (da != dc) return dc - da;
	size_t l = a->len < c->len ? a->len : c->len;
	int r = memcmp(a->name, c->name, l);
	return r ? r : (a->len > c->len) - (a->len < c->len);
}

static int at_root(const struct bi *b) { return !strcmp(b->cwd, "/"); }

/* Reads the folder b->cwd; what could not be read is said on the screen (load_err), with
 * whatever entries came before the failure still listed. */
static void load(struct bi *b)
{
	free_ents(b);
	b->load_err[0] = 0;
	struct lb_err err = { 0 };
	struct lb_fsr_stat st;
	int rc = lb_fsr_lookup(b->f, b->cwd, &st, &err);
	if (rc == LB_OK && !S_ISDIR(st.mode)) {
		rc = LB_EUSAGE;
		snprintf(err.msg, sizeof err.msg, "not a folder");
	}
	struct collect c = { b, 0, 0 };
	if (rc == LB_OK) rc = lb_fsr_readdir(b->f, st.id, collect_one, &c, &err);
	if (c.nomem) snprintf(b->load_err, sizeof b->load_err, "Out of memory: only the first %d "
			      "entries are listed.", b->n);
	else if (rc != LB_OK) {
		snprintf(b->load_err, sizeof b->load_err, "This folder could not be read%s: %s",
			 b->n ? " completely" : "", err.msg[0] ? err.msg : "(no details)");
		lb_sanitize(b->load_err);
	}
	qsort(b->v, (size_t)b->n, sizeof *b->v, ent_cmp);
	b->list.n = b->n + (at_root(b) ? 0 : 1);
	b->list.sel = 0;
	b->list.top = 0;
}

struct bi_ent *bi_row_ent(struct bi *b, int row)
{
	int i = row - (at_root(b) ? 0 : 1);
	return i >= 0 && i < b->n ? &b->v[i] : NULL;
}

static char *join(const char *dir, const char *name, size_t len)
{
	size_t dl = strcmp(dir, "/") ? strlen(dir) : 0;
	char *p = malloc(dl + len + 2);
	if (!p) return NULL;
	memcpy(p, dir, dl);
	p[dl] = '/';
	memcpy(p + dl + 1, name, len);
	p[dl + 1 + len] = 0;
	return p;
}

char *bi_ent_path(const struct bi *b, int row)
{
	struct bi_ent *e = bi_row_ent((struct bi *)b, row);
	return e ? join(b->cwd, e->name, e->len) : NULL;
}

char *bi_escape(const char *path, char *out, size_t cap)
{
	/* '/' is not escaped: a path's components are */
	return lb_fsr_escape(path, strlen(path), out, cap);
}

/* ---- marks ------------------------------------------------------------------------------- */
/* path lies inside the tree dir ("/a" holds "/a/b", not "/ab") */
static int inside(const char *path, const char *dir)
{
	size_t l = strlen(dir);
	return !strncmp(path, dir, l) && path[l] == '/';
}

/* 2: path itself is marked, 1: a folder above it is, 0: neither */
static int mark_state(const struct bi *b, const char *path, int *idx)
{
	for (int i = 0; i < b->nmarks; i++) {
		if (!strcmp(b->marks[i].path, path)) { if (idx) *idx = i; return 2; }
		if (b->marks[i].is_dir && inside(path, b->marks[i].path)) return 1;
	}
	return 0;
}

static void drop_mark(struct bi *b, int i)
{
	free(b->marks[i].path);
	b->marks[i] = b->marks[--b->nmarks];
}

void bi_marks_clear(struct bi *b)
{
	while (b->nmarks) drop_mark(b, b->nmarks - 1);
	free(b->marks);
	b->marks = NULL;
}

void bi_marks_total(const struct bi *b, uint64_t *files, uint64_t *bytes, int *exact)
{
	*files = *bytes = 0;
	*exact = 1;
	for (int i = 0; i < b->nmarks; i++) {
		*files += b->marks[i].files;
		*bytes += b->marks[i].bytes;
		if (!b->marks[i].counted) *exact = 0;
	}
}

/* Counting a tree: child folders are gathered during readdir and walked after it returns, so
 * no backend is asked to read a folder while it is in the middle of another. */
struct count { struct bi_mark *m; uint64_t *dirs; int nd, cap; int cut; };

static int count_one(void *ctx, const char *name, size_t len, const struct lb_fsr_stat *st)
{
	struct count *c = ctx;
	(void)name; (void)len;
	if (S_ISDIR(st->mode)) {
		if (c->nd == c->cap) {
			int nc = c->cap ? c->cap * 2 : 64;
			uint64_t *nv = realloc(c->dirs, (size_t)nc * sizeof *nv);
			if (!nv) { c->cut = 1; return 1; }
			c->dirs = nv;
			c->cap = nc;
		}
		c->dirs[c->nd++] = st->id;
		return 0;
	}
	c->m->files++;
	if (S_ISREG(st->mode)) c->m->bytes += st->size;
	return 0;
}

static void count_tree(struct bi *b, uint64_t id, struct bi_mark *m, int depth, int *cut)
{
	struct count c = { m, NULL, 0, 0, 0 };
	struct lb_err err = { 0 };
	if (depth > COUNT_DEPTH || *cut) { *cut = 1; return; }
	if (lb_fsr_readdir(b->f, id, count_one, &c, &err) != LB_OK || c.cut) *cut = 1;
	/* Esc stops counting (a huge tree); the copy still takes all of it */
	timeout(0);
	int k = getch();
	if (k == KEY_ESC) *cut = 1;
	else if (k != ERR) ungetch(k);   /* typed ahead: for the folder screen, not for us */
	for (int i = 0; i < c.nd && !*cut; i++) count_tree(b, c.dirs[i], m, depth + 1, cut);
	free(c.dirs);
}

static void toggle_mark(struct bi *b)
{
	struct bi_ent *e = bi_row_ent(b, b->list.sel);
	if (!e) return;
	char *path = join(b->cwd, e->name, e->len);
	if (!path) return;
	int idx = -1, s = mark_state(b, path, &idx);
	if (s == 2) { drop_mark(b, idx); free(path); return; }
	if (s == 1) {
		ui_message("Already marked", "A folder above this one is marked: everything in it is "
			   "copied with it.", 0);
		free(path);
		return;
	}
	struct bi_mark *nv = realloc(b->marks, (size_t)(b->nmarks + 1) * sizeof *nv);
	if (!nv) { free(path); return; }
	b->marks = nv;
	struct bi_mark *m = &b->marks[b->nmarks];
	memset(m, 0, sizeof *m);
	m->path = path;
	m->is_dir = S_ISDIR(e->st.mode);
	m->counted = 1;
	if (m->is_dir) {
		/* a folder takes the place of marks inside it: they would be copied twice */
		for (int i = b->nmarks - 1; i >= 0; i--)
			if (inside(b->marks[i].path, path)) drop_mark(b, i);
		m = &b->marks[b->nmarks];
		ui_fill(LINES - 3, 2, 1, COLS - 4, 0);
		ui_put(LINES - 3, 2, COLS - 4, ui_attr(UI_DIM), 0, "Counting what the folder holds... "
		       "(Esc: stop counting)");
		refresh();
		int cut = 0;
		count_tree(b, e->st.id, m, 0, &cut);
		m->counted = !cut;
	} else {
		m->files = 1;
		m->bytes = S_ISREG(e->st.mode) ? e->st.size : 0;
	}
	b->nmarks++;
	if (b->list.sel + 1 < b->list.n) b->list.sel++;
}

/* ---- drawing ----------------------------------------------------------------------------- */
static char type_char(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFDIR: return 'd';
	case S_IFLNK: return 'l';
	case S_IFCHR: return 'c';
	case S_IFBLK: return 'b';
	case S_IFIFO: return 'p';
	case S_IFSOCK: return 's';
	case S_IFREG: return '-';
	}
	return '?';               /* the listing could not stat it */
}

static void row(void *ctx, int i, int y, int x, int w, int sel)
{
	struct bi *b = ctx;
	int a = sel ? ui_attr(UI_SEL) : 0;
	struct bi_ent *e = bi_row_ent(b, i);
	if (!e) { ui_put(y, x, w, a, 1, "     ..  (up one level)"); return; }
	char *path = join(b->cwd, e->name, e->len);
	int s = path ? mark_state(b, path, NULL) : 0;
	free(path);
	char name[1100], size[24] = "", t[32];
	/* a name is whatever bytes the filesystem holds: escaped (\x1b), never sent raw */
	lb_fsr_escape(e->name, e->len, name, sizeof name);
	if (S_ISREG(e->st.mode)) fmt_size(e->st.size, size, sizeof size);
	else if (S_ISLNK(e->st.mode)) snprintf(size, sizeof size, "link");
	if (e->st.mtime) fmt_time((time_t)e->st.mtime, t, sizeof t);
	else snprintf(t, sizeof t, "-");
	if (s && !sel) a = ui_attr(UI_OK);
	char target[1100] = "";
	if (S_ISLNK(e->st.mode)) {
		/* read for the rows shown only: a folder of many links is not read link by link */
		if (!e->link) {
			char buf[4096];
			struct lb_err err = { 0 };
			e->link = strdup(lb_fsr_readlink(b->f, e->st.id, buf, sizeof buf, &err) == LB_OK ?
					 buf : "");
		}
		if (e->link && e->link[0]) {
			memcpy(target, " -> ", 4);
			lb_fsr_escape(e->link, strlen(e->link), target + 4, sizeof target - 4);
		}
	}
	ui_put(y, x, w, a, 1, " %s %c %10s  %-16s  %s%s%s", s == 2 ? "[*]" : s == 1 ? "[+]" : "[ ]",
	       type_char(e->st.mode), size, t, name, S_ISDIR(e->st.mode) ? "/" : "", target);
}

void bi_draw(void *ctx)
{
	struct bi *b = ctx;
	if (ui_too_small()) return;
	ui_frame("Browse an image: files",
		 "Enter=Open  Bksp=Up  Space=Mark  c=Copy  Esc=Back  ?=Help");
	int w = COLS - 4;
	char cwd[1100];
	bi_escape(b->cwd, cwd, sizeof cwd);
	ui_put(2, 2, w, A_BOLD, 0, "%s, %s", b->where, b->image);
	ui_put(3, 2, w, A_BOLD, 0, "Folder: %s  (%d entr%s)", cwd, b->n, b->n == 1 ? "y" : "ies");
	int y = 4;
	const char *note = lb_fsr_note(b->f);
	if (note) ui_put(y++, 2, w, ui_attr(UI_DIM), 0, "%s", note);
	if (b->load_err[0]) ui_put(y++, 2, w, ui_attr(UI_DANGER), 0, "%s", b->load_err);
	list_draw(&b->list, y + 1, 2, LINES - y - 5, w);
	if (!b->n && !b->load_err[0]) ui_put(y + 2, 6, w - 4, ui_attr(UI_DIM), 0, "(empty folder)");
	uint64_t files, bytes;
	int exact;
	bi_marks_total(b, &files, &bytes, &exact);
	ui_fill(LINES - 3, 2, 1, w, 0);
	if (b->nmarks)
		ui_put(LINES - 3, 2, w, A_BOLD, 0, "Marked: %d entr%s, %s%llu file%s, %s",
		       b->nmarks, b->nmarks == 1 ? "y" : "ies", exact ? "" : "at least ",
		       (unsigned long long)files, files == 1 ? "" : "s", SZ(bytes));
	else
		ui_put(LINES - 3, 2, w, ui_attr(UI_DIM), 0, "Nothing marked: Space marks, c copies "
		       "what is marked or highlighted.");
	refresh();
}

/* ---- the screen -------------------------------------------------------------------------- */
static void go_up(struct bi *b)
{
	if (at_root(b)) return;
	char *s = strrchr(b->cwd, '/');
	char *left = s ? strdup(s + 1) : NULL;
	if (s == b->cwd) s[1] = 0;
	else if (s) *s = 0;
	load(b);
	/* the cursor on the folder just left, as a file manager does */
	for (int i = 0; left && i < b->n; i++)
		if (!strcmp(b->v[i].name, left)) b->list.sel = i + (at_root(b) ? 0 : 1);
	free(left);
}

static void open_row(struct bi *b)
{
	struct bi_ent *e = bi_row_ent(b, b->list.sel);
	if (!e) { go_up(b); return; }
	if (!S_ISDIR(e->st.mode)) return;
	char *p = join(b->cwd, e->name, e->len);
	if (!p) return;
	free(b->cwd);
	b->cwd = p;
	load(b);
}

void bi_files(struct bi *b)
{
	free(b->cwd);
	b->cwd = strdup("/");
	if (!b->cwd) return;
	b->list.draw_row = row;
	b->list.ctx = b;
	load(b);
	for (;;) {
		ui_set_backdrop(bi_draw, b);
		bi_draw(b);
		int k = ui_getkey(-1);
		if (k == ERR) break;
		if (k == KEY_RESIZE) continue;
		if (list_key(&b->list, k, LINES - 9)) continue;
		int a = ui_action(keys, k);
		if (a == F_BACK) {
			char q[200];
			snprintf(q, sizeof q, "Leave this filesystem? The %d marked entr%s will be "
				 "forgotten.", b->nmarks, b->nmarks == 1 ? "y" : "ies");
			if (!b->nmarks || ui_confirm("Leave", q, 0)) break;
		}
		if (a == F_HELP) ui_help("browse-image");
		if (a == F_UP) go_up(b);
		if (a == F_OPEN) open_row(b);
		if (a == F_MARK) toggle_mark(b);
		if (a == F_UNMARK_ALL) bi_marks_clear(b);
		if (a == F_COPY) bi_copy(b);
	}
	bi_marks_clear(b);
	free_ents(b);
	free(b->cwd);
	b->cwd = NULL;
}
