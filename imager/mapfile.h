/* mapfile.h — a GNU ddrescue-compatible mapfile of what a backup read: '+' read, '-' still
 * unreadable, '?' not tried (outside the plan: free blocks, swap contents). */
#ifndef LB_MAPFILE_H
#define LB_MAPFILE_H
#include "extents.h"
#include "lifeboat.h"
int lb_write_mapfile(const char *path, uint64_t size, const struct lb_extents *read,
                     const struct lb_extents *bad, struct lb_err *err);
#endif
