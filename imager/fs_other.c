/* Filesystems Lifeboat recognises by name only (for `list` and the plan's wording): exFAT. Its
 * data is copied raw until it gets a used-block map of its own (NTFS has one: fs_ntfs.c). */
#include <stdio.h>
#include <string.h>
#include "fs.h"
#include "le.h"

static int oem_is(struct lb_dev *d, uint64_t off, uint64_t size, const char *oem)
{
	uint8_t b[16];
	struct lb_err e = { 0 };
	return size >= 4096 && !lb_dev_read(d, b, sizeof b, off, &e) && !memcmp(b + 3, oem, 8);
}

static int raw_only(struct lb_dev *d, uint64_t off, uint64_t size, struct lb_extents *out,
                    const char **method, char *why, size_t whylen)
{
	snprintf(why, whylen, "Lifeboat has no used-block map for it yet");
	return -1;
}

/* The volume label is an entry (type 0x83) of the root directory, in its first cluster. */
static void exfat_label(struct lb_dev *d, uint64_t off, uint64_t size, const uint8_t *b,
                        struct lb_fs_info *info)
{
	uint8_t dir[4096];
	struct lb_err e = { 0 };
	unsigned bps_shift = b[108], spc_shift = b[109];
	uint64_t heap, cl = le32(b + 96), at;
	if (bps_shift < 9 || bps_shift > 12 || spc_shift > 25 - bps_shift || cl < 2)
		return;
	heap = (uint64_t)le32(b + 88) << bps_shift;
	at = heap + ((cl - 2) << (bps_shift + spc_shift));
	if (at >= size || size - at < sizeof dir || lb_dev_read(d, dir, sizeof dir, off + at, &e))
		return;
	for (size_t i = 0; i + 32 <= sizeof dir && dir[i]; i += 32) {
		if (dir[i] == 0x83 && dir[i + 1] <= 11) {
			size_t o = 0;
			for (unsigned k = 0; k < dir[i + 1] && o + 1 < sizeof info->label; k++) {
				unsigned c = le16(dir + i + 2 + 2 * k);
				info->label[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
			}
			info->label[o] = 0;
			return;
		}
	}
}

static int exfat_probe(struct lb_dev *d, uint64_t off, uint64_t size, struct lb_fs_info *info)
{
	uint8_t b[512];
	struct lb_err e = { 0 };
	if (!oem_is(d, off, size, "EXFAT   ") || lb_dev_read(d, b, sizeof b, off, &e))
		return 0;
	snprintf(info->type, sizeof info->type, "exfat");
	exfat_label(d, off, size, b, info);
	snprintf(info->uuid, sizeof info->uuid, "%04X-%04X", le32(b + 100) >> 16, le32(b + 100) & 0xffff);
	if (b[108] >= 9 && b[108] <= 12)
		info->total = le64(b + 72) << b[108];
	return 1;
}

const struct lb_fs_ops lb_fs_exfat = { "exfat", exfat_probe, raw_only, NULL };
