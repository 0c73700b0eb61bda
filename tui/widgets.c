/* widgets.c — the scrolling list, modal dialogs (message, yes/no, text input, engine errors)
 * and key tables. Dialogs redraw the screen below them through the backdrop on resize. */
#include <stdio.h>
#include <string.h>
#include "ui.h"

/* ---- key tables -------------------------------------------------------------------------- */
int ui_action(const struct ui_key *map, int key)
{
	for (; map->key; map++)
		if (map->key == key) return map->action;
	return 0;
}

/* ---- list -------------------------------------------------------------------------------- */
static int selectable(struct ui_list *l, int i)
{
	if (i < l->selectable_from || i >= l->n) return 0;
	return l->is_selectable ? l->is_selectable(l->ctx, i) : 1;
}

static void fix_sel(struct ui_list *l, int dir)
{
	if (l->n <= 0) { l->sel = -1; return; }
	if (l->sel < 0) l->sel = 0;
	if (l->sel >= l->n) l->sel = l->n - 1;
	int s = l->sel;
	while (s >= 0 && s < l->n && !selectable(l, s)) s += dir;
	if (s < 0 || s >= l->n) {
		s = l->sel;
		while (s >= 0 && s < l->n && !selectable(l, s)) s -= dir;
	}
	l->sel = (s >= 0 && s < l->n) ? s : -1;
}

void list_draw(struct ui_list *l, int y, int x, int h, int w)
{
	if (h <= 0) return;
	fix_sel(l, 1);
	int anchor = l->sel >= 0 ? l->sel : 0;
	if (anchor < l->top) l->top = anchor;
	if (anchor >= l->top + h) l->top = anchor - h + 1;
	/* show the headings above the first selectable row when they fit */
	if (l->sel >= 0 && l->sel < h) l->top = 0;
	if (l->top > l->n - h) l->top = l->n - h > 0 ? l->n - h : 0;
	for (int r = 0; r < h; r++) {
		int i = l->top + r;
		ui_fill(y + r, x, 1, w, 0);
		if (i < l->n) l->draw_row(l->ctx, i, y + r, x, w, i == l->sel);
		if (i == l->sel) ui_put(y + r, x, 1, ui_attr(UI_SEL), 0, ">");
	}
	if (l->top > 0) ui_put(y, x + w - 1, 1, ui_attr(UI_KEY), 0, "^");
	if (l->top + h < l->n) ui_put(y + h - 1, x + w - 1, 1, ui_attr(UI_KEY), 0, "v");
}

int list_key(struct ui_list *l, int key, int h)
{
	int dir = 1;
	switch (key) {
	case KEY_UP: case 'k': l->sel--; dir = -1; break;
	case KEY_DOWN: case 'j': l->sel++; break;
	case KEY_PPAGE: l->sel -= h > 1 ? h - 1 : 1; dir = -1; break;
	case KEY_NPAGE: l->sel += h > 1 ? h - 1 : 1; break;
	case KEY_HOME: l->sel = 0; break;
	case KEY_END: l->sel = l->n - 1; dir = -1; break;
	default: return 0;
	}
	int before = l->sel;
	if (l->sel < 0) l->sel = 0;
	if (l->sel >= l->n) l->sel = l->n - 1;
	fix_sel(l, before < 0 ? 1 : dir);
	return 1;
}

/* ---- backdrop ---------------------------------------------------------------------------- */
static ui_redraw_fn backdrop_fn;
static void *backdrop_ctx;

void ui_set_backdrop(ui_redraw_fn fn, void *ctx) { backdrop_fn = fn; backdrop_ctx = ctx; }
void ui_backdrop(void)
{
	if (ui_too_small()) return;
	if (backdrop_fn) backdrop_fn(backdrop_ctx);
	else erase();
}

/* ---- dialogs ----------------------------------------------------------------------------- */
/* Splits text into lines of at most w columns (bytes; texts here are mostly ASCII). */
static int wrap(const char *text, int w, char lines[][160], int max)
{
	int n = 0;
	const char *p = text;
	if (w > 159) w = 159;
	while (*p && n < max) {
		const char *nl = strchr(p, '\n');
		int seg = nl ? (int)(nl - p) : (int)strlen(p);
		int take = seg;
		if (take > w) {
			take = w;
			while (take > 0 && p[take] != ' ') take--;
			if (take == 0) take = w;
		}
		snprintf(lines[n++], 160, "%.*s", take, p);
		p += take;
		if (*p == ' ') p++;
		else if (*p == '\n' && take == seg) p++;
	}
	return n;
}

struct dlg {
	const char *title, *text, *hint;
	int danger;
	const char *field;  /* text input content, or NULL */
	int fy, fx, fw;     /* where the field was drawn */
};

static void dlg_draw(struct dlg *d)
{
	if (ui_too_small()) return;
	int w = COLS - 6 < 72 ? COLS - 6 : 72;
	char lines[40][160];
	int n = wrap(d->text, w - 4, lines, LINES - 8 > 40 ? 40 : LINES - 8);
	int h = n + 4 + (d->field ? 2 : 0);
	int y = (LINES - h) / 2, x = (COLS - w) / 2;
	int bg = d->danger ? ui_attr(UI_DANGER) : 0;
	ui_fill(y, x, h, w, bg);
	ui_box(y, x, h, w, bg);
	char t[160];
	snprintf(t, sizeof t, " %s ", d->title);
	ui_put(y, x + 2, w - 4, bg | A_BOLD, 0, "%s", t);
	for (int i = 0; i < n; i++) ui_put(y + 1 + i, x + 2, w - 4, bg, 0, "%s", lines[i]);
	if (d->field) {
		d->fy = y + 2 + n; d->fx = x + 2; d->fw = w - 4;
		int len = (int)strlen(d->field), off = len > d->fw - 4 ? len - (d->fw - 4) : 0;
		ui_put(d->fy, d->fx, d->fw, ui_attr(UI_SEL), 1, "> %s", d->field + off);
	}
	ui_put(y + h - 2, x + 2, w - 4, bg | A_BOLD, 0, "%s", d->hint);
	if (d->field) {
		int len = (int)strlen(d->field);
		move(d->fy, d->fx + 2 + (len > d->fw - 4 ? d->fw - 4 : len));
	}
	refresh();
}

static int dlg_run(struct dlg *d, const int *accept, int naccept)
{
	dlg_draw(d);
	for (;;) {
		int k = ui_getkey(-1);
		if (k == ERR) return KEY_ESC;            /* a quit signal */
		if (k == KEY_RESIZE) { ui_backdrop(); dlg_draw(d); continue; }
		for (int i = 0; i < naccept; i++)
			if (accept[i] == k) return k;
	}
}

void ui_message(const char *title, const char *text, int danger)
{
	struct dlg d = { title, text, "Enter=OK", danger, NULL, 0, 0, 0 };
	static const int keys[] = { '\n', '\r', KEY_ENTER, KEY_ESC, ' ', 'q' };
	dlg_run(&d, keys, 6);
	ui_backdrop();
}

int ui_confirm(const char *title, const char *text, int danger)
{
	struct dlg d = { title, text, "y = Yes    n / Esc = No", danger, NULL, 0, 0, 0 };
	static const int keys[] = { 'y', 'Y', 'n', 'N', KEY_ESC };
	int k = dlg_run(&d, keys, 5);
	ui_backdrop();
	return k == 'y' || k == 'Y';
}

/* mask: a passphrase, shown as '*' and wiped from the dialog's own buffers afterwards */
static int input_run(const char *title, const char *text, char *buf, size_t len, int danger,
		     int mask)
{
	char field[1100], stars[1100];
	snprintf(field, sizeof field, "%s", mask ? "" : buf);
	struct dlg d = { title, text, "Enter = OK    Esc = Cancel", danger, mask ? stars : field,
			 0, 0, 0 };
	curs_set(1);
	int ok = 0;
	for (;;) {
		if (mask) {
			size_t n = strlen(field);
			memset(stars, '*', n);
			stars[n] = 0;
		}
		dlg_draw(&d);
		int k = ui_getkey(-1);
		size_t n = strlen(field);
		if (k == ERR || k == KEY_ESC) break;
		if (k == KEY_RESIZE) { ui_backdrop(); continue; }
		if (k == '\n' || k == '\r' || k == KEY_ENTER) { ok = 1; break; }
		if ((k == KEY_BACKSPACE || k == 127 || k == 8) && n) field[n - 1] = 0;
		else if (k == KEY_CTRL('u')) field[0] = 0;
		else if (k >= 32 && k < 127 && n + 1 < sizeof field && n + 1 < len) {
			field[n] = (char)k;
			field[n + 1] = 0;
		}
	}
	curs_set(0);
	if (ok) snprintf(buf, len, "%s", field);
	if (mask) {
		volatile char *v = field;
		for (size_t i = 0; i < sizeof field; i++) v[i] = 0;
	}
	ui_backdrop();
	return ok;
}

int ui_input(const char *title, const char *text, char *buf, size_t len, int danger)
{
	return input_run(title, text, buf, len, danger, 0);
}

int ui_input_secret(const char *title, const char *text, char *buf, size_t len)
{
	return input_run(title, text, buf, len, 0, 1);
}

/* What the person can do next, by error kind. */
static const char *next_step(int code)
{
	switch (code) {
	case LB_EIO: return "Check the cables and the disk's health; an image of a failing disk "
			    "may still be possible with fewer partitions.";
	case LB_ENOSPACE: return "Free some space at the destination, or choose another disk.";
	case LB_EDAMAGED: return "The image cannot be trusted. Use another copy of it if you have one.";
	case LB_EFOREIGN: return "Choose a file made by Lifeboat (.lbi).";
	case LB_EVERSION: return "Use a newer Lifeboat stick to read this image.";
	case LB_ETOOSMALL: return "Choose a larger target.";
	case LB_ENOENT: return "The disk or file may have been removed. Press F5 on the main "
			       "screen to look again.";
	case LB_EREFUSED: return "Nothing was written.";
	case LB_EUNSUPPORTED: return "This version of Lifeboat cannot do that yet.";
	case LB_EKEY: return "Nothing was written. Try again with the passphrase the image was "
			     "made with.";
	default: return "";
	}
}

void ui_error(const char *what, const struct lb_err *err)
{
	char text[2048];
	snprintf(text, sizeof text, "%s\n\n%s\n\n%s", what,
		 err && err->msg[0] ? err->msg : "(no details)", err ? next_step(err->code) : "");
	ui_message("Problem", text, 1);
}
