/* verify.c — the verify flow: image → check it alone, or compare it with a disk → result. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include "ui.h"

struct vf { char image[PATH_MAX]; int mode; struct ui_list list; struct tui_pass pass; };

static void row(void *ctx, int i, int y, int x, int w, int sel)
{
	static const char *const what[] = {
		" Check the image: read it all and test every checksum",
		" Compare with a disk: does the disk still hold what the image holds?",
	};
	ui_put(y, x, w, sel ? ui_attr(UI_SEL) : 0, 1, "%s", what[i]);
}

static void draw(void *ctx)
{
	struct vf *v = ctx;
	if (ui_too_small()) return;
	ui_frame("Verify", "Enter=Choose  Esc=Back  ?=Help");
	ui_put(2, 2, COLS - 4, A_BOLD, 0, "%s", v->image);
	list_draw(&v->list, 4, 2, 2, COLS - 4);
	refresh();
}

static int pick_mode(struct vf *v)
{
	v->list.n = 2;
	v->list.draw_row = row;
	v->list.ctx = v;
	for (;;) {
		ui_set_backdrop(draw, v);
		draw(v);
		int k = ui_getkey(-1);
		if (k == ERR || k == KEY_ESC) return 0;
		if (k == KEY_RESIZE || list_key(&v->list, k, 2)) continue;
		if (k == '?') ui_help("verify");
		if (k == '\n' || k == '\r' || k == KEY_ENTER) { v->mode = v->list.sel; return 1; }
	}
}

static void run(struct vf *v, const char *against)
{
	struct lb_verify_opts o = { 0 };
	o.image = v->image;
	o.against = against;
	o.passphrase = tui_pass_ask;   /* an encrypted image: asked in a dialog when it is opened */
	o.passphrase_ctx = &v->pass;
	struct prog pr = { 0 };
	pr.title = against ? "Comparing the image with a disk" : "Verifying the image";
	pr.from = v->image;
	pr.to = against ? against : "(reading only)";
	pr.cancel_text = "Cancelling stops the check; nothing is changed.";
	pr.help = "verify";
	o.progress = prog_cb;
	o.progress_ctx = &pr;
	prog_start(&pr);
	struct lb_report rep;
	memset(&rep, 0, sizeof rep);
	struct lb_err err = { 0 };
	int rc = lb_verify(&o, &rep, &err);
	if (ui_quit_signal) { lb_report_free(&rep); return; }
	char text[8192], e[32];
	const char *title;
	if (rc == LB_OK) {
		title = "Verified";
		snprintf(text, sizeof text, "%s\n\nImage: %s\n%s%s\nChecked %s in %s.",
			 against ? "The disk matches the image." :
				   "The image is complete and every checksum matches.",
			 v->image, against ? "Disk:  " : "", against ? against : "",
			 SZ(rep.bytes_read), fmt_secs(rep.seconds, e, sizeof e));
	} else if (rc == LB_ECANCELLED || pr.cancelled) {
		title = "Verify cancelled";
		snprintf(text, sizeof text, "Verify cancelled. Nothing was changed.");
	} else {
		title = rc == LB_EMISMATCH ? "Differences found" : rc == LB_EKEY ? "Passphrase" :
			"Verify failed";
		snprintf(text, sizeof text, "%s\n\n%s\n\nImage: %s%s%s",
			 rc == LB_EMISMATCH ? "The disk differs from the image." :
			 rc == LB_EKEY ? "Encrypted: no or a wrong passphrase. Nothing was checked." :
			 rc == LB_EDAMAGED ? "The image is damaged: do not rely on it." :
					     "The check could not be completed.",
			 err.msg, v->image, against ? "\nDisk:  " : "", against ? against : "");
	}
	lb_report_free(&rep);
	tui_pass_forget(&v->pass);
	result_screen(title, rc == LB_OK, text);
}

void flow_verify(void)
{
	struct vf v;
	memset(&v, 0, sizeof v);
	int step = 0;
	char disk[256];
	while (step >= 0 && !ui_quit_signal) {
		switch (step) {
		case 0: step = pick_image("Verify: choose an image", v.image, sizeof v.image) ? 1 : -1; break;
		case 1: step = pick_mode(&v) ? (v.mode ? 2 : 3) : 0; break;
		case 2:
			step = pick_disk("Verify: compare with", "Which disk should be compared with the "
					 "image? (It is only read.)", NULL, disk, sizeof disk) ? 4 : 1;
			break;
		case 3: run(&v, NULL); step = -1; break;
		case 4: run(&v, disk); step = -1; break;
		}
	}
	/* the filesystem the image was read from was mounted only to look */
	if (mounts_release_looks(NULL)) app_load_disks();
}
