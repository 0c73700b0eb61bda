/* multicast://IF as a repository to restore from: udp-receiver writes the image into a pipe
 * that stands in for standard input (as ssh:// and http:// do), so the restore checks every
 * chunk and reads the target back against the chunk checksums. Beside it, a thread watches
 * udp-receiver's messages for the sender's address and opens the report channel (mcast.h);
 * lb_mcast_close sends the result on it. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
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

struct lb_mcast_rx {
	pthread_t th;
	int started;
	int stop;                /* __atomic: the thread ends */
	int sock;                /* report connection, -1 none (written by the thread until joined) */
	char sender[64];
	int have_result, result_ok;
	double seconds;
	char msg[700];
};

static char g_target[PATH_MAX];

void lb_mcast_set_target(const char *target)
{
	snprintf(g_target, sizeof g_target, "%s", target ? target : "");
}

void lb_mcast_set_result(struct lb_repo *r, int ok, double seconds, const char *msg)
{
	if (!r->mc)
		return;
	r->mc->have_result = 1;
	r->mc->result_ok = ok;
	r->mc->seconds = seconds;
	snprintf(r->mc->msg, sizeof r->mc->msg, "%s", msg ? msg : "");
}

/* A TCP connection to addr:LB_MCAST_REPORT_PORT within 5 s, or -1. */
static int connect_report(const char *addr)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(LB_MCAST_REPORT_PORT) };
	struct pollfd pf;
	int s, e = 0;
	socklen_t el = sizeof e;
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		return -1;
	if ((s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
		return -1;
	if (connect(s, (struct sockaddr *)&sa, sizeof sa) < 0 && errno != EINPROGRESS)
		goto fail;
	pf.fd = s;
	pf.events = POLLOUT;
	if (poll(&pf, 1, 5000) != 1 || getsockopt(s, SOL_SOCKET, SO_ERROR, &e, &el) || e)
		goto fail;
	fcntl(s, F_SETFL, fcntl(s, F_GETFL) & ~O_NONBLOCK);
	return s;
fail:
	close(s);
	return -1;
}

static void send_line(int s, const char *line, int len)
{
	/* best effort: a sender that is gone cannot be told, the restore's own result stands */
	while (len > 0) {
		ssize_t n = send(s, line, (size_t)len, MSG_NOSIGNAL);
		if (n <= 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		line += n;
		len -= (int)n;
	}
}

static void hello(struct lb_mcast_rx *m)
{
	char host[128] = "", line[1400];
	int n;
	gethostname(host, sizeof host - 1);
	if ((m->sock = connect_report(m->sender)) < 0)
		return;
	if ((n = lb_mcast_fmt_hello(line, sizeof line, host, g_target)) > 0)
		send_line(m->sock, line, n);
}

struct watch_arg {
	struct lb_mcast_rx *m;
	int errfd;
};

/* Reads udp-receiver's messages (the memfd it writes) until the sender's address shows. */
static void *watch(void *arg)
{
	struct watch_arg *w = arg;
	char buf[4096];
	off_t off = 0;
	size_t have = 0;
	while (!__atomic_load_n(&w->m->stop, __ATOMIC_ACQUIRE)) {
		ssize_t n = pread(w->errfd, buf + have, sizeof buf - 1 - have, off);
		char *nl, *p = buf;
		if (n <= 0) {
			usleep(50000);
			continue;
		}
		off += n;
		have += (size_t)n;
		buf[have] = 0;
		while ((nl = strpbrk(p, "\r\n"))) {
			*nl = 0;
			if (!lb_mcast_receiver_line(p, w->m->sender, sizeof w->m->sender)) {
				hello(w->m);
				free(w);
				return NULL;
			}
			p = nl + 1;
		}
		have = strlen(p);
		memmove(buf, p, have);
		if (have >= sizeof buf - 1)
			have = 0;   /* a line this long is not the one looked for */
	}
	free(w);
	return NULL;
}

int lb_mcast_open(struct lb_repo *r, struct lb_err *err)
{
	static const char *const names[] = { "udp-receiver", NULL };
	char prog[PATH_MAX], iface[64];
	char *argv[16];
	struct watch_arg *w;
	int n = 0, rc;
	/* verify and info have no target to report: the sender would count a failure */
	if (!g_target[0])
		return lb_fail(err, LB_EUSAGE, "%s: a multicast is received by 'lifeboat restore "
		               "multicast://IF TARGET' only", lb_repo_name(r));
	if ((rc = lb_mcast_iface(r->u.host, iface, sizeof iface, err)))
		return lb_context(err, "%s", lb_repo_name(r));
	if (!lb_repo_find_prog(names, prog, sizeof prog))
		return lb_fail(err, LB_EUNSUPPORTED, "%s: udp-receiver (udpcast) was not found in PATH",
		               lb_repo_name(r));
	snprintf(r->u.host, sizeof r->u.host, "%s", iface);   /* "auto" resolved, for messages */
	if (!(r->mc = calloc(1, sizeof *r->mc)))
		return lb_fail(err, LB_ENOMEM, "out of memory");
	r->mc->sock = -1;
	snprintf(r->image, sizeof r->image, "-");
	argv[n++] = prog;
	argv[n++] = "--nokbd";
	argv[n++] = "--no-progress";   /* the restore shows its own progress */
	argv[n++] = "--interface";
	argv[n++] = iface;
	/* once data flows, a sender silent for 60 s is gone (udp-sender drops a dead receiver
	 * well before that, and then goes on) */
	argv[n++] = "--receive-timeout";
	argv[n++] = "60";
	argv[n] = NULL;
	if ((rc = lb_repo_spawn_stream(r, argv, NULL, 0, err)))
		return rc;
	if (!(w = malloc(sizeof *w)))
		return lb_fail(err, LB_ENOMEM, "out of memory");
	w->m = r->mc;
	w->errfd = r->errfd;
	if (pthread_create(&r->mc->th, NULL, watch, w)) {
		free(w);
		return lb_fail(err, LB_ENOMEM, "cannot start a thread");
	}
	r->mc->started = 1;
	return 0;
}

/* udp-receiver's last line that says something: not progress, not the "Transfer complete."
 * it prints on every end (a timeout too), control characters (its bell) left out. */
static void last_words(int fd, char *out, size_t cap)
{
	char buf[4096], *line, *save = NULL;
	off_t end = fd >= 0 ? lseek(fd, 0, SEEK_END) : 0;
	ssize_t n;
	out[0] = 0;
	if (end <= 0)
		return;
	n = pread(fd, buf, sizeof buf - 1, end > (off_t)sizeof buf - 1 ? end - (off_t)sizeof buf + 1 : 0);
	if (n <= 0)
		return;
	buf[n] = 0;
	for (line = strtok_r(buf, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
		char *o = line;
		for (char *p = line; *p; p++)
			if ((unsigned char)*p >= 0x20 && *p != 0x7f)
				*o++ = *p;
		*o = 0;
		if (*line && strncmp(line, "Transfer complete", 17) && strncmp(line, "bytes=", 6))
			snprintf(out, cap, "%s", line);
	}
	lb_sanitize(out);
}

/* Waits for udp-receiver: after success it has ended (the stream's EOF came from it); after a
 * failure it is stopped when it lingers. Its own failure is named (the likely cause). */
static int rx_wait(struct lb_repo *r, int ok, struct lb_err *err)
{
	pid_t pid = r->child;
	int st = 0, killed = 0;
	char last[300];
	r->child = -1;
	if (pid <= 0)
		return 0;
	for (int i = 0; !ok && i < 40; i++) {
		pid_t w = waitpid(pid, &st, WNOHANG);
		if (w == pid)
			goto done;
		if (w < 0 && errno != EINTR)
			return 0;
		usleep(50000);
	}
	if (!ok) {
		kill(pid, SIGTERM);
		killed = 1;
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return lb_fail(err, LB_EIO, "%s: lost udp-receiver: %s", lb_repo_name(r),
			               strerror(errno));
done:
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	/* stopped here, or by the closed pipe or Ctrl-C: the engine's own error says why */
	if (killed || (WIFSIGNALED(st) && (WTERMSIG(st) == SIGPIPE || WTERMSIG(st) == SIGINT)))
		return 0;
	last_words(r->errfd, last, sizeof last);
	if (WIFSIGNALED(st))
		return lb_fail(err, LB_EIO, "%s: udp-receiver on %s was stopped by signal %d%s%s",
		               lb_repo_name(r), r->u.host, WTERMSIG(st), last[0] ? ": " : "", last);
	return lb_fail(err, LB_EIO, "%s: udp-receiver on %s failed (exit %d): %s%s", lb_repo_name(r),
	               r->u.host, WEXITSTATUS(st), last[0] ? last : "no message",
	               !last[0] || strstr(last, "timeout") ? " (no data for 60 s: the sender "
	               "stopped, or dropped this machine)" : "");
}

int lb_mcast_close(struct lb_repo *r, int ok, struct lb_err *err)
{
	struct lb_mcast_rx *m = r->mc;
	char line[2048];
	int rc, n, res_ok;
	const char *msg;
	if (ok)
		lb_repo_drain(r);
	lb_repo_unstream(r);
	rc = rx_wait(r, ok, err);
	if (!m)
		return rc;
	if (m->started) {
		__atomic_store_n(&m->stop, 1, __ATOMIC_RELEASE);
		pthread_join(m->th, NULL);
	}
	/* ok from the engine is not enough: udp-receiver must have ended well too */
	res_ok = ok && !rc && m->have_result && m->result_ok;
	msg = rc && err ? err->msg : m->have_result ? m->msg : "the restore did not complete";
	if (m->sock >= 0) {
		if ((n = lb_mcast_fmt_result(line, sizeof line, res_ok, m->seconds, g_target, msg)) > 0)
			send_line(m->sock, line, n);
		close(m->sock);
	}
	free(m);
	r->mc = NULL;
	return rc;
}
