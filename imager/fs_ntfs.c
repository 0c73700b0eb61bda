/* NTFS: the clusters the volume's own $Bitmap marks in use (that covers every metadata file:
 * $MFT, $MFTMirr, $LogFile, $Boot, hiberfil.sys and pagefile.sys when present), plus the tail
 * after the last whole cluster, which holds the backup boot sector in the volume's last sector.
 *
 * The volume is read by libntfs-3g (the library partclone.ntfs and ntfsclone use), mounted
 * read-only over a device of our own (ntfs_io below) whose reads go through the engine's
 * handle and whose writes fail with EROFS, so it never re-opens the disk and cannot change it.
 *
 * What a volume Windows left in a state of its own gets (it is never fixed, only described):
 *   - $LogFile not clean (Windows crashed or lost power, or still had the volume in use): the
 *     log holds changes the $Bitmap may not show yet, and Windows replays them from the copy
 *     as it would from the original; raw, so nothing those records name is left out.
 *   - $LogFile restart page version 2.0: Windows kept metadata in its cache (Fast Startup or a
 *     hibernated system); the on-disk $Bitmap is not the whole truth; raw.
 *   - hiberfil.sys in use (hibernated) with a clean $LogFile: every metadata change reached the
 *     disk, so the $Bitmap is complete and hiberfil.sys itself is an allocated file; used.
 *   - marked dirty (chkdsk due) with a clean $LogFile: something may disagree with the
 *     $Bitmap, so every cluster any MFT record's runlists name is kept as well (the union:
 *     whatever chkdsk decides, the clusters it reads are in the copy); used. A record in use
 *     that cannot be read leaves that unchecked: raw.
 * The plan's reason names the state in each case.
 *
 * A build without libntfs-3g (LB_HAVE_NTFS3G unset: the static stick until its musl build
 * links it) recognises NTFS and copies it raw, saying so. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fs.h"

/* le.h's names are libntfs-3g's little-endian types: the boot sector's fields read here */
static uint64_t bs_le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	while (n--)
		v = v << 8 | p[n];
	return v;
}

struct ntfs_boot {
	unsigned bps, cluster;
	uint64_t sectors;   /* the volume's size in sectors, the backup boot sector excluded */
};

/* 0 when the boot sector at off describes an NTFS volume that fits in size bytes. */
static int read_boot(struct lb_dev *d, uint64_t off, uint64_t size, struct ntfs_boot *nb)
{
	uint8_t b[512];
	struct lb_err e = { 0 };
	unsigned spc;
	if (size < 4096 || lb_dev_read(d, b, sizeof b, off, &e) || memcmp(b + 3, "NTFS    ", 8))
		return -1;
	nb->bps = bs_le(b + 11, 2);
	spc = b[13];
	/* 0xf4..0xff: the cluster is 2^(256-spc) bytes (clusters above 64 KiB) */
	nb->cluster = spc <= 0x80 ? spc * nb->bps : spc >= 0xf4 ? 1u << (256 - spc) : 0;
	nb->sectors = bs_le(b + 40, 8);
	if (nb->bps < 256 || nb->bps > 4096 || (nb->bps & (nb->bps - 1)) || !nb->cluster ||
	    (nb->cluster & (nb->cluster - 1)) || nb->cluster < nb->bps || !nb->sectors ||
	    nb->sectors > size / nb->bps)
		return -1;
	return 0;
}

static int ntfs_probe(struct lb_dev *d, uint64_t off, uint64_t size, struct lb_fs_info *info)
{
	uint8_t b[512];
	struct lb_err e = { 0 };
	struct ntfs_boot nb;
	if (size < 4096 || lb_dev_read(d, b, sizeof b, off, &e) || memcmp(b + 3, "NTFS    ", 8))
		return 0;
	snprintf(info->type, sizeof info->type, "ntfs");
	snprintf(info->uuid, sizeof info->uuid, "%016llX", (unsigned long long)bs_le(b + 72, 8));
	info->total = bs_le(b + 40, 8) * bs_le(b + 11, 2);
	/* The backup boot sector, one sector past what the boot sector counts, is the volume's. */
	if (!read_boot(d, off, size, &nb) && (nb.sectors + 1) * nb.bps <= size)
		info->total = (nb.sectors + 1) * nb.bps;
	return 1;
}

#ifdef LB_HAVE_NTFS3G
#include "fs_ntfs.h"
#include <ntfs-3g/logfile.h>

enum { LOG_CLEAN, LOG_DIRTY, LOG_CACHED, LOG_UNREADABLE };

/* The $LogFile's state, read as ntfs-3g's own read-write mount checks it (volume.c). */
static int logfile_state(ntfs_volume *vol)
{
	ntfs_inode *ni = ntfs_inode_open(vol, FILE_LogFile);
	ntfs_attr *na = ni ? ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0) : NULL;
	RESTART_PAGE_HEADER *rp = NULL;
	int st = LOG_UNREADABLE;
	if (na) {
		if (!ntfs_check_logfile(na, &rp))
			st = LOG_UNREADABLE;
		else if (rp && le16_to_cpu(rp->major_ver) == 2 && le16_to_cpu(rp->minor_ver) == 0)
			st = LOG_CACHED;
		else
			st = ntfs_is_logfile_clean(na, rp) ? LOG_CLEAN : LOG_DIRTY;
		free(rp);
		ntfs_attr_close(na);
	}
	if (ni)
		ntfs_inode_close(ni);
	return st;
}

/* 1 when hiberfil.sys starts with a hibernation signature, 0 when absent or cleared, -1 when
 * it cannot be read. */
static int hibernated(ntfs_volume *vol)
{
	if (ntfs_volume_check_hiberfile(vol, 0) == 0)
		return 0;
	return errno == EPERM ? 1 : -1;
}

/* Appends each run of set bits of the $Bitmap (clusters below nr_clusters) to out. */
static int bitmap_runs(struct lb_ntfs *o, uint64_t off, struct lb_extents *out, char *why,
                       size_t whylen)
{
	enum { PIECE = 1 << 20 };
	ntfs_volume *vol = o->vol;
	uint64_t cs = vol->cluster_size, ncl = (uint64_t)vol->nr_clusters, run = 0, cl = 0;
	uint8_t *buf = malloc(PIECE);
	int in_run = 0, rc = -1;
	if (!buf) {
		snprintf(why, whylen, "out of memory reading its $Bitmap");
		return -1;
	}
	for (uint64_t pos = 0; cl < ncl; pos += PIECE) {
		s64 want = (s64)((ncl + 7) / 8 - pos < PIECE ? (ncl + 7) / 8 - pos : PIECE);
		s64 got = ntfs_attr_pread(vol->lcnbmp_na, (s64)pos, want, buf);
		if (got != want) {
			if (o->io.err[0]) {
				snprintf(why, whylen, "its $Bitmap cannot be read (%s)", o->io.err);
			} else {
				snprintf(why, whylen, "its $Bitmap is shorter than its %llu clusters",
				         (unsigned long long)ncl);
			}
			goto out;
		}
		for (s64 i = 0; i < got && cl < ncl; i++) {
			uint8_t byte = buf[i];
			/* whole bytes of the same bit continue or end a run at once */
			if ((byte == 0xff && in_run) || (byte == 0 && !in_run)) {
				cl += 8;
				continue;
			}
			for (int bit = 0; bit < 8 && cl < ncl; bit++, cl++) {
				int used = byte >> bit & 1;
				if (used && !in_run) {
					run = cl;
					in_run = 1;
				} else if (!used && in_run) {
					in_run = 0;
					if (lb_ext_add(out, off + run * cs, (cl - run) * cs) < 0)
						goto nomem;
				}
			}
		}
	}
	if (cl > ncl)
		cl = ncl;
	if (in_run && lb_ext_add(out, off + run * cs, (cl - run) * cs) < 0)
		goto nomem;
	rc = 0;
	goto out;
nomem:
	snprintf(why, whylen, "out of memory building its cluster map");
out:
	free(buf);
	return rc;
}

struct refs {
	struct lb_extents *out;
	uint64_t off, cs, ncl;
	uint64_t bad_record;
	int bad;
};

static int ref_run(void *priv, uint64_t rec, int64_t lcn, int64_t len)
{
	struct refs *r = priv;
	/* a run past the volume's end is corruption chkdsk will deal with; the map stays inside */
	if ((uint64_t)lcn >= r->ncl)
		return 0;
	if ((uint64_t)len > r->ncl - (uint64_t)lcn)
		len = (int64_t)(r->ncl - (uint64_t)lcn);
	return lb_ext_add(r->out, r->off + (uint64_t)lcn * r->cs, (uint64_t)len * r->cs) < 0 ? -1 : 0;
}

static int ref_unreadable(void *priv, uint64_t rec, int err)
{
	struct refs *r = priv;
	if (!r->bad++)
		r->bad_record = rec;
	return 0;
}

/* Appends every run of clusters the files name (all records whose header says in use). */
static int referenced_runs(struct lb_ntfs *o, uint64_t off, struct lb_extents *out, char *why,
                           size_t whylen)
{
	struct refs r = { out, off, o->vol->cluster_size, (uint64_t)o->vol->nr_clusters, 0, 0 };
	struct lb_ntfs_walk w = { ref_run, NULL, ref_unreadable, &r };
	if (lb_ntfs_walk(o, 1, &w, why, whylen))
		return -1;
	if (r.bad) {
		snprintf(why, whylen, "it is marked dirty (chkdsk due) and %d of its MFT records in "
		         "use cannot be read (the first: %llu), so its $Bitmap cannot be checked", r.bad,
		         (unsigned long long)r.bad_record);
		return -1;
	}
	return 0;
}

static int ntfs_used(struct lb_dev *d, uint64_t off, uint64_t size, struct lb_extents *out,
                     const char **method, char *why, size_t whylen)
{
	struct ntfs_boot nb;
	struct lb_ntfs o;
	uint64_t cs, end;
	int log, hib, dirty, ret = -1;

	*method = "used";
	if (read_boot(d, off, size, &nb)) {
		snprintf(why, whylen, "its boot sector is inconsistent");
		return -1;
	}
	if (lb_ntfs_open(d, off, size, &o, why, whylen))
		return -1;
	cs = o.vol->cluster_size;
	if ((uint64_t)o.vol->nr_clusters > size / cs) {
		snprintf(why, whylen, "it claims %lld clusters, more than the partition holds",
		         (long long)o.vol->nr_clusters);
		goto out;
	}
	log = logfile_state(o.vol);
	hib = hibernated(o.vol);
	if (log == LOG_CACHED) {
		snprintf(why, whylen, "Windows keeps its metadata in its cache (Fast Startup or "
		         "hibernated), so its $Bitmap cannot be trusted; backed up as it is, not fixed");
		goto out;
	}
	if (log != LOG_CLEAN) {
		snprintf(why, whylen, "its $LogFile %s (Windows did not shut down cleanly), so its "
		         "$Bitmap cannot be trusted; backed up as it is, not fixed",
		         log == LOG_DIRTY ? "holds changes not yet applied" : "cannot be read");
		goto out;
	}
	dirty = !!(o.vol->flags & VOLUME_IS_DIRTY);
	if (hib < 0) {
		snprintf(why, whylen, "its hiberfil.sys cannot be read, so whether Windows is "
		         "hibernated is unknown");
		goto out;
	}
	if (bitmap_runs(&o, off, out, why, whylen))
		goto out;
	/* Dirty: chkdsk is due because something may disagree with the $Bitmap. Every cluster a
	 * file names is kept as well, so the copy holds whatever chkdsk will find. */
	if (dirty && referenced_runs(&o, off, out, why, whylen))
		goto out;
	/* $Boot is in the bitmap; the boot sector is kept whatever it says. Then the sectors
	 * after the last whole cluster up to and including the backup boot sector. */
	end = (nb.sectors + 1) * nb.bps;
	if (end > size)
		end = size;
	if (lb_ext_add(out, off, nb.bps) < 0 ||
	    (end > (uint64_t)o.vol->nr_clusters * cs &&
	     lb_ext_add(out, off + o.vol->nr_clusters * cs, end - o.vol->nr_clusters * cs) < 0)) {
		snprintf(why, whylen, "out of memory building its cluster map");
		goto out;
	}
	lb_ext_normalize(out);
	/* Not reasons to copy raw, but the plan says them: Windows resumes from this copy, and
	 * chkdsk will run on it. */
	if (hib > 0)
		snprintf(why, whylen, "Windows is hibernated on it (its $LogFile is clean, so its "
		         "$Bitmap is complete); backed up as it is, not fixed");
	else if (dirty)
		snprintf(why, whylen, "it is marked dirty (chkdsk due): its $Bitmap and every "
		         "cluster its files name are kept; backed up as it is, not fixed");
	ret = 0;
out:
	if (o.io.writes && !ret) {
		/* never expected from a read-only mount: say so rather than trust what it read */
		snprintf(why, whylen, "libntfs-3g tried to write to it (refused)");
		ret = -1;
	}
	lb_ntfs_close(&o);
	return ret;
}

const struct lb_fs_ops lb_fs_ntfs = { "ntfs", ntfs_probe, ntfs_used, lb_ntfs_damage };

#else /* !LB_HAVE_NTFS3G */

static int ntfs_used(struct lb_dev *d, uint64_t off, uint64_t size, struct lb_extents *out,
                     const char **method, char *why, size_t whylen)
{
	snprintf(why, whylen, "needs libntfs-3g for its $Bitmap, and this Lifeboat was built "
	         "without it");
	return -1;
}

const struct lb_fs_ops lb_fs_ntfs = { "ntfs", ntfs_probe, ntfs_used, NULL };
#endif
