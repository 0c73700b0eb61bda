/* Which files and metadata of an exFAT volume sit on unreadable sectors: the areas before the
 * cluster heap are named by what they hold (boot regions, FATs), and the directory tree is
 * walked (lb_exfat_walk) laying each file's and directory's cluster runs over the unreadable
 * clusters. Free clusters hit are not named (nothing is lost there). Runs only when a backup
 * met unreadable sectors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fs_exfat.h"

#define MAX_NAMED 10000   /* a disk failing everywhere: enough lines to act on */

struct dctx {
	uint64_t (*bad)[2];   /* cluster ranges [first, last], sorted */
	size_t nbad;
	char **text;
	char last[4096];          /* the path last named (its runs come one after another) */
	unsigned named;
};

static int range_bad(const struct dctx *c, uint64_t first, uint64_t n)
{
	size_t lo = 0, hi = c->nbad;
	while (lo < hi) {   /* the first bad range that ends at or after first */
		size_t m = (lo + hi) / 2;
		if (c->bad[m][1] < first)
			lo = m + 1;
		else
			hi = m;
	}
	return lo < c->nbad && c->bad[lo][0] < first + n;
}

static int run_cb(void *priv, const char *path, int is_dir, uint32_t first, uint32_t n)
{
	struct dctx *c = priv;
	if (!range_bad(c, first, n) || !strcmp(c->last, path) || c->named >= MAX_NAMED)
		return 0;
	snprintf(c->last, sizeof c->last, "%s", path);
	c->named++;
	if (!strcmp(path, "/"))
		lb_text_add(c->text, "  metadata: the root directory");
	else if (path[0] == '(')
		lb_text_add(c->text, "  metadata: the %.*s", (int)strlen(path) - 2, path + 1);
	else
		lb_text_add(c->text, "  %s: %s", is_dir ? "directory" : "file", path);
	return 0;
}

void lb_exfat_damage(struct lb_dev *d, uint64_t off, uint64_t size, const struct lb_extents *bad,
                     char **text)
{
	struct dctx c = { 0 };
	struct lb_exfat_walk w = { &c, run_cb };
	struct lb_exfat v;
	char why[160] = "";
	int meta[5] = { 0 };

	if (lb_exfat_open(&v, d, off, size, why, sizeof why)) {
		lb_text_add(text, "  (the files hit cannot be named: %s)", why);
		return;
	}
	c.text = text;
	c.bad = malloc((bad->n + 1) * sizeof *c.bad);
	if (!c.bad)
		goto out;
	for (size_t i = 0; i < bad->n; i++) {
		uint64_t s = bad->v[i].off, e = s + bad->v[i].len;
		uint64_t boot = 12ull << v.bps_shift, fats = v.fat_off + v.nfats * v.fat_bytes;
		if (e <= off || s >= off + v.vol_bytes)
			continue;
		s = s < off ? 0 : s - off;
		e = e > off + v.vol_bytes ? v.vol_bytes : e - off;
		meta[0] |= s < boot;
		meta[1] |= s < 2 * boot && e > boot;
		meta[2] |= s < fats && e > v.fat_off;
		meta[3] |= s < v.heap_off && e > 2 * boot && !(s < fats && e > v.fat_off);
		meta[4] |= e > v.heap_end;
		if (e <= v.heap_off || s >= v.heap_end)
			continue;
		s = s < v.heap_off ? 0 : s - v.heap_off;
		e = (e > v.heap_end ? v.heap_end : e) - v.heap_off;
		c.bad[c.nbad][0] = s / v.cs + 2;
		c.bad[c.nbad++][1] = (e - 1) / v.cs + 2;
	}
	if (meta[0])
		lb_text_add(text, "  metadata: the main boot region");
	if (meta[1])
		lb_text_add(text, "  metadata: the backup boot region");
	if (meta[2])
		lb_text_add(text, "  metadata: the FAT%s", v.nfats == 2 ? "s" : "");
	if (meta[3])
		lb_text_add(text, "  metadata: the reserved sectors before the cluster heap");
	if (meta[4])
		lb_text_add(text, "  metadata: the sectors after the cluster heap");
	if (c.nbad && lb_exfat_walk(&v, &w, why, sizeof why))
		lb_text_add(text, "  (the files hit cannot all be named: %s)", why);
out:
	free(c.bad);
	lb_exfat_close(&v);
}
