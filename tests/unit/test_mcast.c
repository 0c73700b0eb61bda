/* Multicast parsers (imager/mcast_proto.c): udp-sender's and udp-receiver's messages as they
 * print them, the report channel's lines (round trip, hostile values, broken lines), and
 * multicast:// URLs (also through lb_repo_parse). */
#include <string.h>
#include "mcast.h"
#include "repo.h"
#include "unit.h"

int main(void)
{
	char addr[64], line[2048], big[3000];
	struct lb_mcast_msg m;
	struct lb_err err = { 0 };
	struct lb_repo_url u;
	int id;

	/* udp-sender 20120424, as captured in tests/cli/multicast.test.sh */
	CHECK(lb_mcast_sender_line("New connection from 10.88.0.3  (#0) 00000009", addr,
	                           sizeof addr, &id) == LB_MEV_JOIN && !strcmp(addr, "10.88.0.3") &&
	      id == 0);
	CHECK(lb_mcast_sender_line("New connection from 192.168.100.254  (#17)", addr, sizeof addr,
	                           &id) == LB_MEV_JOIN && !strcmp(addr, "192.168.100.254") && id == 17);
	CHECK(lb_mcast_sender_line("Dropping client #1 because of timeout", addr, sizeof addr, &id) ==
	      LB_MEV_DROP && id == 1);
	CHECK(lb_mcast_sender_line("Disconnecting #1 (10.88.0.2)", addr, sizeof addr, &id) ==
	      LB_MEV_DONE && id == 1 && !strcmp(addr, "10.88.0.2"));
	CHECK(lb_mcast_sender_line("Starting transfer: 00000009", addr, sizeof addr, &id) ==
	      LB_MEV_START);
	CHECK(lb_mcast_sender_line("Transfer complete.", addr, sizeof addr, &id) == LB_MEV_COMPLETE);
	CHECK(lb_mcast_sender_line("bytes= 20 971 520  re-xmits=0002885 ( 20.0%) slice=0112 -   1",
	                           addr, sizeof addr, &id) == LB_MEV_NONE);
	/* not an address: no join */
	CHECK(lb_mcast_sender_line("New connection from x.y  (#0)", addr, sizeof addr, &id) ==
	      LB_MEV_NONE);
	CHECK(lb_mcast_sender_line("New connection from 1111111111111111111", addr, sizeof addr,
	                           &id) == LB_MEV_NONE);
	CHECK(lb_mcast_sender_line("New connection from 10.0.0.1", addr, 4, &id) == LB_MEV_NONE);

	CHECK(!lb_mcast_receiver_line("Connected as #1 to 10.88.0.1", addr, sizeof addr) &&
	      !strcmp(addr, "10.88.0.1"));
	CHECK(lb_mcast_receiver_line("UDP receiver for (stdout) at 10.88.0.2 on e1", addr,
	                             sizeof addr));
	CHECK(lb_mcast_receiver_line("Connected as #1 to ", addr, sizeof addr));

	/* round trips, values with spaces, '=', '%' and controls */
	CHECK(lb_mcast_fmt_hello(line, sizeof line, "pc 12", "/dev/sda") > 0);
	CHECK(!strcmp(line, "LIFEBOAT-MCAST 1 HELLO host=pc%2012 disk=/dev/sda\n"));
	CHECK(!lb_mcast_parse(line, &m) && m.hello && !strcmp(m.host, "pc 12") &&
	      !strcmp(m.disk, "/dev/sda"));
	CHECK(lb_mcast_fmt_result(line, sizeof line, 1, 12.25, "/dev/nvme0n1",
	                          "restored 1 GiB; read back and verified") > 0);
	CHECK(!lb_mcast_parse(line, &m) && !m.hello && m.ok && m.seconds > 12.1 && m.seconds < 12.4 &&
	      !strcmp(m.disk, "/dev/nvme0n1") && !strcmp(m.msg, "restored 1 GiB; read back and verified"));
	CHECK(lb_mcast_fmt_result(line, sizeof line, 0, 0, "d", "a=b 100%\n\x1b[2Jx") > 0);
	CHECK(!strchr(line, '\x1b') && strchr(line, '\n') == line + strlen(line) - 1);
	CHECK(!lb_mcast_parse(line, &m) && !m.ok && !strncmp(m.msg, "a=b 100%", 8) &&
	      !strchr(m.msg, '\x1b') && !strchr(m.msg, '\n'));
	/* too long for the buffer: refused, never cut */
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = 0;
	CHECK(lb_mcast_fmt_result(line, sizeof line, 1, 1, "d", big) == -1);
	/* broken or foreign lines */
	CHECK(lb_mcast_parse("HELLO host=a", &m));
	CHECK(lb_mcast_parse("LIFEBOAT-MCAST 2 HELLO host=a", &m));
	CHECK(lb_mcast_parse("LIFEBOAT-MCAST 1 RESULT maybe seconds=1", &m));
	CHECK(lb_mcast_parse("LIFEBOAT-MCAST 1 RESULT ok seconds=abc", &m));
	CHECK(lb_mcast_parse("LIFEBOAT-MCAST 1 RESULT ok seconds=-1", &m));
	CHECK(lb_mcast_parse("LIFEBOAT-MCAST 1 RESULT ok seconds=nan", &m));
	CHECK(lb_mcast_parse("LIFEBOAT-MCAST 1 HELLO host=%4", &m));
	CHECK(lb_mcast_parse("LIFEBOAT-MCAST 1 HELLO host=%zz", &m));
	CHECK(lb_mcast_parse("LIFEBOAT-MCAST 1 HELLO hostonly", &m));
	/* a value longer than the field: refused */
	snprintf(line, sizeof line, "LIFEBOAT-MCAST 1 HELLO host=%.*s", 300, big);
	CHECK(lb_mcast_parse(line, &m));
	/* unknown keys are skipped (a later version may add some) */
	CHECK(!lb_mcast_parse("LIFEBOAT-MCAST 1 RESULT failed seconds=3.5 serial=X msg=no%20disk",
	                      &m) && !m.ok && !strcmp(m.msg, "no disk"));
	/* an escaped NUL ends the value, nothing after it is hidden in the field */
	CHECK(!lb_mcast_parse("LIFEBOAT-MCAST 1 HELLO host=a%00b", &m) && !strcmp(m.host, "a"));

	/* multicast:// URLs */
	CHECK(!lb_mcast_parse_url("multicast://eth0", addr, sizeof addr, &err) &&
	      !strcmp(addr, "eth0"));
	CHECK(!lb_mcast_parse_url("MULTICAST://auto/", addr, sizeof addr, &err) &&
	      !strcmp(addr, "auto"));
	CHECK(!lb_mcast_parse_url("multicast://enp0s31f6", addr, sizeof addr, &err));
	CHECK(lb_mcast_parse_url("multicast://", addr, sizeof addr, &err) == LB_EUSAGE);
	CHECK(lb_mcast_parse_url("multicast://a/b", addr, sizeof addr, &err) == LB_EUSAGE);
	CHECK(lb_mcast_parse_url("multicast://a;rm", addr, sizeof addr, &err) == LB_EUSAGE);
	CHECK(lb_mcast_parse_url("multicast://averyveryverylongname", addr, sizeof addr, &err) ==
	      LB_EUSAGE);
	CHECK(lb_mcast_parse_url("http://x/y", addr, sizeof addr, &err) == LB_EUSAGE);
	CHECK(lb_repo_is_url("multicast://auto"));
	CHECK(!lb_repo_parse("multicast://eth1", &u, &err) && u.kind == LB_REPO_MCAST &&
	      !strcmp(u.host, "eth1"));
	CHECK(lb_repo_parse("multicast://eth 1", &u, &err) == LB_EUSAGE);

	/* an interface that is not there is named */
	memset(&err, 0, sizeof err);
	CHECK(lb_mcast_iface("lbnosuch0", addr, sizeof addr, &err) == LB_ENOENT &&
	      strstr(err.msg, "lbnosuch0"));
	return UNIT_DONE();
}
