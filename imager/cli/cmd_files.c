/* lifeboat files IMAGE [--partition N] [PATH]: a directory of a backed-up filesystem, as
 * ls -l lists it, without restoring anything. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include "cli.h"
#include "err.h"
#include "fsread.h"

struct ent {
	char *name;
	size_t len;
	struct lb_fsr_stat st;
};

struct list {
	struct ent *v;
	size_t n, cap;
};

static int add(void *ctx, const char *name, size_t len, const struct lb_fsr_stat *st)
{
	struct list *l = ctx;
	if (l->n == l->cap) {
		size_t n = l->cap ? 2 * l->cap : 64;
		struct ent *v = realloc(l->v, n * sizeof *v);
		if (!v)
			return LB_ENOMEM;
		l->v = v;
		l->cap = n;
	}
	if (!(l->v[l->n].name = malloc(len + 1)))
		return LB_ENOMEM;
	memcpy(l->v[l->n].name, name, len);
	l->v[l->n].name[len] = 0;
	l->v[l->n].len = len;
	l->v[l->n].st = *st;
	l->n++;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;
	int c = memcmp(x->name, y->name, x->len < y->len ? x->len : y->len);
	return c ? c : (x->len > y->len) - (x->len < y->len);
}

static char type_char(uint32_t m)
{
	switch (m & S_IFMT) {
	case S_IFDIR: return 'd';
	case S_IFLNK: return 'l';
	case S_IFCHR: return 'c';
	case S_IFBLK: return 'b';
	case S_IFIFO: return 'p';
	case S_IFSOCK: return 's';
	case S_IFREG: return '-';
	default: return '?';
	}
}

static const char *type_name(uint32_t m)
{
	switch (m & S_IFMT) {
	case S_IFDIR: return "dir";
	case S_IFLNK: return "symlink";
	case S_IFCHR: return "chr";
	case S_IFBLK: return "blk";
	case S_IFIFO: return "fifo";
	case S_IFSOCK: return "sock";
	case S_IFREG: return "file";
	default: return "unknown";
	}
}

static void mode_str(uint32_t m, char *s)
{
	static const char rwx[] = "rwxrwxrwx";
	s[0] = type_char(m);
	for (int i = 0; i < 9; i++)
		s[i + 1] = m & (0400u >> i) ? rwx[i] : '-';
	if (m & S_ISUID)
		s[3] = m & 0100 ? 's' : 'S';
	if (m & S_ISGID)
		s[6] = m & 010 ? 's' : 'S';
	if (m & S_ISVTX)
		s[9] = m & 01 ? 't' : 'T';
	s[10] = 0;
}

static void time_str(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!t || !gmtime_r(&tt, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, len, "%-19s", t ? "?" : "-");
}

/* a symlink's target, escaped, or "" (with the reason on stderr) */
static void target(struct lb_fsr *f, const struct ent *e, char *esc, size_t cap)
{
	struct lb_err err = { 0 };
	char *buf = malloc(4097);
	esc[0] = 0;
	if (!buf)
		return;
	if (lb_fsr_readlink(f, e->st.id, buf, 4097, &err))
		fprintf(stderr, "lifeboat files: %s\n", err.msg);
	else
		lb_fsr_escape(buf, strlen(buf), esc, cap);
	free(buf);
}

static void print_text(struct lb_fsr *f, const struct ent *e)
{
	char mode[12], when[32], size[48], *name = malloc(4 * e->len + 1), *tgt = malloc(4 * 4097);
	if (!name || !tgt) {
		free(name);
		free(tgt);
		return;
	}
	lb_fsr_escape(e->name, e->len, name, 4 * e->len + 1);
	if (!e->st.mode) {
		printf("?????????? %4s %5s %5s %10s %-19s %s\n", "?", "?", "?", "?", "?", name);
		goto out;
	}
	mode_str(e->st.mode, mode);
	time_str(e->st.mtime, when, sizeof when);
	if (S_ISCHR(e->st.mode) || S_ISBLK(e->st.mode))
		snprintf(size, sizeof size, "%u, %u", major(e->st.rdev), minor(e->st.rdev));
	else
		snprintf(size, sizeof size, "%llu", (unsigned long long)e->st.size);
	printf("%s %4u %5u %5u %10s %s %s", mode, e->st.nlink, e->st.uid, e->st.gid, size, when,
	       name);
	if (S_ISLNK(e->st.mode)) {
		target(f, e, tgt, 4 * 4097);
		printf(" -> %s", tgt);
	}
	putchar('\n');
out:
	free(name);
	free(tgt);
}

static void print_json(struct lb_fsr *f, const struct ent *e, int first)
{
	char *name = malloc(4 * e->len + 1), *tgt = malloc(4 * 4097);
	if (!name || !tgt) {
		free(name);
		free(tgt);
		return;
	}
	lb_fsr_escape(e->name, e->len, name, 4 * e->len + 1);
	printf("%s\n    {\"name\": ", first ? "" : ",");
	cli_json_str(stdout, name);
	printf(", \"id\": %llu", (unsigned long long)e->st.id);
	if (!e->st.mode) {
		printf(", \"type\": \"unreadable\"}");
		goto out;
	}
	printf(", \"type\": \"%s\", \"mode\": \"%04o\", \"nlink\": %u, \"uid\": %u, \"gid\": %u, "
	       "\"size\": %llu, \"mtime\": %lld, \"mtime_ns\": %u", type_name(e->st.mode),
	       e->st.mode & 07777, e->st.nlink, e->st.uid, e->st.gid,
	       (unsigned long long)e->st.size, (long long)e->st.mtime, e->st.mtime_ns);
	if (S_ISCHR(e->st.mode) || S_ISBLK(e->st.mode))
		printf(", \"major\": %u, \"minor\": %u", major(e->st.rdev), minor(e->st.rdev));
	if (S_ISLNK(e->st.mode)) {
		target(f, e, tgt, 4 * 4097);
		printf(", \"target\": ");
		cli_json_str(stdout, tgt);
	}
	putchar('}');
out:
	free(name);
	free(tgt);
}

int cmd_files(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "partition", required_argument, 0, 'p' }, { "json", no_argument, 0, 'j' },
		{ "key-file", required_argument, 0, 'k' }, { "quiet", no_argument, 0, 'q' },
		{ 0, 0, 0, 0 },
	};
	struct cli_fsr c;
	struct list l = { 0 };
	struct lb_fsr_stat st;
	struct lb_err err = { 0 };
	const char *key_file = NULL;
	char *path = NULL;
	int part = -1, json = 0, opt, rc, rd = 0;
	while ((opt = getopt_long(argc, argv, "q", opts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			if (cli_parse_int(optarg, 0, 1 << 20, &part))
				return cli_usage("files", "--partition takes a partition number (got '%s')",
				                 optarg);
			break;
		case 'j': json = 1; break;
		case 'k': key_file = optarg; break;
		case 'q': break;
		default: return cli_usage("files", "unknown option");
		}
	}
	if (argc - optind < 1 || argc - optind > 2)
		return cli_usage("files", "needs IMAGE and at most one PATH (got %d arguments)",
		                 argc - optind);
	if (!(path = cli_unescape(argc - optind == 2 ? argv[optind + 1] : "/"))) {
		fprintf(stderr, "lifeboat: out of memory\n");
		return 1;
	}
	if ((rc = cli_fsr_open(&c, "files", argv[optind], part, key_file))) {
		free(path);
		return rc;
	}
	if ((rc = lb_fsr_lookup(c.f, path, &st, &err)))
		goto fail;
	if (S_ISDIR(st.mode)) {
		/* a directory some of whose entries cannot be read: list the rest, then fail */
		if ((rd = lb_fsr_readdir(c.f, st.id, add, &l, &err)) && !l.n)
			goto fail;
	} else {
		const char *slash = strrchr(path, '/');
		rc = add(&l, slash ? slash + 1 : path, strlen(slash ? slash + 1 : path), &st);
		if (rc) {
			lb_fail(&err, rc, "out of memory");
			goto fail;
		}
	}
	qsort(l.v, l.n, sizeof *l.v, by_name);
	if (json) {
		printf("{\"partition\": %d, \"filesystem\": \"%s\", \"path\": ", c.part,
		       lb_fsr_type(c.f));
		cli_json_str(stdout, argc - optind == 2 ? argv[optind + 1] : "/");
		printf(", \"entries\": [");
	}
	for (size_t i = 0; i < l.n; i++) {
		json ? print_json(c.f, &l.v[i], i == 0) : print_text(c.f, &l.v[i]);
		if (!l.v[i].st.mode && !rd) {
			/* listed as unreadable: say why, and fail once the rest is listed */
			char esc[400];
			lb_fsr_stat(c.f, l.v[i].st.id, &st, &err);
			lb_fsr_escape(l.v[i].name, l.v[i].len, esc, sizeof esc);
			lb_context(&err, "%s", esc);
			rd = err.code ? err.code : LB_EDAMAGED;
		}
	}
	if (json)
		printf("%s]}\n", l.n ? "\n  " : "");
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "lifeboat files: writing the listing failed\n");
		rc = 1;
	} else {
		rc = rd ? cli_error(&err) : 0;
	}
	goto out;
fail:
	rc = cli_error(&err);
out:
	for (size_t i = 0; i < l.n; i++)
		free(l.v[i].name);
	free(l.v);
	free(path);
	cli_fsr_close(&c);
	return rc;
}
