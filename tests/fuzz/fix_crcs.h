/* fix_crcs.h — for the image fuzz targets (fuzz_image.c, fuzz_imgread.c): recomputes every
 * checksum of a mutated image (segment header, record headers and bodies, 2.0 chunk checksums),
 * so the fuzzer reaches the parsing behind them — unless byte 59 of the segment header
 * (reserved, 0 in real images) is non-zero: then the input is used as is (the checksum paths). */
#ifndef LB_FIX_CRCS_H
#define LB_FIX_CRCS_H
#include <string.h>
#include "chksum.h"
#include "codec.h"
#include "format.h"
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
#endif
