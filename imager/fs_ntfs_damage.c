/* Which files and metadata of an NTFS volume sit on unreadable sectors: the runlists of every
 * MFT record in use (lb_ntfs_walk) are laid over the unreadable clusters, and a file hit is named by
 * following its $FILE_NAME parents up to the root (as ntfscluster does). The boot sector and
 * its backup, and MFT records that cannot be read, are named as metadata. Runs only when a
 * backup met unreadable sectors. */
#ifdef LB_HAVE_NTFS3G
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fs_ntfs.h"
#include <ntfs-3g/unistr.h>

#define MAX_NAMED 10000   /* a disk failing everywhere: enough lines to act on */

struct dctx {
	int64_t (*bad)[2];   /* cluster ranges [first, last], sorted */
	size_t nbad;
	ntfs_volume *vol;
	char **text;
	unsigned named;
};

static int range_bad(const struct dctx *c, int64_t first, int64_t n)
{
	size_t lo = 0, hi = c->nbad;
	while (lo < hi) {   /* the first bad range that ends at or after first */
		size_t m = (lo + hi) / 2;
		if (c->bad[m][1] < first)
			lo = m + 1;
		else
			hi = m;
	}
	return lo < c->nbad && c->bad[lo][0] < first + n;
}

static const char *const sys_names[FILE_first_user] = {
	"$MFT", "$MFTMirr", "$LogFile", "$Volume", "$AttrDef", "the root directory", "$Bitmap",
	"$Boot", "$BadClus", "$Secure", "$UpCase", "$Extend",
};

/* The path of inode mref: its long (Win32 or POSIX) $FILE_NAME, then its parents' up to the
 * root. Prepends into buf from the end; returns the start, or NULL when a name is missing. */
static char *inode_path(struct dctx *c, u64 mref, char *buf, size_t len)
{
	char *p = buf + len - 1;
	*p = 0;
	for (int depth = 0; mref != FILE_root && depth < 256; depth++) {
		ntfs_inode *ni = ntfs_inode_open(c->vol, mref);
		ntfs_attr_search_ctx *ctx = ni ? ntfs_attr_get_search_ctx(ni, NULL) : NULL;
		char *name = NULL;
		u64 parent = 0;
		size_t n;
		while (ctx && !ntfs_attr_lookup(AT_FILE_NAME, AT_UNNAMED, 0, CASE_SENSITIVE, 0, NULL, 0,
		                                ctx)) {
			FILE_NAME_ATTR *fn = (FILE_NAME_ATTR *)((u8 *)ctx->attr +
			                                        le16_to_cpu(ctx->attr->value_offset));
			if (fn->file_name_type == FILE_NAME_DOS && name)
				continue;
			free(name);
			name = NULL;
			if (ntfs_ucstombs((const ntfschar *)((u8 *)fn + sizeof *fn), fn->file_name_length,
			                  &name, 0) < 0)
				name = NULL;
			parent = MREF_LE(fn->parent_directory);
			if (fn->file_name_type != FILE_NAME_DOS)
				break;
		}
		if (ctx)
			ntfs_attr_put_search_ctx(ctx);
		if (ni)
			ntfs_inode_close(ni);
		n = name ? strlen(name) : 0;
		if (!name || n + 1 > (size_t)(p - buf) || parent == mref) {
			free(name);
			return NULL;
		}
		p -= n;
		memcpy(p, name, n);
		*--p = '/';
		free(name);
		mref = parent;
	}
	return mref == FILE_root ? p : NULL;
}

/* One line of the report, up to MAX_NAMED of them. */
__attribute__((format(printf, 2, 3)))
static void report(struct dctx *c, const char *fmt, ...)
{
	char line[4200];
	va_list ap;
	if (c->named++ >= MAX_NAMED) {
		if (c->named == MAX_NAMED + 1)
			lb_text_add(c->text, "  (more files hit: only the first %d are named)", MAX_NAMED);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	lb_text_add(c->text, "%s", line);
}

static int run_cb(void *priv, uint64_t rec, int64_t lcn, int64_t len)
{
	return range_bad(priv, lcn, len);
}

static int unreadable_cb(void *priv, uint64_t rec, int err)
{
	report(priv, "  metadata: MFT record %llu (unreadable: the file it describes cannot be "
	       "named)", (unsigned long long)rec);
	return 0;
}

static int done_cb(void *priv, uint64_t rec, int hit)
{
	struct dctx *c = priv;
	char path[4096], *p;
	if (!hit)
		return 0;
	if (rec < FILE_first_user) {
		report(c, "  metadata: %s (MFT record %llu)", rec < 12 ? sys_names[rec] :
		       "a reserved record", (unsigned long long)rec);
	} else if ((p = inode_path(c, rec, path, sizeof path))) {
		report(c, "  file: %s", p);
	} else {
		report(c, "  file: (MFT record %llu, its name cannot be read)", (unsigned long long)rec);
	}
	return 0;
}

void lb_ntfs_damage(struct lb_dev *d, uint64_t off, uint64_t size, const struct lb_extents *bad,
                    char **text)
{
	struct dctx c = { 0 };
	struct lb_ntfs_walk w = { run_cb, done_cb, unreadable_cb, &c };
	struct lb_ntfs o;
	char why[160] = "";
	uint64_t cs, bps, vol_end;

	if (lb_ntfs_open(d, off, size, &o, why, sizeof why)) {
		lb_text_add(text, "  (the files hit cannot be named: %s)", why);
		return;
	}
	c.vol = o.vol;
	c.text = text;
	cs = o.vol->cluster_size;
	bps = o.vol->sector_size;
	vol_end = (uint64_t)o.vol->nr_clusters * cs;
	c.bad = malloc((bad->n + 1) * sizeof *c.bad);
	if (!c.bad)
		goto out;
	for (size_t i = 0; i < bad->n; i++) {
		uint64_t s = bad->v[i].off, e = s + bad->v[i].len;
		if (e <= off || s >= off + size)
			continue;
		s = s < off ? 0 : s - off;
		e = e > off + size ? size : e - off;
		if (s < bps)
			lb_text_add(text, "  metadata: the boot sector");
		if (e > vol_end)   /* the tail after the last cluster */
			lb_text_add(text, "  metadata: the backup boot sector (at the volume's end)");
		if (s >= vol_end)
			continue;
		c.bad[c.nbad][0] = (int64_t)(s / cs);
		c.bad[c.nbad++][1] = (int64_t)((e > vol_end ? vol_end : e) - 1) / (int64_t)cs;
	}
	if (c.nbad && lb_ntfs_walk(&o, 0, &w, why, sizeof why))
		lb_text_add(text, "  (the files hit cannot all be named: %s)", why);
out:
	free(c.bad);
	lb_ntfs_close(&o);
}
#endif
