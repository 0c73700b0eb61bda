/* Encryption (FORMAT.md "Encryption"): seal/open round trips; the sealed layout is what the
 * spec says (opened here with libsodium directly: nonce ‖ ciphertext ‖ tag, the 40-byte
 * associated data); any flipped byte of a sealed payload, or a changed header field, fails;
 * the key check tells a wrong passphrase; hostile KEY parameters are refused; a real image
 * written with a passphrase opens with it and fails with LB_EKEY with another. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>
#include "crypt.h"
#include "le.h"
#include "lifeboat.h"
#include "unit.h"

static int give(void *ctx, const char *image, char *buf, size_t cap)
{
	(void)image;
	snprintf(buf, cap, "%s", (const char *)ctx);
	return 0;
}

static int refuse(void *ctx, const char *image, char *buf, size_t cap)
{
	(void)ctx; (void)image; (void)buf; (void)cap;
	return -1;
}

int main(void)
{
	struct lb_crypt c, d, e;
	struct lb_rec r = { LB_REC_CHUNK, LB_CODEC_STORED, 0, 1u << 20, 0, 1000, 0, 0, 42 };
	uint8_t body[LB_KEY_BODY], plain[1000], sealed[1000 + LB_SEAL_LEN], copy[sizeof sealed];
	uint8_t h[LB_REC_HDR_LEN], ad[LB_AD_LEN], out[1000];
	unsigned long long olen;
	struct lb_kdf k;
	char why[200];
	const uint64_t id = 0x0102030405060708ULL;

	CHECK(lb_crypt_init() == 0);
	CHECK(lb_crypt_init() == 0);   /* once */
	for (size_t i = 0; i < sizeof plain; i++)
		plain[i] = (uint8_t)(i * 7);
	CHECK(lb_crypt_create(&c, "secret", 6, id, body) == 0);
	CHECK(lb_kdf_parse(body, &k, why, sizeof why) == 0);
	CHECK(k.cipher == 1 && k.kdf == 1 && k.ops == LB_KDF_OPS && k.mem == LB_KDF_MEM);
	/* the right passphrase gives the same key; a wrong one, or another image id, fails */
	CHECK(lb_crypt_unlock(&d, "secret", 6, id, body) == 0);
	CHECK(!memcmp(c.key, d.key, LB_KEY_LEN));
	CHECK(lb_crypt_unlock(&e, "secreT", 6, id, body) == 1);
	CHECK(lb_crypt_unlock(&e, "secret", 6, id + 1, body) == 1);
	/* the key is Argon2id13 of the passphrase with the stored salt and parameters */
	{
		uint8_t key[32];
		CHECK(crypto_pwhash(key, 32, "secret", 6, body + 24, le64(body + 8), (size_t)le64(body + 16),
		                    crypto_pwhash_ALG_ARGON2ID13) == 0);
		CHECK(!memcmp(key, c.key, 32));
	}
	/* a tampered KEY body: the check fails (or the parameters are refused) */
	for (int i = 0; i < LB_KEY_BODY; i += 7) {
		uint8_t b2[LB_KEY_BODY];
		memcpy(b2, body, sizeof b2);
		b2[i] ^= 1;
		if (i >= 8 && i < 24)
			continue;   /* the parameters: other costs, tested by the limits below */
		CHECK(lb_crypt_unlock(&e, "secret", 6, id, b2) != 0);
	}
	/* hostile parameters are refused before any work */
	{
		uint8_t b2[LB_KEY_BODY];
		memcpy(b2, body, sizeof b2);
		put64(b2 + 16, 4ULL << 30);
		CHECK(lb_kdf_parse(b2, &k, why, sizeof why) == -1 && strstr(why, "outside the limits"));
		memcpy(b2, body, sizeof b2);
		put64(b2 + 8, 0);
		CHECK(lb_kdf_parse(b2, &k, why, sizeof why) == -1);
		memcpy(b2, body, sizeof b2);
		put32(b2, 2);
		CHECK(lb_kdf_parse(b2, &k, why, sizeof why) == -1 && strstr(why, "newer Lifeboat"));
	}

	/* seal, open: round trip in place */
	r.stored = sizeof plain + LB_SEAL_LEN;
	CHECK(lb_crypt_seal(&c, &r, plain, sizeof plain, sealed) == 0);
	CHECK(memcmp(sealed + LB_NONCE_LEN, plain, 64));   /* not the plaintext */
	memcpy(copy, sealed, sizeof sealed);
	CHECK(lb_crypt_open(&d, &r, copy) == 0);
	CHECK(!memcmp(copy, plain, sizeof plain));
	/* the layout, opened by libsodium directly with the AD as the spec spells it */
	r.crc = 0x12345678;   /* not authenticated: it is computed over the sealed bytes */
	lb_rec_encode(&r, h);
	memcpy(ad, h, 28);
	memcpy(ad + 28, h + 32, 4);
	put64(ad + 32, id);
	CHECK(crypto_aead_xchacha20poly1305_ietf_decrypt(out, &olen, NULL, sealed + LB_NONCE_LEN,
	                                                 sizeof plain + LB_TAG_LEN, ad, sizeof ad,
	                                                 sealed, c.key) == 0);
	CHECK(olen == sizeof plain && !memcmp(out, plain, sizeof plain));
	memcpy(copy, sealed, sizeof sealed);
	CHECK(lb_crypt_open(&d, &r, copy) == 0);
	/* every flipped byte (nonce, ciphertext, tag) fails */
	for (size_t i = 0; i < sizeof sealed; i++) {
		memcpy(copy, sealed, sizeof sealed);
		copy[i] ^= 0x80;
		if (lb_crypt_open(&d, &r, copy) != -1) {
			CHECK(!"a flipped sealed byte opened");
			break;
		}
	}
	/* another header (offset, seq, flags), another image, another key: fail */
	{
		struct lb_rec r2 = r;
		memcpy(copy, sealed, sizeof sealed);
		r2.offset += 512;
		CHECK(lb_crypt_open(&d, &r2, copy) == -1);
		r2 = r;
		r2.seq++;
		memcpy(copy, sealed, sizeof sealed);
		CHECK(lb_crypt_open(&d, &r2, copy) == -1);
		r2 = r;
		r2.flags = LB_CHUNK_BAD;
		memcpy(copy, sealed, sizeof sealed);
		CHECK(lb_crypt_open(&d, &r2, copy) == -1);
		e = d;
		e.image_id++;
		memcpy(copy, sealed, sizeof sealed);
		CHECK(lb_crypt_open(&e, &r, copy) == -1);
		e = d;
		e.key[0] ^= 1;
		memcpy(copy, sealed, sizeof sealed);
		CHECK(lb_crypt_open(&e, &r, copy) == -1);
	}
	/* two seals of the same record differ (random nonces) */
	memcpy(copy, sealed, sizeof sealed);
	CHECK(lb_crypt_seal(&c, &r, plain, sizeof plain, copy) == 0 && memcmp(copy, sealed, 24));
	/* an empty payload (a zero chunk) is sealed too: 40 bytes */
	r.stored = LB_SEAL_LEN;
	CHECK(lb_crypt_seal(&c, &r, plain, 0, sealed) == 0 && lb_crypt_open(&d, &r, sealed) == 0);
	lb_crypt_wipe(&c);
	for (size_t i = 0; i < LB_KEY_LEN; i++)
		CHECK(!c.key[i]);

	/* a real image: the engine end to end */
	{
		char dir[] = "/tmp/lb-crypt-XXXXXX", src[64], img[64];
		struct lb_backup_opts bo = { 0 };
		struct lb_report rep;
		struct lb_image_info info;
		struct lb_err err = { 0 };
		FILE *f;
		CHECK(mkdtemp(dir) != NULL);
		snprintf(src, sizeof src, "%s/src", dir);
		snprintf(img, sizeof img, "%s/img.lbi", dir);
		f = fopen(src, "w");
		for (int i = 0; i < 3 << 20; i++)
			fputc(i % 251, f);
		fclose(f);
		bo.source = src;
		bo.image = img;
		bo.level = -1;
		bo.threads = 1;
		bo.passphrase = "image pass";
		CHECK(lb_backup(&bo, &rep, &err) == 0);
		lb_report_free(&rep);
		memset(&err, 0, sizeof err);
		CHECK(lb_image_info_key(img, give, "image pass", &info, &err) == 0);
		CHECK(info.encrypted && !info.locked && info.src_size == 3 << 20 && info.complete);
		lb_image_info_free(&info);
		memset(&err, 0, sizeof err);
		CHECK(lb_image_info_key(img, give, "image pasS", &info, &err) == LB_EKEY);
		CHECK(strstr(err.msg, "wrong passphrase") != NULL);
		memset(&err, 0, sizeof err);
		CHECK(lb_image_info_key(img, refuse, NULL, &info, &err) == LB_EKEY);
		memset(&err, 0, sizeof err);
		CHECK(lb_image_info(img, &info, &err) == 0 && info.locked && info.kdf_ops == LB_KDF_OPS);
		lb_image_info_free(&info);
		CHECK(lb_exit_status(LB_EKEY) == 8);
		unlink(src);
		unlink(img);
		rmdir(dir);
	}
	return UNIT_DONE();
}
