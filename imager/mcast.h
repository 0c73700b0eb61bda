/* mcast.h — multicast to a room: one image sent once by udpcast's udp-sender, restored by
 * every machine that runs `lifeboat restore multicast://IF TARGET` (udp-receiver feeding the
 * restore-from-a-stream path, so every chunk is checked and the target read back against the
 * chunk checksums, as in any restore from a pipe).
 *
 * The report channel (udpcast has none for results): the sender listens on TCP port
 * LB_MCAST_REPORT_PORT. A receiver connects to the address udp-receiver says it is
 * "Connected ... to", as soon as it says it, and sends one line
 *     LIFEBOAT-MCAST 1 HELLO host=NAME disk=TARGET
 * keeps the connection open while it writes and reads back, then sends
 *     LIFEBOAT-MCAST 1 RESULT ok|failed seconds=S disk=TARGET msg=TEXT
 * and closes. Values are %-escaped (no space, no control character inside). A connection that
 * closes without a RESULT is a receiver that died; TCP keepalive on the sender finds one whose
 * machine vanished; a receiver udp-sender counted but that never said HELLO is "no report". */
#ifndef LB_MCAST_H
#define LB_MCAST_H
#include <stddef.h>
#include "lifeboat.h"

#define LB_MCAST_REPORT_PORT 9002   /* udpcast's port base 9000 uses 9000 and 9001 */
#define LB_MCAST_MAGIC "LIFEBOAT-MCAST 1 "

/* ---- parsing (mcast_proto.c; tests/unit/test_mcast.c) ---------------------------------- */

enum lb_mcast_ev { LB_MEV_NONE, LB_MEV_JOIN, LB_MEV_DROP, LB_MEV_DONE, LB_MEV_START,
                   LB_MEV_COMPLETE };
/* One line of udp-sender's messages: "New connection from 10.0.0.2  (#0) 00000019" (JOIN,
 * addr, id), "Dropping client #1 because of timeout" (DROP, id), "Disconnecting #0
 * (10.0.0.2)" (DONE, id, addr), "Starting transfer" (START), "Transfer complete" (COMPLETE). */
int lb_mcast_sender_line(const char *line, char *addr, size_t cap, int *id);
/* udp-receiver's "Connected as #1 to 10.0.0.1": 0 and the sender's address, else -1. */
int lb_mcast_receiver_line(const char *line, char *addr, size_t cap);

struct lb_mcast_msg {
	int hello;               /* 1 HELLO, 0 RESULT */
	int ok;                  /* RESULT ok */
	double seconds;
	char host[128], disk[256], msg[512];
};
/* Formats a message line (with its '\n'); returns its length, or -1 when cap is too small. */
int lb_mcast_fmt_hello(char *buf, size_t cap, const char *host, const char *disk);
int lb_mcast_fmt_result(char *buf, size_t cap, int ok, double seconds, const char *disk,
                        const char *msg);
/* Parses one line (without or with its '\n'); 0, or -1 for anything else. Values come out
 * decoded and sanitized (they are shown on the sender's screen). */
int lb_mcast_parse(const char *line, struct lb_mcast_msg *m);

/* multicast://IF or multicast://auto (case-insensitive scheme); IF: an interface name. */
int lb_mcast_parse_url(const char *url, char *iface, size_t cap, struct lb_err *err);
/* "auto": the first wired (not wireless, not loopback) interface that is up and has an IPv4
 * address; else checks that iface exists. Fills out with the name. */
int lb_mcast_iface(const char *iface, char *out, size_t cap, struct lb_err *err);

/* ---- the sender (mcast_send.c) ---------------------------------------------------------- */

struct lb_mcast_row {
	char addr[64];           /* the receiver's IPv4 address */
	char host[128], disk[256];
	char result[600];        /* "ok", "failed: ...", "died: ...", "no report", ... */
	int ok;
	double seconds;          /* transfer start to its result (its own restore time when the
	                          * start was not seen); 0 unknown */
	int udp_id;              /* udp-sender's #N, -1 none */
	int dropped;             /* udp-sender dropped it */
	int fd;                  /* report connection, -1 none */
	char buf[2048];
	size_t blen;
	int done;                /* RESULT received, or the connection ended */
};

struct lb_mcast_send_opts {
	const char *image;
	int receivers;           /* udp-sender --min-receivers */
	const char *iface;       /* NULL or "auto" */
	int max_wait;            /* seconds after the first receiver before starting anyway */
	const char *max_bitrate; /* udp-sender --max-bitrate, NULL none */
	int retries_until_drop;  /* udp-sender --retries-until-drop */
	int report_timeout;      /* seconds to wait for results after the transfer ends */
	/* each line udp-sender prints; returns non-zero to cancel. May be NULL. */
	int (*note)(void *ctx, const char *line);
	void *note_ctx;
};

struct lb_mcast_result {
	struct lb_mcast_row *rows;
	int nrows;
	int sender_status;       /* udp-sender's exit status (-1: signal) */
	char sender_msg[400];    /* its last message that is not progress */
	char iface[64];
	double seconds;
};

/* Sends the image and collects the reports. Returns 0 when the transfer ran (even when
 * receivers failed: the rows say which); an error when it could not start or was cancelled.
 * res is filled in both cases; free it with lb_mcast_result_free. */
int lb_mcast_send(const struct lb_mcast_send_opts *o, struct lb_mcast_result *res,
                  struct lb_err *err);
void lb_mcast_result_free(struct lb_mcast_result *res);

/* ---- the receiver (mcast_recv.c), a repository kind (repo.h) ---------------------------- */

struct lb_repo;
/* The target the front end will write: named in the HELLO line (set before lb_repo_open;
 * without one, lb_repo_open refuses multicast://: only restore receives). */
void lb_mcast_set_target(const char *target);
/* The restore's result, sent as RESULT by lb_repo_close (a transfer failure found there
 * turns ok into failed). */
void lb_mcast_set_result(struct lb_repo *r, int ok, double seconds, const char *msg);
int lb_mcast_open(struct lb_repo *r, struct lb_err *err);
int lb_mcast_close(struct lb_repo *r, int ok, struct lb_err *err);
#endif
