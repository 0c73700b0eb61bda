/* Network repositories: running the transfer programs (dbclient, curl, wget) on a pipe that
 * stands in for standard input or output, and judging how they ended. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "err.h"
#include "repo.h"

extern char **environ;

const char *lb_repo_find_prog(const char *const *names, char *buf, size_t cap)
{
	const char *path = getenv("PATH");
	for (; *names; names++) {
		const char *p = path && *path ? path : "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
		while (*p) {
			const char *e = strchr(p, ':');
			size_t n = e ? (size_t)(e - p) : strlen(p);
			snprintf(buf, cap, "%.*s/%s", (int)n, p, *names);
			if (n && access(buf, X_OK) == 0)
				return buf;
			p += n + (e ? 1 : 0);
		}
	}
	return NULL;
}

/* The child: its stream end on fd (0 or 1), messages to errfd, the environment plus env. */
static void child_exec(char *const argv[], const char *env, int pipe_end, int stream_fd,
                       int errfd)
{
	int devnull = open("/dev/null", O_RDWR);
	if (pipe_end >= 0) {
		dup2(pipe_end, stream_fd);
		dup2(devnull, !stream_fd);
	} else {
		dup2(devnull, 0);
		dup2(devnull, 1);
	}
	if (errfd >= 0)
		dup2(errfd, 2);
	if (env)
		putenv((char *)env);
	signal(SIGPIPE, SIG_DFL);
	execv(argv[0], argv);
	dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static int errbuf(struct lb_repo *r)
{
	if (r->errfd < 0)
		r->errfd = memfd_create("lifeboat-repo-messages", MFD_CLOEXEC);
	return r->errfd;
}

int lb_repo_spawn_stream(struct lb_repo *r, char *const argv[], const char *env, int stream_fd,
                         struct lb_err *err)
{
	int p[2];
	pid_t pid;
	errbuf(r);
	if (pipe2(p, O_CLOEXEC) < 0)
		return lb_fail(err, LB_EIO, "%s: cannot make a pipe: %s", lb_repo_name(r), strerror(errno));
	fflush(NULL);
	if ((pid = fork()) < 0) {
		close(p[0]);
		close(p[1]);
		return lb_fail(err, LB_EIO, "%s: cannot start %s: %s", lb_repo_name(r), argv[0],
		               strerror(errno));
	}
	/* stream_fd 0: we read p[0], the child writes p[1] as its stdout; 1: the reverse */
	if (pid == 0)
		child_exec(argv, env, stream_fd == 0 ? p[1] : p[0], stream_fd == 0 ? 1 : 0, r->errfd);
	r->child = pid;
	r->stream_fd = stream_fd;
	r->saved_fd = fcntl(stream_fd, F_DUPFD_CLOEXEC, 3);
	dup2(stream_fd == 0 ? p[0] : p[1], stream_fd);
	close(p[0]);
	close(p[1]);
	return 0;
}

void lb_repo_drain(struct lb_repo *r)
{
	char buf[65536];
	if (r->saved_fd < 0 || r->stream_fd != 0)
		return;
	/* whatever follows the image's end (the engine stops at its trailer): read to EOF, so the
	 * transfer ends as it would on its own and its exit status means what it says */
	for (;;) {
		ssize_t n = read(0, buf, sizeof buf);
		if (n > 0 || (n < 0 && errno == EINTR))
			continue;
		break;
	}
}

void lb_repo_unstream(struct lb_repo *r)
{
	if (r->saved_fd < 0)
		return;
	/* putting the original back closes our pipe end: the writer sees EOF, the reader EPIPE */
	dup2(r->saved_fd, r->stream_fd);
	close(r->saved_fd);
	r->saved_fd = -1;
}

/* The child's last message line, sanitized (it may quote the server). */
static void last_message(struct lb_repo *r, char *buf, size_t cap)
{
	char tmp[2048];
	off_t end;
	ssize_t n;
	char *line, *e;
	buf[0] = 0;
	if (r->errfd < 0 || (end = lseek(r->errfd, 0, SEEK_END)) <= 0)
		return;
	off_t from = end > (off_t)sizeof tmp - 1 ? end - (off_t)sizeof tmp + 1 : 0;
	n = pread(r->errfd, tmp, sizeof tmp - 1, from);
	if (n <= 0)
		return;
	tmp[n] = 0;
	while (n > 0 && (tmp[n - 1] == '\n' || tmp[n - 1] == '\r'))
		tmp[--n] = 0;
	line = (e = strrchr(tmp, '\n')) ? e + 1 : tmp;
	snprintf(buf, cap, "%s", line);
	lb_sanitize(buf);
}

static int judge(struct lb_repo *r, int status, const char *what, struct lb_err *err)
{
	char msg[400];
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	last_message(r, msg, sizeof msg);
	if (WIFSIGNALED(status))
		return lb_fail(err, LB_EIO, "%s on %s (server %s) did not complete: stopped by signal "
		               "%d%s%s", what, lb_repo_name(r), r->u.host, WTERMSIG(status),
		               msg[0] ? ": " : "", msg);
	return lb_fail(err, LB_EIO, "%s on %s (server %s) failed (exit %d)%s%s", what,
	               lb_repo_name(r), r->u.host, WEXITSTATUS(status), msg[0] ? ": " : "", msg);
}

int lb_repo_wait(struct lb_repo *r, const char *what, struct lb_err *err)
{
	int status;
	pid_t pid = r->child;
	r->child = -1;
	if (pid <= 0)
		return 0;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return lb_fail(err, LB_EIO, "%s: lost the transfer process: %s", lb_repo_name(r),
			               strerror(errno));
	return judge(r, status, what, err);
}

int lb_repo_run(struct lb_repo *r, char *const argv[], const char *env, const char *what,
                struct lb_err *err)
{
	pid_t pid;
	errbuf(r);
	fflush(NULL);
	if ((pid = fork()) < 0)
		return lb_fail(err, LB_EIO, "%s: cannot start %s: %s", lb_repo_name(r), argv[0],
		               strerror(errno));
	if (pid == 0)
		child_exec(argv, env, -1, 0, r->errfd);
	r->child = pid;
	return lb_repo_wait(r, what, err);
}

int lb_repo_reap(struct lb_repo *r, const char *what, struct lb_err *err)
{
	pid_t pid = r->child;
	int status = 0, killed = 0;
	r->child = -1;
	if (pid <= 0)
		return 0;
	/* the stream is closed already: a child that is still fine ends at once (EOF, EPIPE) */
	for (int i = 0; i < 40; i++) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			goto done;
		if (w < 0 && errno != EINTR)
			return 0;
		usleep(50000);
	}
	kill(pid, SIGTERM);
	killed = 1;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
done:
	/* one that ended by itself with an error is why the engine failed: say it */
	if (killed || (WIFSIGNALED(status) && (WTERMSIG(status) == SIGPIPE ||
	                                       WTERMSIG(status) == SIGINT)))
		return 0;
	return judge(r, status, what, err);
}
