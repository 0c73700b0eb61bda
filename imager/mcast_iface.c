/* Multicast: which network interface (mcast.h). "auto" is for a room of machines booted from
 * the stick: the first wired interface that is up and has an IPv4 address, in the kernel's
 * order (getifaddrs), wireless ones left out (multicast over Wi-Fi is slow and lossy). */
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "err.h"
#include "mcast.h"

static int is_wireless(const char *name)
{
	char p[128];
	snprintf(p, sizeof p, "/sys/class/net/%s/wireless", name);
	if (access(p, F_OK) == 0)
		return 1;
	snprintf(p, sizeof p, "/sys/class/net/%s/phy80211", name);
	return access(p, F_OK) == 0;
}

int lb_mcast_iface(const char *iface, char *out, size_t cap, struct lb_err *err)
{
	struct ifaddrs *ifa, *i;
	int found = 0, any = !iface || !*iface || !strcmp(iface, "auto");
	if (getifaddrs(&ifa) < 0)
		return lb_fail(err, LB_EIO, "cannot list the network interfaces: %s", strerror(errno));
	for (i = ifa; i && !found; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
			continue;
		if (any) {
			if ((i->ifa_flags & IFF_LOOPBACK) || !(i->ifa_flags & IFF_UP) ||
			    !(i->ifa_flags & IFF_RUNNING) || is_wireless(i->ifa_name))
				continue;
		} else if (strcmp(i->ifa_name, iface))
			continue;
		snprintf(out, cap, "%s", i->ifa_name);
		found = 1;
	}
	freeifaddrs(ifa);
	if (found)
		return 0;
	if (any)
		return lb_fail(err, LB_ENOENT, "no wired network interface is up with an IPv4 address "
		               "(multicast://auto); is the cable in and DHCP done? Name one: "
		               "multicast://eth0");
	return lb_fail(err, LB_ENOENT, "the network interface %s does not exist or has no IPv4 "
	               "address", iface);
}
