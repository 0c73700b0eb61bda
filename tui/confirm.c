/* confirm.c — what a restore or clone would do to its target (side by side with the image or
 * source), and the danger confirmation that makes the person type the target's name. */
#include <stdio.h>
#include <string.h>
#include "ui.h"

/* left: lines separated by '\n' describing the image or source */
void draw_target_plan(int y, const char *left_title, const char *left, const struct lb_target_plan *p)
{
	int colw = (COLS - 6) / 2, lx = 2, rx = 4 + colw, h = 0;
	ui_put(y, lx, colw, A_BOLD, 0, "%s", left_title);
	ui_put(y, rx, colw, A_BOLD, 0, "Target");
	const char *s = left;
	for (int row = 1; *s && row < 9; row++) {
		const char *nl = strchr(s, '\n');
		int n = nl ? (int)(nl - s) : (int)strlen(s);
		ui_put(y + row, lx, colw, 0, 0, "%.*s", n, s);
		s += n + (nl ? 1 : 0);
		h = row;
	}
	int r = 1;
	ui_put(y + r++, rx, colw, 0, 0, "%s", p->target);
	ui_put(y + r++, rx, colw, 0, 0, "Model:  %s", p->model[0] ? p->model : "-");
	ui_put(y + r++, rx, colw, 0, 0, "Serial: %s", p->serial[0] ? p->serial : "-");
	ui_put(y + r++, rx, colw, 0, 0, "Size:   %s", SZ(p->target_size));
	ui_put(y + r++, rx, colw, 0, 0, "Needs:  %s", SZ(p->needed));
	if (r - 1 > h) h = r - 1;
	for (int i = 0; i <= h; i++) ui_vline(y + i, rx - 2, 1);
	int vy = y + h + 2;
	if (p->needed > p->target_size)
		ui_put(vy, 2, COLS - 4, ui_attr(UI_DANGER), 0, " Too small: %s more is needed. ",
		       SZ(p->needed - p->target_size));
	else if (p->grows)
		ui_put(vy, 2, COLS - 4, ui_attr(UI_OK), 0, "Fits: the target is %s larger; the "
		       "GPT moves to its end.", SZ(p->target_size - p->image_size));
	else if (p->shrinks)
		ui_put(vy, 2, COLS - 4, ui_attr(UI_WARN), 0, "Fits: the target is smaller than the "
		       "original, but every partition fits.");
	else
		ui_put(vy, 2, COLS - 4, ui_attr(UI_OK), 0, "Fits.");
	/* the engine's one line, on up to three screen lines */
	const char *s2 = p->summary;
	int w = COLS - 4;
	for (int line = 1; *s2 && line <= 3; line++) {
		int l = (int)strlen(s2), cut = l;
		if (l > w) {
			cut = w;
			while (cut > 0 && s2[cut] != ' ') cut--;
			if (cut == 0) cut = w;
		}
		ui_put(vy + line, 2, w, 0, 0, "%.*s", cut, s2);
		s2 += cut;
		while (*s2 == ' ') s2++;
	}
}

int danger_confirm(const char *action, const char *name, const struct lb_disk_info *d,
		   const struct lb_target_plan *p)
{
	const char *model = p && p->model[0] ? p->model : d && d->model[0] ? d->model : "unknown";
	const char *serial = p && p->serial[0] ? p->serial : d && d->serial[0] ? d->serial : "unknown";
	uint64_t size = p && p->target_size ? p->target_size : d ? d->size : 0;
	char text[1024], typed[128] = "";
	snprintf(text, sizeof text,
		 "%s WILL ERASE EVERYTHING ON:\n\n"
		 "  Device: %s\n  Model:  %s\n  Serial: %s\n  Size:   %s\n\n"
		 "To go on, type the device name (%s) and press Enter. Esc goes back.",
		 action, p && p->target[0] ? p->target : name, model, serial, SZ(size), name);
	if (!ui_input("Danger: data will be destroyed", text, typed, sizeof typed, 1)) return 0;
	if (!strcmp(typed, name)) return 1;
	char msg[512];
	snprintf(msg, sizeof msg, "You typed '%s', which is not '%s'. Nothing was written.",
		 typed, name);
	ui_message("Not confirmed", msg, 0);
	return 0;
}
