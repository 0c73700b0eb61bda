/* lifeboat multicast IMAGE: udp-sender sends the image's bytes (its one file with --file, or
 * every segment in order through its standard input: the stream a restore from a pipe reads),
 * while this process listens on the report channel (mcast.h) and follows udp-sender's messages
 * to know who joined and who was dropped. Returns one row per machine. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "err.h"
#include "mcast.h"
#include "repo.h"
#include "progress.h"
#include "segio.h"

#define MAX_ROWS 512

struct sctx {
	struct lb_mcast_result *res;
	pid_t sender, feeder;
	int errpipe;             /* udp-sender's messages */
	int lsock;
	char line[1024];
	size_t llen;
	char last[400];          /* udp-sender's last message that is not progress */
	int cap;
	double t_start;          /* when udp-sender said "Starting transfer", 0 before */
};

static struct lb_mcast_row *row_for(struct sctx *c, const char *addr)
{
	struct lb_mcast_result *r = c->res;
	for (int i = 0; i < r->nrows; i++)
		if (!strcmp(r->rows[i].addr, addr))
			return &r->rows[i];
	if (r->nrows >= MAX_ROWS)
		return NULL;
	if (r->nrows == c->cap) {
		int nc = c->cap ? c->cap * 2 : 16;
		struct lb_mcast_row *v = realloc(r->rows, (size_t)nc * sizeof *v);
		if (!v)
			return NULL;
		r->rows = v;
		c->cap = nc;
	}
	struct lb_mcast_row *w = &r->rows[r->nrows++];
	memset(w, 0, sizeof *w);
	snprintf(w->addr, sizeof w->addr, "%s", addr);
	w->udp_id = -1;
	w->fd = -1;
	return w;
}

static void sender_line(struct sctx *c, const struct lb_mcast_send_opts *o, char *l)
{
	char addr[64];
	int id, ev;
	struct lb_mcast_row *w;
	if (!*l)
		return;
	lb_sanitize(l);
	ev = lb_mcast_sender_line(l, addr, sizeof addr, &id);
	if (ev == LB_MEV_START && !c->t_start)
		c->t_start = lb_now();
	if (ev == LB_MEV_JOIN && (w = row_for(c, addr)))
		w->udp_id = id;
	else if (ev == LB_MEV_DROP)
		for (int i = 0; i < c->res->nrows; i++)
			if (c->res->rows[i].udp_id == id)
				c->res->rows[i].dropped = 1;
	if (strncmp(l, "bytes=", 6))
		snprintf(c->last, sizeof c->last, "%s", l);
	if (o->note)
		o->note(o->note_ctx, l);
}

static int read_sender(struct sctx *c, const struct lb_mcast_send_opts *o)
{
	char buf[4096];
	ssize_t n = read(c->errpipe, buf, sizeof buf);
	if (n <= 0) {
		if (n < 0 && errno == EINTR)
			return 1;
		close(c->errpipe);
		c->errpipe = -1;
		return 0;
	}
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] == '\n' || buf[i] == '\r') {
			c->line[c->llen] = 0;
			sender_line(c, o, c->line);
			c->llen = 0;
		} else if ((unsigned char)buf[i] < 0x20 && buf[i] != '\t')
			continue;   /* udp-sender rings the bell at the end */
		else if (c->llen + 1 < sizeof c->line)
			c->line[c->llen++] = buf[i];
	}
	return 1;
}

static void accept_report(struct sctx *c)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof sa;
	char addr[64];
	int one = 1, idle = 10, intvl = 5, cnt = 4;
	int s = accept4(c->lsock, (struct sockaddr *)&sa, &sl, SOCK_CLOEXEC | SOCK_NONBLOCK);
	struct lb_mcast_row *w;
	if (s < 0)
		return;
	inet_ntop(AF_INET, &sa.sin_addr, addr, sizeof addr);
	if (!(w = row_for(c, addr))) {
		close(s);
		return;
	}
	if (w->fd >= 0)   /* the same machine again (lifeboat restarted there): the new one counts */
		close(w->fd);
	/* a machine switched off mid-restore never closes its connection: keepalive finds it */
	setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
	setsockopt(s, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
	setsockopt(s, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
	setsockopt(s, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
	w->fd = s;
	w->blen = 0;
	w->done = 0;
	w->ok = 0;
	w->result[0] = 0;
}

static void end_row(struct lb_mcast_row *w, const char *why)
{
	if (why && !w->result[0])
		snprintf(w->result, sizeof w->result, "%s", why);
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	w->done = 1;
}

static void read_report(struct sctx *c, struct lb_mcast_row *w)
{
	ssize_t n = read(w->fd, w->buf + w->blen, sizeof w->buf - 1 - w->blen);
	char *nl, *p;
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		end_row(w, n < 0 && errno == ETIMEDOUT ? "lost: the machine stopped answering (no "
		        "result)" : "died: its report connection closed without a result");
		return;
	}
	w->blen += (size_t)n;
	w->buf[w->blen] = 0;
	p = w->buf;
	while ((nl = strchr(p, '\n'))) {
		struct lb_mcast_msg m;
		*nl = 0;
		if (!lb_mcast_parse(p, &m)) {
			if (m.host[0])
				snprintf(w->host, sizeof w->host, "%s", m.host);
			if (m.disk[0])
				snprintf(w->disk, sizeof w->disk, "%s", m.disk);
			if (!m.hello) {
				w->ok = m.ok;
				/* from the start of the transfer to this result (restore and read-back):
				 * the receiver's own clock also counts its wait for the other machines */
				w->seconds = c->t_start > 0 ? lb_now() - c->t_start : m.seconds;
				snprintf(w->result, sizeof w->result, "%s%s%s", m.ok ? "ok" : "failed",
				         m.msg[0] ? ": " : "", m.msg);
				end_row(w, NULL);
				return;
			}
		}
		p = nl + 1;
	}
	w->blen = strlen(p);
	memmove(w->buf, p, w->blen);
	if (w->blen >= sizeof w->buf - 1)
		end_row(w, "failed: its report was not readable");
}

static int listen_report(struct sctx *c, struct lb_err *err)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(LB_MCAST_REPORT_PORT),
	                          .sin_addr.s_addr = htonl(INADDR_ANY) };
	int one = 1;
	if ((c->lsock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
		return lb_fail(err, LB_EIO, "cannot make a socket: %s", strerror(errno));
	setsockopt(c->lsock, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(c->lsock, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(c->lsock, 64) < 0)
		return lb_fail(err, LB_EIO, "cannot listen on TCP port %d for the receivers' reports: "
		               "%s%s", LB_MCAST_REPORT_PORT, strerror(errno), errno == EADDRINUSE ?
		               " (is another 'lifeboat multicast' running?)" : "");
	return 0;
}

/* The feeder: every segment file, whole and in order, into udp-sender's standard input. */
static void feed(struct lb_imgr *img, int out)
{
	char *buf = malloc(1 << 20);
	signal(SIGPIPE, SIG_DFL);
	if (!buf)
		_exit(1);
	for (int i = 0; i < img->nseg; i++) {
		off_t off = 0;
		for (;;) {
			ssize_t n = pread(img->fds[i], buf, 1 << 20, off);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				dprintf(2, "lifeboat multicast: reading segment %d: %s\n", i + 1, strerror(errno));
				_exit(1);
			}
			if (n == 0)
				break;
			off += n;
			for (ssize_t o = 0; o < n;) {
				ssize_t w = write(out, buf + o, (size_t)(n - o));
				if (w < 0 && errno == EINTR)
					continue;
				if (w <= 0)
					_exit(1);
				o += w;
			}
		}
	}
	_exit(0);
}

static int spawn(struct sctx *c, const struct lb_mcast_send_opts *o, struct lb_imgr *img,
                 const char *iface, struct lb_err *err)
{
	static const char *const names[] = { "udp-sender", NULL };
	char prog[PATH_MAX], nrecv[16], wait[16], drop[16], *argv[32];
	int ep[2], dp[2] = { -1, -1 }, n = 0;
	if (!lb_repo_find_prog(names, prog, sizeof prog))
		return lb_fail(err, LB_EUNSUPPORTED, "udp-sender (udpcast) was not found in PATH");
	snprintf(nrecv, sizeof nrecv, "%d", o->receivers);
	snprintf(wait, sizeof wait, "%d", o->max_wait);
	snprintf(drop, sizeof drop, "%d", o->retries_until_drop);
	argv[n++] = prog;
	argv[n++] = "--nokbd";
	argv[n++] = "--interface";
	argv[n++] = (char *)iface;
	argv[n++] = "--min-receivers";
	argv[n++] = nrecv;
	argv[n++] = "--max-wait";
	argv[n++] = wait;
	argv[n++] = "--retries-until-drop";
	argv[n++] = drop;
	if (o->max_bitrate) {
		argv[n++] = "--max-bitrate";
		argv[n++] = (char *)o->max_bitrate;
	}
	if (img->nseg == 1) {
		argv[n++] = "--file";
		argv[n++] = (char *)o->image;
	}
	argv[n] = NULL;
	if (pipe2(ep, O_CLOEXEC) < 0)
		return lb_fail(err, LB_EIO, "cannot make a pipe: %s", strerror(errno));
	c->errpipe = ep[0];
	if (img->nseg > 1 && pipe2(dp, O_CLOEXEC) < 0) {
		close(ep[1]);
		return lb_fail(err, LB_EIO, "cannot make a pipe: %s", strerror(errno));
	}
	fflush(NULL);
	if ((c->sender = fork()) < 0) {
		close(ep[1]);
		if (dp[0] >= 0) {
			close(dp[0]);
			close(dp[1]);
		}
		return lb_fail(err, LB_EIO, "cannot start udp-sender: %s", strerror(errno));
	}
	if (c->sender == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(dp[0] >= 0 ? dp[0] : null, 0);
		dup2(null, 1);
		dup2(ep[1], 2);
		signal(SIGPIPE, SIG_DFL);
		/* its own process group: a Ctrl-C on the terminal reaches lifeboat, which stops it */
		setpgid(0, 0);
		execv(prog, argv);
		dprintf(2, "cannot run %s: %s\n", prog, strerror(errno));
		_exit(127);
	}
	close(ep[1]);
	if (dp[0] >= 0) {
		close(dp[0]);
		if ((c->feeder = fork()) == 0)
			feed(img, dp[1]);
		close(dp[1]);
		if (c->feeder < 0)
			return lb_fail(err, LB_EIO, "cannot start the feeder: %s", strerror(errno));
	}
	return 0;
}

static int status_of(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int lb_mcast_send(const struct lb_mcast_send_opts *o, struct lb_mcast_result *res,
                  struct lb_err *err)
{
	struct sctx c = { .res = res, .sender = -1, .feeder = -1, .errpipe = -1, .lsock = -1 };
	struct lb_imgr img;
	double t0 = lb_now(), t_end = 0;
	int rc, st, img_open = 0, running = 0;

	memset(res, 0, sizeof *res);
	res->sender_status = -1;
	if (!o->image || !strcmp(o->image, "-"))
		return lb_fail(err, LB_EUSAGE, "multicast sends an image file (its segments are found "
		               "beside it), not standard input");
	if (o->receivers < 1)
		return lb_fail(err, LB_EUSAGE, "multicast needs the number of receivers (--receivers N)");
	if ((rc = lb_imgr_open(&img, o->image, err)))
		return rc;
	img_open = 1;
	if ((rc = lb_mcast_iface(o->iface, res->iface, sizeof res->iface, err)))
		goto out;
	if ((rc = listen_report(&c, err)))
		goto out;
	rc = spawn(&c, o, &img, res->iface, err);
	running = c.sender > 0;
	if (rc)
		goto out;
	for (;;) {
		struct pollfd pf[MAX_ROWS + 2];
		struct lb_mcast_row *who[MAX_ROWS + 2];
		int np = 0, waiting = 0;
		if (o->note && o->note(o->note_ctx, NULL)) {
			rc = lb_fail(err, LB_ECANCELLED, "cancelled");
			break;
		}
		if (running && waitpid(c.sender, &st, WNOHANG) == c.sender) {
			running = 0;
			res->sender_status = status_of(st);
			t_end = lb_now();
		}
		if (!running && c.errpipe < 0) {
			double since = lb_now() - t_end;
			/* who is still to report: a connection open and a result not in. Machines that
			 * udp-sender never counted (joined too late) are not waited for; a short grace
			 * for the last HELLOs of a very short transfer. */
			for (int i = 0; i < res->nrows; i++) {
				struct lb_mcast_row *w = &res->rows[i];
				if (w->done)
					continue;
				if (w->udp_id < 0 && since > 2)
					end_row(w, "not part of this transfer (joined too late?)");
				else if (w->fd >= 0 || since < 2)
					waiting++;
			}
			if (!waiting || since > o->report_timeout)
				break;
		}
		if (c.errpipe >= 0) {
			pf[np].fd = c.errpipe;
			pf[np].events = POLLIN;
			who[np++] = NULL;
		}
		pf[np].fd = c.lsock;
		pf[np].events = POLLIN;
		who[np++] = NULL;
		for (int i = 0; i < res->nrows; i++)
			if (res->rows[i].fd >= 0) {
				pf[np].fd = res->rows[i].fd;
				pf[np].events = POLLIN;
				who[np++] = &res->rows[i];
			}
		if (poll(pf, (nfds_t)np, 200) <= 0)
			continue;
		for (int i = 0; i < np; i++) {
			if (!pf[i].revents)
				continue;
			if (who[i])
				read_report(&c, who[i]);
			else if (pf[i].fd == c.errpipe)
				read_sender(&c, o);
			else
				accept_report(&c);
		}
	}
	for (int i = 0; i < res->nrows; i++) {
		struct lb_mcast_row *w = &res->rows[i];
		/* a receiver that said why it failed needs no guess added */
		if (w->done && w->dropped && !w->ok && strncmp(w->result, "failed", 6) &&
		    strlen(w->result) + 30 < sizeof w->result)
			strcat(w->result, " (udp-sender dropped it)");
		if (!w->done && rc == LB_ECANCELLED)
			end_row(w, "no report: the multicast was cancelled first");
		else if (!w->done)
			end_row(w, w->dropped ? "dropped: udp-sender got no answer from it, and no result "
			        "came" : w->fd >= 0 ? "no report: still working when the wait ended "
			        "(--report-timeout)" : "no report: it never opened the report channel");
	}
	if (!rc && res->sender_status != 0 && !res->nrows)
		rc = lb_fail(err, LB_EIO, "udp-sender failed (exit %d)%s%s", res->sender_status,
		             c.last[0] ? ": " : "", c.last);
	snprintf(res->sender_msg, sizeof res->sender_msg, "%s", c.last);
out:
	if (running) {   /* cancelled, or the feeder could not start */
		kill(-c.sender, SIGTERM);
		kill(c.sender, SIGTERM);
		waitpid(c.sender, &st, 0);
	}
	if (c.feeder > 0) {
		kill(c.feeder, SIGTERM);
		waitpid(c.feeder, &st, 0);
	}
	if (c.errpipe >= 0)
		close(c.errpipe);
	if (c.lsock >= 0)
		close(c.lsock);
	if (img_open)
		lb_imgr_close(&img);
	res->seconds = lb_now() - t0;
	return rc;
}

void lb_mcast_result_free(struct lb_mcast_result *res)
{
	free(res->rows);
	res->rows = NULL;
	res->nrows = 0;
}
