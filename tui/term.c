/* term.c — the terminal: curses set-up and teardown, colours or monochrome, line drawing that
 * falls back to ASCII, signals, and key reading. Every exit path goes through term_restore. */
#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <term.h>
#include <time.h>
#include <unistd.h>
#include "ui.h"

volatile sig_atomic_t ui_quit_signal;
static int curses_on;
static int attrs[UI__N];
chtype ui_g_h, ui_g_v, ui_g_ul, ui_g_ur, ui_g_ll, ui_g_lr, ui_g_lt, ui_g_rt;

double now_secs(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void term_restore(void)
{
	if (!curses_on) return;
	curses_on = 0;
	curs_set(1);
	endwin();
}

static void on_quit(int sig)
{
	if (ui_quit_signal) {          /* second signal: the engine is stuck, leave now */
		term_restore();
		_exit(128 + sig);
	}
	ui_quit_signal = sig;
}

static void on_crash(int sig)
{
	term_restore();
	static const char m[] = "lifeboat: internal error, the screen was closed\n";
	ssize_t r = write(2, m, sizeof m - 1);
	(void)r;
	signal(sig, SIG_DFL);
	raise(sig);
}

static void set_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_quit;       /* no SA_RESTART: a blocked read returns and we notice */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	sa.sa_handler = on_crash;
	sa.sa_flags = SA_RESETHAND;
	int crash[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
	for (size_t i = 0; i < sizeof crash / sizeof *crash; i++) sigaction(crash[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* The terminal's own line drawing, unless it has none or we were told not to use it. */
static int has_acs(void)
{
	if (app.ascii || getenv("LIFEBOAT_ASCII")) return 0;
	char *acsc = tigetstr("acsc");
	return acsc && acsc != (char *)-1 && *acsc;
}

static void set_glyphs(void)
{
	if (has_acs()) {
		ui_g_h = ACS_HLINE; ui_g_v = ACS_VLINE; ui_g_ul = ACS_ULCORNER; ui_g_ur = ACS_URCORNER;
		ui_g_ll = ACS_LLCORNER; ui_g_lr = ACS_LRCORNER; ui_g_lt = ACS_LTEE; ui_g_rt = ACS_RTEE;
	} else {
		ui_g_h = '-'; ui_g_v = '|';
		ui_g_ul = ui_g_ur = ui_g_ll = ui_g_lr = ui_g_lt = ui_g_rt = '+';
	}
}

static void set_colours(void)
{
	int colour = has_colors() && !app.mono && !getenv("NO_COLOR");
	if (colour) {
		start_color();
		short bg = COLOR_BLACK;
		if (use_default_colors() == OK) bg = -1;
		init_pair(1, COLOR_WHITE, COLOR_BLUE);   /* title / bar */
		init_pair(2, COLOR_BLACK, COLOR_CYAN);   /* selection */
		init_pair(3, COLOR_WHITE, COLOR_RED);    /* danger */
		init_pair(4, COLOR_GREEN, bg);           /* ok */
		init_pair(5, COLOR_YELLOW, bg);          /* warning */
		init_pair(6, COLOR_CYAN, bg);            /* keys */
		init_pair(7, COLOR_RED, bg);             /* danger text */
		attrs[UI_TITLE] = COLOR_PAIR(1) | A_BOLD;
		attrs[UI_SEL] = COLOR_PAIR(2);
		attrs[UI_DANGER] = COLOR_PAIR(3) | A_BOLD;
		attrs[UI_OK] = COLOR_PAIR(4) | A_BOLD;
		attrs[UI_WARN] = COLOR_PAIR(5) | A_BOLD;
		attrs[UI_DIM] = A_DIM;
		attrs[UI_BAR] = COLOR_PAIR(1);
		attrs[UI_KEY] = COLOR_PAIR(6) | A_BOLD;
		attrs[UI_FRAME] = 0;
	} else {
		attrs[UI_TITLE] = A_REVERSE;
		attrs[UI_SEL] = A_REVERSE;
		attrs[UI_DANGER] = A_REVERSE | A_BOLD;
		attrs[UI_OK] = A_BOLD;
		attrs[UI_WARN] = A_BOLD;
		attrs[UI_DIM] = 0;
		attrs[UI_BAR] = A_REVERSE;
		attrs[UI_KEY] = A_BOLD;
		attrs[UI_FRAME] = 0;
	}
}

int ui_attr(enum ui_attr a) { return a > 0 && a < UI__N ? attrs[a] : 0; }

static void atexit_restore(void) { term_restore(); }

int term_init(void)
{
	static int first = 1;
	if (first) {
		setlocale(LC_ALL, "");
		set_signals();    /* before newterm, so curses keeps ours */
		atexit(atexit_restore);
		first = 0;
		if (!newterm(NULL, stdout, stdin)) return -1;
		char *cup = tigetstr("cup");
		if (!cup || cup == (char *)-1) { endwin(); return -1; }
	} else {
		refresh();        /* back from a failed reboot: same screen again */
	}
	curses_on = 1;
	if (!getenv("ESCDELAY")) set_escdelay(120);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	intrflush(stdscr, FALSE);
	curs_set(0);
	set_glyphs();
	set_colours();
	return 0;
}

int ui_getkey(int timeout_ms)
{
	double until = timeout_ms < 0 ? 0 : now_secs() + timeout_ms / 1000.0;
	for (;;) {
		if (ui_quit_signal) return ERR;
		int slice = 250;
		if (timeout_ms >= 0) {
			double left = until - now_secs();
			if (left <= 0) return ERR;
			if (left * 1000 < slice) slice = (int)(left * 1000) + 1;
		}
		timeout(slice);
		int k = getch();
		if (k == ERR) continue;
		if (k == KEY_F(1)) return '?';
		if (k == KEY_CTRL('l')) { clearok(curscr, TRUE); return KEY_RESIZE; }
		return k;
	}
}

int ui_run_outside(const char *const argv[])
{
	def_prog_mode();
	endwin();
	struct sigaction ign, old_int, old_quit;   /* like system(): Ctrl-C belongs to the child */
	memset(&ign, 0, sizeof ign);
	ign.sa_handler = SIG_IGN;
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	pid_t pid = fork();
	int st = -1;
	if (pid == 0) {
		signal(SIGINT, SIG_DFL); signal(SIGTERM, SIG_DFL); signal(SIGHUP, SIG_DFL);
		signal(SIGQUIT, SIG_DFL); signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (pid > 0)
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR) ;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	reset_prog_mode();
	clearok(curscr, TRUE);
	refresh();
	return st;
}
