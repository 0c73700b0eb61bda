/* tui_main.c — the TUI's entry point: options, the disk list, and the terminal's life.
 *
 *   lifeboat tui [--disk FILE]... [--images-dir DIR] [--boot-disk PATH] [--mnt-dir DIR]
 *                [--ascii] [--mono]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "tui.h"
#include "ui.h"

struct app app;

static const char usage[] =
	"usage: lifeboat tui [OPTIONS]\n"
	"  --disk FILE        work on this disk or disk-image file instead of every disk\n"
	"                     (repeatable; with image files nothing is mounted)\n"
	"  --images-dir DIR   look for images here and save new ones here by default\n"
	"  --boot-disk PATH   mark this disk as the one Lifeboat started from\n"
	"  --mnt-dir DIR      mount destination filesystems under DIR (default /mnt)\n"
	"  --ascii            draw lines with ASCII characters (serial terminals)\n"
	"  --mono             no colours\n";

const char *disk_short_name(const struct lb_disk_info *d)
{
	if (d->name[0] && !d->is_file) return d->name;
	const char *s = strrchr(d->path, '/');
	return s ? s + 1 : d->path;
}

static int same_file(const char *a, const char *b)
{
	if (!a || !b) return 0;
	if (!strcmp(a, b)) return 1;
	char ra[4096], rb[4096];
	return realpath(a, ra) && realpath(b, rb) && !strcmp(ra, rb);
}

void app_load_disks(void)
{
	struct lb_err err = { 0 };
	if (app.disks) lb_disk_list_free(app.disks, app.ndisks);
	app.disks = NULL;
	app.ndisks = 0;
	app.disk_err[0] = 0;
	if (app.ndisk_files) {
		app.disks = calloc(app.ndisk_files, sizeof *app.disks);
		for (int i = 0; app.disks && i < app.ndisk_files; i++) {
			memset(&err, 0, sizeof err);
			if (lb_disk_probe(app.disk_files[i], &app.disks[app.ndisks], &err) == LB_OK)
				app.ndisks++;
			else
				snprintf(app.disk_err, sizeof app.disk_err, "%.200s: %.800s", app.disk_files[i],
					 err.msg[0] ? err.msg : lb_code_name(err.code));
		}
	} else if (lb_disk_list(&app.disks, &app.ndisks, &err) != LB_OK) {
		app.disks = NULL;
		app.ndisks = 0;
		snprintf(app.disk_err, sizeof app.disk_err, "%s",
			 err.msg[0] ? err.msg : "the disks could not be listed");
	}
	for (int i = 0; i < app.ndisks; i++)
		if (app.boot_disk && same_file(app.disks[i].path, app.boot_disk))
			app.disks[i].holds_boot = 1;
}

struct lb_disk_info *app_find_disk(const char *path)
{
	for (int i = 0; i < app.ndisks; i++)
		if (!strcmp(app.disks[i].path, path)) return &app.disks[i];
	return NULL;
}

static int parse(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define OPT(name) (!strcmp(a, name) && (v || (fprintf(stderr, "lifeboat: %s needs a value\n", name), 0)) && ++i)
		if (!strcmp(a, "tui")) continue;
		else if (OPT("--disk")) {
			if (app.ndisk_files == UI_MAXDISKFILES) {
				fprintf(stderr, "lifeboat: at most %d --disk options\n", UI_MAXDISKFILES);
				return 2;
			}
			app.disk_files[app.ndisk_files++] = v;
		} else if (OPT("--images-dir")) app.images_dir = v;
		else if (OPT("--boot-disk")) app.boot_disk = v;
		else if (OPT("--mnt-dir")) app.mnt_root = v;
		else if (!strcmp(a, "--ascii")) app.ascii = 1;
		else if (!strcmp(a, "--mono")) app.mono = 1;
		else if (!strcmp(a, "-h") || !strcmp(a, "--help")) { fputs(usage, stdout); return 0; }
		else {
			fprintf(stderr, "lifeboat: unknown option '%s'\n%s", a, usage);
			return 2;
		}
#undef OPT
	}
	return -1;
}

int tui_main(int argc, char **argv)
{
	int rc = parse(argc, argv);
	if (rc >= 0) return rc;
	if (!app.mnt_root) app.mnt_root = "/mnt";
	if (!app.boot_disk) app.boot_disk = getenv("LIFEBOAT_BOOT_DISK");
	/* mounting is for real block devices only: never with disk-image files */
	for (int i = 0; i < app.ndisk_files; i++) {
		struct stat st;
		if (stat(app.disk_files[i], &st) < 0 || !S_ISBLK(st.st_mode)) app.no_mount = 1;
	}
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "lifeboat: the screens need a terminal; see 'lifeboat --help' for "
				"the command line\n");
		return 2;
	}
	if (term_init() < 0) {
		fprintf(stderr, "lifeboat: this terminal (TERM=%s) cannot show the screens; set TERM "
				"(linux, vt100, xterm) or use the command line: lifeboat --help\n",
			getenv("TERM") ? getenv("TERM") : "");
		return 2;
	}
	app_load_disks();
	rc = scr_home();
	term_restore();
	net_shares_close();
	mounts_release();
	if (ui_quit_signal) return 128 + ui_quit_signal;
	return rc;
}
