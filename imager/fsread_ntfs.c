/* Reading files out of NTFS (fsread.h) with libntfs-3g, mounted read-only and forensic over
 * the engine's handle (lb_ntfs_open, fs_ntfs_io.c: every write refused).
 *
 * A file is numbered by its MFT reference as the directory index gives it (record number and
 * sequence number, so an index entry that names a record since reused is refused, not read
 * as another file); the root directory is record 5. What is listed is what ntfsls and an
 * ntfs-3g mount show by default: each file once under its Win32 (or POSIX) name, the DOS 8.3
 * alias left out, and the metadata files ($MFT, $Bitmap, $Extend...: records below 16) left
 * out of the root. Contents are the unnamed $DATA stream (alternate streams are not listed);
 * compressed files are read through the library, sparse runs are holes to map, bytes past
 * the initialized size are zeros. Encrypted (EFS) files cannot be read without the owner's
 * key: LB_EUNSUPPORTED naming them.
 *
 * Reparse points that ntfs-3g turns into symlinks (symbolic links, junctions, WSL links) are
 * given as symlinks with the target it makes: relative ones as they are ('\' to '/'),
 * absolute ones in its form for a drive it cannot know ("C:\Windows" -> "/.NTFS-3G/C:/Windows",
 * a link that points nowhere on another system and is never followed); other reparse points
 * (deduplicated, cloud or app-exec files) as regular files of their $DATA.
 *
 * Modes: directories 0755, files 0644, 0444 read-only; uid/gid 0; nlink counts the Win32 and
 * POSIX names. ctime is the MFT record's change time. Built without LB_HAVE_NTFS3G, open
 * returns LB_EUNSUPPORTED. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "err.h"
#include "fsread.h"

#ifdef LB_HAVE_NTFS3G
#include <errno.h>
#include "fs_ntfs.h"
#include "fsread_utf16.h"
#include <ntfs-3g/dir.h>
#include <ntfs-3g/logfile.h>
#include <ntfs-3g/reparse.h>

struct nfs {
	struct lb_ntfs o;
	/* the file last read, kept open: extract reads a file piece by piece */
	uint64_t open_id;
	ntfs_inode *ni;
	ntfs_attr *na;
	const char *note;
};

static int64_t unix_time(ntfs_time t, uint32_t *ns)
{
	int64_t v = sle64_to_cpu(t) - 116444736000000000ll;   /* 100 ns since 1601 -> 1970 */
	int64_t s = v / 10000000, r = v % 10000000;
	if (r < 0) {
		r += 10000000;
		s--;
	}
	*ns = (uint32_t)r * 100;
	return sle64_to_cpu(t) ? s : 0;
}

/* The cause of a failure: the device's first read error when there was one, else errno. */
static const char *why_io(struct nfs *n, int en)
{
	return n->o.io.err[0] ? n->o.io.err : strerror(en ? en : EIO);
}

static int open_inode(struct nfs *n, uint64_t id, ntfs_inode **out, struct lb_err *err)
{
	ntfs_inode *ni = ntfs_inode_open(n->o.vol, MREF(id));
	*out = NULL;
	if (!ni) {
		int en = errno;
		return lb_fail(err, n->o.io.err[0] ? LB_EIO : en == ENOENT ? LB_ENOENT : LB_EDAMAGED,
		               "ntfs: MFT record %llu cannot be read (%s)", (unsigned long long)MREF(id),
		               why_io(n, en));
	}
	if (MSEQNO(id) && le16_to_cpu(ni->mrec->sequence_number) != MSEQNO(id)) {
		ntfs_inode_close(ni);
		return lb_fail(err, LB_EDAMAGED, "ntfs: a directory names MFT record %llu with sequence "
		               "number %u, but the record now holds number %u (a stale index entry)",
		               (unsigned long long)MREF(id), MSEQNO(id),
		               le16_to_cpu(ni->mrec->sequence_number));
	}
	*out = ni;
	return 0;
}

/* The names other directories know the file by (the DOS alias not counted). */
static uint32_t count_links(ntfs_inode *ni)
{
	ntfs_attr_search_ctx *ctx = ntfs_attr_get_search_ctx(ni, NULL);
	uint32_t n = 0;
	if (!ctx)
		return 1;
	while (!ntfs_attr_lookup(AT_FILE_NAME, NULL, 0, CASE_SENSITIVE, 0, NULL, 0, ctx)) {
		const ATTR_RECORD *a = ctx->attr;
		const FILE_NAME_ATTR *fn;
		if (a->non_resident || le32_to_cpu(a->value_length) < sizeof *fn)
			continue;
		fn = (const FILE_NAME_ATTR *)((const uint8_t *)a + le16_to_cpu(a->value_offset));
		if (fn->file_name_type != FILE_NAME_DOS)
			n++;
	}
	ntfs_attr_put_search_ctx(ctx);
	return n ? n : 1;
}

/* A reparse point ntfs-3g reads as a symlink, or an Interix symlink (a system file whose data
 * is "IntxLNK\1" and the target in UTF-16: what ntfs-3g itself writes for `ln -s`): its
 * target (malloc'd), else NULL. */
static char *link_target(ntfs_inode *ni)
{
	ntfs_attr *na;
	uint8_t b[8 + 2 * 1024];
	char *t = NULL;
	if (ni->flags & FILE_ATTR_REPARSE_POINT)
		return ntfs_make_symlink(ni, "");
	if (!(ni->flags & FILE_ATTR_SYSTEM) || (ni->mrec->flags & MFT_RECORD_IS_DIRECTORY))
		return NULL;
	if (!(na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0)))
		return NULL;
	if (na->data_size > 8 && na->data_size <= (s64)sizeof b && !(na->data_size & 1) &&
	    ntfs_attr_pread(na, 0, na->data_size, b) == na->data_size && !memcmp(b, "IntxLNK\1", 8)) {
		size_t units = (size_t)(na->data_size - 8) / 2;
		long len;
		if ((t = malloc(3 * units + 1))) {
			len = lb_utf16le_to_utf8(b + 8, units, t, 3 * units);
			if (len <= 0 || memchr(t, 0, (size_t)len)) {
				free(t);
				t = NULL;
			} else {
				t[len] = 0;
			}
		}
	}
	ntfs_attr_close(na);
	return t;
}

static int fill_stat(struct nfs *n, uint64_t id, ntfs_inode *ni, struct lb_fsr_stat *st,
                     struct lb_err *err)
{
	char *target;
	memset(st, 0, sizeof *st);
	st->id = id;
	st->nlink = count_links(ni);
	st->mtime = unix_time(ni->last_data_change_time, &st->mtime_ns);
	st->atime = unix_time(ni->last_access_time, &st->atime_ns);
	st->ctime = unix_time(ni->last_mft_change_time, &st->ctime_ns);
	if ((target = link_target(ni))) {
		st->mode = S_IFLNK | 0777;
		st->size = strlen(target);
		free(target);
		return 0;
	}
	if (ni->mrec->flags & MFT_RECORD_IS_DIRECTORY) {
		st->mode = S_IFDIR | 0755;
		return 0;
	}
	st->mode = S_IFREG | (ni->flags & FILE_ATTR_READONLY ? 0444 : 0644);
	{
		ntfs_attr *na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0);
		if (na) {
			st->size = (uint64_t)na->data_size;
			ntfs_attr_close(na);
		} else if (errno != ENOENT) {
			return lb_fail(err, LB_EDAMAGED, "ntfs: the data of MFT record %llu cannot be read "
			               "(%s)", (unsigned long long)MREF(id), why_io(n, errno));
		}
	}
	return 0;
}

/* --- directories ---------------------------------------------------------------------------- */

struct ent {
	uint64_t mref;
	size_t off, len;        /* the name in names */
};

struct gather {
	struct ent *v;
	size_t n, cap;
	char *names;
	size_t nlen, ncap;
	int root, oom;
	uint64_t bad, bad_ref;
};

static int filldir(void *priv, const ntfschar *name, const int name_len, const int name_type,
                   const s64 pos, const MFT_REF mref, const unsigned dt_type)
{
	struct gather *g = priv;
	size_t need = 3 * (size_t)name_len;
	long len;
	if (name_type == FILE_NAME_DOS)
		return 0;   /* the 8.3 alias of a name listed under its Win32 form */
	if (g->root && MREF(mref) < FILE_first_user)
		return 0;   /* $MFT, $Bitmap, ... and the root's own "." */
	if (g->nlen + need > g->ncap) {
		size_t cap = (g->ncap + need) * 2;
		char *t = realloc(g->names, cap);
		if (!t)
			goto oom;
		g->names = t;
		g->ncap = cap;
	}
	len = lb_utf16le_to_utf8((const uint8_t *)name, (size_t)name_len, g->names + g->nlen, need);
	if (len < 0 || !lb_fsr_name_ok(g->names + g->nlen, (size_t)len)) {
		/* "." and ".." come from ntfs_readdir itself */
		if (len == 1 && g->names[g->nlen] == '.')
			return 0;
		if (len == 2 && g->names[g->nlen] == '.' && g->names[g->nlen + 1] == '.')
			return 0;
		if (!g->bad++)
			g->bad_ref = MREF(mref);
		return 0;
	}
	if (g->n == g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 64;
		void *t = realloc(g->v, cap * sizeof *g->v);
		if (!t)
			goto oom;
		g->v = t;
		g->cap = cap;
	}
	g->v[g->n++] = (struct ent){ mref, g->nlen, (size_t)len };
	g->nlen += (size_t)len;
	return 0;
oom:
	g->oom = 1;
	return -1;
}

static int ntfs_fsr_readdir(void *h, uint64_t id,
                            int (*fn)(void *ctx, const char *name, size_t name_len,
                                      const struct lb_fsr_stat *st),
                            void *ctx, struct lb_err *err)
{
	struct nfs *n = h;
	struct gather g = { .root = MREF(id) == FILE_root };
	ntfs_inode *ni;
	s64 pos = 0;
	int rc, r;
	if ((rc = open_inode(n, id, &ni, err)))
		return rc;
	if (!(ni->mrec->flags & MFT_RECORD_IS_DIRECTORY)) {
		ntfs_inode_close(ni);
		return lb_fail(err, LB_EUSAGE, "ntfs: MFT record %llu is not a directory",
		               (unsigned long long)MREF(id));
	}
	/* the names first, their inodes after: fn may walk into other directories */
	n->o.io.err[0] = 0;
	r = ntfs_readdir(ni, &pos, &g, filldir);
	if (r && !g.oom) {
		int en = errno;
		rc = lb_fail(err, n->o.io.err[0] ? LB_EIO : LB_EDAMAGED, "ntfs: the index of directory "
		             "record %llu cannot be read (%s)", (unsigned long long)MREF(id), why_io(n, en));
	}
	ntfs_inode_close(ni);
	if (g.oom)
		rc = lb_fail(err, LB_ENOMEM, "out of memory reading a directory");
	for (size_t i = 0; i < g.n && !rc; i++) {
		struct lb_fsr_stat st;
		ntfs_inode *e;
		struct lb_err e2 = { 0 };
		/* a record that cannot be read is still listed (mode 0): stat on it says why */
		if (open_inode(n, g.v[i].mref, &e, &e2) == 0) {
			if (fill_stat(n, g.v[i].mref, e, &st, &e2))
				memset(&st, 0, sizeof st);
			ntfs_inode_close(e);
		} else {
			memset(&st, 0, sizeof st);
		}
		st.id = g.v[i].mref;
		if ((rc = fn(ctx, g.names + g.v[i].off, g.v[i].len, &st)))
			break;
	}
	if (!rc && g.bad)
		rc = lb_fail(err, LB_EDAMAGED, "ntfs: directory record %llu holds %llu name%s that cannot "
		             "be given (the first for record %llu)", (unsigned long long)MREF(id),
		             (unsigned long long)g.bad, g.bad == 1 ? "" : "s",
		             (unsigned long long)g.bad_ref);
	free(g.v);
	free(g.names);
	return rc;
}

/* --- files ---------------------------------------------------------------------------------- */

static void drop_open(struct nfs *n)
{
	if (n->na)
		ntfs_attr_close(n->na);
	if (n->ni)
		ntfs_inode_close(n->ni);
	n->na = NULL;
	n->ni = NULL;
	n->open_id = 0;
}

/* Opens the unnamed $DATA of regular file id (kept open for the next call). */
static int open_data(struct nfs *n, uint64_t id, struct lb_err *err)
{
	int rc;
	if (n->open_id == id && n->na)
		return 0;
	drop_open(n);
	if ((rc = open_inode(n, id, &n->ni, err)))
		return rc;
	if (n->ni->mrec->flags & MFT_RECORD_IS_DIRECTORY) {
		drop_open(n);
		return lb_fail(err, LB_EUSAGE, "ntfs: MFT record %llu is a directory",
		               (unsigned long long)MREF(id));
	}
	if (!(n->na = ntfs_attr_open(n->ni, AT_DATA, AT_UNNAMED, 0))) {
		int en = errno;
		drop_open(n);
		return lb_fail(err, LB_EDAMAGED, "ntfs: the data of MFT record %llu cannot be opened (%s)",
		               (unsigned long long)MREF(id), why_io(n, en));
	}
	if (n->na->data_flags & ATTR_IS_ENCRYPTED) {
		drop_open(n);
		return lb_fail(err, LB_EUNSUPPORTED, "ntfs: MFT record %llu is encrypted (EFS): its "
		               "contents cannot be read without its owner's key", (unsigned long long)MREF(id));
	}
	n->open_id = id;
	return 0;
}

static int ntfs_fsr_pread(void *h, uint64_t id, void *buf, size_t len, uint64_t off,
                          struct lb_err *err)
{
	struct nfs *n = h;
	int rc;
	if ((rc = open_data(n, id, err)))
		return rc;
	if (off > (uint64_t)n->na->data_size || len > (uint64_t)n->na->data_size - off)
		return lb_fail(err, LB_EUSAGE, "ntfs: MFT record %llu: bytes %llu-%llu are past its end "
		               "(%lld bytes)", (unsigned long long)MREF(id), (unsigned long long)off,
		               (unsigned long long)(off + len), (long long)n->na->data_size);
	while (len) {
		s64 got;
		n->o.io.err[0] = 0;
		got = ntfs_attr_pread(n->na, (s64)off, (s64)len, buf);
		if (got <= 0) {
			int en = errno;
			rc = lb_fail(err, n->o.io.err[0] ? LB_EIO : LB_EDAMAGED, "ntfs: MFT record %llu "
			             "cannot be read at byte %llu (%s)", (unsigned long long)MREF(id),
			             (unsigned long long)off, why_io(n, en));
			drop_open(n);
			return rc;
		}
		buf = (uint8_t *)buf + got;
		len -= (size_t)got;
		off += (uint64_t)got;
	}
	return 0;
}

static int ntfs_fsr_map(void *h, uint64_t id, uint64_t off, int *data, uint64_t *run,
                        struct lb_err *err)
{
	struct nfs *n = h;
	ntfs_attr *na;
	uint64_t size, init, cs = n->o.vol->cluster_size;
	int rc;
	if ((rc = open_data(n, id, err)))
		return rc;
	na = n->na;
	size = (uint64_t)na->data_size;
	init = (uint64_t)na->initialized_size < size ? (uint64_t)na->initialized_size : size;
	if (off >= size)
		return lb_fail(err, LB_EUSAGE, "ntfs: map past the end of MFT record %llu",
		               (unsigned long long)MREF(id));
	*data = 1;
	*run = size - off;
	if (off >= init) {   /* never written: zeros */
		*data = 0;
		return 0;
	}
	/* resident and compressed data: all data (a compressed run's holes are not the file's) */
	if (!NAttrNonResident(na) || (na->data_flags & ATTR_COMPRESSION_MASK)) {
		*run = init - off;
		return 0;
	}
	if (ntfs_attr_map_whole_runlist(na))
		return lb_fail(err, n->o.io.err[0] ? LB_EIO : LB_EDAMAGED, "ntfs: the runlist of MFT "
		               "record %llu cannot be read (%s)", (unsigned long long)MREF(id),
		               why_io(n, errno));
	for (runlist_element *rl = na->rl; rl && rl->length; rl++) {
		uint64_t from = (uint64_t)rl->vcn * cs, to = from + (uint64_t)rl->length * cs;
		if (off < from || off >= to)
			continue;
		*data = rl->lcn != LCN_HOLE;
		*run = (to < init ? to : init) - off;
		return 0;
	}
	return 0;   /* past the runlist (cannot be, for a consistent file): read it */
}

static int ntfs_fsr_readlink(void *h, uint64_t id, char *buf, size_t cap, struct lb_err *err)
{
	struct nfs *n = h;
	ntfs_inode *ni;
	char *t;
	int rc;
	if ((rc = open_inode(n, id, &ni, err)))
		return rc;
	t = link_target(ni);
	ntfs_inode_close(ni);
	if (!t)
		return lb_fail(err, LB_EUSAGE, "ntfs: MFT record %llu is not a symlink",
		               (unsigned long long)MREF(id));
	if (strlen(t) >= cap) {
		free(t);
		return lb_fail(err, LB_EUNSUPPORTED, "ntfs: the symlink target of MFT record %llu is "
		               "longer than %zu bytes", (unsigned long long)MREF(id), cap - 1);
	}
	memcpy(buf, t, strlen(t) + 1);
	free(t);
	return 0;
}

/* How Windows left the volume: changes it had not written yet are not in what is read. */
static const char *volume_state(ntfs_volume *vol)
{
	ntfs_inode *ni;
	ntfs_attr *na;
	RESTART_PAGE_HEADER *rp = NULL;
	const char *note = NULL;
	if (ntfs_volume_check_hiberfile(vol, 0) && errno == EPERM)
		return "Windows is hibernated on it (or shut down with Fast Startup): what it had not "
		       "written yet is missing";
	if ((ni = ntfs_inode_open(vol, FILE_LogFile))) {
		if ((na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0))) {
			if (!ntfs_check_logfile(na, &rp) || !ntfs_is_logfile_clean(na, rp))
				note = "its $LogFile holds changes not yet applied (Windows crashed or lost "
				       "power): read as it lies, recent changes may be missing";
			free(rp);
			ntfs_attr_close(na);
		}
		ntfs_inode_close(ni);
	}
	if (!note && (vol->flags & VOLUME_IS_DIRTY))
		note = "it is marked dirty (chkdsk is due): something may be inconsistent";
	return note;
}

static int ntfs_fsr_open(struct lb_dev *d, uint64_t off, uint64_t size, void **out,
                         struct lb_err *err)
{
	struct nfs *n = calloc(1, sizeof *n);
	char why[200] = "";
	*out = NULL;
	if (!n)
		return lb_fail(err, LB_ENOMEM, "out of memory opening an NTFS filesystem");
	if (lb_ntfs_open(d, off, size, &n->o, why, sizeof why)) {
		int code = n->o.io.err[0] ? LB_EIO : LB_EDAMAGED;
		free(n);
		return lb_fail(err, code, "ntfs: %s", why);
	}
	n->note = volume_state(n->o.vol);
	*out = n;
	return 0;
}

static void ntfs_fsr_close(void *h)
{
	struct nfs *n = h;
	if (!n)
		return;
	drop_open(n);
	lb_ntfs_close(&n->o);
	free(n);
}

static uint64_t ntfs_fsr_root(void *h)
{
	(void)h;
	return FILE_root;
}

static int ntfs_fsr_stat(void *h, uint64_t id, struct lb_fsr_stat *st, struct lb_err *err)
{
	struct nfs *n = h;
	ntfs_inode *ni;
	int rc;
	if ((rc = open_inode(n, id, &ni, err)))
		return rc;
	rc = fill_stat(n, id, ni, st, err);
	ntfs_inode_close(ni);
	return rc;
}

static const char *ntfs_fsr_note(void *h)
{
	return ((struct nfs *)h)->note;
}

const struct lb_fsr_ops lb_fsr_ntfs = {
	.name = "ntfs",
	.open = ntfs_fsr_open,
	.close = ntfs_fsr_close,
	.root = ntfs_fsr_root,
	.stat = ntfs_fsr_stat,
	.readdir = ntfs_fsr_readdir,
	.pread = ntfs_fsr_pread,
	.map = ntfs_fsr_map,
	.readlink = ntfs_fsr_readlink,
	.note = ntfs_fsr_note,
};

#else /* !LB_HAVE_NTFS3G */

/* How Windows left the volume: changes it had not written yet are not in what is read. */
static const char *volume_state(ntfs_volume *vol)
{
	ntfs_inode *ni;
	ntfs_attr *na;
	RESTART_PAGE_HEADER *rp = NULL;
	const char *note = NULL;
	if (ntfs_volume_check_hiberfile(vol, 0) && errno == EPERM)
		return "Windows is hibernated on it (or shut down with Fast Startup): what it had not "
		       "written yet is missing";
	if ((ni = ntfs_inode_open(vol, FILE_LogFile))) {
		if ((na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0))) {
			if (!ntfs_check_logfile(na, &rp) || !ntfs_is_logfile_clean(na, rp))
				note = "its $LogFile holds changes not yet applied (Windows crashed or lost "
				       "power): read as it lies, recent changes may be missing";
			free(rp);
			ntfs_attr_close(na);
		}
		ntfs_inode_close(ni);
	}
	if (!note && (vol->flags & VOLUME_IS_DIRTY))
		note = "it is marked dirty (chkdsk is due): something may be inconsistent";
	return note;
}

static int ntfs_fsr_open(struct lb_dev *d, uint64_t off, uint64_t size, void **out,
                         struct lb_err *err)
{
	*out = NULL;
	return lb_fail(err, LB_EUNSUPPORTED, "ntfs: this build of Lifeboat has no libntfs-3g: the "
	               "files of NTFS volumes cannot be read");
}

static void ntfs_fsr_close(void *h)
{
}

static uint64_t ntfs_fsr_root(void *h)
{
	return 5;
}

static int ntfs_fsr_none(void *h, uint64_t id, struct lb_fsr_stat *st, struct lb_err *err)
{
	return lb_fail(err, LB_EUNSUPPORTED, "ntfs: no libntfs-3g in this build");
}

const struct lb_fsr_ops lb_fsr_ntfs = {
	.name = "ntfs",
	.open = ntfs_fsr_open,
	.close = ntfs_fsr_close,
	.root = ntfs_fsr_root,
	.stat = ntfs_fsr_none,
};
#endif
