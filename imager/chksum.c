/* Chunk checksums: CRC-32 (1.x images) and XXH3-128 (2.0), through one streaming interface. */
#include <stdio.h>
#include <string.h>
#include "chksum.h"
#include "le.h"
#include "ptable.h"

void lb_hash_init(struct lb_hash *h, int kind)
{
	h->kind = kind;
	h->crc = 0;
	if (kind == LB_SUM_XXH128)
		XXH3_128bits_reset(&h->x);   /* seed 0, as FORMAT.md says */
}

void lb_hash_update(struct lb_hash *h, const void *p, size_t n)
{
	if (!n)
		return;
	if (h->kind == LB_SUM_XXH128)
		XXH3_128bits_update(&h->x, p, n);
	else
		h->crc = lb_crc32(h->crc, p, n);
}

void lb_hash_final(struct lb_hash *h, struct lb_sum *out)
{
	if (h->kind == LB_SUM_XXH128) {
		XXH128_canonical_t c;
		XXH128_canonicalFromHash(&c, XXH3_128bits_digest(&h->x));
		memcpy(out->v, c.digest, sizeof out->v);
	} else {
		lb_sum_from_crc(h->crc, out);
	}
}

void lb_sum_of(int kind, const void *table, size_t tlen, const void *data, size_t n,
               struct lb_sum *out)
{
	if (kind == LB_SUM_XXH128 && !tlen) {
		XXH128_canonical_t c;   /* one range: the one-shot function, no state */
		XXH128_canonicalFromHash(&c, XXH3_128bits(data, n));
		memcpy(out->v, c.digest, sizeof out->v);
		return;
	}
	if (kind != LB_SUM_XXH128) {
		lb_sum_from_crc(lb_crc32(lb_crc32(0, table, tlen), data, n), out);
		return;
	}
	{
		struct lb_hash h;
		lb_hash_init(&h, kind);
		lb_hash_update(&h, table, tlen);
		lb_hash_update(&h, data, n);
		lb_hash_final(&h, out);
	}
}

void lb_sum_from_crc(uint32_t crc, struct lb_sum *out)
{
	memset(out, 0, sizeof *out);
	put32(out->v, crc);
}

int lb_sum_eq(const struct lb_sum *a, const struct lb_sum *b)
{
	return !memcmp(a->v, b->v, sizeof a->v);
}

const char *lb_sum_name(int kind)
{
	return kind == LB_SUM_XXH128 ? "XXH3-128" : "CRC-32";
}

char *lb_sum_format(int kind, const struct lb_sum *s, char *buf, size_t len)
{
	if (kind != LB_SUM_XXH128) {
		snprintf(buf, len, "crc32 %08x", (unsigned)le32(s->v));
		return buf;
	}
	snprintf(buf, len, "xxh3-128 ");
	for (int i = 0; i < LB_SUM_LEN && strlen(buf) + 3 <= len; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%02x", s->v[i]);
	return buf;
}
