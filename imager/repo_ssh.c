/* ssh:// repositories through dropbear's dbclient: a backup streams into `cat > IMAGE.part` on
 * the server and is renamed only after the engine and the transfer both succeeded; restore and
 * verify stream `cat IMAGE`. dbclient because it builds static with musl in seconds, reads
 * OpenSSH keys, and takes a password from its environment (DROPBEAR_PASSWORD) rather than a
 * terminal or a command line. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "err.h"
#include "repo.h"

/* 'it''s' -> 'it'\''s': the path is one word for the server's shell whatever it holds */
static int quote(const char *s, const char *suffix, char *out, size_t cap)
{
	size_t o = 0;
	out[o++] = '\'';
	for (const char *p = s; *p; p++) {
		if (o + 5 >= cap)
			return -1;
		if (*p == '\'') {
			memcpy(out + o, "'\\''", 4);
			o += 4;
		} else
			out[o++] = *p;
	}
	if (o + strlen(suffix) + 2 >= cap)
		return -1;
	memcpy(out + o, suffix, strlen(suffix));
	o += strlen(suffix);
	out[o++] = '\'';
	out[o] = 0;
	return 0;
}

/* dbclient -y: a server's key is learnt on first use (~/.ssh/known_hosts) and a changed key is
 * refused; -K 10: a server that stops answering is dropped after a few unanswered keepalives. */
static int ssh_argv(struct lb_repo *r, const char *cmd, char *argv[16], char *prog, size_t pcap,
                    char *port, char *dest, struct lb_err *err)
{
	static const char *const names[] = { "dbclient", NULL };
	int n = 0;
	if (!lb_repo_find_prog(names, prog, pcap))
		return lb_fail(err, LB_EUNSUPPORTED, "%s: no SSH client: dbclient (dropbear) was not found "
		               "in PATH", lb_repo_name(r));
	argv[n++] = prog;
	argv[n++] = "-y";
	argv[n++] = "-K";
	argv[n++] = "10";
	argv[n++] = "-W";   /* a 1 MiB window: the default 24 KiB one caps a transfer at a few MB/s */
	argv[n++] = "1048576";
	if (r->u.port) {
		snprintf(port, 8, "%d", r->u.port);
		argv[n++] = "-p";
		argv[n++] = port;
	}
	if (r->identity[0]) {
		argv[n++] = "-i";
		argv[n++] = r->identity;
	}
	snprintf(dest, 420, "%s@%s", r->u.user, r->u.host);
	argv[n++] = dest;
	argv[n++] = (char *)cmd;
	argv[n] = NULL;
	return 0;
}

/* Runs cmd on the server; kind: "write"/"read" stream, else run to its end. Every command
 * names the image and its temporary name as single-quoted words. */
static int ssh_cmd(struct lb_repo *r, const char *kind, int stream_fd, const char *what,
                   struct lb_err *err)
{
	char q[PATH_MAX * 4 + 16], qp[PATH_MAX * 4 + 16], cmd[PATH_MAX * 8 + 64];
	char prog[PATH_MAX], port[8], dest[420], *argv[16];
	int rc;
	if (quote(r->u.path, "", q, sizeof q) || quote(r->u.path, ".part", qp, sizeof qp))
		return lb_fail(err, LB_EUSAGE, "%s: the path is too long", lb_repo_name(r));
	int n;
	if (!strcmp(kind, "write"))
		n = snprintf(cmd, sizeof cmd, "cat > %s", qp);
	else if (!strcmp(kind, "read"))
		n = snprintf(cmd, sizeof cmd, "exec cat -- %s", q);
	else if (!strcmp(kind, "rename"))   /* a folder of that name would swallow the image */
		n = snprintf(cmd, sizeof cmd, "test ! -d %s && mv -f -- %s %s", q, qp, q);
	else
		n = snprintf(cmd, sizeof cmd, "rm -f -- %s", qp);
	if (n < 0 || (size_t)n >= sizeof cmd)   /* a cut command would name another file */
		return lb_fail(err, LB_EUSAGE, "%s: the path is too long", lb_repo_name(r));
	if ((rc = ssh_argv(r, cmd, argv, prog, sizeof prog, port, dest, err)))
		return rc;
	if (stream_fd >= 0)
		return lb_repo_spawn_stream(r, argv, r->auth_env[0] ? r->auth_env : NULL, stream_fd, err);
	return lb_repo_run(r, argv, r->auth_env[0] ? r->auth_env : NULL, what, err);
}

int lb_repo_ssh_open(struct lb_repo *r, const struct lb_repo_auth *a, struct lb_err *err)
{
	if (a->have_password)
		snprintf(r->auth_env, sizeof r->auth_env, "DROPBEAR_PASSWORD=%s", a->password);
	snprintf(r->identity, sizeof r->identity, "%s", a->identity);
	snprintf(r->image, sizeof r->image, "-");
	if (r->mode == LB_REPO_WRITE)
		return ssh_cmd(r, "write", 1, NULL, err);
	return ssh_cmd(r, "read", 0, NULL, err);
}

int lb_repo_ssh_close(struct lb_repo *r, int ok, struct lb_err *err)
{
	int rc;
	if (ok)
		lb_repo_drain(r);
	lb_repo_unstream(r);
	if (r->mode == LB_REPO_READ)
		return ok ? lb_repo_wait(r, "reading the image", err) :
		            lb_repo_reap(r, "reading the image", err);
	if (!ok) {
		struct lb_err ignore = { 0 };
		rc = lb_repo_reap(r, "the upload", err);
		/* best effort: the server may be the reason the backup failed */
		ssh_cmd(r, "remove", -1, "removing the partial image", &ignore);
		return rc;
	}
	if ((rc = lb_repo_wait(r, "the upload", err)))
		return rc;
	return ssh_cmd(r, "rename", -1, "renaming the finished image", err);
}
