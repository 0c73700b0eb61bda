/* zlib_restore IMAGE OUTPUT: an independent reader of the Lifeboat image format written from
 * docs/FORMAT.md, decoding chunks with plain zlib (inflate, raw DEFLATE) and checking CRCs with
 * zlib's crc32. It proves images are decodable by any zlib and keeps the spec honest.
 * Versions 1.0 and 1.1 (INDEX records: checked and skipped), and 2.0 images written with
 * --codec deflate, unencrypted: there each payload's CRC-32 is checked and the decoded length,
 * but not the XXH3-128 checksum (zlib has none; the point is that zlib alone restores them).
 * Single-segment images only. Exit 0 when every chunk decoded and checked. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static uint32_t u32(const unsigned char *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t u64(const unsigned char *p) { return u32(p) | (uint64_t)u32(p + 4) << 32; }

static void die(const char *m) { fprintf(stderr, "zlib_restore: %s\n", m); exit(1); }

static void rd(FILE *f, void *b, size_t n) { if (fread(b, 1, n, f) != n) die("short read"); }

int main(int argc, char **argv)
{
	FILE *in, *out;
	unsigned char seg[64], h[40];
	unsigned long chunks = 0;
	if (argc != 3)
		die("usage: zlib_restore IMAGE OUTPUT");
	in = fopen(argv[1], "rb");
	out = fopen(argv[2], "r+b");
	if (!in || !out)
		die("cannot open files");
	rd(in, seg, 64);
	if (memcmp(seg, "LIFEBOAT", 8) || crc32(0, seg, 60) != u32(seg + 60))
		die("bad segment header");
	int v2 = seg[8] == 2;
	if (!((seg[8] == 1 && seg[10] <= 1) || (v2 && seg[10] == 0)) || seg[9] || seg[11])
		die("not format version 1.0, 1.1 or 2.0");
	if (v2 && u32(seg + 32))
		die("an encrypted (or newer) 2.0 image");
	for (;;) {
		unsigned type, codec;
		uint32_t next, len, stored, crc;
		uint64_t off;
		unsigned char *pay, *data;
		size_t table;
		uLong c;
		rd(in, h, 40);
		if (u32(h) != 0x4352424c || crc32(0, h, 36) != u32(h + 36))
			die("bad record header");
		type = h[4];
		codec = h[5];
		off = u64(h + 8);
		next = u32(h + 16);
		len = u32(h + 20);
		stored = u32(h + 24);
		crc = u32(h + 28);
		if (type == 4)
			break;
		if (type < 1 || type > 5)
			die("unknown record type");
		if (type == 2 && codec > 2)
			die("a chunk whose codec zlib does not have (zstd?)");
		if (type == 2 && codec == 0) {
			/* zero chunks (up to 1 GiB in 1.1) carry only their extent table */
			static const unsigned char zeros[65536];
			unsigned char *tab = malloc(stored + 1);
			if (!tab || stored != (next ? next * 16 : 0))
				die("bad zero chunk");
			rd(in, tab, stored);
			if (crc32(0, tab, stored) != crc)
				die("chunk checksum mismatch");
			for (uint32_t i = 0; i < (next ? next : 1); i++) {
				uint64_t eo = next ? u64(tab + i * 16) : off, el = next ? u64(tab + i * 16 + 8) : len;
				if (fseeko(out, (off_t)eo, SEEK_SET))
					die("seek failed");
				for (; el; el -= el < sizeof zeros ? el : sizeof zeros)
					if (fwrite(zeros, 1, el < sizeof zeros ? el : sizeof zeros, out) !=
					    (el < sizeof zeros ? el : sizeof zeros))
						die("write failed");
			}
			chunks++;
			free(tab);
			continue;
		}
		pay = malloc(stored + 1);
		if (!pay)
			die("out of memory");
		rd(in, pay, stored);
		if (type != 2) {
			if (crc32(0, pay, stored) != crc)
				die("bad META/TRAILER/INDEX checksum");
			free(pay);
			continue;
		}
		table = next ? (size_t)next * 16 : 0;
		data = calloc(1, len + 1);
		if (!data)
			die("out of memory");
		c = crc32(0, pay, table);
		if (v2) {
			/* 2.0: the CRC covers the payload as stored; an XXH3-128 follows the table */
			if (crc32(0, pay, stored) != crc || stored < table + 16)
				die("chunk payload CRC mismatch");
			memmove(pay + table, pay + table + 16, stored - table - 16);
			stored -= 16;
		}
		if (codec == 1) {
			memcpy(data, pay + table, len);
		} else if (codec == 2) {
			z_stream z;
			memset(&z, 0, sizeof z);
			if (inflateInit2(&z, -15) != Z_OK)
				die("inflateInit2");
			z.next_in = pay + table;
			z.avail_in = stored - table;
			z.next_out = data;
			z.avail_out = len;
			if (inflate(&z, Z_FINISH) != Z_STREAM_END || z.total_out != len)
				die("inflate failed");
			inflateEnd(&z);
		}
		if (codec != 0)
			c = crc32(c, data, len);
		if (!v2 && c != crc)
			die("chunk checksum mismatch");
		{
			unsigned char *p = data;
			for (uint32_t i = 0; i < (next ? next : 1); i++) {
				uint64_t eo = next ? u64(pay + i * 16) : off, el = next ? u64(pay + i * 16 + 8) : len;
				if (fseeko(out, (off_t)eo, SEEK_SET) || fwrite(p, 1, el, out) != el)
					die("write failed");
				p += el;
			}
		}
		chunks++;
		free(data);
		free(pay);
	}
	if (fclose(out))
		die("close failed");
	printf("%lu chunks decoded with zlib %s\n", chunks, zlibVersion());
	return 0;
}
