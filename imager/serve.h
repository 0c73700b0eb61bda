/* serve.h — an image served as a disk over NBD (lifeboat serve): a Unix socket or TCP
 * (127.0.0.1 unless told otherwise), a thread per client up to LB_SERVE_MAX_CLIENTS, read-only
 * unless an overlay file takes the writes. */
#ifndef LB_SERVE_H
#define LB_SERVE_H
#include "lifeboat.h"

#define LB_SERVE_MAX_CLIENTS 16
#define LB_SERVE_PORT 10809          /* NBD's registered port */
#define LB_SERVE_BUDGET (96u << 20)  /* request buffers of all clients together */

struct lb_serve_opts {
	const char *image;
	const char *socket_path;     /* a Unix socket; NULL: TCP */
	const char *bind_addr;       /* TCP: NULL = 127.0.0.1 */
	int port;                    /* TCP: 0 = LB_SERVE_PORT */
	const char *overlay;         /* NULL: read-only */
	unsigned cache_chunks;       /* decoded chunks kept; 0 = the default */
	int max_clients;             /* 0 = LB_SERVE_MAX_CLIENTS */
	lb_passphrase_fn passphrase;
	void *passphrase_ctx;
	/* what happens (listening, clients, damaged chunks read), one line each, any thread */
	void (*log)(void *ctx, const char *msg);
	void *log_ctx;
	/* polled a few times a second: non-zero stops the server (clients are cut off) */
	int (*stop)(void *ctx);
	void *stop_ctx;
};

/* Serves until stop says so; 0, or an lb_code when it could not start. */
int lb_serve(const struct lb_serve_opts *o, struct lb_err *err);
#endif
