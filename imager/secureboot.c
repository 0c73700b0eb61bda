/* secureboot.c — Secure Boot state from the EFI variable, for the screens and `list --json`.
 * The variable is what the firmware enforces; the kernel's lockdown state would also follow
 * lockdown= on the command line, so it is not used. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include "secureboot.h"

#define SB_VAR "SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"

/* 1 when folder dir holds any entry besides . and .. (efivarfs mounted), else 0. */
static int has_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int any = 0;
	if (!d) return 0;
	while (!any && (e = readdir(d)))
		any = !(e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])));
	closedir(d);
	return any;
}

enum lb_secure_boot lb_secure_boot(const char *sysfs)
{
	char efi[512], vars[600], var[700];
	unsigned char buf[8];
	struct stat st;
	enum lb_secure_boot sb = LB_SB_UNKNOWN;
	ssize_t n;
	int fd;

	snprintf(efi, sizeof efi, "%s/firmware/efi", sysfs ? sysfs : "/sys");
	if (stat(efi, &st) || !S_ISDIR(st.st_mode)) return LB_SB_LEGACY;
	snprintf(vars, sizeof vars, "%s/efivars", efi);
	snprintf(var, sizeof var, "%s/" SB_VAR, vars);
	fd = open(var, O_RDONLY | O_CLOEXEC);
	if (fd < 0) return errno == ENOENT && has_entries(vars) ? LB_SB_OFF : LB_SB_UNKNOWN;
	/* efivarfs wants the whole variable in one read */
	n = read(fd, buf, sizeof buf);
	if (n == 5) sb = buf[4] == 1 ? LB_SB_ON : LB_SB_OFF;
	close(fd);
	return sb;
}

const char *lb_secure_boot_name(enum lb_secure_boot sb)
{
	switch (sb) {
	case LB_SB_ON: return "on";
	case LB_SB_OFF: return "off";
	case LB_SB_UNKNOWN: return "unknown";
	default: return NULL;
	}
}
