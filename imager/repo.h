/* repo.h — network repositories: an IMAGE given as a URL (nfs://, smb://, ssh://, http(s)://).
 *
 * One API for the CLI, the TUI and the unattended mode: lb_repo_open turns the URL into something
 * the engine already reads and writes (r->image), lb_repo_close undoes it on every exit path.
 *  - nfs:// and smb://: the kernel's own client mounts the share (mount(2), read-write for a
 *    backup, read-only otherwise) on a private directory; r->image is the path inside, so the
 *    backup's IMAGE.part-then-rename applies unchanged.
 *  - ssh://: dbclient runs `cat` on the server; http(s)://: curl or wget fetches the image
 *    (restore and verify only). r->image is "-": the child's pipe replaces standard input (read)
 *    or standard output (backup) of this process until lb_repo_close puts the original back, so a
 *    front end using a stream must not use that descriptor otherwise (the TUI offers mounts only).
 * Passwords reach the kernel in the mount(2) data, dbclient in its environment
 * (DROPBEAR_PASSWORD): never a command line, never a message. */
#ifndef LB_REPO_H
#define LB_REPO_H
#include <limits.h>
#include <sys/types.h>
#include "lifeboat.h"

enum lb_repo_kind { LB_REPO_LOCAL, LB_REPO_NFS, LB_REPO_SMB, LB_REPO_SSH, LB_REPO_HTTP,
                    LB_REPO_HTTPS, LB_REPO_MCAST };   /* multicast://IF: mcast.h */

struct lb_repo_url {
	enum lb_repo_kind kind;
	char user[128];          /* decoded; may be empty */
	char host[256];          /* a name or an address ([v6] without the brackets) */
	int port;                /* 0: the scheme's default */
	char share[256];         /* smb: the share; nfs: the exported folder holding the file */
	char path[PATH_MAX];     /* decoded: ssh/http the full path; smb the path in the share;
	                          * nfs the file name in the folder mounted */
	char raw[PATH_MAX];      /* the URL as given (holds no password: those are refused) */
};

/* 1 when s starts with a scheme Lifeboat reads ("nfs://", "smb://", "ssh://", "http://",
 * "https://", any case); such a string is never taken as a local path. */
int lb_repo_is_url(const char *s);
/* Parses a repository URL; a clear LB_EUSAGE naming the part that is wrong otherwise. A password
 * in the URL (user:pw@) is refused: it would show in ps and in shell history. */
int lb_repo_parse(const char *s, struct lb_repo_url *u, struct lb_err *err);

struct lb_repo_auth {
	char user[128];          /* overrides the URL's user when the URL names none */
	char password[256];      /* smb; ssh password authentication */
	char domain[128];        /* smb */
	char identity[PATH_MAX]; /* ssh: a private key file */
	int have_password;
};
/* Reads a credentials file: lines "username=", "password=", "domain=" (as mount.cifs reads
 * them) and "identity=" (an ssh key); '#' comments. */
int lb_repo_read_credentials(const char *file, struct lb_repo_auth *a, struct lb_err *err);
/* 1 when opening u needs a password that a is missing (smb with a user; ssh never: dbclient
 * asks on the terminal itself when no key works). */
int lb_repo_needs_password(const struct lb_repo_url *u, const struct lb_repo_auth *a);

enum lb_repo_mode { LB_REPO_READ, LB_REPO_WRITE };

struct lb_repo {
	struct lb_repo_url u;
	enum lb_repo_mode mode;
	char image[PATH_MAX];    /* what the engine opens: a path, or "-" for a stream */
	char mnt[PATH_MAX];      /* nfs/smb: the private mount point ("" when none) */
	int mounted;
	pid_t child;             /* ssh/http: the transfer process */
	int saved_fd;            /* the stdin/stdout the stream replaced */
	int stream_fd;           /* 0 or 1: which one */
	int errfd;               /* memfd holding the child's messages */
	char auth_env[300];      /* DROPBEAR_PASSWORD=... for the ssh children (wiped on close) */
	char identity[PATH_MAX];
	struct lb_mcast_rx *mc;  /* multicast://: the report channel (mcast_recv.c) */
};

/* Opens url for reading (restore, verify, info) or writing (backup). auth may be NULL. */
int lb_repo_open(struct lb_repo *r, const char *url, enum lb_repo_mode mode,
                 const struct lb_repo_auth *auth, struct lb_err *err);
/* Finishes: ok = the engine succeeded. A written stream is then closed, its transfer checked
 * and the temporary file renamed on the server; not ok: the transfer is stopped and the
 * temporary file removed. Unmounts. Returns 0, or an error naming the server and the
 * repository (a dropped connection, a failed rename, the child's last message). Always
 * releases everything, also when it fails. */
int lb_repo_close(struct lb_repo *r, int ok, struct lb_err *err);
/* "ssh://user@host:22/path" as given; for messages. */
const char *lb_repo_name(const struct lb_repo *r);

/* internal: repo_mount.c, repo_ssh.c, repo_http.c */
int lb_repo_mount(struct lb_repo *r, const struct lb_repo_auth *a, struct lb_err *err);
int lb_repo_umount(struct lb_repo *r, struct lb_err *err);
/* Builds the mount(2) data of an smb or nfs mount (addr: the server's address as text);
 * exposed for the unit tests. nfs: vers "4.2", "3"... */
int lb_repo_mount_data(const struct lb_repo *r, const struct lb_repo_auth *a, const char *addr,
                       const char *vers, char *buf, size_t cap);
int lb_repo_ssh_open(struct lb_repo *r, const struct lb_repo_auth *a, struct lb_err *err);
int lb_repo_ssh_close(struct lb_repo *r, int ok, struct lb_err *err);
int lb_repo_http_open(struct lb_repo *r, struct lb_err *err);
/* Starts argv with its standard input or output (fd_in_child) on a pipe whose other end
 * replaces this process's fd stream_fd; messages go to r->errfd. env: extra environment entry
 * or NULL. */
int lb_repo_spawn_stream(struct lb_repo *r, char *const argv[], const char *env, int stream_fd,
                         struct lb_err *err);
/* Waits for r->child; 0 when it exited 0, else fills err naming the server and the child's
 * last message. */
int lb_repo_wait(struct lb_repo *r, const char *what, struct lb_err *err);
/* After a failure: waits briefly for r->child (killing it if it lingers); an error naming the
 * server only when the child itself failed (the likely cause of the engine's failure). */
int lb_repo_reap(struct lb_repo *r, const char *what, struct lb_err *err);
/* Runs argv to its end (no stream); 0 when it exited 0. */
int lb_repo_run(struct lb_repo *r, char *const argv[], const char *env, const char *what,
                struct lb_err *err);
/* A read stream after success: reads what is left up to EOF (the transfer then ends by itself). */
void lb_repo_drain(struct lb_repo *r);
/* The stream put back: the original stdin/stdout restored, the pipe end closed. */
void lb_repo_unstream(struct lb_repo *r);
/* The first program of names found in PATH, or NULL. */
const char *lb_repo_find_prog(const char *const *names, char *buf, size_t cap);
#endif
