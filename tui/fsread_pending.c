/* fsread_pending.c — TEMPORARY (branch h-browse only, removed once h-fsr-core is merged): weak
 * stand-ins for the imager/fsread.h engine so the TUI links before the readers exist. Every
 * one refuses, so "Browse an image" says the files cannot be read rather than pretending. */
#include <stdio.h>
#include "fsread.h"

#define WEAK __attribute__((weak))

WEAK int lb_dev_open_image(struct lb_dev *d, struct lb_imgread *r, struct lb_err *err)
{
	(void)d; (void)r;
	err->code = LB_EUNSUPPORTED;
	snprintf(err->msg, sizeof err->msg, "reading files from an image is not built in");
	return LB_EUNSUPPORTED;
}
WEAK int lb_fsr_open(struct lb_fsr **out, struct lb_dev *d, uint64_t off, uint64_t size,
		     struct lb_err *err)
{
	(void)out; (void)d; (void)off; (void)size;
	err->code = LB_EUNSUPPORTED;
	snprintf(err->msg, sizeof err->msg, "reading files from an image is not built in");
	return LB_EUNSUPPORTED;
}
WEAK void lb_fsr_close(struct lb_fsr *f) { (void)f; }
WEAK int lb_fsr_lookup(struct lb_fsr *f, const char *path, struct lb_fsr_stat *st,
		       struct lb_err *err)
{
	(void)f; (void)path; (void)st;
	err->code = LB_EUNSUPPORTED;
	return LB_EUNSUPPORTED;
}
WEAK int lb_fsr_readdir(struct lb_fsr *f, uint64_t id,
			int (*fn)(void *, const char *, size_t, const struct lb_fsr_stat *),
			void *ctx, struct lb_err *err)
{
	(void)f; (void)id; (void)fn; (void)ctx;
	err->code = LB_EUNSUPPORTED;
	return LB_EUNSUPPORTED;
}
WEAK int lb_extract(struct lb_fsr *f, const char *const *paths, int npaths,
		    const struct lb_extract_opts *o, struct lb_extract_report *rep, struct lb_err *err)
{
	(void)f; (void)paths; (void)npaths; (void)o; (void)rep;
	err->code = LB_EUNSUPPORTED;
	return LB_EUNSUPPORTED;
}
WEAK void lb_extract_report_free(struct lb_extract_report *rep) { (void)rep; }
