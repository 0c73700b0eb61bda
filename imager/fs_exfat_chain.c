/* exFAT cluster chains: the active FAT read through a window of 64 KiB (one read per 16 k
 * entries, not one per cluster), and a stream's clusters as runs. Every chain is bounded: a
 * chain of a consistent volume never visits a cluster twice, so all the chains of one volume
 * together take at most its cluster count in steps; more means a loop or cross-linked chains. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fs_exfat.h"
#include "le.h"

#define FAT_WINDOW (64u << 10)

/* The FAT entry of cluster cl (valid): 0, or -1 with io_err filled. */
static int fat_entry(struct lb_exfat *v, uint32_t cl, uint32_t *next)
{
	uint64_t at = (uint64_t)cl * 4;
	if (!v->fatbuf || at < v->fat_at || at + 4 > v->fat_at + v->fat_len) {
		uint64_t end = ((uint64_t)v->nclusters + 2) * 4;
		struct lb_err e = { 0 };
		if (!v->fatbuf && !(v->fatbuf = malloc(FAT_WINDOW))) {
			snprintf(v->io_err, sizeof v->io_err, "out of memory");
			return -1;
		}
		v->fat_at = at & ~(uint64_t)(FAT_WINDOW - 1);
		v->fat_len = end - v->fat_at < FAT_WINDOW ? (size_t)(end - v->fat_at) : FAT_WINDOW;
		if (lb_dev_read(v->d, v->fatbuf, v->fat_len, v->off + v->fat_off +
		                v->active * v->fat_bytes + v->fat_at, &e)) {
			const char *cause = strrchr(e.msg, ':');
			snprintf(v->io_err, sizeof v->io_err, "%s", cause ? cause + 1 + (cause[1] == ' ') : e.msg);
			v->fat_len = 0;
			return -1;
		}
	}
	*next = le32(v->fatbuf + (at - v->fat_at));
	return 0;
}

int lb_exfat_runs(struct lb_exfat *v, uint32_t first, uint64_t want, int nofat, const char *what,
                  int (*run)(void *priv, uint32_t first, uint32_t n), void *priv, char *why,
                  size_t whylen)
{
	uint32_t start = first, len = 0, cl = first;
	uint64_t got = 0, budget = 3 * (uint64_t)v->nclusters + 64;
	int rc;
	if (!lb_exfat_cl_ok(v, first)) {
		snprintf(why, whylen, "%s starts outside the cluster heap (cluster %u)", what, first);
		return -1;
	}
	if (nofat) {
		/* contiguous: the clusters must all lie in the heap */
		if (!want || want > v->nclusters - (uint64_t)(first - 2)) {
			snprintf(why, whylen, "%s (contiguous, %llu clusters from %u) runs past the cluster heap",
			         what, (unsigned long long)want, first);
			return -1;
		}
		return run(priv, first, (uint32_t)want);
	}
	for (;;) {
		uint32_t next;
		len++;
		got++;
		if (++v->steps > budget) {
			snprintf(why, whylen, "the FAT chain of %s loops or is shared with another's", what);
			return -1;
		}
		if (want && got == want)
			break;
		if (fat_entry(v, cl, &next)) {
			snprintf(why, whylen, "its FAT cannot be read (%s)", v->io_err);
			return -1;
		}
		if (next == EXFAT_EOC)
			break;
		if (!lb_exfat_cl_ok(v, next)) {
			snprintf(why, whylen, "the FAT chain of %s is broken at cluster %u (entry 0x%08x)",
			         what, cl, next);
			return -1;
		}
		if (next != cl + 1) {
			if ((rc = run(priv, start, len)))
				return rc;
			start = next;
			len = 0;
		}
		cl = next;
	}
	return run(priv, start, len);
}
