/* Messages, progress, confirmation and JSON strings for the command line. */
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

void cli_catch_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);   /* a closed pipe becomes a write error with a message */
}

int cli_interrupted(void)
{
	return interrupted;
}

int cli_error(const struct lb_err *err)
{
	fprintf(stderr, "lifeboat: %s\n", err->msg[0] ? err->msg : lb_code_name(err->code));
	return lb_exit_status(err->code);
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "lifeboat %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'lifeboat --help'.\n");
	return 2;
}

static const char *phase_name(enum lb_phase ph)
{
	switch (ph) {
	case LB_PHASE_PLAN: return "planning";
	case LB_PHASE_COPY: return "copying";
	case LB_PHASE_VERIFY: return "verifying";
	default: return "done";
	}
}

static void fmt_time(double s, char *buf, size_t len)
{
	long t = s < 0 ? 0 : (long)(s + 0.5);
	if (t >= 3600)
		snprintf(buf, len, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(buf, len, "%ld:%02ld", t / 60, t % 60);
}

int cli_progress(void *ctx, const struct lb_progress *p)
{
	static double last_line;
	int quiet = ctx ? *(int *)ctx : 0, tty = isatty(STDERR_FILENO);
	char done[32], total[32], eta[32], el[32], bad[48] = "", where[64] = "";
	double pct = p->total ? 100.0 * (double)p->done / (double)p->total : 0;
	if (interrupted)
		return 1;
	if (quiet || p->phase == LB_PHASE_PLAN)
		return 0;
	if (!tty && p->phase != LB_PHASE_FINISH && p->elapsed - last_line < 5)
		return 0;
	last_line = p->elapsed;
	lb_human_size(p->done, done, sizeof done);
	lb_human_size(p->total, total, sizeof total);
	fmt_time(p->eta, eta, sizeof eta);
	fmt_time(p->elapsed, el, sizeof el);
	if (p->bad_bytes)
		snprintf(bad, sizeof bad, "  unreadable %llu B", (unsigned long long)p->bad_bytes);
	if (p->part > 0 && p->phase == LB_PHASE_COPY)
		snprintf(where, sizeof where, "  partition %d, %s", p->part, p->method);
	fprintf(stderr, "%s%-9s %5.1f%%  %s / %s  %6.1f MB/s  %s %s%s%s%s", tty ? "\r" : "",
	        phase_name(p->phase), pct, done, total, p->rate / 1e6,
	        p->phase == LB_PHASE_FINISH ? "took" : "ETA",
	        p->phase == LB_PHASE_FINISH ? el : (p->eta < 0 ? "--:--" : eta), where, bad,
	        tty ? "\033[K" : "\n");
	if (tty && p->phase == LB_PHASE_FINISH)
		fputc('\n', stderr);
	return 0;
}

int cli_confirm(const char *question)
{
	FILE *tty = fopen("/dev/tty", "r+");
	char line[64];
	int ok = 0;
	if (!tty || !isatty(fileno(tty))) {
		if (tty)
			fclose(tty);
		fprintf(stderr, "lifeboat: %s\nlifeboat: no terminal to ask on: add --yes to confirm\n",
		        question);
		return 0;
	}
	fprintf(tty, "%s\nType 'yes' to continue: ", question);
	fflush(tty);
	if (fgets(line, sizeof line, tty))
		ok = !strcmp(line, "yes\n") || !strcmp(line, "YES\n");
	fclose(tty);
	if (!ok)
		fprintf(stderr, "lifeboat: not confirmed; nothing was written\n");
	return ok;
}

/* Bytes of the valid UTF-8 sequence at s (2..4) and its code point, or 0. */
static int utf8_multi(const unsigned char *s, unsigned *cp)
{
	unsigned c = s[0], min;
	int n;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, min = 0x80, c &= 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, min = 0x800, c &= 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, min = 0x10000, c &= 0x07;
	else
		return 0;
	for (int i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* A JSON string that is valid JSON whatever the bytes (paths given on the command line are not
 * sanitized): controls (C0, DEL, C1) escaped, bytes that are not UTF-8 as U+FFFD. */
void cli_json_str(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	fputc('"', f);
	while (*s) {
		unsigned c = *s, cp;
		int n;
		if (c == '"' || c == '\\') {
			fprintf(f, "\\%c", c);
			s++;
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\u%04x", c);
			s++;
		} else if (c < 0x80) {
			fputc((int)c, f);
			s++;
		} else if (!(n = utf8_multi(s, &cp))) {
			fputs("\\ufffd", f);
			s++;
		} else if (cp <= 0x9f) {
			fprintf(f, "\\u%04x", cp);
			s += n;
		} else {
			fwrite(s, 1, (size_t)n, f);
			s += n;
		}
	}
	fputc('"', f);
}

int cli_parse_int(const char *s, int lo, int hi, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (!*s || *end || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

void cli_print_plan(FILE *f, const struct lb_report *r, int with_results)
{
	char a[32], b[32], c[32];
	if (with_results)
		fprintf(f, "%-5s %-6s %-12s %-7s %10s %10s %7s  %s\n", "part", "fs", "label", "method",
		        "read", "written", "time", "why");
	else
		fprintf(f, "%-5s %-6s %-12s %-7s %10s  %s\n", "part", "fs", "label", "method", "to read",
		        "why");
	for (int i = 0; i < r->nparts; i++) {
		const struct lb_plan_part *p = &r->parts[i];
		char num[8];
		snprintf(num, sizeof num, "%d", p->number);
		if (with_results)
			fprintf(f, "%-5s %-6s %-12.12s %-7s %10s %10s %6.1fs  %s\n", p->number ? num : "-",
			        p->fs[0] ? p->fs : "?", p->label, p->method,
			        lb_human_size(r->part_read[i], a, sizeof a),
			        lb_human_size(r->part_stored[i], b, sizeof b), r->part_seconds[i], p->reason);
		else
			fprintf(f, "%-5s %-6s %-12.12s %-7s %10s  %s\n", p->number ? num : "-",
			        p->fs[0] ? p->fs : "?", p->label, p->method,
			        lb_human_size(p->bytes, a, sizeof a), p->reason);
	}
	fprintf(f, "disk areas outside partitions (boot code, tables, gaps): %s raw\n",
	        lb_human_size(r->disk_area_bytes, c, sizeof c));
	for (int i = 0; i < r->nunalloc; i++)
		fprintf(f, "unallocated %s at offset %llu: %s\n",
		        lb_human_size(r->unalloc[i].len, c, sizeof c),
		        (unsigned long long)r->unalloc[i].off, r->unalloc[i].why);
	if (r->unalloc_skipped)
		fprintf(f, "unallocated space skipped (not copied: a restore or clone leaves the target's "
		        "bytes there; --unallocated keeps it): %s\n",
		        lb_human_size(r->unalloc_skipped, c, sizeof c));
	if (r->table_note[0])
		fprintf(f, "partition table: %s\n", r->table_note);
	if (r->source_note[0])
		fprintf(f, "source: %s\n", r->source_note);
}

void cli_print_bad(const struct lb_report *r, const char *where, const char *mapfile)
{
	fprintf(stderr, "lifeboat: WARNING: %llu bytes in %d range%s could not be read; they are "
	        "zeros %s:\n", (unsigned long long)r->bad_bytes, r->nbad, r->nbad == 1 ? "" : "s",
	        where);
	for (int i = 0; i < r->nbad && i < 50; i++)
		fprintf(stderr, "  offset %llu, %llu bytes\n", (unsigned long long)r->bad[i][0],
		        (unsigned long long)r->bad[i][1]);
	if (r->nbad > 50)
		fprintf(stderr, "  ... %d more%s\n", r->nbad - 50, mapfile ? " (see the mapfile)" : "");
	if (r->damage)
		fprintf(stderr, "what they hit:\n%s", r->damage);
}
