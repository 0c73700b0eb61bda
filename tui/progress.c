/* progress.c — the progress screen (drawn from the engine's progress callback, on this thread)
 * and the result screen that follows every operation. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "ui.h"

#define DRAW_INTERVAL 0.25   /* seconds between redraws: a serial line stays responsive */

static const char *phase_name(enum lb_phase p)
{
	switch (p) {
	case LB_PHASE_PLAN: return "Planning";
	case LB_PHASE_COPY: return "Copying";
	case LB_PHASE_VERIFY: return "Verifying";
	case LB_PHASE_FINISH: return "Finishing";
	}
	return "";
}

static void draw(void *ctx)
{
	struct prog *pr = ctx;
	const struct lb_progress *p = &pr->last;
	if (ui_too_small()) return;
	ui_frame(pr->title, "Esc=Cancel  ?=Help");
	int w = COLS - 4, y = 2;
	ui_put(y++, 2, w, 0, 0, "From: %s", pr->from);
	ui_put(y++, 2, w, 0, 0, "To:   %s", pr->to);
	y++;
	double frac = p->total ? (double)p->done / (double)p->total : 0;
	ui_put(y, 2, w, A_BOLD, 0, "%s", phase_name(p->phase));
	ui_put(y++, COLS - 8, 6, A_BOLD, 0, "%5.1f%%", frac * 100);
	ui_bar(y++, 2, w, frac);
	ui_put(y++, 2, w, 0, 0, "%s of %s", SZ(p->done), SZ(p->total));
	if (p->out_bytes) ui_put(y - 1, COLS / 2, COLS / 2 - 2, 0, 0, "written %s", SZ(p->out_bytes));
	y++;
	const char *what = "Disk areas outside partitions (tables, boot code)";
	char buf[160];
	if (p->part > 0) {
		snprintf(buf, sizeof buf, "Partition %d", p->part);
		for (int i = 0; i < pr->nparts; i++)
			if (pr->parts[i].number == p->part && (pr->parts[i].fs[0] || pr->parts[i].label[0]))
				snprintf(buf, sizeof buf, "Partition %d (%s%s%s)", p->part, pr->parts[i].fs,
					 pr->parts[i].fs[0] && pr->parts[i].label[0] ? " " : "",
					 pr->parts[i].label);
		what = buf;
	}
	if (p->phase == LB_PHASE_COPY || p->phase == LB_PHASE_PLAN)
		ui_put(y++, 2, w, 0, 0, "Now:  %s%s%s", what, pr->method[0] ? ", " : "", pr->method);
	else y++;
	char e[32], l[32];
	ui_put(y++, 2, w, 0, 0, "Speed %.1f MB/s    Elapsed %s    Left %s", p->rate / 1e6,
	       fmt_secs(p->elapsed, e, sizeof e), fmt_secs(p->eta, l, sizeof l));
	if (p->bad_bytes)
		ui_put(y++, 2, w, ui_attr(UI_WARN), 0, "Unreadable so far: %s (skipped, see the log)",
		       SZ(p->bad_bytes));
	else ui_put(y++, 2, w, 0, 0, "Unreadable so far: none");
	if (pr->cancel_text) ui_put(LINES - 3, 2, w, ui_attr(UI_DIM), 0, "%s", pr->cancel_text);
	refresh();
}

void prog_start(struct prog *pr)
{
	memset(&pr->last, 0, sizeof pr->last);
	pr->last.eta = -1;
	pr->cancelled = 0;
	pr->method[0] = 0;
	pr->last_draw = 0;
	ui_set_backdrop(draw, pr);
	draw(pr);
}

int prog_cb(void *ctx, const struct lb_progress *p)
{
	struct prog *pr = ctx;
	pr->last = *p;
	pr->last.method = NULL;
	snprintf(pr->method, sizeof pr->method, "%s", p->method ? p->method : "");
	if (pr->cancelled) return 1;
	if (ui_quit_signal) { pr->cancelled = 1; return 1; }
	int force = p->phase == LB_PHASE_FINISH;
	timeout(0);
	for (int k; (k = getch()) != ERR;) {
		if (k == KEY_RESIZE || k == KEY_CTRL('l')) { clearok(curscr, TRUE); force = 1; }
		else if (k == '?' || k == KEY_F(1)) { ui_help(pr->help ? pr->help : "progress"); force = 1; }
		else if (k == KEY_ESC || k == 'q') {
			char q[256];
			snprintf(q, sizeof q, "Stop now? %s", pr->cancel_text ? pr->cancel_text : "");
			if (ui_confirm("Cancel", q, 1)) { pr->cancelled = 1; return 1; }
			force = 1;
		}
	}
	double t = now_secs();
	if (force || t - pr->last_draw >= DRAW_INTERVAL) {
		pr->last_draw = t;
		draw(pr);
	}
	return 0;
}

/* ---- result ------------------------------------------------------------------------------ */
struct res { const char *title, *text; int ok, top; };

static void res_draw(void *ctx)
{
	struct res *r = ctx;
	if (ui_too_small()) return;
	ui_frame(r->title, "Enter=Done  Up/Down=Scroll");
	int y = 2, line = 0;
	for (const char *p = r->text; *p;) {
		const char *nl = strchr(p, '\n');
		int n = nl ? (int)(nl - p) : (int)strlen(p);
		if (line >= r->top && y < LINES - 2)
			ui_put(y++, 2, COLS - 4, line == 0 ? (r->ok ? ui_attr(UI_OK) : ui_attr(UI_DANGER)) : 0,
			       0, "%.*s", n, p);
		line++;
		p += n + (nl ? 1 : 0);
	}
	refresh();
}

void result_screen(const char *title, int ok, const char *text)
{
	struct res r = { title, text, ok, 0 };
	ui_set_backdrop(res_draw, &r);
	for (;;) {
		res_draw(&r);
		int k = ui_getkey(-1);
		if (k == ERR || k == KEY_ESC || k == '\n' || k == '\r' || k == KEY_ENTER || k == 'q') break;
		if (k == KEY_DOWN) r.top++;
		if (k == KEY_UP && r.top > 0) r.top--;
		if (k == '?') ui_help("home");
	}
}

int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) return -errno;
	size_t len = strlen(text), off = 0;
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0 && errno == EINTR) continue;
		if (w <= 0) { int e = errno; close(fd); return -e; }
		off += (size_t)w;
	}
	fsync(fd);
	return close(fd) < 0 ? -errno : 0;
}
