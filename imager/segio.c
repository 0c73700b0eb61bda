/* Segmented image files: writing under temporary names, reading with every header checked. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include "blockdev.h"
#include "err.h"
#include "segio.h"

char *lb_seg_name(const char *path, uint32_t index, char *buf, size_t len)
{
	if (index == 0)
		snprintf(buf, len, "%s", path);
	else
		snprintf(buf, len, "%s.%03u", path, index + 1);
	return buf;
}

static char *tmp_name(const struct lb_imgw *w, uint32_t index, char *buf, size_t len)
{
	char seg[PATH_MAX];
	snprintf(buf, len, "%s.part", lb_seg_name(w->path, index, seg, sizeof seg));
	return buf;
}

static int start_segment(struct lb_imgw *w, struct lb_err *err)
{
	uint8_t hdr[LB_SEG_HDR_LEN];
	struct lb_seg_hdr h = { LB_FMT_MAJOR, LB_FMT_MINOR, w->seg, w->image_id, w->capacity,
	                      w->flags };
	char name[PATH_MAX + 16];
	int r;
	if (!w->to_stdout) {
		if (w->seg >= LB_MAX_SEGMENTS)
			return lb_fail(err, LB_EUSAGE, "the image would need more than %d segments; "
			               "choose a larger --split size", LB_MAX_SEGMENTS);
		tmp_name(w, w->seg, name, sizeof name);
		w->fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (w->fd < 0)
			return lb_fail(err, errno == ENOSPC ? LB_ENOSPACE : LB_EIO,
			               "cannot create %s: %s", name, strerror(errno));
	}
	lb_seg_encode(&h, hdr);
	r = lb_write_full(w->fd, hdr, sizeof hdr);
	if (r)
		return lb_fail(err, r == -ENOSPC ? LB_ENOSPACE : LB_EIO, "writing the image failed: %s%s",
		               strerror(-r), r == -ENOSPC ? " (the destination is full)" : "");
	w->file_bytes += sizeof hdr;
	w->seg_used = 0;
	return 0;
}

int lb_imgw_open(struct lb_imgw *w, const char *path, uint64_t capacity, struct lb_err *err)
{
	return lb_imgw_open_flags(w, path, capacity, 0, err);
}

int lb_imgw_open_flags(struct lb_imgw *w, const char *path, uint64_t capacity, uint32_t flags,
                       struct lb_err *err)
{
	memset(w, 0, sizeof *w);
	w->flags = flags;
	w->fd = -1;
	snprintf(w->path, sizeof w->path, "%s", path);
	w->to_stdout = !strcmp(path, "-");
	if (w->to_stdout) {
		if (capacity)
			return lb_fail(err, LB_EUSAGE, "an image written to standard output cannot be split; "
			               "drop --split");
		w->fd = STDOUT_FILENO;
	}
	w->capacity = capacity;
	if (getrandom(&w->image_id, sizeof w->image_id, 0) != sizeof w->image_id)
		w->image_id = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	return start_segment(w, err);
}

int lb_imgw_write(struct lb_imgw *w, const void *buf, size_t len, struct lb_err *err)
{
	const char *p = buf;
	while (len) {
		size_t n = len;
		int r;
		if (w->capacity && w->seg_used == w->capacity) {
			if (fsync(w->fd) < 0 || close(w->fd) < 0) {
				w->fd = -1;
				return lb_fail(err, errno == ENOSPC ? LB_ENOSPACE : LB_EIO,
				               "finishing segment %u failed: %s", w->seg + 1, strerror(errno));
			}
			w->fd = -1;
			w->seg++;
			if ((r = start_segment(w, err)))
				return r;
		}
		if (w->capacity && n > w->capacity - w->seg_used)
			n = (size_t)(w->capacity - w->seg_used);
		r = lb_write_full(w->fd, p, n);
		if (r)
			return lb_fail(err, r == -ENOSPC ? LB_ENOSPACE : LB_EIO, "writing the image failed: %s%s",
			               strerror(-r), r == -ENOSPC ? " (the destination is full: free space "
			               "or choose another destination)" : "");
		p += n;
		len -= n;
		w->seg_used += n;
		w->pos += n;
		w->file_bytes += n;
	}
	return 0;
}

static void sync_dir(const char *path)
{
	char copy[PATH_MAX];
	int fd;
	snprintf(copy, sizeof copy, "%s", path);
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

int lb_imgw_finish(struct lb_imgw *w, struct lb_err *err)
{
	char tmp[PATH_MAX + 16], fin[PATH_MAX];
	if (w->to_stdout)
		return 0;
	if (fsync(w->fd) < 0 || close(w->fd) < 0) {
		w->fd = -1;
		return lb_fail(err, errno == ENOSPC ? LB_ENOSPACE : LB_EIO,
		               "flushing the image to disk failed: %s", strerror(errno));
	}
	w->fd = -1;
	/* Later segments first: the first segment appearing under its final name means done. */
	for (int i = (int)w->seg; i >= 0; i--) {
		tmp_name(w, (uint32_t)i, tmp, sizeof tmp);
		lb_seg_name(w->path, (uint32_t)i, fin, sizeof fin);
		if (rename(tmp, fin) < 0)
			return lb_fail(err, LB_EIO, "cannot rename %s to %s: %s", tmp, fin, strerror(errno));
	}
	/* Segments of an older image of the same name would look like ours: remove them. */
	for (uint32_t i = w->seg + 1; i < LB_MAX_SEGMENTS; i++) {
		lb_seg_name(w->path, i, fin, sizeof fin);
		if (unlink(fin) < 0)
			break;
	}
	sync_dir(w->path);
	return 0;
}

void lb_imgw_abort(struct lb_imgw *w)
{
	char tmp[PATH_MAX + 16];
	if (w->to_stdout)
		return;
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	for (int i = (int)w->seg; i >= 0; i--)
		unlink(tmp_name(w, (uint32_t)i, tmp, sizeof tmp));
}

int lb_backup_check_dest(const char *image, int *replaces, struct lb_err *err)
{
	char copy[PATH_MAX], *dir;
	struct stat st;
	if (replaces)
		*replaces = 0;
	if (!image || !*image)
		return lb_fail(err, LB_EUSAGE, "no image path given");
	if (!strcmp(image, "-"))
		return 0;
	if (stat(image, &st) == 0) {
		char sig[8];
		ssize_t n;
		int fd;
		if (S_ISDIR(st.st_mode))
			return lb_fail(err, LB_EUSAGE, "%s is a folder: give the image a file name in it, "
			               "e.g. %s/disk.lbi", image, image);
		if (!S_ISREG(st.st_mode))
			return 0;   /* a device: lb_check_image_dest says what to do */
		if (st.st_size == 0)
			return 0;
		/* Only an image is replaced: a name typed by mistake must not cost another file. */
		fd = open(image, O_RDONLY | O_CLOEXEC);
		n = fd >= 0 ? read(fd, sig, sizeof sig) : -1;
		if (fd >= 0)
			close(fd);
		if (n != (ssize_t)sizeof sig || memcmp(sig, "LIFEBOAT", 8))
			return lb_fail(err, LB_EREFUSED, "refusing to replace %s: it exists and is not a "
			               "Lifeboat image. Remove it, or choose another name", image);
		if (replaces)
			*replaces = 1;
	}
	snprintf(copy, sizeof copy, "%s", image);
	dir = dirname(copy);
	if (stat(dir, &st) < 0)
		return lb_fail(err, errno == ENOENT ? LB_ENOENT : LB_EIO, "cannot save the image in %s: "
		               "%s%s", dir, strerror(errno), errno == ENOENT ? " (create the folder "
		               "first, or choose another)" : "");
	if (!S_ISDIR(st.st_mode))
		return lb_fail(err, LB_EUSAGE, "cannot save the image as %s: %s is not a folder", image,
		               dir);
	if (access(dir, W_OK | X_OK) < 0)
		return lb_fail(err, LB_EIO, "cannot save the image in %s: %s%s", dir, strerror(errno),
		               errno == EROFS ? " (mounted read-only)" : errno == EACCES ? " (no "
		               "permission to write there)" : "");
	return 0;
}

/* ---- reading ---- */

static int check_header(const uint8_t *buf, const char *name, uint32_t index,
                        const struct lb_seg_hdr *first, struct lb_seg_hdr *h, struct lb_err *err)
{
	char why[256];
	int rc = lb_seg_decode(buf, h, why, sizeof why);
	if (rc) {
		if (index && rc == LB_EFOREIGN)
			rc = LB_EDAMAGED;
		return lb_fail(err, rc, "%s is not a usable Lifeboat image segment: %s", name, why);
	}
	if (first && h->image_id != first->image_id)
		return lb_fail(err, LB_EDAMAGED, "%s belongs to a different image than %s (segment %u "
		               "of another backup?)", name, first ? "the first segment" : "", index + 1);
	if (h->index != index)
		return lb_fail(err, LB_EDAMAGED, "%s is segment %u, but segment %u was expected there",
		               name, h->index + 1, index + 1);
	if (first && h->capacity != first->capacity)
		return lb_fail(err, LB_EDAMAGED, "%s disagrees with the first segment about the segment "
		               "size", name);
	return 0;
}

static int open_files(struct lb_imgr *r, struct lb_err *err)
{
	char name[PATH_MAX];
	uint8_t buf[LB_SEG_HDR_LEN];
	int cap = 4;
	r->fds = malloc(cap * sizeof *r->fds);
	r->seg_len = malloc(cap * sizeof *r->seg_len);
	if (!r->fds || !r->seg_len)
		return lb_fail(err, LB_ENOMEM, "out of memory");
	for (uint32_t i = 0; i < LB_MAX_SEGMENTS; i++) {
		struct stat st;
		struct lb_seg_hdr h;
		int fd, rc;
		lb_seg_name(r->path, i, name, sizeof name);
		fd = open(name, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			char next[PATH_MAX];
			if (i == 0)
				return lb_fail(err, errno == ENOENT ? LB_ENOENT : LB_EIO, "cannot open %s: %s",
				               name, strerror(errno));
			if (!r->hdr.capacity)
				break;
			if (access(lb_seg_name(r->path, i + 1, next, sizeof next), F_OK) == 0)
				return lb_fail(err, LB_EDAMAGED, "segment %u (%s) is missing, but %s exists: "
				               "copy all segments next to each other", i + 1, name, next);
			break;
		}
		if (r->nseg == cap) {
			cap *= 2;
			int *f = realloc(r->fds, cap * sizeof *f);
			if (f)
				r->fds = f;
			uint64_t *l = realloc(r->seg_len, cap * sizeof *l);
			if (l)
				r->seg_len = l;
			if (!f || !l) {
				close(fd);
				return lb_fail(err, LB_ENOMEM, "out of memory");
			}
		}
		r->fds[r->nseg++] = fd;
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			if (i == 0)
				return lb_fail(err, LB_EUSAGE, "%s is not a regular file", name);
			return lb_fail(err, LB_EDAMAGED, "%s is not a regular file", name);
		}
		if (st.st_size < LB_SEG_HDR_LEN) {
			if (i == 0 && st.st_size == 0)
				return lb_fail(err, LB_EFOREIGN, "%s is empty, not a Lifeboat image", name);
			return lb_fail(err, i ? LB_EDAMAGED : LB_EFOREIGN, "%s is too short (%lld bytes) to "
			               "be a Lifeboat image%s", name, (long long)st.st_size,
			               i ? " segment" : "");
		}
		if ((rc = lb_pread_full(fd, buf, sizeof buf, 0)))
			return lb_fail(err, LB_EIO, "cannot read %s: %s", name, strerror(-rc));
		if ((rc = check_header(buf, name, i, i ? &r->hdr : NULL, &h, err)))
			return rc;
		if (i == 0)
			r->hdr = h;
		r->seg_len[i] = (uint64_t)st.st_size - LB_SEG_HDR_LEN;
		r->file_bytes += (uint64_t)st.st_size;
		r->stream_len += r->seg_len[i];
		if (!r->hdr.capacity)
			break;
		if (r->seg_len[i] > r->hdr.capacity)
			return lb_fail(err, LB_EDAMAGED, "%s is longer than the segment size recorded in it",
			               name);
		if (i > 0 && r->seg_len[i - 1] != r->hdr.capacity) {
			char prev[PATH_MAX];
			return lb_fail(err, LB_EDAMAGED, "segment %u (%s) is truncated: %llu of %llu bytes",
			               i, lb_seg_name(r->path, i - 1, prev, sizeof prev),
			               (unsigned long long)r->seg_len[i - 1] + LB_SEG_HDR_LEN,
			               (unsigned long long)r->hdr.capacity + LB_SEG_HDR_LEN);
		}
	}
	return 0;
}

int lb_imgr_open(struct lb_imgr *r, const char *path, struct lb_err *err)
{
	memset(r, 0, sizeof *r);
	snprintf(r->path, sizeof r->path, "%s", path);
	if (!strcmp(path, "-")) {
		uint8_t buf[LB_SEG_HDR_LEN];
		size_t got;
		struct lb_seg_hdr h;
		int rc;
		r->is_pipe = 1;
		rc = lb_read_full(STDIN_FILENO, buf, sizeof buf, &got);
		if (rc)
			return lb_fail(err, LB_EIO, "reading the image from standard input failed: %s",
			               strerror(-rc));
		if (got < sizeof buf)
			return lb_fail(err, got ? LB_EFOREIGN : LB_EDAMAGED, "standard input ended after %zu "
			               "bytes: no Lifeboat image there", got);
		if ((rc = check_header(buf, "standard input", 0, NULL, &h, err)))
			return rc;
		r->hdr = h;
		r->seg_left = h.capacity ? h.capacity : UINT64_MAX;
		r->file_bytes = sizeof buf;
		return 0;
	}
	/* A refused image (missing segment, foreign header...) must not keep its descriptors
	 * and arrays: callers do not close what failed to open (found by the ASan run). */
	int rc = open_files(r, err);
	if (rc)
		lb_imgr_close(r);
	return rc;
}

void lb_imgr_close(struct lb_imgr *r)
{
	for (int i = 0; i < r->nseg; i++)
		close(r->fds[i]);
	free(r->fds);
	free(r->seg_len);
	r->fds = NULL;
	r->seg_len = NULL;
	r->nseg = 0;
}

static int ended(struct lb_imgr *r, struct lb_err *err)
{
	char name[PATH_MAX];
	if (r->is_pipe)
		return lb_fail(err, LB_EDAMAGED, "the image on standard input ends early, at stream "
		               "offset %llu: it is truncated (or a segment was left out)",
		               (unsigned long long)r->pos);
	return lb_fail(err, LB_EDAMAGED, "the image ends early, at stream offset %llu (end of %s): "
	               "it is truncated%s", (unsigned long long)r->pos,
	               lb_seg_name(r->path, (uint32_t)(r->nseg - 1), name, sizeof name),
	               r->hdr.capacity ? ", or its last segment is missing" : "");
}

int lb_imgr_pread(struct lb_imgr *r, void *buf, size_t len, uint64_t off, struct lb_err *err)
{
	char *p = buf;
	if (r->is_pipe)
		return lb_fail(err, LB_EUSAGE, "random access needs an image file, not a pipe");
	if (off > r->stream_len || len > r->stream_len - off) {
		uint64_t save = r->pos;
		r->pos = r->stream_len;
		ended(r, err);
		r->pos = save;
		return err->code;
	}
	while (len) {
		uint64_t seg = r->hdr.capacity ? off / r->hdr.capacity : 0;
		uint64_t in = r->hdr.capacity ? off % r->hdr.capacity : off;
		size_t n = len;
		int rc;
		if (seg >= (uint64_t)r->nseg)
			return ended(r, err);
		if (n > r->seg_len[seg] - in)
			n = (size_t)(r->seg_len[seg] - in);
		rc = lb_pread_full(r->fds[seg], p, n, in + LB_SEG_HDR_LEN);
		if (rc) {
			char name[PATH_MAX];
			return lb_fail(err, rc == -ENODATA ? LB_EDAMAGED : LB_EIO,
			               "reading %s at offset %llu failed: %s",
			               lb_seg_name(r->path, (uint32_t)seg, name, sizeof name),
			               (unsigned long long)in + LB_SEG_HDR_LEN,
			               rc == -ENODATA ? "the file shrank while being read" : strerror(-rc));
		}
		p += n;
		len -= n;
		off += n;
	}
	return 0;
}

int lb_imgr_read(struct lb_imgr *r, void *buf, size_t len, struct lb_err *err)
{
	char *p = buf;
	if (!r->is_pipe) {
		if (r->pos > r->stream_len || len > r->stream_len - r->pos) {
			r->pos = r->stream_len;
			return ended(r, err);
		}
		if (lb_imgr_pread(r, buf, len, r->pos, err))
			return err->code;
		r->pos += len;
		return 0;
	}
	while (len) {
		size_t n = len, got;
		int rc;
		if (r->seg_left == 0) {
			uint8_t hdr[LB_SEG_HDR_LEN];
			struct lb_seg_hdr h;
			char name[64];
			rc = lb_read_full(STDIN_FILENO, hdr, sizeof hdr, &got);
			if (rc)
				return lb_fail(err, LB_EIO, "reading standard input failed: %s", strerror(-rc));
			if (got < sizeof hdr)
				return ended(r, err);
			r->pipe_seg++;
			snprintf(name, sizeof name, "segment %u on standard input", r->pipe_seg + 1);
			if ((rc = check_header(hdr, name, r->pipe_seg, &r->hdr, &h, err)))
				return rc;
			r->seg_left = r->hdr.capacity;
			r->file_bytes += sizeof hdr;
		}
		if (n > r->seg_left)
			n = (size_t)r->seg_left;
		rc = lb_read_full(STDIN_FILENO, p, n, &got);
		if (rc)
			return lb_fail(err, LB_EIO, "reading standard input failed: %s", strerror(-rc));
		r->pos += got;
		r->file_bytes += got;
		if (r->seg_left != UINT64_MAX)
			r->seg_left -= got;
		if (got < n)
			return ended(r, err);
		p += n;
		len -= n;
	}
	return 0;
}
