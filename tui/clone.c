/* clone.c — the clone flow: source → target → plan side by side → typed confirmation →
 * progress → result. The engine copies disk to disk with no image between. */
#include <stdio.h>
#include <string.h>
#include "ui.h"

struct cl {
	char src[256], target[256];
	struct lb_target_plan plan;
	struct lb_err perr;
	int prc;
};

static void plan_draw(void *ctx)
{
	struct cl *c = ctx;
	if (ui_too_small()) return;
	ui_frame("Clone: check the target", c->prc ? "Esc=Back  ?=Help" : "Enter=Continue  Esc=Back  ?=Help");
	const struct lb_disk_info *d = app_find_disk(c->src);
	char left[1024];
	if (d)
		snprintf(left, sizeof left, "%s\nModel:  %s\nSerial: %s\nSize:   %s\nLayout: %s, %d "
			 "partitions", d->path, d->model[0] ? d->model : "-", d->serial[0] ? d->serial : "-",
			 SZ(d->size),
			 d->table, d->nparts);
	else snprintf(left, sizeof left, "%s", c->src);
	draw_target_plan(2, "Source", left, &c->plan);
	if (c->prc) ui_put(15, 2, COLS - 4, ui_attr(UI_DANGER), 0, "Refused: %s", c->perr.msg);
	refresh();
}

static int step_plan(struct cl *c)
{
	struct lb_clone_opts o = { 0 };
	o.source = c->src;
	o.target = c->target;
	o.verify = 1;
	memset(&c->plan, 0, sizeof c->plan);
	memset(&c->perr, 0, sizeof c->perr);
	c->prc = lb_clone_prepare(&o, &c->plan, &c->perr);
	if (c->prc != LB_OK && c->prc != LB_ETOOSMALL && c->prc != LB_EREFUSED) {
		ui_error("Lifeboat cannot clone onto this target.", &c->perr);
		return 0;
	}
	if (!c->plan.target[0]) snprintf(c->plan.target, sizeof c->plan.target, "%s", c->target);
	for (;;) {
		ui_set_backdrop(plan_draw, c);
		plan_draw(c);
		int k = ui_getkey(-1);
		if (k == ERR || k == KEY_ESC) return 0;
		if (k == '?') ui_help("clone");
		if ((k == '\n' || k == '\r' || k == KEY_ENTER) && c->prc == LB_OK) return 1;
	}
}

static void run(struct cl *c)
{
	struct lb_clone_opts o = { 0 };
	o.source = c->src;
	o.target = c->target;
	o.verify = 1;
	struct prog pr = { 0 };
	pr.title = "Cloning";
	pr.from = c->src;
	pr.to = c->target;
	pr.cancel_text = "Cancelling leaves the target incomplete; the source is untouched.";
	pr.help = "clone";
	o.progress = prog_cb;
	o.progress_ctx = &pr;
	prog_start(&pr);
	struct lb_report rep;
	memset(&rep, 0, sizeof rep);
	struct lb_err err = { 0 };
	int rc = lb_clone(&o, &rep, &err);
	if (ui_quit_signal) { lb_report_free(&rep); return; }
	char text[2048], e[32];
	if (rc == LB_OK && rep.nbad)   /* a partial copy is never called verified */
		snprintf(text, sizeof text, "Clone finished, but %s in %d places could not be read.\n\n"
			 "From: %s\nTo:   %s\nCopied %s in %s. The unreadable places are zeros on the "
			 "target; every byte that could be read was %s.%s", SZ(rep.bad_bytes), rep.nbad,
			 c->src, c->target, SZ(rep.bytes_read), fmt_secs(rep.seconds, e, sizeof e),
			 rep.verified ? "read back and checked" : "copied (not checked)",
			 rep.damage ? "\n\nWhat they hit:\n" : "");
	else if (rc == LB_OK)
		snprintf(text, sizeof text, "Clone finished%s.\n\nFrom: %s\nTo:   %s\nCopied %s in %s.%s",
			 rep.verified ? " and verified" : "", c->src, c->target, SZ(rep.bytes_read),
			 fmt_secs(rep.seconds, e, sizeof e), rep.gpt_relocated ?
			 "\nThe partition table was moved to the end of the larger target." : "");
	else if (rc == LB_ECANCELLED || pr.cancelled)
		snprintf(text, sizeof text, "Clone cancelled.\n\n%s was only partly written.", c->target);
	else {
		lb_report_free(&rep);
		ui_error("The clone did not finish.", &err);
		app_load_disks();
		return;
	}
	int partial = rep.nbad > 0;
	if (rc == LB_OK && partial && rep.damage)
		snprintf(text + strlen(text), sizeof text - strlen(text), "%s", rep.damage);
	lb_report_free(&rep);
	app_load_disks();
	result_screen(rc == LB_OK ? "Clone finished" : "Clone cancelled", rc == LB_OK && !partial,
		      text);
}

void flow_clone(void)
{
	struct cl c;
	memset(&c, 0, sizeof c);
	int step = 0;
	while (step >= 0 && !ui_quit_signal) {
		switch (step) {
		case 0:
			step = pick_disk("Clone: source", "Which disk do you want to copy?", NULL, c.src,
					 sizeof c.src) ? 1 : -1;
			break;
		case 1:
			step = pick_disk("Clone: target", "Which disk should become the copy? Everything "
					 "on it is replaced.", c.src, c.target, sizeof c.target) ? 2 : 0;
			break;
		case 2: step = step_plan(&c) ? 3 : 1; break;
		case 3: {
			struct lb_disk_info *d = app_find_disk(c.target);
			step = danger_confirm("CLONING", d ? disk_short_name(d) : c.target, d, &c.plan) ? 4 : 2;
			break;
		}
		case 4: run(&c); step = -1; break;
		}
	}
}
