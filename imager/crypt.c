/* Key derivation, key check and sealing of record payloads, over libsodium. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sodium.h>
#include "crypt.h"
#include "le.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int init_rc = -1;   /* written once under pthread_once, read after it */

static void init_once(void)
{
	init_rc = sodium_init() < 0 ? -1 : 0;
}

int lb_crypt_init(void)
{
	pthread_once(&once, init_once);
	return init_rc;
}

int lb_kdf_parse(const uint8_t b[LB_KEY_BODY], struct lb_kdf *k, char *why, size_t len)
{
	k->cipher = le32(b);
	k->kdf = le32(b + 4);
	k->ops = le64(b + 8);
	k->mem = le64(b + 16);
	memcpy(k->salt, b + 24, 16);
	memcpy(k->nonce, b + 40, LB_NONCE_LEN);
	memcpy(k->check, b + 64, LB_TAG_LEN);
	if (k->cipher != 1) {
		snprintf(why, len, "it is encrypted with a cipher this Lifeboat does not know (%u): it "
		         "needs a newer Lifeboat", (unsigned)k->cipher);
		return -1;
	}
	if (k->kdf != 1) {
		snprintf(why, len, "its key derivation is one this Lifeboat does not know (%u): it "
		         "needs a newer Lifeboat", (unsigned)k->kdf);
		return -1;
	}
	if (k->ops < 1 || k->ops > LB_KDF_OPS_MAX || k->mem < LB_KDF_MEM_MIN || k->mem > LB_KDF_MEM_MAX) {
		snprintf(why, len, "its key derivation parameters are outside the limits (%llu passes, "
		         "%llu bytes of memory)", (unsigned long long)k->ops, (unsigned long long)k->mem);
		return -1;
	}
	return 0;
}

static int derive(struct lb_crypt *c, const char *pass, size_t plen, const struct lb_kdf *k)
{
	if (lb_crypt_init())
		return -1;
	return crypto_pwhash(c->key, sizeof c->key, pass, plen, k->salt, k->ops, (size_t)k->mem,
	                     crypto_pwhash_ALG_ARGON2ID13) ? -1 : 0;
}

/* "LIFEBOAT-KEY" ‖ body[0..64) ‖ image id: binds the check to the parameters and the image */
static void check_ad(const uint8_t body[LB_KEY_BODY], uint64_t id, uint8_t ad[12 + 64 + 8])
{
	memcpy(ad, "LIFEBOAT-KEY", 12);
	memcpy(ad + 12, body, 64);
	put64(ad + 76, id);
}

int lb_crypt_create(struct lb_crypt *c, const char *pass, size_t plen, uint64_t image_id,
                    uint8_t body[LB_KEY_BODY])
{
	struct lb_kdf k = { 1, 1, LB_KDF_OPS, LB_KDF_MEM, { 0 }, { 0 }, { 0 } };
	uint8_t ad[84], dummy[1] = { 0 };
	unsigned long long tl;
	if (lb_crypt_init())
		return -1;
	randombytes_buf(k.salt, sizeof k.salt);
	randombytes_buf(k.nonce, sizeof k.nonce);
	c->image_id = image_id;
	if (derive(c, pass, plen, &k))
		return -1;
	memset(body, 0, LB_KEY_BODY);
	put32(body, k.cipher);
	put32(body + 4, k.kdf);
	put64(body + 8, k.ops);
	put64(body + 16, k.mem);
	memcpy(body + 24, k.salt, 16);
	memcpy(body + 40, k.nonce, LB_NONCE_LEN);
	check_ad(body, image_id, ad);
	crypto_aead_xchacha20poly1305_ietf_encrypt_detached(dummy, body + 64, &tl, dummy, 0, ad,
	                                                    sizeof ad, NULL, k.nonce, c->key);
	return 0;
}

int lb_crypt_unlock(struct lb_crypt *c, const char *pass, size_t plen, uint64_t image_id,
                    const uint8_t body[LB_KEY_BODY])
{
	struct lb_kdf k;
	uint8_t ad[84], dummy[1] = { 0 };
	char why[160];
	if (lb_kdf_parse(body, &k, why, sizeof why))
		return -1;
	c->image_id = image_id;
	if (derive(c, pass, plen, &k))
		return -1;
	check_ad(body, image_id, ad);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt_detached(dummy, NULL, dummy, 0, k.check, ad,
	                                                        sizeof ad, k.nonce, c->key)) {
		sodium_memzero(c->key, sizeof c->key);
		return 1;
	}
	return 0;
}

/* Header bytes 0..27 (crc excluded: it is computed over the sealed bytes) ‖ 32..35 ‖ image id */
static void rec_ad(const struct lb_rec *r, uint64_t id, uint8_t ad[LB_AD_LEN])
{
	uint8_t h[LB_REC_HDR_LEN];
	lb_rec_encode(r, h);
	memcpy(ad, h, 28);
	memcpy(ad + 28, h + 32, 4);
	put64(ad + 32, id);
}

int lb_crypt_seal(const struct lb_crypt *c, const struct lb_rec *r, const uint8_t *plain,
                  size_t len, uint8_t *out)
{
	uint8_t ad[LB_AD_LEN];
	unsigned long long tl;
	if (r->stored != len + LB_SEAL_LEN)
		return -1;
	rec_ad(r, c->image_id, ad);
	randombytes_buf(out, LB_NONCE_LEN);
	crypto_aead_xchacha20poly1305_ietf_encrypt_detached(out + LB_NONCE_LEN,
	                                                    out + LB_NONCE_LEN + len, &tl, plain, len,
	                                                    ad, sizeof ad, NULL, out, c->key);
	return 0;
}

int lb_crypt_open(const struct lb_crypt *c, const struct lb_rec *r, uint8_t *in)
{
	uint8_t ad[LB_AD_LEN], nonce[LB_NONCE_LEN];
	size_t len;
	if (r->stored < LB_SEAL_LEN)
		return -1;
	len = r->stored - LB_SEAL_LEN;
	rec_ad(r, c->image_id, ad);
	memcpy(nonce, in, sizeof nonce);
	/* in place (libsodium allows m == c), then moved over the nonce */
	if (crypto_aead_xchacha20poly1305_ietf_decrypt_detached(in + LB_NONCE_LEN, NULL,
	                                                        in + LB_NONCE_LEN, len,
	                                                        in + LB_NONCE_LEN + len, ad,
	                                                        sizeof ad, nonce, c->key))
		return -1;
	memmove(in, in + LB_NONCE_LEN, len);
	return 0;
}

void lb_crypt_wipe(struct lb_crypt *c)
{
	if (c)
		sodium_memzero(c, sizeof *c);
}

void lb_crypt_wipe_buf(void *p, size_t len)
{
	if (p)
		sodium_memzero(p, len);
}
