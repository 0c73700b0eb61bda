/* Error messages and small formatting helpers shared by the engine and its front ends. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "err.h"

int lb_fail(struct lb_err *err, int code, const char *fmt, ...)
{
	if (err && !err->code) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof err->msg, fmt, ap);
		va_end(ap);
		err->code = code;
	}
	return err && err->code ? err->code : code;
}

int lb_context(struct lb_err *err, const char *fmt, ...)
{
	char head[512], old[sizeof err->msg];
	va_list ap;
	if (!err || !err->code)
		return err ? err->code : 0;
	va_start(ap, fmt);
	vsnprintf(head, sizeof head, fmt, ap);
	va_end(ap);
	snprintf(old, sizeof old, "%s", err->msg);
	snprintf(err->msg, sizeof err->msg, "%s: %s", head, old);
	return err->code;
}

void lb_err_clear(struct lb_err *err)
{
	err->code = 0;
	err->msg[0] = 0;
}

const char *lb_code_name(int code)
{
	static const char *const names[] = {
		[LB_OK] = "ok", [LB_EIO] = "I/O error", [LB_EUSAGE] = "usage error",
		[LB_ENOENT] = "not found", [LB_EDAMAGED] = "damaged image",
		[LB_EFOREIGN] = "not a Lifeboat image", [LB_EVERSION] = "image too new",
		[LB_EREFUSED] = "refused", [LB_ETOOSMALL] = "target too small",
		[LB_ECANCELLED] = "cancelled", [LB_ENOMEM] = "out of memory",
		[LB_EMISMATCH] = "differs from image", [LB_EUNSUPPORTED] = "unsupported",
		[LB_ENOSPACE] = "destination full", [LB_EKEY] = "wrong or missing passphrase",
	};
	if (code < 0 || (size_t)code >= sizeof names / sizeof names[0] || !names[code])
		return "error";
	return names[code];
}

/* Exit statuses are part of the command line's contract (README, --help). */
int lb_exit_status(int code)
{
	switch (code) {
	case LB_OK: return 0;
	case LB_EUSAGE: return 2;
	case LB_EDAMAGED: case LB_EFOREIGN: case LB_EVERSION: return 3;
	case LB_EREFUSED: case LB_ETOOSMALL: return 4;
	case LB_ECANCELLED: return 5;
	case LB_EMISMATCH: return 7;
	case LB_EKEY: return 8;
	default: return 1;
	}
}

char *lb_human_size(uint64_t b, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)b;
	int u = 0;
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)b);
	else
		snprintf(buf, len, v < 10 ? "%.2f %s" : v < 100 ? "%.1f %s" : "%.0f %s", v, unit[u]);
	return buf;
}

int lb_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mul = 1;
	if (!s || !isdigit((unsigned char)*s))
		return -1;
	v = strtoull(s, &end, 10);
	switch (toupper((unsigned char)*end)) {
	case 0: break;
	case 'K': mul = 1ULL << 10; end++; break;
	case 'M': mul = 1ULL << 20; end++; break;
	case 'G': mul = 1ULL << 30; end++; break;
	case 'T': mul = 1ULL << 40; end++; break;
	default: return -1;
	}
	if (mul > 1 && (!strcasecmp(end, "ib") || !strcasecmp(end, "b")))
		end += strlen(end);
	if (*end || (v && mul > UINT64_MAX / v))
		return -1;
	*out = v * mul;
	return 0;
}
