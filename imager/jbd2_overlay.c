/* The replayed view of an ext filesystem: reads of the device with the journal's committed
 * blocks laid over them, as e2fsck's recovery would have written them. Only block numbers are
 * kept — fs block → journal block, and the journal's own block map in runs — and each
 * replayed block is read from the journal when something reads it, so a journal of a GiB
 * costs memory per block tag (16 bytes), not per byte. The superblock is computed once: the
 * replayed one (or the device's), with needs_recovery cleared and errors recorded as e2fsck
 * leaves it, its checksum made right again. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>   /* before ext2fs.h: musl's headers do not pull it in */
#include <ext2fs/ext2fs.h>
#include "jbd2.h"
#include "le.h"

struct lb_jbd2_view {
	struct lb_dev *d;
	uint64_t off, size;
	uint32_t bs;
	struct lb_jbd2_write *w;   /* sorted by fsblk */
	size_t n;
	struct lb_jbd2_run *runs;  /* sorted by lblk */
	size_t nruns;
	uint8_t sb[1024];          /* bytes 1024..2047 of the filesystem in the view */
};

static const struct lb_jbd2_write *find_from(const struct lb_jbd2_view *v, uint64_t blk)
{
	size_t lo = 0, hi = v->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v->w[mid].fsblk < blk)
			lo = mid + 1;
		else
			hi = mid;
	}
	return v->w + lo;
}

static int journal_pblk(const struct lb_jbd2_view *v, uint32_t jblk, uint64_t *pblk)
{
	size_t lo = 0, hi = v->nruns;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v->runs[mid].lblk + (uint64_t)v->runs[mid].len <= jblk)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == v->nruns || v->runs[lo].lblk > jblk)
		return -EIO;   /* a hole in the journal: the replay read it, so it cannot be */
	*pblk = v->runs[lo].pblk + (jblk - v->runs[lo].lblk);
	return 0;
}

/* The replayed content of one write, into blk (bs bytes). */
static int read_write(const struct lb_jbd2_view *v, const struct lb_jbd2_write *w, uint8_t *blk)
{
	uint64_t pblk;
	int r = journal_pblk(v, w->jblk, &pblk);
	if (r)
		return r;
	if (pblk >= v->size / v->bs)
		return -EIO;
	if ((r = lb_dev_pread(v->d, blk, v->bs, v->off + pblk * v->bs)))
		return r;
	if (w->escaped) {   /* the journal stored it with its first word zeroed */
		blk[0] = 0xc0;
		blk[1] = 0x3b;
		blk[2] = 0x39;
		blk[3] = 0x98;
	}
	return 0;
}

static int patch_blocks(const struct lb_jbd2_view *v, uint8_t *buf, uint64_t at, uint64_t len,
                        uint8_t *tmp)
{
	const struct lb_jbd2_write *w = find_from(v, at / v->bs), *end = v->w + v->n;
	for (; w < end && w->fsblk * v->bs < at + len; w++) {
		uint64_t b0 = w->fsblk * v->bs, from = b0 > at ? b0 : at;
		uint64_t to = b0 + v->bs < at + len ? b0 + v->bs : at + len;
		int r = read_write(v, w, tmp);
		if (r)
			return r;
		memcpy(buf + (from - at), tmp + (from - b0), to - from);
	}
	return 0;
}

int lb_jbd2_view_patch(const struct lb_jbd2_view *v, void *buf, uint64_t at, uint64_t len)
{
	uint8_t *tmp;
	int r = 0;
	if (v->n) {
		if (!(tmp = malloc(v->bs)))
			return -ENOMEM;
		r = patch_blocks(v, buf, at, len, tmp);
		free(tmp);
	}
	if (!r && at < 2048 && at + len > 1024) {
		uint64_t from = at > 1024 ? at : 1024, to = at + len < 2048 ? at + len : 2048;
		memcpy((uint8_t *)buf + (from - at), v->sb + (from - 1024), to - from);
	}
	return r;
}

static int run_cmp(const void *a, const void *b)
{
	const struct lb_jbd2_run *x = a, *y = b;
	return x->lblk < y->lblk ? -1 : x->lblk > y->lblk;
}

int lb_jbd2_view_new(struct lb_dev *d, uint64_t off, uint64_t size, uint32_t blocksize,
                     struct lb_jbd2 *j, const struct lb_jbd2_run *runs, size_t nruns,
                     struct lb_jbd2_view **out)
{
	struct lb_jbd2_view *v = calloc(1, sizeof *v);
	uint8_t *blk = NULL;
	int r;

	*out = NULL;
	if (!v || (nruns && !(v->runs = malloc(nruns * sizeof *runs))) || !(blk = malloc(blocksize))) {
		r = -ENOMEM;
		goto fail;
	}
	v->d = d;
	v->off = off;
	v->size = size;
	v->bs = blocksize;
	if (nruns)
		memcpy(v->runs, runs, nruns * sizeof *runs);
	v->nruns = nruns;
	if (nruns)
		qsort(v->runs, v->nruns, sizeof *v->runs, run_cmp);
	v->w = j->w;
	v->n = j->n;
	j->w = NULL;
	j->n = 0;
	/* the superblock as the replay leaves it, then as e2fsck's recovery finishes it */
	if ((r = lb_dev_pread(d, v->sb, sizeof v->sb, off + 1024)))
		goto fail;
	if (v->n) {
		uint64_t sblk = 1024 / blocksize;
		const struct lb_jbd2_write *w = find_from(v, sblk);
		if (w < v->w + v->n && w->fsblk == sblk) {
			if ((r = read_write(v, w, blk)))
				goto fail;
			memcpy(v->sb, blk + (1024 - sblk * blocksize), sizeof v->sb);
		}
	}
	put32(v->sb + 0x60, le32(v->sb + 0x60) & ~(uint32_t)EXT3_FEATURE_INCOMPAT_RECOVER);
	if (j->journal_errno)
		put16(v->sb + 0x3a, le16(v->sb + 0x3a) | EXT2_ERROR_FS);
	if (le32(v->sb + 0x64) & EXT4_FEATURE_RO_COMPAT_METADATA_CSUM && v->sb[0x175] == 1)
		put32(v->sb + 0x3fc, ext2fs_crc32c_le(~0u, v->sb, 0x3fc));
	free(blk);
	*out = v;
	return 0;
fail:
	free(blk);
	lb_jbd2_view_free(v);
	return r;
}

void lb_jbd2_view_free(struct lb_jbd2_view *v)
{
	if (!v)
		return;
	free(v->w);
	free(v->runs);
	free(v);
}

int lb_jbd2_view_each_block(const struct lb_jbd2_view *v,
                            int (*fn)(void *ctx, uint64_t fsblk, uint64_t count), void *ctx)
{
	for (size_t i = 0; i < v->nruns; i++) {
		int r = fn(ctx, v->runs[i].pblk, v->runs[i].len);
		if (r)
			return r;
	}
	for (size_t i = 0; i < v->n;) {
		size_t k = i + 1;
		int r;
		while (k < v->n && v->w[k].fsblk == v->w[k - 1].fsblk + 1)
			k++;
		if ((r = fn(ctx, v->w[i].fsblk, k - i)))
			return r;
		i = k;
	}
	return 0;
}
