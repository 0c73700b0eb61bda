/* Passphrases for encrypted images: from --key-file (its content, one trailing newline
 * removed) or typed on the terminal (/dev/tty, echo off), never from standard input, which may
 * carry the image. Buffers are wiped when done. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include "cli.h"

#define PASS_CAP 1025   /* the engine's limit (1024 bytes) plus the NUL */

static void wipe(char *p, size_t n)
{
	volatile char *v = p;
	while (n--)
		*v++ = 0;
}

void cli_pass_free(struct cli_pass *p)
{
	if (p->pass) {
		wipe(p->pass, PASS_CAP);
		free(p->pass);
	}
	p->pass = NULL;
}

int cli_pass_init(struct cli_pass *p, const char *cmd, const char *key_file)
{
	char *buf;
	ssize_t n = 0, k;
	int fd;
	memset(p, 0, sizeof *p);
	p->cmd = cmd;
	if (!key_file)
		return 0;
	if (!(buf = calloc(1, PASS_CAP + 1))) {
		fprintf(stderr, "lifeboat: out of memory\n");
		return 1;
	}
	fd = open(key_file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "lifeboat: %s: cannot read the key file %s: %s\n", cmd, key_file,
		        strerror(errno));
		free(buf);
		return 2;
	}
	while (n <= PASS_CAP && (k = read(fd, buf + n, (size_t)(PASS_CAP + 1 - n))) > 0)
		n += k;
	close(fd);
	if (n > 0 && buf[n - 1] == '\n') {   /* one "\n" or "\r\n" (FORMAT.md) */
		buf[--n] = 0;
		if (n > 0 && buf[n - 1] == '\r')
			buf[--n] = 0;
	}
	if (n <= 0 || n >= PASS_CAP || memchr(buf, 0, (size_t)n)) {
		fprintf(stderr, "lifeboat: %s: the key file %s %s\n", cmd, key_file, n <= 0 ?
		        "is empty" : n >= PASS_CAP ? "is longer than 1024 bytes" : "holds a NUL byte");
		wipe(buf, PASS_CAP + 1);
		free(buf);
		return 2;
	}
	p->pass = buf;
	p->from_file = 1;
	return 0;
}

/* One line from the terminal with echo off; 0, or -1 (no terminal, interrupted, empty). */
static int read_tty(const char *prompt, char *buf, size_t cap)
{
	struct termios old, quiet;
	size_t n = 0;
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC), ok = -1, echo_off = 0;
	char ch;
	if (fd < 0)
		return -1;
	if (tcgetattr(fd, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		echo_off = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
	}
	if (write(fd, prompt, strlen(prompt)) < 0)
		goto out;
	for (;;) {
		ssize_t k = read(fd, &ch, 1);
		if (k <= 0)
			goto out;   /* end of input or interrupted (Ctrl-C) */
		if (ch == '\n' || ch == '\r')
			break;
		if (n + 1 < cap)
			buf[n++] = ch;
	}
	buf[n] = 0;
	ok = n ? 0 : -1;
out:
	if (echo_off)
		tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) < 0)
		ok = -1;
	close(fd);
	if (ok)
		wipe(buf, cap);
	return ok;
}

static int have_tty(void)
{
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

int cli_pass_ask(void *ctx, const char *image, char *buf, size_t cap)
{
	struct cli_pass *p = ctx;
	char prompt[600];
	if (!p->pass) {
		if (!have_tty()) {
			fprintf(stderr, "lifeboat: %s: %s is encrypted and there is no terminal to type "
			        "its passphrase on: give --key-file FILE\n", p->cmd, image);
			return -1;
		}
		if (!(p->pass = calloc(1, PASS_CAP)))
			return -1;
		snprintf(prompt, sizeof prompt, "Passphrase for %s: ", image);
		if (read_tty(prompt, p->pass, PASS_CAP)) {
			cli_pass_free(p);
			return -1;
		}
	}
	snprintf(buf, cap, "%s", p->pass);   /* remembered: prepare, then run, ask again */
	return 0;
}

int cli_pass_new(struct cli_pass *p)
{
	char *again;
	if (p->pass)
		return 0;   /* --key-file */
	if (!have_tty()) {
		fprintf(stderr, "lifeboat: %s: --encrypt needs a terminal to type the passphrase on, "
		        "or --key-file FILE\n", p->cmd);
		return 2;
	}
	p->pass = calloc(1, PASS_CAP);
	again = calloc(1, PASS_CAP);
	if (!p->pass || !again) {
		free(again);
		cli_pass_free(p);
		fprintf(stderr, "lifeboat: out of memory\n");
		return 1;
	}
	for (int tries = 0; tries < 3; tries++) {
		if (read_tty("New passphrase for the image: ", p->pass, PASS_CAP) ||
		    read_tty("The same passphrase again: ", again, PASS_CAP))
			break;
		if (!strcmp(p->pass, again)) {
			wipe(again, PASS_CAP);
			free(again);
			return 0;
		}
		fprintf(stderr, "lifeboat: the two passphrases differ; again\n");
	}
	wipe(again, PASS_CAP);
	free(again);
	cli_pass_free(p);
	fprintf(stderr, "lifeboat: %s: no passphrase given; nothing was written\n", p->cmd);
	return 2;
}

int cli_read_secret(const char *prompt, char *buf, size_t cap)
{
	return read_tty(prompt, buf, cap);
}
