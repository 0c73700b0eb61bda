/* Building the read plan for a backup or a clone. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "err.h"
#include "plan.h"
#include "probe.h"
#include "unalloc.h"

static int selected(const int *sel, int nsel, int number)
{
	if (!sel)
		return 1;
	for (int i = 0; i < nsel; i++)
		if (sel[i] == number)
			return 1;
	return 0;
}

static int overlaps_other(const struct lb_ptable *t, int i)
{
	const struct lb_ptpart *a = &t->parts[i];
	for (int j = 0; j < t->n; j++) {
		const struct lb_ptpart *b = &t->parts[j];
		if (j == i || b->container || !b->size)
			continue;
		if (a->start < b->start + b->size && b->start < a->start + a->size)
			return b->number;
	}
	return 0;
}

/* Fills row and appends the part's ranges to p->ext. */
static int plan_area(struct lb_dev *d, struct lb_plan *p, int idx, uint64_t start, uint64_t size,
                     int want, const char *force_raw, struct lb_err *err)
{
	struct lb_plan_part *row = &p->parts[idx];
	struct lb_fs_info *info = &p->fsinfo[idx];
	struct lb_probe pr;
	const struct lb_fs_ops *fs;
	struct lb_extents x = { 0 };
	const char *method = "raw";
	char why[160] = "";
	int rc = 0;

	/* our module maps the used blocks; libblkid names what it is, and vetoes (probe.h) */
	lb_probe_area(d, start, size, &pr);
	fs = pr.fs;
	*info = pr.info;
	row->start = start;
	row->size = size;
	snprintf(row->fs, sizeof row->fs, "%s", info->type);
	snprintf(row->label, sizeof row->label, "%s", info->label);
	if (!want) {
		snprintf(row->method, sizeof row->method, "skipped");
		snprintf(row->reason, sizeof row->reason, "not selected");
		return 0;
	}
	if (force_raw) {
		snprintf(why, sizeof why, "%s", force_raw);
	} else if (pr.note[0]) {
		snprintf(why, sizeof why, "%s", pr.note);
	} else if (!fs) {
		snprintf(why, sizeof why, "no filesystem Lifeboat knows");
	} else if (fs->used(d, start, size, &x, &method, why, sizeof why) == 0) {
		lb_ext_clip(&x, start, size);
		snprintf(row->reason, sizeof row->reason, "%s", !strcmp(method, "header") ?
		         "swap: only the header is kept, the rest is scratch space" :
		         "only blocks the filesystem uses");
		/* a state worth knowing that did not stop the map (a hibernated NTFS) */
		if (why[0])
			snprintf(row->reason + strlen(row->reason), sizeof row->reason -
			         strlen(row->reason), "; %s", why);
		/* Past the filesystem's end the partition is not the filesystem's: md RAID 0.90/1.0
		 * superblocks live there, and whatever a shrunken filesystem left behind. */
		if (info->total && info->total < size) {
			char slack[32];
			if (lb_ext_add(&x, start + info->total, size - info->total) < 0)
				rc = -ENOMEM;
			lb_ext_normalize(&x);
			snprintf(row->reason + strlen(row->reason), sizeof row->reason -
			         strlen(row->reason), "; the %s after its end copied raw",
			         lb_human_size(size - info->total, slack, sizeof slack));
		}
	} else {
		method = "raw";
		x.n = 0;
	}
	if (!strcmp(method, "raw")) {
		if (!why[0])
			snprintf(why, sizeof why, "no filesystem Lifeboat knows");
		if (info->type[0] && !force_raw && !pr.note[0])
			snprintf(row->reason, sizeof row->reason, "%s %s", info->type, why);
		else
			snprintf(row->reason, sizeof row->reason, "%s", why);
		if (lb_ext_add(&x, start, size) < 0)
			rc = -ENOMEM;
	}
	snprintf(row->method, sizeof row->method, "%s", method);
	row->bytes = lb_ext_total(&x);
	for (size_t i = 0; !rc && i < x.n; i++)
		rc = lb_ext_add(&p->ext, x.v[i].off, x.v[i].len);
	lb_ext_free(&x);
	if (rc)
		return lb_fail(err, LB_ENOMEM, "out of memory while planning");
	return 0;
}

/* Decides, of rest (the disk outside partitions), what is read: appends it to p->ext, and lists
 * the large regions in p->unalloc (skipped, or kept and why). */
static int plan_unalloc(struct lb_dev *d, struct lb_plan *p, const struct lb_extents *rest,
                        int flags)
{
	struct lb_extents fixed = { 0 }, keep = { 0 }, cand = { 0 };
	uint64_t first = d->size;
	int rc;

	for (int i = 0; i < p->table.n; i++) {
		const struct lb_ptpart *tp = &p->table.parts[i];
		if (!tp->container && tp->size && tp->start < first)
			first = tp->start;
	}
	if ((rc = lb_unalloc_fixed(&p->table, d->size, &fixed)) ||
	    (rc = lb_unalloc_split(rest, d->size, first, &fixed, &keep, &cand)))
		goto out;
	if (cand.n && !(p->unalloc = calloc(cand.n, sizeof *p->unalloc))) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < cand.n; i++) {
		struct lb_unalloc_area *a = &p->unalloc[p->nunalloc++];
		uint64_t at;
		char what[32];
		a->off = cand.v[i].off;
		a->len = cand.v[i].len;
		if (flags & LB_PLAN_KEEP_UNALLOC) {
			a->kept = 1;
			snprintf(a->why, sizeof a->why, "kept (--unallocated)");
		} else if (lb_unalloc_probe(d, a->off, a->len, &at, what, sizeof what)) {
			a->kept = 1;
			snprintf(a->why, sizeof a->why, "kept raw: %s signature at offset %llu (a "
			         "deleted partition?)", what, (unsigned long long)at);
		} else {
			snprintf(a->why, sizeof a->why, "skipped");
			p->unalloc_skipped += a->len;
		}
		if (a->kept && (rc = lb_ext_add(&keep, a->off, a->len)))
			goto out;
	}
	lb_ext_normalize(&keep);
	p->disk_area_bytes = lb_ext_total(&keep);
	for (size_t i = 0; !rc && i < keep.n; i++)
		rc = lb_ext_add(&p->ext, keep.v[i].off, keep.v[i].len);
out:
	lb_ext_free(&fixed);
	lb_ext_free(&keep);
	lb_ext_free(&cand);
	return rc;
}

int lb_plan_build(struct lb_dev *d, const int *sel, int nsel, int flags, struct lb_plan *p,
                  struct lb_err *err)
{
	struct lb_extents rest = { 0 };
	int rc, n = 0;

	memset(p, 0, sizeof *p);
	if ((rc = lb_ptable_read(d, &p->table, err)))
		return lb_context(err, "reading the partition table of %s", d->path);
	for (int i = 0; sel && i < nsel; i++)
		if (!lb_ptable_find(&p->table, sel[i]) || lb_ptable_find(&p->table, sel[i])->container)
			return lb_fail(err, LB_EUSAGE, "%s has no partition %d to back up (see 'lifeboat "
			               "list')", d->path, sel[i]);
	p->parts = calloc((size_t)p->table.n + 1, sizeof *p->parts);
	p->fsinfo = calloc((size_t)p->table.n + 1, sizeof *p->fsinfo);
	if (!p->parts || !p->fsinfo)
		return lb_fail(err, LB_ENOMEM, "out of memory while planning");

	if (!strcmp(p->table.type, "none")) {
		/* A partition device, or a disk holding one filesystem without a table. */
		p->parts[0].number = 0;
		p->nparts = 1;
		if ((rc = plan_area(d, p, 0, 0, d->size, 1, NULL, err)))
			goto fail;
		p->min_size = d->size;
		if (p->fsinfo[0].total && p->fsinfo[0].total < d->size && strcmp(p->parts[0].method, "raw"))
			p->min_size = p->fsinfo[0].total;
	} else {
		if (lb_ext_add(&rest, 0, d->size) < 0)
			goto nomem;
		for (int i = 0; i < p->table.n; i++) {
			const struct lb_ptpart *tp = &p->table.parts[i];
			char force[160];
			int other;
			if (tp->container)
				continue;
			if (tp->size && lb_ext_subtract(&rest, tp->start, tp->size) < 0)
				goto nomem;
			p->parts[n].number = tp->number;
			other = overlaps_other(&p->table, i);
			if (other)
				snprintf(force, sizeof force, "overlaps partition %d", other);
			else if (tp->past_end)
				snprintf(force, sizeof force, "the table says it runs past the end of the disk");
			if ((rc = plan_area(d, p, n, tp->start, tp->size, selected(sel, nsel, tp->number),
			                    other || tp->past_end ? force : NULL, err)))
				goto fail;
			n++;
		}
		p->nparts = n;
		if (plan_unalloc(d, p, &rest, flags) < 0)
			goto nomem;
		p->min_size = lb_ptable_min_size(&p->table);
	}
	lb_ext_normalize(&p->ext);
	p->total = lb_ext_total(&p->ext);
	lb_ext_free(&rest);
	return 0;
nomem:
	rc = lb_fail(err, LB_ENOMEM, "out of memory while planning");
fail:
	lb_ext_free(&rest);
	lb_plan_free(p);
	return rc;
}

void lb_plan_free(struct lb_plan *p)
{
	lb_ext_free(&p->ext);
	free(p->unalloc);
	p->unalloc = NULL;
	p->nunalloc = 0;
	free(p->parts);
	free(p->fsinfo);
	p->parts = NULL;
	p->fsinfo = NULL;
	p->nparts = 0;
}

int lb_plan_part_at(const struct lb_plan *p, uint64_t off)
{
	for (int i = 0; i < p->nparts; i++)
		if (off >= p->parts[i].start && off - p->parts[i].start < p->parts[i].size)
			return i;
	return -1;
}

int lb_plan_to_report(const struct lb_plan *p, struct lb_report *r)
{
	r->nparts = p->nparts;
	r->parts = calloc((size_t)p->nparts + 1, sizeof *r->parts);
	r->part_read = calloc((size_t)p->nparts + 1, sizeof *r->part_read);
	r->part_stored = calloc((size_t)p->nparts + 1, sizeof *r->part_stored);
	r->part_seconds = calloc((size_t)p->nparts + 1, sizeof *r->part_seconds);
	if (!r->parts || !r->part_read || !r->part_stored || !r->part_seconds)
		return -1;
	memcpy(r->parts, p->parts, (size_t)p->nparts * sizeof *r->parts);
	r->disk_area_bytes = p->disk_area_bytes;
	r->unalloc_skipped = p->unalloc_skipped;
	r->nunalloc = p->nunalloc;
	if (p->nunalloc) {
		if (!(r->unalloc = calloc((size_t)p->nunalloc, sizeof *r->unalloc)))
			return -1;
		memcpy(r->unalloc, p->unalloc, (size_t)p->nunalloc * sizeof *r->unalloc);
	}
	snprintf(r->table_note, sizeof r->table_note, "%s", p->table.note);
	r->bytes_planned = p->total;
	return 0;
}

void lb_report_free(struct lb_report *r)
{
	free(r->parts);
	free(r->part_read);
	free(r->part_stored);
	free(r->part_seconds);
	free(r->bad);
	free(r->damage);
	free(r->unalloc);
	r->unalloc = NULL;
	r->nunalloc = 0;
	r->damage = NULL;
	r->parts = NULL;
	r->part_read = r->part_stored = NULL;
	r->part_seconds = NULL;
	r->bad = NULL;
}
