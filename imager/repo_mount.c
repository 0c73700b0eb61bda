/* nfs:// and smb:// repositories: the kernel's own NFS and SMB clients, mounted with mount(2)
 * and the clients' text options. Not mount(8): busybox's mount knows NFS only through its old
 * binary interface and util-linux would need mount.nfs / mount.cifs helpers; mount(2) needs
 * none of them, and the SMB password goes from memory to the kernel, never through a command
 * line. The mount lives in a mount namespace of this process when one can be made, so even a
 * killed Lifeboat leaves no mount behind; it is unmounted and its folder removed on close. */
#include <errno.h>
#include <netdb.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>
#include "err.h"
#include "repo.h"

/* cifs reads ",," as a comma inside a value */
static size_t put_escaped(char *buf, size_t o, size_t cap, const char *key, const char *v)
{
	o += (size_t)snprintf(buf + o, o < cap ? cap - o : 0, ",%s=", key);
	for (; *v && o + 2 < cap; v++) {
		buf[o++] = *v;
		if (*v == ',')
			buf[o++] = ',';
	}
	if (o < cap)
		buf[o] = 0;
	return o;
}

int lb_repo_mount_data(const struct lb_repo *r, const struct lb_repo_auth *a, const char *addr,
                       const char *vers, char *buf, size_t cap)
{
	const char *mode = r->mode == LB_REPO_WRITE ? "rw" : "ro";
	size_t o;
	if (r->u.kind == LB_REPO_SMB) {
		const char *user = r->u.user[0] ? r->u.user : a->user;
		o = (size_t)snprintf(buf, cap, "%s,ip=%s,unc=\\\\%s\\%s", mode, addr, r->u.host,
		                     r->u.share);
		if (r->u.port)
			o += (size_t)snprintf(buf + o, o < cap ? cap - o : 0, ",port=%d", r->u.port);
		/* echo_interval: a server that went away is noticed in seconds, not minutes */
		o += (size_t)snprintf(buf + o, o < cap ? cap - o : 0, ",echo_interval=10");
		if (!user[0])
			o += (size_t)snprintf(buf + o, o < cap ? cap - o : 0, ",guest");
		else {
			o = put_escaped(buf, o, cap, "username", user);
			o = put_escaped(buf, o, cap, "password", a->password);
		}
		if (a->domain[0])
			o = put_escaped(buf, o, cap, "domain", a->domain);
	} else {
		/* soft + timeo: a server that stops answering is an I/O error after ~30 s, not a hang;
		 * nolock: the stick runs no rpc.statd, and one client writes one image */
		o = (size_t)snprintf(buf, cap, "%s,vers=%s,addr=%s,soft,timeo=100,retrans=2%s", mode,
		                     vers, addr, vers[0] == '3' ? ",nolock" : "");
		if (r->u.port)
			o += (size_t)snprintf(buf + o, o < cap ? cap - o : 0, ",port=%d", r->u.port);
		if (vers[0] == '3')
			o += (size_t)snprintf(buf + o, o < cap ? cap - o : 0, ",mountaddr=%s", addr);
	}
	return o < cap ? 0 : -1;
}

static int resolve(const struct lb_repo *r, char *addr, size_t cap, struct lb_err *err)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
	int g = getaddrinfo(r->u.host, NULL, &hints, &res);
	if (g)
		return lb_fail(err, LB_EIO, "%s: cannot find the server %s: %s", lb_repo_name(r),
		               r->u.host, gai_strerror(g));
	if (res->ai_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)res->ai_addr)->sin6_addr, addr, (socklen_t)cap);
	else
		inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr, addr, (socklen_t)cap);
	freeaddrinfo(res);
	return 0;
}

static int try_mount(struct lb_repo *r, const struct lb_repo_auth *a, const char *addr,
                     const char *vers, int *eno)
{
	char data[1400], src[PATH_MAX + 300];
	unsigned long flags = MS_NOSUID | MS_NODEV | MS_NOEXEC |
	                      (r->mode == LB_REPO_WRITE ? 0 : MS_RDONLY);
	int rc;
	if (lb_repo_mount_data(r, a, addr, vers, data, sizeof data)) {
		*eno = ENAMETOOLONG;
		return -1;
	}
	if (r->u.kind == LB_REPO_SMB)
		snprintf(src, sizeof src, "//%s/%s", r->u.host, r->u.share);
	else if (strchr(addr, ':'))
		snprintf(src, sizeof src, "[%s]:%s", addr, r->u.share);
	else
		snprintf(src, sizeof src, "%s:%s", addr, r->u.share);
	rc = mount(src, r->mnt, r->u.kind == LB_REPO_SMB ? "cifs" : vers[0] == '3' ? "nfs" : "nfs4",
	           flags, data);
	*eno = errno;
	explicit_bzero(data, sizeof data);
	return rc;
}

int lb_repo_mount(struct lb_repo *r, const struct lb_repo_auth *a, struct lb_err *err)
{
	static const char *const nfs_vers[] = { "4.2", "4.1", "4.0", "3" };
	const char *tmp = getenv("TMPDIR");
	char addr[INET6_ADDRSTRLEN];
	int rc, eno = 0, smb = r->u.kind == LB_REPO_SMB;
	if ((rc = resolve(r, addr, sizeof addr, err)))
		return rc;
	/* private: other processes never see the share, and it goes away with this process */
	if (unshare(CLONE_NEWNS) == 0)
		mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	snprintf(r->mnt, sizeof r->mnt, "%s/lifeboat-repo.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(r->mnt)) {
		r->mnt[0] = 0;
		return lb_fail(err, LB_EIO, "%s: cannot make a folder to mount it on: %s",
		               lb_repo_name(r), strerror(errno));
	}
	if (smb)
		rc = try_mount(r, a, addr, "", &eno);
	else
		for (size_t i = 0; i < sizeof nfs_vers / sizeof nfs_vers[0]; i++)
			/* a newer version the server lacks: try the next; anything else is the answer */
			if (!(rc = try_mount(r, a, addr, nfs_vers[i], &eno)) ||
			    (eno != EPROTONOSUPPORT && eno != EINVAL && eno != ENODEV))
				break;
	if (rc) {
		const char *why = strerror(eno);
		if (eno == ENODEV)
			why = smb ? "this kernel has no SMB client (cifs)" : "this kernel has no NFS client";
		else if (eno == EACCES || eno == EPERM)
			why = smb ? "the server refused the user name or password (or the share)" :
			            "the server refused this machine (see the export's allowed clients)";
		else if (eno == ENOENT)
			why = smb ? "no such share" : "no such export";
		return lb_fail(err, eno == EACCES || eno == EPERM ? LB_EREFUSED : LB_EIO,
		               "%s: mounting %s '%s' from %s failed: %s", lb_repo_name(r),
		               smb ? "the share" : "the export", r->u.share, r->u.host, why);
	}
	r->mounted = 1;
	if ((size_t)snprintf(r->image, sizeof r->image, "%s/%s", r->mnt, r->u.path) >= sizeof r->image)
		return lb_fail(err, LB_EUSAGE, "%s: the path is too long", lb_repo_name(r));
	return 0;
}

int lb_repo_umount(struct lb_repo *r, struct lb_err *err)
{
	int rc = 0;
	if (r->mounted && umount2(r->mnt, 0) < 0) {
		/* still busy (should not be: every file is closed by now): detach it */
		if (umount2(r->mnt, MNT_DETACH) < 0)
			rc = lb_fail(err, LB_EIO, "%s: cannot unmount %s: %s", lb_repo_name(r), r->mnt,
			             strerror(errno));
	}
	r->mounted = 0;
	if (r->mnt[0] && rmdir(r->mnt) < 0 && !rc && errno != ENOENT)
		rc = lb_fail(err, LB_EIO, "%s: cannot remove %s: %s", lb_repo_name(r), r->mnt,
		             strerror(errno));
	r->mnt[0] = 0;
	return rc;
}
