/* exFAT: everything before the cluster heap (both boot regions, the FATs, whatever lies
 * between), the clusters the volume's allocation bitmap marks in use, the clusters of the
 * bitmap itself, the up-case table and the root directory whatever the bitmap says, and the
 * sectors after the heap up to the volume's end.
 *
 * TexFAT volumes (two FATs, two bitmaps) keep the union of both bitmaps: the inactive one may
 * be a transaction behind or ahead, and a cluster either marks costs at most a free cluster
 * copied; chains follow the FAT VolumeFlags' ActiveFat names, as the filesystem does.
 *
 * Trust (the plan's reason names each state; nothing is ever written or "fixed"):
 *   - boot region failing its checksum or inconsistent: raw (fs_exfat_boot.c).
 *   - VolumeDirty set (not cleanly removed: Linux and Windows set it while mounted, so every
 *     stick pulled out without ejecting has it): the bitmap may lag what the directories name,
 *     so every cluster any directory entry names (each file's FAT chain or contiguous extent,
 *     each directory's) is kept as well, as for a dirty NTFS; a walk that breaks (unreadable
 *     directory, broken or looping chain) leaves that unchecked: raw with the reason.
 *   - a bitmap shorter than the cluster count, or chains that break or loop: raw. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fs_exfat.h"
#include "le.h"

struct bm {
	struct lb_exfat *v;
	uint8_t *bits;        /* nclusters bits, cluster 2 first */
	uint64_t at;          /* bytes of the bitmap read so far (bitmap loading) */
	uint64_t need;
	int or_in;            /* OR into bits (the second bitmap) */
	char *why;
	size_t whylen;
};

static int mark_run(void *priv, uint32_t first, uint32_t n)
{
	struct bm *b = priv;
	for (uint64_t c = first - 2, e = c + n; c < e; c++)
		b->bits[c / 8] |= (uint8_t)(1u << (c % 8));
	return 0;
}

static int mark_path_run(void *priv, const char *path, int is_dir, uint32_t first, uint32_t n)
{
	return mark_run(priv, first, n);
}

/* Reads one run of the bitmap's clusters into bits (only the bytes the cluster count needs). */
static int load_run(void *priv, uint32_t first, uint32_t n)
{
	struct bm *b = priv;
	struct lb_exfat *v = b->v;
	uint64_t len = (uint64_t)n * v->cs, at = v->off + lb_exfat_cl_off(v, first);
	enum { PIECE = 1 << 20 };
	uint8_t *tmp = b->or_in ? malloc(PIECE) : NULL;
	struct lb_err e = { 0 };
	if (b->or_in && !tmp) {
		snprintf(b->why, b->whylen, "out of memory reading its allocation bitmap");
		return -1;
	}
	if (len > b->need - b->at)
		len = b->need - b->at;
	while (len) {
		size_t k = len < PIECE ? (size_t)len : PIECE;
		uint8_t *dst = b->bits + b->at;
		if (lb_dev_read(v->d, tmp ? tmp : dst, k, at, &e)) {
			snprintf(b->why, b->whylen, "its allocation bitmap cannot be read at byte %llu of the "
			         "volume", (unsigned long long)(at - v->off));
			free(tmp);
			return -1;
		}
		for (size_t i = 0; tmp && i < k; i++)
			dst[i] |= tmp[i];
		b->at += k;
		at += k;
		len -= k;
	}
	free(tmp);
	return 0;
}

/* The bitmap of slot (0 or 1) into b->bits (ORed when or_in). */
static int load_bitmap(struct bm *b, const struct lb_exfat_root *r, int slot)
{
	struct lb_exfat *v = b->v;
	b->need = ((uint64_t)v->nclusters + 7) / 8;
	b->at = 0;
	if (r->bm_len[slot] < b->need) {
		snprintf(b->why, b->whylen, "its allocation bitmap is %llu bytes, too short for its %u "
		         "clusters", (unsigned long long)r->bm_len[slot], v->nclusters);
		return -1;
	}
	if (lb_exfat_runs(v, r->bm_first[slot], (b->need + v->cs - 1) / v->cs, 0,
	                  "its allocation bitmap", load_run, b, b->why, b->whylen))
		return -1;
	if (b->at < b->need) {
		snprintf(b->why, b->whylen, "its allocation bitmap's FAT chain is shorter than the bitmap");
		return -1;
	}
	/* bits past the cluster count mean nothing */
	if (v->nclusters % 8)
		b->bits[b->need - 1] &= (uint8_t)((1u << (v->nclusters % 8)) - 1);
	return 0;
}

static uint64_t count_bits(const uint8_t *p, uint64_t n)
{
	uint64_t c = 0;
	for (uint64_t i = 0; i < n; i++)
		c += (uint64_t)__builtin_popcount(p[i]);
	return c;
}

/* The volume, its root entries and its bitmap(s); *union_both: TexFAT's two were ORed. */
static int load(struct lb_exfat *v, struct lb_exfat_root *r, struct bm *b, int union_both,
                char *why, size_t whylen)
{
	b->v = v;
	b->why = why;
	b->whylen = whylen;
	if (lb_exfat_read_root(v, r, why, whylen))
		return -1;
	if (!r->bm_first[v->active]) {
		snprintf(why, whylen, "its root directory has no allocation bitmap entry%s",
		         v->nfats == 2 ? " for its active FAT" : "");
		return -1;
	}
	if (!(b->bits = calloc(1, (size_t)(((uint64_t)v->nclusters + 7) / 8) + 1))) {
		snprintf(why, whylen, "out of memory reading its allocation bitmap");
		return -1;
	}
	if (load_bitmap(b, r, v->active))
		return -1;
	if (union_both && v->nfats == 2 && r->bm_first[!v->active]) {
		b->or_in = 1;
		if (load_bitmap(b, r, !v->active))
			return -1;
	}
	return 0;
}

static int exfat_probe(struct lb_dev *d, uint64_t off, uint64_t size, struct lb_fs_info *info)
{
	uint8_t b[512];
	struct lb_err e = { 0 };
	struct lb_exfat v;
	struct lb_exfat_root r;
	struct bm bm = { 0 };
	char why[160];
	if (size < 4096 || lb_dev_read(d, b, sizeof b, off, &e) || memcmp(b + 3, "EXFAT   ", 8))
		return 0;
	snprintf(info->type, sizeof info->type, "exfat");
	/* as blkid and /etc/fstab spell an exFAT UUID: the volume serial number */
	snprintf(info->uuid, sizeof info->uuid, "%04X-%04X", le32(b + 100) >> 16, le32(b + 100) & 0xffff);
	if (b[108] >= 9 && b[108] <= 12 && le64(b + 72) <= size >> b[108])
		info->total = le64(b + 72) << b[108];
	if (lb_exfat_open(&v, d, off, size, why, sizeof why) == 0) {
		if (load(&v, &r, &bm, 0, why, sizeof why) == 0)
			info->used = v.heap_off + count_bits(bm.bits, bm.need) * v.cs;
		snprintf(info->label, sizeof info->label, "%s", r.label);
	}
	free(bm.bits);
	lb_exfat_close(&v);
	return 1;
}

static int fail_oom(char *why, size_t whylen)
{
	snprintf(why, whylen, "out of memory building its cluster map");
	return -1;
}

/* The set bits of bits as byte ranges of the heap. */
static int bits_to_ranges(const struct lb_exfat *v, const uint8_t *bits, struct lb_extents *out)
{
	uint64_t n = v->nclusters, c = 0;
	while (c < n) {
		uint64_t s;
		/* whole free or used bytes at a time: most of a bitmap is either */
		while (c < n && !(c % 8) && !bits[c / 8])
			c += 8;
		if (c >= n)
			break;
		if (!(bits[c / 8] >> (c % 8) & 1)) {
			c++;
			continue;
		}
		s = c;
		while (c < n) {
			if (!(c % 8) && bits[c / 8] == 0xff && c + 8 <= n)
				c += 8;
			else if (bits[c / 8] >> (c % 8) & 1)
				c++;
			else
				break;
		}
		if (lb_ext_add(out, v->off + v->heap_off + s * v->cs, (c - s) * v->cs) < 0)
			return -1;
	}
	return 0;
}

static void note(char *why, size_t whylen, const char *s)
{
	size_t l = strlen(why);
	if (l + 3 < whylen)
		snprintf(why + l, whylen - l, "%s%s", l ? "; " : "", s);
}

static int exfat_used(struct lb_dev *d, uint64_t off, uint64_t size, struct lb_extents *out,
                      const char **method, char *why, size_t whylen)
{
	struct lb_exfat v;
	struct lb_exfat_root r;
	struct bm bm = { 0 };
	struct lb_exfat_walk w = { &bm, mark_path_run };
	int rc = -1;
	*method = "used";
	if (lb_exfat_open(&v, d, off, size, why, whylen))
		goto out;
	if (load(&v, &r, &bm, 1, why, whylen))
		goto out;
	/* what the filesystem always needs, whatever its bitmap says */
	if (lb_exfat_runs(&v, v.root, 0, 0, "its root directory", mark_run, &bm, why, whylen) ||
	    (r.up_first && r.up_len &&
	     lb_exfat_runs(&v, r.up_first, (r.up_len + v.cs - 1) / v.cs, 0, "its up-case table",
	                   mark_run, &bm, why, whylen)))
		goto out;
	if (v.flags & EXFAT_DIRTY) {
		char wwhy[160] = "";
		if (lb_exfat_walk(&v, &w, wwhy, sizeof wwhy)) {
			snprintf(why, whylen, "volume is marked dirty (not cleanly removed) and %s: copied raw",
			         wwhy);
			goto out;
		}
	}
	if (lb_ext_add(out, off, v.heap_off) < 0 || bits_to_ranges(&v, bm.bits, out) < 0 ||
	    (v.vol_bytes > v.heap_end && lb_ext_add(out, off + v.heap_end, v.vol_bytes - v.heap_end) < 0)) {
		fail_oom(why, whylen);
		goto out;
	}
	lb_ext_normalize(out);
	why[0] = 0;
	if (v.flags & EXFAT_DIRTY)
		note(why, whylen, "marked dirty (not cleanly removed): every cluster its directories "
		     "name kept as well as its bitmap's");
	if (v.flags & EXFAT_MEDIA_FAILURE)
		note(why, whylen, "its MediaFailure flag is set (the disk reported bad sectors to it)");
	if (v.nfats == 2)
		note(why, whylen, "TexFAT: both allocation bitmaps' clusters kept");
	if (v.backup_note)
		note(why, whylen, v.backup_note);
	rc = 0;
out:
	free(bm.bits);
	lb_exfat_close(&v);
	return rc;
}

const struct lb_fs_ops lb_fs_exfat = { "exfat", exfat_probe, exfat_used, lb_exfat_damage };
