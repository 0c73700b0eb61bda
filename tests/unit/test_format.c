/* Record and segment headers: round trips, and every single-bit corruption detected. */
#include <string.h>
#include "format.h"
#include "lifeboat.h"
#include "unit.h"

int main(void)
{
	struct lb_seg_hdr s = { LB_FMT_MAJOR, LB_FMT_MINOR, 3, 0x1122334455667788ULL, 1u << 20 }, s2;
	struct lb_rec r = { LB_REC_CHUNK, LB_CODEC_DEFLATE, 0, 123456789, 3, 4096, 3 * 16 + 100, 0xdeadbeef, 7 }, r2;
	uint8_t sb[LB_SEG_HDR_LEN], rb[LB_REC_HDR_LEN];
	char why[256];

	lb_seg_encode(&s, sb);
	CHECK(lb_seg_decode(sb, &s2, why, sizeof why) == 0);
	CHECK(s2.index == 3 && s2.image_id == s.image_id && s2.capacity == s.capacity);
	for (int bit = 0; bit < LB_SEG_HDR_LEN * 8; bit++) {
		uint8_t c[LB_SEG_HDR_LEN];
		memcpy(c, sb, sizeof c);
		c[bit / 8] ^= (uint8_t)(1 << (bit % 8));
		CHECK(lb_seg_decode(c, &s2, why, sizeof why) != 0);
	}
	memcpy(sb, "NOTLIFEB", 8);
	CHECK(lb_seg_decode(sb, &s2, why, sizeof why) == LB_EFOREIGN);

	lb_rec_encode(&r, rb);
	CHECK(lb_rec_decode(rb, &r2, why, sizeof why) == 0);
	CHECK(r2.offset == r.offset && r2.nextents == 3 && r2.length == 4096 && r2.crc == r.crc &&
	      r2.seq == 7 && r2.codec == LB_CODEC_DEFLATE);
	for (int bit = 0; bit < LB_REC_HDR_LEN * 8; bit++) {
		uint8_t c[LB_REC_HDR_LEN];
		memcpy(c, rb, sizeof c);
		c[bit / 8] ^= (uint8_t)(1 << (bit % 8));
		CHECK(lb_rec_decode(c, &r2, why, sizeof why) != 0);
	}
	/* impossible sizes are refused even with a valid CRC */
	r.length = LB_MAX_CHUNK + 1;
	lb_rec_encode(&r, rb);
	CHECK(lb_rec_decode(rb, &r2, why, sizeof why) != 0);
	r.length = 4096;
	r.codec = LB_CODEC_STORED;
	r.stored = 10;                       /* stored chunks carry exactly table + length */
	lb_rec_encode(&r, rb);
	CHECK(lb_rec_decode(rb, &r2, why, sizeof why) != 0);
	r.codec = 9;
	lb_rec_encode(&r, rb);
	CHECK(lb_rec_decode(rb, &r2, why, sizeof why) != 0);
	r.codec = LB_CODEC_ZERO;
	r.nextents = LB_MAX_EXTENTS + 1;
	r.stored = r.nextents * 16;
	lb_rec_encode(&r, rb);
	CHECK(lb_rec_decode(rb, &r2, why, sizeof why) != 0);
	return UNIT_DONE();
}
