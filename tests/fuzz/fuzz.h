/* fuzz.h — shared by the fuzz targets: the engine reads disks and images through paths, so
 * each input is written to one scratch file per process first. */
#ifndef LB_FUZZ_H
#define LB_FUZZ_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Replaces the scratch file's contents with data, followed by zeros up to total bytes (a
 * sparse tail); returns its path. Exits on failure (the harness is broken, not the engine). */
static inline const char *fuzz_disk(const uint8_t *data, size_t size, size_t total)
{
	static char path[64];
	static int fd = -1;
	if (fd < 0) {
		const char *dir = getenv("TMPDIR");
		snprintf(path, sizeof path, "%s/lb-fuzz.XXXXXX", dir && *dir ? dir : "/tmp");
		fd = mkstemp(path);
		if (fd < 0) {
			perror("mkstemp");
			exit(2);
		}
		unlink(path);   /* the engine opens /proc/self/fd/N; nothing is left behind */
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) < 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size) ||
	    (total > size && ftruncate(fd, (off_t)total) < 0)) {
		perror("writing the scratch file");
		exit(2);
	}
	return path;
}

static inline const char *fuzz_file(const uint8_t *data, size_t size)
{
	return fuzz_disk(data, size, size);
}
#endif
