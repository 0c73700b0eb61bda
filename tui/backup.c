/* backup.c — the back-up flow: source → partitions → destination → options → summary →
 * progress → result, with Esc going one step back. The image is written by lb_backup. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "backup.h"

/* ---- partitions -------------------------------------------------------------------------- */
struct pp { struct bk *b; struct ui_list list; };

static int part_ok(void *ctx, int i)
{
	struct pp *p = ctx;
	return !p->b->disk->parts[i].is_container;
}

static void part_row(void *ctx, int i, int y, int x, int w, int sel)
{
	struct pp *p = ctx;
	const struct lb_part_info *pt = &p->b->disk->parts[i];
	char used[200] = "";
	if (pt->fs_total) snprintf(used, sizeof used, "%s used", SZ(pt->fs_used));
	else if (pt->note[0]) snprintf(used, sizeof used, "%s", pt->note);   /* copied raw, and why */
	if (pt->is_container) {
		ui_put(y, x, w, ui_attr(UI_DIM), 1, "      %3d  extended (holds the logical partitions "
		       "below)", pt->number);
		return;
	}
	ui_put(y, x, w, sel ? ui_attr(UI_SEL) : 0, 1, " [%c]  %3d  %-6s %-16.16s %10s  %s",
	       p->b->include[i] ? 'x' : ' ', pt->number, pt->fs[0] ? pt->fs : "?",
	       pt->label[0] ? pt->label : pt->name, SZ(pt->size), used);
}

static void parts_draw(void *ctx)
{
	struct pp *p = ctx;
	if (ui_too_small()) return;
	ui_frame("Back up: partitions", "Space=Tick  a=All  n=None  Enter=Continue  Esc=Back  ?=Help");
	const struct lb_disk_info *d = p->b->disk;
	ui_put(2, 2, COLS - 4, A_BOLD, 0, "%s  %s  %s", disk_short_name(d), d->model, SZ(d->size));
	ui_put(3, 2, COLS - 4, 0, 0, "Boot areas (partition table, boot code, gaps) are always "
	       "included.");
	if (!d->nparts)
		ui_put(5, 2, COLS - 4, 0, 0, "No partitions: the whole disk is copied as it is.");
	list_draw(&p->list, 5, 2, LINES - 7, COLS - 4);
	refresh();
}

static int bk_parts(struct bk *b)
{
	struct pp p = { b, { 0 } };
	p.list.n = b->disk->nparts;
	p.list.is_selectable = part_ok;
	p.list.draw_row = part_row;
	p.list.ctx = &p;
	for (;;) {
		ui_set_backdrop(parts_draw, &p);
		parts_draw(&p);
		int k = ui_getkey(-1);
		if (k == ERR || k == KEY_ESC) return 0;
		if (k == KEY_RESIZE || list_key(&p.list, k, LINES - 7)) continue;
		int n = b->disk->nparts;
		if (k == '?') ui_help("parts");
		if (k == ' ' && p.list.sel >= 0) b->include[p.list.sel] = !b->include[p.list.sel];
		if (k == 'a' || k == 'n')
			for (int i = 0; i < n; i++) b->include[i] = k == 'a' && !b->disk->parts[i].is_container;
		if (k == '\n' || k == '\r' || k == KEY_ENTER) {
			b->nsel = 0;
			int all = 1;
			for (int i = 0; i < n; i++) {
				if (b->disk->parts[i].is_container) continue;
				if (b->include[i] && b->nsel < 128) b->sel_nums[b->nsel++] = b->disk->parts[i].number;
				else all = 0;
			}
			if (n && !b->nsel) {
				ui_message("Nothing ticked", "Tick at least one partition (Space).", 0);
				continue;
			}
			if (all) b->nsel = -1;      /* the engine's "all" */
			return 1;
		}
	}
}

/* ---- run --------------------------------------------------------------------------------- */
static void log_path(const char *image, char *out, size_t len)
{
	snprintf(out, len, "%s", image);
	size_t l = strlen(out);
	if (l > 4 && !strcmp(out + l - 4, ".lbi")) out[l - 4] = 0;
	strncat(out, ".log", len - strlen(out) - 1);
}

static void report_text(struct bk *b, const char *image, const struct lb_report *r, int vrc,
			const struct lb_err *verr, const char *logp, char *t, size_t len)
{
	char e[32];
	size_t o = 0;
#define P(...) do { if (o < len) o += snprintf(t + o, len - o, __VA_ARGS__); } while (0)
	P("Backup finished%s.\n\n", vrc == LB_OK && r->verified ? " and verified" : "");
	P("Source:  %s  %s  %s\n", b->disk->path, b->disk->model, SZ(b->disk->size));
	P("Image:   %s%s\n", r->image_path[0] ? r->image_path : image,
	  r->segments > 1 ? "  (first piece)" : "");
	if (r->segments > 1) P("         in %d pieces\n", r->segments);
	P("Size:    %s written from %s read, in %s\n", SZ(r->bytes_written), SZ(r->bytes_read),
	  fmt_secs(r->seconds, e, sizeof e));
	if (!b->verify) P("Verify:  not done (switched off)\n");
	else if (vrc == LB_OK) P("Verify:  every checksum matches\n");
	else P("Verify:  FAILED: %s\n", verr->msg);
	if (r->bad_bytes) P("Unreadable: %s in %d places (saved as zeros)\n", SZ(r->bad_bytes), r->nbad);
	else P("Unreadable: none\n");
	P("\nPartitions:\n");
	for (int i = 0; i < r->nparts; i++) {
		const struct lb_plan_part *pp = &r->parts[i];
		P("  %3d %-6s %-12.12s %-7s read %10s  stored %10s\n", pp->number, pp->fs, pp->label,
		  pp->method, SZ(r->part_read ? r->part_read[i] : 0),
		  SZ(r->part_stored ? r->part_stored[i] : 0));
		if (pp->reason[0]) P("      %s\n", pp->reason);
	}
	P("  disk areas outside partitions: %s\n", SZ(r->disk_area_bytes));
	for (int i = 0; i < r->nunalloc; i++)
		P("  unallocated %s at offset %llu: %s\n", SZ(r->unalloc[i].len),
		  (unsigned long long)r->unalloc[i].off, r->unalloc[i].why);
	if (r->unalloc_skipped)
		P("  unallocated space skipped (not in the image): %s\n", SZ(r->unalloc_skipped));
	for (int i = 0; i < r->nbad && i < 100; i++)
		P("  unreadable: offset %llu, %llu bytes\n", (unsigned long long)r->bad[i][0],
		  (unsigned long long)r->bad[i][1]);
	if (logp) P("\nLog: %s\n", logp);
	if (b->dest_ours) P("The destination stays mounted until you leave Lifeboat, reboot or "
			     "power off.\n");
#undef P
}

static void run(struct bk *b)
{
	char image[PATH_MAX + 256], to[PATH_MAX + 300], from[512];
	struct lb_backup_opts o;
	bk_fill_opts(b, &o, image, sizeof image);
	snprintf(from, sizeof from, "%s  %s  %s", disk_short_name(b->disk), b->disk->model,
		 SZ(b->disk->size));
	snprintf(to, sizeof to, "%s", image);
	struct prog pr = { 0 };
	pr.title = "Backing up";
	pr.from = from;
	pr.to = to;
	pr.cancel_text = "Cancelling deletes the unfinished image; the source is untouched.";
	pr.nparts = b->plan.nparts;
	pr.parts = b->plan.parts;
	o.progress = prog_cb;
	o.progress_ctx = &pr;
	prog_start(&pr);
	struct lb_report rep;
	memset(&rep, 0, sizeof rep);
	struct lb_err err = { 0 };
	int rc = lb_backup(&o, &rep, &err);
	if (rc == LB_ECANCELLED || (rc != LB_OK && pr.cancelled)) {
		lb_report_free(&rep);
		if (ui_quit_signal) return;
		char msg[PATH_MAX + 400];
		snprintf(msg, sizeof msg, "Backup cancelled.\n\n%s\n", access(image, F_OK) == 0 ?
			 "A file is still present under the image's name:" :
			 "No image was left under the name:");
		strncat(msg, image, sizeof msg - strlen(msg) - 1);
		result_screen("Backup cancelled", 0, msg);
		return;
	}
	if (rc != LB_OK) {
		lb_report_free(&rep);
		char what[PATH_MAX + 200];
		snprintf(what, sizeof what, "The backup did not finish. %s", access(image, F_OK) == 0 ?
			 "A file is still present under the image's name." :
			 "No unfinished image was left behind.");
		ui_error(what, &err);
		return;
	}
	int vrc = LB_OK;
	struct lb_err verr = { 0 };
	if (b->verify) {
		struct lb_verify_opts v = { 0 };
		v.image = rep.image_path[0] ? rep.image_path : image;
		v.progress = prog_cb;
		v.progress_ctx = &pr;
		v.passphrase = b->encrypt ? tui_pass_ask : NULL;   /* the one typed: not asked again */
		v.passphrase_ctx = &b->pass;
		pr.title = "Verifying the new image";
		pr.cancel_text = "Cancelling skips the check; the image stays.";
		prog_start(&pr);
		struct lb_report vrep;
		memset(&vrep, 0, sizeof vrep);
		vrc = lb_verify(&v, &vrep, &verr);
		lb_report_free(&vrep);
		if (vrc == LB_OK) rep.verified = 1;
		if (vrc == LB_ECANCELLED) snprintf(verr.msg, sizeof verr.msg, "cancelled");
	}
	char logp[PATH_MAX + 300], text[16384];
	log_path(rep.image_path[0] ? rep.image_path : image, logp, sizeof logp);
	report_text(b, image, &rep, vrc, &verr, logp, text, sizeof text);
	if (write_text(logp, text) < 0) {
		report_text(b, image, &rep, vrc, &verr, NULL, text, sizeof text);
		strncat(text, "\n(The log could not be written next to the image.)\n",
			sizeof text - strlen(text) - 1);
	}
	lb_report_free(&rep);
	result_screen("Backup finished", vrc == LB_OK, text);
}

void flow_backup(void)
{
	struct bk b;
	memset(&b, 0, sizeof b);
	b.level = -1;
	b.verify = 1;
	int step = 0;
	while (step >= 0 && !ui_quit_signal) {
		switch (step) {
		case 0:
			if (!pick_disk("Back up: source", "Which disk do you want to copy?", NULL, b.src,
				       sizeof b.src)) { step = -1; break; }
			b.disk = app_find_disk(b.src);
			if (!b.disk) { step = -1; break; }
			free(b.include);
			b.include = calloc(b.disk->nparts + 1, sizeof *b.include);
			if (!b.include) { step = -1; break; }
			for (int i = 0; i < b.disk->nparts; i++) b.include[i] = !b.disk->parts[i].is_container;
			step = 1;
			break;
		case 1: step = bk_parts(&b) ? 2 : 0; break;
		case 2: step = bk_destination(&b) ? 3 : 1; break;
		case 3: step = bk_options(&b) ? 4 : 2; break;
		case 4: step = bk_summary(&b) ? 5 : 3; break;
		case 5: run(&b); step = -1; break;
		}
	}
	if (b.have_plan) lb_report_free(&b.plan);
	free(b.include);
	tui_pass_forget(&b.pass);
}
