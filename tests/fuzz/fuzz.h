/* fuzz.h — shared by the fuzz targets: an input becomes a disk in memory (bdev_mem.c), with
 * no scratch file and no system call per execution. What the engine opens only by path (the
 * image reader, `list`'s disk probe) gets a memfd instead: in memory too, one per process. */
#ifndef LB_FUZZ_H
#define LB_FUZZ_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "blockdev.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Opens d as a disk of total bytes (at least size) starting with data; the rest reads as
 * zeros without being allocated. A read-only disk reads the input in place; a writable one
 * works on a copy (the fuzzer's input must not change), returned for the caller to free after
 * lb_dev_close. */
static inline void *fuzz_dev(struct lb_dev *d, const uint8_t *data, size_t size, size_t total,
                             int writable)
{
	void *copy = NULL;
	if (writable) {
		if (!(copy = malloc(size ? size : 1)))
			abort();
		memcpy(copy, data, size);
	}
	if (lb_dev_open_mem(d, copy ? copy : (void *)data, size, total, writable))
		abort();
	return copy;
}

/* Replaces the process's memfd contents with data; returns a path the engine can open
 * (/proc/self/fd/N). Exits on failure (the harness is broken, not the engine). */
static inline const char *fuzz_file(const uint8_t *data, size_t size)
{
	static char path[64];
	static int fd = -1;
	if (fd < 0) {
		fd = memfd_create("lb-fuzz", MFD_CLOEXEC);
		if (fd < 0) {
			perror("memfd_create");
			exit(2);
		}
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	}
	/* overwrite, then cut: truncating to 0 first would free and refill every page */
	if ((size && pwrite(fd, data, size, 0) != (ssize_t)size) || ftruncate(fd, (off_t)size) < 0) {
		perror("writing the memfd");
		exit(2);
	}
	return path;
}
#endif
