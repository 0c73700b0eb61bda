/* probe.h — what a partition (or a disk without a table) holds, asked of two sources and made
 * into one answer. The engine's own filesystem modules (fs_table.c) choose the used blocks of
 * what they know; libblkid (util-linux, probe_blkid.c) names far more (xfs, btrfs, f2fs,
 * iso9660, hfsplus, apfs, ...) and vetoes: a container (BitLocker, LUKS, an LVM physical
 * volume, an md RAID or ZFS member), two signatures at once, or random-looking data with no
 * signature at all (VeraCrypt-like) is never imaged by a filesystem's bitmap, but copied raw. */
#ifndef LB_PROBE_H
#define LB_PROBE_H
#include <stddef.h>
#include <stdint.h>
#include "blockdev.h"
#include "fs.h"

struct lb_probe {
	const struct lb_fs_ops *fs; /* the module that maps its used blocks; NULL: copy raw */
	struct lb_fs_info info;     /* type, label, UUID, sizes: ours where a module knows it,
	                             * else libblkid's; type "ambiguous" for two signatures */
	char version[16];           /* libblkid's VERSION: "2" (LUKS2), "1.2" (md metadata) */
	char usage[16];             /* libblkid's USAGE: filesystem, crypto, raid, other; or
	                             * "ambiguous" (two signatures), "random" (no signature, high
	                             * entropy), "" (nothing known) */
	char note[160];             /* non-empty with fs NULL: why it is copied raw, one line for
	                             * the plan and `list` ("LUKS2: encrypted, copied raw") */
};

/* Probes [off, off+size) of d. Reads only (a few sectors, a few KiB samples); never fails: what
 * cannot be read is simply not found. Labels and UUIDs come out sanitized. */
void lb_probe_area(struct lb_dev *d, uint64_t off, uint64_t size, struct lb_probe *pr);

/* Byte entropy of buf in bits per byte (0..8). */
double lb_byte_entropy(const uint8_t *buf, size_t len);
/* The random-data rule: each of up to four 4 KiB samples (at 0, 128 KiB, 512 KiB and 1 MiB;
 * those that fit) holds more than LB_RANDOM_ENTROPY bits per byte. 4096 truly random bytes
 * measure about 7.95; text, code, zeros and filesystem metadata stay far below. */
#define LB_RANDOM_ENTROPY 7.9
int lb_looks_random(struct lb_dev *d, uint64_t off, uint64_t size);
#endif
