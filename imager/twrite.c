/* Target writing and read-back verification. */
#include <errno.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <string.h>
#include "chunker.h"
#include "err.h"
#include "le.h"
#include "ptable.h"
#include "twrite.h"

int lb_tw_open(struct lb_twriter *t, const char *target, struct lb_err *err)
{
	memset(t, 0, sizeof *t);
	return lb_dev_open(&t->dev, target, 2, err);
}

void lb_tw_close(struct lb_twriter *t)
{
	lb_dev_close(&t->dev);
	lb_ext_free(&t->ext);
	lb_ext_free(&t->patched);
	lb_ext_free(&t->bad);
	free(t->v);
	t->v = NULL;
}

/* A zero chunk that is not all zeros on the target: the 4 KiB blocks that are not, as target
 * ranges in s->aux (merged), so only they are zeroed. 0: listed (s->aux_len ranges); -1: not
 * listed (a read error, or more ranges than aux holds): the whole chunk is zeroed. */
static int nonzero_blocks(struct lb_twriter *t, struct lb_slot *s, uint8_t *buf, size_t cap)
{
	struct lb_extent *v = (struct lb_extent *)s->aux;
	size_t n = 0, max = s->aux_cap / sizeof *v;
	for (uint32_t k = 0; k < s->next; k++) {
		uint64_t at = s->ext[k].off - t->lo + t->dest, end = at + s->ext[k].len;
		while (at < end) {
			size_t m = end - at < cap ? (size_t)(end - at) : cap;
			if (!t->dev.is_blk) {   /* holes of a target file are zeros: not read */
				int64_t data = lb_dev_seek(&t->dev, at, SEEK_DATA);
				if (data == -ENXIO)
					break;
				if (data > 0 && (uint64_t)data > at) {
					at = (uint64_t)data < end ? (uint64_t)data : end;
					continue;
				}
			}
			if (lb_dev_pread(&t->dev, buf, m, at))
				return -1;
			for (size_t b = 0; b < m; b += LB_TW_BLOCK) {
				size_t bl = m - b < LB_TW_BLOCK ? m - b : LB_TW_BLOCK;
				if (lb_is_zero(buf + b, bl))
					continue;
				if (n && v[n - 1].off + v[n - 1].len == at + b)
					v[n - 1].len += bl;
				else if (n == max)
					return -1;
				else
					v[n++] = (struct lb_extent){ at + b, bl };
			}
			at += m;
		}
	}
	s->aux_len = n;
	return 0;
}

int lb_tw_same(struct lb_twriter *t, struct lb_slot *s)
{
	uint8_t tab[16];
	struct lb_hash h;
	struct lb_sum got;
	/* with aux, what the target holds stays there for lb_tw_write to compare block by block */
	uint8_t *into = s->aux ? s->aux : s->out;
	size_t pos = 0;
	lb_hash_init(&h, t->sum_kind);
	if (s->next > 1)
		for (uint32_t k = 0; k < s->next; k++) {
			put64(tab, s->ext[k].off);
			put64(tab + 8, s->ext[k].len);
			lb_hash_update(&h, tab, 16);
		}
	for (uint32_t k = 0; k < s->next; k++) {
		uint64_t off = s->ext[k].off, len = s->ext[k].len;
		if (off < t->lo || off + len > t->hi || len > s->len)
			return 0;   /* clipped chunks are simply written */
		if (s->codec == 0) {   /* zero chunks can be far larger than s->out */
			struct lb_err e = { 0 };
			uint64_t at;
			uint8_t *buf = NULL;   /* not on the stack: musl threads have 128 KiB */
			int z = posix_memalign((void **)&buf, 4096, 1u << 20) ? -1 :
			        lb_dev_check_zero(&t->dev, off - t->lo + t->dest, len, buf, 1u << 20, &at, &e);
			if (z && buf && s->aux && nonzero_blocks(t, s, buf, 1u << 20) == 0)
				s->flags |= LB_SLOT_DIFF;
			free(buf);
			if (z)
				return 0;
			continue;
		}
		if (s->aux && pos + len > s->aux_cap)
			return 0;
		if (lb_dev_pread(&t->dev, into + pos, (size_t)len, off - t->lo + t->dest))
			return 0;
		lb_hash_update(&h, into + pos, (size_t)len);
		if (s->aux)
			pos += (size_t)len;
	}
	if (s->codec == 0)
		return 1;
	lb_hash_final(&h, &got);
	if (lb_sum_eq(&got, &s->sum))
		return 1;
	if (s->aux)
		s->flags |= LB_SLOT_DIFF;   /* aux holds the whole chunk as the target has it */
	return 0;
}

static int readback(struct lb_twriter *t, struct lb_prog *prog, int final, int *verified,
                    struct lb_err *err);

/* --resume, a chunk the target holds in part: writes only the 4 KiB blocks of p (len bytes
 * for target offset dst) that differ from old, what the target has; *wrote counts them. */
static int write_diff(struct lb_twriter *t, const uint8_t *p, const uint8_t *old, uint64_t len,
                      uint64_t dst, uint64_t *wrote, struct lb_err *err)
{
	uint64_t b = 0;
	while (b < len) {
		uint64_t e;
		size_t bl = len - b < LB_TW_BLOCK ? (size_t)(len - b) : LB_TW_BLOCK;
		int rc;
		if (!memcmp(p + b, old + b, bl)) {
			b += bl;
			continue;
		}
		for (e = b + bl; e < len; e += bl) {   /* the run of differing blocks */
			bl = len - e < LB_TW_BLOCK ? (size_t)(len - e) : LB_TW_BLOCK;
			if (!memcmp(p + e, old + e, bl))
				break;
		}
		if ((rc = lb_dev_write(&t->dev, p + b, (size_t)(e - b), dst + b, err)))
			return rc;
		*wrote += e - b;
		b = e;
	}
	return 0;
}

int lb_tw_write(struct lb_twriter *t, const struct lb_slot *s, struct lb_err *err)
{
	/* a chunk with unreadable sectors is superseded in part by patch chunks: checked with a
	 * mask (see twrite.h) */
	struct lb_vrec vr = { .first = t->ext.n, .sum = s->sum, .zero = s->codec == LB_CODEC_ZERO,
	                      .masked = (s->flags & LB_CHUNK_BAD) != 0 };
	const uint8_t *p = s->data;
	int same = (s->flags & LB_SLOT_SAME) != 0, diff = (s->flags & LB_SLOT_DIFF) && !same;
	uint64_t wrote = 0, total = 0;
	int rc;
	if (diff && !p) {
		/* a zero chunk: only its blocks that are not zeros on the target (listed in aux) */
		const struct lb_extent *z = (const struct lb_extent *)s->aux;
		for (size_t i = 0; i < s->aux_len; i++) {
			if ((rc = lb_dev_zero(&t->dev, z[i].off, z[i].len, err)))
				return lb_context(err, "restoring chunk %llu", (unsigned long long)s->seq);
			wrote += z[i].len;
		}
	}
	for (uint32_t i = 0; i < s->next; i++) {
		uint64_t off = s->ext[i].off, len = s->ext[i].len, skip = 0;
		if (off < t->lo)
			skip = t->lo - off < len ? t->lo - off : len;
		if (off + len > t->hi)
			len = t->hi > off ? t->hi - off : 0;
		if (skip || len != s->ext[i].len)
			vr.partial = 1;
		if (len > skip)
			total += len - skip;
		if (len > skip && !same && !(diff && !p)) {
			uint64_t dst = off + skip - t->lo + t->dest;
			if (diff)   /* lb_tw_same set it for whole chunks only: skip is 0 */
				rc = write_diff(t, p + skip, s->aux + (p - s->data) + skip, len - skip, dst,
				                &wrote, err);
			else if (p)
				rc = lb_dev_write(&t->dev, p + skip, len - skip, dst, err);
			else
				rc = lb_dev_zero(&t->dev, dst, len - skip, err);
			if (rc)
				return lb_context(err, "restoring chunk %llu", (unsigned long long)s->seq);
			if (!diff)
				wrote += len - skip;
		}
		/* remember the extent as the image has it, for the checksum; not a chunk the target
		 * was found to hold already: that was just read and checked */
		if ((!same && lb_ext_push(&t->ext, s->ext[i].off, s->ext[i].len) < 0) ||
		    ((s->flags & LB_CHUNK_PATCH) &&
		     lb_ext_push(&t->patched, s->ext[i].off, s->ext[i].len) < 0))
			return lb_fail(err, LB_ENOMEM, "out of memory");
		if (p)
			p += s->ext[i].len;
	}
	t->written += wrote;
	t->same += total > wrote ? total - wrote : 0;
	t->chunks++;
	t->chunks_written += wrote != 0;
	if (same)
		return 0;
	vr.next = (uint32_t)(t->ext.n - vr.first);
	if (t->nv == t->capv) {
		size_t cap = t->capv ? t->capv * 2 : 1024;
		struct lb_vrec *v = realloc(t->v, cap * sizeof *v);
		if (!v)
			return lb_fail(err, LB_ENOMEM, "out of memory");
		t->v = v;
		t->capv = cap;
	}
	t->v[t->nv++] = vr;
	if (t->readback && t->nv >= t->flush_at + LB_TW_WINDOW) {
		/* the read-back of this window now; the progress shown stays the copy's */
		struct lb_prog quiet;
		int ok;
		lb_prog_init(&quiet, NULL, NULL);
		if ((rc = readback(t, &quiet, 0, &ok, err)))
			return rc;
		t->flush_at = t->nv;   /* records with bad sectors stay for the final pass */
	}
	return 0;
}

int lb_ext_union(const struct lb_extents *a, const struct lb_extents *b, struct lb_extents *out)
{
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < a->n; i++)
		if (lb_ext_push(out, a->v[i].off, a->v[i].len) < 0)
			return -1;
	for (size_t i = 0; i < b->n; i++)
		if (lb_ext_push(out, b->v[i].off, b->v[i].len) < 0)
			return -1;
	lb_ext_normalize(out);
	return 0;
}

/* The first range of mask ending after pos. */
static size_t mask_at(const struct lb_extents *mask, uint64_t pos)
{
	size_t lo = 0, hi = mask->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (mask->v[mid].off + mask->v[mid].len <= pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Reads image range [off, off+len) from d at dev_off, the bytes inside mask as zeros. */
static int read_masked(struct lb_dev *d, uint8_t *buf, size_t len, uint64_t off, uint64_t dev_off,
                       const struct lb_extents *mask, struct lb_err *err)
{
	uint64_t pos = off, end = off + len;
	size_t j = mask ? mask_at(mask, off) : 0, n = mask ? mask->n : 0;
	int rc;
	while (pos < end) {
		uint64_t e;
		if (j < n && mask->v[j].off <= pos) {
			e = mask->v[j].off + mask->v[j].len < end ? mask->v[j].off + mask->v[j].len : end;
			memset(buf + (pos - off), 0, (size_t)(e - pos));
			j++;
		} else {
			e = j < n && mask->v[j].off < end ? mask->v[j].off : end;
			if ((rc = lb_dev_read(d, buf + (pos - off), (size_t)(e - pos),
			                      dev_off + (pos - off), err)))
				return rc;
		}
		pos = e;
	}
	return 0;
}

int lb_tw_check_rec(struct lb_dev *d, const struct lb_extent *ext, uint32_t next, int kind,
                    const struct lb_sum *sum, int zero, uint64_t lo, uint64_t dest,
                    const struct lb_extents *mask, uint8_t *buf, size_t cap, int *same,
                    struct lb_err *err)
{
	uint8_t tab[16];
	struct lb_hash h;
	struct lb_sum got;
	int zero_ok = 1, rc;
	*same = 0;
	lb_hash_init(&h, kind);
	if (next > 1)
		for (uint32_t k = 0; k < next; k++) {
			put64(tab, ext[k].off);
			put64(tab + 8, ext[k].len);
			lb_hash_update(&h, tab, 16);
		}
	for (uint32_t k = 0; k < next; k++) {
		uint64_t off = ext[k].off, len = ext[k].len, at;
		if (zero && !mask) {   /* up to 1 GiB: holes of a target file are skipped, not read */
			int z = lb_dev_check_zero(d, off - lo + dest, len, buf, cap, &at, err);
			if (z > 0)
				return z;
			zero_ok &= z == 0;
			continue;
		}
		while (len) {
			size_t n = len < cap ? (size_t)len : cap;
			if ((rc = read_masked(d, buf, n, off, off - lo + dest, mask, err)))
				return rc;
			if (zero)
				zero_ok &= lb_is_zero(buf, n);
			else
				lb_hash_update(&h, buf, n);
			off += n;
			len -= n;
		}
	}
	if (zero) {
		*same = zero_ok;
		return 0;
	}
	lb_hash_final(&h, &got);
	*same = lb_sum_eq(&got, sum);
	return 0;
}

/* Reads back and checks the remembered records. A window (final = 0) checks the records it
 * can check now and keeps those holding unreadable sectors: their mask (patch chunks, ranges
 * still bad) is known only at the end. The final pass checks everything left, and that the
 * ranges still unreadable read as zeros. */
static int readback(struct lb_twriter *t, struct lb_prog *prog, int final, int *verified,
                    struct lb_err *err)
{
	enum { BUF = 1 << 20 };
	uint8_t *buf = NULL;   /* aligned: read back past the page cache (O_DIRECT) when it can */
	uint64_t done = 0, total = 0;
	struct lb_extents mask = { 0 };
	size_t keep_v = 0, keep_e = 0;
	int rc = 0, same, unchecked = 0;
	*verified = 0;
	if (posix_memalign((void **)&buf, 4096, BUF))
		buf = NULL;
	if (!buf || (final && lb_ext_union(&t->patched, &t->bad, &mask))) {
		rc = lb_fail(err, LB_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = lb_dev_sync(&t->dev, err)))
		goto out;
	lb_dev_drop_cache(&t->dev);
	for (size_t i = 0; i < t->nv; i++)
		for (uint32_t k = 0; k < t->v[i].next; k++)
			total += t->ext.v[t->v[i].first + k].len;
	lb_prog_phase(prog, LB_PHASE_VERIFY, total);
	for (size_t i = 0; i < t->nv && !rc; i++) {
		struct lb_vrec vr = t->v[i];
		const struct lb_extent *e = &t->ext.v[vr.first];
		if (vr.partial)
			continue;
		if (vr.masked && final && t->mask_unknown) {
			unchecked = 1;
			continue;
		}
		if (vr.masked && !final) {
			/* compact it to the front: kept for the final pass */
			memmove(&t->ext.v[keep_e], e, vr.next * sizeof *e);
			vr.first = keep_e;
			keep_e += vr.next;
			t->v[keep_v++] = vr;
			continue;
		}
		if ((rc = lb_tw_check_rec(&t->dev, e, vr.next, t->sum_kind, &vr.sum, vr.zero, t->lo,
		                          t->dest, vr.masked ? &mask : NULL, buf, BUF, &same, err)))
			break;
		for (uint32_t k = 0; k < vr.next; k++)
			done += e[k].len;
		if (!same) {
			rc = lb_fail(err, LB_EIO, "verification failed: what was read back from %s at "
			             "offset %llu differs from what was written (a failing disk or "
			             "connection?)", t->dev.path,
			             (unsigned long long)(e[0].off - t->lo + t->dest));
			break;
		}
		if (lb_prog_update(prog, done, 0))
			rc = lb_fail(err, LB_ECANCELLED, "cancelled during verification");
	}
	if (!final) {
		t->nv = keep_v;
		t->ext.n = keep_e;
		goto out;
	}
	/* what could not be read from the source must be zeros on the target, not old data */
	for (size_t i = 0; i < t->bad.n && !rc; i++) {
		uint64_t s = t->bad.v[i].off, e = s + t->bad.v[i].len;
		struct lb_extent x;
		if (s < t->lo)
			s = t->lo;
		if (e > t->hi)
			e = t->hi;
		if (s >= e)
			continue;
		x.off = s;
		x.len = e - s;
		if ((rc = lb_tw_check_rec(&t->dev, &x, 1, t->sum_kind, NULL, 1, t->lo, t->dest, NULL, buf,
		                          BUF, &same, err)))
			break;
		if (!same)
			rc = lb_fail(err, LB_EIO, "verification failed: %s at offset %llu should read as "
			             "zeros (a range unreadable on the source) but does not", t->dev.path,
			             (unsigned long long)(s - t->lo + t->dest));
	}
	if (!rc)
		*verified = !unchecked;
out:
	lb_ext_free(&mask);
	free(buf);
	return rc;
}

int lb_tw_verify(struct lb_twriter *t, struct lb_prog *prog, int *verified, struct lb_err *err)
{
	return readback(t, prog, 1, verified, err);
}

int lb_tw_finish(struct lb_twriter *t, int verify, uint64_t gpt_src_size, int whole_disk,
                 struct lb_prog *prog, struct lb_report *rep, struct lb_err *err)
{
	int rc;
	if ((rc = lb_dev_sync(&t->dev, err)))
		return rc;
	if (verify && (rc = lb_tw_verify(t, prog, &rep->verified, err)))
		return rc;
	if (gpt_src_size && (rc = lb_tw_fix_gpt(t, gpt_src_size, &rep->gpt_relocated, err)))
		return rc;
	if (whole_disk && (rc = lb_tw_wipe_stale(t, gpt_src_size, &rep->stale_wiped, err)))
		return rc;
	if ((rc = lb_dev_sync(&t->dev, err)))
		return rc;
	if (t->dev.is_blk && whole_disk)
		ioctl(t->dev.fd, BLKRRPART, 0);   /* let the kernel see the new partitions */
	return 0;
}

int lb_tw_fix_gpt(struct lb_twriter *t, uint64_t src_size, int *relocated, struct lb_err *err)
{
	struct lb_ptable *pt = malloc(sizeof *pt);
	int rc;
	*relocated = 0;
	if (!pt)
		return lb_fail(err, LB_ENOMEM, "out of memory");
	/* The backup GPT the image carried sits where the source ended. */
	if ((rc = lb_ptable_read_sized(&t->dev, src_size, pt, err)))
		goto out;
	if (strcmp(pt->type, "gpt")) {
		rc = lb_fail(err, LB_EIO, "the GPT written to %s cannot be read back; run 'sgdisk -v' "
		             "on it and report this", t->dev.path);
		goto out;
	}
	if (t->dev.size == src_size && pt->gpt.primary_ok && pt->gpt.backup_ok)
		goto out;   /* same size, both copies intact: nothing to move */
	if ((rc = lb_gpt_write(&t->dev, pt, err)))
		goto out;
	if ((rc = lb_dev_sync(&t->dev, err)))
		goto out;
	lb_dev_drop_cache(&t->dev);
	if ((rc = lb_ptable_read(&t->dev, pt, err)))
		goto out;
	if (strcmp(pt->type, "gpt") || !pt->gpt.primary_ok || !pt->gpt.backup_ok) {
		rc = lb_fail(err, LB_EIO, "the GPT rewritten for the size of %s does not read back "
		             "intact", t->dev.path);
		goto out;
	}
	*relocated = 1;
out:
	free(pt);
	return rc;
}
