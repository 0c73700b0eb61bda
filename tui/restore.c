/* restore.c — the restore flow: image → its description and what to restore → target →
 * the target plan side by side → typed danger confirmation → progress → result. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ui.h"

struct rs {
	char image[PATH_MAX];
	struct lb_image_info info;
	int have_info;
	int part;              /* 0 = whole disk, else the image's partition number */
	char target[256];
	int to_part;
	struct lb_target_plan plan;
	struct lb_err perr;
	int prc;
	struct tui_pass pass;  /* of an encrypted image: asked when the image is first read */
};

/* ---- the image's description ------------------------------------------------------------- */
struct ii { struct rs *r; struct ui_list list; };

static void info_row(void *ctx, int i, int y, int x, int w, int sel)
{
	struct rs *r = ((struct ii *)ctx)->r;
	int a = sel ? ui_attr(UI_SEL) : 0;
	if (i == 0) {
		ui_put(y, x, w, a, 1, " The whole disk (%d partitions, %s)", r->info.nparts,
		       SZ(r->info.src_size));
		return;
	}
	const struct lb_plan_part *p = &r->info.parts[i - 1];
	ui_put(y, x, w, a, 1, " Only partition %-3d %-6s %-14.14s %10s  (%s)", p->number,
	       p->fs[0] ? p->fs : "-", p->label, SZ(p->size), p->method);
}

static int info_ok(void *ctx, int i)
{
	struct rs *r = ((struct ii *)ctx)->r;
	return i == 0 || strcmp(r->info.parts[i - 1].method, "skipped");
}

static void info_draw(void *ctx)
{
	struct ii *s = ctx;
	const struct lb_image_info *f = &s->r->info;
	if (ui_too_small()) return;
	ui_frame("Restore: the image", "Enter=Choose  Esc=Back  ?=Help");
	int y = 2, w = COLS - 4;
	char t[32];
	ui_put(y++, 2, w, A_BOLD, 0, "%s", s->r->image);
	ui_put(y++, 2, w, 0, 0, "Made:    %s by Lifeboat %s", fmt_time(f->created, t, sizeof t),
	       f->tool_version);
	ui_put(y++, 2, w, 0, 0, "Source:  %s  %s%s%s  serial %s", f->src_path, SZ(f->src_size),
	       f->src_model[0] ? "  " : "", f->src_model, f->src_serial[0] ? f->src_serial : "-");
	ui_put(y++, 2, w, 0, 0, "Layout:  %s, %d partitions; restores onto %s or more", f->table,
	       f->nparts, SZ(f->min_size));
	ui_put(y++, 2, w, 0, 0, "Stored:  %s in %d piece%s, %s level %d", SZ(f->image_bytes),
	       f->segments, f->segments == 1 ? "" : "s", f->codec, f->level);
	if (!f->complete)
		ui_put(y++, 2, w, ui_attr(UI_DANGER), 0, " This image is incomplete or damaged: its end "
		       "could not be read. ");
	else if (f->nbad)
		ui_put(y++, 2, w, ui_attr(UI_WARN), 0, "%s could not be read when it was made (zeros "
		       "in the image).", SZ(f->bad_bytes));
	if (f->note[0]) ui_put(y++, 2, w, 0, 0, "Note:    %s", f->note);
	y++;
	ui_put(y++, 2, w, A_BOLD, 0, "What to restore:");
	list_draw(&s->list, y, 2, LINES - y - 2, w);
	refresh();
}

static int step_info(struct rs *r)
{
	struct lb_err err = { 0 };
	if (r->have_info) lb_image_info_free(&r->info);
	memset(&r->info, 0, sizeof r->info);
	r->have_info = 0;
	tui_pass_forget(&r->pass);   /* another image may have been chosen */
	if (lb_image_info_key(r->image, tui_pass_ask, &r->pass, &r->info, &err) != LB_OK) {
		tui_pass_forget(&r->pass);
		ui_error(err.code == LB_EKEY ? "The passphrase is needed to read this image." :
			 "This image cannot be read.", &err);
		return 0;
	}
	r->have_info = 1;
	struct ii s = { r, { 0 } };
	s.list.n = r->info.nparts + 1;
	s.list.is_selectable = info_ok;
	s.list.draw_row = info_row;
	s.list.ctx = &s;
	for (;;) {
		ui_set_backdrop(info_draw, &s);
		info_draw(&s);
		int k = ui_getkey(-1);
		if (k == ERR || k == KEY_ESC) return 0;
		if (k == KEY_RESIZE || list_key(&s.list, k, LINES - 12)) continue;
		if (k == '?') ui_help("image");
		if (k == '\n' || k == '\r' || k == KEY_ENTER) {
			r->part = s.list.sel <= 0 ? 0 : r->info.parts[s.list.sel - 1].number;
			return 1;
		}
	}
}

/* ---- target partition (partition restores) ----------------------------------------------- */
struct tp { int n; int di[256], pi[256]; struct ui_list list; };

static void tp_row(void *ctx, int i, int y, int x, int w, int sel)
{
	struct tp *t = ctx;
	const struct lb_disk_info *d = &app.disks[t->di[i]];
	const struct lb_part_info *p = &d->parts[t->pi[i]];
	ui_put(y, x, w, sel ? ui_attr(UI_SEL) : 0, 1, " %-10s part %-3d %-6s %-14.14s %10s  %s",
	       disk_short_name(d), p->number, p->fs[0] ? p->fs : "-", p->label, SZ(p->size),
	       d->model);
}

static void tp_draw(void *ctx)
{
	struct tp *t = ctx;
	if (ui_too_small()) return;
	ui_frame("Restore: target partition", "Enter=Choose  Esc=Back  ?=Help");
	ui_put(2, 2, COLS - 4, A_BOLD, 0, "Which partition should be overwritten?");
	list_draw(&t->list, 4, 2, LINES - 6, COLS - 4);
	refresh();
}

static int pick_part(struct rs *r)
{
	struct tp t;
	memset(&t, 0, sizeof t);
	for (int i = 0; i < app.ndisks; i++)
		for (int j = 0; j < app.disks[i].nparts && t.n < 256; j++)
			if (!app.disks[i].parts[j].is_container) { t.di[t.n] = i; t.pi[t.n++] = j; }
	t.list.n = t.n;
	t.list.draw_row = tp_row;
	t.list.ctx = &t;
	for (;;) {
		ui_set_backdrop(tp_draw, &t);
		tp_draw(&t);
		int k = ui_getkey(-1);
		if (k == ERR || k == KEY_ESC) return 0;
		if (k == KEY_RESIZE || list_key(&t.list, k, LINES - 6)) continue;
		if (k == '?') ui_help("target");
		if ((k == '\n' || k == '\r' || k == KEY_ENTER) && t.n && t.list.sel >= 0) {
			const struct lb_disk_info *d = &app.disks[t.di[t.list.sel]];
			snprintf(r->target, sizeof r->target, "%s", d->path);
			r->to_part = d->parts[t.pi[t.list.sel]].number;
			return 1;
		}
	}
}

/* ---- plan side by side ------------------------------------------------------------------- */
static void plan_draw(void *ctx)
{
	struct rs *r = ctx;
	if (ui_too_small()) return;
	int refused = r->prc != LB_OK;
	ui_frame("Restore: check the target", refused ? "Esc=Back  ?=Help" : "Enter=Continue  Esc=Back  ?=Help");
	char left[1024], t[32];
	const struct lb_image_info *f = &r->info;
	if (r->part)
		snprintf(left, sizeof left, "partition %d of the image\nof %s\nMade: %s\nSize:   %s",
			 r->part, f->src_model, fmt_time(f->created, t, sizeof t), SZ(r->plan.image_size));
	else
		snprintf(left, sizeof left, "%s\nModel:  %s\nSerial: %s\nSize:   %s\nLayout: %s, %d "
			 "partitions\nMade:   %s", f->src_path, f->src_model[0] ? f->src_model : "-",
			 f->src_serial[0] ? f->src_serial : "-",
			 SZ(f->src_size), f->table, f->nparts, fmt_time(f->created, t, sizeof t));
	draw_target_plan(2, "Image", left, &r->plan);
	if (refused) {
		char lines[1100];
		snprintf(lines, sizeof lines, "Refused: %s", r->perr.msg);
		int y = 15, w = COLS - 4;
		for (size_t o = 0, l = strlen(lines); o < l && y < LINES - 2; y++) {
			ui_put(y, 2, w, ui_attr(UI_DANGER), 1, "%.*s", w, lines + o);
			o += (size_t)w;
		}
	}
	refresh();
}

static int step_plan(struct rs *r)
{
	struct lb_restore_opts o = { 0 };
	o.image = r->image;
	o.target = r->target;
	o.partition = r->part;
	o.to_partition = r->to_part;
	o.verify = 1;
	o.passphrase = tui_pass_ask;
	o.passphrase_ctx = &r->pass;
	memset(&r->plan, 0, sizeof r->plan);
	memset(&r->perr, 0, sizeof r->perr);
	r->prc = lb_restore_prepare(&o, &r->plan, &r->perr);
	if (r->prc != LB_OK && r->prc != LB_ETOOSMALL && r->prc != LB_EREFUSED) {
		ui_error("Lifeboat cannot restore onto this target.", &r->perr);
		return 0;
	}
	if (!r->plan.target[0]) snprintf(r->plan.target, sizeof r->plan.target, "%s", r->target);
	if (r->prc == LB_ETOOSMALL && r->plan.needed <= r->plan.target_size) {
		/* the engine said no without sizes: show what we know */
		const struct lb_disk_info *d = app_find_disk(r->target);
		if (d && !r->part) {
			r->plan.target_size = d->size;
			r->plan.needed = r->info.min_size > d->size ? r->info.min_size : d->size + 1;
		}
	}
	for (;;) {
		ui_set_backdrop(plan_draw, r);
		plan_draw(r);
		int k = ui_getkey(-1);
		if (k == ERR || k == KEY_ESC) return 0;
		if (k == '?') ui_help("target");
		if ((k == '\n' || k == '\r' || k == KEY_ENTER) && r->prc == LB_OK) return 1;
	}
}

/* ---- run --------------------------------------------------------------------------------- */
static const char *target_name(struct rs *r, const struct lb_disk_info *d, char *buf, size_t len)
{
	snprintf(buf, len, "%s", d ? disk_short_name(d) : r->target);
	if (d && r->to_part && !d->is_file)
		for (int i = 0; i < d->nparts; i++)
			if (d->parts[i].number == r->to_part && d->parts[i].dev[0]) {
				const char *s = strrchr(d->parts[i].dev, '/');
				snprintf(buf, len, "%s", s ? s + 1 : d->parts[i].dev);
			}
	return buf;
}

static void run(struct rs *r)
{
	struct lb_restore_opts o = { 0 };
	o.image = r->image;
	o.target = r->target;
	o.partition = r->part;
	o.to_partition = r->to_part;
	o.verify = 1;
	o.passphrase = tui_pass_ask;
	o.passphrase_ctx = &r->pass;
	char from[PATH_MAX + 64], to[400];
	snprintf(from, sizeof from, "%s%s", r->image, r->part ? " (one partition)" : "");
	snprintf(to, sizeof to, "%s  %s  %s", r->target, r->plan.model, SZ(r->plan.target_size));
	struct prog pr = { 0 };
	pr.title = "Restoring";
	pr.from = from;
	pr.to = to;
	pr.cancel_text = "Cancelling leaves the target unusable until it is restored again.";
	pr.nparts = r->info.nparts;
	pr.parts = r->info.parts;
	o.progress = prog_cb;
	o.progress_ctx = &pr;
	prog_start(&pr);
	struct lb_report rep;
	memset(&rep, 0, sizeof rep);
	struct lb_err err = { 0 };
	int rc = lb_restore(&o, &rep, &err);
	if (ui_quit_signal) { lb_report_free(&rep); return; }
	char text[4096], e[32];
	size_t n = 0;
	if (rc == LB_OK) {
		n += snprintf(text + n, sizeof text - n, "Restore finished%s.\n\n", rep.verified ?
			      " and verified: the target matches the image" : "");
		n += snprintf(text + n, sizeof text - n, "Image:   %s\nTarget:  %s  %s\nWritten: %s "
			      "in %s\n", r->image, r->target, r->plan.model, SZ(rep.bytes_written),
			      fmt_secs(rep.seconds, e, sizeof e));
		if (rep.gpt_relocated)
			n += snprintf(text + n, sizeof text - n, "The partition table was moved to the "
				      "end of the larger target.\n");
		if (!rep.verified)
			n += snprintf(text + n, sizeof text - n, "Verification did not run.\n");
	} else if (rc == LB_ECANCELLED || pr.cancelled) {
		snprintf(text, sizeof text, "Restore cancelled.\n\n%s was only partly written; it will "
			 "not work until an image is restored onto it completely.", r->target);
	} else {
		lb_report_free(&rep);
		ui_error("The restore did not finish.", &err);
		app_load_disks();
		return;
	}
	lb_report_free(&rep);
	app_load_disks();
	result_screen(rc == LB_OK ? "Restore finished" : "Restore cancelled", rc == LB_OK, text);
}

void flow_restore(void)
{
	struct rs r;
	memset(&r, 0, sizeof r);
	int step = 0;
	char name[300];
	while (step >= 0 && !ui_quit_signal) {
		switch (step) {
		case 0: step = pick_image("Restore: choose an image", r.image, sizeof r.image) ? 1 : -1; break;
		case 1: step = step_info(&r) ? 2 : 0; break;
		case 2:
			r.to_part = 0;
			if (r.part) step = pick_part(&r) ? 3 : 1;
			else step = pick_disk("Restore: target disk", "Which disk should be overwritten "
					      "with the image?", NULL, r.target, sizeof r.target) ? 3 : 1;
			break;
		case 3: step = step_plan(&r) ? 4 : 2; break;
		case 4: {
			struct lb_disk_info *d = app_find_disk(r.target);
			step = danger_confirm("RESTORING", target_name(&r, d, name, sizeof name), d,
					      &r.plan) ? 5 : 3;
			break;
		}
		case 5: run(&r); step = -1; break;
		}
	}
	if (r.have_info) lb_image_info_free(&r.info);
	tui_pass_forget(&r.pass);
	/* the filesystem the image was read from was mounted only to look */
	if (mounts_release_looks(NULL)) app_load_disks();
}
