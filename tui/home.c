/* home.c — the first screen: every disk with its partitions, and what can be done. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <unistd.h>
#include "secureboot.h"
#include "ui.h"

enum { ACT_BACKUP = 1, ACT_RESTORE, ACT_CLONE, ACT_VERIFY, ACT_BROWSE, ACT_SHELL, ACT_REBOOT,
       ACT_POWEROFF, ACT_HELP, ACT_QUIT, ACT_RELOAD, ACT_ENTER, ACT_SCROLL_UP, ACT_SCROLL_DOWN };

static const struct { int action; const char *label; } menu[] = {
	{ ACT_BACKUP, "Back up a disk" }, { ACT_RESTORE, "Restore an image" },
	{ ACT_CLONE, "Clone a disk" }, { ACT_VERIFY, "Verify an image" },
	{ ACT_BROWSE, "Browse an image" },
	{ ACT_SHELL, "Shell" }, { ACT_REBOOT, "Reboot" }, { ACT_POWEROFF, "Power off" },
	{ ACT_HELP, "Help" }, { ACT_QUIT, "Quit" },
};
#define NMENU (int)(sizeof menu / sizeof *menu)

static const struct ui_key keys[] = {
	{ 'b', ACT_BACKUP }, { 'r', ACT_RESTORE }, { 'c', ACT_CLONE }, { 'v', ACT_VERIFY },
	{ 'f', ACT_BROWSE },
	{ 's', ACT_SHELL }, { '?', ACT_HELP }, { 'h', ACT_HELP }, { 'q', ACT_QUIT },
	{ KEY_ESC, ACT_QUIT }, { KEY_F(5), ACT_RELOAD }, { 'g', ACT_RELOAD },
	{ '\n', ACT_ENTER }, { '\r', ACT_ENTER }, { KEY_ENTER, ACT_ENTER },
	{ KEY_PPAGE, ACT_SCROLL_UP }, { KEY_NPAGE, ACT_SCROLL_DOWN }, { 0, 0 },
};

/* title: with the Secure Boot state ("disk imaging rescue  Secure Boot: on"), read once: it cannot change. */
struct home { int sel, scroll, nrows; char title[64]; };

/* Disk rows: one per disk and one per partition. */
static int row_of(int r, int *part)
{
	for (int i = 0; i < app.ndisks; i++) {
		if (r == 0) { *part = -1; return i; }
		r--;
		if (r < app.disks[i].nparts) { *part = r; return i; }
		r -= app.disks[i].nparts;
	}
	return -1;
}

static void draw_disk_row(int y, int x, int w, int di, int pi)
{
	const struct lb_disk_info *d = &app.disks[di];
	if (pi < 0) {
		char mark[64] = "";
		if (d->holds_boot) strcat(mark, "  [Lifeboat stick]");
		else if (d->mounted) strcat(mark, "  [in use]");
		char tail[96];
		snprintf(tail, sizeof tail, " %s %s%s", d->transport, d->table, mark);
		int tl = (int)strlen(tail);
		ui_put(y, x, w - tl, A_BOLD, 0, "%-8s %10s  %s", disk_short_name(d), SZ(d->size),
		       d->model[0] ? d->model : "(no model)");
		if (tl < w) ui_put(y, x + w - tl, tl, d->holds_boot ? ui_attr(UI_WARN) : 0, 0, "%s", tail);
		return;
	}
	const struct lb_part_info *p = &d->parts[pi];
	char size[64];
	if (p->is_container) snprintf(size, sizeof size, "%10s  (extended)", SZ(p->size));
	else if (p->fs_total) snprintf(size, sizeof size, "%10s / %s used", SZ(p->fs_used), SZ(p->fs_total));
	else snprintf(size, sizeof size, "%10s", SZ(p->size));
	/* the probe's note (LUKS2: encrypted, copied raw) after the size, as far as it fits */
	ui_put(y, x, w, 0, 0, "  %3d  %-6s %-12.12s %s%s%s%s", p->number, p->fs[0] ? p->fs : "-",
	       p->label[0] ? p->label : p->name, size, p->mountpoint[0] ? "  mounted" : "",
	       p->note[0] ? "  " : "", p->note);
}

static void draw(void *ctx)
{
	struct home *h = ctx;
	if (ui_too_small()) return;
	ui_frame(h->title, "Enter=Select  ?=Help  F5=Rescan disks  q=Quit");
	int mw = 20, top = 2, bottom = LINES - 2;
	ui_put(top - 1, 1, mw, A_BOLD, 0, "What to do");
	for (int i = 0; i < NMENU; i++) {
		int y = top + i;
		if (y > bottom) break;
		ui_put(y, 1, mw - 2, i == h->sel ? ui_attr(UI_SEL) : 0, 1, "%c%s", i == h->sel ? '>' : ' ',
		       menu[i].label);
	}
	ui_vline(top - 1, mw, bottom - top + 2);
	int dx = mw + 2, dw = COLS - dx - 1;
	ui_put(top - 1, dx, dw, A_BOLD, 0, "Disks");
	h->nrows = 0;
	for (int i = 0; i < app.ndisks; i++) h->nrows += 1 + app.disks[i].nparts;
	int avail = bottom - top + 1;
	if (h->scroll > h->nrows - avail) h->scroll = h->nrows - avail;
	if (h->scroll < 0) h->scroll = 0;
	if (!app.ndisks) {
		ui_put(top, dx, dw, ui_attr(UI_WARN), 0, "No disks found.");
		char msg[1100];
		snprintf(msg, sizeof msg, "%s", app.disk_err[0] ? app.disk_err :
			 "Connect a disk and press F5.");
		for (int i = 0, y = top + 2; msg[i] && y < bottom; y++) {
			ui_put(y, dx, dw, 0, 0, "%.*s", dw, msg + i);
			i += (int)strnlen(msg + i, dw);
		}
	}
	for (int r = 0; r < avail && h->scroll + r < h->nrows; r++) {
		int pi, di = row_of(h->scroll + r, &pi);
		if (di >= 0) draw_disk_row(top + r, dx, dw, di, pi);
	}
	if (h->scroll > 0) ui_put(top, COLS - 1, 1, ui_attr(UI_KEY), 0, "^");
	if (h->scroll + avail < h->nrows) ui_put(bottom, COLS - 1, 1, ui_attr(UI_KEY), 0, "v");
	refresh();
}

static void power(int poweroff)
{
	const char *what = poweroff ? "Power off" : "Reboot";
	char q[256];
	snprintf(q, sizeof q, "%s the computer now? Filesystems Lifeboat mounted are unmounted "
		 "first.", what);
	if (!ui_confirm(what, q, 0)) return;
	if (app.ndisk_files) {
		ui_message(what, "Not done: Lifeboat is working on disk-image files (--disk), not on "
			   "this computer's disks.", 0);
		return;
	}
	mounts_release();
	sync();
	term_restore();
	if (reboot(poweroff ? RB_POWER_OFF : RB_AUTOBOOT) < 0) {
		term_init();
		ui_message(what, "The system refused: Lifeboat is not allowed to do that here "
			   "(not running as root?).", 1);
	}
}

static void shell(void)
{
	const char *sh = getenv("SHELL");
	if (!sh || !*sh) sh = "/bin/sh";
	const char *argv[] = { sh, NULL };
	ui_run_outside(argv);
	app_load_disks();
}

int scr_home(void)
{
	struct home h = { 0, 0, 0, "disk imaging rescue" };
	/* Whether Secure Boot is on, for whoever wonders why a disk or driver is refused; nothing
	 * on a legacy BIOS boot, where it does not apply. */
	const char *sb = lb_secure_boot_name(lb_secure_boot(NULL));
	if (sb) snprintf(h.title, sizeof h.title, "disk imaging rescue   Secure Boot: %s", sb);
	ui_set_backdrop(draw, &h);
	for (;;) {
		draw(&h);
		int k = ui_getkey(-1);
		if (k == ERR) return 0;       /* quit signal */
		if (k == KEY_RESIZE) continue;
		if (k == KEY_UP) { h.sel = (h.sel + NMENU - 1) % NMENU; continue; }
		if (k == KEY_DOWN || k == '\t') { h.sel = (h.sel + 1) % NMENU; continue; }
		if (k == KEY_HOME) { h.sel = 0; continue; }
		if (k == KEY_END) { h.sel = NMENU - 1; continue; }
		int a = ui_action(keys, k);
		if (a == ACT_ENTER) a = menu[h.sel].action;
		switch (a) {
		case ACT_SCROLL_UP: h.scroll -= LINES - 4; break;
		case ACT_SCROLL_DOWN: h.scroll += LINES - 4; break;
		case ACT_RELOAD: app_load_disks(); break;
		case ACT_HELP: ui_help("home"); break;
		case ACT_BACKUP: flow_backup(); break;
		case ACT_RESTORE: flow_restore(); break;
		case ACT_CLONE: flow_clone(); break;
		case ACT_VERIFY: flow_verify(); break;
		case ACT_BROWSE: flow_browse_image(); break;
		case ACT_SHELL: shell(); break;
		case ACT_REBOOT: power(0); break;
		case ACT_POWEROFF: power(1); break;
		case ACT_QUIT:
			if (ui_confirm("Quit", "Leave Lifeboat?", 0)) return 0;
			break;
		}
		ui_set_backdrop(draw, &h);
	}
}
