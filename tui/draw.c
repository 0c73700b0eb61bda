/* draw.c — small drawing helpers (boxes, clipped text, bars, the screen frame) and the
 * formatting of sizes and times. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <wchar.h>
#include "ui.h"

extern chtype ui_g_h, ui_g_v, ui_g_ul, ui_g_ur, ui_g_ll, ui_g_lr, ui_g_lt, ui_g_rt;

void ui_hline(int y, int x, int w)
{
	if (w > 0) mvhline(y, x, ui_g_h, w);
}

void ui_vline(int y, int x, int h)
{
	if (h > 0) mvvline(y, x, ui_g_v, h);
}

void ui_fill(int y, int x, int h, int w, int attr)
{
	attrset(attr);
	for (int i = 0; i < h; i++) mvhline(y + i, x, ' ', w);
	attrset(A_NORMAL);
}

void ui_box(int y, int x, int h, int w, int attr)
{
	attrset(attr);
	mvhline(y, x + 1, ui_g_h, w - 2);
	mvhline(y + h - 1, x + 1, ui_g_h, w - 2);
	mvvline(y + 1, x, ui_g_v, h - 2);
	mvvline(y + 1, x + w - 1, ui_g_v, h - 2);
	mvaddch(y, x, ui_g_ul);
	mvaddch(y, x + w - 1, ui_g_ur);
	mvaddch(y + h - 1, x, ui_g_ll);
	mvaddch(y + h - 1, x + w - 1, ui_g_lr);
	attrset(A_NORMAL);
}

/* Writes s clipped to w columns; multi-byte UTF-8 counted by display width. */
static void put_clipped(const char *s, int w, int pad)
{
	mbstate_t st;
	memset(&st, 0, sizeof st);
	int used = 0;
	size_t len = strlen(s);
	while (len && used < w) {
		wchar_t wc;
		size_t n = mbrtowc(&wc, s, len, &st);
		if (n == (size_t)-1 || n == (size_t)-2) { wc = '?'; n = 1; memset(&st, 0, sizeof st); }
		if (n == 0) break;
		int cw = wcwidth(wc);
		if (wc < ' ') { wc = ' '; cw = 1; }
		if (cw < 0) { wc = '?'; cw = 1; }
		if (used + cw > w) break;
		if (wc < 128) addch((chtype)wc);
		else addnwstr(&wc, 1);
		used += cw;
		s += n; len -= n;
	}
	while (pad && used++ < w) addch(' ');
}

void ui_put(int y, int x, int w, int attr, int pad, const char *fmt, ...)
{
	if (w <= 0 || y < 0 || y >= LINES) return;
	if (x + w > COLS) w = COLS - x;
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	move(y, x);
	attrset(attr);
	put_clipped(buf, w, pad);
	attrset(A_NORMAL);
}

void ui_bar(int y, int x, int w, double frac)
{
	if (frac < 0) frac = 0;
	if (frac > 1) frac = 1;
	int inner = w - 2, full = (int)(inner * frac + 0.5);
	mvaddch(y, x, '[');
	for (int i = 0; i < inner; i++) {
		if (i < full) {
			attrset(ui_attr(UI_BAR));
			addch('#');
		} else {
			attrset(A_NORMAL);
			addch('.');
		}
	}
	attrset(A_NORMAL);
	addch(']');
}

void ui_frame(const char *title, const char *hints)
{
	erase();
	char t[256];
	snprintf(t, sizeof t, " Lifeboat %s%s%s", LB_VERSION, title && *title ? " - " : "",
		 title ? title : "");
	ui_put(0, 0, COLS, ui_attr(UI_TITLE), 1, "%s", t);
	if (hints) {
		/* hints: "Enter=Select  Esc=Back"; the key part in the key colour */
		move(LINES - 1, 0);
		int x = 0;
		const char *p = hints;
		while (*p && x < COLS - 1) {
			const char *sp = strstr(p, "  ");
			size_t n = sp ? (size_t)(sp - p) : strlen(p);
			const char *eq = memchr(p, '=', n);
			char tok[128];
			snprintf(tok, sizeof tok, "%.*s", (int)n, p);
			if (eq) {
				int kl = (int)(eq - p);
				ui_put(LINES - 1, x, COLS - x, ui_attr(UI_KEY), 0, "%.*s", kl, p);
				ui_put(LINES - 1, x + kl, COLS - x - kl, 0, 0, " %s", tok + kl + 1);
				x += (int)n + 2;
			} else {
				ui_put(LINES - 1, x, COLS - x, 0, 0, "%s", tok);
				x += (int)n + 2;
			}
			p += n;
			while (*p == ' ') p++;
		}
	}
}

int ui_too_small(void)
{
	if (COLS >= 60 && LINES >= 16) return 0;
	erase();
	ui_put(0, 0, COLS, 0, 0, "Lifeboat needs a terminal of at least 60x16");
	ui_put(1, 0, COLS, 0, 0, "(this one is %dx%d). Make it larger.", COLS, LINES);
	refresh();
	return 1;
}

char *fmt_size(uint64_t b, char *buf, size_t len)
{
	static const char *u[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)b;
	int i = 0;
	while (v >= 1024 && i < 5) { v /= 1024; i++; }
	if (i == 0) snprintf(buf, len, "%llu B", (unsigned long long)b);
	else snprintf(buf, len, v < 10 ? "%.2f %s" : v < 100 ? "%.1f %s" : "%.0f %s", v, u[i]);
	return buf;
}

char *fmt_secs(double s, char *buf, size_t len)
{
	if (s < 0) { snprintf(buf, len, "--:--"); return buf; }
	unsigned long t = (unsigned long)(s + 0.5);
	if (t >= 3600) snprintf(buf, len, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
	else snprintf(buf, len, "%lu:%02lu", t / 60, t % 60);
	return buf;
}

char *fmt_time(time_t t, char *buf, size_t len)
{
	struct tm tm;
	if (!t || !localtime_r(&t, &tm)) snprintf(buf, len, "unknown");
	else strftime(buf, len, "%Y-%m-%d %H:%M", &tm);
	return buf;
}
