/* mapfile.h — a GNU ddrescue-compatible mapfile, kept as a backup or clone runs: '+' copied
 * (in the image, or on the clone's target), '-' still unreadable, '?' not copied (not read yet,
 * or not needed: free space, swap). It is rewritten atomically every few seconds and at the
 * end, so an interrupted clone can continue from it (lb_map_load). */
#ifndef LB_MAPFILE_H
#define LB_MAPFILE_H
#include <pthread.h>
#include "extents.h"
#include "lifeboat.h"

enum {
	LB_MAP_WRITTEN,   /* consumer: an ordinary chunk's ranges reached the image or target */
	LB_MAP_PENDING,   /* producer: zero-filled in pass 1, not copied (until patched) */
	LB_MAP_PATCHED,   /* consumer: a patch chunk's ranges reached the image or target */
	LB_MAP_BAD,       /* producer: a sector that did not read */
};

struct lb_map {
	pthread_mutex_t mu;
	const char *path;
	uint64_t size;
	struct lb_extents x[4];       /* by LB_MAP_* */
	double last_save;
	int finished;
};

/* Starts a map of a source of size bytes; done/bad (may be NULL): what an earlier run copied
 * and found unreadable (they count as copied and bad). */
int lb_map_init(struct lb_map *m, const char *path, uint64_t size, const struct lb_extents *done,
                const struct lb_extents *bad, struct lb_err *err);
/* Thread-safe. */
void lb_map_mark(struct lb_map *m, int what, uint64_t off, uint64_t len);
/* Writes the file (under a temporary name, then renamed) when force or a few seconds passed. */
int lb_map_save(struct lb_map *m, int force, struct lb_err *err);
void lb_map_free(struct lb_map *m);
/* Reads a mapfile: '+' ranges into done, '-' into bad. 1 = no such file, 0 = read, else an
 * lb_code (unreadable, or not of a source of this size). */
int lb_map_load(const char *path, uint64_t size, struct lb_extents *done, struct lb_extents *bad,
                struct lb_err *err);
#endif
