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

/* One pass over a bitmap: its bytes, a piece at a time, to ranges (out) or a count. */
struct bm {
	struct lb_exfat *v;
	struct lb_extents *out;   /* NULL: count only */
	uint64_t used;            /* clusters marked in use */
	uint64_t at, need;        /* bytes of the bitmap read so far, and wanted */
	uint8_t *piece;
	char *why;
	size_t whylen;
	int oom;
};

/* A run of clusters to byte ranges of the volume. */
static int add_run(void *priv, uint32_t first, uint32_t n)
{
	struct bm *b = priv;
	if (lb_ext_add(b->out, b->v->off + lb_exfat_cl_off(b->v, first), (uint64_t)n * b->v->cs) < 0) {
		b->oom = 1;
		return -2;
	}
	return 0;
}

static int add_path_run(void *priv, const char *path, int is_dir, uint32_t first, uint32_t n)
{
	return add_run(priv, first, n);
}

/* The set bits of p (n bytes, the first holding clusters from index c0 on: c0 % 8 == 0) as
 * heap ranges; bits at and past the cluster count mean nothing. */
static int bits(struct bm *b, const uint8_t *p, size_t n, uint64_t c0)
{
	struct lb_exfat *v = b->v;
	uint64_t end = c0 + 8 * (uint64_t)n, c = c0;
	if (end > v->nclusters)
		end = v->nclusters;
	while (c < end) {
		uint64_t s;
		/* whole free or used bytes at a time: most of a bitmap is either */
		while (c < end && !(c % 8) && !p[(c - c0) / 8])
			c += 8;
		if (c >= end)
			break;
		if (!(p[(c - c0) / 8] >> (c % 8) & 1)) {
			c++;
			continue;
		}
		s = c;
		while (c < end) {
			if (!(c % 8) && c + 8 <= end && p[(c - c0) / 8] == 0xff)
				c += 8;
			else if (p[(c - c0) / 8] >> (c % 8) & 1)
				c++;
			else
				break;
		}
		if (c > end)
			c = end;
		b->used += c - s;
		if (b->out && lb_ext_add(b->out, v->off + v->heap_off + s * v->cs, (c - s) * v->cs) < 0) {
			b->oom = 1;
			return -1;
		}
	}
	return 0;
}

/* Reads one run of the bitmap's clusters, a piece at a time (only the bytes the cluster
 * count needs). */
static int scan_run(void *priv, uint32_t first, uint32_t n)
{
	enum { PIECE = 1 << 20 };
	struct bm *b = priv;
	struct lb_exfat *v = b->v;
	uint64_t len = (uint64_t)n * v->cs, at = v->off + lb_exfat_cl_off(v, first);
	struct lb_err e = { 0 };
	if (!b->piece && !(b->piece = malloc(PIECE))) {
		b->oom = 1;
		return -2;
	}
	if (len > b->need - b->at)
		len = b->need - b->at;
	while (len) {
		size_t k = len < PIECE ? (size_t)len : PIECE;
		if (lb_dev_read(v->d, b->piece, k, at, &e)) {
			snprintf(b->why, b->whylen, "its allocation bitmap cannot be read at byte %llu of the "
			         "volume", (unsigned long long)(at - v->off));
			return -1;
		}
		if (bits(b, b->piece, k, b->at * 8))
			return -2;
		b->at += k;
		at += k;
		len -= k;
	}
	return 0;
}

/* The bitmap of slot (0 or 1): its set bits to b->out (when set) and b->used. */
static int scan_bitmap(struct bm *b, const struct lb_exfat_root *r, int slot)
{
	struct lb_exfat *v = b->v;
	b->need = ((uint64_t)v->nclusters + 7) / 8;
	b->at = 0;
	b->used = 0;
	if (r->bm_len[slot] < b->need) {
		snprintf(b->why, b->whylen, "its allocation bitmap is %llu bytes, too short for its %u "
		         "clusters", (unsigned long long)r->bm_len[slot], v->nclusters);
		return -1;
	}
	if (lb_exfat_runs(v, r->bm_first[slot], (b->need + v->cs - 1) / v->cs, 0,
	                  "its allocation bitmap", scan_run, b, b->why, b->whylen))
		return -1;
	if (b->at < b->need) {
		snprintf(b->why, b->whylen, "its allocation bitmap's FAT chain is shorter than the bitmap");
		return -1;
	}
	/* the bitmap's own clusters, whatever it says of them */
	if (b->out && lb_exfat_runs(v, r->bm_first[slot], (b->need + v->cs - 1) / v->cs, 0,
	                            "its allocation bitmap", add_run, b, b->why, b->whylen))
		return -1;
	return 0;
}

/* The root entries and the bitmap(s): with out, TexFAT's two bitmaps are both added. */
static int load(struct lb_exfat *v, struct lb_exfat_root *r, struct bm *b, char *why, size_t whylen)
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
	if (b->out && v->nfats == 2 && r->bm_first[!v->active] && scan_bitmap(b, r, !v->active))
		return -1;
	/* the active one last: b->used is what the filesystem counts */
	return scan_bitmap(b, r, v->active);
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
		if (load(&v, &r, &bm, why, sizeof why) == 0)
			info->used = v.heap_off + bm.used * v.cs;
		snprintf(info->label, sizeof info->label, "%s", r.label);
	}
	free(bm.piece);
	lb_exfat_close(&v);
	return 1;
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
	struct bm bm = { .out = out };
	struct lb_exfat_walk w = { &bm, add_path_run };
	int rc = -1;
	*method = "used";
	if (lb_exfat_open(&v, d, off, size, why, whylen))
		goto out;
	if (lb_ext_add(out, off, v.heap_off) < 0 ||
	    (v.vol_bytes > v.heap_end && lb_ext_add(out, off + v.heap_end, v.vol_bytes - v.heap_end) < 0)) {
		bm.oom = 1;
		goto out;
	}
	if (load(&v, &r, &bm, why, whylen))
		goto out;
	/* what the filesystem always needs, whatever its bitmap says */
	if (lb_exfat_runs(&v, v.root, 0, 0, "its root directory", add_run, &bm, why, whylen) ||
	    (r.up_first && r.up_len &&
	     lb_exfat_runs(&v, r.up_first, (r.up_len + v.cs - 1) / v.cs, 0, "its up-case table",
	                   add_run, &bm, why, whylen)))
		goto out;
	if (v.flags & EXFAT_DIRTY) {
		char wwhy[160] = "";
		if (lb_exfat_walk(&v, &w, wwhy, sizeof wwhy)) {
			if (!bm.oom)
				snprintf(why, whylen, "volume is marked dirty (not cleanly removed) and %s: "
				         "copied raw", wwhy);
			goto out;
		}
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
	if (bm.oom)
		snprintf(why, whylen, "out of memory building its cluster map");
	free(bm.piece);
	lb_exfat_close(&v);
	return rc;
}

const struct lb_fs_ops lb_fs_exfat = { "exfat", exfat_probe, exfat_used, lb_exfat_damage };
