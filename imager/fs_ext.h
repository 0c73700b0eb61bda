/* fs_ext.h — the parts of the ext filesystem row: fs_ext.c opens and judges a filesystem,
 * fs_ext_map.c adds every block any structure references to its block map, fs_ext_damage.c
 * names what unreadable sectors hit. */
#ifndef LB_FS_EXT_H
#define LB_FS_EXT_H
#include <sys/types.h>   /* before ext2fs.h: musl's headers do not pull it in */
#include <ext2fs/ext2fs.h>
#include "fs.h"
#include "jbd2.h"

/* Marks in fs->block_map (read, writable in memory only) every block that group metadata,
 * the MMP block and any inode in use reference, whatever the bitmaps say. Needs the inode
 * bitmap read too. 0, or -1 with `why` filled when no sane map can be built (copy raw). */
int lb_ext_map_referenced(ext2_filsys fs, char *why, size_t whylen);

/* Fills `why` with "its WHAT cannot be read (...)": the block and error of the last I/O fault
 * when there were more than `faults_before`, else libext2fs' error rc. */
void lb_ext_cannot_read(ext2_filsys fs, const char *what, errcode_t rc, unsigned faults_before,
                        char *why, size_t whylen);

/* fs (opened plainly) needs journal recovery: replays its internal journal in memory into
 * *view, for lb_ext2_open_view. 0 with `note` saying what was replayed, or -1 with `why`
 * (external journal, journal that cannot be parsed or fails its checksums: copy raw). */
int lb_ext_journal_view(struct lb_dev *d, uint64_t off, uint64_t size, ext2_filsys fs,
                        struct lb_jbd2_view **view, char *note, size_t notelen, char *why,
                        size_t whylen);

/* Adds to out (absolute byte ranges, fs at off) the journal's blocks and every block its
 * replay writes: the restored filesystem replays the journal itself. 0, or -1 (memory). */
int lb_ext_journal_add(const struct lb_jbd2_view *view, ext2_filsys fs, uint64_t off,
                       struct lb_extents *out);

/* lb_ext2_open, then the replayed view when the journal needs recovery and can be replayed
 * (else the device as it is). *view (NULL when none) is freed after the handle is closed. */
errcode_t lb_ext_open_replayed(struct lb_dev *d, uint64_t off, uint64_t size, int flags,
                               ext2_filsys *fs, struct lb_jbd2_view **view);

void lb_ext_damage(struct lb_dev *d, uint64_t off, uint64_t size, const struct lb_extents *bad,
                   char **text);
#endif
