/* Fuzz target: repository URLs (imager/repo.c) and the mount data built from what parses. A URL
 * comes from a command line, a kernel parameter or the TUI, and its parts end up in a remote
 * shell command and in mount options: what parses must hold no control character, and the
 * options built from it must fit and keep the share and the path as parsed. */
#include <string.h>
#include "fuzz.h"
#include "repo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lb_repo r;
	struct lb_repo_auth a;
	struct lb_err err = { 0 };
	char *text = malloc(size + 1), buf[1400];
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	memset(&r, 0, sizeof r);
	memset(&a, 0, sizeof a);
	(void)lb_repo_is_url(text);
	if (lb_repo_parse(text, &r.u, &err) == 0) {
		for (const char *p = r.u.path; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				abort();
		if (r.u.kind == LB_REPO_SMB || r.u.kind == LB_REPO_NFS) {
			if (strchr(r.u.share, ','))
				abort();
			lb_repo_mount_data(&r, &a, "10.0.0.1", "4.2", buf, sizeof buf);
		}
		if (r.u.port < 0 || r.u.port > 65535 || !r.u.host[0])
			abort();
	} else if (!err.msg[0])
		abort();   /* a refusal always says why */
	free(text);
	return 0;
}
