/* Reading files out of a filesystem, the generic half: which reader, paths, names. Backends
 * (fsread_<fs>.c) know one filesystem's structures; everything here works over their readdir,
 * so every backend gets the same path rules and the same checks of what a directory holds. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "blockdev.h"
#include "err.h"
#include "fs.h"
#include "fsread.h"
#include "probe.h"

static const struct lb_fsr_ops *const readers[] = {
	&lb_fsr_ext,
	&lb_fsr_fat,
	&lb_fsr_ntfs,
	&lb_fsr_exfat,
};

#define MAX_SYMLINKS 40      /* as the kernel's path walk */
#define MAX_DEPTH 4096       /* components a path may walk through */

struct lb_fsr {
	const struct lb_fsr_ops *ops;
	void *fs;
	struct lb_dev *d;
};

int lb_fsr_open(struct lb_fsr **out, struct lb_dev *d, uint64_t off, uint64_t size,
                struct lb_err *err)
{
	const struct lb_fs_ops *fs;
	struct lb_fs_info info;
	struct lb_probe pr;
	struct lb_fsr *f;
	int rc;
	*out = NULL;
	if (!size || off > d->size || size > d->size - off)
		return lb_fail(err, LB_EUSAGE, "the area at offset %llu (%llu bytes) is not on %s",
		               (unsigned long long)off, (unsigned long long)size, d->path);
	fs = lb_fs_probe(d, off, size, &info);
	for (size_t i = 0; fs && i < sizeof readers / sizeof readers[0]; i++) {
		if (strcmp(readers[i]->name, fs->name))
			continue;
		if (!(f = calloc(1, sizeof *f)))
			return lb_fail(err, LB_ENOMEM, "out of memory");
		f->ops = readers[i];
		f->d = d;
		if ((rc = f->ops->open(d, off, size, &f->fs, err))) {
			free(f);
			return rc;
		}
		*out = f;
		return 0;
	}
	if (fs && !strcmp(fs->name, "swap"))
		return lb_fail(err, LB_EUNSUPPORTED, "it is swap space: it holds no files");
	if (fs)
		return lb_fail(err, LB_EUNSUPPORTED, "it holds %s: Lifeboat cannot read its files yet",
		               info.type[0] ? info.type : fs->name);
	/* not ours: libblkid names what it is (an encrypted volume, xfs, nothing at all) */
	lb_probe_area(d, off, size, &pr);
	if (pr.info.type[0])
		return lb_fail(err, LB_EUNSUPPORTED, "it holds %s%s%s%s: Lifeboat cannot read its files",
		               pr.info.type, pr.note[0] ? " (" : "", pr.note, pr.note[0] ? ")" : "");
	return lb_fail(err, LB_EUNSUPPORTED, "no filesystem Lifeboat knows is there%s%s",
	               pr.note[0] ? ": " : "", pr.note);
}

void lb_fsr_close(struct lb_fsr *f)
{
	if (!f)
		return;
	f->ops->close(f->fs);
	free(f);
}

const char *lb_fsr_type(const struct lb_fsr *f)
{
	return f->ops->name;
}

const char *lb_fsr_note(const struct lb_fsr *f)
{
	return f->ops->note ? f->ops->note(f->fs) : NULL;
}

uint64_t lb_fsr_root(const struct lb_fsr *f)
{
	return f->ops->root(f->fs);
}

/* a backend's I/O error on an image says what the image's reader found */
static int why(struct lb_fsr *f, int rc, struct lb_err *err)
{
	const char *img = rc ? lb_dev_image_error(f->d) : NULL;
	if (img && rc != LB_ECANCELLED && !strstr(err->msg, img)) {
		size_t n = strlen(err->msg);
		snprintf(err->msg + n, sizeof err->msg - n, " (%s)", img);
	}
	return rc;
}

int lb_fsr_stat(struct lb_fsr *f, uint64_t id, struct lb_fsr_stat *st, struct lb_err *err)
{
	memset(st, 0, sizeof *st);
	return why(f, f->ops->stat(f->fs, id, st, err), err);
}

static int name_ok(const char *name, size_t len)
{
	return len && !(len == 1 && name[0] == '.') && !(len == 2 && name[0] == '.' && name[1] == '.')
	       && !memchr(name, '/', len) && !memchr(name, 0, len);
}

struct rd {
	int (*fn)(void *ctx, const char *name, size_t name_len, const struct lb_fsr_stat *st);
	void *ctx;
	unsigned bad;
	char first_bad[200];
};

static int rd_check(void *ctx, const char *name, size_t len, const struct lb_fsr_stat *st)
{
	struct rd *r = ctx;
	if (name_ok(name, len))
		return r->fn(r->ctx, name, len, st);
	if (!r->bad++)
		lb_fsr_escape(name, len, r->first_bad, sizeof r->first_bad);
	return 0;
}

int lb_fsr_readdir(struct lb_fsr *f, uint64_t id,
                   int (*fn)(void *ctx, const char *name, size_t name_len,
                             const struct lb_fsr_stat *st),
                   void *ctx, struct lb_err *err)
{
	struct rd r = { fn, ctx, 0, "" };
	int rc = f->ops->readdir(f->fs, id, rd_check, &r, err);
	if (rc)
		return why(f, rc, err);
	if (r.bad)
		return lb_fail(err, LB_EDAMAGED, "directory %llu holds %u entr%s whose name cannot be a "
		               "file name (\"%s\"%s): not read", (unsigned long long)id, r.bad,
		               r.bad == 1 ? "y" : "ies", r.first_bad, r.bad > 1 ? ", ..." : "");
	return 0;
}

int lb_fsr_pread(struct lb_fsr *f, uint64_t id, void *buf, size_t len, uint64_t off,
                 struct lb_err *err)
{
	return why(f, f->ops->pread(f->fs, id, buf, len, off, err), err);
}

int lb_fsr_map(struct lb_fsr *f, uint64_t id, uint64_t off, uint64_t size, int *data,
               uint64_t *run, struct lb_err *err)
{
	if (off >= size)
		return lb_fail(err, LB_EUSAGE, "file %llu: no data past its end",
		               (unsigned long long)id);
	if (!f->ops->map) {
		*data = 1;
		*run = size - off;
		return 0;
	}
	return why(f, f->ops->map(f->fs, id, off, data, run, err), err);
}

int lb_fsr_readlink(struct lb_fsr *f, uint64_t id, char *buf, size_t cap, struct lb_err *err)
{
	return why(f, f->ops->readlink(f->fs, id, buf, cap, err), err);
}

/* ---- lookup -------------------------------------------------------------------------------- */

/* FAT, exFAT and NTFS names are case-insensitive to Windows, so "/efi/boot" should find
 * "EFI/BOOT" there: an exact match wins, else one match ignoring ASCII case (two such names,
 * possible in NTFS's POSIX namespace, are ambiguous and refused). Non-ASCII letters are
 * compared exactly: folding them needs the volume's upcase table. */
struct find {
	const char *name;
	size_t len;
	int nocase;             /* the filesystem's names are case-insensitive */
	struct lb_fsr_stat st;
	int found;
	struct lb_fsr_stat cst; /* the first case-insensitive match, and how many there were */
	int cfound;
};

static int ascii_casecmp(const char *a, const char *b, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
		if (x >= 'A' && x <= 'Z')
			x += 'a' - 'A';
		if (y >= 'A' && y <= 'Z')
			y += 'a' - 'A';
		if (x != y)
			return 1;
	}
	return 0;
}

static int find_cb(void *ctx, const char *name, size_t len, const struct lb_fsr_stat *st)
{
	struct find *fd = ctx;
	if (len != fd->len)
		return 0;
	if (!memcmp(name, fd->name, len)) {
		fd->st = *st;
		fd->found = 1;
		return 1;
	}
	if (fd->nocase && !ascii_casecmp(name, fd->name, len) && fd->cfound++ == 0)
		fd->cst = *st;
	return 0;
}

int lb_fsr_lookup(struct lb_fsr *f, const char *path, struct lb_fsr_stat *st, struct lb_err *err)
{
	/* the walk: ids from the root down to where we are (.. pops), and the path still to go,
	 * which a symlink met on the way replaces by its target followed by the rest */
	uint64_t *stack = NULL;
	size_t depth = 0;
	char *todo = NULL, *p, *target = NULL;
	int links = 0, rc;
	struct lb_fsr_stat cur;
	if (!(stack = malloc(MAX_DEPTH * sizeof *stack)) || !(todo = strdup(path ? path : "")) ||
	    !(target = malloc(4097))) {
		rc = lb_fail(err, LB_ENOMEM, "out of memory");
		goto out;
	}
	stack[depth++] = lb_fsr_root(f);
	if ((rc = lb_fsr_stat(f, stack[0], &cur, err)))
		goto out;
	p = todo;
	for (;;) {
		struct find fd = { 0 };
		char *slash, *rest;
		while (*p == '/')
			p++;
		if (!*p)
			break;
		slash = strchr(p, '/');
		fd.name = p;
		fd.len = slash ? (size_t)(slash - p) : strlen(p);
		rest = slash ? slash : p + fd.len;
		if (fd.len == 1 && p[0] == '.') {
			p = rest;
			continue;
		}
		if (!S_ISDIR(cur.mode)) {
			rc = lb_fail(err, LB_ENOENT, "%s: \"%.*s\" is not a directory", path,
			             (int)(p - todo), todo);
			goto out;
		}
		if (fd.len == 2 && p[0] == '.' && p[1] == '.') {
			if (depth > 1)
				depth--;
			if ((rc = lb_fsr_stat(f, stack[depth - 1], &cur, err)))
				goto out;
			p = rest;
			continue;
		}
		fd.nocase = strcmp(f->ops->name, "ext") != 0;
		if ((rc = lb_fsr_readdir(f, cur.id, find_cb, &fd, err)) && !fd.found)
			goto out;
		rc = 0;
		lb_err_clear(err);
		if (!fd.found && fd.cfound > 1) {
			char esc[600];
			lb_fsr_escape(p, fd.len, esc, sizeof esc);
			rc = lb_fail(err, LB_ENOENT, "%s: \"%s\" is not in %s%.*s, and %d names there differ "
			             "from it only in case: give the one meant exactly", path, esc,
			             p == todo ? "/" : "", (int)(p - todo), todo, fd.cfound);
			goto out;
		}
		if (!fd.found && fd.cfound == 1) {
			fd.st = fd.cst;
			fd.found = 1;
		}
		if (!fd.found) {
			char esc[600];
			lb_fsr_escape(p, fd.len, esc, sizeof esc);
			rc = lb_fail(err, LB_ENOENT, "%s: there is no \"%s\" in %s%.*s", path, esc,
			             p == todo ? "/" : "", (int)(p - todo), todo);
			goto out;
		}
		if (!fd.st.mode && (rc = lb_fsr_stat(f, fd.st.id, &fd.st, err)))
			goto out;   /* a file the listing could not stat: say why */
		while (*rest == '/')
			rest++;
		if (S_ISLNK(fd.st.mode) && slash) {
			/* a leading component (or one with a trailing slash): followed, as the kernel
			 * would */
			size_t tl, rl = strlen(rest);
			char *n;
			if (++links > MAX_SYMLINKS) {
				rc = lb_fail(err, LB_ENOENT, "%s: too many levels of symbolic links", path);
				goto out;
			}
			if ((rc = lb_fsr_readlink(f, fd.st.id, target, 4097, err)))
				goto out;
			tl = strlen(target);
			if (!(n = malloc(tl + rl + 2))) {
				rc = lb_fail(err, LB_ENOMEM, "out of memory");
				goto out;
			}
			memcpy(n, target, tl);
			n[tl] = '/';
			memcpy(n + tl + 1, rest, rl + 1);
			free(todo);
			todo = p = n;
			if (target[0] == '/')
				depth = 1;
			if ((rc = lb_fsr_stat(f, stack[depth - 1], &cur, err)))
				goto out;
			continue;
		}
		if (slash && !S_ISDIR(fd.st.mode)) {
			rc = lb_fail(err, LB_ENOENT, "%s: \"%.*s\" is not a directory", path,
			             (int)(rest - todo), todo);
			goto out;
		}
		if (depth == MAX_DEPTH) {
			rc = lb_fail(err, LB_EUNSUPPORTED, "%s: more than %d levels deep", path, MAX_DEPTH);
			goto out;
		}
		stack[depth++] = fd.st.id;
		cur = fd.st;
		p = rest;
	}
	*st = cur;
	rc = 0;
out:
	free(stack);
	free(todo);
	free(target);
	return rc;
}

/* ---- names --------------------------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (at most left bytes) and its code point, or 0. */
static int utf8_seq(const unsigned char *s, size_t left, unsigned *cp)
{
	unsigned c = s[0], min;
	int n;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, min = 0x80, c &= 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, min = 0x800, c &= 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, min = 0x10000, c &= 0x07;
	else
		return 0;
	if ((size_t)n > left)
		return 0;
	for (int i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* what changes what a terminal does or how a line reads (as lb_sanitize) */
static int is_control(unsigned cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x200e || cp == 0x200f ||
	       (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

char *lb_fsr_escape(const char *name, size_t len, char *out, size_t cap)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t o = 0;
	if (!cap)
		return out;
	for (size_t i = 0; i < len; ) {
		char piece[20];
		size_t pl;
		unsigned cp;
		int n = utf8_seq(s + i, len - i, &cp);
		if (n && !is_control(cp)) {
			if (cp == '\\')
				pl = (size_t)snprintf(piece, sizeof piece, "\\\\");
			else
				memcpy(piece, s + i, (size_t)n), pl = (size_t)n;
		} else if (n == 1 && (cp == '\n' || cp == '\t' || cp == '\r')) {
			pl = (size_t)snprintf(piece, sizeof piece, "\\%c",
			                      cp == '\n' ? 'n' : cp == '\t' ? 't' : 'r');
		} else {
			int k = n ? n : 1;
			pl = 0;
			for (int j = 0; j < k; j++)
				pl += (size_t)snprintf(piece + pl, sizeof piece - pl, "\\x%02x", s[i + j]);
			n = k;
		}
		if (o + pl >= cap)
			break;
		memcpy(out + o, piece, pl);
		o += pl;
		i += (size_t)n;
	}
	out[o] = 0;
	return out;
}
