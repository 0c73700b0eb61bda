/* The file readers for FAT, exFAT and NTFS (fsread_fat.c, fsread_exfat.c, fsread_ntfs.c),
 * called directly over a filesystem image file: real mkfs.fat + mtools, mkfs.exfat +
 * exfat-fuse and mkntfs + ntfs-3g fill a test file with a known tree (long and non-ASCII
 * names, nested directories, a file whose clusters are fragmented, an empty file), then the
 * reader walks the whole tree and every name, size and byte is compared with what went in.
 * Damaged FAT chains (a loop, a free cluster, a cluster outside the volume, a directory that
 * loops) must fail naming the file, never hang; a long name whose checksum is wrong falls
 * back to the short name. Tools that are missing skip their part (said on stdout). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "blockdev.h"
#include "err.h"
#include "fsread.h"
#include "fsread_utf16.h"
#include "le.h"
#include "unit.h"

/* Under ASan: libntfs-3g 2022.10.3 leaks an inode in reparse.c search_relative() when a
 * relative symlink's target is one character (the "rlink -> a" below: its loop never runs and
 * the parent directory it opened is not closed; 1160 bytes per call, a library bug). The
 * library has no frame pointers, so the stack is only complete with the slow unwinder, and
 * search_relative is static: the suppression names its caller. */
const char *__asan_default_options(void);
const char *__lsan_default_suppressions(void);
const char *__asan_default_options(void) { return "fast_unwind_on_malloc=0:print_suppressions=0"; }
const char *__lsan_default_suppressions(void) { return "leak:ntfs_make_symlink\n"; }

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	if (getenv("LB_FSR_DEBUG"))
		fprintf(stderr, "+ %s\n", cmd);
	return system(cmd);
}

static uint8_t content(unsigned seed, uint64_t i)
{
	return (uint8_t)(seed * 131u + i * 7u + i / 251u);
}

/* What goes into every filesystem (paths from the root; dirs end in '/'). uni: names mtools
 * cannot write (outside the BMP), for exFAT and NTFS only. */
struct want {
	const char *path;
	uint64_t size;
	unsigned seed;
	int uni;
	int found;
};

static const struct want base[] = {
	{ "README.TXT", 1000, 1, 0, 0 },
	{ "lower.txt", 5, 2, 0, 0 },
	{ "A rather long file name, past eight dot three.text", 3000, 3, 0, 0 },
	{ "Größe.txt", 17, 4, 0, 0 },
	{ "empty", 0, 5, 0, 0 },
	{ "dir1/", 0, 0, 0, 0 },
	{ "dir1/日本語ファイル.dat", 700, 6, 0, 0 },
	{ "dir1/sub dir/", 0, 0, 0, 0 },
	{ "dir1/sub dir/deep/", 0, 0, 0, 0 },
	{ "dir1/sub dir/deep/file.bin", 70000, 7, 0, 0 },
	{ "fill1", 1500, 8, 0, 0 },
	{ "fill3", 1500, 9, 0, 0 },
	{ "frag.bin", 40000, 10, 0, 0 },   /* written after fill2 is deleted: into its gap and on */
	{ "😀 smile.txt", 33, 11, 1, 0 },
	{ "many/", 0, 0, 0, 0 },           /* MANY files follow: a directory of several clusters */
};
#define MANY 60
static struct want tree[sizeof base / sizeof base[0] + MANY];
static size_t NTREE;

static void make_list(void)
{
	static char names[MANY][80];
	for (size_t i = 0; i < sizeof base / sizeof base[0]; i++)
		tree[NTREE++] = base[i];
	for (int i = 0; i < MANY; i++) {
		snprintf(names[i], sizeof names[i], "many/file number %02d with a name of some length", i);
		tree[NTREE++] = (struct want){ names[i], (uint64_t)(i * 37 % 1100), 100u + (unsigned)i, 0, 0 };
	}
}

/* Writes the tree under dir/tree (all but frag.bin and the fillers, which the caller adds in
 * an order that fragments frag.bin), and the fillers and frag.bin under dir/late. */
static int write_tree(const char *dir)
{
	char p[1024];
	for (size_t i = 0; i < NTREE; i++) {
		const struct want *w = &tree[i];
		int late = !strncmp(w->path, "fill", 4) || !strcmp(w->path, "frag.bin");
		size_t n = strlen(w->path);
		snprintf(p, sizeof p, "%s/%s/%s", dir, late ? "late" : w->uni ? "uni" : "tree", w->path);
		if (w->path[n - 1] == '/') {
			if (sh("mkdir -p '%s'", p))
				return -1;
			continue;
		}
		{
			char *slash = strrchr(p, '/');
			*slash = 0;
			if (sh("mkdir -p '%s'", p))
				return -1;
			*slash = '/';
		}
		FILE *f = fopen(p, "wb");
		if (!f)
			return -1;
		for (uint64_t j = 0; j < w->size; j++)
			fputc(content(w->seed, j), f);
		fclose(f);
	}
	snprintf(p, sizeof p, "%s/late/fill2", dir);
	FILE *f = fopen(p, "wb");
	if (!f)
		return -1;
	for (int j = 0; j < 1500; j++)
		fputc('2', f);
	fclose(f);
	return 0;
}

/* --- walking a filesystem through a reader ------------------------------------------------- */

struct walk {
	const struct lb_fsr_ops *ops;
	void *fs;
	char prefix[1024];
	int entries, bad_content, unknown, errors;
	int64_t now;
	int bad_times;
	uint64_t frag_id;
};

static int check_file(struct walk *w, const struct lb_fsr_stat *st, const struct want *t)
{
	uint8_t buf[4099];
	struct lb_err err = { 0 };
	uint64_t off = 0;
	if (st->size != t->size)
		return -1;
	while (off < st->size) {
		/* odd piece sizes: reads that start and end inside clusters */
		size_t n = st->size - off < sizeof buf ? (size_t)(st->size - off) : sizeof buf;
		if (w->ops->pread(w->fs, st->id, buf, n, off, &err)) {
			fprintf(stderr, "pread %s: %s\n", t->path, err.msg);
			return -1;
		}
		for (size_t i = 0; i < n; i++)
			if (buf[i] != content(t->seed, off + i)) {
				fprintf(stderr, "%s: byte %llu differs\n", t->path, (unsigned long long)(off + i));
				return -1;
			}
		off += n;
	}
	return 0;
}

static int walk_fn(void *ctx, const char *name, size_t len, const struct lb_fsr_stat *st)
{
	struct walk *w = ctx;
	char path[1024];
	size_t plen = strlen(w->prefix);
	int isdir = S_ISDIR(st->mode), known = 0;
	struct lb_err err = { 0 };
	struct lb_fsr_stat again;
	w->entries++;
	snprintf(path, sizeof path, "%s%.*s%s", w->prefix, (int)len, name, isdir ? "/" : "");
	/* NTFS and exFAT roots hold things mkfs makes: only the tree is compared */
	if (!plen && (name[0] == '$' || !strcmp(path, "System Volume Information/") ||
	              !strcmp(path, "extra/")))
		return 0;
	for (size_t i = 0; i < NTREE; i++)
		if (!strcmp(tree[i].path, path)) {
			known = 1;
			tree[i].found++;
			if (!isdir && (!S_ISREG(st->mode) || check_file(w, st, &tree[i])))
				w->bad_content++;
			if (!strcmp(path, "frag.bin"))
				w->frag_id = st->id;
		}
	if (!known) {
		fprintf(stderr, "unexpected entry %s\n", path);
		w->unknown++;
	}
	if (w->ops->stat(w->fs, st->id, &again, &err) || again.size != st->size ||
	    again.mode != st->mode || again.mtime != st->mtime) {
		fprintf(stderr, "stat %s differs from readdir's: %s\n", path, err.msg);
		w->errors++;
	}
	if (st->mtime < w->now - 2 * 86400 || st->mtime > w->now + 2 * 86400) {
		fprintf(stderr, "%s: mtime %lld is not today\n", path, (long long)st->mtime);
		w->bad_times++;
	}
	if (isdir) {
		int rc;
		memcpy(path, w->prefix, plen + 1);
		snprintf(w->prefix + plen, sizeof w->prefix - plen, "%.*s/", (int)len, name);
		rc = w->ops->readdir(w->fs, st->id, walk_fn, w, &err);
		if (rc) {
			fprintf(stderr, "readdir %s: %s\n", w->prefix, err.msg);
			w->errors++;
		}
		memcpy(w->prefix, path, plen + 1);
	}
	return 0;
}

/* Opens image (a filesystem at offset 0) with ops and compares its whole tree (uni: with the
 * names outside the BMP). */
static void check_tree(const struct lb_fsr_ops *ops, const char *image, const char *label, int uni)
{
	struct lb_dev d;
	struct lb_err err = { 0 };
	struct walk w = { .ops = ops };
	struct lb_fsr_stat st;
	int rc;
	for (size_t i = 0; i < NTREE; i++)
		tree[i].found = 0;
	w.now = time(NULL);
	if (lb_dev_open_fd(&d, image, 0, &err)) {
		CHECK(!"open image");
		return;
	}
	rc = ops->open(&d, 0, d.size, &w.fs, &err);
	if (rc)
		fprintf(stderr, "%s: open: %s\n", label, err.msg);
	CHECK(rc == 0);
	if (!rc) {
		CHECK(ops->stat(w.fs, ops->root(w.fs), &st, &err) == 0 && S_ISDIR(st.mode));
		rc = ops->readdir(w.fs, ops->root(w.fs), walk_fn, &w, &err);
		if (rc)
			fprintf(stderr, "%s: readdir /: %s\n", label, err.msg);
		CHECK(rc == 0);
		for (size_t i = 0; i < NTREE; i++)
			if (tree[i].found != (!tree[i].uni || uni)) {
				fprintf(stderr, "%s: %s found %d times\n", label, tree[i].path, tree[i].found);
				CHECK(tree[i].found == (!tree[i].uni || uni));
			}
		CHECK(w.bad_content == 0);
		CHECK(w.unknown == 0);
		CHECK(w.errors == 0);
		CHECK(w.bad_times == 0);
		/* past the end and a stop from the callback */
		if (w.frag_id) {
			uint8_t b[8];
			CHECK(ops->pread(w.fs, w.frag_id, b, 8, 40000 - 4, &err) != 0);
		}
		ops->close(w.fs);
	}
	printf("%s: %d entries walked\n", label, w.entries);
	lb_dev_close(&d);
}

/* --- FAT ------------------------------------------------------------------------------------ */

static int have(const char *tool)
{
	return sh("command -v %s >/dev/null 2>&1", tool) == 0;
}

/* mkfs.fat with opts, the tree copied in, then fill1..3, fill2 deleted, frag.bin copied. */
static int make_fat(const char *dir, const char *img, const char *opts, unsigned kib)
{
	return sh("cd %s && rm -f %s && truncate -s %uK %s && mkfs.fat %s %s >/dev/null 2>&1 && "
	          "export LC_ALL=C.UTF-8 MTOOLS_SKIP_CHECK=1 && mcopy -i %s -s tree/* ::/ && "
	          "mcopy -i %s late/fill1 late/fill2 late/fill3 ::/ && mdel -i %s ::/fill2 && "
	          "mcopy -i %s late/frag.bin ::/", dir, img, kib, img, opts, img, img, img, img, img);
}

static int find_fn(void *ctx, const char *name, size_t len, const struct lb_fsr_stat *st)
{
	struct lb_fsr_stat *out = ctx;
	if (len == strlen((char *)out + sizeof *out) && !memcmp(name, (char *)out + sizeof *out, len)) {
		*out = *st;
		return 1;
	}
	return 0;
}

/* The entry called name in directory dir: its stat, or id 0. */
static struct lb_fsr_stat find_in(const struct lb_fsr_ops *ops, void *fs, uint64_t dir,
                                  const char *name)
{
	struct {
		struct lb_fsr_stat st;
		char name[256];
	} q = { { 0 }, "" };
	struct lb_err err = { 0 };
	snprintf(q.name, sizeof q.name, "%s", name);
	ops->readdir(fs, dir, find_fn, &q, &err);
	return q.st;   /* id 0: not found */
}

/* The root entry called name: its stat, or id 0. */
static struct lb_fsr_stat find(const struct lb_fsr_ops *ops, void *fs, const char *name)
{
	struct {
		struct lb_fsr_stat st;
		char name[256];
	} q = { { 0 }, "" };
	struct lb_err err = { 0 };
	snprintf(q.name, sizeof q.name, "%s", name);
	ops->readdir(fs, ops->root(fs), find_fn, &q, &err);
	return q.st;   /* id 0: not found */
}

static int count_fn(void *ctx, const char *name, size_t len, const struct lb_fsr_stat *st)
{
	(*(int *)ctx)++;
	return 0;
}

/* Damaged chains in a FAT16 volume in memory: each fails naming the file, none hangs. */
static void test_fat_damage(const char *dir)
{
	char path[512];
	uint8_t *img;
	size_t len;
	FILE *f;
	struct lb_dev d;
	struct lb_err err = { 0 };
	void *fs;
	struct lb_fsr_stat st, dst;
	uint64_t fat, data, cs;
	uint32_t c0, dc;
	uint8_t buf[64];
	int n;
	snprintf(path, sizeof path, "%s/fat16.img", dir);
	f = fopen(path, "rb");
	if (!f)
		return;
	fseek(f, 0, SEEK_END);
	len = (size_t)ftell(f);
	rewind(f);
	img = malloc(len);
	CHECK(img && fread(img, 1, len, f) == len);
	fclose(f);
	fat = (uint64_t)le16(img + 14) * le16(img + 11);
	cs = (uint64_t)img[13] * le16(img + 11);
	data = fat + (uint64_t)img[16] * le16(img + 22) * le16(img + 11) +
	       ((uint64_t)le16(img + 17) * 32 + le16(img + 11) - 1) / le16(img + 11) * le16(img + 11);
	CHECK(lb_dev_open_mem(&d, img, len, len, 0) == 0);
	CHECK(lb_fsr_fat.open(&d, 0, len, &fs, &err) == 0);
	st = find(&lb_fsr_fat, fs, "README.TXT");
	dst = find(&lb_fsr_fat, fs, "dir1");
	CHECK(st.id && st.size == 1000 && dst.id);
	c0 = le16(img + st.id + 26);
	dc = le16(img + dst.id + 26);
	CHECK(cs == 512 && c0 >= 2);
	/* 1000 bytes: two clusters; the second leads back to the first */
	for (int k = 0; k < 3; k++) {
		uint32_t second = le16(img + fat + 2 * c0), saved = le16(img + fat + 2 * second);
		const char *say = k == 0 ? "loops" : k == 1 ? "free cluster" : "broken";
		lb_fsr_fat.close(fs);
		put16(img + fat + 2 * c0, (uint16_t)(k == 0 ? c0 : k == 1 ? 0 : 0xfff0));
		CHECK(lb_fsr_fat.open(&d, 0, len, &fs, &err) == 0);
		lb_err_clear(&err);
		CHECK(lb_fsr_fat.pread(fs, st.id, buf, 64, 900, &err) == LB_EDAMAGED);
		CHECK(strstr(err.msg, "README.TXT") && strstr(err.msg, say));
		if (!strstr(err.msg, say))
			fprintf(stderr, "damage %d: %s\n", k, err.msg);
		put16(img + fat + 2 * c0, (uint16_t)second);
		(void)saved;
	}
	/* the first cluster outside the heap */
	lb_fsr_fat.close(fs);
	put16(img + st.id + 26, 0xfff0);
	CHECK(lb_fsr_fat.open(&d, 0, len, &fs, &err) == 0);
	lb_err_clear(&err);
	CHECK(lb_fsr_fat.pread(fs, st.id, buf, 64, 0, &err) == LB_EDAMAGED);
	put16(img + st.id + 26, (uint16_t)c0);
	/* a directory whose one cluster leads to itself: refused, not walked forever */
	lb_fsr_fat.close(fs);
	put16(img + fat + 2 * dc, (uint16_t)dc);
	CHECK(lb_fsr_fat.open(&d, 0, len, &fs, &err) == 0);
	lb_err_clear(&err);
	n = 0;
	CHECK(lb_fsr_fat.readdir(fs, dst.id, count_fn, &n, &err) == LB_EDAMAGED);
	CHECK(strstr(err.msg, "DIR1") && strstr(err.msg, "loops"));
	put16(img + fat + 2 * dc, 0xffff);
	/* the long name's checksum broken: the short name is given instead */
	lb_fsr_fat.close(fs);
	{
		struct lb_fsr_stat l = { 0 };
		uint64_t at;
		CHECK(lb_fsr_fat.open(&d, 0, len, &fs, &err) == 0);
		l = find(&lb_fsr_fat, fs, "A rather long file name, past eight dot three.text");
		CHECK(l.id != 0);
		at = l.id - 32;   /* the long name's first 13 units lie just before the short entry */
		CHECK(img[at + 11] == 0x0f);
		img[at + 13] ^= 0x55;
		lb_fsr_fat.close(fs);
		CHECK(lb_fsr_fat.open(&d, 0, len, &fs, &err) == 0);
		l = find(&lb_fsr_fat, fs, "A rather long file name, past eight dot three.text");
		CHECK(l.id == 0);
		l = find(&lb_fsr_fat, fs, "ARATHE~1.TEX");
		CHECK(l.id != 0 && l.size == 3000);
		img[at + 13] ^= 0x55;
		/* a lone surrogate for its first unit ('A'): WTF-8, not '?' and not the short name */
		CHECK(le16(img + at + 1) == 'A');
		put16(img + at + 1, 0xd800);
		lb_fsr_fat.close(fs);
		CHECK(lb_fsr_fat.open(&d, 0, len, &fs, &err) == 0);
		l = find(&lb_fsr_fat, fs, "\xed\xa0\x80 rather long file name, past eight dot three.text");
		CHECK(l.id != 0 && l.size == 3000);
		put16(img + at + 1, 'A');
	}
	/* a clean volume has nothing to say; one Linux had mounted when it stopped, that */
	CHECK(lb_fsr_fat.note(fs) == NULL);
	lb_fsr_fat.close(fs);
	img[37] |= 1;
	CHECK(lb_fsr_fat.open(&d, 0, len, &fs, &err) == 0);
	CHECK(lb_fsr_fat.note(fs) && strstr(lb_fsr_fat.note(fs), "not cleanly unmounted"));
	img[37] &= (uint8_t)~1;
	/* ids that are not entries */
	lb_err_clear(&err);
	CHECK(lb_fsr_fat.stat(fs, 12345, &st, &err) == LB_ENOENT);
	CHECK(strstr(err.msg, "12345") != NULL);
	lb_err_clear(&err);
	CHECK(lb_fsr_fat.stat(fs, data + 32 * 1000000ull, &st, &err) == LB_ENOENT);
	(void)data;
	lb_fsr_fat.close(fs);
	lb_dev_close(&d);
	free(img);
}

static void test_fat(const char *dir)
{
	char img[600];
	static const struct {
		const char *name, *opts;
		unsigned kib;
	} v[] = {
		{ "fat12.img", "-F 12 -s 1", 1024 },
		{ "fat16.img", "-F 16 -s 1", 8192 },
		{ "fat32.img", "-F 32 -s 1", 40000 },
		{ "fat32-4k.img", "-F 32 -s 8", 300000 },
	};
	if (!have("mkfs.fat") || !have("mcopy")) {
		printf("skipping FAT: no mkfs.fat/mtools\n");
		return;
	}
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		snprintf(img, sizeof img, "%s/%s", dir, v[i].name);
		CHECK(make_fat(dir, v[i].name, v[i].opts, v[i].kib) == 0);
		check_tree(&lb_fsr_fat, img, v[i].name, 0);
	}
	test_fat_damage(dir);
}

/* --- exFAT --------------------------------------------------------------------------------- */

/* A FUSE driver's mount of the test file through a loop device: the tree, then fill1..3,
 * fill2 deleted, frag.bin. sect: the loop device's sector size. */
/* The shell that mounts with a FUSE driver kept in the foreground (so its end is waited for:
 * everything it wrote is in the file), runs FILL in mnt, and unmounts. */
#define FUSE_RUN(MOUNT, FILL) \
	"mkdir -p mnt && { " MOUNT " >fuse.log 2>&1 & pid=$!; " \
	"for i in $(seq 100); do mountpoint -q mnt && break; sleep 0.1; done; " \
	"mountpoint -q mnt && { " FILL "; r=$?; sync; " \
	"for i in $(seq 50); do umount mnt 2>/dev/null && break; sleep 0.2; done; " \
	"! mountpoint -q mnt && wait $pid && exit $r; }; exit 1; }"

static int fill_fuse(const char *dir, const char *img, const char *mkfs, const char *mount,
                     unsigned sect)
{
	return sh("cd %s && loop=$(losetup -f --show -b %u %s) && { %s $loop >/dev/null 2>&1 && ("
	          FUSE_RUN("%s -d $loop mnt",
	                   "cp -r tree/. mnt/ && cp -r uni/. mnt/ && cp late/fill1 late/fill2 late/fill3 "
	                   "mnt/ && sync && rm mnt/fill2 && sync && cp late/frag.bin mnt/")
	          "); r=$?; losetup -d $loop; exit $r; }",
	          dir, sect, img, mkfs, mount);
}

static int can_loop_fuse(void)
{
	return geteuid() == 0 && access("/dev/fuse", F_OK) == 0 && have("losetup");
}

/* exFAT damage, on a copy in memory of a volume the test filled: a looping chain and a chain
 * cut short fail naming the file; VolumeDirty is said. */
/* frag.bin: 40000 bytes, 10 clusters of 4 KiB in two runs, so by FAT chain (exfat-fuse marks
 * contiguous files NoFatChain: those are read in check_tree) */
static struct lb_fsr_stat exfat_frag(void *fs)
{
	return find(&lb_fsr_exfat, fs, "frag.bin");
}

static void test_exfat_damage(const char *image)
{
	struct lb_dev d;
	struct lb_err err = { 0 };
	struct lb_fsr_stat st;
	void *fs;
	uint8_t *img, buf[64];
	size_t len;
	uint64_t fat;
	uint32_t c0, c1;
	FILE *f = fopen(image, "rb");
	if (!f)
		return;
	fseek(f, 0, SEEK_END);
	len = (size_t)ftell(f);
	rewind(f);
	img = malloc(len);
	CHECK(img && fread(img, 1, len, f) == len);
	fclose(f);
	fat = (uint64_t)le32(img + 80) << img[108];
	CHECK(lb_dev_open_mem(&d, img, len, len, 0) == 0);
	CHECK(lb_fsr_exfat.open(&d, 0, len, &fs, &err) == 0);
	CHECK(lb_fsr_exfat.note(fs) == NULL);
	st = exfat_frag(fs);
	CHECK(st.id && st.size == 40000 && img[st.id + 32] == 0xc0 && !(img[st.id + 33] & 2));
	c0 = le32(img + st.id + 32 + 20);
	c1 = le32(img + fat + 4 * c0);
	CHECK(c1 >= 2 && c1 != 0xffffffffu);
	lb_fsr_exfat.close(fs);
	put32(img + fat + 4 * c1, c0);   /* the second cluster leads back to the first */
	img[106] |= 2;                    /* VolumeDirty (outside the boot checksum) */
	CHECK(lb_fsr_exfat.open(&d, 0, len, &fs, &err) == 0);
	CHECK(lb_fsr_exfat.note(fs) && strstr(lb_fsr_exfat.note(fs), "VolumeDirty"));
	st = exfat_frag(fs);
	lb_err_clear(&err);
	CHECK(lb_fsr_exfat.pread(fs, st.id, buf, sizeof buf, 39000, &err) == LB_EDAMAGED);
	CHECK(strstr(err.msg, "frag.bin") && strstr(err.msg, "loops"));
	lb_fsr_exfat.close(fs);
	put32(img + fat + 4 * c1, 0xffffffffu);   /* now it ends after two clusters */
	CHECK(lb_fsr_exfat.open(&d, 0, len, &fs, &err) == 0);
	st = exfat_frag(fs);
	lb_err_clear(&err);
	CHECK(lb_fsr_exfat.pread(fs, st.id, buf, sizeof buf, 39000, &err) == LB_EDAMAGED);
	CHECK(strstr(err.msg, "frag.bin") && strstr(err.msg, "cut short"));
	if (!strstr(err.msg, "cut short"))
		fprintf(stderr, "exfat: %s\n", err.msg);
	lb_err_clear(&err);
	CHECK(lb_fsr_exfat.stat(fs, 12345, &st, &err) == LB_ENOENT);
	lb_fsr_exfat.close(fs);
	lb_dev_close(&d);
	free(img);
}

static void test_exfat(const char *dir)
{
	static const struct {
		const char *name, *mkfs;
		unsigned sect, mib;
	} v[] = {
		{ "exfat512.img", "mkfs.exfat -c 512", 512, 8 },
		{ "exfat4k.img", "mkfs.exfat -c 4K", 512, 16 },
		{ "exfat4kn.img", "mkfs.exfat -c 4K", 4096, 16 },
	};
	char img[600];
	if (!have("mkfs.exfat") || !have("mount.exfat-fuse") || !can_loop_fuse()) {
		printf("skipping exFAT: no mkfs.exfat/exfat-fuse, loop devices or FUSE\n");
		return;
	}
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		snprintf(img, sizeof img, "%s/%s", dir, v[i].name);
		CHECK(sh("truncate -s %uM %s", v[i].mib, img) == 0);
		CHECK(fill_fuse(dir, v[i].name, v[i].mkfs, "mount.exfat-fuse", v[i].sect) == 0);
		check_tree(&lb_fsr_exfat, img, v[i].name, 1);
	}
	snprintf(img, sizeof img, "%s/exfat4k.img", dir);
	test_exfat_damage(img);
}

/* --- NTFS ---------------------------------------------------------------------------------- */

/* What only NTFS has, in extra/: a hard link, ntfs-3g's symlink, a sparse file. */
static void check_ntfs_extra(const char *image)
{
	struct lb_dev d;
	struct lb_err err = { 0 };
	void *fs;
	struct lb_fsr_stat ex, a, h, l, sp;
	char target[64];
	uint8_t b[16];
	int data = -1;
	uint64_t run = 0;
	CHECK(lb_dev_open_fd(&d, image, 0, &err) == 0);
	if (lb_fsr_ntfs.open(&d, 0, d.size, &fs, &err)) {
		CHECK(!"ntfs open");
		lb_dev_close(&d);
		return;
	}
	ex = find(&lb_fsr_ntfs, fs, "extra");
	CHECK(ex.id && S_ISDIR(ex.mode));
	a = find_in(&lb_fsr_ntfs, fs, ex.id, "a");
	h = find_in(&lb_fsr_ntfs, fs, ex.id, "hard");
	CHECK(a.id && a.id == h.id && a.nlink == 2 && a.size == 3);
	l = find_in(&lb_fsr_ntfs, fs, ex.id, "link");
	CHECK(S_ISLNK(l.mode) && l.size == 6);
	CHECK(lb_fsr_ntfs.readlink(fs, l.id, target, sizeof target, &err) == 0 &&
	      !strcmp(target, "a/../a"));
	CHECK(lb_fsr_ntfs.readlink(fs, l.id, target, 4, &err) == LB_EUNSUPPORTED);
	lb_err_clear(&err);
	l = find_in(&lb_fsr_ntfs, fs, ex.id, "rlink");
	CHECK(S_ISLNK(l.mode) && l.size == 1);
	CHECK(lb_fsr_ntfs.readlink(fs, l.id, target, sizeof target, &err) == 0 && !strcmp(target, "a"));
	l = find_in(&lb_fsr_ntfs, fs, ex.id, "abs");   /* ntfs-3g's form of a target on drive C: */
	CHECK(S_ISLNK(l.mode));
	CHECK(lb_fsr_ntfs.readlink(fs, l.id, target, sizeof target, &err) == 0 &&
	      !strcmp(target, "/.NTFS-3G/C:/Windows"));
	lb_err_clear(&err);
	sp = find_in(&lb_fsr_ntfs, fs, ex.id, "sparse");
	CHECK(sp.id && sp.size == 1048576);
	CHECK(lb_fsr_ntfs.map(fs, sp.id, 0, &data, &run, &err) == 0 && data == 0 && run >= 4096 &&
	      run <= 500000);
	CHECK(lb_fsr_ntfs.map(fs, sp.id, 500000, &data, &run, &err) == 0 && data == 1);
	CHECK(lb_fsr_ntfs.pread(fs, sp.id, b, 4, 499998, &err) == 0 && !memcmp(b, "\0\0x\n", 4));
	CHECK(lb_fsr_ntfs.pread(fs, sp.id, b, 4, 1048572, &err) == 0);
	CHECK(lb_fsr_ntfs.pread(fs, sp.id, b, 4, 1048573, &err) == LB_EUSAGE);
	lb_err_clear(&err);
	/* a compressed file (ntfs-3g's compression, the directory's attribute): read whole */
	{
		struct lb_fsr_stat c = find_in(&lb_fsr_ntfs, fs, ex.id, "comp");
		uint8_t *z = malloc(200000);
		c = find_in(&lb_fsr_ntfs, fs, c.id, "z.txt");
		CHECK(c.id && c.size == 200000 && z);
		CHECK(z && lb_fsr_ntfs.pread(fs, c.id, z, 200000, 0, &err) == 0);
		for (size_t i = 0; z && i < 200000; i++)
			if (z[i] != (uint8_t)"compressible line\n"[i % 18]) {
				CHECK(!"the compressed file's bytes");
				break;
			}
		CHECK(lb_fsr_ntfs.map(fs, c.id, 0, &data, &run, &err) == 0 && data == 1 && run == 200000);
		free(z);
	}
	/* the metadata files are not listed, but can still be numbered */
	CHECK(find(&lb_fsr_ntfs, fs, "$MFT").id == 0);
	CHECK(lb_fsr_ntfs.stat(fs, 0, &a, &err) == 0 && S_ISREG(a.mode));
	lb_fsr_ntfs.close(fs);
	lb_dev_close(&d);
}

static void test_ntfs(const char *dir)
{
	char img[600];
	if (!have("mkntfs") || !have("ntfs-3g") || geteuid() != 0 || access("/dev/fuse", F_OK)) {
		printf("skipping NTFS: no mkntfs/ntfs-3g or FUSE\n");
		return;
	}
	/* reparse-point symlinks as Windows makes them (ntfs-3g's `ln -s` makes Interix ones):
	 * a relative one and an absolute one (a junction to C:\Windows), raw reparse data */
	snprintf(img, sizeof img, "%s/reparse.py", dir);
	{
		FILE *f = fopen(img, "w");
		CHECK(f != NULL);
		if (f) {
			fputs("import os, struct, sys\n"
			      "def blob(sub, prn, flags):\n"
			      "    s, p = sub.encode('utf-16-le'), prn.encode('utf-16-le')\n"
			      "    body = struct.pack('<HHHHI', 0, len(s), len(s), len(p), flags) + s + p\n"
			      "    return struct.pack('<IHH', 0xA000000C, len(body), 0) + body\n"
			      "for name, sub, prn, fl in (('rlink', 'a', 'a', 1),\n"
			      "        ('abs', '\\\\??\\\\C:\\\\Windows', 'C:\\\\Windows', 0)):\n"
			      "    open(sys.argv[1] + '/' + name, 'w').close()\n"
			      "    os.setxattr(sys.argv[1] + '/' + name, 'system.ntfs_reparse_data',\n"
			      "                blob(sub, prn, fl))\n", f);
			fclose(f);
		}
	}
	snprintf(img, sizeof img, "%s/ntfs.img", dir);
	CHECK(sh("cd %s && truncate -s 24M ntfs.img && mkntfs -q -F -Q ntfs.img >/dev/null 2>&1 && ("
	         FUSE_RUN("ntfs-3g -o no_detach,compression ntfs.img mnt",
	                  "cp -r tree/. mnt/ && cp -r uni/. mnt/ && "
	                  "cp late/fill1 late/fill2 late/fill3 mnt/ && sync && rm mnt/fill2 && "
	                  "cp late/frag.bin mnt/ && mkdir mnt/extra && echo hi >mnt/extra/a && "
	                  "ln mnt/extra/a mnt/extra/hard && ln -s a/../a mnt/extra/link && "
	                  "truncate -s 1M mnt/extra/sparse && "
	                  "echo x | dd of=mnt/extra/sparse seek=500000 bs=1 conv=notrunc status=none && "
	                  "mkdir mnt/extra/comp && python3 -c 'import os; os.setxattr(\"mnt/extra/comp\", "
	                  "\"system.ntfs_attrib_be\", (0x810).to_bytes(4, \"big\"))' && "
	                  "yes 'compressible line' | head -c 200000 >mnt/extra/comp/z.txt && "
	                  "python3 reparse.py mnt/extra")
	         ")", dir) == 0);
	check_tree(&lb_fsr_ntfs, img, "ntfs.img", 1);
	check_ntfs_extra(img);
}

/* UTF-16 names: pairs to 4 bytes, a lone surrogate (either half) to its WTF-8 bytes. */
static void test_utf16(void)
{
	static const uint8_t in[] = { 'a', 0, 0x3d, 0xd8, 0x00, 0xde, 0x00, 0xd8, 'b', 0, 0x00, 0xdc,
	                              0xe9, 0x00 };
	char out[64];
	long n = lb_utf16le_to_utf8(in, 7, out, sizeof out);
	CHECK(n == 1 + 4 + 3 + 1 + 3 + 2);
	CHECK(n > 0 && !memcmp(out, "a\xf0\x9f\x98\x80\xed\xa0\x80" "b\xed\xb0\x80\xc3\xa9", (size_t)n));
	CHECK(lb_utf16le_to_utf8(in, 7, out, 13) == -1);   /* never cut short */
	CHECK(lb_fsr_name_ok("a", 1) && lb_fsr_name_ok("...", 3));
	CHECK(!lb_fsr_name_ok("", 0) && !lb_fsr_name_ok(".", 1) && !lb_fsr_name_ok("..", 2));
	CHECK(!lb_fsr_name_ok("a/b", 3) && !lb_fsr_name_ok("a\0b", 3));
}

int main(void)
{
	char dir[] = "/tmp/lb_fsr_XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	test_utf16();
	make_list();
	CHECK(write_tree(dir) == 0);
	test_fat(dir);
	test_exfat(dir);
	test_ntfs(dir);
	sh("rm -rf %s", dir);
	return UNIT_DONE();
}
