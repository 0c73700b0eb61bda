/* GNU ddrescue mapfiles: kept as a run goes, so ddrescue, a person, or the next clone run can
 * pick up where Lifeboat left off. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "err.h"
#include "mapfile.h"
#include "progress.h"

#define SAVE_EVERY 5.0   /* seconds: what an interruption can cost in re-reading */

int lb_map_init(struct lb_map *m, const char *path, uint64_t size, const struct lb_extents *done,
                const struct lb_extents *bad, struct lb_err *err)
{
	memset(m, 0, sizeof *m);
	pthread_mutex_init(&m->mu, NULL);
	m->path = path;
	m->size = size;
	for (size_t i = 0; done && i < done->n; i++)
		if (lb_ext_push(&m->x[LB_MAP_WRITTEN], done->v[i].off, done->v[i].len) < 0)
			goto nomem;
	for (size_t i = 0; bad && i < bad->n; i++)
		if (lb_ext_push(&m->x[LB_MAP_BAD], bad->v[i].off, bad->v[i].len) < 0)
			goto nomem;
	m->last_save = lb_now();
	return 0;
nomem:
	lb_map_free(m);
	return lb_fail(err, LB_ENOMEM, "out of memory");
}

void lb_map_mark(struct lb_map *m, int what, uint64_t off, uint64_t len)
{
	pthread_mutex_lock(&m->mu);
	lb_ext_add(&m->x[what], off, len);   /* out of memory: the map only says less was done */
	pthread_mutex_unlock(&m->mu);
}

void lb_map_free(struct lb_map *m)
{
	for (int i = 0; i < 4; i++)
		lb_ext_free(&m->x[i]);
	pthread_mutex_destroy(&m->mu);
}

/* out = a - b; both sorted and merged. */
static int ext_minus(const struct lb_extents *a, const struct lb_extents *b, struct lb_extents *out)
{
	size_t j = 0;
	for (size_t i = 0; i < a->n; i++) {
		uint64_t s = a->v[i].off, e = s + a->v[i].len;
		while (j < b->n && b->v[j].off + b->v[j].len <= s)
			j++;
		for (size_t k = j; s < e && k < b->n && b->v[k].off < e; k++) {
			if (b->v[k].off > s && lb_ext_add(out, s, b->v[k].off - s) < 0)
				return -ENOMEM;
			if (b->v[k].off + b->v[k].len > s)
				s = b->v[k].off + b->v[k].len;
		}
		if (s < e && lb_ext_add(out, s, e - s) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int ext_copy(const struct lb_extents *a, struct lb_extents *out)
{
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < a->n; i++)
		if (lb_ext_push(out, a->v[i].off, a->v[i].len) < 0)
			return -ENOMEM;
	lb_ext_normalize(out);
	return 0;
}

struct out {
	FILE *f;
	uint64_t pos, len;
	char st;
};

static void emit(struct out *o, uint64_t pos, uint64_t len, char st)
{
	if (!len)
		return;
	if (o->len && o->st == st && o->pos + o->len == pos) {
		o->len += len;
		return;
	}
	if (o->len)
		fprintf(o->f, "0x%08llX  0x%08llX  %c\n", (unsigned long long)o->pos,
		        (unsigned long long)o->len, o->st);
	o->pos = pos;
	o->len = len;
	o->st = st;
}

/* copied = (written - pending) + patched; bad = bad - patched: a sector rescued by a retry
 * is copied, a zero-filled piece is copied only once a patch brought its data. */
static int compute(struct lb_map *m, struct lb_extents *copied, struct lb_extents *bad)
{
	struct lb_extents w, p, pa, b, t = { 0 };
	int rc = ext_copy(&m->x[LB_MAP_WRITTEN], &w) | ext_copy(&m->x[LB_MAP_PENDING], &p) |
	         ext_copy(&m->x[LB_MAP_PATCHED], &pa) | ext_copy(&m->x[LB_MAP_BAD], &b);
	memset(copied, 0, sizeof *copied);
	memset(bad, 0, sizeof *bad);
	if (!rc)
		rc = ext_minus(&w, &p, &t);
	for (size_t i = 0; !rc && i < pa.n; i++)
		rc = lb_ext_push(&t, pa.v[i].off, pa.v[i].len);
	lb_ext_normalize(&t);
	if (!rc)
		rc = ext_minus(&b, &pa, bad);
	if (!rc)
		rc = ext_minus(&t, bad, copied);
	lb_ext_free(&w);
	lb_ext_free(&p);
	lb_ext_free(&pa);
	lb_ext_free(&b);
	lb_ext_free(&t);
	return rc;
}

int lb_map_save(struct lb_map *m, int force, struct lb_err *err)
{
	struct lb_extents copied, bad;
	char tmp[4096];
	struct out o = { 0 };
	uint64_t pos = 0;
	size_t ci = 0, bi = 0;
	int rc;
	if (!force && lb_now() - m->last_save < SAVE_EVERY)
		return 0;
	m->last_save = lb_now();
	pthread_mutex_lock(&m->mu);
	rc = compute(m, &copied, &bad);
	pthread_mutex_unlock(&m->mu);
	if (rc) {
		lb_ext_free(&copied);
		lb_ext_free(&bad);
		return lb_fail(err, LB_ENOMEM, "out of memory writing the mapfile");
	}
	snprintf(tmp, sizeof tmp, "%s.tmp", m->path);
	o.f = fopen(tmp, "w");
	if (!o.f) {
		rc = lb_fail(err, LB_EIO, "cannot write the mapfile %s: %s", tmp, strerror(errno));
		goto out;
	}
	fprintf(o.f, "# Mapfile. Created by lifeboat %s\n# '+' copied, '-' unreadable, '?' not "
	        "copied (not read yet, or not needed: free space, swap)\n# current_pos  "
	        "current_status  current_pass\n0x%08llX     %c               1\n#      pos        "
	        "size  status\n", LB_VERSION, (unsigned long long)m->size, m->finished ? '+' : '?');
	while (pos < m->size) {
		uint64_t cs = ci < copied.n ? copied.v[ci].off : UINT64_MAX;
		uint64_t bs = bi < bad.n ? bad.v[bi].off : UINT64_MAX, next = cs < bs ? cs : bs;
		if (next > m->size)
			next = m->size;
		if (next > pos) {
			emit(&o, pos, next - pos, '?');
			pos = next;
			continue;
		}
		if (cs <= bs) {
			uint64_t e = cs + copied.v[ci++].len;
			emit(&o, pos, (e < m->size ? e : m->size) - pos, '+');
			pos = e;
		} else {
			uint64_t e = bs + bad.v[bi++].len;
			emit(&o, pos, (e < m->size ? e : m->size) - pos, '-');
			pos = e;
		}
	}
	emit(&o, m->size, 1, 0);   /* flush */
	if (fflush(o.f) || fsync(fileno(o.f)) < 0 || fclose(o.f)) {
		rc = lb_fail(err, LB_EIO, "cannot write the mapfile %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (rename(tmp, m->path) < 0)
		rc = lb_fail(err, LB_EIO, "cannot rename %s to %s: %s", tmp, m->path, strerror(errno));
out:
	lb_ext_free(&copied);
	lb_ext_free(&bad);
	return rc;
}

int lb_map_load(const char *path, uint64_t size, struct lb_extents *done, struct lb_extents *bad,
                struct lb_err *err)
{
	FILE *f = fopen(path, "r");
	char line[512];
	uint64_t end = 0;
	int lineno = 0, seen_pos = 0, rc = 0;
	memset(done, 0, sizeof *done);
	memset(bad, 0, sizeof *bad);
	if (!f && errno == ENOENT)
		return 1;
	if (!f)
		return lb_fail(err, LB_EIO, "cannot read the mapfile %s: %s", path, strerror(errno));
	while (fgets(line, sizeof line, f)) {
		unsigned long long pos, len;
		char st;
		lineno++;
		if (line[0] == '#' || line[strspn(line, " \t\r\n")] == 0)
			continue;
		if (!seen_pos) {   /* current_pos current_status [current_pass] */
			seen_pos = 1;
			continue;
		}
		if (sscanf(line, "%lli %lli %c", &pos, &len, &st) != 3 || pos != end || !len ||
		    !strchr("?*/-+", st)) {
			rc = lb_fail(err, LB_EUSAGE, "%s, line %d: not a ddrescue mapfile line (or the "
			             "ranges do not follow each other)", path, lineno);
			break;
		}
		end = pos + len;
		if (st == '+' && lb_ext_add(done, pos, len) < 0)
			rc = lb_fail(err, LB_ENOMEM, "out of memory");
		if (st == '-' && lb_ext_add(bad, pos, len) < 0)
			rc = lb_fail(err, LB_ENOMEM, "out of memory");
	}
	fclose(f);
	if (!rc && end != size)
		rc = lb_fail(err, LB_EUSAGE, "the mapfile %s describes %llu bytes, but the source has "
		             "%llu: it belongs to another disk (give a new mapfile name to start over)",
		             path, (unsigned long long)end, (unsigned long long)size);
	if (rc) {
		lb_ext_free(done);
		lb_ext_free(bad);
	}
	return rc;
}
