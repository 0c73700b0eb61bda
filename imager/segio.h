/* segio.h — the image's byte stream over one file, numbered segment files, or a pipe.
 * The writer goes strictly forward (pipes work) and names files only when complete; the reader
 * checks every segment header and reports a missing, foreign or truncated segment by name. */
#ifndef LB_SEGIO_H
#define LB_SEGIO_H
#include <limits.h>
#include <stdint.h>
#include "format.h"
#include "lifeboat.h"

#define LB_MAX_SEGMENTS 9999

struct lb_imgw {
	char path[PATH_MAX];
	int to_stdout;
	int fd;
	uint32_t seg;           /* current segment index */
	uint64_t capacity;      /* stream bytes per segment, 0 = one file */
	uint64_t seg_used;
	uint64_t pos;           /* stream position */
	uint64_t file_bytes;    /* bytes written including segment headers */
	uint64_t image_id;
	uint32_t flags;         /* segment header flags (LB_SEG_ENCRYPTED) */
};

int lb_imgw_open(struct lb_imgw *w, const char *path, uint64_t capacity, struct lb_err *err);
/* The same, with segment header flags (an encrypted image: LB_SEG_ENCRYPTED). */
int lb_imgw_open_flags(struct lb_imgw *w, const char *path, uint64_t capacity, uint32_t flags,
                       struct lb_err *err);
int lb_imgw_write(struct lb_imgw *w, const void *buf, size_t len, struct lb_err *err);
/* Syncs every segment, then renames them to their final names (the first one last). */
int lb_imgw_finish(struct lb_imgw *w, struct lb_err *err);
/* Removes the temporary files of an unfinished image. */
void lb_imgw_abort(struct lb_imgw *w);

struct lb_imgr {
	char path[PATH_MAX];
	int is_pipe;
	struct lb_seg_hdr hdr;  /* of the first segment */
	int nseg;
	int *fds;               /* files: one per segment */
	uint64_t *seg_len;      /* files: stream bytes in each segment */
	uint64_t stream_len;    /* files: total stream bytes */
	uint64_t pos;           /* sequential position */
	uint64_t seg_left;      /* pipes: stream bytes left before the next inline segment header */
	uint32_t pipe_seg;
	uint64_t file_bytes;
};

/* Opens an image (path, or "-" for stdin) and checks all its segments' headers. */
int lb_imgr_open(struct lb_imgr *r, const char *path, struct lb_err *err);
void lb_imgr_close(struct lb_imgr *r);
/* Sequential: exactly len bytes from the current position, or LB_EDAMAGED naming where the
 * image ends. */
int lb_imgr_read(struct lb_imgr *r, void *buf, size_t len, struct lb_err *err);
/* Random access (files only). */
int lb_imgr_pread(struct lb_imgr *r, void *buf, size_t len, uint64_t off, struct lb_err *err);
/* "img.lbi" for index 0, "img.lbi.002" for index 1, ... */
char *lb_seg_name(const char *path, uint32_t index, char *buf, size_t len);
#endif
