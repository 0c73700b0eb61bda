/* Writing a ddrescue mapfile, so ddrescue (or a person) can pick up where Lifeboat left off. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "err.h"
#include "mapfile.h"

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

int lb_write_mapfile(const char *path, uint64_t size, const struct lb_extents *read,
                     const struct lb_extents *bad, struct lb_err *err)
{
	struct out o = { fopen(path, "w"), 0, 0, 0 };
	uint64_t pos = 0;
	size_t bi = 0;
	if (!o.f)
		return lb_fail(err, LB_EIO, "cannot write the mapfile %s: %s", path, strerror(errno));
	fprintf(o.f, "# Mapfile. Created by lifeboat %s\n# '+' read, '-' unreadable, '?' not read "
	        "(not needed: free space, swap)\n# current_pos  current_status  current_pass\n"
	        "0x%08llX     +               1\n#      pos        size  status\n", LB_VERSION,
	        (unsigned long long)size);
	for (size_t i = 0; i < read->n; i++) {
		uint64_t s = read->v[i].off, e = s + read->v[i].len;
		emit(&o, pos, s - pos, '?');
		while (s < e) {
			while (bi < bad->n && bad->v[bi].off + bad->v[bi].len <= s)
				bi++;
			if (bi < bad->n && bad->v[bi].off <= s) {
				uint64_t be = bad->v[bi].off + bad->v[bi].len;
				emit(&o, s, (be < e ? be : e) - s, '-');
				s = be < e ? be : e;
			} else {
				uint64_t ne = bi < bad->n && bad->v[bi].off < e ? bad->v[bi].off : e;
				emit(&o, s, ne - s, '+');
				s = ne;
			}
		}
		pos = e;
	}
	emit(&o, pos, size - pos, '?');
	emit(&o, size, 1, 0);   /* flush */
	if (fclose(o.f))
		return lb_fail(err, LB_EIO, "cannot write the mapfile %s: %s", path, strerror(errno));
	return 0;
}
