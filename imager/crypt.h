/* crypt.h — encryption of an image (format 2.0, docs/FORMAT.md "Encryption"): the KEY record
 * (Argon2id13 key derivation and a key check) and sealed record payloads (XChaCha20-Poly1305,
 * IETF, a random nonce per record, the record header and image id as associated data).
 * libsodium does the cryptography; this file only lays the bytes out as the format says. */
#ifndef LB_CRYPT_H
#define LB_CRYPT_H
#include <stddef.h>
#include <stdint.h>
#include "format.h"

#define LB_KEY_BODY 80
#define LB_KEY_LEN 32
#define LB_NONCE_LEN 24
#define LB_TAG_LEN 16
#define LB_AD_LEN 40                /* header bytes 0..27, 32..35, image id */
#define LB_KDF_OPS 3                /* written: Argon2 passes */
#define LB_KDF_MEM (64u << 20)      /* written: Argon2 memory */
#define LB_KDF_OPS_MAX 64           /* read: a hostile image must not make us spin or allocate */
#define LB_KDF_MEM_MIN (8u << 20)
#define LB_KDF_MEM_MAX (1u << 30)
#define LB_MAX_PASSPHRASE 1024

/* The parameters a KEY record carries (all of it is clear text). */
struct lb_kdf {
	uint32_t cipher, kdf;
	uint64_t ops, mem;
	uint8_t salt[16], nonce[LB_NONCE_LEN], check[LB_TAG_LEN];
};

struct lb_crypt {
	uint8_t key[LB_KEY_LEN];
	uint64_t image_id;
};

/* sodium_init, once per process (thread-safe); 0 or -1. */
int lb_crypt_init(void);
/* Parses and range-checks a KEY body; 0, or -1 with why (names an unknown cipher or
 * derivation, or parameters outside the limits). */
int lb_kdf_parse(const uint8_t body[LB_KEY_BODY], struct lb_kdf *k, char *why, size_t len);
/* Writer: random salt, derives the key from the passphrase, fills the KEY body with the key
 * check. 0, or -1 (no memory for Argon2, no randomness). */
int lb_crypt_create(struct lb_crypt *c, const char *pass, size_t plen, uint64_t image_id,
                    uint8_t body[LB_KEY_BODY]);
/* Reader: derives the key and tests it against the key check. 0; 1 = wrong passphrase;
 * -1 = the derivation failed (out of memory). */
int lb_crypt_unlock(struct lb_crypt *c, const char *pass, size_t plen, uint64_t image_id,
                    const uint8_t body[LB_KEY_BODY]);
/* Seals len plaintext bytes of the record r (r->stored must be len + LB_SEAL_LEN; r->crc is
 * not part of the associated data) into out (len + LB_SEAL_LEN bytes). 0 or -1. */
int lb_crypt_seal(const struct lb_crypt *c, const struct lb_rec *r, const uint8_t *plain,
                  size_t len, uint8_t *out);
/* Opens the sealed payload in (r->stored bytes) in place: the plaintext (r->stored -
 * LB_SEAL_LEN bytes) ends up at in[0]. 0, or -1 when the tag fails (in is then garbage). */
int lb_crypt_open(const struct lb_crypt *c, const struct lb_rec *r, uint8_t *in);
void lb_crypt_wipe(struct lb_crypt *c);
/* Wipes a passphrase buffer (sodium_memzero: not optimised away). */
void lb_crypt_wipe_buf(void *p, size_t len);
#endif
