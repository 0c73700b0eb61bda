/* export.h — an image written out as a sparse raw disk file (lifeboat export): the same bytes a
 * restore onto a blank file gives, with holes where the image holds nothing or zeros. */
#ifndef LB_EXPORT_H
#define LB_EXPORT_H
#include "lifeboat.h"

struct lb_export_opts {
	const char *image;
	const char *out;             /* a new regular file (a disk: use restore) */
	int force;                   /* replace an existing regular file */
	lb_progress_fn progress;
	void *progress_ctx;
	lb_passphrase_fn passphrase;
	void *passphrase_ctx;
};

/* Writes OUT.part, syncs, renames it to OUT. rep: bytes_written (data bytes written),
 * bytes_planned (the disk's size), seconds; bad_bytes / nbad: what the image lists as unreadable
 * on the source (zeros in OUT, as a restore writes them). */
int lb_export(const struct lb_export_opts *o, struct lb_report *rep, struct lb_err *err);
#endif
