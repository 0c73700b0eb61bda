/* Fuzz target: the multicast report channel and udpcast's messages (imager/mcast_proto.c). A
 * report line comes from any machine on the network and ends up on the sender's screen: what
 * parses holds no control character, and a formatted line parses back to what was put in
 * (sanitized). udpcast's lines name an address that fits its buffer. */
#include <string.h>
#include "fuzz.h"
#include "mcast.h"

static void clean(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lb_mcast_msg m, back;
	struct lb_err err = { 0 };
	char *text = malloc(size + 1), addr[16], line[4096];
	int id;
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	if (lb_mcast_parse(text, &m) == 0) {
		clean(m.host);
		clean(m.disk);
		clean(m.msg);
		if (!(m.seconds >= 0 && m.seconds < 1e9))
			abort();
		/* what parsed, sent again, reads back the same */
		int n = m.hello ? lb_mcast_fmt_hello(line, sizeof line, m.host, m.disk) :
		        lb_mcast_fmt_result(line, sizeof line, m.ok, m.seconds, m.disk, m.msg);
		if (n <= 0 || lb_mcast_parse(line, &back) || (m.hello && strcmp(back.host, m.host)) ||
		    strcmp(back.disk, m.disk) || back.ok != m.ok || back.hello != m.hello ||
		    (!m.hello && strcmp(back.msg, m.msg)))
			abort();
	}
	if (lb_mcast_sender_line(text, addr, sizeof addr, &id) != LB_MEV_NONE)
		clean(addr);
	if (lb_mcast_receiver_line(text, addr, sizeof addr) == 0)
		clean(addr);
	if (lb_mcast_parse_url(text, line, sizeof line, &err) == 0)
		clean(line);
	else if (!err.msg[0])
		abort();
	free(text);
	return 0;
}
