/* chksum.h — the checksum of a chunk's logical content (its extent table, then its data): CRC-32
 * in 1.x images, XXH3-128 in 2.0 (docs/FORMAT.md). Computed in pieces (the table, then each
 * range as it is read back from a disk), compared, and written out for messages. */
#ifndef LB_CHKSUM_H
#define LB_CHKSUM_H
#include <stddef.h>
#include <stdint.h>
#define XXH_STATIC_LINKING_ONLY      /* XXH3_state_t on the stack: no allocation per chunk */
#include <xxhash.h>

enum lb_sum_kind { LB_SUM_CRC32 = 0, LB_SUM_XXH128 = 1 };
#define LB_SUM_LEN 16                /* bytes of an XXH3-128 checksum in a 2.0 payload */

/* A checksum as the image stores it: XXH3-128 in canonical (big-endian) form; CRC-32
 * little-endian in the first 4 bytes, the rest zero. */
struct lb_sum {
	uint8_t v[LB_SUM_LEN];
};

struct lb_hash {
	int kind;
	uint32_t crc;
	XXH3_state_t x;              /* aligned by its type: keep struct lb_hash on the stack */
};

void lb_hash_init(struct lb_hash *h, int kind);
void lb_hash_update(struct lb_hash *h, const void *p, size_t n);
void lb_hash_final(struct lb_hash *h, struct lb_sum *out);
/* Extent table (tlen bytes, may be 0) followed by n bytes of data, in one call. */
void lb_sum_of(int kind, const void *table, size_t tlen, const void *data, size_t n,
               struct lb_sum *out);
void lb_sum_from_crc(uint32_t crc, struct lb_sum *out);
int lb_sum_eq(const struct lb_sum *a, const struct lb_sum *b);
const char *lb_sum_name(int kind);   /* "CRC-32", "XXH3-128" */
/* "xxh3-128 0123...ef" / "crc32 1a2b3c4d" into buf (at least 48 bytes); returns buf */
char *lb_sum_format(int kind, const struct lb_sum *s, char *buf, size_t len);
#endif
