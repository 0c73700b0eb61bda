/* http:// and https:// repositories, for restore and verify: the image is streamed by curl
 * when the system has it (the host), else by wget (busybox's on the stick, with its own TLS).
 * Both fail on an HTTP error and on a body cut short; the image's own trailer and checksums
 * catch anything else, so a truncated download is never a success. */
#include <stdio.h>
#include <string.h>
#include "err.h"
#include "repo.h"

int lb_repo_http_open(struct lb_repo *r, struct lb_err *err)
{
	static const char *const curl[] = { "curl", NULL }, *const wget[] = { "wget", NULL };
	char prog[PATH_MAX];
	char *argv[16];
	int n = 0;
	snprintf(r->image, sizeof r->image, "-");
	if (lb_repo_find_prog(curl, prog, sizeof prog)) {
		argv[n++] = prog;
		argv[n++] = "--fail";
		argv[n++] = "--silent";
		argv[n++] = "--show-error";
		argv[n++] = "--globoff";
		/* a server that stops sending for 30 s is an error, not a wait without end */
		argv[n++] = "--speed-limit";
		argv[n++] = "1";
		argv[n++] = "--speed-time";
		argv[n++] = "30";
		argv[n++] = "--";
	} else if (lb_repo_find_prog(wget, prog, sizeof prog)) {
		argv[n++] = prog;
		argv[n++] = "-q";
		argv[n++] = "-T";
		argv[n++] = "30";
		argv[n++] = "-O";
		argv[n++] = "-";
	} else
		return lb_fail(err, LB_EUNSUPPORTED, "%s: neither curl nor wget was found in PATH",
		               lb_repo_name(r));
	argv[n++] = r->u.raw;
	argv[n] = NULL;
	return lb_repo_spawn_stream(r, argv, NULL, 0, err);
}
