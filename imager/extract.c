/* Extract: files and trees of a backed-up filesystem (fsread.h) copied into a directory. The
 * destination is only ever reached through directory handles: the destination's own, then
 * each directory made below it, opened with O_NOFOLLOW|O_DIRECTORY relative to its parent,
 * and every name is one checked component (fsread.c refuses ".", "..", '/' and NUL). So a
 * symlink in the image (or planted in the destination) is never followed, and nothing is
 * written outside the destination whatever the image holds.
 *
 * A file that cannot be read whole is still copied, with zeros where its data could not be
 * read (a rescue wants the rest), and named in the report with how much is missing; the call
 * then fails (LB_EDAMAGED) after everything else is copied. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "blockdev.h"
#include "err.h"
#include "fsread.h"
#include "progress.h"

#define BUF (1u << 20)
#define SMALL 4096u          /* a failed read is retried in pieces this large */

struct link { uint64_t id; char *rel; };

struct ex {
	struct lb_fsr *f;
	const struct lb_extract_opts *o;
	struct lb_extract_report *rep;
	struct lb_err *err;
	struct lb_prog prog;
	int root_fd, is_root;
	const char *src_parent;      /* the source path above the current top-level entry */
	char *rel;                   /* the current entry, relative to o->to (raw bytes) */
	size_t rel_len, rel_cap;
	uint64_t *dirs;              /* the directories being extracted, outermost first */
	size_t ndirs, dirs_cap;
	struct link *links;          /* open addressing: files with several links, by id */
	size_t nlinks, links_cap;
	char *buf;
	uint64_t done;               /* bytes of files gone through (holes too), for progress */
	int hard;                    /* something failed that is not damage in the image */
	int stop;                    /* cancelled or the destination is full: nothing more */
};

/* ---- the report -------------------------------------------------------------------------- */

static void line(struct ex *x, int hard, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void line(struct ex *x, int hard, const char *fmt, ...)
{
	size_t pl = strlen(x->src_parent), el = 4 * (pl + x->rel_len + 1) + 1;
	char *esc = malloc(el), *src = malloc(pl + x->rel_len + 2), what[1400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	if (hard >= 0) {
		x->rep->failed++;
		x->hard |= hard;
	}
	if (esc && src) {
		size_t n = 0, old = x->rep->text ? strlen(x->rep->text) : 0, add;
		char *t;
		memcpy(src, x->src_parent, pl);
		n = pl;
		if (!n || src[n - 1] != '/')
			src[n++] = '/';
		memcpy(src + n, x->rel, x->rel_len);
		n += x->rel_len;
		lb_fsr_escape(src, n, esc, el);
		lb_sanitize(what);   /* messages quote names from the image too */
		add = strlen(esc) + strlen(what) + 4;
		if ((t = realloc(x->rep->text, old + add))) {
			snprintf(t + old, add, "%s: %s\n", esc, what);
			x->rep->text = t;
		}
	}
	free(esc);
	free(src);
}

/* ---- paths ------------------------------------------------------------------------------- */

static int rel_push(struct ex *x, const char *name, size_t len, size_t *saved)
{
	size_t need = x->rel_len + len + 2;
	*saved = x->rel_len;
	if (need > x->rel_cap) {
		size_t n = need * 2;
		char *r = realloc(x->rel, n);
		if (!r)
			return -1;
		x->rel = r;
		x->rel_cap = n;
	}
	if (x->rel_len)
		x->rel[x->rel_len++] = '/';
	memcpy(x->rel + x->rel_len, name, len);
	x->rel_len += len;
	x->rel[x->rel_len] = 0;
	return 0;
}

static void rel_pop(struct ex *x, size_t saved)
{
	x->rel_len = saved;
	x->rel[saved] = 0;
}

/* ---- hard links -------------------------------------------------------------------------- */

static size_t slot(const struct ex *x, uint64_t id)
{
	size_t i = (size_t)(id * 0x9e3779b97f4a7c15ull) & (x->links_cap - 1);
	while (x->links[i].rel && x->links[i].id != id)
		i = (i + 1) & (x->links_cap - 1);
	return i;
}

static const char *link_find(const struct ex *x, uint64_t id)
{
	return x->links_cap ? x->links[slot(x, id)].rel : NULL;
}

static int link_add(struct ex *x, uint64_t id)
{
	size_t i;
	if (2 * (x->nlinks + 1) > x->links_cap) {
		size_t n = x->links_cap ? 2 * x->links_cap : 256;
		struct link *old = x->links, *v = calloc(n, sizeof *v);
		size_t oldcap = x->links_cap;
		if (!v)
			return -1;
		x->links = v;
		x->links_cap = n;
		for (size_t k = 0; k < oldcap; k++)
			if (old[k].rel)
				x->links[slot(x, old[k].id)] = old[k];
		free(old);
	}
	i = slot(x, id);
	if (x->links[i].rel)
		return 0;
	if (!(x->links[i].rel = strdup(x->rel)))
		return -1;
	x->links[i].id = id;
	x->nlinks++;
	return 0;
}

/* the directory holding rel (a path this call made), walked from the destination without
 * following anything; *last points into rel at the final name. -1 with errno on failure. */
static int walk_parent(struct ex *x, const char *rel, const char **last)
{
	const char *p = rel, *slash;
	int fd = dup(x->root_fd);
	while (fd >= 0 && (slash = strchr(p, '/'))) {
		char *name = strndup(p, (size_t)(slash - p));
		int nfd = name ? openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
		int e = errno;
		free(name);
		close(fd);
		errno = e;
		fd = nfd;
		p = slash + 1;
	}
	*last = p;
	return fd;
}

/* ---- metadata ---------------------------------------------------------------------------- */

static void times_of(const struct lb_fsr_stat *st, struct timespec ts[2])
{
	ts[0].tv_sec = (time_t)st->atime;
	ts[0].tv_nsec = st->atime_ns;
	ts[1].tv_sec = (time_t)st->mtime;
	ts[1].tv_nsec = st->mtime_ns;
}

/* owner first (chown clears set-id bits), then the mode, then the times */
static void meta_fd(struct ex *x, int fd, const struct lb_fsr_stat *st)
{
	struct timespec ts[2];
	times_of(st, ts);
	if (x->o->owners && fchown(fd, st->uid, st->gid))
		line(x, 1, "cannot set its owner to %u:%u: %s", st->uid, st->gid, strerror(errno));
	if (fchmod(fd, st->mode & 07777))
		line(x, 1, "cannot set its mode to %04o: %s", st->mode & 07777, strerror(errno));
	if (futimens(fd, ts))
		line(x, 1, "cannot set its times: %s", strerror(errno));
}

static void meta_at(struct ex *x, int dirfd, const char *name, const struct lb_fsr_stat *st)
{
	struct timespec ts[2];
	times_of(st, ts);
	if (x->o->owners && fchownat(dirfd, name, st->uid, st->gid, AT_SYMLINK_NOFOLLOW))
		line(x, 1, "cannot set its owner to %u:%u: %s", st->uid, st->gid, strerror(errno));
	if (!S_ISLNK(st->mode) && fchmodat(dirfd, name, st->mode & 07777, AT_SYMLINK_NOFOLLOW) &&
	    (errno != EOPNOTSUPP || fchmodat(dirfd, name, st->mode & 07777, 0)))
		line(x, 1, "cannot set its mode to %04o: %s", st->mode & 07777, strerror(errno));
	if (utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW))
		line(x, 1, "cannot set its times: %s", strerror(errno));
}

/* Whatever is at name in the destination: nothing (0), a directory to merge into (1, only
 * for a directory with overwrite), or in the way (-1, named in the report). */
static int make_room(struct ex *x, int dirfd, const char *name, int is_dir)
{
	struct stat sb;
	if (fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW)) {
		if (errno == ENOENT)
			return 0;
		line(x, 1, "cannot check the destination: %s", strerror(errno));
		return -1;
	}
	if (!x->o->overwrite) {
		line(x, 1, "exists in the destination: not replaced");
		return -1;
	}
	if (S_ISDIR(sb.st_mode)) {
		if (is_dir)
			return 1;
		line(x, 1, "a directory of that name is in the destination: not replaced");
		return -1;
	}
	if (unlinkat(dirfd, name, 0)) {
		line(x, 1, "cannot replace what the destination holds: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- files ------------------------------------------------------------------------------- */

static int write_out(struct ex *x, int fd, const void *p, size_t n, uint64_t off)
{
	int r = lb_pwrite_full(fd, p, n, off);
	if (!r)
		return 0;
	if (r == -ENOSPC || r == -EDQUOT) {
		x->stop = 1;
		lb_fail(x->err, LB_ENOSPACE, "the destination %s is full", x->o->to);
	}
	line(x, 1, "writing its copy failed at byte %llu: %s", (unsigned long long)off,
	     strerror(-r));
	return -1;
}

/* [off, off+n) of the file into fd; a piece that cannot be read is retried in SMALL pieces,
 * and what still fails is left as a hole (zeros). */
static int copy_piece(struct ex *x, int fd, const struct lb_fsr_stat *st, uint64_t off, size_t n,
                      uint64_t *bad, uint64_t *bad_at, char *why, size_t whylen)
{
	struct lb_err e = { 0 };
	if (!lb_fsr_pread(x->f, st->id, x->buf, n, off, &e))
		return write_out(x, fd, x->buf, n, off);
	for (size_t at = 0; at < n; at += SMALL) {
		size_t k = n - at < SMALL ? n - at : SMALL;
		lb_err_clear(&e);
		if (lb_fsr_pread(x->f, st->id, x->buf, k, off + at, &e)) {
			if (!*bad) {
				*bad_at = off + at;
				snprintf(why, whylen, "%s", e.msg);
			}
			*bad += k;
			continue;
		}
		if (write_out(x, fd, x->buf, k, off + at))
			return -1;
	}
	return 0;
}

static void do_file(struct ex *x, int dirfd, const char *name, const struct lb_fsr_stat *st)
{
	uint64_t off = 0, bad = 0, bad_at = 0;
	char why[1100] = "";
	const char *first = st->nlink > 1 ? link_find(x, st->id) : NULL;
	struct lb_err e = { 0 };
	int fd;
	/* a file that cannot be opened at all (encrypted, a broken inode) makes no copy, and
	 * replaces nothing */
	if (!first && lb_fsr_pread(x->f, st->id, x->buf, 0, 0, &e)) {
		line(x, e.code != LB_EDAMAGED && e.code != LB_EIO, "cannot be read: %s", e.msg);
		return;
	}
	if (make_room(x, dirfd, name, 0) < 0)
		return;
	if (first) {
		/* another name of a file already copied: the same file here too */
		const char *last;
		int pfd = walk_parent(x, first, &last);
		if (pfd >= 0 && !linkat(pfd, last, dirfd, name, 0)) {
			close(pfd);
			x->rep->links++;
			return;
		}
		line(x, 1, "cannot make it a hard link to %s: %s", first, strerror(errno));
		if (pfd >= 0)
			close(pfd);
		return;
	}
	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		line(x, 1, "cannot create it: %s", strerror(errno));
		return;
	}
	while (off < st->size && !x->stop) {
		uint64_t run, end;
		int data;
		lb_err_clear(&e);
		if (lb_fsr_map(x->f, st->id, off, st->size, &data, &run, &e)) {
			data = 1;   /* no map: read it all; what cannot be read is found so */
			run = st->size - off;
		}
		if (!data) {
			off += run;
			x->done += run;
			continue;
		}
		for (end = off + run; off < end && !x->stop; ) {
			size_t n = end - off < BUF ? (size_t)(end - off) : BUF;
			if (copy_piece(x, fd, st, off, n, &bad, &bad_at, why, sizeof why))
				goto out;
			off += n;
			x->rep->bytes += n;
			x->done += n;
			if (lb_prog_update(&x->prog, x->done, 0)) {
				x->stop = 1;
				lb_fail(x->err, LB_ECANCELLED, "cancelled");
			}
		}
	}
	if (x->stop)
		goto out;
	if (ftruncate(fd, (off_t)st->size)) {
		line(x, 1, "cannot make its copy %llu bytes long: %s", (unsigned long long)st->size,
		     strerror(errno));
		goto out;
	}
	if (bad) {
		char h[32];
		x->rep->damaged_bytes += bad;
		line(x, 0, "%s could not be read (zeros in the copy), the first at byte %llu: %s",
		     lb_human_size(bad, h, sizeof h), (unsigned long long)bad_at, why);
	}
	meta_fd(x, fd, st);
	x->rep->files++;
	if (st->nlink > 1 && link_add(x, st->id))
		line(x, 1, "out of memory: its other names become copies");
out:
	if (close(fd))
		line(x, 1, "writing its copy failed: %s", strerror(errno));
	if (x->stop)
		unlinkat(dirfd, name, 0);   /* cancelled or full: no half file left looking whole */
}

static void do_symlink(struct ex *x, int dirfd, const char *name, const struct lb_fsr_stat *st)
{
	struct lb_err e = { 0 };
	char *target = malloc(4097);
	if (!target) {
		line(x, 1, "out of memory");
		return;
	}
	if (lb_fsr_readlink(x->f, st->id, target, 4097, &e)) {
		line(x, 0, "its target cannot be read: %s", e.msg);
	} else if (make_room(x, dirfd, name, 0) >= 0) {
		if (symlinkat(target, dirfd, name)) {
			line(x, 1, "cannot make the symbolic link: %s", strerror(errno));
		} else {
			x->rep->symlinks++;
			meta_at(x, dirfd, name, st);
		}
	}
	free(target);
}

static void do_special(struct ex *x, int dirfd, const char *name, const struct lb_fsr_stat *st)
{
	int dev = S_ISCHR(st->mode) || S_ISBLK(st->mode);
	if (dev && !x->is_root) {
		x->rep->skipped++;
		line(x, -1, "a %s device: not made (only root can)", S_ISCHR(st->mode) ? "character" :
		     "block");
		return;
	}
	if (make_room(x, dirfd, name, 0) < 0)
		return;
	if (mknodat(dirfd, name, (st->mode & S_IFMT) | 0600, dev ? (dev_t)st->rdev : 0)) {
		line(x, 1, "cannot make it: %s", strerror(errno));
		return;
	}
	x->rep->specials++;
	meta_at(x, dirfd, name, st);
}

/* ---- directories ------------------------------------------------------------------------- */

struct ent { char *name; size_t len; struct lb_fsr_stat st; };
struct ents { struct ent *v; size_t n, cap; };

static int collect(void *ctx, const char *name, size_t len, const struct lb_fsr_stat *st)
{
	struct ents *l = ctx;
	if (l->n == l->cap) {
		size_t n = l->cap ? 2 * l->cap : 32;
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

static void do_entry(struct ex *x, int dirfd, const char *name, size_t len,
                     const struct lb_fsr_stat *st);

/* the entries of directory st into fd */
static void fill_dir(struct ex *x, int fd, const struct lb_fsr_stat *st)
{
	struct ents l = { 0 };
	struct lb_err e = { 0 };
	if (lb_fsr_readdir(x->f, st->id, collect, &l, &e))
		line(x, e.code == LB_ENOMEM, "the directory cannot be read whole (%llu entr%s read): %s",
		     (unsigned long long)l.n, l.n == 1 ? "y" : "ies", e.msg);
	if (x->ndirs == x->dirs_cap) {
		size_t n = x->dirs_cap ? 2 * x->dirs_cap : 64;
		uint64_t *v = realloc(x->dirs, n * sizeof *v);
		if (!v) {
			line(x, 1, "out of memory");
			goto out;
		}
		x->dirs = v;
		x->dirs_cap = n;
	}
	x->dirs[x->ndirs++] = st->id;
	for (size_t i = 0; i < l.n && !x->stop; i++)
		do_entry(x, fd, l.v[i].name, l.v[i].len, &l.v[i].st);
	x->ndirs--;
out:
	for (size_t i = 0; i < l.n; i++)
		free(l.v[i].name);
	free(l.v);
}

static void do_dir(struct ex *x, int dirfd, const char *name, const struct lb_fsr_stat *st)
{
	int fd, room;
	for (size_t i = 0; i < x->ndirs; i++)
		if (x->dirs[i] == st->id) {
			line(x, 0, "the directory holds itself (a loop in a damaged filesystem): not "
			     "entered again");
			return;
		}
	if ((room = make_room(x, dirfd, name, 1)) < 0)
		return;
	if (!room && mkdirat(dirfd, name, 0700)) {
		line(x, 1, "cannot make the directory: %s", strerror(errno));
		return;
	}
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		line(x, 1, "cannot open the directory made: %s", strerror(errno));
		return;
	}
	fill_dir(x, fd, st);
	if (!x->stop)
		meta_fd(x, fd, st);   /* last: making its entries changed its times */
	x->rep->dirs++;
	close(fd);
}

static void do_entry(struct ex *x, int dirfd, const char *name, size_t len,
                     const struct lb_fsr_stat *given)
{
	struct lb_fsr_stat st = *given;
	struct lb_err e = { 0 };
	size_t saved;
	if (rel_push(x, name, len, &saved)) {
		line(x, 1, "out of memory");
		return;
	}
	if (!st.mode && lb_fsr_stat(x->f, st.id, &st, &e))
		line(x, 0, "cannot be read: %s", e.msg);
	else if (S_ISREG(st.mode))
		do_file(x, dirfd, name, &st);
	else if (S_ISDIR(st.mode))
		do_dir(x, dirfd, name, &st);
	else if (S_ISLNK(st.mode))
		do_symlink(x, dirfd, name, &st);
	else
		do_special(x, dirfd, name, &st);
	rel_pop(x, saved);
}

/* The bytes of the regular files under st, for the progress total (errors are met again,
 * and reported, when copying). Hard links count once per name: the total is an estimate. */
static void count_tree(struct ex *x, const struct lb_fsr_stat *st, uint64_t *total)
{
	struct ents l = { 0 };
	struct lb_err e = { 0 };
	if (S_ISREG(st->mode)) {
		*total += st->size;
		return;
	}
	if (!S_ISDIR(st->mode) || x->stop)
		return;
	for (size_t i = 0; i < x->ndirs; i++)
		if (x->dirs[i] == st->id)
			return;
	if (x->ndirs == x->dirs_cap) {
		size_t n = x->dirs_cap ? 2 * x->dirs_cap : 64;
		uint64_t *v = realloc(x->dirs, n * sizeof *v);
		if (!v)
			return;
		x->dirs = v;
		x->dirs_cap = n;
	}
	if (lb_prog_update(&x->prog, 0, 0)) {
		x->stop = 1;
		lb_fail(x->err, LB_ECANCELLED, "cancelled");
		return;
	}
	lb_fsr_readdir(x->f, st->id, collect, &l, &e);
	x->dirs[x->ndirs++] = st->id;
	for (size_t i = 0; i < l.n; i++)
		count_tree(x, &l.v[i].st, total);
	x->ndirs--;
	for (size_t i = 0; i < l.n; i++)
		free(l.v[i].name);
	free(l.v);
}

/* ---- the call ---------------------------------------------------------------------------- */

/* the name a path is extracted as: its last component; NULL for the root */
static const char *last_name(const char *path, size_t *len)
{
	const char *end = path + strlen(path), *s;
	while (end > path && end[-1] == '/')
		end--;
	for (s = end; s > path && s[-1] != '/'; s--)
		;
	*len = (size_t)(end - s);
	return *len ? s : NULL;
}

static int prepare(struct ex *x, const char *const *paths, int npaths, struct lb_fsr_stat *sts)
{
	struct lb_err *err = x->err;
	struct stat sb;
	int rc;
	for (int i = 0; i < npaths; i++) {
		size_t len, l2;
		const char *name;
		if ((rc = lb_fsr_lookup(x->f, paths[i], &sts[i], err)))
			return rc;
		name = last_name(paths[i], &len);
		if (sts[i].id == lb_fsr_root(x->f))
			continue;
		if (!name || (len == 1 && name[0] == '.') || (len == 2 && !memcmp(name, "..", 2)))
			return lb_fail(err, LB_EUSAGE, "%s: name the file or directory itself (its last "
			               "component is what it is called in %s)", paths[i], x->o->to);
		for (int j = 0; j < i; j++) {
			const char *n2 = last_name(paths[j], &l2);
			if (n2 && l2 == len && !memcmp(n2, name, len) && sts[j].id != lb_fsr_root(x->f))
				return lb_fail(err, LB_EUSAGE, "%s and %s would both be written to %s/%.*s",
				               paths[j], paths[i], x->o->to, (int)len, name);
		}
		if (!x->o->overwrite) {
			char *n = strndup(name, len);
			int exists = n && !fstatat(x->root_fd, n, &sb, AT_SYMLINK_NOFOLLOW);
			free(n);
			if (exists)
				return lb_fail(err, LB_EREFUSED, "%s/%.*s exists: nothing was extracted",
				               x->o->to, (int)len, name);
		}
	}
	return 0;
}

/* extracting the root: its entries go into the destination, none may exist there already */
static int root_clash(struct ex *x, const struct lb_fsr_stat *st)
{
	struct ents l = { 0 };
	struct lb_err e = { 0 };
	struct stat sb;
	int rc = 0;
	if (x->o->overwrite)
		return 0;
	lb_fsr_readdir(x->f, st->id, collect, &l, &e);
	for (size_t i = 0; i < l.n; i++)
		if (!rc && !fstatat(x->root_fd, l.v[i].name, &sb, AT_SYMLINK_NOFOLLOW)) {
			char esc[400];
			lb_fsr_escape(l.v[i].name, l.v[i].len, esc, sizeof esc);
			rc = lb_fail(x->err, LB_EREFUSED, "%s/%s exists: nothing was extracted",
			             x->o->to, esc);
		}
	for (size_t i = 0; i < l.n; i++)
		free(l.v[i].name);
	free(l.v);
	return rc;
}

int lb_extract(struct lb_fsr *f, const char *const *paths, int npaths,
               const struct lb_extract_opts *o, struct lb_extract_report *rep, struct lb_err *err)
{
	struct ex x = { 0 };
	struct lb_fsr_stat *sts = NULL;
	int rc;
	memset(rep, 0, sizeof *rep);
	x.f = f;
	x.o = o;
	x.rep = rep;
	x.err = err;
	x.root_fd = -1;
	x.src_parent = "";
	x.is_root = geteuid() == 0;
	lb_prog_init(&x.prog, o->progress, o->progress_ctx);
	if (!o->to || npaths < 1)
		return lb_fail(err, LB_EUSAGE, "extract needs paths and a destination directory");
	if ((x.root_fd = open(o->to, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return lb_fail(err, errno == ENOENT ? LB_ENOENT : LB_EUSAGE, "the destination %s "
		               "cannot be used: %s", o->to, strerror(errno));
	if (!(sts = calloc((size_t)npaths, sizeof *sts)) || !(x.buf = malloc(BUF)) ||
	    !(x.rel = calloc(1, x.rel_cap = 256))) {
		rc = lb_fail(err, LB_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = prepare(&x, paths, npaths, sts)))
		goto out;
	{
		uint64_t total = 0;
		lb_prog_phase(&x.prog, LB_PHASE_PLAN, 0);
		for (int i = 0; i < npaths && !x.stop; i++)
			count_tree(&x, &sts[i], &total);
		lb_prog_phase(&x.prog, LB_PHASE_COPY, total);
	}
	for (int i = 0; i < npaths && !x.stop; i++) {
		size_t len, plen;
		const char *name = last_name(paths[i], &len);
		char *parent = NULL;
		if (sts[i].id == lb_fsr_root(f)) {
			if ((rc = root_clash(&x, &sts[i])))
				goto out;
			x.src_parent = "/";
			fill_dir(&x, x.root_fd, &sts[i]);
			continue;
		}
		plen = (size_t)(name - paths[i]);
		if (!(parent = strndup(paths[i], plen))) {
			rc = lb_fail(err, LB_ENOMEM, "out of memory");
			goto out;
		}
		x.src_parent = parent;
		{
			char *n = strndup(name, len);
			if (n)
				do_entry(&x, x.root_fd, n, len, &sts[i]);
			else
				line(&x, 1, "out of memory");
			free(n);
		}
		x.src_parent = "";
		free(parent);
	}
	if (!x.stop) {
		lb_prog_phase(&x.prog, LB_PHASE_FINISH, x.done);
		lb_prog_update(&x.prog, x.done, 1);
	}
	if (x.stop)
		rc = err->code ? err->code : LB_ECANCELLED;
	else if (rep->failed)
		rc = lb_fail(err, x.hard ? LB_EIO : LB_EDAMAGED, "%llu file%s could not be copied "
		             "whole (listed above)%s", (unsigned long long)rep->failed,
		             rep->failed == 1 ? "" : "s", x.hard ? "" : ": the image is damaged there");
	else
		rc = 0;
out:
	for (size_t i = 0; i < x.links_cap; i++)
		free(x.links[i].rel);
	free(x.links);
	free(x.dirs);
	free(x.rel);
	free(x.buf);
	free(sts);
	if (x.root_fd >= 0)
		close(x.root_fd);
	return rc;
}

void lb_extract_report_free(struct lb_extract_report *rep)
{
	free(rep->text);
	rep->text = NULL;
}
