/* The JBD2 replay (jbd2.c) on journals built here block by block, in every tag format and
 * checksum version: which blocks the replay writes from where (revokes, escapes, overwrites,
 * the log wrapping round its ring, sequence numbers wrapping at 2^32), where the log ends
 * (uncommitted, stale), and which damage refuses the replay. Then, when e2fsprogs is
 * installed, the view (jbd2_overlay.c through io_ext2.c) against e2fsck's own replay of
 * debugfs-written transactions, block by block. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "fs_ext.h"
#include "io_ext2.h"
#include "jbd2.h"
#include "unit.h"

#define BS 1024u
#define JBLOCKS 64u
#define MAGIC 0xC03B3998u

struct jb {
	uint8_t mem[JBLOCKS * BS];
	uint32_t compat, incompat, first_tid, start, pos, seed;
	uint64_t commit_time;
	uint32_t crc;   /* v1: running crc32 of the transaction */
};

static void pbe32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

static void pbe64(uint8_t *p, uint64_t v)
{
	pbe32(p, (uint32_t)(v >> 32));
	pbe32(p + 4, (uint32_t)v);
}

static int csum23(const struct jb *j) { return !!(j->incompat & 0x18); }

static uint8_t *blk(struct jb *j, uint32_t n) { return j->mem + (size_t)n * BS; }

static uint8_t *next_block(struct jb *j)
{
	uint8_t *b = blk(j, j->pos);
	j->pos = j->pos + 1 >= JBLOCKS ? 1 : j->pos + 1;   /* the log's ring: 1 .. JBLOCKS-1 */
	return b;
}

static void header(uint8_t *b, uint32_t type, uint32_t tid)
{
	memset(b, 0, BS);
	pbe32(b, MAGIC);
	pbe32(b + 4, type);
	pbe32(b + 8, tid);
}

static void super(struct jb *j)
{
	uint8_t *sb = blk(j, 0);
	header(sb, 4, 0);
	pbe32(sb + 12, BS);
	pbe32(sb + 16, JBLOCKS);
	pbe32(sb + 20, 1);
	pbe32(sb + 24, j->first_tid);
	pbe32(sb + 28, j->start);
	pbe32(sb + 0x24, j->compat);
	pbe32(sb + 0x28, j->incompat);
	for (int i = 0; i < 16; i++)
		sb[0x30 + i] = (uint8_t)(0x11 * i + 3);
	pbe32(sb + 0x40, 1);
	if (csum23(j)) {
		sb[0x50] = 4;
		pbe32(sb + 0xfc, ext2fs_crc32c_le(~0u, sb, 1024));
		j->seed = ext2fs_crc32c_le(~0u, sb + 0x30, 16);
	}
}

static void init(struct jb *j, uint32_t compat, uint32_t incompat, uint32_t first_tid, uint32_t start)
{
	memset(j, 0, sizeof *j);
	j->compat = compat;
	j->incompat = incompat;
	j->first_tid = first_tid;
	j->start = j->pos = start;
	j->commit_time = 1000;
	j->crc = ~0u;
	super(j);
}

static unsigned tag_bytes(const struct jb *j)
{
	if (j->incompat & 0x10)
		return 16;
	return (j->incompat & 0x8 ? 14 : 12) - (j->incompat & 0x2 ? 0 : 4);
}

static void tail(struct jb *j, uint8_t *b)
{
	if (csum23(j))
		pbe32(b + BS - 4, ext2fs_crc32c_le(j->seed, b, BS));
}

/* A descriptor with n tags and their data blocks (each filled with fill+i; a block whose
 * first word is the magic is stored escaped). Returns the journal block of the first data. */
static uint32_t trans_blocks(struct jb *j, uint32_t tid, const uint64_t *fsblk, int n, int fill,
                             int magic_at)
{
	uint8_t *d = next_block(j), *p = d + 12;
	uint32_t first = j->pos;
	header(d, 1, tid);
	for (int i = 0; i < n; i++) {
		uint8_t data[BS];
		unsigned flags = (i ? 2 : 0) | (i == n - 1 ? 8 : 0);
		uint8_t s[4];
		uint32_t c;
		memset(data, fill + i, BS);
		if (i == magic_at) {
			pbe32(data, MAGIC);
			flags |= 1;
		}
		if (i == magic_at)
			memset(data, 0, 4);   /* escaped: the journal holds it with the magic zeroed */
		pbe32(s, tid);   /* the tag's checksum covers the block as the journal holds it */
		c = ext2fs_crc32c_le(ext2fs_crc32c_le(j->seed, s, 4), data, BS);
		pbe32(p, (uint32_t)fsblk[i]);
		if (j->incompat & 0x10) {
			pbe32(p + 4, flags);
			pbe32(p + 8, (uint32_t)(fsblk[i] >> 32));
			pbe32(p + 12, c);
		} else {
			p[4] = (uint8_t)(c >> 8);
			p[5] = (uint8_t)c;
			p[6] = (uint8_t)(flags >> 8);
			p[7] = (uint8_t)flags;
			if (j->incompat & 0x2)
				pbe32(p + 8, (uint32_t)(fsblk[i] >> 32));
		}
		p += tag_bytes(j) + (i ? 0 : 16);
		memcpy(next_block(j), data, BS);
	}
	tail(j, d);
	j->crc = ext2fs_crc32_be(j->crc, d, BS);
	for (int i = 0; i < n; i++) {
		uint32_t at = first + (uint32_t)i >= JBLOCKS ? first + (uint32_t)i - (JBLOCKS - 1) : first + (uint32_t)i;
		j->crc = ext2fs_crc32_be(j->crc, blk(j, at), BS);
	}
	return first;
}

static void add_revoke(struct jb *j, uint32_t tid, const uint64_t *fsblk, int n)
{
	uint8_t *b = next_block(j);
	unsigned rl = j->incompat & 0x2 ? 8 : 4;
	header(b, 5, tid);
	for (int i = 0; i < n; i++) {
		if (rl == 8)
			pbe64(b + 16 + i * 8, fsblk[i]);
		else
			pbe32(b + 16 + i * 4, (uint32_t)fsblk[i]);
	}
	pbe32(b + 12, 16 + (uint32_t)n * rl);
	tail(j, b);
}

static uint32_t commit(struct jb *j, uint32_t tid)
{
	uint32_t at = j->pos;
	uint8_t *b = next_block(j);
	header(b, 2, tid);
	pbe64(b + 0x30, j->commit_time++);
	if (j->compat & 1) {
		b[12] = 1;
		b[13] = 4;
		pbe32(b + 16, j->crc);
	} else if (csum23(j)) {
		pbe32(b + 16, ext2fs_crc32c_le(j->seed, b, BS));
	}
	j->crc = ~0u;
	return at;
}

static int jread(void *ctx, uint32_t n, void *buf)
{
	struct jb *j = ctx;
	if (n >= JBLOCKS)
		return -5;
	memcpy(buf, blk(j, n), BS);
	return 0;
}

static int replay(struct jb *j, struct lb_jbd2 *r, char *why)
{
	struct lb_jbd2_src src = { jread, j, JBLOCKS, BS, 1ull << 40 };
	return lb_jbd2_replay(&src, r, why, 160);
}

static const struct lb_jbd2_write *find(const struct lb_jbd2 *r, uint64_t b)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->w[i].fsblk == b)
			return &r->w[i];
	return NULL;
}

/* T1 writes 10, 11 (its data starting with the magic) and 12; T2 writes 11 again and
 * revokes 12; T3 is not committed. */
static void test_format(uint32_t compat, uint32_t incompat, uint32_t first_tid, uint32_t start)
{
	struct jb *j = calloc(1, sizeof *j);
	struct lb_jbd2 r;
	char why[160] = "";
	uint64_t big = incompat & 0x2 ? (5ull << 32) + 7 : 13;
	uint64_t t1[] = { 10, 11, 12, big }, t2[] = { 11 }, rv[] = { 12 }, t3[] = { 20 };
	uint32_t d1, d2;
	const struct lb_jbd2_write *w;

	init(j, compat, incompat, first_tid, start);
	d1 = trans_blocks(j, first_tid, t1, 4, 0x40, 1);
	commit(j, first_tid);
	add_revoke(j, first_tid + 1, rv, 1);
	d2 = trans_blocks(j, first_tid + 1, t2, 1, 0x60, -1);
	commit(j, first_tid + 1);
	trans_blocks(j, first_tid + 2, t3, 1, 0x70, -1);   /* no commit block */
	CHECK(replay(j, &r, why) == 0);
	if (why[0])
		fprintf(stderr, "format %x/%x: %s\n", compat, incompat, why);
	CHECK(r.ntrans == 2 && r.first_tid == first_tid && r.n == 3 && r.revoked == 1);
	CHECK((w = find(&r, 10)) && w->jblk == d1 && !w->escaped);
	CHECK((w = find(&r, 11)) && w->jblk == d2 && !w->escaped);   /* T2's copy wins */
	CHECK(!find(&r, 12) && !find(&r, 20));
	w = find(&r, big);
	CHECK(w && w->jblk == (d1 + 3 >= JBLOCKS ? d1 + 3 - (JBLOCKS - 1) : d1 + 3));
	lb_jbd2_free(&r);

	/* T1's data block with the magic, alone: escaped */
	init(j, compat, incompat, first_tid, start);
	trans_blocks(j, first_tid, t1, 2, 0x40, 1);
	commit(j, first_tid);
	CHECK(replay(j, &r, why) == 0 && r.n == 2 && (w = find(&r, 11)) && w->escaped);
	lb_jbd2_free(&r);
	free(j);
}

/* What refuses a replay, or ends the log early, with checksums (v3, or v1) on. */
static void test_damage(void)
{
	struct jb *j = calloc(1, sizeof *j);
	struct lb_jbd2 r;
	char why[160];
	uint64_t t[] = { 30, 31 };
	uint32_t c2, d2;

	/* a commit block whose checksum fails: e2fsck would record an error */
	init(j, 0, 0x1 | 0x2 | 0x10, 7, 1);
	trans_blocks(j, 7, t, 2, 1, -1);
	commit(j, 7);
	trans_blocks(j, 8, t, 2, 5, -1);
	c2 = commit(j, 8);
	blk(j, c2)[100] ^= 1;
	CHECK(replay(j, &r, why) == -1 && strstr(why, "commit block") && strstr(why, "transaction 8"));
	/* with async_commit the log just ends before it */
	init(j, 0, 0x1 | 0x2 | 0x4 | 0x10, 7, 1);
	trans_blocks(j, 7, t, 2, 1, -1);
	commit(j, 7);
	trans_blocks(j, 8, t, 2, 5, -1);
	c2 = commit(j, 8);
	blk(j, c2)[100] ^= 1;
	CHECK(replay(j, &r, why) == 0 && r.ntrans == 1);
	lb_jbd2_free(&r);
	/* a data block that fails its tag checksum */
	init(j, 0, 0x1 | 0x10, 7, 1);
	d2 = trans_blocks(j, 7, t, 2, 1, -1);
	commit(j, 7);
	blk(j, d2 + 1)[9] ^= 1;
	CHECK(replay(j, &r, why) == -1 && strstr(why, "for block 31") && strstr(why, "transaction 7"));
	/* a descriptor that fails its checksum, its commit newer than the last: corrupt */
	init(j, 0, 0x1 | 0x10, 7, 1);
	trans_blocks(j, 7, t, 2, 1, -1);
	commit(j, 7);
	d2 = trans_blocks(j, 8, t, 2, 1, -1);
	commit(j, 8);
	blk(j, d2 - 1)[40] ^= 1;
	CHECK(replay(j, &r, why) == -1 && strstr(why, "transaction 8"));
	/* ... and older than the last: stale blocks of lazy init, the log ends */
	init(j, 0, 0x1 | 0x10, 7, 1);
	trans_blocks(j, 7, t, 2, 1, -1);
	commit(j, 7);
	j->commit_time = 10;
	d2 = trans_blocks(j, 8, t, 2, 1, -1);
	commit(j, 8);
	blk(j, d2 - 1)[40] ^= 1;
	CHECK(replay(j, &r, why) == 0 && r.ntrans == 1);
	lb_jbd2_free(&r);
	/* v1: the commit's crc32 over the transaction */
	init(j, 1, 0x1, 7, 1);
	d2 = trans_blocks(j, 7, t, 2, 1, -1);
	commit(j, 7);
	CHECK(replay(j, &r, why) == 0 && r.ntrans == 1 && r.n == 2);
	lb_jbd2_free(&r);
	blk(j, d2)[3] ^= 1;
	CHECK(replay(j, &r, why) == -1 && strstr(why, "commit block"));
	/* the journal superblock's own checksum, and unknown features */
	init(j, 0, 0x1 | 0x10, 7, 1);
	blk(j, 0)[0x200] ^= 1;
	CHECK(replay(j, &r, why) == -1 && strstr(why, "superblock fails its checksum"));
	init(j, 0, 0x1 | 0x40, 7, 1);
	CHECK(replay(j, &r, why) == -1 && strstr(why, "features"));
	init(j, 0, 0x1 | 0x20, 7, 1);
	CHECK(replay(j, &r, why) == -1 && strstr(why, "fast commits"));
	/* a clean journal: nothing to replay */
	init(j, 0, 0x1, 7, 0);
	CHECK(replay(j, &r, why) == 0 && r.empty && r.n == 0);
	lb_jbd2_free(&r);
	/* a revoke block claiming more than a block */
	init(j, 0, 0x1, 7, 1);
	add_revoke(j, 7, t, 1);
	pbe32(blk(j, 1) + 12, 5000);
	commit(j, 7);
	CHECK(replay(j, &r, why) == -1 && strstr(why, "revoke block"));
	free(j);
}

/* Any bytes after a valid superblock: no crash, no write past the journal or the fs. */
static void test_garbage(void)
{
	struct jb *j = calloc(1, sizeof *j);
	struct lb_jbd2 r;
	char why[160];
	uint32_t seed = 12345;
	for (int it = 0; it < 400; it++) {
		init(j, it & 1, (uint32_t)(it >> 1) & 0x1f & ~0x20u, (uint32_t)it * 77u, 1 + it % 60);
		for (uint32_t b = 1; b < JBLOCKS; b++) {
			uint8_t *p = blk(j, b);
			for (unsigned k = 0; k < BS; k++) {
				seed = seed * 1103515245u + 12345u;
				p[k] = (uint8_t)(seed >> 16);
			}
			if (seed & 0x100)   /* valid headers often, so the passes run */
				header(p, 1 + (seed >> 9) % 5, (uint32_t)it * 77u + (seed >> 12) % 3);
			if (seed & 0x200)
				for (unsigned k = 12; k < BS; k += 8)
					p[k + 6] = 0x02;
		}
		if (replay(j, &r, why) == 0) {
			for (size_t i = 0; i < r.n; i++)
				CHECK(r.w[i].jblk < JBLOCKS && (!i || r.w[i].fsblk > r.w[i - 1].fsblk));
			lb_jbd2_free(&r);
		}
	}
	free(j);
}

static int sh(const char *cmd)
{
	return system(cmd);
}

/* debugfs writes transactions (file data over free blocks, over an inode-table block, a revoke,
 * one left uncommitted; not over the journal or its inode, which e2fsck would then read the
 * journal through, replayed); e2fsck replays a copy; the view must read the same blocks
 * but for the superblock (needs_recovery) and the journal's superblock (its log emptied). */
static void test_against_e2fsck(const char *mkfs_opts, const char *jo)
{
	char dir[] = "/tmp/lb_jbd2_XXXXXX", cmd[1024], src[256], ref[256], why[160] = "", note[160] = "";
	struct lb_dev d;
	struct lb_err err = { 0 };
	ext2_filsys fs = NULL, vfs = NULL;
	struct lb_jbd2_view *view = NULL;
	uint8_t *a = NULL, *b = NULL;
	blk64_t jsb = 0, nb;
	unsigned diff = 0, bad = 0;
	FILE *f;

	if (!mkdtemp(dir))
		return;
	snprintf(src, sizeof src, "%s/src.img", dir);
	snprintf(ref, sizeof ref, "%s/ref.img", dir);
	snprintf(cmd, sizeof cmd,
	         "cd %s && mke2fs -q -F -o Linux -t ext4 %s src.img 16M >/dev/null 2>&1 && "
	         "head -c 200000 /dev/urandom > data && "
	         "printf '%s\\njw -b 3000-3030,5,%s data\\njc\\n%s\\njw -b 3100-3110 data\\njw -r 3020-3025\\njc\\n"
	         "%s\\njw -b 3500 -c data\\njc\\n' $(($(dumpe2fs src.img 2>/dev/null | sed -n "
	         "'s/.*Inode table at \\([0-9]*\\)-.*/\\1/p' | head -1) + 4)) > cmd && "
	         "debugfs -w -f cmd src.img >/dev/null 2>&1 && cp src.img ref.img && "
	         "e2fsck -y -E journal_only ref.img >/dev/null 2>&1; "
	         "dumpe2fs -h src.img 2>/dev/null | grep -q needs_recovery", dir, mkfs_opts, jo, "%s", jo, jo);
	if (getenv("LB_JBD2_DEBUG"))
		fprintf(stderr, "%s\n", cmd);
	if (sh(cmd)) {
		printf("skipping the e2fsck comparison (%s): no mke2fs/debugfs/e2fsck\n", mkfs_opts);
		goto out;
	}
	CHECK(lb_dev_open(&d, src, 0, &err) == 0);
	CHECK(lb_ext2_open(&d, 0, d.size, EXT2_FLAG_64BITS, &fs) == 0);
	if (!fs)
		goto close;
	CHECK(ext2fs_has_feature_journal_needs_recovery(fs->super));
	CHECK(lb_ext_journal_view(&d, 0, d.size, fs, &view, note, sizeof note, why, sizeof why) == 0);
	if (why[0])
		fprintf(stderr, "%s: %s\n", mkfs_opts, why);
	CHECK(strstr(note, "in memory: 3 transactions") != NULL);
	CHECK(ext2fs_bmap2(fs, fs->super->s_journal_inum, NULL, NULL, 0, 0, NULL, &jsb) == 0);
	CHECK(lb_ext2_open_view(&d, 0, d.size, EXT2_FLAG_64BITS, view, &vfs) == 0);
	CHECK(vfs && !ext2fs_has_feature_journal_needs_recovery(vfs->super));
	nb = ext2fs_blocks_count(fs->super);
	a = malloc(fs->blocksize);
	b = malloc(fs->blocksize);
	f = fopen(ref, "rb");
	for (blk64_t i = 0; vfs && f && a && b && i < nb; i++) {
		if (io_channel_read_blk64(vfs->io, i, 1, a) || fread(b, fs->blocksize, 1, f) != 1) {
			bad++;
			break;
		}
		if (memcmp(a, b, fs->blocksize)) {
			uint8_t *c = malloc(fs->blocksize);
			int same_src = c && pread(d.fd, c, fs->blocksize, (off_t)(i * fs->blocksize)) ==
			               (ssize_t)fs->blocksize && !memcmp(c, a, fs->blocksize);
			free(c);
			diff++;
			if (i != jsb && i != (fs->blocksize == 1024 ? 1 : 0)) {
				bad++;
				fprintf(stderr, "%s: block %llu differs from e2fsck's replay (%s)\n", mkfs_opts,
				        (unsigned long long)i, same_src ? "view = source" : "view replayed");
			}
		}
	}
	CHECK(bad == 0 && diff >= 1);
	if (f)
		fclose(f);
	free(a);
	free(b);
close:
	ext2fs_close_free(&vfs);
	ext2fs_close_free(&fs);
	lb_jbd2_view_free(view);
	lb_dev_close(&d);
out:
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	sh(cmd);
}

int main(void)
{
	test_format(0, 0x1, 100, 1);                  /* 32-bit tags, no checksums */
	test_format(0, 0x1 | 0x2, 100, 1);            /* 64bit */
	test_format(1, 0x1, 100, 1);                  /* v1: crc32 in the commit */
	test_format(0, 0x1 | 0x8, 100, 1);            /* csum v2, 32-bit */
	test_format(0, 0x1 | 0x2 | 0x8, 100, 1);      /* csum v2, 64bit */
	test_format(0, 0x1 | 0x10, 100, 1);           /* csum v3 */
	test_format(0, 0x1 | 0x2 | 0x10, 100, 1);     /* csum v3, 64bit */
	test_format(0, 0x1 | 0x2 | 0x10, 0xfffffffeu, 1);   /* sequence numbers wrap */
	test_format(0, 0x1 | 0x2 | 0x10, 5, 58);      /* the log wraps round its ring */
	test_format(1, 0x1 | 0x2, 0xffffffffu, 60);
	test_damage();
	test_garbage();
	test_against_e2fsck("-b 1024 -O metadata_csum,64bit", "jo -c");
	test_against_e2fsck("-b 4096 -O ^metadata_csum,^64bit", "jo");
	test_against_e2fsck("-b 4096 -O metadata_csum,64bit", "jo -c -v 3");
	test_against_e2fsck("-b 1024 -O metadata_csum,^64bit", "jo -c -v 2");
	return UNIT_DONE();
}
