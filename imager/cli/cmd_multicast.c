/* lifeboat multicast IMAGE --receivers N: one image to a room of machines at once (mcast.h),
 * and the per-machine summary at the end. Also the restore side's result line. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "mcast.h"
#include "progress.h"

struct note_ctx {
	int quiet;
	double last;
};

/* udp-sender's messages: who joins and leaves always, its progress every 5 s */
static int note(void *ctx, const char *line)
{
	struct note_ctx *n = ctx;
	if (!line)
		return cli_interrupted();
	if (!strncmp(line, "bytes=", 6)) {
		double now = lb_now();
		if (n->quiet || now - n->last < 5)
			return 0;
		n->last = now;
	} else if (n->quiet && strncmp(line, "New connection", 14) && strncmp(line, "Dropp", 5))
		return 0;
	fprintf(stderr, "udp-sender: %s\n", line);
	return 0;
}

/* udp-sender's form: digits, optionally k or m (it is passed on as given) */
static int valid_bitrate(const char *s)
{
	size_t n = strspn(s, "0123456789");
	return n > 0 && n < 12 && (!s[n] || (strchr("kKmM", s[n]) && !s[n + 1]));
}

static int by_addr(const void *a, const void *b)
{
	const struct lb_mcast_row *x = a, *y = b;
	unsigned xa[4] = { 0 }, ya[4] = { 0 };
	sscanf(x->addr, "%u.%u.%u.%u", &xa[0], &xa[1], &xa[2], &xa[3]);
	sscanf(y->addr, "%u.%u.%u.%u", &ya[0], &ya[1], &ya[2], &ya[3]);
	for (int i = 0; i < 4; i++)
		if (xa[i] != ya[i])
			return xa[i] < ya[i] ? -1 : 1;
	return 0;
}

static void table(struct lb_mcast_result *r)
{
	qsort(r->rows, (size_t)r->nrows, sizeof r->rows[0], by_addr);
	printf("%-32s %-20s %8s  %s\n", "MACHINE", "DISK", "TIME", "RESULT");
	for (int i = 0; i < r->nrows; i++) {
		const struct lb_mcast_row *w = &r->rows[i];
		char who[200], t[32];
		snprintf(who, sizeof who, "%s / %s", w->addr, w->host[0] ? w->host : "?");
		if (w->seconds > 0)
			snprintf(t, sizeof t, "%.1f s", w->seconds);
		else
			snprintf(t, sizeof t, "-");
		printf("%-32s %-20s %8s  %s\n", who, w->disk[0] ? w->disk : "?", t, w->result);
	}
	fflush(stdout);
}

int cmd_multicast(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "receivers", required_argument, 0, 'n' }, { "interface", required_argument, 0, 'i' },
		{ "max-wait", required_argument, 0, 'w' }, { "max-bitrate", required_argument, 0, 'b' },
		{ "retries-until-drop", required_argument, 0, 'r' },
		{ "report-timeout", required_argument, 0, 't' }, { "quiet", no_argument, 0, 'q' },
		{ 0, 0, 0, 0 },
	};
	struct lb_mcast_send_opts o = { .max_wait = 300, .retries_until_drop = 30,
	                                .report_timeout = 1800 };
	struct lb_mcast_result res;
	struct note_ctx nc = { 0 };
	struct lb_err err = { 0 };
	int c, rc, good = 0, bad = 0;
	while ((c = getopt_long(argc, argv, "q", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (cli_parse_int(optarg, 1, 500, &o.receivers))
				return cli_usage("multicast", "--receivers takes 1 to 500 (got '%s')", optarg);
			break;
		case 'i': o.iface = optarg; break;
		case 'w':
			if (cli_parse_int(optarg, 1, 86400, &o.max_wait))
				return cli_usage("multicast", "--max-wait takes seconds (got '%s')", optarg);
			break;
		case 'b':
			if (!valid_bitrate(optarg))
				return cli_usage("multicast", "--max-bitrate takes bits per second, e.g. "
				                 "500m or 80000k (got '%s')", optarg);
			o.max_bitrate = optarg;
			break;
		case 'r':
			if (cli_parse_int(optarg, 1, 10000, &o.retries_until_drop))
				return cli_usage("multicast", "--retries-until-drop takes 1 to 10000 (got "
				                 "'%s')", optarg);
			break;
		case 't':
			if (cli_parse_int(optarg, 1, 86400, &o.report_timeout))
				return cli_usage("multicast", "--report-timeout takes seconds (got '%s')",
				                 optarg);
			break;
		case 'q': nc.quiet = 1; break;
		default: return cli_usage("multicast", "unknown option");
		}
	}
	if (argc - optind != 1)
		return cli_usage("multicast", "needs IMAGE (got %d arguments)", argc - optind);
	if (!o.receivers)
		return cli_usage("multicast", "needs --receivers N: how many machines to wait for");
	o.image = argv[optind];
	o.note = note;
	o.note_ctx = &nc;
	rc = lb_mcast_send(&o, &res, &err);
	if (rc) {
		if (res.nrows)   /* cancelled: what is known so far */
			table(&res);
		lb_mcast_result_free(&res);
		return cli_error(&err);
	}
	fprintf(stderr, "lifeboat: multicast of %s on %s ended after %.1f s (udp-sender exit %d)\n",
	        o.image, res.iface, res.seconds, res.sender_status);
	table(&res);
	for (int i = 0; i < res.nrows; i++)
		res.rows[i].ok ? good++ : bad++;
	if (bad || good < o.receivers)
		fprintf(stderr, "lifeboat: multicast NOT complete: %d of %d machines restored and "
		        "checked the image; %d failed or gave no result; %d never came\n", good,
		        o.receivers, bad, res.nrows < o.receivers ? o.receivers - res.nrows : 0);
	else
		fprintf(stderr, "lifeboat: multicast complete: %d of %d machines restored and checked "
		        "the image\n", good, o.receivers);
	rc = bad || good < o.receivers ? 1 : 0;
	if (!rc && res.sender_status != 0) {
		fprintf(stderr, "lifeboat: udp-sender ended with status %d: %s\n", res.sender_status,
		        res.sender_msg);
		rc = 1;
	}
	lb_mcast_result_free(&res);
	return rc;
}

void cli_mcast_result(struct lb_repo *r, int rc, const struct lb_err *err,
                      const struct lb_report *rep, int verify)
{
	char msg[700], a[32];
	if (!r->mc)
		return;
	if (rc)
		snprintf(msg, sizeof msg, "%s", err->msg[0] ? err->msg : lb_code_name(err->code));
	else
		snprintf(msg, sizeof msg, "restored %s; %s%s", lb_human_size(rep->bytes_written, a,
		         sizeof a), !verify ? "not verified (--no-verify)" : rep->verified ?
		         "read back and verified" : "NOT verified", rep->nbad ? "; the image lacks "
		         "unreadable ranges (zeros)" : "");
	/* a partial copy (missing ranges) is not a success, nor is one not read back */
	lb_mcast_set_result(r, !rc && !rep->nbad && (!verify || rep->verified), rep->seconds, msg);
}

void cli_mcast_waiting(const struct lb_repo *r, int quiet)
{
	if (r->mc && !quiet)
		fprintf(stderr, "lifeboat: receiving on %s; waiting for the sender ('lifeboat multicast "
		        "IMAGE' on another machine)\n", r->u.host);
}
