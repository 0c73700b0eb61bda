/* fsread: names escaped so every name is distinct and printable; the generic path walk
 * (symlinks in leading components, "..", trailing slashes) and the ext reader over an ext4
 * made by mke2fs -d (holes, links, symlinks), read from memory; no reader for zeros. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "blockdev.h"
#include "err.h"
#include "fsread.h"
#include "unit.h"

static int esc_is(const char *in, size_t len, const char *want)
{
	char out[256];
	lb_fsr_escape(in, len, out, sizeof out);
	if (strcmp(out, want))
		fprintf(stderr, "  lb_fsr_escape gave \"%s\", wanted \"%s\"\n", out, want);
	return !strcmp(out, want);
}

static void names(void)
{
	char small[8];
	CHECK(esc_is("plain", 5, "plain"));
	CHECK(esc_is("a b", 3, "a b"));
	CHECK(esc_is("new\nline\t\r", 10, "new\\nline\\t\\r"));
	CHECK(esc_is("back\\slash", 10, "back\\\\slash"));
	CHECK(esc_is("\xff\xfe", 2, "\\xff\\xfe"));
	CHECK(esc_is("\x1b[2J", 4, "\\x1b[2J"));
	CHECK(esc_is("x\xe2\x80\xaey", 5, "x\\xe2\\x80\\xaey"));      /* U+202E: escaped per byte */
	CHECK(esc_is("δίσκος 🛟", strlen("δίσκος 🛟"), "δίσκος 🛟"));
	CHECK(esc_is("end\xe2\x82", 5, "end\\xe2\\x82"));              /* cut short */
	CHECK(esc_is("nul\0x", 5, "nul\\x00x"));                        /* a length, not a string */
	lb_fsr_escape("\xff\xff\xff", 3, small, sizeof small);         /* never past cap */
	CHECK(!strcmp(small, "\\xff"));
}

static void no_reader(void)
{
	static char zeros[1 << 16];
	struct lb_dev d;
	struct lb_fsr *f = (struct lb_fsr *)1;
	struct lb_err err = { 0 };
	lb_dev_open_mem(&d, zeros, sizeof zeros, 8 << 20, 0);
	CHECK(lb_fsr_open(&f, &d, 0, d.size, &err) == LB_EUNSUPPORTED && !f);
	CHECK(strstr(err.msg, "no filesystem") != NULL);
	lb_err_clear(&err);
	CHECK(lb_fsr_open(&f, &d, 4096, d.size, &err) == LB_EUSAGE);
	lb_dev_close(&d);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	long n;
	if (!fp)
		return NULL;
	if (!fseek(fp, 0, SEEK_END) && (n = ftell(fp)) > 0 && !fseek(fp, 0, SEEK_SET) &&
	    (buf = malloc((size_t)n)) && fread(buf, 1, (size_t)n, fp) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	*len = buf ? (size_t)n : 0;
	fclose(fp);
	return buf;
}

static int count_cb(void *ctx, const char *name, size_t len, const struct lb_fsr_stat *st)
{
	(*(int *)ctx)++;
	return 0;
}

static void ext(void)
{
	char dir[] = "/tmp/lb-fsread-XXXXXX", cmd[1024], img[300], buf[64];
	struct lb_dev d;
	struct lb_fsr *f = NULL;
	struct lb_fsr_stat st, st2;
	struct lb_err err = { 0 };
	uint64_t run;
	int data, n = 0;
	size_t len;
	char *disk;
	if (!mkdtemp(dir))
		return;
	snprintf(img, sizeof img, "%s/fs.img", dir);
	snprintf(cmd, sizeof cmd, "cd %s && mkdir -p t/a/b && echo hello >t/a/b/f && "
	         "ln t/a/b/f t/a/g && ln -s a/b t/lb && ln -s /a t/abs && truncate -s 1M t/sparse && "
	         "printf x | dd of=t/sparse bs=1 seek=524288 conv=notrunc status=none && "
	         "truncate -s 8M fs.img && mke2fs -q -F -t ext4 -b 1024 -d t fs.img 2>/dev/null", dir);
	if (system(cmd)) {
		printf("mke2fs not available: ext reader not tested\n");
		return;
	}
	disk = slurp(img, &len);
	CHECK(disk != NULL);
	if (!disk)
		return;
	lb_dev_open_mem(&d, disk, len, len, 0);
	CHECK(lb_fsr_open(&f, &d, 0, d.size, &err) == 0);
	if (!f) {
		fprintf(stderr, "  %s\n", err.msg);
		goto out;
	}
	CHECK(!strcmp(lb_fsr_type(f), "ext"));
	CHECK(lb_fsr_lookup(f, "/a/b/f", &st, &err) == 0 && S_ISREG(st.mode) && st.size == 6 &&
	      st.nlink == 2);
	CHECK(lb_fsr_pread(f, st.id, buf, 6, 0, &err) == 0 && !memcmp(buf, "hello\n", 6));
	CHECK(lb_fsr_lookup(f, "a/g", &st2, &err) == 0 && st2.id == st.id);     /* a hard link */
	CHECK(lb_fsr_lookup(f, "/lb/f", &st2, &err) == 0 && st2.id == st.id);   /* followed */
	CHECK(lb_fsr_lookup(f, "/abs/b/./../b/f", &st2, &err) == 0 && st2.id == st.id);
	CHECK(lb_fsr_lookup(f, "/../../a/b/f", &st2, &err) == 0 && st2.id == st.id);
	CHECK(lb_fsr_lookup(f, "/lb", &st2, &err) == 0 && S_ISLNK(st2.mode));     /* last: not */
	CHECK(lb_fsr_readlink(f, st2.id, buf, sizeof buf, &err) == 0 && !strcmp(buf, "a/b"));
	CHECK(lb_fsr_readlink(f, st2.id, buf, 3, &err) == LB_EUNSUPPORTED);
	lb_err_clear(&err);
	CHECK(lb_fsr_lookup(f, "/lb/", &st2, &err) == 0 && S_ISDIR(st2.mode));
	CHECK(lb_fsr_lookup(f, "/a/b/f/", &st2, &err) == LB_ENOENT);
	lb_err_clear(&err);
	CHECK(lb_fsr_lookup(f, "/a/nope/f", &st2, &err) == LB_ENOENT && strstr(err.msg, "nope"));
	lb_err_clear(&err);
	CHECK(lb_fsr_lookup(f, "/", &st2, &err) == 0 && st2.id == lb_fsr_root(f));
	CHECK(lb_fsr_readdir(f, st2.id, count_cb, &n, &err) == 0 && n == 5);  /* + lost+found */
	CHECK(lb_fsr_lookup(f, "/sparse", &st, &err) == 0 && st.size == 1 << 20);
	CHECK(lb_fsr_map(f, st.id, 0, st.size, &data, &run, &err) == 0 && !data && run == 524288);
	CHECK(lb_fsr_map(f, st.id, 524288, st.size, &data, &run, &err) == 0 && data &&
	      run == 1024);
	CHECK(lb_fsr_map(f, st.id, 524289, st.size, &data, &run, &err) == 0 && data && run == 1023);
	CHECK(lb_fsr_map(f, st.id, 525312, st.size, &data, &run, &err) == 0 && !data &&
	      run == st.size - 525312);
	CHECK(lb_fsr_pread(f, st.id, buf, 2, 524287, &err) == 0 && buf[0] == 0 && buf[1] == 'x');
out:
	lb_fsr_close(f);
	lb_dev_close(&d);
	free(disk);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd))
		fprintf(stderr, "  could not remove %s\n", dir);
}

int main(void)
{
	names();
	no_reader();
	ext();
	return UNIT_DONE();
}
