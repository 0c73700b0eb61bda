/* The NBD server: sockets, one thread per client, and the export the protocol (nbd_proto.c)
 * reads and writes: the image through imgread, or the overlay over it. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "err.h"
#include "imgread.h"
#include "nbd_proto.h"
#include "overlay.h"
#include "serve.h"

#define HANDSHAKE_SECONDS 30         /* a client that stalls while haggling is dropped */
#define SEND_SECONDS 120             /* a client that stops reading its replies is dropped */
#define LOG_DAMAGE_MAX 50            /* damaged-chunk messages printed, then counted */

struct client {
	struct srv *srv;
	pthread_t th;
	int fd, used, done;
	char peer[80];
};

struct srv {
	const struct lb_serve_opts *o;
	struct lb_imgread *img;
	struct lb_overlay *ov;
	struct lb_nbd_export ex;
	struct lb_nbd_budget budget;
	pthread_mutex_t lock;        /* clients[], log counters */
	struct client *clients;
	int max;
	unsigned long damage_logged;
	char name[256], desc[512];
};

static void say(struct srv *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct srv *s, const char *fmt, ...)
{
	char msg[1200];
	va_list ap;
	if (!s->o->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	s->o->log(s->o->log_ctx, msg);
}

/* An engine error met while serving: the client gets an NBD error, the log the reason. */
static int nbd_error(struct srv *s, const struct lb_err *err, int rc)
{
	unsigned long n;
	pthread_mutex_lock(&s->lock);
	n = ++s->damage_logged;
	pthread_mutex_unlock(&s->lock);
	if (n <= LOG_DAMAGE_MAX)
		say(s, "read error sent to the client: %s%s", err->msg,
		    n == LOG_DAMAGE_MAX ? " (further errors are not shown)" : "");
	switch (rc) {
	case LB_ENOMEM: return LB_NBD_ENOMEM;
	case LB_ENOSPACE: return LB_NBD_ENOSPC;
	case LB_EUSAGE: return LB_NBD_EINVAL;
	default: return LB_NBD_EIO;
	}
}

static int ex_pread(void *ctx, void *conn, void *buf, size_t len, uint64_t off)
{
	struct srv *s = ctx;
	struct lb_err err = { 0 };
	int rc = s->ov ? lb_overlay_pread(s->ov, conn, buf, len, off, &err)
	               : lb_imgread_pread(conn, buf, len, off, &err);
	return rc ? nbd_error(s, &err, rc) : 0;
}

static int ex_map(void *ctx, void *conn, uint64_t off, uint64_t len, uint64_t *run, int *hole)
{
	struct srv *s = ctx;
	struct lb_err err = { 0 };
	int data = 1, rc = s->ov ? lb_overlay_map(s->ov, conn, off, len, &data, run, &err)
	                         : lb_imgread_map(conn, off, len, &data, run, &err);
	*hole = !data;
	return rc ? nbd_error(s, &err, rc) : 0;
}

static int ex_pwrite(void *ctx, void *conn, const void *buf, size_t len, uint64_t off, int fua)
{
	struct srv *s = ctx;
	struct lb_err err = { 0 };
	int rc = lb_overlay_pwrite(s->ov, conn, buf, len, off, &err);
	if (!rc && fua)
		rc = lb_overlay_flush(s->ov, &err);
	return rc ? nbd_error(s, &err, rc) : 0;
}

static int ex_zero(void *ctx, void *conn, uint64_t len, uint64_t off, int fua)
{
	struct srv *s = ctx;
	struct lb_err err = { 0 };
	int rc = lb_overlay_zero(s->ov, conn, len, off, &err);
	if (!rc && fua)
		rc = lb_overlay_flush(s->ov, &err);
	return rc ? nbd_error(s, &err, rc) : 0;
}

static int ex_flush(void *ctx, void *conn)
{
	struct srv *s = ctx;
	struct lb_err err = { 0 };
	int rc = s->ov ? lb_overlay_flush(s->ov, &err) : 0;
	return rc ? nbd_error(s, &err, rc) : 0;
}

/* ---- the socket transport -------------------------------------------------------------- */

static int sock_read(void *ctx, void *buf, size_t len)
{
	struct client *c = ctx;
	char *p = buf;
	while (len) {
		ssize_t n = recv(c->fd, p, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int sock_write(void *ctx, const void *buf, size_t len)
{
	struct client *c = ctx;
	const char *p = buf;
	while (len) {
		ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;   /* gone (EPIPE, reset) or not reading for SEND_SECONDS */
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void timeout(int fd, int opt, int seconds)
{
	struct timeval tv = { seconds, 0 };
	setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof tv);
}

static void sock_transmission(void *ctx)
{
	struct client *c = ctx;
	timeout(c->fd, SO_RCVTIMEO, 0);   /* an idle client (a VM doing nothing) is fine now */
}

static void *client_main(void *arg)
{
	struct client *c = arg;
	struct srv *s = c->srv;
	struct lb_nbd_io io = { c, sock_read, sock_write, sock_transmission };
	struct lb_imgread_worker *w = lb_imgread_worker_new(s->img);
	int rc = -1;
	if (w) {
		rc = lb_nbd_session(&io, &s->ex, w);
		lb_imgread_worker_free(w);
	} else {
		say(s, "out of memory for client %s", c->peer);
	}
	say(s, "client %s %s", c->peer, rc ? "dropped (it left or broke the protocol)" :
	    "disconnected");
	pthread_mutex_lock(&s->lock);
	close(c->fd);
	c->fd = -1;
	c->done = 1;
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* Joins the threads of clients that left; lock not held. */
static void reap(struct srv *s, int all)
{
	for (int i = 0; i < s->max; i++) {
		struct client *c = &s->clients[i];
		int join;
		pthread_mutex_lock(&s->lock);
		if (all && c->used && c->fd >= 0)
			shutdown(c->fd, SHUT_RDWR);   /* wakes its thread in recv or send */
		join = c->used && (c->done || all);
		pthread_mutex_unlock(&s->lock);
		if (join) {
			pthread_join(c->th, NULL);
			c->used = c->done = 0;
		}
	}
}

static void accept_one(struct srv *s, int lfd)
{
	struct sockaddr_storage sa;
	socklen_t sl = sizeof sa;
	struct client *c = NULL;
	int fd = accept4(lfd, (struct sockaddr *)&sa, &sl, SOCK_CLOEXEC), one = 1;
	char host[64] = "local";
	if (fd < 0)
		return;
	reap(s, 0);
	for (int i = 0; i < s->max && !c; i++)
		if (!s->clients[i].used)
			c = &s->clients[i];
	if (sa.ss_family == AF_INET || sa.ss_family == AF_INET6) {
		getnameinfo((struct sockaddr *)&sa, sl, host, sizeof host, NULL, 0, NI_NUMERICHOST);
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	}
	if (!c) {
		say(s, "refused a client (%s): %d are connected already", host, s->max);
		close(fd);
		return;
	}
	memset(c, 0, sizeof *c);
	c->srv = s;
	c->fd = fd;
	snprintf(c->peer, sizeof c->peer, "%s #%d", host, (int)(c - s->clients) + 1);
	timeout(fd, SO_RCVTIMEO, HANDSHAKE_SECONDS);
	timeout(fd, SO_SNDTIMEO, SEND_SECONDS);
	c->used = 1;
	if (pthread_create(&c->th, NULL, client_main, c)) {
		say(s, "cannot start a thread for a client");
		close(fd);
		c->used = 0;
		return;
	}
	say(s, "client %s connected", c->peer);
}

/* A Unix socket path: an old socket nobody listens on is replaced, anything else refused. */
static int listen_unix(const char *path, struct lb_err *err)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd;
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sa.sun_path)
		return -lb_fail(err, LB_EUSAGE, "the socket path %s is too long (at most %zu bytes)",
		                path, sizeof sa.sun_path - 1);
	memcpy(sa.sun_path, path, strlen(path));
	if (!lstat(path, &st)) {
		int probe;
		if (!S_ISSOCK(st.st_mode))
			return -lb_fail(err, LB_EREFUSED, "refusing to use %s as the socket: it exists and "
			                "is not a socket", path);
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 && !connect(probe, (struct sockaddr *)&sa, sizeof sa)) {
			close(probe);
			return -lb_fail(err, LB_EREFUSED, "%s is in use: another server listens there",
			                path);
		}
		if (probe >= 0)
			close(probe);
		unlink(path);        /* left over by a server that was killed */
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof sa) || listen(fd, 16)) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return -lb_fail(err, e == ENOENT ? LB_ENOENT : LB_EIO, "cannot listen on %s: %s", path,
		                strerror(e));
	}
	return fd;
}

static int listen_tcp(const char *addr, int port, struct lb_err *err)
{
	struct addrinfo hints, *ai = NULL;
	char ps[16];
	int fd = -1, one = 1, rc;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(ps, sizeof ps, "%d", port);
	if ((rc = getaddrinfo(addr, ps, &hints, &ai)))
		return -lb_fail(err, LB_EUSAGE, "cannot use the address %s: %s", addr,
		                gai_strerror(rc));
	if ((fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 16)) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return -lb_fail(err, LB_EIO, "cannot listen on %s port %d: %s", addr, port,
		                strerror(e));
	}
	freeaddrinfo(ai);
	return fd;
}

/* The overlay must not be (a segment of) the image. */
static int overlay_ok(const struct lb_serve_opts *o, struct lb_err *err)
{
	struct stat a, b;
	if (!stat(o->overlay, &a) && !stat(o->image, &b) && a.st_dev == b.st_dev &&
	    a.st_ino == b.st_ino)
		return lb_fail(err, LB_EREFUSED, "refusing the overlay %s: it is the image itself",
		               o->overlay);
	return 0;
}

int lb_serve(const struct lb_serve_opts *o, struct lb_err *err)
{
	struct srv *s = calloc(1, sizeof *s);
	const char *addr = o->bind_addr ? o->bind_addr : "127.0.0.1";
	int port = o->port ? o->port : LB_SERVE_PORT, lfd = -1, rc;
	char sz[32];
	const char *base;
	if (!s)
		return lb_fail(err, LB_ENOMEM, "out of memory");
	s->o = o;
	pthread_mutex_init(&s->lock, NULL);
	lb_nbd_budget_init(&s->budget, LB_SERVE_BUDGET);
	s->max = o->max_clients > 0 ? o->max_clients : LB_SERVE_MAX_CLIENTS;
	if (!(s->clients = calloc((size_t)s->max, sizeof *s->clients))) {
		rc = lb_fail(err, LB_ENOMEM, "out of memory");
		goto out;
	}
	if (o->overlay && (rc = overlay_ok(o, err)))
		goto out;
	if ((rc = lb_imgread_open(&s->img, o->image, o->passphrase, o->passphrase_ctx,
	                          o->cache_chunks, err)))
		goto out;
	if (o->overlay && (rc = lb_overlay_open(&s->ov, o->overlay, lb_imgread_size(s->img),
	                                        lb_imgread_id(s->img), err)))
		goto out;
	base = strrchr(o->image, '/');
	snprintf(s->name, sizeof s->name, "%s", base ? base + 1 : o->image);
	snprintf(s->desc, sizeof s->desc, "Lifeboat image %s (%s)%s", o->image,
	         lb_imgread_info(s->img)->src_model[0] ? lb_imgread_info(s->img)->src_model : "disk",
	         s->ov ? "" : ", read-only");
	s->ex = (struct lb_nbd_export){ s, s->name, s->desc, lb_imgread_size(s->img), !!s->ov,
	                                &s->budget, ex_pread, ex_map, ex_pwrite, ex_zero, ex_flush };
	lfd = o->socket_path ? listen_unix(o->socket_path, err) : listen_tcp(addr, port, err);
	if (lfd < 0) {
		rc = -lfd;
		goto out;
	}
	if (o->socket_path)
		say(s, "serving %s (%s, %s) on unix:%s — e.g. nbd+unix:///?socket=%s", o->image,
		    lb_human_size(lb_imgread_size(s->img), sz, sizeof sz),
		    s->ov ? "writes go to the overlay" : "read-only", o->socket_path, o->socket_path);
	else
		say(s, "serving %s (%s, %s) on %s port %d — e.g. nbd://%s%s%s:%d", o->image,
		    lb_human_size(lb_imgread_size(s->img), sz, sizeof sz),
		    s->ov ? "writes go to the overlay" : "read-only", addr, port,
		    strchr(addr, ':') ? "[" : "", addr, strchr(addr, ':') ? "]" : "", port);
	if (lb_imgread_info(s->img)->bad_bytes)
		say(s, "note: %s in %d range%s could not be read from the source when the backup was "
		    "made; they read as zeros, as a restore writes them",
		    lb_human_size(lb_imgread_info(s->img)->bad_bytes, sz, sizeof sz),
		    lb_imgread_info(s->img)->nbad, lb_imgread_info(s->img)->nbad == 1 ? "" : "s");
	while (!(o->stop && o->stop(o->stop_ctx))) {
		struct pollfd p = { lfd, POLLIN, 0 };
		if (poll(&p, 1, 200) > 0 && (p.revents & POLLIN))
			accept_one(s, lfd);
		reap(s, 0);
	}
	say(s, "stopping");
	rc = 0;
out:
	if (lfd >= 0)
		close(lfd);
	if (s->clients)
		reap(s, 1);
	if (lfd >= 0 && o->socket_path)
		unlink(o->socket_path);
	lb_overlay_close(s->ov);
	lb_imgread_close(s->img);
	lb_nbd_budget_destroy(&s->budget);
	pthread_mutex_destroy(&s->lock);
	free(s->clients);
	free(s);
	return rc;
}
