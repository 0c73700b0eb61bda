/* ui.h — what the TUI's files share: the application state, the terminal layer, the widgets
 * (lists, dialogs, text input, help) and the screens. ncurses is only called from the thread
 * that runs tui_main; engine calls are made from it too and draw through the progress callback.
 */
#ifndef LIFEBOAT_UI_H
#define LIFEBOAT_UI_H

#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <curses.h>
#include "lifeboat.h"

#define UI_MAXDISKFILES 16

/* ---- application state ------------------------------------------------------------------ */
struct app {
	const char *disk_files[UI_MAXDISKFILES]; /* --disk: probe these instead of listing /sys */
	int ndisk_files;
	const char *images_dir;  /* --images-dir: where to look for images and save new ones */
	const char *boot_disk;   /* --boot-disk: the disk the stick booted from */
	const char *mnt_root;    /* --mnt-dir: where destination filesystems get mounted */
	int ascii;               /* --ascii: plain ASCII line drawing */
	int mono;                /* --mono: no colours */
	int no_mount;            /* --disk with a disk-image file: never mount anything */
	struct lb_disk_info *disks;
	int ndisks;
	char disk_err[1024];     /* why listing failed, shown on the home screen */
};
extern struct app app;

void app_load_disks(void);
struct lb_disk_info *app_find_disk(const char *path);
/* "sda" for a device, the file's base name for a disk-image file. */
const char *disk_short_name(const struct lb_disk_info *d);

/* ---- terminal ---------------------------------------------------------------------------- */
enum ui_attr { UI_NORMAL = 0, UI_TITLE, UI_SEL, UI_DANGER, UI_OK, UI_WARN, UI_DIM, UI_BAR, UI_KEY,
	UI_FRAME, UI__N };
int term_init(void);              /* -1: this terminal cannot show the screens */
void term_restore(void);           /* endwin; safe to call twice and from atexit */
int ui_attr(enum ui_attr a);
/* signal requested quit (SIGTERM/SIGINT/SIGHUP): the number, or 0 */
extern volatile sig_atomic_t ui_quit_signal;
/* getch that returns ERR on timeout, maps KEY_F(1) to '?', Ctrl-L to a redraw */
int ui_getkey(int timeout_ms);
#define KEY_ESC 27
#define KEY_CTRL(c) ((c) & 0x1f)
/* Run a program with the terminal handed back (the shell). */
int ui_run_outside(const char *const argv[]);

/* ---- drawing helpers --------------------------------------------------------------------- */
void ui_box(int y, int x, int h, int w, int attr);
void ui_hline(int y, int x, int w);
void ui_vline(int y, int x, int h);
void ui_fill(int y, int x, int h, int w, int attr);
/* prints at most w columns (UTF-8 aware), padding with spaces when pad */
void ui_put(int y, int x, int w, int attr, int pad, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
void ui_bar(int y, int x, int w, double frac);
/* screen frame: title line on top, key hints on the bottom line */
void ui_frame(const char *title, const char *hints);
int ui_too_small(void);             /* draws a notice and returns 1 below 60x16 */

/* ---- formatting -------------------------------------------------------------------------- */
char *fmt_size(uint64_t bytes, char *buf, size_t len);   /* "1.5 GiB" */
char *fmt_secs(double s, char *buf, size_t len);         /* "1:02:03" / "2:03" */
char *fmt_time(time_t t, char *buf, size_t len);          /* "2024-05-01 13:45" */
#define SZ(b) fmt_size((b), (char[24]){0}, 24)

/* ---- widgets ----------------------------------------------------------------------------- */
/* A list of rows; the screen draws the header, the list draws and moves the selection. */
struct ui_list {
	int n, sel, top;
	int selectable_from;      /* rows before it are headings */
	int (*is_selectable)(void *ctx, int i);
	void (*draw_row)(void *ctx, int i, int y, int x, int w, int selected);
	void *ctx;
};
void list_draw(struct ui_list *l, int y, int x, int h, int w);
/* Up/Down/PgUp/PgDn/Home/End; returns 1 if the key was a movement */
int list_key(struct ui_list *l, int key, int h);

/* Modal dialogs: all redraw the screen below through ui_redraw_fn when the terminal resizes. */
typedef void (*ui_redraw_fn)(void *ctx);
void ui_set_backdrop(ui_redraw_fn fn, void *ctx);
void ui_backdrop(void);
void ui_message(const char *title, const char *text, int danger);
int ui_confirm(const char *title, const char *text, int danger);  /* 1 yes, 0 no */
/* text input: returns 1 on Enter (buf filled), 0 on Esc */
int ui_input(const char *title, const char *text, char *buf, size_t len, int danger);
/* the same, masked ('*' per character): passphrases */
int ui_input_secret(const char *title, const char *text, char *buf, size_t len);

/* ---- passphrases (passphrase.c) ---------------------------------------------------------- */
struct tui_pass { char pass[1025]; int have; };
/* lb_passphrase_fn: asks once in a masked dialog, then gives what was typed again (prepare,
 * then run); Esc = none. ctx: a struct tui_pass. */
int tui_pass_ask(void *ctx, const char *image, char *buf, size_t cap);
/* A new passphrase, typed twice; 1 when given, 0 on Esc. */
int tui_pass_new(struct tui_pass *p);
void tui_pass_forget(struct tui_pass *p);   /* wipes it (a wrong one: asked again next time) */
void ui_error(const char *what, const struct lb_err *err);

/* ---- network shares (netshare.c) ---------------------------------------------------------- */
/* "A network share...": asks for an smb:// or nfs:// address (and a password), mounts it;
 * path: the folder to save into (for_backup) or the image. 1 when given, 0 on Esc/failure. */
int net_share(int for_backup, char *path, size_t len);
void net_shares_close(void);   /* unmounts them all (at the end of the screens) */
/* Help for a screen, by topic name (see help.c). */
void ui_help(const char *topic);

/* Key -> action tables (one per screen). */
struct ui_key { int key; int action; };
int ui_action(const struct ui_key *map, int key);   /* action, or 0 */

/* ---- files and mounts (files.c, mounts.c) ----------------------------------------------- */
struct mnt_ent { char dev[512], dir[1024], type[64]; int ro, ours; };
int mounts_read(struct mnt_ent **out);          /* real filesystems from /proc/self/mounts */
/* Mounts dev under app.mnt_root; fills dir. 0 ok, else -errno with a message in err. ro = only
 * to look: the device is marked read-only and the filesystem told not to replay its journal
 * (nothing is written to it); always nosuid,nodev,noexec. */
int mount_dev(const char *dev, const char *fstype, int ro, char *dir, size_t dlen, struct lb_err *err);
/* Why mounting dev would normally write to it (a journal to replay, orphans), or NULL. */
const char *mount_needs_recovery(const char *dev, const char *fstype);
/* Unmounts our read-only (looking) mounts, except the one holding path keep (may be NULL);
 * returns how many were unmounted. */
int mounts_release_looks(const char *keep);
void mounts_release(void);                      /* unmounts what we mounted */
const char *mount_of_dev(const char *dev);      /* mountpoint or NULL */
int path_free_space(const char *dir, uint64_t *free_bytes, char *fstype, size_t fslen);

struct img_ent { char path[1024]; uint64_t size; time_t mtime; };
/* Finds Lifeboat images (*.lbi, first segments) under dir, at most depth levels down. */
int images_scan(const char *dir, int depth, struct img_ent **v, int *n, int *cap);

/* ---- screens ---------------------------------------------------------------------------- */
int scr_home(void);
void flow_backup(void);
void flow_restore(void);
void flow_verify(void);
void flow_clone(void);
void flow_browse_image(void);   /* browse_image.c */

/* pickers shared by flows; return 1 when something was picked, 0 on Esc */
int pick_disk(const char *title, const char *why, const char *exclude, char *path, size_t len);
int pick_image(const char *title, char *path, size_t len);
/* Directory browser: want_dir = pick a directory, else a file (*.lbi shown). */
int browse(const char *title, const char *start, int want_dir, char *out, size_t len);

/* Progress screen and result (progress.c). */
struct prog {
	const char *title;        /* "Backing up", "Restoring", ... */
	const char *from, *to;    /* one line each */
	const char *cancel_text;  /* what cancelling does */
	int nparts;
	const struct lb_plan_part *parts;
	int cancelled;            /* set when the person confirmed cancelling */
	double last_draw;
	struct lb_progress last;
	char method[32];
	const char *help;         /* help topic */
};
int prog_cb(void *ctx, const struct lb_progress *p);
void prog_start(struct prog *pr);
/* Result screen: lines of text, ok = success colouring. Waits for a key. */
void result_screen(const char *title, int ok, const char *text);
/* Writes text to path; 0 or -errno. */
int write_text(const char *path, const char *text);
/* Side by side of an image (or source disk) against a target, with the verdict. */
void draw_target_plan(int y, const char *left_title, const char *left,
		      const struct lb_target_plan *p);
/* Typed confirmation naming model, serial and size; returns 1 only if the name was typed. */
int danger_confirm(const char *action, const char *name, const struct lb_disk_info *d,
		   const struct lb_target_plan *p);

double now_secs(void);
#endif
