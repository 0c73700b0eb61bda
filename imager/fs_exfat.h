/* fs_exfat.h — shared by the exFAT files: the volume as its boot region describes it
 * (fs_exfat_boot.c), its FAT chains (fs_exfat_chain.c), its directories (fs_exfat_dir.c).
 * Hand-written: no well-kept exFAT library builds static and reads through struct lb_dev
 * (exfatprogs' libexfat is internal to it and not installed; exfat-fuse's is a FUSE driver).
 * Everything reads through the engine's handle only, and must survive any bytes: every field
 * is checked against the volume's bounds, and every walk is bounded by its cluster count. */
#ifndef LB_FS_EXFAT_H
#define LB_FS_EXFAT_H
#include <stddef.h>
#include <stdint.h>
#include "fs.h"

#define EXFAT_EOC 0xffffffffu   /* end of a cluster chain */
#define EXFAT_BAD 0xfffffff7u

struct lb_exfat {
	struct lb_dev *d;
	uint64_t off;                      /* the volume's first byte on d */
	unsigned bps_shift, spc_shift;     /* sector and cluster (in sectors) size shifts */
	uint64_t cs;                       /* cluster size in bytes */
	uint64_t vol_bytes;                /* VolumeLength in bytes */
	uint64_t fat_off, fat_bytes;       /* the first FAT (bytes from off) and each one's size */
	uint64_t heap_off, heap_end;       /* the cluster heap (bytes from off) */
	uint32_t nclusters, root, serial;
	unsigned nfats, active, flags;     /* active: the FAT and bitmap VolumeFlags ActiveFat names */
	const char *backup_note;           /* a boot region problem that does not stop the map */
	/* the FAT window last read (fs_exfat_chain.c) */
	uint8_t *fatbuf;
	uint64_t fat_at;
	size_t fat_len;
	uint64_t steps;                    /* chain steps so far, bounded (cross-linked chains) */
	char io_err[96];                   /* why the last read failed */
};

#define EXFAT_DIRTY 0x2
#define EXFAT_MEDIA_FAILURE 0x4

/* The boot region: 0, or -1 with why (a sentence after "exfat ...": "its boot region ...").
 * A main region that fails its checksum with a backup that passes says so and is not used:
 * the copy is raw, the volume never "fixed". */
int lb_exfat_open(struct lb_exfat *v, struct lb_dev *d, uint64_t off, uint64_t size, char *why,
                  size_t whylen);
void lb_exfat_close(struct lb_exfat *v);

/* Byte offset (from v->off) of cluster cl, which must be in [2, nclusters+2). */
static inline uint64_t lb_exfat_cl_off(const struct lb_exfat *v, uint32_t cl)
{
	return v->heap_off + (uint64_t)(cl - 2) * v->cs;
}
static inline int lb_exfat_cl_ok(const struct lb_exfat *v, uint64_t cl)
{
	return cl >= 2 && cl - 2 < v->nclusters;
}

/* The clusters of one file, directory or metadata stream, as runs of consecutive clusters.
 * nofat: contiguous (the stream's NoFatChain flag); else the active FAT's chain. want: how
 * many clusters (0: follow the chain to its end). Calls run for each run; a non-zero return
 * stops and is returned. -1 with why filled ("the FAT chain of WHAT ...") for a broken chain
 * or an unreadable FAT. */
int lb_exfat_runs(struct lb_exfat *v, uint32_t first, uint64_t want, int nofat, const char *what,
                  int (*run)(void *priv, uint32_t first, uint32_t n), void *priv, char *why,
                  size_t whylen);

/* The root directory's own entries: the allocation bitmap(s), the up-case table, the label. */
struct lb_exfat_root {
	uint32_t bm_first[2];
	uint64_t bm_len[2];
	int nbm;                 /* bitmap entries found (slot = BitmapFlags bit 0) */
	uint32_t up_first;
	uint64_t up_len;
	char label[64];          /* UTF-8 */
};
int lb_exfat_read_root(struct lb_exfat *v, struct lb_exfat_root *r, char *why, size_t whylen);

/* Walks every directory from the root: for each file and directory (and the root directory,
 * path "/"), its cluster runs. Directories that loop or share clusters, chains that break,
 * unreadable directories: -1 with why. run's non-zero return stops the walk (returned). */
struct lb_exfat_walk {
	void *priv;
	int (*run)(void *priv, const char *path, int is_dir, uint32_t first, uint32_t n);
};
int lb_exfat_walk(struct lb_exfat *v, const struct lb_exfat_walk *w, char *why, size_t whylen);

/* UTF-16LE (n units at p) to UTF-8 in out (always terminated; unpaired surrogates: '?'). */
void lb_exfat_utf8(const uint8_t *p, size_t n, char *out, size_t outlen);

void lb_exfat_damage(struct lb_dev *d, uint64_t off, uint64_t size, const struct lb_extents *bad,
                     char **text);
#endif
