/* Repository URLs (imager/repo.c): what parses into which parts, what is refused and why, the
 * credentials file, and the mount(2) data for the kernel's SMB and NFS clients. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "repo.h"
#include "unit.h"

static struct lb_repo_url u;

static int ok(const char *s)
{
	struct lb_err err = { 0 };
	int rc = lb_repo_parse(s, &u, &err);
	if (rc)
		fprintf(stderr, "  %s: %s\n", s, err.msg);
	return rc == 0;
}

static int refused(const char *s, const char *why)
{
	struct lb_err err = { 0 };
	int rc = lb_repo_parse(s, &u, &err);
	if (!rc || !strstr(err.msg, why))
		fprintf(stderr, "  %s: rc %d, \"%s\" (wanted \"%s\")\n", s, rc, err.msg, why);
	return rc == LB_EUSAGE && strstr(err.msg, why);
}

int main(void)
{
	struct lb_repo r;
	struct lb_repo_auth a;
	struct lb_err err = { 0 };
	char buf[1400], cred[] = "/tmp/lb-unit-cred.XXXXXX";
	FILE *f;
	int fd;

	CHECK(lb_repo_is_url("ssh://a@b/c") && lb_repo_is_url("HTTPS://x/y") &&
	      lb_repo_is_url("cifs://h/s/f"));
	CHECK(!lb_repo_is_url("/mnt/usb/pc.lbi") && !lb_repo_is_url("-") &&
	      !lb_repo_is_url("ssh:/x") && !lb_repo_is_url(NULL));

	CHECK(ok("nfs://srv/export/images/pc.lbi") && u.kind == LB_REPO_NFS &&
	      !strcmp(u.host, "srv") && !strcmp(u.share, "/export/images") &&
	      !strcmp(u.path, "pc.lbi") && u.port == 0);
	CHECK(ok("nfs://10.0.0.1:2049/pc/x.lbi") && u.port == 2049 && !strcmp(u.share, "/pc"));
	CHECK(refused("smb://alice@nas.local/backups/room 1/pc.lbi", "write %20"));
	CHECK(ok("smb://alice@nas.local/backups/room%201/pc.lbi") && u.kind == LB_REPO_SMB &&
	      !strcmp(u.user, "alice") && !strcmp(u.share, "backups") &&
	      !strcmp(u.path, "room 1/pc.lbi"));
	CHECK(ok("smb://nas/public/pc.lbi") && !u.user[0]);
	CHECK(ok("ssh://root@host:2222/srv/it's/pc.lbi") && u.kind == LB_REPO_SSH &&
	      u.port == 2222 && !strcmp(u.path, "/srv/it's/pc.lbi"));
	CHECK(ok("ssh://me@[fe80::1]:22/x.lbi") && !strcmp(u.host, "fe80::1") && u.port == 22);
	CHECK(ok("https://images.example.org/a/b.lbi") && u.kind == LB_REPO_HTTPS &&
	      !strcmp(u.path, "/a/b.lbi"));
	CHECK(ok("http://h/%41.lbi") && !strcmp(u.path, "/A.lbi"));

	CHECK(refused("ssh://root:secret@h/x.lbi", "password in the URL"));
	CHECK(refused("ssh://h/x.lbi", "needs a user"));
	CHECK(refused("ssh://u@h:0/x.lbi", "port"));
	CHECK(refused("ssh://u@h:65536/x.lbi", "port"));
	CHECK(refused("ssh://u@h:/x.lbi", "junk"));
	CHECK(refused("ssh://u@h", "no path"));
	CHECK(refused("ssh://u@/x", "no server"));
	CHECK(refused("ssh://u@h!/x", "server name"));
	CHECK(refused("ssh://u@[fe80::1/x", "closing"));
	CHECK(refused("ssh://u@[zz]/x", "IPv6"));
	CHECK(refused("http://h/dir/", "folder"));
	CHECK(refused("http://h/x%0a.lbi", "control"));
	CHECK(refused("http://h/x%4", "escape"));
	CHECK(refused("http://h/x?y=1", "queries"));
	CHECK(refused("http://u@h/x.lbi", "without a user"));
	CHECK(refused("http://h/a/../b.lbi", "'..'"));
	CHECK(refused("smb://h/share", "a share and a file"));
	CHECK(refused("smb://h/sh,are/x.lbi", "','"));
	CHECK(refused("nfs://u@h/e/x.lbi", "no user"));
	CHECK(refused("nfs://h/x.lbi", "exported folder"));
	CHECK(refused("ssh://u@h/x\tb", "control"));

	/* credentials file: mount.cifs's keys, comments, CRLF */
	fd = mkstemp(cred);
	CHECK(fd >= 0);
	f = fdopen(fd, "w");
	fputs("# room 12\r\nusername=bob\r\npassword=p,ss=w\r\ndomain=WG\nidentity=/k\n", f);
	fclose(f);
	memset(&a, 0, sizeof a);
	CHECK(lb_repo_read_credentials(cred, &a, &err) == 0 && !strcmp(a.user, "bob") &&
	      !strcmp(a.password, "p,ss=w") && a.have_password && !strcmp(a.domain, "WG") &&
	      !strcmp(a.identity, "/k"));
	f = fopen(cred, "w");
	fputs("user=bob\ncolour=red\n", f);
	fclose(f);
	CHECK(lb_repo_read_credentials(cred, &a, &err) == LB_EUSAGE && strstr(err.msg, "line 2"));
	unlink(cred);
	memset(&err, 0, sizeof err);
	CHECK(lb_repo_read_credentials("/nonexistent/cred", &a, &err) == LB_ENOENT);

	/* mount data: the password's comma doubled for cifs, ro for reading, guest without user */
	memset(&r, 0, sizeof r);
	CHECK(ok("smb://alice@nas/backups/pc.lbi"));
	r.u = u;
	r.mode = LB_REPO_WRITE;
	memset(&a, 0, sizeof a);
	strcpy(a.password, "p,w");
	CHECK(lb_repo_mount_data(&r, &a, "10.0.0.9", "", buf, sizeof buf) == 0);
	CHECK(!strcmp(buf, "rw,ip=10.0.0.9,unc=\\\\nas\\backups,echo_interval=10,username=alice,"
	                   "password=p,,w"));
	CHECK(lb_repo_needs_password(&r.u, NULL) && !lb_repo_needs_password(&r.u, &(struct lb_repo_auth){ .have_password = 1 }));
	CHECK(ok("smb://nas/public/pc.lbi"));
	r.u = u;
	r.mode = LB_REPO_READ;
	CHECK(lb_repo_mount_data(&r, &a, "10.0.0.9", "", buf, sizeof buf) == 0 &&
	      !strncmp(buf, "ro,", 3) && strstr(buf, ",guest") && !strstr(buf, "password"));
	CHECK(!lb_repo_needs_password(&r.u, NULL));
	CHECK(ok("nfs://srv:2050/export/pc.lbi"));
	r.u = u;
	CHECK(lb_repo_mount_data(&r, &a, "10.0.0.2", "3", buf, sizeof buf) == 0 &&
	      !strcmp(buf, "ro,vers=3,addr=10.0.0.2,soft,timeo=100,retrans=2,nolock,port=2050,"
	                   "mountaddr=10.0.0.2"));
	CHECK(lb_repo_mount_data(&r, &a, "10.0.0.2", "4.2", buf, 20) == -1);   /* never cut short */

	/* a local path passes through lb_repo_open untouched */
	CHECK(lb_repo_open(&r, "/mnt/usb/pc.lbi", LB_REPO_WRITE, NULL, &err) == 0 &&
	      !strcmp(r.image, "/mnt/usb/pc.lbi") && lb_repo_close(&r, 1, &err) == 0);
	return UNIT_DONE();
}
