/* Record and segment headers: round trips, and every single-bit corruption detected; version
 * checks; INDEX records and zero chunks within their limits. */
#include <string.h>
#include "format.h"
#include "lifeboat.h"
#include "unit.h"

int main(void)
{
	struct lb_seg_hdr s = { LB_FMT_MAJOR, LB_FMT_MINOR, 3, 0x1122334455667788ULL, 1u << 20, 0 }, s2;
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
	/* 1.0, 1.1 and 2.0 are read; 1.2, 2.1 and 3.0 need a newer Lifeboat, and say so */
	{
		static const unsigned ver[][3] = { { 1, 0, 0 }, { 1, 1, 0 }, { 2, 0, 0 }, { 1, 2, 1 },
		                                   { 2, 1, 1 }, { 3, 0, 1 }, { 0, 9, 1 } };
		for (unsigned v = 0; v < sizeof ver / sizeof ver[0]; v++) {
			struct lb_seg_hdr h = s;
			h.major = ver[v][0];
			h.minor = ver[v][1];
			lb_seg_encode(&h, sb);
			why[0] = 0;
			CHECK(lb_seg_decode(sb, &s2, why, sizeof why) == (ver[v][2] ? LB_EVERSION : 0));
			CHECK(!ver[v][2] || strstr(why, "reads versions 1.0, 1.1 and 2.0"));
			CHECK(!ver[v][2] || !h.major || strstr(why, "needs a newer Lifeboat"));
		}
	}
	/* 2.0 segment flags: bit 0 (encrypted) is known, others need a newer Lifeboat; in 1.x the
	 * field was reserved and is not read */
	{
		struct lb_seg_hdr h = s;
		h.flags = LB_SEG_ENCRYPTED;
		lb_seg_encode(&h, sb);
		CHECK(lb_seg_decode(sb, &s2, why, sizeof why) == 0 && s2.flags == LB_SEG_ENCRYPTED);
		h.flags = 0x4;
		lb_seg_encode(&h, sb);
		CHECK(lb_seg_decode(sb, &s2, why, sizeof why) == LB_EVERSION &&
		      strstr(why, "segment flags 0x4"));
		h.major = 1;
		h.minor = 1;
		lb_seg_encode(&h, sb);
		CHECK(lb_seg_decode(sb, &s2, why, sizeof why) == 0 && s2.flags == 0);
	}
	memcpy(sb, "NOTLIFEB", 8);
	CHECK(lb_seg_decode(sb, &s2, why, sizeof why) == LB_EFOREIGN);

	lb_rec_encode(&r, rb);
	CHECK(lb_rec_decode(rb, &r2, 1, 0, why, sizeof why) == 0);
	CHECK(r2.offset == r.offset && r2.nextents == 3 && r2.length == 4096 && r2.crc == r.crc &&
	      r2.seq == 7 && r2.codec == LB_CODEC_DEFLATE);
	for (int bit = 0; bit < LB_REC_HDR_LEN * 8; bit++) {
		uint8_t c[LB_REC_HDR_LEN];
		memcpy(c, rb, sizeof c);
		c[bit / 8] ^= (uint8_t)(1 << (bit % 8));
		CHECK(lb_rec_decode(c, &r2, 1, 0, why, sizeof why) != 0);
	}
	/* impossible sizes are refused even with a valid CRC */
	r.length = LB_MAX_CHUNK + 1;
	lb_rec_encode(&r, rb);
	CHECK(lb_rec_decode(rb, &r2, 1, 0, why, sizeof why) != 0);
	r.length = 4096;
	r.codec = LB_CODEC_STORED;
	r.stored = 10;                       /* stored chunks carry exactly table + length */
	lb_rec_encode(&r, rb);
	CHECK(lb_rec_decode(rb, &r2, 1, 0, why, sizeof why) != 0);
	r.codec = 9;
	lb_rec_encode(&r, rb);
	CHECK(lb_rec_decode(rb, &r2, 1, 0, why, sizeof why) != 0);
	r.codec = LB_CODEC_ZERO;
	r.nextents = LB_MAX_EXTENTS + 1;
	r.stored = r.nextents * 16;
	lb_rec_encode(&r, rb);
	CHECK(lb_rec_decode(rb, &r2, 1, 0, why, sizeof why) != 0);

	/* zero chunks may cover up to LB_MAX_ZERO (holes); chunks with data stay <= LB_MAX_CHUNK */
	r.nextents = 0;
	r.stored = 0;
	r.length = LB_MAX_ZERO;
	lb_rec_encode(&r, rb);
	CHECK(lb_rec_decode(rb, &r2, 1, 0, why, sizeof why) == 0 && r2.length == LB_MAX_ZERO);
	r.length = LB_MAX_ZERO + 1;
	lb_rec_encode(&r, rb);
	CHECK(lb_rec_decode(rb, &r2, 1, 0, why, sizeof why) != 0);
	r.codec = LB_CODEC_DEFLATE;
	r.length = LB_MAX_CHUNK * 2;
	r.stored = 1000;
	lb_rec_encode(&r, rb);
	CHECK(lb_rec_decode(rb, &r2, 1, 0, why, sizeof why) != 0);
	r.offset = UINT64_MAX - 10;   /* a zero chunk cannot wrap around the address space */
	r.codec = LB_CODEC_ZERO;
	r.length = LB_MAX_ZERO;
	r.stored = 0;
	lb_rec_encode(&r, rb);
	CHECK(lb_rec_decode(rb, &r2, 1, 0, why, sizeof why) != 0);

	/* INDEX records: 1..LB_MAX_INDEX_EVERY entries of 24 bytes, offset = first chunk's seq */
	{
		struct lb_rec x = { LB_REC_INDEX, 0, 0, 1ULL << 40, LB_INDEX_EVERY,
		                    LB_INDEX_EVERY * LB_INDEX_ENTRY, LB_INDEX_EVERY * LB_INDEX_ENTRY,
		                    0x12345678, 77 }, y;
		lb_rec_encode(&x, rb);
		CHECK(lb_rec_decode(rb, &y, 1, 0, why, sizeof why) == 0);
		CHECK(y.type == LB_REC_INDEX && y.offset == 1ULL << 40 && y.nextents == LB_INDEX_EVERY &&
		      y.seq == 77 && y.crc == 0x12345678);
		x.nextents = 0;
		x.length = x.stored = 0;
		lb_rec_encode(&x, rb);
		CHECK(lb_rec_decode(rb, &y, 1, 0, why, sizeof why) != 0);
		x.nextents = LB_MAX_INDEX_EVERY + 1;
		x.length = x.stored = x.nextents * LB_INDEX_ENTRY;
		lb_rec_encode(&x, rb);
		CHECK(lb_rec_decode(rb, &y, 1, 0, why, sizeof why) != 0);
		x.nextents = 3;
		x.length = x.stored = 3 * LB_INDEX_ENTRY + 1;   /* not a whole number of entries */
		lb_rec_encode(&x, rb);
		CHECK(lb_rec_decode(rb, &y, 1, 0, why, sizeof why) != 0);
		x.length = 3 * LB_INDEX_ENTRY;
		x.stored = x.length + 8;
		lb_rec_encode(&x, rb);
		CHECK(lb_rec_decode(rb, &y, 1, 0, why, sizeof why) != 0);
		x.type = 7;   /* unknown record types are refused by name */
		x.stored = x.length;
		lb_rec_encode(&x, rb);
		CHECK(lb_rec_decode(rb, &y, 1, 0, why, sizeof why) != 0 && strstr(why, "unknown record type"));
	}
	/* 2.0 chunks: [table][checksum 16 B][data]; zstd only from 2.0; sealed payloads 40 B more */
	{
		struct lb_rec x = { LB_REC_CHUNK, LB_CODEC_STORED, 0, 1 << 20, 2, 4096, 2 * 16 + 4096,
		                    0x1234, 3 }, y;
		lb_rec_encode(&x, rb);
		CHECK(lb_rec_decode(rb, &y, 1, 0, why, sizeof why) == 0);
		CHECK(lb_rec_decode(rb, &y, 2, 0, why, sizeof why) != 0);   /* no room for the checksum */
		x.stored = 2 * 16 + 16 + 4096;
		lb_rec_encode(&x, rb);
		CHECK(lb_rec_decode(rb, &y, 2, 0, why, sizeof why) == 0);
		CHECK(lb_rec_decode(rb, &y, 1, 0, why, sizeof why) != 0);
		CHECK(lb_rec_decode(rb, &y, 2, LB_SEAL_LEN, why, sizeof why) != 0);
		x.stored += LB_SEAL_LEN;
		lb_rec_encode(&x, rb);
		CHECK(lb_rec_decode(rb, &y, 2, LB_SEAL_LEN, why, sizeof why) == 0);
		CHECK(lb_chunk_data_at(2, LB_CODEC_STORED, 2) == 48 && lb_chunk_data_at(1, 1, 2) == 32 &&
		      lb_chunk_data_at(2, LB_CODEC_ZERO, 2) == 32);
		x.codec = LB_CODEC_ZSTD;
		x.stored = 2 * 16 + 16 + 100;
		lb_rec_encode(&x, rb);
		CHECK(lb_rec_decode(rb, &y, 2, 0, why, sizeof why) == 0 && y.codec == LB_CODEC_ZSTD);
		CHECK(lb_rec_decode(rb, &y, 1, 0, why, sizeof why) != 0 && strstr(why, "unknown codec"));
		x.stored = 2 * 16 + 16;   /* a compressed chunk has data */
		lb_rec_encode(&x, rb);
		CHECK(lb_rec_decode(rb, &y, 2, 0, why, sizeof why) != 0);
		x.codec = LB_CODEC_ZERO;  /* zero chunks: the table only, no checksum */
		x.stored = 2 * 16;
		lb_rec_encode(&x, rb);
		CHECK(lb_rec_decode(rb, &y, 2, 0, why, sizeof why) == 0);
		/* KEY records exist from 2.0 on, 80 bytes, never sealed */
		struct lb_rec k = { LB_REC_KEY, 0, 0, 0, 0, 80, 80, 0x99, 0 };
		lb_rec_encode(&k, rb);
		CHECK(lb_rec_decode(rb, &y, 2, 0, why, sizeof why) == 0 && y.type == LB_REC_KEY);
		CHECK(lb_rec_decode(rb, &y, 1, 0, why, sizeof why) != 0 && strstr(why, "unknown record"));
	}
	/* a 1.1 trailer listing the most INDEX records a reader accepts fits its limit, and
	 * describes at least 8 PiB of 1 MiB chunks */
	CHECK((uint64_t)LB_MAX_PIECES * LB_PIECE_ENTRY + LB_TRAILER11_FIXED < LB_MAX_TRAILER);
	CHECK((uint64_t)LB_MAX_PIECES * LB_INDEX_EVERY * LB_CHUNK_SIZE >= (8ULL << 50));
	return UNIT_DONE();
}
