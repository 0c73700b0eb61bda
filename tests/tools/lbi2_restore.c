/* lbi2_restore IMAGE OUTPUT: an independent reader of Lifeboat image format 2.0, written from
 * docs/FORMAT.md alone (no engine code), with libzstd, zlib and libxxhash. It proves the spec is
 * enough to restore an image and keeps it honest: every check of "What a reader checks" that
 * an unencrypted image allows is made here, and a failure exits 1 naming the stream offset.
 *
 * IMAGE is the first segment file (IMAGE.002, IMAGE.003... follow when it is split) or "-",
 * the concatenated segments on stdin. OUTPUT is created with the source's size when missing
 * (so it is sparse: holes where the image holds nothing); an existing file or device is
 * written in place. Zero chunks punch holes in a regular file (zeros elsewhere). Encrypted
 * images are refused (this reader has no libsodium). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#include <zlib.h>
#include <zstd.h>

#define MIB (1024u * 1024u)

static uint32_t u32(const unsigned char *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t u64(const unsigned char *p) { return u32(p) | (uint64_t)u32(p + 4) << 32; }
static uint32_t crc(const void *p, size_t n)
{
	/* zlib's crc32 takes a uInt length: feed large bodies in pieces */
	const unsigned char *b = p;
	uLong c = crc32(0, Z_NULL, 0);
	while (n) {
		uInt k = n > (1u << 30) ? 1u << 30 : (uInt)n;
		c = crc32(c, b, k);
		b += k;
		n -= k;
	}
	return (uint32_t)c;
}

static uint64_t rec_at;   /* stream offset of the record being read, for messages */

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "lbi2_restore: record at stream offset %" PRIu64 ": ", rec_at);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* ---- the stream: segment files, or one pipe with a segment header every capacity bytes ---- */
static struct {
	FILE *f;
	const char *base;
	int pipe;
	uint32_t seg;        /* index of the open segment */
	uint64_t id, cap;    /* from segment 0 */
	uint64_t left;       /* stream bytes left in the open segment (split images) */
	uint64_t pos;        /* stream offset */
} in;

static char *seg_name(uint32_t i)
{
	static char name[4096];
	if (i == 0)
		snprintf(name, sizeof name, "%s", in.base);
	else
		snprintf(name, sizeof name, "%s.%03" PRIu32, in.base, i + 1);
	return name;
}

static int seg_exists(uint32_t i) { return access(seg_name(i), F_OK) == 0; }

static void check_segment_header(const unsigned char *h, uint32_t want)
{
	if (memcmp(h, "LIFEBOAT", 8))
		die("segment %" PRIu32 ": not a Lifeboat image (magic)", want);
	if (crc(h, 60) != u32(h + 60))
		die("segment %" PRIu32 ": segment header CRC mismatch", want);
	unsigned major = h[8] | h[9] << 8, minor = h[10] | h[11] << 8;
	if (major != 2 || minor != 0)
		die("segment %" PRIu32 ": format version %u.%u, this reader reads 2.0 only", want, major, minor);
	uint32_t flags = u32(h + 32);
	if (flags & ~1u)
		die("segment %" PRIu32 ": unknown flags 0x%x: it needs a newer Lifeboat", want, flags);
	if (flags & 1)
		die("an encrypted image: this reader has no libsodium");
	if (u32(h + 12) != want)
		die("segment %" PRIu32 ": header says segment %" PRIu32, want, u32(h + 12));
	if (want == 0) {
		in.id = u64(h + 16);
		in.cap = u64(h + 24);
	} else if (u64(h + 16) != in.id) {
		die("segment %" PRIu32 " belongs to a different image", want);
	} else if (u64(h + 24) != in.cap) {
		die("segment %" PRIu32 ": capacity %" PRIu64 ", the first segment says %" PRIu64, want,
		    u64(h + 24), in.cap);
	}
}

/* Opens segment i (file mode) or reads its header (pipe); 0 at a clean end of the input. */
static int open_segment(uint32_t i)
{
	unsigned char h[64];
	if (!in.pipe) {
		if (in.f)
			fclose(in.f);
		in.f = fopen(seg_name(i), "rb");
		if (!in.f) {
			if (i == 0 || seg_exists(i + 1))
				die("segment %s is missing (%s)", seg_name(i), strerror(errno));
			return 0;
		}
	}
	size_t n = fread(h, 1, 64, in.f);
	if (n == 0 && i > 0)
		return 0;
	if (n != 64)
		die("segment %" PRIu32 ": truncated segment header", i);
	check_segment_header(h, i);
	in.seg = i;
	in.left = in.cap;
	return 1;
}

/* Reads n stream bytes; returns the bytes read (short only at the end of the input). */
static size_t sread(void *buf, size_t n)
{
	unsigned char *b = buf;
	size_t got = 0;
	while (got < n) {
		if (in.cap && in.left == 0 && !open_segment(in.seg + 1))
			break;
		size_t want = n - got;
		if (in.cap && want > in.left)
			want = (size_t)in.left;
		size_t k = fread(b + got, 1, want, in.f);
		got += k;
		in.pos += k;
		if (in.cap)
			in.left -= k;
		if (k < want) {
			if (in.cap && !in.pipe && seg_exists(in.seg + 1))
				die("segment %s is truncated: shorter than the capacity %" PRIu64, seg_name(in.seg),
				    in.cap);
			break;
		}
	}
	return got;
}

static void sread_all(void *buf, size_t n, const char *what)
{
	if (sread(buf, n) != n)
		die("the image ends inside %s: truncated or incomplete", what);
}

/* ---- the output ---- */
static int out_fd, out_regular;
static uint64_t out_size;   /* source.size */

static void out_write(const void *p, uint64_t off, uint64_t n)
{
	const unsigned char *b = p;
	while (n) {
		ssize_t k = pwrite(out_fd, b, n > (1u << 30) ? 1u << 30 : n, (off_t)off);
		if (k <= 0)
			die("writing the output at %" PRIu64 ": %s", off, k < 0 ? strerror(errno) : "short write");
		b += k;
		off += (uint64_t)k;
		n -= (uint64_t)k;
	}
}

static void out_zero(uint64_t off, uint64_t n)
{
	static const unsigned char zeros[MIB];
	if (out_regular && fallocate(out_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)n) == 0)
		return;
	for (uint64_t k; n; off += k, n -= k) {
		k = n < sizeof zeros ? n : sizeof zeros;
		out_write(zeros, off, k);
	}
}

/* ---- META ---- */
static int meta_get(const char *body, size_t len, const char *key, uint64_t *v)
{
	size_t kl = strlen(key);
	for (const char *p = body; p < body + len;) {
		const char *e = memchr(p, '\n', (size_t)(body + len - p));
		if (!e)
			e = body + len;
		if ((size_t)(e - p) > kl && !memcmp(p, key, kl) && p[kl] == '=') {
			char num[32];
			size_t l = (size_t)(e - p) - kl - 1;
			if (l == 0 || l >= sizeof num)
				return -1;
			memcpy(num, p + kl + 1, l);
			num[l] = 0;
			char *end;
			errno = 0;
			*v = strtoull(num, &end, 10);
			return *end || errno || num[0] == '-' ? -1 : 1;
		}
		p = e + 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned char h[40];
	uint64_t chunk_size = 16 * MIB /* without the key: the readers' limit */, nchunks = 0, logical = 0, stored_total = 0, prev_end = 0;
	uint64_t index_pos = 0, seen_index = 0, K = 0, trailer_at = 0;
	uint32_t trailer_crc = 0;
	int have_meta = 0, in_patches = 0, have_trailer = 0;
	/* chunks since the last INDEX record: offset, end, stream offset (at most 65536) */
	uint64_t (*pend)[3] = malloc(65536 * sizeof *pend);
	size_t npend = 0;
	/* the INDEX records seen: stream offset, lowest offset, highest end, entries */
	uint64_t (*idx)[4] = NULL;
	size_t idx_cap = 0;
	/* patch chunks' ranges, to check they never overlap (they are rare) */
	uint64_t (*patch)[2] = NULL;
	size_t npatch = 0, patch_cap = 0;
	uint64_t unread_bytes = 0;
	XXH3_state_t *xs = XXH3_createState();
	ZSTD_DCtx *zd = ZSTD_createDCtx();

	if (argc != 3) {
		fprintf(stderr, "usage: lbi2_restore IMAGE|- OUTPUT\n");
		return 2;
	}
	if (!pend || !xs || !zd || ZSTD_isError(ZSTD_DCtx_setParameter(zd, ZSTD_d_windowLogMax, 24)))
		die("out of memory");
	in.base = argv[1];
	in.pipe = !strcmp(argv[1], "-");
	if (in.pipe)
		in.f = stdin;
	open_segment(0);
	{
		struct stat st;
		out_fd = open(argv[2], O_WRONLY | O_CREAT, 0644);
		if (out_fd < 0)
			die("cannot open %s: %s", argv[2], strerror(errno));
		if (fstat(out_fd, &st))
			die("fstat %s: %s", argv[2], strerror(errno));
		out_regular = S_ISREG(st.st_mode);
	}

	for (;;) {
		rec_at = in.pos;
		size_t got = sread(h, 40);
		if (got == 0)
			die("the image ends without an END record: truncated or incomplete");
		if (got != 40)
			die("the image ends inside a record header: truncated or incomplete");
		if (u32(h) != 0x4352424c)
			die("no record here (bad record magic)");
		if (crc(h, 36) != u32(h + 36))
			die("record header CRC mismatch");
		unsigned type = h[4], codec = h[5], flags = h[6] | h[7] << 8;
		uint64_t off = u64(h + 8);
		uint32_t next = u32(h + 16), len = u32(h + 20), stored = u32(h + 24), pcrc = u32(h + 28);
		uint32_t seq = u32(h + 32);

		if (type == 4) { /* END */
			if (!have_trailer)
				die("END before any TRAILER");
			if (off != trailer_at || len || stored || pcrc != trailer_crc || seq != (uint32_t)nchunks)
				die("END does not match the TRAILER (offset, lengths, crc or chunk count)");
			unsigned char extra;
			if (sread(&extra, 1))
				die("data after the END record");
			if (!in.pipe && seg_exists(in.seg + 1))
				die("a segment %s exists after the one with END", seg_name(in.seg + 1));
			break;
		}
		if (have_trailer)
			die("a record of type %u after the TRAILER", type);
		if (type < 1 || type > 6)
			die("unknown record type %u", type);
		if (type == 6)
			die("a KEY record in an image not flagged encrypted");
		if (!have_meta && type != 1)
			die("the first record is type %u, not META", type);
		if (type == 1 && have_meta)
			die("a second META record");
		if (type != 2 && (codec || flags))
			die("codec/flags set on a record of type %u", type);

		/* bound the payload before allocating it: META <= 1 MiB, INDEX <= 24*65536 bytes,
		 * TRAILER <= 1 GiB, chunks: their table + checksum + at most 16 MiB of data */
		if (type == 2) {
			uint64_t table = (uint64_t)next * 16;
			uint64_t maxlen = codec == 0 ? (1u << 30) : 16 * MIB;
			if (codec > 3)
				die("chunk with unknown codec %u", codec);
			if (flags & ~3u)
				die("chunk with unknown flags 0x%x", flags);
			if (len == 0 || len > maxlen || (codec && len > chunk_size))
				die("chunk length %" PRIu32 " out of bounds (chunk_size %" PRIu64 ")", len, chunk_size);
			if (codec == 0 ? stored != table
			    : codec == 1 ? stored != table + 16 + len
			    : stored < table + 16 + 1 || stored - table - 16 > (uint64_t)len + len / 8 + 65536)
				die("chunk stored size %" PRIu32 " impossible for codec %u, %" PRIu32 " bytes", stored,
				    codec, len);
			if (next > len)
				die("chunk with more extents than bytes");
		} else if ((type == 1 && stored > MIB) || (type == 5 && stored > 24 * 65536) ||
			   (type == 3 && stored > (1u << 30))) {
			die("record of type %u too large (%" PRIu32 " bytes)", type, stored);
		}
		unsigned char *pay = malloc((size_t)stored + 1);
		if (!pay)
			die("out of memory for %" PRIu32 " bytes", stored);
		sread_all(pay, stored, "a record's payload");
		if (crc(pay, stored) != pcrc)
			die("payload CRC mismatch (type %u%s%" PRIu64 ")", type, type == 2 ? ", disk offset " : "",
			    type == 2 ? off : 0);

		if (type == 1) { /* META */
			uint64_t v;
			if (len != stored)
				die("META length != stored");
			if (memchr(pay, 0, stored))
				die("META holds a NUL byte");
			if (meta_get((char *)pay, stored, "source.size", &out_size) != 1 || out_size == 0)
				die("META without a valid source.size");
			int r = meta_get((char *)pay, stored, "chunk_size", &v);
			if (r < 0 || (r == 1 && (v == 0 || v > 16 * MIB)))
				die("META chunk_size invalid");
			if (r == 1)
				chunk_size = v;
			if (!strstr((char *)pay, "table=") || (memcmp(pay, "table=", 6) && !strstr((char *)pay, "\ntable=")))
				die("META without a table key");
			uint64_t parts = 0;
			if (meta_get((char *)pay, stored, "parts", &parts) < 0 || parts > 4096)
				die("META parts invalid");
			for (uint64_t i = 0; i < parts; i++) {   /* partitions lie inside the source */
				char k1[48], k2[48];
				uint64_t ps, pz;
				snprintf(k1, sizeof k1, "part.%" PRIu64 ".start", i);
				snprintf(k2, sizeof k2, "part.%" PRIu64 ".size", i);
				if (meta_get((char *)pay, stored, k1, &ps) != 1 || meta_get((char *)pay, stored, k2, &pz) != 1 ||
				    ps > out_size || pz > out_size - ps)
					die("META partition row %" PRIu64 " missing or outside the source", i);
			}
			have_meta = 1;
			struct stat st;
			if (out_regular && !fstat(out_fd, &st) && (uint64_t)st.st_size < out_size &&
			    ftruncate(out_fd, (off_t)out_size))
				die("cannot size the output to %" PRIu64 ": %s", out_size, strerror(errno));
		} else if (type == 2) { /* CHUNK */
			uint64_t table = (uint64_t)next * 16, end = off + len, sum = 0;
			int patch_flag = flags & 2;
			if (seq != (uint32_t)nchunks)
				die("chunk sequence %" PRIu32 ", expected %" PRIu32, seq, (uint32_t)nchunks);
			/* the ranges: sorted, not overlapping, first at offset, lengths adding to length */
			if (next) {
				uint64_t at = off;
				for (uint32_t i = 0; i < next; i++) {
					uint64_t eo = u64(pay + i * 16), el = u64(pay + i * 16 + 8);
					if ((i == 0 ? eo != off : eo < at) || el == 0 || eo + el < eo)
						die("chunk at %" PRIu64 ": extent %" PRIu32 " unsorted, overlapping or empty", off, i);
					at = eo + el;
					sum += el;
				}
				if (sum != len)
					die("chunk at %" PRIu64 ": extents add up to %" PRIu64 ", length is %" PRIu32, off, sum, len);
				end = at;
			}
			if (end > out_size || end < off)
				die("chunk at %" PRIu64 " ends at %" PRIu64 ", past the source's %" PRIu64, off, end, out_size);
			if (patch_flag) {
				for (size_t i = 0; i < npatch; i++)
					if (off < patch[i][1] && patch[i][0] < end)
						die("patch chunk at %" PRIu64 " overlaps another", off);
				if (npatch == patch_cap) {
					patch_cap = patch_cap ? patch_cap * 2 : 64;
					patch = realloc(patch, patch_cap * sizeof *patch);
					if (!patch)
						die("out of memory");
				}
				patch[npatch][0] = off;
				patch[npatch++][1] = end;
				in_patches = 1;
			} else {
				if (in_patches)
					die("ordinary chunk at %" PRIu64 " after a patch chunk", off);
				if (nchunks && off < prev_end)
					die("chunk at %" PRIu64 " overlaps or precedes the previous chunk (ends %" PRIu64 ")", off,
					    prev_end);
				prev_end = end;
			}
			if (codec == 0) {
				for (uint32_t i = 0; i < (next ? next : 1); i++)
					out_zero(next ? u64(pay + i * 16) : off, next ? u64(pay + i * 16 + 8) : len);
			} else {
				unsigned char *data, *z = pay + table + 16;
				size_t zlen = stored - table - 16;
				if (codec == 1) {
					data = z;
				} else if (!(data = malloc(len))) {
					die("out of memory");
				} else if (codec == 2) {
					z_stream s;
					memset(&s, 0, sizeof s);
					if (inflateInit2(&s, -15) != Z_OK)
						die("inflateInit2 failed");
					s.next_in = z;
					s.avail_in = (uInt)zlen;
					s.next_out = data;
					s.avail_out = len;
					int r = inflate(&s, Z_FINISH);
					if (r != Z_STREAM_END || s.total_out != len)
						die("chunk at %" PRIu64 ": DEFLATE data does not inflate to %" PRIu32 " bytes (%s)", off,
						    len, s.msg ? s.msg : "short");
					if (s.avail_in)
						die("chunk at %" PRIu64 ": %u bytes after the DEFLATE stream", off, s.avail_in);
					inflateEnd(&s);
				} else {
					unsigned long long fl = ZSTD_findFrameCompressedSize(z, zlen);
					unsigned long long cs = ZSTD_getFrameContentSize(z, zlen);
					if (ZSTD_isError(fl) || fl != zlen)
						die("chunk at %" PRIu64 ": not exactly one zstd frame filling the payload", off);
					if (ZSTD_getDictID_fromFrame(z, zlen))
						die("chunk at %" PRIu64 ": zstd frame needs a dictionary", off);
					if (cs != ZSTD_CONTENTSIZE_UNKNOWN && cs != len)
						die("chunk at %" PRIu64 ": zstd frame content size %llu, length %" PRIu32, off, cs, len);
					size_t r = ZSTD_decompressDCtx(zd, data, len, z, zlen);
					if (ZSTD_isError(r) || r != len)
						die("chunk at %" PRIu64 ": zstd frame does not decode to %" PRIu32 " bytes (%s)", off, len,
						    ZSTD_isError(r) ? ZSTD_getErrorName(r) : "short");
				}
				/* XXH3-128 of the extent table then the logical data, canonical form */
				XXH128_canonical_t want;
				XXH3_128bits_reset(xs);
				XXH3_128bits_update(xs, pay, table);
				XXH3_128bits_update(xs, data, len);
				XXH128_canonicalFromHash(&want, XXH3_128bits_digest(xs));
				if (memcmp(&want, pay + table, 16))
					die("chunk at disk offset %" PRIu64 ": XXH3-128 checksum mismatch after decoding", off);
				unsigned char *p = data;
				for (uint32_t i = 0; i < (next ? next : 1); i++) {
					uint64_t el = next ? u64(pay + i * 16 + 8) : len;
					out_write(p, next ? u64(pay + i * 16) : off, el);
					p += el;
				}
				if (data != z)
					free(data);
			}
			if (npend == 65536)
				die("more than 65536 chunks without an INDEX record");
			pend[npend][0] = off;
			pend[npend][1] = end;
			pend[npend++][2] = rec_at;
			nchunks++;
			logical += len;
			stored_total += stored;
		} else if (type == 5) { /* INDEX */
			if (next < 1 || next > 65536 || len != stored || stored != 24 * next)
				die("INDEX with %" PRIu32 " entries and %" PRIu32 " bytes", next, stored);
			if (seq != (uint32_t)seen_index || off != index_pos)
				die("INDEX %" PRIu64 " out of order (offset %" PRIu64 ", seq %" PRIu32 ")", seen_index, off, seq);
			if (next != npend)
				die("INDEX %" PRIu64 " lists %" PRIu32 " chunks, %zu came since the previous one", seen_index,
				    next, npend);
			if (seen_index == 0)
				K = next;   /* every INDEX but the last holds exactly K: the first tells K */
			else if (idx[seen_index - 1][3] != K)   /* the previous one was not the last */
				die("INDEX %" PRIu64 " follows a short INDEX record", seen_index);
			if (next > K)
				die("INDEX %" PRIu64 " longer than the first (%" PRIu64 ")", seen_index, K);
			uint64_t lo = UINT64_MAX, hi = 0;
			for (uint32_t i = 0; i < next; i++) {
				for (int k = 0; k < 3; k++)
					if (u64(pay + 24 * i + 8 * k) != pend[i][k])
						die("INDEX %" PRIu64 " entry %" PRIu32 " does not match chunk %" PRIu64, seen_index, i,
						    index_pos + i);
				lo = pend[i][0] < lo ? pend[i][0] : lo;
				hi = pend[i][1] > hi ? pend[i][1] : hi;
			}
			if (seen_index == idx_cap) {
				idx_cap = idx_cap ? idx_cap * 2 : 64;
				if (idx_cap > (1u << 21) || !(idx = realloc(idx, idx_cap * sizeof *idx)))
					die("too many INDEX records");
			}
			idx[seen_index][0] = rec_at;
			idx[seen_index][1] = lo;
			idx[seen_index][2] = hi;
			idx[seen_index][3] = next;
			seen_index++;
			index_pos += next;
			npend = 0;
		} else if (type == 3) { /* TRAILER */
			if (len != stored || stored < 64)
				die("TRAILER of %" PRIu32 " bytes", stored);
			if (npend)
				die("%zu chunks after the last INDEX record", npend);
			uint64_t N = u64(pay), M = u64(pay + 32), B = u64(pay + 24), tk = u32(pay + 40);
			if (N != nchunks || u64(pay + 8) != logical || u64(pay + 16) != stored_total)
				die("TRAILER totals (%" PRIu64 " chunks, %" PRIu64 " logical, %" PRIu64
				    " stored) differ from the chunks read (%" PRIu64 ", %" PRIu64 ", %" PRIu64 ")",
				    N, u64(pay + 8), u64(pay + 16), nchunks, logical, stored_total);
			/* every INDEX record but the last holds exactly K entries, the last 1 to K */
			if (tk < 1 || tk > 65536 || (seen_index > 1 && K != tk) || (seen_index && idx[seen_index - 1][3] > tk))
				die("TRAILER K = %" PRIu64 ", the INDEX records do not hold K entries each", tk);
			if (M != seen_index || M != (N + tk - 1) / tk)
				die("TRAILER lists %" PRIu64 " INDEX records, %" PRIu64 " were read (N %" PRIu64 ", K %" PRIu64 ")",
				    M, seen_index, N, tk);
			if (u32(pay + 44) || u64(pay + 56))
				die("TRAILER reserved fields not zero");
			if (M > (1u << 21) || B > ((1u << 30) - 64) / 16 || (uint64_t)stored != 64 + 24 * M + 16 * B)
				die("TRAILER length %" PRIu32 " does not match M %" PRIu64 " and B %" PRIu64, stored, M, B);
			for (uint64_t j = 0; j < M; j++) {
				const unsigned char *e = pay + 64 + 24 * j;
				if (u64(e) != idx[j][0] || u64(e + 8) != idx[j][1] || u64(e + 16) != idx[j][2])
					die("TRAILER entry for INDEX %" PRIu64 " does not match it", j);
			}
			for (uint64_t b = 0; b < B; b++) {
				const unsigned char *e = pay + 64 + 24 * M + 16 * b;
				if (u64(e + 8) == 0 || u64(e) + u64(e + 8) > out_size)
					die("TRAILER unreadable range %" PRIu64 " empty or outside the disk", b);
				unread_bytes += u64(e + 8);
			}
			if (unread_bytes != u64(pay + 48))
				die("TRAILER unreadable bytes %" PRIu64 ", its ranges add up to %" PRIu64, u64(pay + 48), unread_bytes);
			have_trailer = 1;
			trailer_at = rec_at;
			trailer_crc = pcrc;
		}
		free(pay);
	}
	if ((out_regular && fsync(out_fd)) || close(out_fd))
		die("closing the output: %s", strerror(errno));
	printf("%" PRIu64 " chunks, %" PRIu64 " bytes restored and checked (%" PRIu64 " INDEX records, "
	       "%" PRIu32 " segments; zstd %s, zlib %s, xxhash %u)\n",
	       nchunks, logical, seen_index, in.seg + 1, ZSTD_versionString(), zlibVersion(), XXH_versionNumber());
	/* freed for the sanitizer builds' leak check (the asan suite runs this tool too) */
	free(pend);
	free(idx);
	free(patch);
	XXH3_freeState(xs);
	ZSTD_freeDCtx(zd);
	return 0;
}
