/* browse_image.h — "Browse an image": what browse_image.c (image, partition, copying, result)
 * and browse_image_list.c (the folder screen and the marks) share. The filesystem is read
 * through imager/fsread.h straight from the image: nothing is mounted, nothing written to it. */
#ifndef LIFEBOAT_BROWSE_IMAGE_H
#define LIFEBOAT_BROWSE_IMAGE_H
#include <limits.h>
#include "blockdev.h"
#include "fsread.h"
#include "ui.h"

/* One entry of the folder shown; name: the filesystem's bytes (no '/', no NUL). link: a
 * symlink's target, read when its row is first drawn (NULL before; "" when unreadable). */
struct bi_ent { char *name; size_t len; struct lb_fsr_stat st; char *link; };

/* A marked file or tree, by its path from the root ("/a/b"). Trees are counted when marked
 * (files and bytes) so the status line can say how much a copy is; counted = 0 when the walk
 * was cut short (too deep, unreadable, Esc): the numbers are then at least that much. */
struct bi_mark { char *path; int is_dir, counted; uint64_t files, bytes; };

struct bi {
	char image[PATH_MAX];
	struct lb_imgread *r;
	const struct lb_image_info *info;
	struct lb_dev dev;
	int dev_open;
	struct lb_fsr *f;
	int part;                 /* partition number (0: the whole disk) */
	char where[200];          /* "partition 2 (ext4 root)" */
	struct tui_pass pass;

	char *cwd;                /* "/" or "/a/b" (bytes) */
	struct bi_ent *v;
	int n;
	char load_err[1100];      /* the folder could not be read completely: why */
	struct ui_list list;      /* row 0: ".." below the root, then the entries */

	struct bi_mark *marks;
	int nmarks;
	char dest[PATH_MAX];      /* the last destination chosen (offered again) */
};

/* The folder screen of an open filesystem; returns when the person leaves it (Esc). */
void bi_files(struct bi *b);
void bi_draw(void *ctx);     /* that screen (ctx: the struct bi), a backdrop for dialogs */
/* Copies the marked entries (or, with none marked, the one under the cursor) to a folder the
 * person chooses, with progress and a result screen. Marks are cleared after a full copy. */
void bi_copy(struct bi *b);
/* Marks: forgetting them all, and the paths for lb_extract (pointers into b->marks). */
void bi_marks_clear(struct bi *b);
void bi_marks_total(const struct bi *b, uint64_t *files, uint64_t *bytes, int *exact);
/* The path of entry i of the folder shown (malloc'd), or NULL for the ".." row. */
char *bi_ent_path(const struct bi *b, int row);
struct bi_ent *bi_row_ent(struct bi *b, int row);
/* A path of the image's filesystem made printable (lb_fsr_escape) into out. */
char *bi_escape(const char *path, char *out, size_t cap);
#endif
