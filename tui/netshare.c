/* netshare.c — "A network share...": an nfs:// or smb:// address typed in, mounted by the engine
 * (imager/repo.h: the kernel's clients, a private folder) for as long as the screens run, then
 * used as any folder. ssh:// and http(s):// stream through standard input/output, which the
 * screens need: they stay on the command line. */
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "repo.h"
#include "ui.h"

#define NET_MAX 8
static struct lb_repo shares[NET_MAX];
static int nshares;

int net_share(int for_backup, char *path, size_t len)
{
	static char url[1024];
	char full[1100], pw[256] = "";
	struct lb_repo_auth auth;
	struct lb_repo_url u;
	struct lb_err err = { 0 };
	struct lb_repo *r;
	if (nshares == NET_MAX) {
		ui_message("Too many network shares", "Quit and start again to use another one.", 1);
		return 0;
	}
	if (!ui_input(for_backup ? "Back up to a network share" : "An image on a network share",
	              for_backup ?
	              "The folder to save into:\n  smb://[user@]server/share/folder\n"
	              "  nfs://server/export/folder\n(ssh:// is on the command line: lifeboat --help)" :
	              "The image file:\n  smb://[user@]server/share/folder/pc.lbi\n"
	              "  nfs://server/export/folder/pc.lbi\n(ssh:// and http(s):// are on the command "
	              "line: lifeboat --help)", url, sizeof url, 0))
		return 0;
	while (for_backup && *url && url[strlen(url) - 1] == '/')
		url[strlen(url) - 1] = 0;
	/* a folder: parsed with a file name in it, the mount is the folder */
	snprintf(full, sizeof full, for_backup ? "%s/lifeboat.lbi" : "%s", url);
	if (lb_repo_parse(full, &u, &err)) {
		ui_error("That address cannot be used.", &err);
		return 0;
	}
	if (u.kind != LB_REPO_NFS && u.kind != LB_REPO_SMB) {
		ui_message("Use the command line", "Here, network shares are smb:// and nfs://. "
		           "ssh:// and http(s):// work with 'lifeboat backup', 'restore' and 'verify' "
		           "(see lifeboat --help).", 0);
		return 0;
	}
	memset(&auth, 0, sizeof auth);
	if (lb_repo_needs_password(&u, NULL)) {
		char q[400];
		snprintf(q, sizeof q, "Password of %s on %s:", u.user, u.host);
		if (!ui_input_secret("Password", q, pw, sizeof pw))
			return 0;
		snprintf(auth.password, sizeof auth.password, "%s", pw);
		auth.have_password = 1;
		memset(pw, 0, sizeof pw);
	}
	r = &shares[nshares];
	int rc = lb_repo_open(r, full, for_backup ? LB_REPO_WRITE : LB_REPO_READ, &auth, &err);
	memset(&auth, 0, sizeof auth);
	if (rc) {
		/* not ui_error: its advice is about disks */
		char m[sizeof err.msg + 200];
		lb_sanitize(err.msg);
		snprintf(m, sizeof m, "The network share could not be mounted.\n\n%s\n\nCheck the "
		         "address, the network cable and the server's settings (docs/DEPLOY.md).",
		         err.msg);
		ui_message("Network share", m, 1);
		return 0;
	}
	nshares++;
	if (for_backup) {
		char copy[PATH_MAX];
		snprintf(copy, sizeof copy, "%s", r->image);
		snprintf(path, len, "%s", dirname(copy));
	} else
		snprintf(path, len, "%s", r->image);
	return 1;
}

void net_shares_close(void)
{
	while (nshares > 0)
		lb_repo_close(&shares[--nshares], 1, NULL);
}
