/* Network repositories: URL parsing, credentials files, and open/close dispatch (repo.h). */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "err.h"
#include "mcast.h"
#include "repo.h"

static const struct {
	const char *scheme;
	enum lb_repo_kind kind;
} schemes[] = {
	{ "nfs://", LB_REPO_NFS }, { "smb://", LB_REPO_SMB }, { "cifs://", LB_REPO_SMB },
	{ "ssh://", LB_REPO_SSH }, { "http://", LB_REPO_HTTP }, { "https://", LB_REPO_HTTPS },
	{ "multicast://", LB_REPO_MCAST },
};

static int scheme_of(const char *s, size_t *len)
{
	for (size_t i = 0; s && i < sizeof schemes / sizeof schemes[0]; i++) {
		size_t n = strlen(schemes[i].scheme);
		if (!strncasecmp(s, schemes[i].scheme, n)) {
			*len = n;
			return (int)schemes[i].kind;
		}
	}
	return -1;
}

int lb_repo_is_url(const char *s)
{
	size_t n;
	return scheme_of(s, &n) >= 0;
}

static int hexval(int c)
{
	return isdigit(c) ? c - '0' : isxdigit(c) ? (tolower(c) - 'a' + 10) : -1;
}

/* Percent-decodes s[0..len) into out; controls (also encoded) are refused: they would end up
 * in a remote shell command, a mount option or a message. */
static int decode(const char *s, size_t len, char *out, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)s[i];
		if (c == '%') {
			int h, l;
			if (i + 2 >= len || (h = hexval((unsigned char)s[i + 1])) < 0 ||
			    (l = hexval((unsigned char)s[i + 2])) < 0)
				return -1;
			c = h << 4 | l;
			i += 2;
		}
		if (c < 0x20 || c == 0x7f)
			return -1;
		if (o + 1 >= cap)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = 0;
	return 0;
}

static int bad(struct lb_err *err, const char *url, const char *why)
{
	return lb_fail(err, LB_EUSAGE, "%s is not a repository URL Lifeboat reads: %s", url, why);
}

int lb_repo_parse(const char *s, struct lb_repo_url *u, struct lb_err *err)
{
	const char *auth, *slash, *at, *host, *hend, *p;
	size_t skip;
	int kind;
	char path[PATH_MAX];
	memset(u, 0, sizeof *u);
	if ((kind = scheme_of(s, &skip)) < 0)
		return lb_fail(err, LB_EUSAGE, "%s: not an nfs://, smb://, ssh://, http:// or https:// URL",
		               s ? s : "(none)");
	if (strlen(s) >= sizeof u->raw)
		return bad(err, "the URL", "it is too long");
	for (p = s; *p; p++)
		if ((unsigned char)*p < 0x21 || *p == 0x7f)
			return bad(err, "the URL", "it holds a space or a control character (write %20)");
	snprintf(u->raw, sizeof u->raw, "%s", s);
	u->kind = (enum lb_repo_kind)kind;
	if (u->kind == LB_REPO_MCAST)   /* multicast://IF: no server, no path (mcast.h) */
		return lb_mcast_parse_url(s, u->host, sizeof u->host, err);
	auth = s + skip;
	if (!(slash = strchr(auth, '/')))
		return bad(err, s, "no path after the server (e.g. ssh://user@host/backups/pc.lbi)");
	at = memrchr(auth, '@', (size_t)(slash - auth));
	host = auth;
	if (at) {
		if (memchr(auth, ':', (size_t)(at - auth)))
			return bad(err, s, "a password in the URL would show in ps and the shell history: "
			           "give it in a credentials file (--credentials) or type it when asked");
		if (at == auth || decode(auth, (size_t)(at - auth), u->user, sizeof u->user))
			return bad(err, s, "the user name is empty or not valid");
		if (u->kind == LB_REPO_NFS)
			return bad(err, s, "nfs:// takes no user name (NFS trusts the client's address)");
		host = at + 1;
	}
	if (*host == '[') {
		if (!(hend = memchr(host, ']', (size_t)(slash - host))))
			return bad(err, s, "an IPv6 address needs its closing ']'");
		if ((size_t)(hend - host - 1) >= sizeof u->host || hend == host + 1)
			return bad(err, s, "the server address is empty or too long");
		memcpy(u->host, host + 1, (size_t)(hend - host - 1));
		for (p = u->host; *p; p++)
			if (!isxdigit((unsigned char)*p) && *p != ':' && *p != '.')
				return bad(err, s, "the IPv6 address holds something else than hex digits");
		hend++;
	} else {
		for (hend = host; hend < slash && *hend != ':'; hend++)
			if (!isalnum((unsigned char)*hend) && *hend != '.' && *hend != '-' && *hend != '_')
				return bad(err, s, "the server name may hold letters, digits, '.', '-' and '_'");
		if (hend == host || (size_t)(hend - host) >= sizeof u->host)
			return bad(err, s, "no server name (or a too long one)");
		memcpy(u->host, host, (size_t)(hend - host));
	}
	if (hend < slash) {
		long v = 0;
		if (*hend != ':' || hend + 1 == slash)
			return bad(err, s, "junk after the server name");
		for (p = hend + 1; p < slash; p++) {
			if (!isdigit((unsigned char)*p) || (v = v * 10 + (*p - '0')) > 65535)
				return bad(err, s, "the port must be a number from 1 to 65535");
		}
		if (v < 1)
			return bad(err, s, "the port must be a number from 1 to 65535");
		u->port = (int)v;
	}
	if (strchr(slash, '?') || strchr(slash, '#'))
		return bad(err, s, "queries and fragments ('?', '#') are not part of an image path");
	if (decode(slash, strlen(slash), path, sizeof path))
		return bad(err, s, "the path holds a broken %-escape or a control character");
	if (path[strlen(path) - 1] == '/')
		return bad(err, s, "the path names a folder: end it with the image's file name");
	for (p = path; (p = strstr(p, "/..")); p += 3)
		if (p[3] == '/' || !p[3])
			return bad(err, s, "'..' in the path is refused (write the path it means)");
	switch (u->kind) {
	case LB_REPO_SMB: {
		const char *sh = path + 1, *e = strchr(sh, '/');
		if (!e || e == sh)
			return bad(err, s, "smb:// needs a share and a file in it: smb://host/share/pc.lbi");
		if ((size_t)(e - sh) >= sizeof u->share)
			return bad(err, s, "the share name is too long");
		memcpy(u->share, sh, (size_t)(e - sh));
		if (strpbrk(u->share, "\\,") || strchr(e + 1, '\\'))
			return bad(err, s, "'\\' and ',' cannot be part of a share name or an SMB path");
		snprintf(u->path, sizeof u->path, "%s", e + 1);
		break;
	}
	case LB_REPO_NFS: {
		char *last = strrchr(path, '/');
		if (last == path)
			return bad(err, s, "nfs:// needs the exported folder and the file: "
			           "nfs://host/export/pc.lbi");
		*last = 0;
		if (strchr(path, ',') || strlen(path) >= sizeof u->share)
			return bad(err, s, "the export path holds a ',' or is too long");
		snprintf(u->share, sizeof u->share, "%s", path);
		snprintf(u->path, sizeof u->path, "%s", last + 1);
		break;
	}
	default:
		snprintf(u->path, sizeof u->path, "%s", path);
		break;
	}
	if (u->kind == LB_REPO_SSH && !u->user[0])
		return bad(err, s, "ssh:// needs a user: ssh://user@host/path/pc.lbi");
	if ((u->kind == LB_REPO_HTTP || u->kind == LB_REPO_HTTPS) && u->user[0])
		return bad(err, s, "http(s) repositories are read without a user name");
	return 0;
}

static void set_field(char *dst, size_t cap, const char *v)
{
	snprintf(dst, cap, "%s", v);
}

int lb_repo_read_credentials(const char *file, struct lb_repo_auth *a, struct lb_err *err)
{
	FILE *f = fopen(file, "re");
	char line[1200];
	int n = 0, rc = 0;
	if (!f)
		return lb_fail(err, errno == ENOENT ? LB_ENOENT : LB_EIO, "cannot read the credentials "
		               "file %s: %s", file, strerror(errno));
	while (fgets(line, sizeof line, f)) {
		char *eq, *k = line, *v;
		size_t len = strlen(line);
		n++;
		if (len && line[len - 1] == '\n')
			line[--len] = 0;
		if (len && line[len - 1] == '\r')
			line[--len] = 0;
		while (*k == ' ' || *k == '\t')
			k++;
		if (!*k || *k == '#')
			continue;
		if (!(eq = strchr(k, '='))) {
			rc = lb_fail(err, LB_EUSAGE, "the credentials file %s, line %d: not key=value", file, n);
			break;
		}
		*eq = 0;
		v = eq + 1;
		if (!strcmp(k, "username") || !strcmp(k, "user"))
			set_field(a->user, sizeof a->user, v);
		else if (!strcmp(k, "password") || !strcmp(k, "pass")) {
			if (strlen(v) >= sizeof a->password) {
				rc = lb_fail(err, LB_EUSAGE, "the credentials file %s, line %d: the password is "
				             "longer than %zu bytes", file, n, sizeof a->password - 1);
				break;
			}
			set_field(a->password, sizeof a->password, v);
			a->have_password = 1;
		} else if (!strcmp(k, "domain"))
			set_field(a->domain, sizeof a->domain, v);
		else if (!strcmp(k, "identity"))
			set_field(a->identity, sizeof a->identity, v);
		else {
			rc = lb_fail(err, LB_EUSAGE, "the credentials file %s, line %d: unknown key '%s' "
			             "(username, password, domain, identity)", file, n, k);
			break;
		}
	}
	explicit_bzero(line, sizeof line);
	fclose(f);
	return rc;
}

int lb_repo_needs_password(const struct lb_repo_url *u, const struct lb_repo_auth *a)
{
	if (u->kind != LB_REPO_SMB)
		return 0;
	if (a && a->have_password)
		return 0;
	return u->user[0] || (a && a->user[0]);
}

const char *lb_repo_name(const struct lb_repo *r)
{
	return r->u.raw;
}

int lb_repo_open(struct lb_repo *r, const char *url, enum lb_repo_mode mode,
                 const struct lb_repo_auth *auth, struct lb_err *err)
{
	static const struct lb_repo_auth none;
	int rc;
	memset(r, 0, sizeof *r);
	r->child = -1;
	r->saved_fd = -1;
	r->errfd = -1;
	r->mode = mode;
	if (!auth)
		auth = &none;
	if (!lb_repo_is_url(url)) {
		r->u.kind = LB_REPO_LOCAL;
		snprintf(r->image, sizeof r->image, "%s", url);
		snprintf(r->u.raw, sizeof r->u.raw, "%s", url);
		return 0;
	}
	if ((rc = lb_repo_parse(url, &r->u, err)))
		return rc;
	switch (r->u.kind) {
	case LB_REPO_NFS:
	case LB_REPO_SMB:
		rc = lb_repo_mount(r, auth, err);
		break;
	case LB_REPO_SSH:
		rc = lb_repo_ssh_open(r, auth, err);
		break;
	case LB_REPO_MCAST:
		if (mode == LB_REPO_WRITE)
			return lb_fail(err, LB_EUSAGE, "%s: multicast is for restore (send with 'lifeboat "
			               "multicast IMAGE')", url);
		rc = lb_mcast_open(r, err);
		break;
	default:
		if (mode == LB_REPO_WRITE)
			return lb_fail(err, LB_EUSAGE, "%s: http(s) repositories are for restore and verify; "
			               "back up to an nfs://, smb:// or ssh:// repository", url);
		rc = lb_repo_http_open(r, err);
		break;
	}
	if (rc)
		lb_repo_close(r, 0, NULL);
	return rc;
}

int lb_repo_close(struct lb_repo *r, int ok, struct lb_err *err)
{
	struct lb_err scratch = { 0 };
	int rc = 0;
	if (!err)
		err = &scratch;
	switch (r->u.kind) {
	case LB_REPO_NFS:
	case LB_REPO_SMB:
		rc = lb_repo_umount(r, err);
		break;
	case LB_REPO_SSH:
		rc = lb_repo_ssh_close(r, ok, err);
		break;
	case LB_REPO_MCAST:
		rc = lb_mcast_close(r, ok, err);
		break;
	case LB_REPO_HTTP:
	case LB_REPO_HTTPS:
		if (ok)
			lb_repo_drain(r);
		lb_repo_unstream(r);
		rc = ok ? lb_repo_wait(r, "the download", err) : lb_repo_reap(r, "the download", err);
		break;
	default:
		break;
	}
	if (r->errfd >= 0)
		close(r->errfd);
	r->errfd = -1;
	explicit_bzero(r->auth_env, sizeof r->auth_env);
	r->u.kind = LB_REPO_LOCAL;   /* a second close does nothing */
	return rc;
}
