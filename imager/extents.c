/* Byte-range lists: the currency between filesystems, the planner and the pipeline. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "extents.h"

int lb_ext_add(struct lb_extents *x, uint64_t off, uint64_t len)
{
	if (!len)
		return 0;
	/* Appending to the last range is the common case (bitmap walks go in order). */
	if (x->n && x->v[x->n - 1].off + x->v[x->n - 1].len == off) {
		x->v[x->n - 1].len += len;
		return 0;
	}
	return lb_ext_push(x, off, len);
}

static int grow(struct lb_extents *x)
{
	size_t cap = x->cap ? x->cap * 2 : 64;
	struct lb_extent *v = realloc(x->v, cap * sizeof *v);
	if (!v)
		return -ENOMEM;
	x->v = v;
	x->cap = cap;
	return 0;
}

int lb_ext_push(struct lb_extents *x, uint64_t off, uint64_t len)
{
	if (x->n == x->cap && grow(x))
		return -ENOMEM;
	x->v[x->n].off = off;
	x->v[x->n].len = len;
	x->n++;
	return 0;
}

static int cmp_ext(const void *a, const void *b)
{
	const struct lb_extent *x = a, *y = b;
	return x->off < y->off ? -1 : x->off > y->off;
}

void lb_ext_normalize(struct lb_extents *x)
{
	size_t i, o = 0;
	if (!x->n)
		return;
	qsort(x->v, x->n, sizeof *x->v, cmp_ext);
	for (i = 1; i < x->n; i++) {
		struct lb_extent *last = &x->v[o];
		uint64_t end = last->off + last->len;
		if (x->v[i].off <= end) {
			uint64_t e2 = x->v[i].off + x->v[i].len;
			if (e2 > end)
				last->len = e2 - last->off;
		} else {
			x->v[++o] = x->v[i];
		}
	}
	x->n = o + 1;
}

int lb_ext_subtract(struct lb_extents *x, uint64_t off, uint64_t len)
{
	uint64_t end = off + len;
	size_t i;
	for (i = 0; i < x->n; i++) {
		struct lb_extent *e = &x->v[i];
		uint64_t eend = e->off + e->len;
		if (eend <= off || e->off >= end)
			continue;
		if (e->off < off && eend > end) {
			/* Split: keep the head here, insert the tail after it. */
			if (x->n == x->cap) {
				if (grow(x))
					return -ENOMEM;
				e = &x->v[i];
			}
			memmove(&x->v[i + 2], &x->v[i + 1], (x->n - i - 1) * sizeof *x->v);
			x->n++;
			x->v[i + 1].off = end;
			x->v[i + 1].len = eend - end;
			e->len = off - e->off;
			i++;
			continue;
		}
		if (e->off < off) {
			e->len = off - e->off;
		} else if (eend > end) {
			e->len = eend - end;
			e->off = end;
		} else {
			memmove(e, e + 1, (x->n - i - 1) * sizeof *x->v);
			x->n--;
			i--;
		}
	}
	return 0;
}

void lb_ext_clip(struct lb_extents *x, uint64_t off, uint64_t len)
{
	uint64_t end = off + len;
	size_t i, o = 0;
	for (i = 0; i < x->n; i++) {
		uint64_t s = x->v[i].off, e = s + x->v[i].len;
		if (s < off)
			s = off;
		if (e > end)
			e = end;
		if (s < e) {
			x->v[o].off = s;
			x->v[o].len = e - s;
			o++;
		}
	}
	x->n = o;
}

uint64_t lb_ext_total(const struct lb_extents *x)
{
	uint64_t t = 0;
	for (size_t i = 0; i < x->n; i++)
		t += x->v[i].len;
	return t;
}

void lb_ext_free(struct lb_extents *x)
{
	free(x->v);
	memset(x, 0, sizeof *x);
}
