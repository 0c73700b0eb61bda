/* backup_opts.c — the back-up options (compression, verify, split, name, note) and the summary
 * that shows the plan, the estimated size and the free space, and refuses what cannot fit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "backup.h"

const struct split_choice split_choices[] = {
	{ "auto", 0, 0 }, { "none", 0, 1 }, { "1 GiB", 1ull << 30, 0 }, { "2 GiB", 2ull << 30, 0 },
	{ "4 GiB - 1 MiB (FAT limit)", (4ull << 30) - (1ull << 20), 0 }, { "650 MiB", 650ull << 20, 0 },
};
const int nsplit_choices = sizeof split_choices / sizeof *split_choices;

static int is_fat(const char *fs) { return !strcmp(fs, "vfat") || !strcmp(fs, "msdos"); }

void bk_fill_opts(struct bk *b, struct lb_backup_opts *o, char *image, size_t len)
{
	memset(o, 0, sizeof *o);
	snprintf(image, len, "%s/%s", strcmp(b->dest_dir, "/") ? b->dest_dir : "", b->name);
	o->source = b->src;
	o->image = image;
	o->parts = b->nsel >= 0 ? b->sel_nums : NULL;
	o->nparts = b->nsel >= 0 ? b->nsel : 0;
	o->level = b->level;
	o->split = split_choices[b->split_idx].bytes;
	o->no_split = split_choices[b->split_idx].no_split;
	o->note = b->note[0] ? b->note : NULL;
	o->keep_unallocated = b->keep_unalloc;
	o->passphrase = b->encrypt && b->pass.have ? b->pass.pass : NULL;
}

/* ---- options ----------------------------------------------------------------------------- */
enum { O_LEVEL, O_VERIFY, O_SPLIT, O_UNALLOC, O_NAME, O_NOTE, O_ENCRYPT, O_N };
struct op { struct bk *b; struct ui_list list; };

static void opt_row(void *ctx, int i, int y, int x, int w, int sel)
{
	struct bk *b = ((struct op *)ctx)->b;
	int a = sel ? ui_attr(UI_SEL) : 0;
	char v[300];
	switch (i) {
	case O_LEVEL:
		/* zstd, the default codec: levels 1..19 */
		snprintf(v, sizeof v, "%d %s", b->level < 0 ? LB_DEFAULT_LEVEL : b->level,
			 b->level < 0 || b->level == LB_DEFAULT_LEVEL ? "(default)" : b->level == 1 ? "(fastest)" :
			 b->level < LB_DEFAULT_LEVEL ? "(fast)" : b->level >= 10 ? "(smallest, slow)" : "");
		ui_put(y, x, w, a, 1, " Compression level   < %s >", v);
		break;
	case O_VERIFY:
		ui_put(y, x, w, a, 1, " Verify afterwards   < %s >", b->verify ? "yes" : "no");
		break;
	case O_SPLIT:
		snprintf(v, sizeof v, "%s", split_choices[b->split_idx].label);
		if (b->split_idx == 0)
			strcat(v, is_fat(b->dest_fs) ? " (FAT: pieces under 4 GiB)" : " (one file)");
		ui_put(y, x, w, a, 1, " Split into pieces   < %s >", v);
		break;
	case O_UNALLOC:
		ui_put(y, x, w, a, 1, " Unallocated space   < %s >", b->keep_unalloc ? "keep all" :
		       "skip large");
		break;
	case O_NAME: ui_put(y, x, w, a, 1, " File name           %s", b->name); break;
	case O_NOTE: ui_put(y, x, w, a, 1, " Note                %s", b->note[0] ? b->note : "(none)"); break;
	case O_ENCRYPT:
		ui_put(y, x, w, a, 1, " Encrypt             < %s >", b->encrypt ? "yes (passphrase set)" : "no");
		break;
	}
}

static void opt_draw(void *ctx)
{
	struct op *o = ctx;
	if (ui_too_small()) return;
	ui_frame("Back up: options", "Left/Right=Change  e=Edit name/note  Enter=Continue  Esc=Back  ?=Help");
	ui_put(2, 2, COLS - 4, A_BOLD, 0, "Saving to %s (%s, %s free)", o->b->dest_dir,
	       o->b->dest_fs, SZ(o->b->dest_free));
	list_draw(&o->list, 4, 2, O_N, COLS - 4);
	refresh();
}

static void change(struct bk *b, int i, int dir)
{
	if (i == O_LEVEL) {
		int lo, hi, def, l;
		lb_codec_levels(NULL, &lo, &hi, &def);
		l = (b->level < 0 ? def : b->level) + dir;
		b->level = l < lo ? lo : l > hi ? hi : l;
	} else if (i == O_VERIFY) b->verify = !b->verify;
	else if (i == O_SPLIT) b->split_idx = (b->split_idx + dir + nsplit_choices) % nsplit_choices;
	else if (i == O_UNALLOC) b->keep_unalloc = !b->keep_unalloc;
	else if (i == O_ENCRYPT) {
		/* turning it on asks the passphrase twice; Esc leaves it off */
		if (b->encrypt) {
			b->encrypt = 0;
			tui_pass_forget(&b->pass);
		} else {
			b->encrypt = tui_pass_new(&b->pass);
		}
	}
}

static void edit(struct bk *b, int i)
{
	if (i == O_NAME) {
		char n[256];
		snprintf(n, sizeof n, "%s", b->name);
		if (ui_input("File name", "Name of the image file (ends in .lbi):", n, sizeof n, 0) && *n) {
			if (strchr(n, '/')) { ui_message("File name", "A name cannot contain '/'.", 1); return; }
			size_t l = strlen(n);
			if (l < 4 || strcmp(n + l - 4, ".lbi")) strncat(n, ".lbi", sizeof n - l - 1);
			snprintf(b->name, sizeof b->name, "%s", n);
		}
	} else if (i == O_NOTE) {
		ui_input("Note", "A note stored in the image (what this machine is, why):", b->note,
			 sizeof b->note, 0);
	}
}

int bk_options(struct bk *b)
{
	struct op o = { b, { 0 } };
	o.list.n = O_N;
	o.list.draw_row = opt_row;
	o.list.ctx = &o;
	for (;;) {
		ui_set_backdrop(opt_draw, &o);
		opt_draw(&o);
		int k = ui_getkey(-1);
		if (k == ERR || k == KEY_ESC) return 0;
		if (k == KEY_RESIZE || list_key(&o.list, k, O_N)) continue;
		if (k == '?') ui_help("options");
		if (k == KEY_LEFT || k == '-') change(b, o.list.sel, -1);
		if (k == KEY_RIGHT || k == '+' || k == ' ') change(b, o.list.sel, 1);
		if ((k == 'e' || k == '\n' || k == '\r' || k == KEY_ENTER) && o.list.sel == O_ENCRYPT)
			change(b, O_ENCRYPT, 1);
		else if (k == 'e' || ((k == '\n' || k == '\r' || k == KEY_ENTER) && o.list.sel >= O_NAME))
			edit(b, o.list.sel);
		else if (k == '\n' || k == '\r' || k == KEY_ENTER) return 1;
	}
}

/* ---- summary ----------------------------------------------------------------------------- */
enum fit { FITS, MAYBE, NOFIT };
struct sm { struct bk *b; char image[PATH_MAX + 256]; uint64_t est; enum fit fit; };

static void sum_draw(void *ctx)
{
	struct sm *s = ctx;
	struct bk *b = s->b;
	if (ui_too_small()) return;
	ui_frame("Back up: summary", s->fit == NOFIT ? "Esc=Back  ?=Help" :
		 "Enter=Start the backup  Esc=Back  ?=Help");
	int y = 2, w = COLS - 4;
	ui_put(y++, 2, w, 0, 0, "From: %s  %s  %s", b->disk->path, b->disk->model, SZ(b->disk->size));
	ui_put(y++, 2, w, 0, 0, "To:   %s", s->image);
	if (b->encrypt)
		ui_put(y++, 2, w, 0, 0, "      encrypted with the passphrase typed (keep it: it cannot "
		       "be recovered)");
	y++;
	const struct lb_report *r = &b->plan;
	int room = LINES - 14, two = r->nparts * 2 <= room;
	ui_put(y++, 2, w, A_BOLD, 0, "  #  %-6s %-12s %10s  %-8s %10s  %s", "fs", "label", "size",
	       "method", "to read", two ? "" : "why");
	for (int i = 0; i < r->nparts && y < 6 + room; i++) {
		const struct lb_plan_part *p = &r->parts[i];
		int a = !strcmp(p->method, "skipped") ? ui_attr(UI_DIM) : 0;
		ui_put(y++, 2, w, a, 0, "%3d  %-6s %-12.12s %10s  %-8s %10s  %s", p->number,
		       p->fs[0] ? p->fs : "-", p->label, SZ(p->size), p->method, SZ(p->bytes),
		       two ? "" : p->reason);
		if (two && p->reason[0]) ui_put(y++, 2, w, a, 0, "       %s", p->reason);
	}
	ui_put(y++, 2, w, 0, 0, "%3s  %-30s  %-8s %10s", "", "boot areas, tables and gaps", "raw",
	       SZ(r->disk_area_bytes));
	if (r->unalloc_skipped)
		ui_put(y++, 2, w, ui_attr(UI_DIM), 0, "%3s  %-30s  %-8s %10s", "",
		       "unallocated, not in the image", "skipped", SZ(r->unalloc_skipped));
	for (int i = 0; i < r->nunalloc; i++)
		if (r->unalloc[i].kept && strcmp(r->unalloc[i].why, "kept (--unallocated)"))
			ui_put(y++, 2, w, ui_attr(UI_WARN), 0, "     unallocated %s at %s: %s",
			       SZ(r->unalloc[i].len), SZ(r->unalloc[i].off), r->unalloc[i].why);
	y++;
	ui_put(y++, 2, w, 0, 0, "To read:          %s", SZ(r->bytes_planned));
	ui_put(y++, 2, w, 0, 0, "Image size:       about %s (at most %s)", SZ(s->est), SZ(r->bytes_planned));
	ui_put(y++, 2, w, 0, 0, "Free there:       %s", SZ(b->dest_free));
	if (s->fit == NOFIT)
		ui_put(y++, 2, w, ui_attr(UI_DANGER), 0, " It will not fit: choose another destination "
		       "or fewer partitions. ");
	else if (s->fit == MAYBE)
		ui_put(y++, 2, w, ui_attr(UI_WARN), 0, "It may not fit. If the disk fills up, the "
		       "backup stops and leaves nothing behind.");
	else ui_put(y++, 2, w, ui_attr(UI_OK), 0, "It fits.");
	refresh();
}

int bk_summary(struct bk *b)
{
	struct sm s;
	memset(&s, 0, sizeof s);
	s.b = b;
	struct lb_backup_opts o;
	bk_fill_opts(b, &o, s.image, sizeof s.image);
	if (b->have_plan) lb_report_free(&b->plan);
	memset(&b->plan, 0, sizeof b->plan);
	b->have_plan = 0;
	struct lb_err err = { 0 };
	erase();
	ui_frame("Back up: summary", NULL);
	ui_put(2, 2, COLS - 4, 0, 0, "Reading the partition table and filesystems...");
	refresh();
	if (lb_backup_plan(&o, &b->plan, &err) != LB_OK) {
		ui_error("Lifeboat cannot plan this backup.", &err);
		return 0;
	}
	b->have_plan = 1;
	uint64_t planned = b->plan.bytes_planned;
	s.est = b->level == 0 ? planned : planned / 10 * 6;
	s.fit = b->dest_free >= planned ? FITS : b->dest_free >= s.est ? MAYBE : NOFIT;
	for (;;) {
		ui_set_backdrop(sum_draw, &s);
		sum_draw(&s);
		int k = ui_getkey(-1);
		if (k == ERR || k == KEY_ESC) return 0;
		if (k == '?') ui_help("summary");
		if (!(k == '\n' || k == '\r' || k == KEY_ENTER) || s.fit == NOFIT) continue;
		if (access(s.image, F_OK) == 0) {
			char q[PATH_MAX + 300];
			snprintf(q, sizeof q, "%s already exists. Replace it?", s.image);
			if (!ui_confirm("Replace?", q, 1)) continue;
		}
		if (s.fit == MAYBE && !ui_confirm("It may not fit", "Start anyway?", 0)) continue;
		return 1;
	}
}
