/* rescue.h — reading a failing source, closer to GNU ddrescue: pass 1 skips ahead with a
 * growing distance inside a bad zone; rescue passes come back for what pass 1 left, in blocks,
 * then sector by sector (each bad sector read on its own once, again only for --retries); a
 * vanished disk stops the run instead of being taken for a zone of bad sectors. */
#ifndef LB_RESCUE_H
#define LB_RESCUE_H
#include "chunker.h"
#include "progress.h"

/* Pass 1 (the ordinary chunks): reads [off, off+len) into buf; a part that fails, or that lies
 * in the distance skipped after a failure, is zero-filled and noted for the rescue passes.
 * Returns 0 (all read), 1 (something zero-filled) or -lb_code with err filled (the disk
 * vanished, out of memory, cancelled). */
int lb_rescue_pass1(struct lb_chunker *c, uint8_t *buf, uint32_t len, uint64_t off,
                    struct lb_err *err);
/* The producer of the rescue passes: patch chunks of what can now be read. */
/* The pipeline tick of a run that reads a source (backup, clone): keeps the mapfile, updates
 * the progress and, when it asks to stop, tells the producer (deep in a rescue pass perhaps)
 * through the chunker's cancel flag. Non-zero cancels. */
int lb_rescue_tick(struct lb_chunker *c, struct lb_prog *prog, uint64_t done);
int lb_rescue_produce(struct lb_chunker *c, struct lb_slot *s, struct lb_err *err);
/* Unreadable ranges known before this run (a mapfile's '-'): not read again unless retries. */
int lb_rescue_known_bad(struct lb_chunker *c, const struct lb_extents *bad);
/* Names what the unreadable ranges hit, partition by partition, where the filesystem can,
 * into rep->damage; and copies them to rep->bad/nbad/bad_bytes. */
void lb_rescue_report(const struct lb_plan *plan, struct lb_dev *src, const struct lb_extents *bad,
                      struct lb_report *rep);
#endif
