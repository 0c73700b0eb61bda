/* overlay.h — a copy-on-write file that takes the writes made to a served image, so the image
 * is never touched (lifeboat serve --overlay FILE). Granularity 4 KiB: a partial write of a
 * block not yet in the overlay first copies the block from the image.
 *
 * File layout (little-endian; docs/ENGINE.md):
 *   0    8  magic "LBOVRLY1"
 *   8    4  version 1          12   4  block size (4096)
 *   16   8  disk size (bytes)  24   8  image id (segment header): the image it belongs to
 *   32   8  bitmap offset (4096)        40   8  data offset
 *   48..4095 zero
 *   bitmap: one bit per block, block i = byte i / 8, bit i % 8 (LSB first); 1 = the block's
 *           bytes are in the data area
 *   data:   the disk's bytes at data offset + disk offset (a sparse file: only written blocks
 *           take space)
 * An existing overlay is reused when its size and image id match (the writes of an earlier run
 * are seen again); another image's overlay is refused. */
#ifndef LB_OVERLAY_H
#define LB_OVERLAY_H
#include <stddef.h>
#include <stdint.h>
#include "imgread.h"

struct lb_overlay;

int lb_overlay_open(struct lb_overlay **out, const char *path, uint64_t size, uint64_t image_id,
                    struct lb_err *err);
void lb_overlay_close(struct lb_overlay *o);
/* The disk as written: the overlay's blocks over the image's (w reads those). */
int lb_overlay_pread(struct lb_overlay *o, struct lb_imgread_worker *w, void *buf, size_t len,
                     uint64_t off, struct lb_err *err);
/* As lb_imgread_map, with the overlay's blocks as data. */
int lb_overlay_map(struct lb_overlay *o, struct lb_imgread_worker *w, uint64_t off, uint64_t len,
                   int *data, uint64_t *run, struct lb_err *err);
int lb_overlay_pwrite(struct lb_overlay *o, struct lb_imgread_worker *w, const void *buf,
                      size_t len, uint64_t off, struct lb_err *err);
int lb_overlay_zero(struct lb_overlay *o, struct lb_imgread_worker *w, uint64_t len, uint64_t off,
                    struct lb_err *err);
int lb_overlay_flush(struct lb_overlay *o, struct lb_err *err);
#endif
