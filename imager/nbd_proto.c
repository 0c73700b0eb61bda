/* The NBD server protocol for one connection: every length a client sends is checked before it
 * is used, nothing it sends decides how much memory is held beyond LB_NBD_MAX_REQUEST (and
 * that only through the shared budget), and a client that breaks the protocol is dropped. */
#include <stdlib.h>
#include <string.h>
#include "nbd_proto.h"

#define NBDMAGIC 0x4e42444d41474943ull       /* "NBDMAGIC" */
#define IHAVEOPT 0x49484156454f5054ull       /* "IHAVEOPT" */
#define REPLY_MAGIC 0x3e889045565a9ull       /* option replies */
#define REQ_MAGIC 0x25609513u
#define SIMPLE_MAGIC 0x67446698u
#define STRUCT_MAGIC 0x668e33efu

#define FLAG_FIXED_NEWSTYLE 1u
#define FLAG_NO_ZEROES 2u

enum { OPT_EXPORT_NAME = 1, OPT_ABORT = 2, OPT_LIST = 3, OPT_INFO = 6, OPT_GO = 7,
       OPT_STRUCTURED_REPLY = 8, OPT_LIST_META_CONTEXT = 9, OPT_SET_META_CONTEXT = 10 };
#define REP_ACK 1u
#define REP_SERVER 2u
#define REP_INFO 3u
#define REP_META_CONTEXT 4u
#define REP_ERR_UNSUP 0x80000001u
#define REP_ERR_INVALID 0x80000003u
#define REP_ERR_TOO_BIG 0x80000009u
enum { INFO_EXPORT = 0, INFO_NAME = 1, INFO_DESCRIPTION = 2, INFO_BLOCK_SIZE = 3 };

enum { TF_HAS_FLAGS = 1 << 0, TF_READ_ONLY = 1 << 1, TF_SEND_FLUSH = 1 << 2,
       TF_SEND_FUA = 1 << 3, TF_SEND_TRIM = 1 << 5, TF_SEND_WRITE_ZEROES = 1 << 6,
       TF_CAN_MULTI_CONN = 1 << 8 };
enum { CMD_READ = 0, CMD_WRITE = 1, CMD_DISC = 2, CMD_FLUSH = 3, CMD_TRIM = 4,
       CMD_WRITE_ZEROES = 6, CMD_BLOCK_STATUS = 7 };
#define CMDF_FUA 1u
#define CMDF_REQ_ONE 8u
enum { RT_NONE = 0, RT_OFFSET_DATA = 1, RT_OFFSET_HOLE = 2, RT_BLOCK_STATUS = 5,
       RT_ERROR = 0x8001, RT_ERROR_OFFSET = 0x8002 };
#define REPLY_DONE 1u
#define STATE_HOLE 1u
#define STATE_ZERO 2u
#define META_ID 1u                  /* base:allocation */
#define BASE_ALLOC "base:allocation"
#define PIECE (1u << 20)            /* structured reads go out in pieces of this size */
#define MAX_EXTENTS 1024            /* block status descriptors per reply */

struct sess {
	const struct lb_nbd_io *io;
	const struct lb_nbd_export *ex;
	void *conn;
	int structured, meta, no_zeroes;
	uint16_t tflags;
};

static void be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = (uint8_t)v;
}
static void be32(uint8_t *p, uint32_t v)
{
	be16(p, v >> 16);
	be16(p + 2, (uint16_t)v);
}
static void be64(uint8_t *p, uint64_t v)
{
	be32(p, v >> 32);
	be32(p + 4, (uint32_t)v);
}
static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}
static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)rd16(p) << 16 | rd16(p + 2);
}
static uint64_t rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) << 32 | rd32(p + 4);
}

void lb_nbd_budget_init(struct lb_nbd_budget *b, size_t bytes)
{
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->cond, NULL);
	b->left = bytes;
}

void lb_nbd_budget_destroy(struct lb_nbd_budget *b)
{
	pthread_mutex_destroy(&b->lock);
	pthread_cond_destroy(&b->cond);
}

/* A buffer of n bytes (n <= LB_NBD_MAX_REQUEST) within the budget; waits for other sessions
 * to give theirs back rather than grow. */
static void *take(struct sess *s, size_t n)
{
	struct lb_nbd_budget *b = s->ex->budget;
	void *p;
	if (b) {
		pthread_mutex_lock(&b->lock);
		while (b->left < n)
			pthread_cond_wait(&b->cond, &b->lock);
		b->left -= n;
		pthread_mutex_unlock(&b->lock);
	}
	if (!(p = malloc(n ? n : 1)) && b) {
		pthread_mutex_lock(&b->lock);
		b->left += n;
		pthread_cond_broadcast(&b->cond);
		pthread_mutex_unlock(&b->lock);
	}
	return p;
}

static void give(struct sess *s, void *p, size_t n)
{
	struct lb_nbd_budget *b = s->ex->budget;
	if (!p)
		return;
	free(p);
	if (b) {
		pthread_mutex_lock(&b->lock);
		b->left += n;
		pthread_cond_broadcast(&b->cond);
		pthread_mutex_unlock(&b->lock);
	}
}

static int put(struct sess *s, const void *p, size_t n)
{
	return n ? s->io->write(s->io->ctx, p, n) : 0;
}

static int get(struct sess *s, void *p, size_t n)
{
	return n ? s->io->read(s->io->ctx, p, n) : 0;
}

/* Reads and drops n bytes (a request's payload that is refused). */
static int skip(struct sess *s, uint64_t n)
{
	uint8_t buf[4096];
	while (n) {
		size_t k = n < sizeof buf ? (size_t)n : sizeof buf;
		if (get(s, buf, k))
			return -1;
		n -= k;
	}
	return 0;
}

/* ---- option haggling ------------------------------------------------------------------- */

static int opt_reply(struct sess *s, uint32_t opt, uint32_t type, const void *data, uint32_t len)
{
	uint8_t h[20];
	be64(h, REPLY_MAGIC);
	be32(h + 8, opt);
	be32(h + 12, type);
	be32(h + 16, len);
	return put(s, h, sizeof h) || put(s, data, len) ? -1 : 0;
}

static int export_info(struct sess *s, uint32_t opt)
{
	uint8_t b[12];
	be16(b, INFO_EXPORT);
	be64(b + 2, s->ex->size);
	be16(b + 10, s->tflags);
	return opt_reply(s, opt, REP_INFO, b, 12);
}

static int info_string(struct sess *s, uint32_t opt, uint16_t type, const char *str)
{
	uint8_t b[2 + 4096];
	size_t n = str ? strlen(str) : 0;
	if (n > 4096)
		n = 4096;
	be16(b, type);
	if (n)
		memcpy(b + 2, str, n);
	return opt_reply(s, opt, REP_INFO, b, (uint32_t)(2 + n));
}

/* NBD_OPT_INFO / NBD_OPT_GO: u32 name length, name, u16 count, count u16 info requests.
 * 1 = go to transmission, 0 = haggle on, -1 = drop. */
static int opt_info(struct sess *s, uint32_t opt, const uint8_t *d, uint32_t len)
{
	uint32_t nlen;
	uint16_t nreq;
	int name = 0, desc = 0, bsize = 0;
	if (len < 6 || (nlen = rd32(d)) > len - 6 ||
	    (nreq = rd16(d + 4 + nlen), 6 + (uint64_t)nlen + 2 * (uint64_t)nreq != len))
		return opt_reply(s, opt, REP_ERR_INVALID, NULL, 0);
	for (uint16_t i = 0; i < nreq; i++) {
		uint16_t t = rd16(d + 6 + nlen + 2 * i);
		name |= t == INFO_NAME;
		desc |= t == INFO_DESCRIPTION;
		bsize |= t == INFO_BLOCK_SIZE;
	}
	if (export_info(s, opt) ||
	    (name && info_string(s, opt, INFO_NAME, s->ex->name)) ||
	    (desc && info_string(s, opt, INFO_DESCRIPTION, s->ex->description)))
		return -1;
	if (bsize) {
		uint8_t b[14];
		be16(b, INFO_BLOCK_SIZE);
		be32(b + 2, 1);
		be32(b + 6, 4096);
		be32(b + 10, LB_NBD_MAX_REQUEST);
		if (opt_reply(s, opt, REP_INFO, b, sizeof b))
			return -1;
	}
	if (opt_reply(s, opt, REP_ACK, NULL, 0))
		return -1;
	return opt == OPT_GO;
}

/* NBD_OPT_{LIST,SET}_META_CONTEXT: u32 name length, name, u32 count, count of (u32 length,
 * query). We have one context, base:allocation. */
static int opt_meta(struct sess *s, uint32_t opt, const uint8_t *d, uint32_t len)
{
	static const char ctx[] = BASE_ALLOC;
	uint32_t nlen, nq, at;
	int want = 0;
	if (opt == OPT_SET_META_CONTEXT && !s->structured)
		return opt_reply(s, opt, REP_ERR_INVALID, NULL, 0);
	if (len < 8 || (nlen = rd32(d)) > len - 8)
		return opt_reply(s, opt, REP_ERR_INVALID, NULL, 0);
	nq = rd32(d + 4 + nlen);
	at = 8 + nlen;
	for (uint32_t i = 0; i < nq; i++) {
		uint32_t ql;
		if (len - at < 4 || (ql = rd32(d + at)) > len - at - 4)
			return opt_reply(s, opt, REP_ERR_INVALID, NULL, 0);
		at += 4;
		if ((ql == sizeof ctx - 1 && !memcmp(d + at, ctx, ql)) ||
		    (opt == OPT_LIST_META_CONTEXT && ql == 5 && !memcmp(d + at, "base:", 5)))
			want = 1;
		at += ql;
	}
	if (at != len)
		return opt_reply(s, opt, REP_ERR_INVALID, NULL, 0);
	if (!nq && opt == OPT_LIST_META_CONTEXT)
		want = 1;            /* an empty list asks for every context */
	if (opt == OPT_SET_META_CONTEXT)
		s->meta = want;      /* each SET replaces what was chosen before */
	if (want) {
		uint8_t b[4 + sizeof ctx];
		be32(b, META_ID);
		memcpy(b + 4, ctx, sizeof ctx - 1);
		if (opt_reply(s, opt, REP_META_CONTEXT, b, (uint32_t)(4 + sizeof ctx - 1)))
			return -1;
	}
	return opt_reply(s, opt, REP_ACK, NULL, 0);
}

/* One option; 1 = transmission begins, 0 = next option, -1 = drop, 2 = client aborted. */
static int option(struct sess *s, uint32_t opt, const uint8_t *d, uint32_t len)
{
	switch (opt) {
	case OPT_EXPORT_NAME: {
		uint8_t b[10 + 124];
		memset(b, 0, sizeof b);
		be64(b, s->ex->size);
		be16(b + 8, s->tflags);
		return put(s, b, s->no_zeroes ? 10 : sizeof b) ? -1 : 1;
	}
	case OPT_ABORT:
		opt_reply(s, opt, REP_ACK, NULL, 0);   /* the client may be gone already */
		return 2;
	case OPT_LIST: {
		uint8_t b[4 + 4096];
		size_t n = s->ex->name ? strlen(s->ex->name) : 0;
		if (len)
			return opt_reply(s, opt, REP_ERR_INVALID, NULL, 0);
		n = n > 4096 ? 4096 : n;
		be32(b, (uint32_t)n);
		if (n)
			memcpy(b + 4, s->ex->name, n);
		if (opt_reply(s, opt, REP_SERVER, b, (uint32_t)(4 + n)))
			return -1;
		return opt_reply(s, opt, REP_ACK, NULL, 0);
	}
	case OPT_INFO:
	case OPT_GO:
		return opt_info(s, opt, d, len);
	case OPT_STRUCTURED_REPLY:
		if (len || s->structured)
			return opt_reply(s, opt, REP_ERR_INVALID, NULL, 0);
		s->structured = 1;
		return opt_reply(s, opt, REP_ACK, NULL, 0);
	case OPT_LIST_META_CONTEXT:
	case OPT_SET_META_CONTEXT:
		return opt_meta(s, opt, d, len);
	default:                 /* STARTTLS, EXTENDED_HEADERS, anything newer */
		return opt_reply(s, opt, REP_ERR_UNSUP, NULL, 0);
	}
}

static int haggle(struct sess *s)
{
	uint8_t h[18], *d = malloc(LB_NBD_MAX_OPTION);
	int rc = -1;
	if (!d)
		return -1;
	be64(h, NBDMAGIC);
	be64(h + 8, IHAVEOPT);
	be16(h + 16, FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES);
	if (put(s, h, 18) || get(s, h, 4))
		goto out;
	if (rd32(h) & ~(FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES))
		goto out;            /* flags we do not know: the protocol says to drop */
	s->no_zeroes = !!(rd32(h) & FLAG_NO_ZEROES);
	for (int n = 0; n < LB_NBD_MAX_OPTIONS; n++) {
		uint32_t opt, len;
		if (get(s, h, 16) || rd64(h) != IHAVEOPT)
			goto out;
		opt = rd32(h + 8);
		len = rd32(h + 12);
		if (len > LB_NBD_MAX_OPTION)
			goto out;        /* names are at most 4096 bytes: this is hostile or broken */
		if (get(s, d, len))
			goto out;
		rc = option(s, opt, d, len);
		if (rc == 2) {
			rc = 0;
			goto out_abort;
		}
		if (rc)
			goto out;
	}
	rc = -1;                 /* endless haggling */
	goto out;
out_abort:
	free(d);
	return 2;
out:
	free(d);
	return rc;
}

/* ---- transmission ---------------------------------------------------------------------- */

static int simple(struct sess *s, uint64_t cookie, uint32_t error, const void *data, size_t n)
{
	uint8_t h[16];
	be32(h, SIMPLE_MAGIC);
	be32(h + 4, error);
	be64(h + 8, cookie);
	return put(s, h, sizeof h) || (!error && put(s, data, n)) ? -1 : 0;
}

static int chunk(struct sess *s, uint64_t cookie, uint16_t flags, uint16_t type,
                 const void *p1, uint32_t n1, const void *p2, uint32_t n2)
{
	uint8_t h[20];
	be32(h, STRUCT_MAGIC);
	be16(h + 4, flags);
	be16(h + 6, type);
	be64(h + 8, cookie);
	be32(h + 16, n1 + n2);
	return put(s, h, sizeof h) || put(s, p1, n1) || put(s, p2, n2) ? -1 : 0;
}

/* An error for a command: a structured ERROR chunk when structured replies are on (required for
 * READ and BLOCK_STATUS), else a simple reply. */
static int fail(struct sess *s, uint64_t cookie, uint32_t error, int want_structured)
{
	if (s->structured && want_structured) {
		uint8_t b[6];
		be32(b, error);
		be16(b + 4, 0);
		return chunk(s, cookie, REPLY_DONE, RT_ERROR, b, 6, NULL, 0);
	}
	return simple(s, cookie, error, NULL, 0);
}

static int read_structured(struct sess *s, uint64_t cookie, uint64_t off, uint32_t len)
{
	uint8_t *buf = take(s, len < PIECE ? len : PIECE);
	size_t cap = len < PIECE ? len : PIECE;
	int rc = 0, e = 0;
	if (!buf)
		return fail(s, cookie, LB_NBD_ENOMEM, 1);
	while (len && !rc) {
		uint64_t run = 0;
		int hole = 0;
		uint8_t b[12];
		if ((e = s->ex->map(s->ex->ctx, s->conn, off, len, &run, &hole)))
			break;
		if (run > len || !run)
			run = len;
		if (hole) {
			be64(b, off);
			be32(b + 8, (uint32_t)run);
			rc = chunk(s, cookie, 0, RT_OFFSET_HOLE, b, 12, NULL, 0);
		} else {
			if (run > cap)
				run = cap;
			if ((e = s->ex->pread(s->ex->ctx, s->conn, buf, (size_t)run, off)))
				break;
			be64(b, off);
			rc = chunk(s, cookie, 0, RT_OFFSET_DATA, b, 8, buf, (uint32_t)run);
		}
		off += run;
		len -= (uint32_t)run;
	}
	give(s, buf, cap);
	if (rc)
		return -1;
	if (e) {
		/* the range that failed, so the client knows which bytes it lacks */
		static const char msg[] = "the image's chunk here is damaged";
		uint8_t b[6 + sizeof msg - 1 + 8];
		be32(b, (uint32_t)e);
		be16(b + 4, sizeof msg - 1);
		memcpy(b + 6, msg, sizeof msg - 1);
		be64(b + 6 + sizeof msg - 1, off);
		return chunk(s, cookie, REPLY_DONE, RT_ERROR_OFFSET, b, sizeof b, NULL, 0);
	}
	return chunk(s, cookie, REPLY_DONE, RT_NONE, NULL, 0, NULL, 0);
}

static int read_simple(struct sess *s, uint64_t cookie, uint64_t off, uint32_t len)
{
	uint8_t *buf = take(s, len);
	int e, rc;
	if (!buf)
		return simple(s, cookie, LB_NBD_ENOMEM, NULL, 0);
	e = s->ex->pread(s->ex->ctx, s->conn, buf, len, off);
	rc = simple(s, cookie, (uint32_t)e, buf, len);
	give(s, buf, len);
	return rc;
}

static int block_status(struct sess *s, uint64_t cookie, uint16_t flags, uint64_t off,
                        uint32_t len)
{
	uint8_t *b = malloc(4 + 8 * MAX_EXTENTS);
	uint32_t n = 0, last = 0;
	int e = 0, rc;
	if (!b)
		return fail(s, cookie, LB_NBD_ENOMEM, 1);
	be32(b, META_ID);
	while (len && n < MAX_EXTENTS) {
		uint64_t run = 0;
		int hole = 0;
		uint32_t st;
		if ((e = s->ex->map(s->ex->ctx, s->conn, off, len, &run, &hole)))
			break;
		if (run > len || !run)
			run = len;
		st = hole ? STATE_HOLE | STATE_ZERO : 0;
		if (n && st == last) {        /* one descriptor for neighbours of one kind */
			uint8_t *p = b + 4 + 8 * (n - 1);
			be32(p, rd32(p) + (uint32_t)run);
		} else {
			be32(b + 4 + 8 * n, (uint32_t)run);
			be32(b + 8 + 8 * n, st);
			n++;
			last = st;
		}
		off += run;
		len -= (uint32_t)run;
		if (flags & CMDF_REQ_ONE)
			break;           /* one descriptor asked for */
	}
	if (!n) {
		free(b);
		return fail(s, cookie, e ? (uint32_t)e : LB_NBD_EIO, 1);
	}
	rc = chunk(s, cookie, REPLY_DONE, RT_BLOCK_STATUS, b, 4 + 8 * n, NULL, 0);
	free(b);
	return rc;
}

/* A request is within the disk and the size limit. 0, or the error to answer. */
static uint32_t bounds(const struct sess *s, uint16_t type, uint64_t off, uint32_t len)
{
	if ((type == CMD_READ || type == CMD_WRITE) && len > LB_NBD_MAX_REQUEST)
		return s->structured && type == CMD_READ ? LB_NBD_EOVERFLOW : LB_NBD_EINVAL;
	if (off > s->ex->size || len > s->ex->size - off)
		return type == CMD_READ || type == CMD_BLOCK_STATUS ? LB_NBD_EINVAL : LB_NBD_ENOSPC;
	return 0;
}

static int transmission(struct sess *s)
{
	uint8_t h[28];
	for (;;) {
		uint16_t flags, type;
		uint64_t cookie, off;
		uint32_t len, e;
		if (get(s, h, sizeof h) || rd32(h) != REQ_MAGIC)
			return -1;
		flags = rd16(h + 4);
		type = rd16(h + 6);
		cookie = rd64(h + 8);
		off = rd64(h + 16);
		len = rd32(h + 24);
		e = bounds(s, type, off, len);
		switch (type) {
		case CMD_READ:
			if (e || !len) {
				if (fail(s, cookie, e ? e : LB_NBD_EINVAL, 1))
					return -1;
			} else if ((s->structured ? read_structured(s, cookie, off, len)
			                          : read_simple(s, cookie, off, len)))
				return -1;
			break;
		case CMD_WRITE: {
			uint8_t *buf;
			if (len > LB_NBD_MAX_REQUEST)
				return -1;   /* its payload cannot be taken in: the stream is lost */
			if (!s->ex->writable || e) {
				if (skip(s, len) || simple(s, cookie, s->ex->writable ? e : LB_NBD_EPERM,
				                           NULL, 0))
					return -1;
				break;
			}
			if (!(buf = take(s, len)))
				return -1;
			if (get(s, buf, len)) {
				give(s, buf, len);
				return -1;
			}
			e = (uint32_t)s->ex->pwrite(s->ex->ctx, s->conn, buf, len, off, flags & CMDF_FUA);
			give(s, buf, len);
			if (simple(s, cookie, e, NULL, 0))
				return -1;
			break;
		}
		case CMD_TRIM:
		case CMD_WRITE_ZEROES:
			if (!s->ex->writable)
				e = LB_NBD_EPERM;
			else if (!e)     /* a trim may read back as anything: zeros are simplest */
				e = (uint32_t)s->ex->zero(s->ex->ctx, s->conn, len, off, flags & CMDF_FUA);
			if (simple(s, cookie, e, NULL, 0))
				return -1;
			break;
		case CMD_FLUSH:
			if (simple(s, cookie, s->ex->flush ? (uint32_t)s->ex->flush(s->ex->ctx, s->conn) : 0,
			           NULL, 0))
				return -1;
			break;
		case CMD_DISC:
			return 0;
		case CMD_BLOCK_STATUS:
			if (!s->structured || !s->meta || !len)
				e = LB_NBD_EINVAL;
			if (e ? fail(s, cookie, e, 1) : block_status(s, cookie, flags, off, len))
				return -1;
			break;
		default:             /* CACHE, RESIZE, anything newer: not offered */
			if (simple(s, cookie, LB_NBD_EINVAL, NULL, 0))
				return -1;
		}
	}
}

int lb_nbd_session(const struct lb_nbd_io *io, const struct lb_nbd_export *ex, void *conn)
{
	struct sess s;
	int rc;
	memset(&s, 0, sizeof s);
	s.io = io;
	s.ex = ex;
	s.conn = conn;
	s.tflags = TF_HAS_FLAGS | TF_SEND_FLUSH;
	s.tflags |= ex->writable ? TF_SEND_FUA | TF_SEND_TRIM | TF_SEND_WRITE_ZEROES
	                         : TF_READ_ONLY | TF_CAN_MULTI_CONN;
	rc = haggle(&s);
	if (rc == 2)
		return 0;
	if (rc != 1)
		return -1;
	if (io->transmission)
		io->transmission(io->ctx);
	return transmission(&s);
}
