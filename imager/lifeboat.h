/* lifeboat.h — the engine API, shared by the command line (imager/cli/) and the TUI (tui/).
 *
 * Rules every function here keeps:
 *  - returns an enum lb_code (LB_OK = 0) and fills *err with a sentence that says what went wrong,
 *    where, and what to do; it never prints and never exits;
 *  - the progress callback is called from the thread that called the operation (so a TUI can
 *    draw from it), at most ~10 times a second plus once at the end; returning non-zero cancels;
 *  - sources are opened read-only; nothing here mounts anything.
 */
#ifndef LIFEBOAT_H
#define LIFEBOAT_H

#include <stdint.h>
#include <stddef.h>
#include <time.h>

#define LB_VERSION "0.1.0"
/* zstd level when none is given (zstd is the default codec): see the measurement below */
#define LB_DEFAULT_LEVEL 3
/* DEFLATE level when none is given: measured (make bench) as the best size for a backup still
 * well under half the time of partclone | pigz -1 on two cores */
#define LB_DEFAULT_DEFLATE_LEVEL 2

enum lb_code {
	LB_OK = 0,
	LB_EIO,          /* a read or write on a disk or file failed */
	LB_EUSAGE,       /* an argument is wrong */
	LB_ENOENT,       /* a file or disk does not exist */
	LB_EDAMAGED,     /* the image is truncated, corrupted or incomplete */
	LB_EFOREIGN,     /* the file is not a Lifeboat image */
	LB_EVERSION,     /* the image needs a newer Lifeboat */
	LB_EREFUSED,     /* a safety rule refused the operation */
	LB_ETOOSMALL,    /* the target cannot hold the image */
	LB_ECANCELLED,   /* the progress callback asked to stop */
	LB_ENOMEM,
	LB_EMISMATCH,    /* verify --against: the disk differs from the image */
	LB_EUNSUPPORTED, /* something the engine cannot handle (yet) */
	LB_ENOSPACE,     /* the destination filesystem is full */
	LB_EKEY,         /* encrypted image: wrong passphrase, or none given */
};

/* Encrypted images: the engine never prompts. It calls this (from the calling thread) when the
 * image it opens turns out to be encrypted; the front end writes the passphrase, NUL-terminated,
 * into buf (cap bytes) and returns 0, or non-zero when it has none (the operation then fails
 * with LB_EKEY). It may be called more than once per operation (prepare, then run): front ends
 * remember what was typed. The engine wipes buf after use. */
typedef int (*lb_passphrase_fn)(void *ctx, const char *image, char *buf, size_t cap);

struct lb_err {
	int code;
	char msg[1024];
};

/* ---- disks ------------------------------------------------------------------------------ */

struct lb_part_info {
	int number;             /* 1-based, as the kernel names it (sda5 = first logical) */
	uint64_t start, size;   /* bytes */
	int is_container;       /* MBR extended partition: holds logical ones, not imaged itself */
	char type[40];          /* GPT type GUID, or MBR type as "0x83" */
	char name[72];          /* GPT partition name (UTF-8) */
	char fs[24];            /* "ext4", "vfat", "swap", "xfs", "crypto_LUKS", ... (libblkid's
	                         * names); "ambiguous" for two signatures; "" when not recognised */
	char label[64];
	char uuid[40];
	char fs_version[16];    /* libblkid's VERSION: "2" for LUKS2, "1.2" md metadata, ... */
	char usage[16];         /* filesystem, crypto, raid, other (libblkid's), ambiguous (two
	                         * signatures), random (no signature, high entropy), or "" */
	char note[160];         /* why a backup copies it raw whatever it holds ("LUKS2: encrypted,
	                         * copied raw"); "" when its filesystem decides */
	uint64_t fs_total, fs_used; /* bytes; 0 when unknown */
	char dev[64];           /* "/dev/sda1" when the kernel has a node for it, else "" */
	char mountpoint[256];   /* "" when not mounted */
};

struct lb_disk_info {
	char path[256];         /* "/dev/sda" or a file path */
	char name[32];          /* "sda" */
	int is_file;            /* a plain disk-image file */
	uint64_t size;          /* bytes */
	char model[64], serial[64];
	char transport[16];     /* sata, nvme, usb, virtio, mmc, scsi, file, loop, unknown */
	int removable, readonly;
	unsigned lsec, psec;    /* logical / physical sector sizes */
	char table[8];          /* "gpt", "mbr" or "none" */
	char table_note[160];   /* e.g. "primary GPT damaged, read from backup" */
	int mounted;            /* the disk or one of its partitions is mounted */
	char mountpoint[256];   /* first mount point found (disk or partition) */
	int holds_boot;         /* the disk the running system booted from (set by front ends) */
	int nparts;
	struct lb_part_info *parts;
};

/* Every block device that can be imaged (no ram, zram, empty loop devices). */
int lb_disk_list(struct lb_disk_info **disks, int *ndisks, struct lb_err *err);
/* One device or disk-image file. */
int lb_disk_probe(const char *path, struct lb_disk_info *disk, struct lb_err *err);
void lb_disk_free(struct lb_disk_info *disk);
void lb_disk_list_free(struct lb_disk_info *disks, int ndisks);

/* ---- progress and results --------------------------------------------------------------- */

enum lb_phase { LB_PHASE_PLAN, LB_PHASE_COPY, LB_PHASE_VERIFY, LB_PHASE_FINISH };

struct lb_progress {
	enum lb_phase phase;
	uint64_t done, total;   /* logical bytes of the current phase */
	uint64_t out_bytes;     /* bytes written so far (image or target) */
	double elapsed;         /* seconds since the operation started */
	double rate;            /* bytes per second over the recent past */
	double eta;             /* seconds left, < 0 when unknown */
	int part;               /* partition being worked, 0 = disk areas outside partitions */
	const char *method;     /* "used blocks", "raw", "header only", ... */
	uint64_t bad_bytes;     /* unreadable bytes met so far */
};
typedef int (*lb_progress_fn)(void *ctx, const struct lb_progress *p);

/* What a backup does with each partition, decided before reading. */
struct lb_plan_part {
	int number;
	uint64_t start, size;
	char fs[24], label[64];
	char method[16];        /* "used", "raw", "header", "skipped" */
	char reason[160];       /* why this method, in words */
	uint64_t bytes;         /* bytes this partition contributes to the read */
};

/* A region outside every partition too large to keep unconditionally (over 16 MiB between or
 * after partitions, past the first GiB before the first one): skipped, unless a probe found a
 * filesystem signature there (a deleted partition?) or keep_unallocated was asked. Skipped
 * regions are not in the image: restore leaves the target's bytes there as they were. */
struct lb_unalloc_area {
	uint64_t off, len;
	int kept;               /* 1: read raw like the rest of the disk areas */
	char why[128];          /* "skipped", "ext2/3/4 signature at offset N: a deleted partition?",
	                         * "kept (--unallocated)" */
};

struct lb_report {
	int nparts;
	struct lb_plan_part *parts;  /* methods as planned */
	uint64_t *part_read;    /* per part: bytes read */
	uint64_t *part_stored;  /* per part: bytes written to the image (compressed) */
	double *part_seconds;
	uint64_t disk_area_bytes;    /* bytes outside partitions (boot areas, tables, gaps) */
	uint64_t unalloc_skipped;    /* bytes of unallocated space not read (not in the image) */
	int nunalloc;
	struct lb_unalloc_area *unalloc; /* the large unallocated regions, skipped or kept */
	char table_note[160];   /* what was odd about the partition table ("" when nothing) */
	uint64_t bytes_read, bytes_written;
	uint64_t bytes_planned;
	uint64_t zero_bytes;    /* planned bytes that were all zeros */
	double seconds;
	int verified;           /* read-back / check pass ran and matched */
	uint64_t bad_bytes;     /* backup, clone: unreadable; restore: missing from the image (zeros) */
	int nbad;
	uint64_t (*bad)[2];     /* backup, clone: the unreadable ranges (offset, length) */
	char image_path[512];   /* final name of the (first segment of the) image */
	int segments;
	int gpt_relocated;      /* restore moved the backup GPT to the target's end */
	int stale_wiped;        /* restore/clone: old GPT headers, RAID superblocks erased */
	uint64_t bytes_same;    /* restore --resume: bytes already right on the target, not written;
	                         * clone --mapfile resuming: bytes an earlier run copied */
	uint64_t chunks;        /* restore: image chunks inside what was restored */
	uint64_t chunks_written;     /* restore: of those, chunks something was written for */
	char *damage;           /* backup, clone with unreadable ranges: what they hit, one line each
	                         * ("partition 3 (ext4):", "  file: /etc/passwd", ...) */
	char source_note[800];  /* backup/clone of a mounted source: "/dev/sdb2 is mounted
	                         * read-write on /mnt: this copy is crash-consistent at best" */
};
void lb_report_free(struct lb_report *r);

/* ---- backup ----------------------------------------------------------------------------- */

struct lb_backup_opts {
	const char *source;     /* device or disk-image file */
	const char *image;      /* path, or "-" for stdout */
	const int *parts;       /* partition numbers to include; NULL = all */
	int nparts;
	const char *codec;      /* "zstd" (NULL: the default) or "deflate" */
	int level;              /* of that codec (lb_codec_levels); its default when < 0 */
	int threads;            /* compression workers; 0 = one per core */
	uint64_t split;         /* segment size in bytes; 0 = auto (FAT destination: under 4 GiB) */
	int no_split;           /* never split, even on FAT */
	const char *note;       /* free text stored in the image header */
	lb_progress_fn progress;
	void *progress_ctx;
	int retries;            /* extra sector-by-sector passes over unreadable sectors */
	const char *mapfile;    /* write a GNU ddrescue mapfile of what was read (NULL = none) */
	int allow_mounted;      /* copy a source with a filesystem mounted read-write (refused
	                         * otherwise); the report's source_note says what that means */
	int keep_unallocated;   /* read large unallocated regions too (lb_unalloc_area) */
	const char *passphrase; /* non-NULL: encrypt the image with it (format 2.0, see FORMAT.md) */
};

/* Checks where a backup would save IMAGE, before anything is read (lb_backup checks again):
 * refuses a folder, a missing folder or one that cannot be written, and an existing file that
 * is not a Lifeboat image. *replaces (may be NULL) = 1 when an image of that name exists: it
 * is replaced once the new one is complete (until then it stays as it was). */
int lb_backup_check_dest(const char *image, int *replaces, struct lb_err *err);
/* Decide per partition what will be read, without reading data. */
int lb_backup_plan(const struct lb_backup_opts *o, struct lb_report *plan, struct lb_err *err);
int lb_backup(const struct lb_backup_opts *o, struct lb_report *rep, struct lb_err *err);
/* The levels of a codec ("zstd", "deflate"; NULL = the default, zstd): *min..*max and the
 * default *def. Returns a value >= 0 when the codec is known, -1 when not. */
int lb_codec_levels(const char *codec, int *min, int *max, int *def);

/* ---- image description ------------------------------------------------------------------ */

struct lb_image_info {
	unsigned major, minor;
	char tool_version[32];
	time_t created;
	char note[256];
	char src_path[256], src_model[64], src_serial[64], src_transport[16];
	uint64_t src_size;
	unsigned lsec, psec;
	char table[8];
	uint64_t min_size;      /* smallest target a whole-disk restore fits on */
	uint32_t chunk_size;
	char codec[16];         /* "zstd", "deflate" (1.x images: "deflate") */
	int level;              /* of that codec */
	char checksum[16];      /* of each chunk: "XXH3-128" (2.0), "CRC-32" (1.x) */
	int encrypted;          /* 2.0 with a passphrase */
	int locked;             /* encrypted and opened without the passphrase: only major, minor,
	                         * encrypted, kdf_* and segments are known */
	uint64_t kdf_ops, kdf_mem;   /* encrypted: Argon2id passes and memory (bytes) */
	int nparts;
	struct lb_plan_part *parts;
	uint64_t unalloc_skipped;    /* bytes of unallocated space the backup left out */
	int nunalloc;
	struct lb_unalloc_area *unalloc; /* the large unallocated regions, skipped or kept */
	/* from the trailer; complete = 0 when it could not be read (pipe, truncation) */
	int complete;
	int segments;
	uint64_t chunks, data_bytes, stored_bytes, image_bytes;
	int nbad;
	uint64_t bad_bytes;
};
/* An encrypted image without a passphrase callback is described as far as it is clear
 * (info->locked = 1). */
int lb_image_info(const char *image, struct lb_image_info *info, struct lb_err *err);
int lb_image_info_key(const char *image, lb_passphrase_fn ask, void *ask_ctx,
                      struct lb_image_info *info, struct lb_err *err);
void lb_image_info_free(struct lb_image_info *info);

/* ---- restore and clone ------------------------------------------------------------------ */

struct lb_restore_opts {
	const char *image;      /* path, or "-" for stdin */
	const char *target;     /* device or disk-image file */
	int partition;          /* 0 = whole disk, else restore only this partition of the image */
	int to_partition;       /* with partition: partition number on target (0 = target IS it) */
	int verify;             /* read back and check after writing (default on in front ends) */
	int threads;
	lb_progress_fn progress;
	void *progress_ctx;
	int resume;             /* compare the target with each chunk first; write only what differs */
	lb_passphrase_fn passphrase;   /* encrypted images (NULL: they fail with LB_EKEY) */
	void *passphrase_ctx;
};

/* What restore would do; filled by lb_restore_prepare / lb_clone_prepare without writing. */
struct lb_target_plan {
	char target[256];
	char model[64], serial[64], transport[16];
	uint64_t target_size;   /* bytes available at the destination (disk or partition) */
	uint64_t image_size;    /* source disk / partition size recorded in the image */
	uint64_t needed;        /* minimum bytes the destination must have */
	uint64_t write_offset;  /* where on the target the first byte goes */
	int grows;              /* target larger: GPT backup moves to the end */
	int shrinks;            /* target smaller but everything fits */
	char summary[256];      /* one line for a confirmation prompt */
};

int lb_restore_prepare(const struct lb_restore_opts *o, struct lb_target_plan *p, struct lb_err *err);
int lb_restore(const struct lb_restore_opts *o, struct lb_report *rep, struct lb_err *err);

struct lb_verify_opts {
	const char *image;
	const char *against;    /* device or file to compare with; NULL = check the image only */
	int threads;
	lb_progress_fn progress;
	void *progress_ctx;
	lb_passphrase_fn passphrase;   /* as in lb_restore_opts */
	void *passphrase_ctx;
};
int lb_verify(const struct lb_verify_opts *o, struct lb_report *rep, struct lb_err *err);

struct lb_clone_opts {
	const char *source, *target;
	int verify;
	int threads;
	int allow_mounted;      /* as in lb_backup_opts */
	int keep_unallocated;   /* as in lb_backup_opts */
	lb_progress_fn progress;
	void *progress_ctx;
	int retries;            /* extra sector-by-sector passes over unreadable sectors */
	const char *mapfile;    /* GNU ddrescue mapfile kept as the clone goes; when it exists, the
	                         * clone resumes: what it marks copied ('+') or unreadable ('-') is
	                         * not read again (unreadable ranges only with retries) */
};
int lb_clone_prepare(const struct lb_clone_opts *o, struct lb_target_plan *p, struct lb_err *err);
int lb_clone(const struct lb_clone_opts *o, struct lb_report *rep, struct lb_err *err);

/* ---- helpers for front ends -------------------------------------------------------------- */

const char *lb_code_name(int code);
/* "1.5 GiB" style; returns buf */
char *lb_human_size(uint64_t bytes, char *buf, size_t len);
/* parses "4G", "100MiB", "512k", "1048576"; 0 on success */
int lb_parse_size(const char *s, uint64_t *out);
/* process exit status for an engine code (documented in --help and README) */
int lb_exit_status(int code);
/* Makes a string from a disk or an image safe to print, in place: control characters (C0, DEL,
 * C1, bidirectional and line-separator controls) and bytes that are not valid UTF-8 become '?';
 * valid UTF-8 stays. The engine applies it to every such string it hands out; front ends use it
 * for what they read themselves (file names). Returns s. */
char *lb_sanitize(char *s);

#endif
