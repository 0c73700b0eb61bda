/* One answer to "what is on this partition": the engine's filesystem modules (lb_fs_probe)
 * choose the used blocks; libblkid names everything it knows and vetoes (probe.h). libblkid runs
 * low-level probing only — superblocks, never partition tables (the engine parses those) — over
 * the source's own read-only descriptor (d->fd: devices and files, also under the test hooks of
 * bdev_fault.c, which therefore neither log nor fail libblkid's reads — about 1 MB in some 45
 * reads at fixed places per area, as on a real disk where nothing counts them either). A handle
 * with no descriptor (bdev_mem: unit tests, fuzz targets) gets a sparse memfd holding the
 * area's first 4 MiB and last 1 MiB, read through the engine's I/O: every signature libblkid
 * looks for at fixed places lives there; what libblkid would read elsewhere (an NTFS or FAT
 * label in a directory) reads as zeros, and the engine's own modules still find those. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "le.h"
#include "lifeboat.h"
#include "probe.h"
#ifdef LB_HAVE_BLKID
#include <blkid/blkid.h>
#endif

double lb_byte_entropy(const uint8_t *buf, size_t len)
{
	size_t count[256] = { 0 };
	double h = 0;
	if (!len)
		return 0;
	for (size_t i = 0; i < len; i++)
		count[buf[i]]++;
	for (int i = 0; i < 256; i++)
		if (count[i]) {
			double p = (double)count[i] / (double)len;
			h -= p * log2(p);
		}
	return h;
}

int lb_looks_random(struct lb_dev *d, uint64_t off, uint64_t size)
{
	/* the first MiB only: a VeraCrypt/TrueCrypt header area (128 KiB) and the data after it
	 * are ciphertext, and nothing is read far from what the other probes read */
	static const uint64_t at[4] = { 0, 128 << 10, 512 << 10, 1 << 20 };
	uint8_t buf[4096];
	int n = 0;
	for (int i = 0; i < 4; i++) {
		if (at[i] + sizeof buf > size)
			continue;
		if (lb_dev_pread(d, buf, sizeof buf, off + at[i]) ||
		    lb_byte_entropy(buf, sizeof buf) <= LB_RANDOM_ENTROPY)
			return 0;
		n++;
	}
	return n > 0;
}

/* What libblkid said about the area. */
struct blk {
	int found;              /* 0 nothing, 1 one signature, 2 several (ambivalent) */
	char type[24], label[64], uuid[40], version[16], usage[16];
	uint64_t magic_off;     /* SBMAGIC_OFFSET, relative to the area */
	char all[96];           /* found == 2: every type found, "ext4 and ntfs" */
};

#ifdef LB_HAVE_BLKID
#define WINDOW_HEAD (4ULL << 20)
#define WINDOW_TAIL (1ULL << 20)

static void copy_span(struct lb_dev *d, int fd, uint64_t off, uint64_t from, uint64_t to)
{
	static const size_t piece = 1 << 20;   /* few reads: the read-count tests see them */
	uint8_t *buf = malloc(piece);
	for (uint64_t a = from; buf && a < to; a += piece) {
		size_t n = to - a < piece ? (size_t)(to - a) : piece;
		/* holes (sparse files, a fuzz input's zeros) stay holes, without reading them */
		int64_t q = lb_dev_seek(d, off + a, SEEK_DATA);
		if (q == -ENXIO)
			break;
		if (q >= 0 && (uint64_t)q >= off + a + n)
			continue;
		/* an unreadable piece stays zeros: libblkid then finds nothing there */
		if (!lb_dev_pread(d, buf, n, off + a))
			(void)lb_pwrite_full(fd, buf, n, a);
	}
	free(buf);
}

/* A sparse memfd of size bytes holding the area's ends (see the top of this file). */
static int window_fd(struct lb_dev *d, uint64_t off, uint64_t size)
{
	int fd = memfd_create("lifeboat-probe", MFD_CLOEXEC);
	uint64_t head = size < WINDOW_HEAD ? size : WINDOW_HEAD;
	uint64_t tail = size - head < WINDOW_TAIL ? size - head : WINDOW_TAIL;
	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)size) < 0) {
		close(fd);
		return -1;
	}
	copy_span(d, fd, off, 0, head);
	copy_span(d, fd, off, size - tail, size);
	return fd;
}

static void value(blkid_probe pr, const char *name, char *out, size_t cap)
{
	const char *v;
	size_t len;
	out[0] = 0;
	if (blkid_probe_lookup_value(pr, name, &v, &len) == 0)
		snprintf(out, cap, "%s", v);
}

static void ask_blkid(struct lb_dev *d, uint64_t off, uint64_t size, struct blk *b)
{
	int fd = d->fd, own = -1, rc;
	uint64_t base = off;
	blkid_probe pr;
	char magic[32];
	if (fd < 0) {
		if ((own = window_fd(d, off, size)) < 0)
			return;
		fd = own;
		base = 0;
	}
	if (!(pr = blkid_new_probe()))
		goto out;
	if (blkid_probe_set_device(pr, fd, (blkid_loff_t)base, (blkid_loff_t)size) < 0)
		goto out;
	blkid_probe_enable_partitions(pr, 0);
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID |
	                                  BLKID_SUBLKS_TYPE | BLKID_SUBLKS_USAGE |
	                                  BLKID_SUBLKS_VERSION | BLKID_SUBLKS_MAGIC);
	rc = blkid_do_safeprobe(pr);
	if (rc == 0) {
		b->found = 1;
		value(pr, "TYPE", b->type, sizeof b->type);
		value(pr, "LABEL", b->label, sizeof b->label);
		value(pr, "UUID", b->uuid, sizeof b->uuid);
		value(pr, "VERSION", b->version, sizeof b->version);
		value(pr, "USAGE", b->usage, sizeof b->usage);
		value(pr, "SBMAGIC_OFFSET", magic, sizeof magic);
		b->magic_off = strtoull(magic, NULL, 10);
		if (!b->type[0])
			b->found = 0;
	} else if (rc == -2) {
		/* safeprobe only says "more than one": walk every signature, as wipefs does */
		char types[4][24];
		int n = 0;
		b->found = 2;
		blkid_reset_probe(pr);
		while (n < 4 && blkid_do_probe(pr) == 0) {
			value(pr, "TYPE", types[n], sizeof types[n]);
			if (types[n][0])
				n++;
		}
		for (int i = 0; i < n; i++)
			snprintf(b->all + strlen(b->all), sizeof b->all - strlen(b->all), "%s%s",
			         i == 0 ? "" : i == n - 1 ? " and " : ", ", types[i]);
		if (!n)
			snprintf(b->all, sizeof b->all, "two filesystems");
	}
out:
	if (pr)
		blkid_free_probe(pr);
	if (own >= 0)
		close(own);
}
#else
static void ask_blkid(struct lb_dev *d, uint64_t off, uint64_t size, struct blk *b)
{
	/* without libblkid: the engine's own modules and the random-data rule only */
}
#endif

static const char *md_level(int level, char *buf, size_t cap)
{
	switch (level) {
	case -4: return "multipath";
	case -1: return "linear";
	default:
		if (level < 0 || level > 10)
			return NULL;
		snprintf(buf, cap, "raid%d", level);
		return buf;
	}
}

/* md metadata names its RAID level; libblkid does not report it. */
static void md_note(struct lb_dev *d, uint64_t off, uint64_t size, const struct blk *b,
                    char *note, size_t cap)
{
	uint8_t sb[128];
	char lv[16], what[96] = "";
	const char *level = NULL;
	if (b->magic_off + sizeof sb <= size && !lb_dev_pread(d, sb, sizeof sb, off + b->magic_off))
		/* 1.x: level at 72; 0.90 (host-endian, little on every PC): at 28 */
		level = md_level((int32_t)le32(sb + (strncmp(b->version, "0.9", 3) ? 72 : 28)), lv,
		                 sizeof lv);
	snprintf(what, sizeof what, "%s%s%s%s%s%s", level ? level : "", level ? ", " : "",
	         b->version[0] ? "metadata " : "", b->version, b->label[0] ? ", array " : "",
	         b->label);
	snprintf(note, cap, "md RAID member (%s): copied raw", what);
}

/* A container: what the bytes are is not a filesystem's to say. Fills note, returns 1. */
static int container(struct lb_dev *d, uint64_t off, uint64_t size, const struct blk *b,
                     char *note, size_t cap)
{
	if (!strcmp(b->type, "crypto_LUKS"))
		snprintf(note, cap, "LUKS%s: encrypted, copied raw", b->version);
	else if (!strcmp(b->type, "BitLocker"))
		snprintf(note, cap, "BitLocker: encrypted, copied raw; the image holds the encrypted volume");
	else if (!strcmp(b->type, "LVM2_member") || !strcmp(b->type, "LVM1_member"))
		snprintf(note, cap, "LVM physical volume: copied raw (its logical volumes are not read)");
	else if (!strcmp(b->type, "linux_raid_member"))
		md_note(d, off, size, b, note, cap);
	else if (!strcmp(b->type, "zfs_member"))
		snprintf(note, cap, "ZFS pool member%s%s%s: copied raw", b->label[0] ? " (pool " : "",
		         b->label, b->label[0] ? ")" : "");
	else if (!strcmp(b->type, "swsuspend"))
		snprintf(note, cap, "swap holding a hibernation image: copied raw, the image kept");
	else if (!strcmp(b->usage, "crypto"))
		snprintf(note, cap, "%s: encrypted, copied raw", b->type);
	else if (!strcmp(b->usage, "raid"))
		snprintf(note, cap, "%s: RAID or volume-manager member, copied raw (not assembled)",
		         b->type);
	else
		return 0;
	return 1;
}

/* Our module and libblkid name the same thing: libblkid tells ext2/3/4 apart by other rules,
 * and calls an ext external journal "jbd" (fs_ext.c copies that raw, saying so). */
static int same_type(const char *ours, const char *theirs)
{
	if (!strncmp(ours, "ext", 3) && (!strncmp(theirs, "ext", 3) || !strcmp(theirs, "jbd")))
		return 1;
	return !strcmp(ours, theirs);
}

/* A type one of our modules would have claimed, had its probe accepted the superblock. */
static int ours_by_name(const char *type)
{
	static const char *const names[] = { "ext2", "ext3", "ext4", "vfat", "ntfs", "exfat", "swap" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcmp(type, names[i]))
			return 1;
	return 0;
}

static void take_names(struct lb_fs_info *info, const struct blk *b)
{
	snprintf(info->type, sizeof info->type, "%s", b->type);
	snprintf(info->label, sizeof info->label, "%s", b->label);
	snprintf(info->uuid, sizeof info->uuid, "%s", b->uuid);
}

void lb_probe_area(struct lb_dev *d, uint64_t off, uint64_t size, struct lb_probe *pr)
{
	struct lb_fs_info ours;
	const struct lb_fs_ops *fs;
	struct blk b;
	memset(pr, 0, sizeof *pr);
	memset(&b, 0, sizeof b);
	if (!size || off >= d->size || size > d->size - off)
		return;
	fs = lb_fs_probe(d, off, size, &ours);
	ask_blkid(d, off, size, &b);
	lb_sanitize(b.label);
	lb_sanitize(b.uuid);
	lb_sanitize(b.version);
	lb_sanitize(b.all);
	snprintf(pr->version, sizeof pr->version, "%s", b.version);
	snprintf(pr->usage, sizeof pr->usage, "%s", b.usage);
	if (b.found == 1 && container(d, off, size, &b, pr->note, sizeof pr->note)) {
		take_names(&pr->info, &b);
		if (fs)   /* an md 1.0 member holds its array's filesystem at offset 0 */
			snprintf(pr->note + strlen(pr->note), sizeof pr->note - strlen(pr->note),
			         "; it also holds a filesystem signature (%s)", ours.type);
	} else if (b.found == 2) {
		snprintf(pr->info.type, sizeof pr->info.type, "ambiguous");
		snprintf(pr->usage, sizeof pr->usage, "ambiguous");
		snprintf(pr->note, sizeof pr->note, "two signatures, %s (ambiguous): copied raw",
		         b.all);
	} else if (b.found == 1 && fs && !same_type(ours.type, b.type)) {
		snprintf(pr->info.type, sizeof pr->info.type, "ambiguous");
		snprintf(pr->usage, sizeof pr->usage, "ambiguous");
		snprintf(pr->note, sizeof pr->note, "two signatures, %s (libblkid) and %s (Lifeboat) "
		         "(ambiguous): copied raw", b.type, ours.type);
	} else if (fs) {
		pr->fs = fs;
		pr->info = ours;
		if (b.found && !pr->info.label[0])
			snprintf(pr->info.label, sizeof pr->info.label, "%s", b.label);
		if (b.found && !pr->info.uuid[0])
			snprintf(pr->info.uuid, sizeof pr->info.uuid, "%s", b.uuid);
		if (!b.found)
			snprintf(pr->usage, sizeof pr->usage, "filesystem");
	} else if (b.found == 1) {
		take_names(&pr->info, &b);
		if (ours_by_name(b.type))
			snprintf(pr->note, sizeof pr->note, "%s (so libblkid says) fails Lifeboat's own "
			         "checks of its superblock: copied raw", b.type);
		else
			snprintf(pr->note, sizeof pr->note, "%s: Lifeboat has no used-block map for it, "
			         "copied raw", b.type);
	} else if (lb_looks_random(d, off, size)) {
		snprintf(pr->usage, sizeof pr->usage, "random");
		snprintf(pr->note, sizeof pr->note, "no signature, random-looking data (VeraCrypt-like "
		         "encryption, or wiped with random bytes): copied raw");
	}
}
