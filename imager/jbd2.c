/* The JBD2 journal's recovery, in memory. The three passes follow e2fsprogs' e2fsck/recovery.c
 * (the kernel's fs/jbd2/recovery.c) decision by decision, so the transactions chosen are the
 * ones e2fsck would replay: PASS_SCAN finds the end of the log (a block without the magic or
 * with another sequence number; a commit whose checksum fails — the end with async_commit,
 * corruption without; a stale transaction that lazy journal init left behind), PASS_REVOKE
 * collects the revoke records, PASS_REPLAY lists every block tag not revoked by the same or a
 * later transaction. Nothing is copied: a write is "fs block B gets journal block J".
 * Where e2fsck would replay and then record an error (a failed commit, a data block whose tag
 * checksum fails), or stop with an error, this returns -1 and says where: the filesystem is
 * then copied raw rather than mapped from a view e2fsck would not produce. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>   /* before ext2fs.h: musl's headers do not pull it in */
#include <ext2fs/ext2fs.h>   /* ext2fs_crc32c_le, ext2fs_crc32_be: the journal's checksums */
#include "jbd2.h"

#define JBD2_MAGIC 0xC03B3998u
enum { T_DESCRIPTOR = 1, T_COMMIT = 2, T_SB_V1 = 3, T_SB_V2 = 4, T_REVOKE = 5 };
#define F_COMPAT_CHECKSUM   0x1u
#define F_INCOMPAT_REVOKE   0x1u
#define F_INCOMPAT_64BIT    0x2u
#define F_INCOMPAT_ASYNC    0x4u
#define F_INCOMPAT_CSUM_V2  0x8u
#define F_INCOMPAT_CSUM_V3  0x10u
#define F_INCOMPAT_FAST     0x20u
#define F_INCOMPAT_KNOWN    0x3fu
#define TAG_ESCAPE    1u
#define TAG_SAME_UUID 2u
#define TAG_LAST      8u
#define CSUM_CRC32    1
#define CSUM_CRC32C   4
/* Revoke records kept before giving up (16 bytes each): a real journal holds far fewer; a
 * huge hostile one must not take the machine's memory. */
#define MAX_REVOKES (8u << 20)

enum pass { PASS_SCAN, PASS_REVOKE, PASS_REPLAY };

struct rev { uint64_t blk; uint32_t rel; };     /* revoked up to transaction first+rel */
struct wr { uint64_t fsblk; uint64_t order; uint32_t jblk, escaped; };

struct jctx {
	const struct lb_jbd2_src *src;
	uint32_t bs, total;            /* block size; usable journal length */
	uint32_t compat, incompat;
	uint32_t first, last;          /* the log's ring: [first, last) */
	uint32_t start, first_tid;
	uint32_t seed;                 /* csum v2/v3: crc32c of the journal's UUID */
	int csum23, v1sum, async;
	unsigned tag_bytes;
	uint8_t *buf, *data;           /* one header block, one data block */
	uint32_t end_tid;              /* PASS_SCAN's result: first transaction not replayed */
	int end_set;
	struct rev *rv;
	size_t nrv, rvcap, rvsorted;
	struct wr *w;
	size_t nw, wcap;
	uint64_t tags, revoked;
	char *why;
	size_t whylen;
};

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static uint32_t crc32c(uint32_t seed, const void *p, size_t n)
{
	return ext2fs_crc32c_le(seed, p, n);
}

static int fail(struct jctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct jctx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->why, c->whylen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Relative transaction numbers: sequence numbers wrap at 2^32, the log's do not. */
static uint32_t rel(const struct jctx *c, uint32_t tid)
{
	return tid - c->first_tid;
}

static int jread(struct jctx *c, uint32_t n, uint8_t *buf)
{
	int r;
	if (n >= c->total)
		return fail(c, "its journal's log reaches block %u, past the journal's %u blocks "
		            "(corrupt journal superblock)", n, c->total);
	r = c->src->read(c->src->ctx, n, buf);
	if (r)
		return fail(c, "journal block %u cannot be read (%s)", n, strerror(-r));
	return 0;
}

static void wrap(const struct jctx *c, uint32_t *n)
{
	if (*n >= c->last)
		*n -= c->last - c->first;
}

/* Descriptor and revoke blocks end in a crc32c of the whole block (v2/v3). */
static int tail_csum_ok(const struct jctx *c, uint8_t *b)
{
	uint32_t provided, calc;
	if (!c->csum23)
		return 1;
	provided = be32(b + c->bs - 4);
	memset(b + c->bs - 4, 0, 4);
	calc = crc32c(c->seed, b, c->bs);
	b[c->bs - 4] = (uint8_t)(provided >> 24);
	b[c->bs - 3] = (uint8_t)(provided >> 16);
	b[c->bs - 2] = (uint8_t)(provided >> 8);
	b[c->bs - 1] = (uint8_t)provided;
	return provided == calc;
}

static int commit_csum_ok(const struct jctx *c, uint8_t *b)
{
	uint8_t saved[4];
	uint32_t calc;
	if (!c->csum23)
		return 1;
	memcpy(saved, b + 16, 4);
	memset(b + 16, 0, 4);
	calc = crc32c(c->seed, b, c->bs);
	memcpy(b + 16, saved, 4);
	return be32(saved) == calc;
}

/* A data block's tag checksum: crc32c over the transaction's sequence number (big-endian)
 * and the block; 16 bits of it in the v2 tag, all 32 in the v3 one. */
static int tag_csum_ok(const struct jctx *c, const uint8_t *tag, const uint8_t *blk, uint32_t seq)
{
	uint8_t s[4] = { (uint8_t)(seq >> 24), (uint8_t)(seq >> 16), (uint8_t)(seq >> 8), (uint8_t)seq };
	uint32_t calc = crc32c(crc32c(c->seed, s, 4), blk, c->bs);
	if (c->incompat & F_INCOMPAT_CSUM_V3)
		return be32(tag + 12) == calc;
	return (uint32_t)(tag[4] << 8 | tag[5]) == (calc & 0xffff);
}

static uint64_t tag_block(const struct jctx *c, const uint8_t *tag)
{
	uint64_t b = be32(tag);
	if (c->incompat & F_INCOMPAT_64BIT)
		b |= (uint64_t)be32(tag + 8) << 32;
	return b;
}

static unsigned tag_flags(const uint8_t *tag)
{
	return (unsigned)(tag[6] << 8 | tag[7]);
}

static unsigned tags_end(const struct jctx *c)
{
	return c->bs - (c->csum23 ? 4 : 0);
}

static uint32_t count_tags(const struct jctx *c, const uint8_t *b)
{
	uint32_t nr = 0;
	size_t p = 12;
	while (p + c->tag_bytes <= tags_end(c)) {
		unsigned flags = tag_flags(b + p);
		nr++;
		p += c->tag_bytes;
		if (!(flags & TAG_SAME_UUID))
			p += 16;
		if (flags & TAG_LAST)
			break;
	}
	return nr;
}

static int rev_cmp(const void *a, const void *b)
{
	const struct rev *x = a, *y = b;
	return x->blk < y->blk ? -1 : x->blk > y->blk;
}

/* Sorts the revoke records and keeps one per block: the latest transaction's. */
static void rev_compact(struct jctx *c)
{
	size_t o = 0;
	if (!c->nrv)
		return;
	qsort(c->rv, c->nrv, sizeof *c->rv, rev_cmp);
	for (size_t i = 0; i < c->nrv; i++) {
		if (o && c->rv[o - 1].blk == c->rv[i].blk) {
			if (c->rv[i].rel > c->rv[o - 1].rel)
				c->rv[o - 1].rel = c->rv[i].rel;
			continue;
		}
		c->rv[o++] = c->rv[i];
	}
	c->nrv = c->rvsorted = o;
}

static int rev_add(struct jctx *c, uint64_t blk, uint32_t tid)
{
	if (c->nrv == c->rvcap) {
		size_t cap;
		struct rev *n;
		/* first merge duplicates: a long journal revokes the same blocks again and again */
		if (c->nrv > c->rvsorted + c->rvsorted / 2 + 1024) {
			rev_compact(c);
			if (c->nrv < c->rvcap)
				goto add;
		}
		if (c->rvcap >= MAX_REVOKES)
			return fail(c, "its journal holds more than %u revoke records (too many to "
			            "replay in memory)", MAX_REVOKES);
		cap = c->rvcap ? c->rvcap * 2 : 1024;
		if (!(n = realloc(c->rv, cap * sizeof *n)))
			return fail(c, "out of memory replaying its journal");
		c->rv = n;
		c->rvcap = cap;
	}
add:
	c->rv[c->nrv].blk = blk;
	c->rv[c->nrv].rel = rel(c, tid);
	c->nrv++;
	return 0;
}

/* Revoked for transaction tid: a revoke of the block in tid or a later one. */
static int revoked(const struct jctx *c, uint64_t blk, uint32_t tid)
{
	size_t lo = 0, hi = c->nrv;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->rv[mid].blk < blk)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->nrv && c->rv[lo].blk == blk && c->rv[lo].rel >= rel(c, tid);
}

static int scan_revokes(struct jctx *c, const uint8_t *b, uint32_t tid, uint32_t at)
{
	uint32_t count = be32(b + 12);
	unsigned reclen = c->incompat & F_INCOMPAT_64BIT ? 8 : 4;
	if (count > c->bs - (c->csum23 ? 4 : 0))
		return fail(c, "revoke block %u of journal transaction %u says it holds %u bytes, "
		            "more than a block", at, tid, count);
	for (uint32_t o = 16; o + reclen <= count; o += reclen)
		if (rev_add(c, reclen == 8 ? be64(b + o) : be32(b + o), tid))
			return -1;
	return 0;
}

static int add_write(struct jctx *c, uint64_t fsblk, uint32_t jblk, int escaped)
{
	if (c->nw == c->wcap) {
		size_t cap = c->wcap ? c->wcap * 2 : 256;
		struct wr *n = realloc(c->w, cap * sizeof *n);
		if (!n)
			return fail(c, "out of memory replaying its journal");
		c->w = n;
		c->wcap = cap;
	}
	c->w[c->nw].fsblk = fsblk;
	c->w[c->nw].order = c->nw;
	c->w[c->nw].jblk = jblk;
	c->w[c->nw].escaped = escaped;
	c->nw++;
	return 0;
}

/* One recovery pass. In PASS_SCAN the end of the log is found (c->end_tid); the other
 * passes stop there and must reach it. `used` counts the log's blocks walked: a valid log is
 * never longer than its ring. */
static int do_pass(struct jctx *c, enum pass pass)
{
	uint32_t next_id = c->first_tid, next = c->start, used = 0, ring = c->last - c->first;
	uint32_t crc_sum = ~0u;
	uint64_t last_time = 0, commit_time;
	int need_check_time = 0;

	for (;;) {
		uint32_t at = next, type, seq;
		if (pass != PASS_SCAN && rel(c, next_id) >= rel(c, c->end_tid))
			break;
		if (used >= ring)   /* walked the whole ring: the next block is the log's start */
			break;
		if (jread(c, next, c->buf))
			return -1;
		used++;
		next++;
		wrap(c, &next);
		if (be32(c->buf) != JBD2_MAGIC)
			break;
		type = be32(c->buf + 4);
		seq = be32(c->buf + 8);
		if (seq != next_id)
			break;
		switch (type) {
		case T_DESCRIPTOR: {
			uint32_t ntags = count_tags(c, c->buf);
			size_t p = 12;
			if (!tail_csum_ok(c, c->buf)) {
				if (pass != PASS_SCAN)
					return fail(c, "descriptor block %u of journal transaction %u fails "
					            "its checksum", at, next_id);
				/* lazy journal init can leave stale blocks: the commit time decides */
				need_check_time = 1;
			}
			if (ntags > ring - used)
				return fail(c, "descriptor block %u of journal transaction %u describes %u "
				            "blocks, more than the journal's log has left", at, next_id, ntags);
			if (pass == PASS_SCAN && (c->compat & F_COMPAT_CHECKSUM) && !need_check_time &&
			    !c->end_set) {
				/* v1: one crc32 over the descriptor and its data blocks, in the commit */
				crc_sum = ext2fs_crc32_be(crc_sum, c->buf, c->bs);
				for (uint32_t i = 0; i < ntags; i++) {
					if (jread(c, next, c->data))
						return -1;
					crc_sum = ext2fs_crc32_be(crc_sum, c->data, c->bs);
					next++;
					wrap(c, &next);
				}
				used += ntags;
				continue;
			}
			if (pass != PASS_REPLAY) {
				next += ntags;
				used += ntags;
				wrap(c, &next);
				continue;
			}
			while (p + c->tag_bytes <= tags_end(c)) {
				const uint8_t *tag = c->buf + p;
				unsigned flags = tag_flags(tag);
				uint64_t blk = tag_block(c, tag);
				uint32_t io = next;
				next++;
				used++;
				wrap(c, &next);
				c->tags++;
				if (revoked(c, blk, next_id)) {
					c->revoked++;
				} else {
					if (c->csum23) {
						if (jread(c, io, c->data))
							return -1;
						if (!tag_csum_ok(c, tag, c->data, seq))
							return fail(c, "journal block %u (for block %llu) of transaction "
							            "%u fails its checksum", io, (unsigned long long)blk,
							            next_id);
					}
					if (blk >= c->src->fs_blocks)
						return fail(c, "journal transaction %u writes block %llu, past the "
						            "filesystem's end", next_id, (unsigned long long)blk);
					if (add_write(c, blk, io, flags & TAG_ESCAPE))
						return -1;
				}
				p += c->tag_bytes;
				if (!(flags & TAG_SAME_UUID))
					p += 16;
				if (flags & TAG_LAST)
					break;
			}
			continue;
		}
		case T_COMMIT:
			commit_time = be64(c->buf + 0x30);
			if (need_check_time) {
				if (commit_time >= last_time)
					return fail(c, "journal transaction %u has a descriptor or revoke block "
					            "that fails its checksum", next_id);
				goto done;   /* stale, left by lazy init: the log ends here */
			}
			if (pass == PASS_SCAN && (c->compat & F_COMPAT_CHECKSUM)) {
				uint32_t found = be32(c->buf + 16);
				uint8_t ctype = c->buf[12], csize = c->buf[13];
				if (c->end_set)
					return fail(c, "journal transaction %u fails its commit checksum "
					            "(e2fsck would record an error)", c->end_tid);
				if (!((found == crc_sum && ctype == CSUM_CRC32 && csize == 4) ||
				      (ctype == 0 && csize == 0 && found == 0)))
					goto chksum_error;
				crc_sum = ~0u;
			}
			if (pass == PASS_SCAN && !commit_csum_ok(c, c->buf)) {
chksum_error:
				if (commit_time < last_time)
					goto done;   /* stale: not this journal's */
				c->end_tid = next_id;
				c->end_set = 1;
				if (!c->async)
					return fail(c, "commit block %u of journal transaction %u fails its "
					            "checksum (e2fsck would record an error)", at, next_id);
			}
			if (pass == PASS_SCAN)
				last_time = commit_time;
			next_id++;
			continue;
		case T_REVOKE:
			if (pass == PASS_SCAN && !tail_csum_ok(c, c->buf))
				need_check_time = 1;
			if (pass == PASS_REVOKE && scan_revokes(c, c->buf, next_id, at))
				return -1;
			continue;
		default:
			goto done;
		}
	}
done:
	if (pass == PASS_SCAN) {
		if (!c->end_set) {
			c->end_tid = next_id;
			c->end_set = 1;
		}
	} else if (c->end_tid != next_id) {
		return fail(c, "journal recovery pass %d ended at transaction %u, expected %u",
		            (int)pass, next_id, c->end_tid);
	}
	return 0;
}

static int load_super(struct jctx *c, struct lb_jbd2 *j)
{
	const struct lb_jbd2_src *s = c->src;
	uint8_t *sb = c->buf;
	uint32_t type, maxlen;
	size_t n = 0;

	c->total = s->nblocks;
	if (s->read(s->ctx, 0, sb))
		return fail(c, "its journal superblock cannot be read");
	if (be32(sb) != JBD2_MAGIC)
		return fail(c, "its journal superblock has no JBD2 magic");
	type = be32(sb + 4);
	if (type == T_SB_V1) {
		c->compat = c->incompat = 0;   /* e2fsck ignores a v1 superblock's v2 fields */
	} else if (type == T_SB_V2) {
		c->compat = be32(sb + 0x24);
		c->incompat = be32(sb + 0x28);
		if (be32(sb + 0x40) > 1)
			return fail(c, "its journal is shared by %u filesystems", be32(sb + 0x40));
		if (be32(sb + 0x2c))
			return fail(c, "its journal has read-only features Lifeboat does not know (0x%x)",
			            be32(sb + 0x2c));
	} else {
		return fail(c, "its journal superblock has an unknown type (%u)", type);
	}
	if (c->incompat & ~F_INCOMPAT_KNOWN)
		return fail(c, "its journal has features Lifeboat does not know (0x%x)",
		            c->incompat & ~F_INCOMPAT_KNOWN);
	if (c->incompat & F_INCOMPAT_FAST)
		return fail(c, "its journal holds fast commits, which Lifeboat does not replay");
	if ((c->incompat & F_INCOMPAT_CSUM_V2) && (c->incompat & F_INCOMPAT_CSUM_V3))
		return fail(c, "its journal superblock is corrupt (checksum v2 and v3 both set)");
	c->csum23 = !!(c->incompat & (F_INCOMPAT_CSUM_V2 | F_INCOMPAT_CSUM_V3));
	c->v1sum = !!(c->compat & F_COMPAT_CHECKSUM);
	c->async = !!(c->incompat & F_INCOMPAT_ASYNC);
	if (c->csum23 && c->v1sum)
		return fail(c, "its journal superblock is corrupt (checksum v1 and v2/v3 both set)");
	if (c->csum23) {
		uint8_t saved[4];
		uint32_t calc;
		if (sb[0x50] != CSUM_CRC32C)
			return fail(c, "its journal superblock names an unknown checksum type (%u)",
			            sb[0x50]);
		memcpy(saved, sb + 0xfc, 4);
		memset(sb + 0xfc, 0, 4);
		calc = crc32c(~0u, sb, 1024);
		memcpy(sb + 0xfc, saved, 4);
		if (calc != be32(saved))
			return fail(c, "its journal superblock fails its checksum");
		c->seed = crc32c(~0u, sb + 0x30, 16);
	}
	if (be32(sb + 12) != s->blocksize)
		return fail(c, "its journal's block size (%u) is not the filesystem's (%u)",
		            be32(sb + 12), s->blocksize);
	maxlen = be32(sb + 0x10);
	if (maxlen > c->total)
		return fail(c, "its journal superblock claims %u blocks, its inode holds %u",
		            maxlen, c->total);
	c->total = maxlen;
	c->first = be32(sb + 0x14);
	c->last = maxlen;
	c->first_tid = be32(sb + 0x18);
	c->start = be32(sb + 0x1c);
	j->journal_errno = (int32_t)be32(sb + 0x20);
	if (c->incompat & F_INCOMPAT_CSUM_V3)
		c->tag_bytes = 16;
	else
		c->tag_bytes = (c->incompat & F_INCOMPAT_CSUM_V2 ? 14 : 12) -
		               (c->incompat & F_INCOMPAT_64BIT ? 0 : 4);
	n += snprintf(j->format + n, sizeof j->format - n, "v%d", type == T_SB_V1 ? 1 : 2);
	if (c->incompat & F_INCOMPAT_64BIT)
		n += snprintf(j->format + n, sizeof j->format - n, ", 64bit");
	if (c->incompat & F_INCOMPAT_ASYNC)
		n += snprintf(j->format + n, sizeof j->format - n, ", async_commit");
	snprintf(j->format + n, sizeof j->format - n, "%s", c->v1sum ? ", csum v1" :
	         c->incompat & F_INCOMPAT_CSUM_V3 ? ", csum v3" :
	         c->incompat & F_INCOMPAT_CSUM_V2 ? ", csum v2" : "");
	if (!c->start) {
		j->empty = 1;
		return 0;
	}
	if (!c->first || c->first >= c->last || c->start < c->first || c->start >= c->last)
		return fail(c, "its journal superblock is corrupt (log area %u..%u, start %u)",
		            c->first, c->last, c->start);
	return 0;
}

static int wr_cmp(const void *a, const void *b)
{
	const struct wr *x = a, *y = b;
	if (x->fsblk != y->fsblk)
		return x->fsblk < y->fsblk ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

int lb_jbd2_replay(const struct lb_jbd2_src *src, struct lb_jbd2 *j, char *why, size_t whylen)
{
	struct jctx c = { .src = src, .bs = src->blocksize, .why = why, .whylen = whylen };
	int rc = -1;

	memset(j, 0, sizeof *j);
	if (src->blocksize < 1024 || src->blocksize > 65536 || (src->blocksize & (src->blocksize - 1)))
		return fail(&c, "its block size (%u) is not one a journal can have", src->blocksize);
	if (!(c.buf = malloc(c.bs)) || !(c.data = malloc(c.bs))) {
		fail(&c, "out of memory replaying its journal");
		goto out;
	}
	if (src->nblocks < 2) {
		fail(&c, "its journal is too short (%u blocks)", src->nblocks);
		goto out;
	}
	if (load_super(&c, j))
		goto out;
	if (j->empty) {
		rc = 0;
		goto out;
	}
	if (do_pass(&c, PASS_SCAN) || do_pass(&c, PASS_REVOKE))
		goto out;
	rev_compact(&c);
	if (do_pass(&c, PASS_REPLAY))
		goto out;
	/* one write per block, the last in log order */
	if (c.nw)
		qsort(c.w, c.nw, sizeof *c.w, wr_cmp);
	if (c.nw && !(j->w = malloc(c.nw * sizeof *j->w))) {
		fail(&c, "out of memory replaying its journal");
		goto out;
	}
	for (size_t i = 0; i < c.nw; i++) {
		if (i + 1 < c.nw && c.w[i + 1].fsblk == c.w[i].fsblk)
			continue;
		j->w[j->n].fsblk = c.w[i].fsblk;
		j->w[j->n].jblk = c.w[i].jblk;
		j->w[j->n].escaped = c.w[i].escaped;
		j->n++;
	}
	j->first_tid = c.first_tid;
	j->ntrans = rel(&c, c.end_tid);
	j->tags = c.tags;
	j->revoked = c.revoked;
	rc = 0;
out:
	if (rc) {
		free(j->w);
		j->w = NULL;
		j->n = 0;
	}
	free(c.buf);
	free(c.data);
	free(c.rv);
	free(c.w);
	return rc;
}

void lb_jbd2_free(struct lb_jbd2 *j)
{
	free(j->w);
	j->w = NULL;
	j->n = 0;
}
