/* Multicast: reading udpcast's messages, the report channel's lines, multicast:// URLs
 * (mcast.h). Everything that comes from the network or another program is parsed here, so
 * the unit tests can feed it anything. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "err.h"
#include "mcast.h"

/* An IPv4 address in dotted form at s: copied to addr, returns its length (0: none). */
static size_t take_addr(const char *s, char *addr, size_t cap)
{
	size_t n = strspn(s, "0123456789.");
	if (n < 7 || n > 15 || n >= cap)
		return 0;
	memcpy(addr, s, n);
	addr[n] = 0;
	return n;
}

int lb_mcast_sender_line(const char *line, char *addr, size_t cap, int *id)
{
	const char *p;
	*id = -1;
	if (cap)
		addr[0] = 0;
	while (*line == ' ' || *line == '\r')
		line++;
	if (!strncmp(line, "New connection from ", 20)) {
		p = line + 20;
		size_t n = take_addr(p, addr, cap);
		if (!n)
			return LB_MEV_NONE;
		p = strstr(p + n, "(#");
		if (p)
			*id = atoi(p + 2);
		return LB_MEV_JOIN;
	}
	if (!strncmp(line, "Dropping client #", 17) || !strncmp(line, "dropped client #", 16)) {
		*id = atoi(strchr(line, '#') + 1);
		return LB_MEV_DROP;
	}
	if (!strncmp(line, "Disconnecting #", 15)) {
		*id = atoi(line + 15);
		if ((p = strchr(line, '(')))
			take_addr(p + 1, addr, cap);
		return LB_MEV_DONE;
	}
	if (!strncmp(line, "Starting transfer", 17))
		return LB_MEV_START;
	if (!strncmp(line, "Transfer complete", 17))
		return LB_MEV_COMPLETE;
	return LB_MEV_NONE;
}

int lb_mcast_receiver_line(const char *line, char *addr, size_t cap)
{
	const char *p = strstr(line, "Connected as #");
	if (!p || !(p = strstr(p, " to ")))
		return -1;
	return take_addr(p + 4, addr, cap) ? 0 : -1;
}

/* %-escapes s into out: space, '%', '=' and controls become %XX, so a value is one word. */
static int esc(const char *s, char *out, size_t cap)
{
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (o + 4 >= cap)
			return -1;
		if (*p <= 0x20 || *p == 0x7f || *p == '%' || *p == '=')
			o += (size_t)snprintf(out + o, cap - o, "%%%02X", *p);
		else
			out[o++] = (char)*p;
	}
	out[o] = 0;
	return 0;
}

static int hex(int c)
{
	return isdigit(c) ? c - '0' : isxdigit(c) ? tolower(c) - 'a' + 10 : -1;
}

/* The inverse, then sanitized; a broken escape refuses the line. */
static int unesc(const char *s, size_t len, char *out, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)s[i];
		if (c == '%') {
			int h, l;
			if (i + 2 >= len || (h = hex((unsigned char)s[i + 1])) < 0 ||
			    (l = hex((unsigned char)s[i + 2])) < 0)
				return -1;
			c = h << 4 | l;
			i += 2;
		}
		if (o + 1 >= cap)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = 0;
	lb_sanitize(out);
	return 0;
}

int lb_mcast_fmt_hello(char *buf, size_t cap, const char *host, const char *disk)
{
	char h[400], d[800];
	if (esc(host, h, sizeof h) || esc(disk, d, sizeof d))
		return -1;
	int n = snprintf(buf, cap, LB_MCAST_MAGIC "HELLO host=%s disk=%s\n", h, d);
	return n < 0 || (size_t)n >= cap ? -1 : n;
}

int lb_mcast_fmt_result(char *buf, size_t cap, int ok, double seconds, const char *disk,
                        const char *msg)
{
	char d[800], m[1600];
	if (esc(disk, d, sizeof d) || esc(msg, m, sizeof m))
		return -1;
	int n = snprintf(buf, cap, LB_MCAST_MAGIC "RESULT %s seconds=%.1f disk=%s msg=%s\n",
	                 ok ? "ok" : "failed", seconds, d, m);
	return n < 0 || (size_t)n >= cap ? -1 : n;
}

int lb_mcast_parse(const char *line, struct lb_mcast_msg *m)
{
	const char *p, *e;
	size_t ml = strlen(LB_MCAST_MAGIC);
	memset(m, 0, sizeof *m);
	if (strncmp(line, LB_MCAST_MAGIC, ml))
		return -1;
	p = line + ml;
	if (!strncmp(p, "HELLO ", 6)) {
		m->hello = 1;
		p += 6;
	} else if (!strncmp(p, "RESULT ok ", 10)) {
		m->ok = 1;
		p += 10;
	} else if (!strncmp(p, "RESULT failed ", 14))
		p += 14;
	else
		return -1;
	/* key=value words; unknown keys are skipped (a later version may add some) */
	while (*p && *p != '\n' && *p != '\r') {
		const char *eq;
		e = p + strcspn(p, " \r\n");
		if (!(eq = memchr(p, '=', (size_t)(e - p))))
			return -1;
		size_t kl = (size_t)(eq - p), vl = (size_t)(e - eq - 1);
		char num[32];
		if (kl == 4 && !strncmp(p, "host", 4)) {
			if (unesc(eq + 1, vl, m->host, sizeof m->host))
				return -1;
		} else if (kl == 4 && !strncmp(p, "disk", 4)) {
			if (unesc(eq + 1, vl, m->disk, sizeof m->disk))
				return -1;
		} else if (kl == 3 && !strncmp(p, "msg", 3)) {
			if (unesc(eq + 1, vl, m->msg, sizeof m->msg))
				return -1;
		} else if (kl == 7 && !strncmp(p, "seconds", 7)) {
			char *end;
			if (vl == 0 || vl >= sizeof num)
				return -1;
			memcpy(num, eq + 1, vl);
			num[vl] = 0;
			m->seconds = strtod(num, &end);
			if (*end || !(m->seconds >= 0 && m->seconds < 1e9))
				return -1;
		}
		p = e;
		while (*p == ' ')
			p++;
	}
	return 0;
}

int lb_mcast_parse_url(const char *url, char *iface, size_t cap, struct lb_err *err)
{
	const char *p;
	size_t n;
	if (!url || strncasecmp(url, "multicast://", 12))
		return lb_fail(err, LB_EUSAGE, "%s: not a multicast:// URL", url ? url : "(none)");
	p = url + 12;
	n = strlen(p);
	if (n && p[n - 1] == '/')
		n--;
	if (!n)
		return lb_fail(err, LB_EUSAGE, "%s: name the network interface to listen on "
		               "(multicast://eth0) or multicast://auto", url);
	/* an interface name: what the kernel allows (IFNAMSIZ 16), without '/' or spaces */
	if (n >= 16 || n >= cap)
		return lb_fail(err, LB_EUSAGE, "%s: an interface name has at most 15 characters", url);
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)p[i]) && !strchr("._-@", p[i]))
			return lb_fail(err, LB_EUSAGE, "%s: an interface name holds letters, digits, "
			               "'.', '_', '-' and '@'", url);
	memcpy(iface, p, n);
	iface[n] = 0;
	return 0;
}
