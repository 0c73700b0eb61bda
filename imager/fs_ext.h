/* fs_ext.h — the parts of the ext filesystem row: fs_ext.c opens and judges a filesystem,
 * fs_ext_map.c adds every block any structure references to its block map, fs_ext_damage.c
 * names what unreadable sectors hit. */
#ifndef LB_FS_EXT_H
#define LB_FS_EXT_H
#include <sys/types.h>   /* before ext2fs.h: musl's headers do not pull it in */
#include <ext2fs/ext2fs.h>
#include "fs.h"

/* Marks in fs->block_map (read, writable in memory only) every block that group metadata,
 * the MMP block and any inode in use reference, whatever the bitmaps say. Needs the inode
 * bitmap read too. 0, or -1 with `why` filled when no sane map can be built (copy raw). */
int lb_ext_map_referenced(ext2_filsys fs, char *why, size_t whylen);

/* Fills `why` with "its WHAT cannot be read (...)": the block and error of the last I/O fault
 * when there were more than `faults_before`, else libext2fs' error rc. */
void lb_ext_cannot_read(ext2_filsys fs, const char *what, errcode_t rc, unsigned faults_before,
                        char *why, size_t whylen);

void lb_ext_damage(struct lb_dev *d, uint64_t off, uint64_t size, const struct lb_extents *bad,
                   char **text);
#endif
