/* FAT12/16/32: the reserved sectors, the FATs and (FAT12/16) the root directory are always
 * copied; of the data area only clusters whose FAT entry is non-zero (and not marked bad). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fs.h"
#include "le.h"

struct fat_geom {
	unsigned bps, spc, bits;
	uint64_t fat_start, fat_bytes, data_start, nclusters, total_bytes;
	uint32_t volid;
	char label[12];
};

static int is_pow2(unsigned v)
{
	return v && !(v & (v - 1));
}

/* Decodes and checks the boot sector; 0 when it describes a consistent FAT filesystem. */
static int fat_geometry(const uint8_t *b, uint64_t size, struct fat_geom *g)
{
	unsigned reserved, nfats, root_ent;
	uint64_t total, fatsz, root_secs, data_secs;
	const uint8_t *ext;
	memset(g, 0, sizeof *g);
	if (b[510] != 0x55 || b[511] != 0xaa || (b[0] != 0xeb && b[0] != 0xe9))
		return -1;
	g->bps = le16(b + 11);
	g->spc = b[13];
	reserved = le16(b + 14);
	nfats = b[16];
	root_ent = le16(b + 17);
	total = le16(b + 19) ? le16(b + 19) : le32(b + 32);
	fatsz = le16(b + 22) ? le16(b + 22) : le32(b + 36);
	if (g->bps < 512 || g->bps > 4096 || !is_pow2(g->bps) || !is_pow2(g->spc) || !reserved ||
	    !nfats || nfats > 4 || !total || !fatsz || (b[21] < 0xf8 && b[21] != 0xf0))
		return -1;
	root_secs = ((uint64_t)root_ent * 32 + g->bps - 1) / g->bps;
	if (reserved + nfats * fatsz + root_secs >= total || total * g->bps > size)
		return -1;
	data_secs = total - reserved - nfats * fatsz - root_secs;
	g->nclusters = data_secs / g->spc;
	g->bits = g->nclusters < 4085 ? 12 : g->nclusters < 65525 ? 16 : 32;
	if (g->bits == 32 && (le16(b + 22) || root_ent))
		return -1;
	/* The FAT must have room for every cluster it claims to describe. */
	if ((g->nclusters + 2) * g->bits > fatsz * g->bps * 8)
		return -1;
	g->fat_start = (uint64_t)reserved * g->bps;
	g->fat_bytes = fatsz * g->bps;
	g->data_start = (reserved + nfats * fatsz + root_secs) * g->bps;
	g->total_bytes = total * g->bps;
	ext = g->bits == 32 ? b + 64 : b + 36;
	if (ext[2] == 0x29) {
		g->volid = le32(ext + 3);
		memcpy(g->label, ext + 7, 11);
		for (int i = 10; i >= 0 && (g->label[i] == ' ' || !g->label[i]); i--)
			g->label[i] = 0;
		for (int i = 0; g->label[i]; i++)
			if ((unsigned char)g->label[i] < 0x20 || (unsigned char)g->label[i] == 0x7f)
				g->label[i] = '?';
		if (!strcmp(g->label, "NO NAME"))
			g->label[0] = 0;
	}
	return 0;
}

static int read_geom(struct lb_dev *d, uint64_t off, uint64_t size, struct fat_geom *g)
{
	uint8_t b[512];
	struct lb_err e = { 0 };
	if (size < 4096 || lb_dev_read(d, b, sizeof b, off, &e))
		return -1;
	return fat_geometry(b, size, g);
}

/* Appends each run of used clusters to out (when not NULL) and counts them, reading the first
 * FAT in pieces. */
static int walk_fat(struct lb_dev *d, uint64_t off, const struct fat_geom *g, struct lb_extents *out,
                    uint64_t *used_clusters)
{
	enum { PIECE = 1 << 20 };
	uint8_t *buf = malloc(PIECE + 4);
	uint64_t cl, run_start = 0, bytes_per_cl = (uint64_t)g->spc * g->bps, cached_lo = 1, cached_hi = 0;
	int in_run = 0, rc = 0;
	uint64_t count = 0;
	struct lb_err e = { 0 };
	if (!buf)
		return -1;
	for (cl = 2; cl < g->nclusters + 2; cl++) {
		uint64_t bitpos = cl * g->bits, byte = bitpos / 8;
		uint32_t v;
		int used;
		if (byte < cached_lo || byte + 4 > cached_hi) {
			uint64_t len = g->fat_bytes - byte < PIECE ? g->fat_bytes - byte : PIECE;
			memset(buf, 0, PIECE + 4);
			if (lb_dev_read(d, buf, len, off + g->fat_start + byte, &e)) {
				rc = -1;
				break;
			}
			cached_lo = byte;
			cached_hi = byte + (len < 4 ? 4 : len);
		}
		{
			const uint8_t *p = buf + (byte - cached_lo);
			if (g->bits == 12)
				v = (cl & 1) ? le16(p) >> 4 : le16(p) & 0xfff;
			else if (g->bits == 16)
				v = le16(p);
			else
				v = le32(p) & 0x0fffffff;
		}
		used = v != 0 && v != (g->bits == 12 ? 0xff7u : g->bits == 16 ? 0xfff7u : 0x0ffffff7u);
		if (used) {
			count++;
			if (!in_run) {
				run_start = cl;
				in_run = 1;
			}
		} else if (in_run) {
			if (out && lb_ext_add(out, off + g->data_start + (run_start - 2) * bytes_per_cl,
			               (cl - run_start) * bytes_per_cl) < 0) {
				rc = -1;
				break;
			}
			in_run = 0;
		}
	}
	if (!rc && in_run && out &&
	    lb_ext_add(out, off + g->data_start + (run_start - 2) * bytes_per_cl,
	               (cl - run_start) * bytes_per_cl) < 0)
		rc = -1;
	free(buf);
	*used_clusters = count;
	return rc;
}

static int fat_probe(struct lb_dev *d, uint64_t off, uint64_t size, struct lb_fs_info *info)
{
	struct fat_geom g;
	uint64_t n;
	if (read_geom(d, off, size, &g))
		return 0;
	if (walk_fat(d, off, &g, NULL, &n) == 0)
		info->used = g.data_start + n * g.spc * g.bps;
	snprintf(info->type, sizeof info->type, "vfat");
	snprintf(info->label, sizeof info->label, "%s", g.label);
	if (g.volid)
		snprintf(info->uuid, sizeof info->uuid, "%04X-%04X", g.volid >> 16, g.volid & 0xffff);
	info->total = g.total_bytes;
	return 1;
}

static int fat_used(struct lb_dev *d, uint64_t off, uint64_t size, struct lb_extents *out,
                    const char **method, char *why, size_t whylen)
{
	struct fat_geom g;
	uint64_t n;
	*method = "used";
	if (read_geom(d, off, size, &g)) {
		snprintf(why, whylen, "its boot sector is inconsistent");
		return -1;
	}
	if (lb_ext_add(out, off, g.data_start) < 0 || walk_fat(d, off, &g, out, &n)) {
		snprintf(why, whylen, "its allocation table cannot be read");
		return -1;
	}
	lb_ext_normalize(out);
	return 0;
}

const struct lb_fs_ops lb_fs_fat = { "fat", fat_probe, fat_used, NULL };
