/* Linux swap: only its header page matters (signature, UUID, label); the rest is scratch space
 * that the next boot overwrites, so restoring the header alone yields a valid swap area. */
#include <stdio.h>
#include <string.h>
#include "fs.h"
#include "le.h"

static const unsigned page_sizes[] = { 4096, 8192, 16384, 65536 };

static unsigned swap_page(struct lb_dev *d, uint64_t off, uint64_t size)
{
	char sig[10];
	struct lb_err e = { 0 };
	for (size_t i = 0; i < sizeof page_sizes / sizeof page_sizes[0]; i++) {
		unsigned ps = page_sizes[i];
		if (size < 2ULL * ps || lb_dev_read(d, sig, 10, off + ps - 10, &e))
			return 0;
		if (!memcmp(sig, "SWAPSPACE2", 10) || !memcmp(sig, "SWAP-SPACE", 10))
			return ps;
	}
	return 0;
}

static int swap_probe(struct lb_dev *d, uint64_t off, uint64_t size, struct lb_fs_info *info)
{
	uint8_t h[1024 + 44];
	struct lb_err e = { 0 };
	unsigned ps = swap_page(d, off, size);
	const uint8_t *u;
	size_t i;
	if (!ps || lb_dev_read(d, h, sizeof h, off, &e))
		return 0;
	snprintf(info->type, sizeof info->type, "swap");
	u = h + 1036;
	snprintf(info->uuid, sizeof info->uuid,
	         "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
	         u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
	         u[15]);
	for (i = 0; i < 16 && h[1052 + i] >= 0x20 && h[1052 + i] < 0x7f; i++)
		info->label[i] = (char)h[1052 + i];
	info->label[i] = 0;
	/* The header's last usable page (version 1) gives the area's end; what lies past it in
	 * the partition is not swap, and the planner copies it raw. */
	info->total = size;
	if (le32(h + 1024) == 1 && le32(h + 1028) && (uint64_t)le32(h + 1028) < size / ps)
		info->total = ((uint64_t)le32(h + 1028) + 1) * ps;
	info->used = ps;
	return 1;
}

static int swap_used(struct lb_dev *d, uint64_t off, uint64_t size, struct lb_extents *out,
                     const char **method, char *why, size_t whylen)
{
	unsigned ps = swap_page(d, off, size);
	*method = "header";
	if (!ps) {
		snprintf(why, whylen, "its swap signature is gone");
		return -1;
	}
	if (lb_ext_add(out, off, ps) < 0) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	return 0;
}

const struct lb_fs_ops lb_fs_swap = { "swap", swap_probe, swap_used, NULL };
