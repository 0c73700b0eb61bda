/* meta.h — the META record's body: "key=value" lines describing the source disk and the plan
 * (docs/FORMAT.md lists the keys). Unknown keys are ignored, so minor versions can add some. */
#ifndef LB_META_H
#define LB_META_H
#include <stddef.h>
#include "lifeboat.h"

/* Returns a malloc'd text (NUL-terminated), its length in *len; NULL when out of memory. */
char *lb_meta_build(const struct lb_image_info *info, size_t *len);
/* 0, or -1 with why filled (a required key missing or malformed). */
int lb_meta_parse(const char *text, size_t len, struct lb_image_info *info, char *why, size_t wl);
#endif
