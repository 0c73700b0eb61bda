/* Export: the image's disk through the random-access reader into a new sparse file. Only data
 * is written; the file is created empty and extended to the disk's size, so everything not
 * written (ranges in no chunk, zero chunks, all-zero 4 KiB blocks) is a hole reading as zeros,
 * exactly what a restore onto a blank (zeroed) file leaves there. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "blockdev.h"
#include "chunker.h"
#include "err.h"
#include "export.h"
#include "imgread.h"
#include "progress.h"

#define BUF (1u << 20)
#define BLK 4096u

/* OUT must be a new file, or (force) a regular file that is not part of the image. */
static int check_out(const struct lb_export_opts *o, struct lb_err *err)
{
	struct stat so, si;
	if (stat(o->out, &so)) {
		if (errno == ENOENT)
			return 0;
		return lb_fail(err, LB_EIO, "cannot check %s: %s", o->out, strerror(errno));
	}
	if (S_ISBLK(so.st_mode) || S_ISCHR(so.st_mode))
		return lb_fail(err, LB_EREFUSED, "refusing to export onto %s: it is a device; use "
		               "'lifeboat restore' for disks (it checks the target and verifies)", o->out);
	if (!S_ISREG(so.st_mode))
		return lb_fail(err, LB_EREFUSED, "refusing to export onto %s: it is not a regular file",
		               o->out);
	if (!stat(o->image, &si) && si.st_dev == so.st_dev && si.st_ino == so.st_ino)
		return lb_fail(err, LB_EREFUSED, "refusing to export onto %s: it is the image itself",
		               o->out);
	if (!o->force)
		return lb_fail(err, LB_EREFUSED, "refusing to overwrite %s: it exists (--force replaces "
		               "it)", o->out);
	return 0;
}

static int write_data(int fd, const uint8_t *p, size_t n, uint64_t off, uint64_t *written,
                      const char *out, struct lb_err *err)
{
	/* all-zero blocks stay holes (the file is new, so they read as zeros) */
	for (size_t at = 0; at < n; ) {
		size_t k = n - at < BLK ? n - at : BLK, run;
		if (lb_is_zero(p + at, k)) {
			at += k;
			continue;
		}
		for (run = k; at + run < n; run += k) {
			k = n - at - run < BLK ? n - at - run : BLK;
			if (lb_is_zero(p + at + run, k))
				break;
		}
		int rc = lb_pwrite_full(fd, p + at, run, off + at);
		if (rc)
			return lb_fail(err, rc == -ENOSPC ? LB_ENOSPACE : LB_EIO, "writing %s at offset "
			               "%llu failed: %s", out, (unsigned long long)(off + at), strerror(-rc));
		*written += run;
		at += run;
	}
	return 0;
}

int lb_export(const struct lb_export_opts *o, struct lb_report *rep, struct lb_err *err)
{
	struct lb_imgread *r = NULL;
	struct lb_imgread_worker *w = NULL;
	struct lb_prog prog;
	char tmp[4200];
	uint8_t *buf = NULL;
	uint64_t size, off = 0;
	double t0 = lb_now();
	int fd = -1, rc;
	memset(rep, 0, sizeof *rep);
	lb_prog_init(&prog, o->progress, o->progress_ctx);
	if (!o->image || !o->out)
		return lb_fail(err, LB_EUSAGE, "export needs an image and an output file");
	if ((rc = check_out(o, err)))
		return rc;
	if ((rc = lb_imgread_open(&r, o->image, o->passphrase, o->passphrase_ctx, 4, err)))
		return rc;
	size = lb_imgread_size(r);
	if (!(w = lb_imgread_worker_new(r)) || !(buf = malloc(BUF))) {
		rc = lb_fail(err, LB_ENOMEM, "out of memory");
		goto out;
	}
	snprintf(tmp, sizeof tmp, "%s.part", o->out);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
		rc = lb_fail(err, errno == ENOENT ? LB_ENOENT : LB_EIO, "cannot create %s: %s", tmp,
		             strerror(errno));
		goto out;
	}
	if (ftruncate(fd, (off_t)size)) {
		rc = lb_fail(err, errno == EFBIG || errno == ENOSPC ? LB_ENOSPACE : LB_EIO,
		             "cannot make %s %llu bytes long: %s", tmp, (unsigned long long)size,
		             strerror(errno));
		goto out;
	}
	lb_prog_phase(&prog, LB_PHASE_COPY, size);
	while (off < size) {
		uint64_t run;
		int data;
		if ((rc = lb_imgread_map(w, off, size - off, &data, &run, err)))
			goto out;
		for (uint64_t end = off + run; data && off < end; ) {
			size_t n = end - off < BUF ? (size_t)(end - off) : BUF;
			if ((rc = lb_imgread_pread(w, buf, n, off, err)) ||
			    (rc = write_data(fd, buf, n, off, &rep->bytes_written, tmp, err)))
				goto out;
			off += n;
			if (lb_prog_update(&prog, off, 0)) {
				rc = lb_fail(err, LB_ECANCELLED, "cancelled");
				goto out;
			}
		}
		if (!data)
			off += run;
	}
	if (fsync(fd)) {
		rc = lb_fail(err, LB_EIO, "syncing %s failed: %s", tmp, strerror(errno));
		goto out;
	}
	close(fd);
	fd = -1;
	if (rename(tmp, o->out)) {
		rc = lb_fail(err, LB_EIO, "renaming %s to %s failed: %s", tmp, o->out, strerror(errno));
		goto out;
	}
	lb_prog_update(&prog, size, 1);
	rep->bytes_planned = size;
	/* the ranges a failing source did not give: zeros, as a restore writes them */
	rep->bad_bytes = lb_imgread_info(r)->bad_bytes;
	rep->nbad = lb_imgread_info(r)->nbad;
	rc = 0;
out:
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	rep->seconds = lb_now() - t0;
	free(buf);
	lb_imgread_worker_free(w);
	lb_imgread_close(r);
	return rc;
}
