/* imgread.h — an image read like a disk: random access to any byte range of the source's
 * address space through the image's index (serve, export). A range goes through the index to
 * its chunk, the chunk is decoded and checked (payload CRC, XXH3-128 or 1.x CRC, the tag when
 * encrypted) and kept in a small shared cache of decoded chunks; ranges in no chunk read as
 * zeros (restore leaves them as the target had them; a blank target has zeros there). A chunk
 * that fails its checks is an error on the ranges it covers, never data.
 *
 * One struct lb_imgread is shared by threads; each thread reads through its own worker
 * (decoder and buffers). Memory: cache_chunks decoded chunks (chunk_size each, 1 MiB as
 * written), 4 pieces of the index (96 KiB each), and per worker about 2.5 chunks. */
#ifndef LB_IMGREAD_H
#define LB_IMGREAD_H
#include <stddef.h>
#include <stdint.h>
#include "lifeboat.h"

struct lb_imgread;
struct lb_imgread_worker;

#define LB_IMGREAD_CACHE 32          /* decoded chunks kept by default */

/* Opens an image file (not a pipe), asking for the passphrase of an encrypted one through
 * ask (NULL: an encrypted image fails with LB_EKEY). Reads and checks the whole index. */
int lb_imgread_open(struct lb_imgread **out, const char *path, lb_passphrase_fn ask,
                    void *ask_ctx, unsigned cache_chunks, struct lb_err *err);
void lb_imgread_close(struct lb_imgread *r);
/* The source disk's size in bytes (what is served), and the image's description. */
uint64_t lb_imgread_size(const struct lb_imgread *r);
const struct lb_image_info *lb_imgread_info(const struct lb_imgread *r);
/* The image id (segment header): overlays remember which image they belong to. */
uint64_t lb_imgread_id(const struct lb_imgread *r);

/* Per thread: NULL when out of memory. */
struct lb_imgread_worker *lb_imgread_worker_new(struct lb_imgread *r);
void lb_imgread_worker_free(struct lb_imgread_worker *w);

/* len bytes of the disk at off (off + len <= size). 0, or LB_EDAMAGED (a chunk of the range
 * fails its checks; err names it), LB_EIO (reading the image failed), LB_EUSAGE (outside the
 * disk), LB_ENOMEM. */
int lb_imgread_pread(struct lb_imgread_worker *w, void *buf, size_t len, uint64_t off,
                     struct lb_err *err);

/* What the image holds from off on: *data = 1 when the range [off, off + *run) holds data (a
 * chunk with data, or one that cannot be decoded: reading it gives the error), 0 when it reads
 * as zeros without being stored (in no chunk, or in a zero chunk). *run >= 1, and no more than
 * len or the disk's end. 0 or an lb_code. */
int lb_imgread_map(struct lb_imgread_worker *w, uint64_t off, uint64_t len, int *data,
                   uint64_t *run, struct lb_err *err);
#endif
