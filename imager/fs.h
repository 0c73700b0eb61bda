/* fs.h — the one table of filesystem operations. Each filesystem lives in its own fs_*.c and
 * adds one row to lb_fs_table (fs_table.c); nothing else in the engine knows filesystem names. */
#ifndef LB_FS_H
#define LB_FS_H
#include <stddef.h>
#include <stdint.h>
#include "blockdev.h"
#include "extents.h"

struct lb_fs_info {
	char type[24];
	char label[64];
	char uuid[40];
	uint64_t total, used;   /* bytes, 0 when unknown */
};

struct lb_fs_ops {
	const char *name;
	/* Is there such a filesystem at [off, off+size)? Fills info; 1 = yes, 0 = no. Reads only
	 * a few sectors and must survive any bytes. */
	int (*probe)(struct lb_dev *d, uint64_t off, uint64_t size, struct lb_fs_info *info);
	/* Appends the absolute byte ranges that hold data (always inside [off, off+size)).
	 * Returns 0, or non-zero with `why` filled when the map cannot be trusted (copy raw).
	 * `method` gets "used" or "header". */
	int (*used)(struct lb_dev *d, uint64_t off, uint64_t size, struct lb_extents *out,
	            const char **method, char *why, size_t whylen);
	/* Optional: names what the unreadable byte ranges `bad` (absolute, normalized) hit —
	 * file paths, metadata — one line each appended to *text (malloc'd, may be NULL). */
	void (*damage)(struct lb_dev *d, uint64_t off, uint64_t size, const struct lb_extents *bad,
	               char **text);
};

/* Appends a formatted line to a malloc'd text (for damage reports). */
void lb_text_add(char **text, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The first filesystem whose probe accepts the area, or NULL. */
const struct lb_fs_ops *lb_fs_probe(struct lb_dev *d, uint64_t off, uint64_t size,
                                    struct lb_fs_info *info);

extern const struct lb_fs_ops lb_fs_ext, lb_fs_fat, lb_fs_swap, lb_fs_ntfs, lb_fs_exfat;
#endif
