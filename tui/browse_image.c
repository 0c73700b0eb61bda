/* browse_image.c — "Browse an image": choose an image (its passphrase asked as restore does),
 * choose one of its partitions, walk its folders (browse_image_list.c) and copy marked files
 * and trees out to a folder of the person's choosing, with progress and a result that names
 * every file that could not be read. The image is only read: the filesystem is read straight
 * from it (imager/fsread.h), never mounted, and nothing is ever written to it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include "browse_image.h"
#include "imgread.h"

/* What is shown while the engine works (and below its dialogs: the screen before it is gone,
 * so it must not stay the backdrop). */
struct busy { const char *title; char line[300]; };

static void busy_draw(void *ctx)
{
	struct busy *w = ctx;
	if (ui_too_small()) return;
	erase();
	ui_frame(w->title, NULL);
	ui_put(2, 2, COLS - 4, 0, 0, "%s", w->line);
	refresh();
}

static void busy(struct busy *w, const char *title, const char *line)
{
	w->title = title;
	snprintf(w->line, sizeof w->line, "%s", line);
	ui_set_backdrop(busy_draw, w);
	busy_draw(w);
}

/* ---- the partition ----------------------------------------------------------------------- */
struct pp { struct bi *b; struct ui_list list; };

/* rows: the image's partitions, or one row for the whole disk when it has none */
static int whole_disk(const struct bi *b) { return b->info->nparts == 0; }

static int part_ok(void *ctx, int i)
{
	struct pp *p = ctx;
	return whole_disk(p->b) || strcmp(p->b->info->parts[i].method, "skipped");
}

static void part_row(void *ctx, int i, int y, int x, int w, int sel)
{
	struct pp *p = ctx;
	int a = sel ? ui_attr(UI_SEL) : 0;
	if (whole_disk(p->b)) {
		ui_put(y, x, w, a, 1, " The whole disk (%s, no partition table)", SZ(p->b->info->src_size));
		return;
	}
	const struct lb_plan_part *pt = &p->b->info->parts[i];
	int skipped = !strcmp(pt->method, "skipped");
	ui_put(y, x, w, skipped ? ui_attr(UI_DIM) : a, 1, " %3d  %-6s %-16.16s %10s  %s", pt->number,
	       pt->fs[0] ? pt->fs : "-", pt->label[0] ? pt->label : "-", SZ(pt->size),
	       skipped ? "not in the image" : pt->method);
}

static void part_draw(void *ctx)
{
	struct pp *p = ctx;
	if (ui_too_small()) return;
	ui_frame("Browse an image: partition", "Enter=Open  Esc=Back  ?=Help");
	char t[32];
	ui_put(2, 2, COLS - 4, A_BOLD, 0, "%s", p->b->image);
	ui_put(3, 2, COLS - 4, 0, 0, "Made %s of %s %s", fmt_time(p->b->info->created, t, sizeof t),
	       p->b->info->src_path, SZ(p->b->info->src_size));
	ui_put(5, 2, COLS - 4, A_BOLD, 0, "Which partition's files do you want to see?");
	list_draw(&p->list, 7, 2, LINES - 9, COLS - 4);
	refresh();
}

/* Opens the filesystem of the row chosen; 0 with a dialog saying why when it cannot be read
 * (an encrypted partition, a filesystem no reader knows, a damaged superblock). */
static int open_part(struct bi *b, int row)
{
	uint64_t off = 0, size = b->info->src_size;
	b->part = 0;
	snprintf(b->where, sizeof b->where, "the whole disk");
	if (!whole_disk(b)) {
		const struct lb_plan_part *pt = &b->info->parts[row];
		off = pt->start;
		size = pt->size;
		b->part = pt->number;
		snprintf(b->where, sizeof b->where, "partition %d (%s%s%s)", pt->number,
			 pt->fs[0] ? pt->fs : "unknown", pt->label[0] ? " " : "", pt->label);
	}
	struct lb_err err = { 0 };
	struct busy w;
	char line[300];
	snprintf(line, sizeof line, "Reading the filesystem of %s...", b->where);
	busy(&w, "Browse an image: partition", line);
	if (lb_fsr_open(&b->f, &b->dev, off, size, &err) != LB_OK) {
		b->f = NULL;
		ui_error("The files of this partition cannot be read.", &err);
		return 0;
	}
	return 1;
}

static void step_parts(struct bi *b)
{
	struct pp p = { b, { 0 } };
	p.list.n = whole_disk(b) ? 1 : b->info->nparts;
	p.list.is_selectable = part_ok;
	p.list.draw_row = part_row;
	p.list.ctx = &p;
	for (;;) {
		ui_set_backdrop(part_draw, &p);
		part_draw(&p);
		int k = ui_getkey(-1);
		if (k == ERR || k == KEY_ESC) return;
		if (k == KEY_RESIZE || list_key(&p.list, k, LINES - 9)) continue;
		if (k == '?') ui_help("browse-image");
		if ((k == '\n' || k == '\r' || k == KEY_ENTER) && p.list.sel >= 0 &&
		    open_part(b, p.list.sel)) {
			bi_files(b);
			lb_fsr_close(b->f);
			b->f = NULL;
			if (ui_quit_signal) return;
		}
	}
}

/* ---- copying ----------------------------------------------------------------------------- */
/* The destination must be a folder that can be written: a read-only filesystem (the one the
 * image was found on is mounted read-only to look) is refused with a message, not tried. */
static int dest_ok(const char *dir)
{
	struct stat st;
	struct statvfs vfs;
	char msg[PATH_MAX + 200];
	const char *why = NULL;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) why = "is not a folder (any more?)";
	else if (statvfs(dir, &vfs) == 0 && (vfs.f_flag & ST_RDONLY))
		why = "is on a read-only filesystem";
	else if (access(dir, W_OK) < 0) why = errno == EROFS ? "is on a read-only filesystem" :
					  "cannot be written";
	if (!why) return 1;
	snprintf(msg, sizeof msg, "%s %s. Choose another folder.", dir, why);
	lb_sanitize(msg);
	ui_message("Cannot copy there", msg, 1);
	return 0;
}

/* The extract's progress drawn as the partition being read ("Now: Partition 2 (ext4 ...),
 * files"), not as the disk areas of a backup. */
struct cp { struct prog pr; int part; uint64_t total; };

static int copy_progress(void *ctx, const struct lb_progress *p)
{
	struct cp *c = ctx;
	struct lb_progress q = *p;
	q.part = c->part;
	q.method = p->phase == LB_PHASE_PLAN ? "adding up the sizes" : "files";
	/* the extract counts ahead (the plan phase); should it not, the bytes marked (counted
	 * when marking) give the bar its end, pushed out when a tree is larger than counted */
	if (p->phase == LB_PHASE_COPY && !q.total) {
		q.total = q.done > c->total ? q.done : c->total;
		if (q.rate > 0 && q.total > q.done) q.eta = (double)(q.total - q.done) / q.rate;
	}
	return prog_cb(&c->pr, &q);
}

/* lines of text (the engine's report) made safe to show, one by one */
static void put_lines(FILE *o, const char *text, const char *indent)
{
	while (text && *text) {
		size_t n = strcspn(text, "\n");
		char *l = strndup(text, n);
		if (l) fprintf(o, "%s%s\n", indent, lb_sanitize(l));
		free(l);
		text += n + (text[n] == '\n');
	}
}

/* The result screen cuts lines at its width: long ones (an error naming a path, a deep file
 * in the report) are wrapped here instead, at a space where there is one, each continuation
 * indented under its line. Counts bytes, not columns: these texts are mostly ASCII. */
static char *wrap_text(const char *text, size_t w)
{
	char *out = NULL;
	size_t ol = 0;
	FILE *o = open_memstream(&out, &ol);
	if (!o) return NULL;
	if (w < 20) w = 20;
	while (*text) {
		size_t n = strcspn(text, "\n"), ind = strspn(text, " "), pre = 0;
		const char *l = text;
		text += n + (text[n] == '\n');
		if (ind + 2 > w / 2) ind = 0;
		for (;;) {
			size_t room = w - pre, take = n;
			if (take > room) {
				take = room;
				while (take > room / 2 && l[take] != ' ') take--;
				if (l[take] != ' ') {       /* no space: cut, but not inside a character */
					take = room;
					while (take > 1 && ((unsigned char)l[take] & 0xc0) == 0x80) take--;
				}
			}
			fprintf(o, "%*s%.*s\n", (int)pre, "", (int)take, l);
			l += take;
			n -= take;
			while (n && *l == ' ') { l++; n--; }
			if (!n) break;
			pre = ind + 2;
		}
	}
	fclose(o);
	return out;
}

static void result(struct bi *b, const char *const *paths, int npaths, int rc,
		   const struct lb_err *err, const struct lb_extract_report *rep, int cancelled)
{
	char *text = NULL;
	size_t tl = 0;
	FILE *o = open_memstream(&text, &tl);
	if (!o) return;
	char dest[PATH_MAX];
	snprintf(dest, sizeof dest, "%s", b->dest);
	lb_sanitize(dest);
	const char *title = "Copy finished";
	if (rc == LB_OK)
		fprintf(o, "Copy finished: everything marked was copied.\n\n");
	else if (cancelled || rc == LB_ECANCELLED) {
		title = "Copy cancelled";
		fprintf(o, "Copy cancelled: only part of what was marked was copied (counted below); "
			"the file being copied when it stopped was removed, not left half "
			"written.\n\n");
	} else if (rc == LB_EDAMAGED || (rc == LB_EIO && (rep->failed || rep->text))) {
		/* everything else was copied; what failed is named below */
		title = "Copy finished with errors";
		fprintf(o, "Copy finished, but %llu file%s could not be copied whole (named below)%s."
			"\n\n", (unsigned long long)rep->failed, rep->failed == 1 ? "" : "s",
			rep->damaged_bytes ? ": the image is damaged there, the copies hold zeros "
			"where it could not be read" : "");
	} else {
		title = "Copy failed";
		char m[sizeof err->msg];
		snprintf(m, sizeof m, "%s", err->msg[0] ? err->msg : "(no details)");
		fprintf(o, "The copy %s: %s\n\n", rc == LB_EREFUSED ? "was refused, nothing was "
			"copied" : "stopped", lb_sanitize(m));
	}
	fprintf(o, "From:   %s, %s\nTo:     %s\n", b->where, b->image, dest);
	fprintf(o, "Copied: %llu file%s, %llu folder%s", (unsigned long long)rep->files,
		rep->files == 1 ? "" : "s", (unsigned long long)rep->dirs, rep->dirs == 1 ? "" : "s");
	if (rep->symlinks) fprintf(o, ", %llu symlink%s", (unsigned long long)rep->symlinks,
				   rep->symlinks == 1 ? "" : "s");
	if (rep->links) fprintf(o, ", %llu hard link%s", (unsigned long long)rep->links,
				rep->links == 1 ? "" : "s");
	if (rep->specials) fprintf(o, ", %llu special file%s", (unsigned long long)rep->specials,
				   rep->specials == 1 ? "" : "s");
	fprintf(o, ", %s\n", SZ(rep->bytes));
	if (rep->skipped)
		fprintf(o, "Not made: %llu device file%s, fifo%s or socket%s (only root can)\n",
			(unsigned long long)rep->skipped, rep->skipped == 1 ? "" : "s",
			rep->skipped == 1 ? "" : "s", rep->skipped == 1 ? "" : "s");
	if (rep->failed || rep->text) {
		fprintf(o, "\nCould not be copied (%llu)%s:\n", (unsigned long long)rep->failed,
			rep->damaged_bytes ? ", unreadable in the image" : "");
		put_lines(o, rep->text, "  ");
	}
	fprintf(o, "\nMarked:\n");
	for (int i = 0; i < npaths; i++) {
		char e[4 * PATH_MAX];
		fprintf(o, "  %s\n", bi_escape(paths[i], e, sizeof e));
	}
	fclose(o);
	char *wrapped = text ? wrap_text(text, (size_t)(COLS - 4)) : NULL;
	result_screen(title, rc == LB_OK, wrapped ? wrapped : text ? text : "");
	free(wrapped);
	free(text);
}

void bi_copy(struct bi *b)
{
	const char **paths = NULL;
	char *cursor = NULL;
	int npaths = b->nmarks;
	uint64_t files, bytes;
	int exact;
	bi_marks_total(b, &files, &bytes, &exact);
	if (!npaths) {
		/* nothing marked: the entry under the cursor */
		cursor = bi_ent_path(b, b->list.sel);
		struct bi_ent *e = bi_row_ent(b, b->list.sel);
		if (!cursor || !e) {
			ui_message("Copy", "Nothing to copy: mark files or folders with Space first.", 0);
			free(cursor);
			return;
		}
		npaths = 1;
		files = S_ISDIR(e->st.mode) ? 0 : 1;
		bytes = S_ISREG(e->st.mode) ? e->st.size : 0;
		exact = !S_ISDIR(e->st.mode);
	}
	paths = calloc((size_t)npaths, sizeof *paths);
	if (!paths) { free(cursor); return; }
	if (cursor) paths[0] = cursor;
	else for (int i = 0; i < npaths; i++) paths[i] = b->marks[i].path;

	char dest[PATH_MAX];
	for (;;) {
		if (!browse("Copy to: choose a folder", b->dest[0] ? b->dest :
			    app.images_dir ? app.images_dir : "/", 1, dest, sizeof dest))
			goto out;
		ui_set_backdrop(bi_draw, b);     /* the picker's screen is gone */
		bi_draw(b);
		snprintf(b->dest, sizeof b->dest, "%s", dest);
		if (dest_ok(dest)) break;
	}
	uint64_t fr = 0;
	char fstype[32], q[PATH_MAX + 400], shown[PATH_MAX];
	snprintf(shown, sizeof shown, "%s", dest);
	lb_sanitize(shown);
	if (path_free_space(dest, &fr, fstype, sizeof fstype) == 0 && fr < bytes) {
		snprintf(q, sizeof q, "%s has %s free, and what is marked holds %s%s. Files that do "
			 "not fit are not copied (the result says which). Copy anyway?", shown,
			 SZ(fr), exact ? "" : "at least ", SZ(bytes));
		if (!ui_confirm("Not enough space", q, 1)) goto out;
	}
	snprintf(q, sizeof q, "Copy %d entr%s (%s%s) to %s?\n\nNothing there is replaced: if one "
		 "of these names is already in that folder, nothing is copied. Nothing is written to "
		 "the image.", npaths, npaths == 1 ? "y" : "ies",
		 exact ? "" : "at least ", SZ(bytes), shown);
	if (!ui_confirm("Copy", q, 0)) goto out;

	struct cp c;
	memset(&c, 0, sizeof c);
	char from[PATH_MAX + 240];
	snprintf(from, sizeof from, "%s, %s", b->where, b->image);
	c.part = b->part;
	c.total = bytes;
	c.pr.title = "Copying files";
	c.pr.from = from;
	c.pr.to = shown;
	c.pr.cancel_text = "Cancelling keeps the files copied so far; the one being copied is "
			   "removed.";
	c.pr.help = "browse-image";
	if (b->part && b->info->nparts) { c.pr.nparts = b->info->nparts; c.pr.parts = b->info->parts; }
	struct lb_extract_opts o;
	memset(&o, 0, sizeof o);
	o.to = dest;
	o.owners = geteuid() == 0;
	o.overwrite = 0;
	o.progress = copy_progress;
	o.progress_ctx = &c;
	struct lb_extract_report rep;
	memset(&rep, 0, sizeof rep);
	struct lb_err err = { 0 };
	prog_start(&c.pr);
	int rc = lb_extract(b->f, paths, npaths, &o, &rep, &err);
	if (!ui_quit_signal) {
		result(b, paths, npaths, rc, &err, &rep, c.pr.cancelled);
		if (rc == LB_OK && !cursor) bi_marks_clear(b);
	}
	lb_extract_report_free(&rep);
out:
	free(paths);
	free(cursor);
}

/* ---- the flow ---------------------------------------------------------------------------- */
void flow_browse_image(void)
{
	struct bi *b = calloc(1, sizeof *b);
	if (!b) return;
	while (!ui_quit_signal &&
	       pick_image("Browse an image: choose an image", b->image, sizeof b->image)) {
		struct lb_err err = { 0 };
		struct busy w;
		tui_pass_forget(&b->pass);   /* another image may have been chosen */
		busy(&w, "Browse an image", "Reading the image's index...");
		if (lb_imgread_open(&b->r, b->image, tui_pass_ask, &b->pass, LB_IMGREAD_CACHE,
				    &err) != LB_OK) {
			b->r = NULL;
			tui_pass_forget(&b->pass);
			ui_error(err.code == LB_EKEY ? "The passphrase is needed to read this image." :
				 "This image cannot be read.", &err);
			continue;
		}
		b->info = lb_imgread_info(b->r);
		if (lb_dev_open_image(&b->dev, b->r, &err) != LB_OK)
			ui_error("This image cannot be read.", &err);
		else {
			b->dev_open = 1;
			step_parts(b);
			lb_dev_close(&b->dev);
			b->dev_open = 0;
		}
		lb_imgread_close(b->r);
		b->r = NULL;
		b->info = NULL;
	}
	tui_pass_forget(&b->pass);
	free(b);
	/* the filesystem the image was read from was mounted only to look */
	if (mounts_release_looks(NULL)) app_load_disks();
}
