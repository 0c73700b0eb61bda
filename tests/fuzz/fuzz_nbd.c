/* Fuzz target: the NBD server's protocol (nbd_proto.c) — option haggling and transmission —
 * with the input as everything a client sends. The first byte picks the export: bit 0
 * writable (an overlay), bit 1 a budget for request buffers. The disk is 1 MiB + 513 bytes in
 * memory: data, then holes, with one "damaged" range whose reads and maps fail with EIO. */
#include <string.h>
#include "fuzz.h"
#include "nbd_proto.h"

#define DISK ((1u << 20) + 513)

struct feed {
	const uint8_t *p;
	size_t left;
	size_t sent;
};

static uint8_t disk[DISK];

static int feed_read(void *ctx, void *buf, size_t len)
{
	struct feed *f = ctx;
	if (len > f->left)
		return -1;           /* the client is gone */
	memcpy(buf, f->p, len);
	f->p += len;
	f->left -= len;
	return 0;
}

static int feed_write(void *ctx, const void *buf, size_t len)
{
	struct feed *f = ctx;
	volatile uint8_t sink = 0;
	/* touch what is sent, so ASan sees a reply built from uninitialised or freed bytes */
	for (size_t i = 0; i < len; i += 97)
		sink ^= ((const uint8_t *)buf)[i];
	(void)sink;
	f->sent += len;
	return f->sent > (256u << 20) ? -1 : 0;   /* a client that stops reading */
}

static int damaged(uint64_t off, uint64_t len)
{
	return off < 700000 + 4096 && off + len > 700000;
}

static int x_pread(void *ctx, void *conn, void *buf, size_t len, uint64_t off)
{
	if (off > DISK || len > DISK - off)
		__builtin_trap();    /* the protocol layer must have refused it */
	if (damaged(off, len))
		return LB_NBD_EIO;
	memcpy(buf, disk + off, len);
	return 0;
}

static int x_map(void *ctx, void *conn, uint64_t off, uint64_t len, uint64_t *run, int *hole)
{
	uint64_t edge = off < 600000 ? 600000 : off < 900000 ? 900000 : DISK;
	if (off >= DISK || !len || len > DISK - off)
		__builtin_trap();
	if (damaged(off, 1))
		return LB_NBD_EIO;
	*hole = off >= 600000 && off < 900000;
	*run = edge - off < len ? edge - off : len;
	return 0;
}

static int x_pwrite(void *ctx, void *conn, const void *buf, size_t len, uint64_t off, int fua)
{
	if (off > DISK || len > DISK - off)
		__builtin_trap();
	memcpy(disk + off, buf, len);
	return 0;
}

static int x_zero(void *ctx, void *conn, uint64_t len, uint64_t off, int fua)
{
	if (off > DISK || len > DISK - off)
		__builtin_trap();
	memset(disk + off, 0, len);
	return 0;
}

static int x_flush(void *ctx, void *conn)
{
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct lb_nbd_budget budget;
	static int init;
	struct feed f = { data + 1, size ? size - 1 : 0, 0 };
	struct lb_nbd_io io = { &f, feed_read, feed_write, NULL };
	struct lb_nbd_export ex = { NULL, "fuzz", "a disk in memory", DISK, 0, NULL,
	                            x_pread, x_map, x_pwrite, x_zero, x_flush };
	if (!size)
		return 0;
	if (!init) {
		lb_nbd_budget_init(&budget, 40u << 20);
		for (size_t i = 0; i < DISK; i++)
			disk[i] = (uint8_t)(i * 131 >> 3);
		init = 1;
	}
	ex.writable = data[0] & 1;
	ex.budget = data[0] & 2 ? &budget : NULL;
	lb_nbd_session(&io, &ex, NULL);
	return 0;
}
