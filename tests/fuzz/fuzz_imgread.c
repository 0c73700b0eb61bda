/* Fuzz target: random access to an image (imgread.c, as serve and export read it). The input
 * is an image file (checksums recomputed, see fix_crcs.h): open it, walk its disk with
 * lb_imgread_map and read what it calls data, then read at a few offsets the input's last bytes
 * choose — each read is checked against the index, decoded and cached. */
#include <stdlib.h>
#include <string.h>
#include "fix_crcs.h"
#include "fuzz.h"
#include "imgread.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct lb_dec *dec;
	static uint8_t scratch[LB_MAX_CHUNK];
	struct lb_imgread *r;
	struct lb_imgread_worker *w;
	struct lb_err err = { 0 };
	uint8_t *copy = malloc(size + 1), *buf;
	uint64_t disk, off = 0;
	const char *path;
	if (!dec && !(dec = lb_dec_new()))
		abort();
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	fix_crcs(copy, size, dec, scratch);
	path = fuzz_file(copy, size);
	free(copy);
	if (lb_imgread_open(&r, path, NULL, NULL, 3, &err))
		return 0;
	disk = lb_imgread_size(r);
	if (!(w = lb_imgread_worker_new(r)) || !(buf = malloc(1u << 20)))
		abort();
	for (int steps = 0; steps < 2000 && off < disk; steps++) {
		uint64_t run;
		int is_data;
		memset(&err, 0, sizeof err);
		if (lb_imgread_map(w, off, disk - off, &is_data, &run, &err))
			break;
		if (!run || run > disk - off)
			__builtin_trap();    /* map must always move forward, inside the disk */
		if (is_data) {
			size_t n = run < (1u << 20) ? (size_t)run : 1u << 20;
			memset(&err, 0, sizeof err);
			lb_imgread_pread(w, buf, n, off, &err);
			off += n;
		} else {
			off += run;
		}
	}
	for (size_t i = 0; i + 8 <= size && i < 64 && disk; i += 8) {
		uint64_t at = le64(data + size - 8 - i) % disk;
		size_t n = disk - at < 300000 ? (size_t)(disk - at) : 300000;
		memset(&err, 0, sizeof err);
		lb_imgread_pread(w, buf, n, at, &err);
	}
	free(buf);
	lb_imgread_worker_free(w);
	lb_imgread_close(r);
	return 0;
}
