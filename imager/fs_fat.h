/* fs_fat.h — the FAT boot sector as fs_fat.c decodes it, shared with the file reader
 * (fsread_fat.c) so both agree on what a FAT volume is. */
#ifndef LB_FS_FAT_H
#define LB_FS_FAT_H
#include <stdint.h>

struct fat_geom {
	unsigned bps, spc, bits, nfats;
	unsigned active;   /* the FAT the filesystem itself reads: FAT32 with mirroring off, else 0 */
	int mirrored;      /* FAT32 BPB_ExtFlags bit 7 clear (and always for FAT12/16) */
	uint32_t root_cluster;   /* FAT32 only, else 0 */
	uint64_t fat_start, fat_bytes, data_start, nclusters, total_bytes;
	uint32_t volid;
	char label[12];
};

/* Decodes and checks the boot sector b (512 bytes) of a volume of size bytes; 0 when it
 * describes a consistent FAT filesystem. */
int lb_fat_geometry(const uint8_t *b, uint64_t size, struct fat_geom *g);
#endif
