/* FAT12/16/32: the reserved sectors (boot sector, FAT32's FSInfo and backup boot sector), the
 * FATs and (FAT12/16) the root directory are always copied; of the data area only clusters
 * that some copy of the FAT marks in use (non-zero and not marked bad), and FAT32's root
 * directory cluster whatever its entry says.
 *
 * The type follows the Linux kernel (fs/fat/inode.c) and fsck.fat: a 16-bit FAT size of 0 with
 * a 32-bit one set is FAT32, whatever the cluster count (mkfs.fat -F 32 makes FAT32 volumes
 * with far fewer than 65,525 clusters: a 32 MiB ESP, any small ESP on a 4Kn disk); otherwise
 * FAT12 below 4,085 clusters, else FAT16. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fs.h"
#include "fs_fat.h"
#include "le.h"


static int is_pow2(unsigned v)
{
	return v && !(v & (v - 1));
}

int lb_fat_geometry(const uint8_t *b, uint64_t size, struct fat_geom *g)
{
	unsigned reserved, nfats, root_ent, fatsz16;
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
	fatsz16 = le16(b + 22);
	fatsz = fatsz16 ? fatsz16 : le32(b + 36);
	if (g->bps < 512 || g->bps > 4096 || !is_pow2(g->bps) || !is_pow2(g->spc) || !reserved ||
	    !nfats || nfats > 4 || !total || !fatsz || (b[21] < 0xf8 && b[21] != 0xf0))
		return -1;
	g->nfats = nfats;
	g->bits = fatsz16 ? 0 : 32;   /* FAT12 or FAT16 decided by the count below */
	/* FAT32 keeps its root directory in clusters; a fixed root area as well is not FAT32 as
	 * anyone writes it (copy such a thing raw rather than guess). */
	if (g->bits == 32 && root_ent)
		return -1;
	root_secs = ((uint64_t)root_ent * 32 + g->bps - 1) / g->bps;
	if (reserved + nfats * fatsz + root_secs >= total || total * g->bps > size)
		return -1;
	data_secs = total - reserved - nfats * fatsz - root_secs;
	g->nclusters = data_secs / g->spc;
	if (!g->nclusters)
		return -1;
	if (!g->bits) {
		g->bits = g->nclusters < 4085 ? 12 : 16;
		/* A 16-bit FAT cannot number more clusters (fsck.fat refuses it too). */
		if (g->nclusters >= 65525)
			return -1;
	} else {
		unsigned flags = le16(b + 40);
		g->mirrored = !(flags & 0x80);
		g->active = g->mirrored || (flags & 0x0f) >= nfats ? 0 : flags & 0x0f;
		g->root_cluster = le32(b + 44) & 0x0fffffff;
		if (g->nclusters > 0x0ffffff5 || g->root_cluster < 2 || g->root_cluster >= g->nclusters + 2)
			return -1;
	}
	if (g->bits != 32)
		g->mirrored = 1;
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
	return lb_fat_geometry(b, size, g);
}

static uint32_t fat_entry(const struct fat_geom *g, const uint8_t *piece, uint64_t first, uint64_t cl)
{
	const uint8_t *p = piece + (cl * g->bits / 8 - first * g->bits / 8);
	if (g->bits == 12)
		return (cl & 1) ? le16(p) >> 4 : le16(p) & 0xfff;
	if (g->bits == 16)
		return le16(p);
	return le32(p) & 0x0fffffff;
}

/* Appends each run of clusters used by any FAT copy in `copies` (a bit mask) to out (when not
 * NULL) and counts them. The FATs are read side by side in pieces of PIECE entries (even, so a
 * FAT12 piece starts on a whole byte). Non-zero with `why` filled when a copy cannot be read. */
static int walk_fat(struct lb_dev *d, uint64_t off, const struct fat_geom *g, unsigned copies,
                    struct lb_extents *out, uint64_t *used_clusters, char *why, size_t whylen)
{
	enum { PIECE = 1 << 16 };
	const size_t bufsz = PIECE * 4 + 4;
	uint32_t bad = g->bits == 12 ? 0xff7u : g->bits == 16 ? 0xfff7u : 0x0ffffff7u;
	uint64_t bytes_per_cl = (uint64_t)g->spc * g->bps, end = g->nclusters + 2, cl = 2;
	uint64_t run_start = 0, count = 0;
	uint8_t *buf[4] = { 0 };
	int in_run = 0, rc = 0;
	struct lb_err e = { 0 };

	for (unsigned i = 0; i < g->nfats; i++)
		if ((copies >> i & 1) && !(buf[i] = malloc(bufsz))) {
			snprintf(why, whylen, "out of memory reading its allocation table");
			rc = -1;
			goto out;
		}
	for (uint64_t first = 0; first < end; first += PIECE) {
		uint64_t last = end - first < PIECE ? end : first + PIECE;
		uint64_t from = first * g->bits / 8, len = (last * g->bits + 7) / 8 - from;
		for (unsigned i = 0; i < g->nfats; i++) {
			uint64_t at = off + g->fat_start + i * g->fat_bytes + from;
			if (!buf[i])
				continue;
			memset(buf[i] + len, 0, 4);
			if (lb_dev_read(d, buf[i], len, at, &e)) {
				/* lb_dev_read's sentence names the device; why has room for the cause only */
				const char *cause = strrchr(e.msg, ':');
				cause = cause ? cause + 1 + (cause[1] == ' ') : e.msg;
				snprintf(why, whylen, "its FAT copy %u of %u cannot be read at offset %llu (%s)",
				         i + 1, g->nfats, (unsigned long long)at, cause);
				rc = -1;
				goto out;
			}
		}
		for (; cl < last; cl++) {
			int used = cl == g->root_cluster;
			for (unsigned i = 0; i < g->nfats && !used; i++)
				if (buf[i]) {
					uint32_t v = fat_entry(g, buf[i], first, cl);
					used = v != 0 && v != bad;
				}
			if (used) {
				count++;
				if (!in_run) {
					run_start = cl;
					in_run = 1;
				}
			} else if (in_run) {
				in_run = 0;
				if (out && lb_ext_add(out, off + g->data_start + (run_start - 2) * bytes_per_cl,
				                      (cl - run_start) * bytes_per_cl) < 0) {
					snprintf(why, whylen, "out of memory building its cluster map");
					rc = -1;
					goto out;
				}
			}
		}
	}
	if (in_run && out &&
	    lb_ext_add(out, off + g->data_start + (run_start - 2) * bytes_per_cl,
	               (cl - run_start) * bytes_per_cl) < 0) {
		snprintf(why, whylen, "out of memory building its cluster map");
		rc = -1;
	}
out:
	for (unsigned i = 0; i < 4; i++)
		free(buf[i]);
	*used_clusters = count;
	return rc;
}

static int fat_probe(struct lb_dev *d, uint64_t off, uint64_t size, struct lb_fs_info *info)
{
	struct fat_geom g;
	uint64_t n;
	char why[160];
	if (read_geom(d, off, size, &g))
		return 0;
	/* What the filesystem itself counts as used: its active FAT (the backup map is the union). */
	if (walk_fat(d, off, &g, 1u << g.active, NULL, &n, why, sizeof why) == 0)
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
	if (lb_ext_add(out, off, g.data_start) < 0) {
		snprintf(why, whylen, "out of memory building its cluster map");
		return -1;
	}
	/* Every copy, mirrored or not: a cluster any of them marks in use keeps its data. With
	 * mirroring off (FAT32 BPB_ExtFlags bit 7) the active copy is the filesystem's truth and
	 * the others may be stale, which costs at most some free clusters copied. */
	if (walk_fat(d, off, &g, (1u << g.nfats) - 1, out, &n, why, whylen))
		return -1;
	lb_ext_normalize(out);
	return 0;
}

const struct lb_fs_ops lb_fs_fat = { "fat", fat_probe, fat_used, NULL };
