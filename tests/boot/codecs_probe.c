/* codecs_probe: exercises the libraries behind image format 2.0 — libzstd, libxxhash,
 * libsodium — through the calls the engine makes, so tests/boot/static-codecs.test.sh can build
 * it against the static musl sysroot and against the host's libraries and compare the two.
 *   codecs_probe zstd-pack IN OUT     IN compressed as one zstd frame (level 3)
 *   codecs_probe zstd-unpack IN OUT   the zstd frames of IN decoded (any zstd tool's output)
 *   codecs_probe xxh128 FILE          XXH3-128 of FILE, as xxh128sum prints it
 *   codecs_probe seal                 Argon2id key and an XChaCha20-Poly1305 record (hex);
 *                                     exit 1 if an altered record or a wrong key is accepted
 *   codecs_probe versions             the library versions
 * Exit 0 on success, 1 with a message on stderr otherwise. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include <zstd.h>

static void die(const char *m) { fprintf(stderr, "codecs_probe: %s\n", m); exit(1); }

static unsigned char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	unsigned char *b = NULL;
	size_t cap = 0, got;
	if (!f)
		die("cannot open input");
	*n = 0;
	do {
		if (*n == cap && !(b = realloc(b, cap = cap ? 2 * cap : 1 << 16)))
			die("out of memory");
		got = fread(b + *n, 1, cap - *n, f);
		*n += got;
	} while (got);
	if (ferror(f))
		die("read error");
	fclose(f);
	return b;
}

static void spill(const char *path, const void *b, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(b, 1, n, f) != n || fclose(f))
		die("cannot write output");
}

static void hex(const char *label, const unsigned char *b, size_t n)
{
	printf("%s ", label);
	for (size_t i = 0; i < n; i++)
		printf("%02x", b[i]);
	putchar('\n');
}

static int zstd_pack(const char *in, const char *out)
{
	size_t n, bound, z;
	unsigned char *src = slurp(in, &n), *dst;
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	bound = ZSTD_compressBound(n);
	if (!cc || !(dst = malloc(bound)))
		die("out of memory");
	z = ZSTD_compressCCtx(cc, dst, bound, src, n, 3);
	if (ZSTD_isError(z))
		die(ZSTD_getErrorName(z));
	spill(out, dst, z);
	ZSTD_freeCCtx(cc);
	free(src);
	free(dst);
	return 0;
}

static int zstd_unpack(const char *in, const char *out)
{
	size_t n, r = 0;
	unsigned char *src = slurp(in, &n);
	ZSTD_DCtx *dc = ZSTD_createDCtx();
	ZSTD_inBuffer ib = { src, n, 0 };
	size_t cap = ZSTD_DStreamOutSize();
	FILE *f = fopen(out, "wb");
	unsigned char *buf = malloc(cap);
	if (!dc || !buf || !f)
		die("cannot set up the decoder");
	while (ib.pos < ib.size) {
		ZSTD_outBuffer ob = { buf, cap, 0 };
		r = ZSTD_decompressStream(dc, &ob, &ib);
		if (ZSTD_isError(r))
			die(ZSTD_getErrorName(r));
		if (fwrite(buf, 1, ob.pos, f) != ob.pos)
			die("write error");
	}
	if (r != 0)
		die("truncated zstd frame");
	if (fclose(f))
		die("write error");
	ZSTD_freeDCtx(dc);
	free(src);
	free(buf);
	return 0;
}

static int xxh128(const char *path)
{
	size_t n;
	unsigned char *b = slurp(path, &n);
	XXH128_canonical_t c;
	XXH128_canonicalFromHash(&c, XXH3_128bits(b, n));
	for (size_t i = 0; i < sizeof c.digest; i++)
		printf("%02x", c.digest[i]);
	printf("  %s\n", path);
	free(b);
	return 0;
}

/* Fixed inputs so two builds can be compared byte for byte. */
static int seal(void)
{
	static const char pass[] = "correct horse battery staple";
	unsigned char salt[crypto_pwhash_SALTBYTES], key[32], nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
	unsigned char msg[300], sealed[sizeof msg + crypto_aead_xchacha20poly1305_ietf_ABYTES], back[sizeof msg];
	static const unsigned char ad[] = "LIFEBOAT-KEY and a record header";
	unsigned long long sn, bn;
	if (sodium_init() < 0)
		die("sodium_init failed");
	for (size_t i = 0; i < sizeof salt; i++)
		salt[i] = (unsigned char)(0x11 * i);
	for (size_t i = 0; i < sizeof nonce; i++)
		nonce[i] = (unsigned char)(0xa0 + i);
	for (size_t i = 0; i < sizeof msg; i++)
		msg[i] = (unsigned char)(i * 7 + 3);
	/* The parameters Lifeboat writes are 3 passes, 64 MiB; 8 MiB keeps the test quick. */
	if (crypto_pwhash(key, sizeof key, pass, strlen(pass), salt, 3, 8 << 20, crypto_pwhash_ALG_ARGON2ID13))
		die("crypto_pwhash (Argon2id) failed");
	hex("argon2id", key, sizeof key);
	crypto_aead_xchacha20poly1305_ietf_encrypt(sealed, &sn, msg, sizeof msg, ad, sizeof ad - 1, NULL, nonce, key);
	if (sn != sizeof sealed)
		die("sealed record has the wrong length");
	hex("xchacha20poly1305", sealed, sizeof sealed);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(back, &bn, NULL, sealed, sn, ad, sizeof ad - 1, nonce, key) ||
	    bn != sizeof msg || memcmp(back, msg, sizeof msg))
		die("a good record did not open");
	sealed[17] ^= 1;
	if (!crypto_aead_xchacha20poly1305_ietf_decrypt(back, &bn, NULL, sealed, sn, ad, sizeof ad - 1, nonce, key))
		die("an altered record opened");
	sealed[17] ^= 1;
	key[0] ^= 1;
	if (!crypto_aead_xchacha20poly1305_ietf_decrypt(back, &bn, NULL, sealed, sn, ad, sizeof ad - 1, nonce, key))
		die("a record opened with the wrong key");
	randombytes_buf(nonce, sizeof nonce);   /* the engine's nonces: the kernel's CSPRNG must answer */
	puts("tamper refused");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "zstd-pack"))
		return zstd_pack(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "zstd-unpack"))
		return zstd_unpack(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "xxh128"))
		return xxh128(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "seal"))
		return seal();
	if (argc == 2 && !strcmp(argv[1], "versions")) {
		printf("zstd %s\nxxhash %u\nsodium %s\n", ZSTD_versionString(), XXH_versionNumber(),
		       sodium_version_string());
		return 0;
	}
	die("usage: codecs_probe zstd-pack|zstd-unpack IN OUT | xxh128 FILE | seal | versions");
}
