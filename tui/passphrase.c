/* passphrase.c — asking for the passphrase of an encrypted image in a masked dialog, and a new
 * one (typed twice) for an encrypted backup. The engine asks through tui_pass_ask only when the
 * image turns out to be encrypted. */
#include <stdio.h>
#include <string.h>
#include "ui.h"

void tui_pass_forget(struct tui_pass *p)
{
	volatile char *v = p->pass;
	for (size_t i = 0; i < sizeof p->pass; i++) v[i] = 0;
	p->have = 0;
}

int tui_pass_ask(void *ctx, const char *image, char *buf, size_t cap)
{
	struct tui_pass *p = ctx;
	char text[1200];
	if (!p->have) {
		const char *base = strrchr(image, '/');
		snprintf(text, sizeof text, "%s is encrypted. Type its passphrase:",
			 base ? base + 1 : image);
		p->pass[0] = 0;
		if (!ui_input_secret("Passphrase", text, p->pass, sizeof p->pass) || !p->pass[0]) {
			tui_pass_forget(p);
			return -1;
		}
		p->have = 1;
	}
	snprintf(buf, cap, "%s", p->pass);
	return 0;
}

int tui_pass_new(struct tui_pass *p)
{
	char again[sizeof p->pass];
	tui_pass_forget(p);
	for (;;) {
		again[0] = 0;
		if (!ui_input_secret("Encrypt the image", "Passphrase for the image (it cannot be "
				     "recovered if lost):", p->pass, sizeof p->pass) || !p->pass[0])
			break;
		if (!ui_input_secret("Encrypt the image", "The same passphrase again:", again,
				     sizeof again))
			break;
		if (!strcmp(again, p->pass)) {
			memset(again, 0, sizeof again);
			p->have = 1;
			return 1;
		}
		ui_message("Encrypt the image", "The two passphrases differ. Type them again.", 1);
	}
	memset(again, 0, sizeof again);
	tui_pass_forget(p);
	return 0;
}
