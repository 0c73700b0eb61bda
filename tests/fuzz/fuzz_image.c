/* Fuzz target: the image reader. The input is an image file: open it (segment header, META,
 * trailer and index), then read and decode every chunk as restore and verify do.
 *
 * Every header and body carries a CRC-32 (and 2.0 chunks an XXH3-128), so random mutations
 * would stop at the first check. Unless byte 59 of the segment header (reserved, 0 in real
 * images) is non-zero, the harness first recomputes every checksum of the mutated input, so the
 * fuzzer reaches the parsing behind them; with it non-zero the input is used as is (the
 * checksum paths). */
#include <stdlib.h>
#include <string.h>
#include "chksum.h"
#include "codec.h"
#include "fuzz.h"
#include "image.h"
#include "le.h"
#include "ptable.h"
#include "fix_crcs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct lb_dec *dec;
	static struct lb_extent ext[LB_SLOT_MAX_EXTENTS];
	void *dctx;
	struct lb_image img;
	struct lb_err err = { 0 };
	struct lb_slot s;
	size_t cap;
	static uint8_t scratch[LB_MAX_CHUNK];
	uint8_t *copy = malloc(size + 1);
	const char *path;
	if (!dec && !(dec = lb_dec_new()))
		abort();
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	fix_crcs(copy, size, dec, scratch);
	path = fuzz_file(copy, size);
	free(copy);
	if (lb_image_open(&img, path, &err))
		return 0;
	cap = lb_image_in_cap(&img);
	if (!(dctx = lb_decoder_new(&img)))
		abort();
	memset(&s, 0, sizeof s);
	s.ext = ext;
	/* exact sizes, so ASan sees any access past what the engine itself allocates */
	s.in = malloc(cap);
	s.out = malloc(img.info.chunk_size);
	if (!s.in || !s.out)
		abort();
	for (uint64_t n = 0; n < 100000; n++) {
		int rc = lb_image_next(&img, &s, cap, &err);
		if (rc)
			break;
		s.seq = n;
		s.err_code = 0;
		lb_chunk_decode(dctx, &s, path);
		if (s.err_code)
			break;
	}
	free(s.in);
	free(s.out);
	lb_decoder_free(dctx);
	lb_image_close(&img);
	return 0;
}
