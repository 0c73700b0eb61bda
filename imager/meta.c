/* The META record: the image's description in plain "key=value" lines. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "meta.h"

struct buf {
	char *p;
	size_t n, cap;
	int oom;
};

static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int need;
	va_start(ap, fmt);
	need = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (b->oom || need < 0)
		return;
	if (b->n + (size_t)need + 1 > b->cap) {
		size_t cap = (b->cap + (size_t)need + 1) * 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
	va_end(ap);
	b->n += (size_t)need;
}

/* Values never contain newlines or control characters. */
static const char *clean(const char *s, char *out, size_t len)
{
	size_t i;
	for (i = 0; s[i] && i + 1 < len; i++)
		out[i] = (unsigned char)s[i] < 0x20 ? ' ' : s[i];
	out[i] = 0;
	return out;
}

char *lb_meta_build(const struct lb_image_info *in, size_t *len)
{
	struct buf b = { 0 };
	char t[512];
	put(&b, "format=lifeboat-image %u.%u\n", in->major, in->minor);
	put(&b, "tool=lifeboat %s\n", clean(in->tool_version, t, sizeof t));
	put(&b, "created=%lld\n", (long long)in->created);
	put(&b, "note=%s\n", clean(in->note, t, sizeof t));
	put(&b, "source.path=%s\n", clean(in->src_path, t, sizeof t));
	put(&b, "source.size=%llu\n", (unsigned long long)in->src_size);
	put(&b, "source.model=%s\n", clean(in->src_model, t, sizeof t));
	put(&b, "source.serial=%s\n", clean(in->src_serial, t, sizeof t));
	put(&b, "source.transport=%s\n", clean(in->src_transport, t, sizeof t));
	put(&b, "source.lsec=%u\nsource.psec=%u\n", in->lsec, in->psec);
	put(&b, "table=%s\n", in->table);
	put(&b, "min_size=%llu\n", (unsigned long long)in->min_size);
	put(&b, "chunk_size=%u\n", in->chunk_size);
	if (in->codec[0])
		put(&b, "codec=%s\n", clean(in->codec, t, sizeof t));
	put(&b, "level=%d\n", in->level);
	put(&b, "parts=%d\n", in->nparts);
	for (int i = 0; i < in->nparts; i++) {
		const struct lb_plan_part *p = &in->parts[i];
		put(&b, "part.%d.number=%d\n", i, p->number);
		put(&b, "part.%d.start=%llu\n", i, (unsigned long long)p->start);
		put(&b, "part.%d.size=%llu\n", i, (unsigned long long)p->size);
		put(&b, "part.%d.fs=%s\n", i, clean(p->fs, t, sizeof t));
		put(&b, "part.%d.label=%s\n", i, clean(p->label, t, sizeof t));
		put(&b, "part.%d.method=%s\n", i, clean(p->method, t, sizeof t));
		put(&b, "part.%d.reason=%s\n", i, clean(p->reason, t, sizeof t));
		put(&b, "part.%d.bytes=%llu\n", i, (unsigned long long)p->bytes);
	}
	if (in->nunalloc) {
		put(&b, "unalloc.skipped=%llu\nunalloc.areas=%d\n",
		    (unsigned long long)in->unalloc_skipped, in->nunalloc);
		for (int i = 0; i < in->nunalloc; i++) {
			const struct lb_unalloc_area *a = &in->unalloc[i];
			put(&b, "unalloc.%d.offset=%llu\nunalloc.%d.length=%llu\nunalloc.%d.kept=%d\n",
			    i, (unsigned long long)a->off, i, (unsigned long long)a->len, i, a->kept);
			put(&b, "unalloc.%d.why=%s\n", i, clean(a->why, t, sizeof t));
		}
	}
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	*len = b.n;
	return b.p;
}

static int num(const char *v, unsigned long long *out)
{
	char *end;
	if (!*v)
		return -1;
	*out = strtoull(v, &end, 10);
	return *end ? -1 : 0;
}

int lb_meta_parse(const char *text, size_t len, struct lb_image_info *info, char *why, size_t wl)
{
	const char *p = text, *end = text + len;
	int have_size = 0, have_table = 0;
	unsigned long long v;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eq;
		char key[64], val[512];
		size_t kl, vl;
		int idx;
		if (!nl)
			nl = end;
		eq = memchr(p, '=', (size_t)(nl - p));
		if (!eq)
			goto next;
		kl = (size_t)(eq - p);
		vl = (size_t)(nl - eq - 1);
		if (kl >= sizeof key)
			goto next;
		memcpy(key, p, kl);
		key[kl] = 0;
		if (vl >= sizeof val)
			vl = sizeof val - 1;
		memcpy(val, eq + 1, vl);
		val[vl] = 0;
#define STR(k, f) else if (!strcmp(key, k)) snprintf(f, sizeof f, "%s", val)
		if (!strcmp(key, "tool")) {
			snprintf(info->tool_version, sizeof info->tool_version, "%s",
			         strncmp(val, "lifeboat ", 9) ? val : val + 9);
		}
		STR("note", info->note);
		STR("source.path", info->src_path);
		STR("source.model", info->src_model);
		STR("source.serial", info->src_serial);
		STR("source.transport", info->src_transport);
		STR("codec", info->codec);
		else if (!strcmp(key, "table")) {
			if (strcmp(val, "gpt") && strcmp(val, "mbr") && strcmp(val, "none"))
				goto bad;
			snprintf(info->table, sizeof info->table, "%s", val);
			have_table = 1;
		} else if (!strcmp(key, "created") && !num(val, &v)) {
			info->created = (time_t)v;
		} else if (!strcmp(key, "source.size")) {
			if (num(val, &v))
				goto bad;
			info->src_size = v;
			have_size = 1;
		} else if (!strcmp(key, "source.lsec") && !num(val, &v)) {
			info->lsec = (unsigned)v;
		} else if (!strcmp(key, "source.psec") && !num(val, &v)) {
			info->psec = (unsigned)v;
		} else if (!strcmp(key, "min_size") && !num(val, &v)) {
			info->min_size = v;
		} else if (!strcmp(key, "chunk_size") && !num(val, &v)) {
			info->chunk_size = (uint32_t)v;
		} else if (!strcmp(key, "level") && !num(val, &v)) {
			info->level = (int)v;
		} else if (!strcmp(key, "parts")) {
			if (num(val, &v) || v > 1024 || info->parts)
				goto bad;
			info->nparts = (int)v;
			info->parts = calloc(v + 1, sizeof *info->parts);
			if (!info->parts)
				goto bad;
		} else if (!strcmp(key, "unalloc.skipped") && !num(val, &v)) {
			info->unalloc_skipped = v;
		} else if (!strcmp(key, "unalloc.areas")) {
			if (num(val, &v) || v > 4096 || info->unalloc)
				goto bad;
			info->nunalloc = (int)v;
			info->unalloc = calloc(v + 1, sizeof *info->unalloc);
			if (!info->unalloc)
				goto bad;
		} else if (sscanf(key, "unalloc.%d.", &idx) == 1) {
			const char *f = strchr(key + 8, '.');
			struct lb_unalloc_area *ua;
			if (!info->unalloc || idx < 0 || idx >= info->nunalloc || !f)
				goto bad;
			ua = &info->unalloc[idx];
			f++;
			if (!strcmp(f, "offset") && !num(val, &v))
				ua->off = v;
			else if (!strcmp(f, "length") && !num(val, &v))
				ua->len = v;
			else if (!strcmp(f, "kept") && !num(val, &v))
				ua->kept = v != 0;
			else if (!strcmp(f, "why"))
				snprintf(ua->why, sizeof ua->why, "%s", val);
		} else if (sscanf(key, "part.%d.", &idx) == 1) {
			const char *f = strchr(key + 5, '.');
			struct lb_plan_part *pp;
			if (!info->parts || idx < 0 || idx >= info->nparts || !f)
				goto bad;
			pp = &info->parts[idx];
			f++;
			if (!strcmp(f, "number") && !num(val, &v) && v <= 1024)
				pp->number = (int)v;
			else if (!strcmp(f, "start") && !num(val, &v))
				pp->start = v;
			else if (!strcmp(f, "size") && !num(val, &v))
				pp->size = v;
			else if (!strcmp(f, "bytes") && !num(val, &v))
				pp->bytes = v;
#define FSTR(k, fld) else if (!strcmp(f, k)) snprintf(fld, sizeof fld, "%s", val)
			FSTR("fs", pp->fs);
			FSTR("label", pp->label);
			FSTR("method", pp->method);
			FSTR("reason", pp->reason);
#undef FSTR
		}
#undef STR
next:
		p = nl + 1;
	}
	/* An image is foreign input: its strings are printed by every front end. */
	lb_sanitize(info->tool_version);
	lb_sanitize(info->note);
	lb_sanitize(info->src_path);
	lb_sanitize(info->src_model);
	lb_sanitize(info->src_serial);
	lb_sanitize(info->src_transport);
	lb_sanitize(info->codec);
	for (int i = 0; i < info->nparts; i++) {
		lb_sanitize(info->parts[i].fs);
		lb_sanitize(info->parts[i].label);
		lb_sanitize(info->parts[i].method);
		lb_sanitize(info->parts[i].reason);
	}
	for (int i = 0; i < info->nunalloc; i++) {
		struct lb_unalloc_area *ua = &info->unalloc[i];
		lb_sanitize(ua->why);
		if (ua->off > info->src_size || ua->len > info->src_size - ua->off) {
			snprintf(why, wl, "its description places an unallocated area outside the "
			         "source disk");
			return -1;
		}
	}
	if (!have_size || !have_table) {
		snprintf(why, wl, "its description lacks the source size or the table type");
		return -1;
	}
	for (int i = 0; i < info->nparts; i++) {
		const struct lb_plan_part *pp = &info->parts[i];
		if (pp->start > info->src_size || pp->size > info->src_size - pp->start) {
			snprintf(why, wl, "its description places partition %d outside the source disk",
			         pp->number);
			return -1;
		}
	}
	return 0;
bad:
	snprintf(why, wl, "its description has a malformed line");
	return -1;
}
