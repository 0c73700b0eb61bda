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

static void fix_crcs(uint8_t *b, size_t size, struct lb_dec *dec, uint8_t *scratch)
{
	size_t pos = LB_SEG_HDR_LEN;
	uint32_t last_trailer_crc = 0;
	unsigned major;
	if (size < LB_SEG_HDR_LEN || b[59])
		return;
	major = le16(b + 8);
	put32(b + 60, lb_crc32(0, b, 60));
	while (size - pos >= LB_REC_HDR_LEN && le32(b + pos) == LB_REC_MAGIC) {
		uint8_t *h = b + pos, *body = h + LB_REC_HDR_LEN;
		uint32_t stored = le32(h + 24), len = le32(h + 20), crc;
		size_t avail = size - pos - LB_REC_HDR_LEN;
		if (stored > avail)
			stored = (uint32_t)avail;
		switch (h[4]) {
		case LB_REC_META:
		case LB_REC_INDEX:
		case LB_REC_TRAILER:
			crc = lb_crc32(0, body, len <= avail ? len : avail);
			put32(h + 28, crc);
			if (h[4] == LB_REC_TRAILER)
				last_trailer_crc = crc;
			break;
		case LB_REC_CHUNK: {
			size_t table = (size_t)le32(h + 16) * 16;
			size_t got = 0;
			if (table > stored || (h[5] != LB_CODEC_ZERO && len > LB_MAX_CHUNK))
				break;
			if (major >= 2) {
				/* the checksum of the decoded data, then the CRC of the payload as stored */
				size_t at = table + LB_SUM_LEN;
				struct lb_sum sum;
				if (h[5] == LB_CODEC_STORED && stored - table >= LB_SUM_LEN + (size_t)len) {
					lb_sum_of(LB_SUM_XXH128, body, table, body + at, len, &sum);
					memcpy(body + table, sum.v, LB_SUM_LEN);
				} else if (h[5] > LB_CODEC_STORED && stored > at &&
				           !lb_dec_run(dec, h[5], body + at, stored - at, scratch, len)) {
					lb_sum_of(LB_SUM_XXH128, body, table, scratch, len, &sum);
					memcpy(body + table, sum.v, LB_SUM_LEN);
				}
				put32(h + 28, lb_crc32(0, body, stored));
				break;
			}
			crc = lb_crc32(0, body, table);
			if (h[5] == LB_CODEC_ZERO) {
				/* zeros: the CRC covers the extent table only */
			} else if (h[5] == LB_CODEC_STORED) {
				crc = lb_crc32(crc, body + table, stored - table < len ? stored - table : len);
			} else if (!lb_dec_run(dec, LB_CODEC_DEFLATE, body + table, stored - table, scratch,
			                       len)) {
				got = len;
				crc = lb_crc32(crc, scratch, got);
			}
			put32(h + 28, crc);
			break;
		}
		case LB_REC_END:
			put32(h + 28, last_trailer_crc);
			break;
		}
		put32(h + 36, lb_crc32(0, h, 36));
		pos += LB_REC_HDR_LEN + (size_t)stored;
	}
}

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
