/* lb_secure_boot: the SecureBoot EFI variable in a folder laid out like /sys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "secureboot.h"
#include "unit.h"

static char root[] = "/tmp/lb-sb-XXXXXX";
static char path[512];

static const char *at(const char *rel)
{
	snprintf(path, sizeof path, "%s/%s", root, rel);
	return path;
}

static void put(const char *rel, const void *data, size_t n)
{
	FILE *f = fopen(at(rel), "wb");
	if (f) { fwrite(data, 1, n, f); fclose(f); }
}

#define VAR "firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"

int main(void)
{
	if (!mkdtemp(root)) return 1;
	CHECK(lb_secure_boot(root) == LB_SB_LEGACY);                 /* no firmware/efi: BIOS */
	CHECK(lb_secure_boot_name(LB_SB_LEGACY) == NULL);
	mkdir(at("firmware"), 0755); mkdir(at("firmware/efi"), 0755);
	CHECK(lb_secure_boot(root) == LB_SB_UNKNOWN);                /* no efivars folder */
	mkdir(at("firmware/efi/efivars"), 0755);
	CHECK(lb_secure_boot(root) == LB_SB_UNKNOWN);                /* efivarfs not mounted: empty */
	put("firmware/efi/efivars/Boot0000-8be4df61-93ca-11d2-aa0d-00e098032b8c", "\7\0\0\0x", 5);
	CHECK(lb_secure_boot(root) == LB_SB_OFF);                    /* variables, none for SB */
	put(VAR, "\6\0\0\0\1", 5);
	CHECK(lb_secure_boot(root) == LB_SB_ON);
	CHECK(!strcmp(lb_secure_boot_name(LB_SB_ON), "on"));
	put(VAR, "\6\0\0\0\0", 5);
	CHECK(lb_secure_boot(root) == LB_SB_OFF);
	CHECK(!strcmp(lb_secure_boot_name(LB_SB_OFF), "off"));
	put(VAR, "\1", 1);                                           /* not a whole variable */
	CHECK(lb_secure_boot(root) == LB_SB_UNKNOWN);
	put(VAR, "\6\0\0\0\1\1", 6);                                 /* too long: not SecureBoot's */
	CHECK(lb_secure_boot(root) == LB_SB_UNKNOWN);
	put(VAR, "\6\0\0\0\2", 5);                                   /* only 1 means on */
	CHECK(lb_secure_boot(root) == LB_SB_OFF);
	unlink(at(VAR));
	unlink(at("firmware/efi/efivars/Boot0000-8be4df61-93ca-11d2-aa0d-00e098032b8c"));
	rmdir(at("firmware/efi/efivars")); rmdir(at("firmware/efi")); rmdir(at("firmware")); rmdir(root);
	return UNIT_DONE();
}
