/* fsread.h — reading files out of a filesystem without mounting it or restoring it: browse a
 * backup (`lifeboat files`, `lifeboat extract`, the TUI's "Browse an image"). The filesystem is
 * read through an lb_dev: over an image (lb_dev_open_image, bdev_img.c: the source disk's
 * address space, read through the image's index, read-only) or over any other handle. Nothing
 * is ever written through it.
 *
 * One table of operations per filesystem, each in its own fsread_<fs>.c, chosen by the name of
 * the lb_fs_ops whose probe accepts the partition (fs_table.c): "ext", "fat", "ntfs", "exfat".
 * Files are named by a 64-bit number that the backend gives meaning to (ext: the inode; NTFS:
 * the MFT reference; FAT/exFAT: where the directory entry lies) — two names with the same
 * number are hard links. Paths, lookups and tree walks are generic (fsread.c) over readdir.
 *
 * Names are bytes as the filesystem stores them (ext: any byte but '/' and NUL). Filesystems
 * that store UTF-16 (NTFS, exFAT, FAT long names) give UTF-8; a UTF-16 name that is not valid
 * (an unpaired surrogate) is given as WTF-8 so that every name is distinct and round-trips.
 * A backend never returns ".", ".." or a name holding '/' or NUL; the generic layer checks it
 * anyway (a corrupt directory must not make extract write outside its destination). */
#ifndef LB_FSREAD_H
#define LB_FSREAD_H
#include <stddef.h>
#include <stdint.h>
#include "lifeboat.h"

struct lb_dev;
struct lb_imgread;

/* An lb_dev over an open image: size = the source disk's size, lsec/psec as recorded, reads
 * through the image's index (ranges in no chunk read as zeros; a damaged chunk is -EIO, never
 * data), writes refused. One worker per handle: not shared between threads. r must outlive d. */
int lb_dev_open_image(struct lb_dev *d, struct lb_imgread *r, struct lb_err *err);
/* The sentence of the last read of d that failed (which chunk, what check), or NULL when d is
 * not over an image or no read failed: a reader's -EIO says "I/O error", this says why. */
const char *lb_dev_image_error(const struct lb_dev *d);

struct lb_fsr_stat {
	uint64_t id;            /* the file's number (see above) */
	uint32_t mode;          /* S_IFREG, S_IFDIR, S_IFLNK, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK |
	                         * permission bits; filesystems without modes: dirs 0755, files 0644
	                         * (0444 when read-only), never set-id bits */
	uint32_t nlink;         /* 1 where the filesystem has no links */
	uint32_t uid, gid;      /* 0 where the filesystem has none */
	uint64_t size;          /* bytes (symlinks: the target's length) */
	uint64_t rdev;          /* devices: makedev(major, minor) */
	int64_t atime, mtime, ctime;          /* seconds since 1970 UTC (0: unknown) */
	uint32_t atime_ns, mtime_ns, ctime_ns;
};

/* One filesystem's reader. Every function returns 0 or an lb_code with err filled, naming the
 * file (by number or path when known) and what failed; none prints. */
struct lb_fsr_ops {
	const char *name;       /* the lb_fs_ops name it reads: "ext", "fat", "ntfs", "exfat" */
	int (*open)(struct lb_dev *d, uint64_t off, uint64_t size, void **fs, struct lb_err *err);
	void (*close)(void *fs);
	uint64_t (*root)(void *fs);
	int (*stat)(void *fs, uint64_t id, struct lb_fsr_stat *st, struct lb_err *err);
	/* fn(ctx, name, name_len, stat of the entry) for every entry of directory id but . and ..;
	 * a non-zero return from fn stops the walk and is returned. An entry whose file cannot be
	 * stat'ed is given with st->id set and st->mode 0 (stat on it names why). */
	int (*readdir)(void *fs, uint64_t id,
	               int (*fn)(void *ctx, const char *name, size_t name_len,
	                         const struct lb_fsr_stat *st),
	               void *ctx, struct lb_err *err);
	/* Exactly len bytes of regular file id at off (off + len <= size; holes read as zeros). */
	int (*pread)(void *fs, uint64_t id, void *buf, size_t len, uint64_t off, struct lb_err *err);
	/* Optional (NULL: all data): from off, *data = 1 when [off, off + *run) holds data, 0 for
	 * a hole; *run >= 1 and no further than the file's size. Lets extract write sparse files. */
	int (*map)(void *fs, uint64_t id, uint64_t off, int *data, uint64_t *run, struct lb_err *err);
	/* A symlink's target, NUL-terminated, into buf (cap bytes; too long: LB_EUNSUPPORTED). */
	int (*readlink)(void *fs, uint64_t id, char *buf, size_t cap, struct lb_err *err);
	/* Optional: one line on how the filesystem is read, or NULL when there is nothing to say
	 * ("its journal was replayed in memory: 3 transactions"). Valid until close. */
	const char *(*note)(void *fs);
};

extern const struct lb_fsr_ops lb_fsr_ext, lb_fsr_fat, lb_fsr_ntfs, lb_fsr_exfat;

/* ---- the generic layer (fsread.c): what front ends call ---------------------------------- */

struct lb_fsr;          /* an open filesystem: ops + backend state + the device */

/* Opens the filesystem at [off, off+size) of d (a partition as the image's plan places it, or
 * the whole of d). LB_EUNSUPPORTED names what is there when no reader knows it ("it holds
 * crypto_LUKS (LUKS2: encrypted, copied raw): Lifeboat cannot read its files"); callers put
 * the partition in front (lb_context). */
int lb_fsr_open(struct lb_fsr **out, struct lb_dev *d, uint64_t off, uint64_t size,
                struct lb_err *err);
void lb_fsr_close(struct lb_fsr *f);
const char *lb_fsr_type(const struct lb_fsr *f);   /* "ext", "fat", ... */
const char *lb_fsr_note(const struct lb_fsr *f);   /* the backend's note, or NULL */
uint64_t lb_fsr_root(const struct lb_fsr *f);
int lb_fsr_stat(struct lb_fsr *f, uint64_t id, struct lb_fsr_stat *st, struct lb_err *err);
/* "/a/b/c" (or "" / "/" for the root) to a file number, following no symlinks except in
 * the leading components (as lstat). LB_ENOENT names the first component that is missing. */
int lb_fsr_lookup(struct lb_fsr *f, const char *path, struct lb_fsr_stat *st, struct lb_err *err);
/* The backend's readdir, with every name checked: an entry named "", ".", "..", or holding
 * '/' or NUL is not given to fn; the walk goes on and then returns LB_EDAMAGED naming it. */
int lb_fsr_readdir(struct lb_fsr *f, uint64_t id,
                   int (*fn)(void *ctx, const char *name, size_t name_len,
                             const struct lb_fsr_stat *st),
                   void *ctx, struct lb_err *err);
int lb_fsr_pread(struct lb_fsr *f, uint64_t id, void *buf, size_t len, uint64_t off,
                 struct lb_err *err);
/* As the backend's map; without one, all of [off, size) is data. */
int lb_fsr_map(struct lb_fsr *f, uint64_t id, uint64_t off, uint64_t size, int *data,
               uint64_t *run, struct lb_err *err);
int lb_fsr_readlink(struct lb_fsr *f, uint64_t id, char *buf, size_t cap, struct lb_err *err);
/* A name (len bytes, any bytes) made printable and unambiguous into out (cap bytes, always
 * NUL-terminated; cut short when it does not fit): valid UTF-8 stays, a backslash becomes
 * "\\", tab, newline and carriage return "\t" "\n" "\r", and every other control character
 * or byte that is not valid UTF-8 "\xNN" per byte. 4 * len + 1 bytes always suffice. */
char *lb_fsr_escape(const char *name, size_t len, char *out, size_t cap);

/* ---- extract (extract.c) ------------------------------------------------------------------ */

struct lb_extract_opts {
	const char *to;         /* destination directory (must exist) */
	int owners;             /* restore uid/gid (front ends: on when running as root) */
	int overwrite;          /* replace existing files (default: refuse, naming the file) */
	lb_progress_fn progress;
	void *progress_ctx;
};
struct lb_extract_report {
	uint64_t files, dirs, links, symlinks, specials, bytes;
	uint64_t failed;        /* files that could not be (wholly) read or written: named in text */
	uint64_t damaged_bytes; /* of those, bytes that could not be read: zeros in the copies */
	uint64_t skipped;       /* devices, fifos and sockets not made (not root): named in text */
	char *text;             /* malloc'd lines (names escaped, lb_fsr_escape) naming every
	                         * failure and skip, or NULL */
};
/* Copies each path (a file or a whole tree) of f into o->to/<last component> ("/": the root's
 * entries into o->to itself): contents, holes, modes, times, hard links as hard links (within
 * one call), symlinks as symlinks (never followed), devices, fifos and sockets when root.
 * Never writes outside o->to: names are checked, every directory is opened with
 * O_NOFOLLOW|O_DIRECTORY relative to its parent, and a directory met again inside itself (a
 * loop in a corrupt filesystem) is not entered. An existing o->to/<name> refuses the call
 * before anything is written (LB_EREFUSED) unless o->overwrite: then files and symlinks are
 * replaced and directories merged (a directory in the way of a file is never removed: that
 * file fails). A file with unreadable ranges (damaged chunks) is copied with zeros there; it,
 * and every other file that fails, is named in the report, and the call returns LB_EDAMAGED
 * (nothing else failed: only damaged ranges) or LB_EIO after copying everything else.
 * Progress: LB_PHASE_PLAN while the files' sizes are added up, then LB_PHASE_COPY with that
 * total; cancelling (or a full destination) removes the file being copied and stops. */
int lb_extract(struct lb_fsr *f, const char *const *paths, int npaths,
               const struct lb_extract_opts *o, struct lb_extract_report *rep, struct lb_err *err);
void lb_extract_report_free(struct lb_extract_report *rep);
#endif
