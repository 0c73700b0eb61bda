/* extents.h — a growable list of byte ranges [off, off+len), kept sorted and merged on demand. */
#ifndef LB_EXTENTS_H
#define LB_EXTENTS_H
#include <stddef.h>
#include <stdint.h>

struct lb_extent {
	uint64_t off, len;
};

struct lb_extents {
	struct lb_extent *v;
	size_t n, cap;
};

int lb_ext_add(struct lb_extents *x, uint64_t off, uint64_t len);  /* 0 or -ENOMEM */
/* Appends without merging into the previous range. */
int lb_ext_push(struct lb_extents *x, uint64_t off, uint64_t len);
void lb_ext_normalize(struct lb_extents *x);                       /* sort, merge touching */
/* Removes [off, off+len) from a normalized list. */
int lb_ext_subtract(struct lb_extents *x, uint64_t off, uint64_t len);
/* Keeps only what lies inside [off, off+len). */
void lb_ext_clip(struct lb_extents *x, uint64_t off, uint64_t len);
uint64_t lb_ext_total(const struct lb_extents *x);
void lb_ext_free(struct lb_extents *x);
#endif
