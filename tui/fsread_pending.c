/* fsread_pending.c — TEMPORARY (branch h-browse only, removed once h-fsr-core's extract.c is
 * merged): weak stand-ins for lb_extract so the TUI links before it exists. It refuses, so a
 * copy says it was not done rather than pretending. */
#include <stdio.h>
#include "fsread.h"

#define WEAK __attribute__((weak))

WEAK int lb_extract(struct lb_fsr *f, const char *const *paths, int npaths,
		    const struct lb_extract_opts *o, struct lb_extract_report *rep, struct lb_err *err)
{
	(void)f; (void)paths; (void)npaths; (void)o; (void)rep;
	err->code = LB_EUNSUPPORTED;
	snprintf(err->msg, sizeof err->msg, "copying files out of an image is not built in yet");
	return LB_EUNSUPPORTED;
}
WEAK void lb_extract_report_free(struct lb_extract_report *rep) { (void)rep; }
