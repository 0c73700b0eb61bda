/* nbd_proto.h — the NBD protocol (newstyle, fixed), server side, for one connection: option
 * haggling, then transmission, over any byte transport. It takes bytes and gives bytes, with no
 * socket in sight, so the fuzzer drives it from memory (tests/fuzz/fuzz_nbd.c) with the same
 * code the server runs.
 *
 * Written from the protocol's specification (NetworkBlockDevice/nbd, doc/proto.md). Supported:
 * NBD_OPT_EXPORT_NAME, ABORT, LIST, INFO, GO, STRUCTURED_REPLY, LIST_META_CONTEXT and
 * SET_META_CONTEXT ("base:allocation"); every other option is answered NBD_REP_ERR_UNSUP.
 * Commands: READ (structured: OFFSET_DATA / OFFSET_HOLE / ERROR_OFFSET), WRITE, TRIM,
 * WRITE_ZEROES (EPERM on a read-only export), FLUSH, DISC, BLOCK_STATUS. */
#ifndef LB_NBD_PROTO_H
#define LB_NBD_PROTO_H
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define LB_NBD_MAX_REQUEST (32u << 20)   /* longest READ / WRITE (NBD_INFO_BLOCK_SIZE maximum) */
#define LB_NBD_MAX_OPTION 65536u         /* longer option data: the client is cut off */
#define LB_NBD_MAX_OPTIONS 4096          /* options before transmission, at most */

/* NBD error values (the protocol's, not the host's errno) */
enum { LB_NBD_EPERM = 1, LB_NBD_EIO = 5, LB_NBD_ENOMEM = 12, LB_NBD_EINVAL = 22,
       LB_NBD_ENOSPC = 28, LB_NBD_EOVERFLOW = 75, LB_NBD_ENOTSUP = 95, LB_NBD_ESHUTDOWN = 108 };

/* The byte stream: read exactly len bytes / write all of len; 0, or -1 when the peer is gone
 * (or a timeout passed). transmission (may be NULL) is called once when haggling ends. */
struct lb_nbd_io {
	void *ctx;
	int (*read)(void *ctx, void *buf, size_t len);
	int (*write)(void *ctx, const void *buf, size_t len);
	void (*transmission)(void *ctx);
};

/* Bytes of read/write buffers all connections may hold at once (simple replies and writes
 * hold a whole request); shared by sessions, locked. */
struct lb_nbd_budget {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	size_t left;
};

/* The disk served. Callbacks return 0 or an LB_NBD_E* value; conn is the session's own
 * argument (a per-thread reader). map: from off, the first *run bytes (1..len) are a hole
 * reading as zeros (*hole = 1) or data. */
struct lb_nbd_export {
	void *ctx;
	const char *name;            /* what NBD_OPT_LIST shows; every name reaches this export */
	const char *description;
	uint64_t size;
	int writable;
	struct lb_nbd_budget *budget;   /* NULL: no limit */
	int (*pread)(void *ctx, void *conn, void *buf, size_t len, uint64_t off);
	int (*map)(void *ctx, void *conn, uint64_t off, uint64_t len, uint64_t *run, int *hole);
	int (*pwrite)(void *ctx, void *conn, const void *buf, size_t len, uint64_t off, int fua);
	int (*zero)(void *ctx, void *conn, uint64_t len, uint64_t off, int fua);
	int (*flush)(void *ctx, void *conn);
};

/* Runs one connection to its end: 0 after NBD_CMD_DISC or NBD_OPT_ABORT, -1 when the client
 * vanished or broke the protocol (then it is simply dropped). */
int lb_nbd_session(const struct lb_nbd_io *io, const struct lb_nbd_export *ex, void *conn);

void lb_nbd_budget_init(struct lb_nbd_budget *b, size_t bytes);
void lb_nbd_budget_destroy(struct lb_nbd_budget *b);
#endif
