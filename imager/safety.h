/* safety.h — "the right disk, or nothing": the checks every destructive operation makes, and
 * the backup's check that the image is not being written onto its own source. */
#ifndef LB_SAFETY_H
#define LB_SAFETY_H
#include "blockdev.h"
#include "lifeboat.h"

/* Refuses a restore/clone target that is in use (mounted, swap, held), that stores the image
 * (image may be NULL or "-"), or that is, contains or lies inside the source (may be NULL). */
int lb_check_target(const char *target, const char *image, const char *source,
                    struct lb_err *err);
/* Refuses an image path that lives on the backup's source disk (or is the source file). */
int lb_check_image_dest(const struct lb_dev *src, const char *image, struct lb_err *err);
/* Refuses a backup or clone source (verb: "back up", "clone") that is empty (0 bytes: no
 * medium, an unattached loop device) or has a filesystem mounted read-write on it — the disk,
 * a partition of it, or a loop device over the source file — since it would change while it
 * is copied. allow_mounted permits the latter. note (may be NULL) gets a sentence for the
 * report when the source is mounted: read-write (crash-consistent at best) or read-only. */
int lb_check_source(const struct lb_dev *src, const char *verb, int allow_mounted, char *note,
                    size_t len, struct lb_err *err);
#endif
