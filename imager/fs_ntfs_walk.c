/* Every cluster run every file of an NTFS volume names: each MFT record in use is opened
 * (libntfs-3g, through the engine's handle) and the runlists of all its non-resident
 * attributes are decoded, attribute lists followed. As ntfsclone's walk_clusters does, to
 * check a $Bitmap against the files; here for the damage report and for dirty volumes. */
#ifdef LB_HAVE_NTFS3G
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fs_ntfs.h"
#include <ntfs-3g/runlist.h>

/* The runs of one base record: 0, or the callback's non-zero, or -2 when its attributes cannot
 * be walked. */
static int record_runs(struct lb_ntfs *o, uint64_t rec, ntfs_inode *ni, const struct lb_ntfs_walk *w)
{
	ntfs_attr_search_ctx *ctx = ntfs_attr_get_search_ctx(ni, NULL);
	int rc = 0;
	if (!ctx)
		return -2;
	while (!rc && !ntfs_attrs_walk(ctx)) {
		ATTR_RECORD *a = ctx->attr;
		runlist_element *rl;
		if (!a->non_resident)
			continue;
		rl = ntfs_mapping_pairs_decompress(o->vol, a, NULL);
		if (!rl) {
			rc = -2;
			break;
		}
		for (runlist_element *r = rl; !rc && r->length; r++)
			if (r->lcn >= 0)
				rc = w->run(w->priv, rec, r->lcn, r->length);
		free(rl);
	}
	/* ntfs_attrs_walk ends with ENOENT; anything else is an attribute list it could not read */
	if (!rc && errno != ENOENT)
		rc = -2;
	ntfs_attr_put_search_ctx(ctx);
	return rc;
}

int lb_ntfs_walk(struct lb_ntfs *o, int all, const struct lb_ntfs_walk *w, char *why, size_t whylen)
{
	ntfs_volume *vol = o->vol;
	uint64_t records = (uint64_t)vol->mft_na->data_size >> vol->mft_record_size_bits;
	uint8_t *bm = calloc(1, (records + 7) / 8 + 1);
	int rc = 0;

	if (!bm) {
		snprintf(why, whylen, "out of memory reading its MFT");
		return -1;
	}
	if (ntfs_attr_pread(vol->mftbmp_na, 0, (s64)((records + 7) / 8), bm) < (s64)((records + 7) / 8)) {
		snprintf(why, whylen, "its MFT's bitmap cannot be read%s%s%s", o->io.err[0] ? " (" : "",
		         o->io.err, o->io.err[0] ? ")" : "");
		free(bm);
		return -1;
	}
	for (uint64_t r = 0; r < records && rc >= 0; r++) {
		int in_use = bm[r / 8] >> (r % 8) & 1;
		ntfs_inode *ni;
		int hit;
		if (!in_use && !all)
			continue;
		errno = 0;
		ni = ntfs_inode_open(vol, r);
		if (!ni) {
			/* free records read as not in use (ENOENT) or, never written, not as records */
			if (in_use)
				rc = w->unreadable(w->priv, r, errno);
			continue;
		}
		/* an extent record is walked with its base record's attributes */
		if (ni->mrec->base_mft_record) {
			ntfs_inode_close(ni);
			continue;
		}
		hit = record_runs(o, r, ni, w);
		ntfs_inode_close(ni);   /* before done(), which may open it to name it */
		if (hit == -2)
			rc = w->unreadable(w->priv, r, EIO);
		else if (hit < 0)
			rc = hit;
		else if (w->done)
			rc = w->done(w->priv, r, hit);
	}
	free(bm);
	if (rc < 0 && !why[0])
		snprintf(why, whylen, "out of memory walking its MFT");
	return rc < 0 ? -1 : 0;
}
#endif
