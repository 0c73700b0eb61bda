/* ptable.h — partition tables: MBR (with the extended/logical chain) and GPT (primary, or the
 * backup when the primary is damaged). Parsing never trusts a field: every offset is checked
 * against the disk, every GPT CRC is checked, chains are bounded. */
#ifndef LB_PTABLE_H
#define LB_PTABLE_H
#include <stddef.h>
#include <stdint.h>
#include "blockdev.h"

#define LB_MAX_PARTS 256

struct lb_ptpart {
	int number;             /* kernel numbering: GPT entry index + 1; MBR 1-4, logical 5+ */
	uint64_t start, size;   /* bytes */
	int container;          /* MBR extended partition */
	int past_end;           /* claims space beyond the end of the disk (clipped) */
	uint8_t mbr_type;
	uint8_t type_guid[16], guid[16];
	uint64_t attrs;
	char type[40];          /* GUID text, or "0x83" */
	char name[72];
};

struct lb_gpt_geom {
	unsigned sector;
	uint64_t current_lba, backup_lba, first_usable, last_usable, entries_lba;
	uint32_t nentries, entry_size;
	uint8_t disk_guid[16];
	int primary_ok, backup_ok;
};

struct lb_ptable {
	char type[8];           /* "gpt", "mbr", "none" */
	unsigned sector;
	int n;
	struct lb_ptpart parts[LB_MAX_PARTS];
	struct lb_gpt_geom gpt;
	char note[160];         /* what was odd: damaged primary GPT, chain loop, ... */
	uint64_t parts_end;     /* end of the last partition (bytes) */
	int stale_gpt;          /* a GPT was found but ignored: sector 0 does not protect it */
	int nebr;               /* MBR: the extended boot records of the logical chain, as read */
	uint64_t ebr[128];      /* byte offsets (each one sector long) */
};

/* Reads the table of a disk of d->size bytes. Returns 0 (type "none" when there is none). */
int lb_ptable_read(struct lb_dev *d, struct lb_ptable *t, struct lb_err *err);
/* Same, treating the disk as disk_size bytes long (where the source's backup GPT was). */
int lb_ptable_read_sized(struct lb_dev *d, uint64_t disk_size, struct lb_ptable *t,
                         struct lb_err *err);
/* Minimum disk size that holds every partition and the table's own structures. */
uint64_t lb_ptable_min_size(const struct lb_ptable *t);
/* Rewrites primary and backup GPT (and the protective MBR's size) for a disk of d->size bytes,
 * from table t; partitions must fit. */
int lb_gpt_write(struct lb_dev *d, const struct lb_ptable *t, struct lb_err *err);
const struct lb_ptpart *lb_ptable_find(const struct lb_ptable *t, int number);

/* The logical sector size the disk's contents are laid out for: a block device's own; for an
 * image file, its GPT's (512 or 4096), else 512. */
unsigned lb_layout_sector(const struct lb_dev *d, const struct lb_ptable *t);
/* The smallest logical sector size a filesystem starting with these bytes (its first 2048) can
 * live on: FAT's bytes per sector, ext's block size; 0 when it is neither (no constraint).
 * *what names the unit for messages ("FAT filesystem with sectors"). */
unsigned lb_fs_unit(const uint8_t *head, size_t len, const char **what);

void lb_guid_format(const uint8_t g[16], char *out /* 37 bytes */);
uint32_t lb_crc32(uint32_t crc, const void *buf, size_t len);
#endif
