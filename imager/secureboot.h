/* secureboot.h — whether the firmware started this system with Secure Boot on. */
#ifndef LB_SECUREBOOT_H
#define LB_SECUREBOOT_H

enum lb_secure_boot {
	LB_SB_LEGACY = -1,   /* no UEFI (legacy BIOS boot): Secure Boot does not apply */
	LB_SB_OFF = 0,
	LB_SB_ON = 1,
	LB_SB_UNKNOWN = 2,   /* UEFI, but the variable cannot be read (efivarfs not mounted) */
};

/* Reads the firmware's SecureBoot variable under sysfs (NULL: "/sys"; tests pass a folder laid
 * out like it): SYSFS/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c,
 * 4 bytes of attributes then one byte, 1 = on. No SYSFS/firmware/efi: legacy. A readable
 * efivars folder without the variable: off (firmware without Secure Boot). */
enum lb_secure_boot lb_secure_boot(const char *sysfs);
/* "on", "off", "unknown"; NULL for legacy (nothing to show). */
const char *lb_secure_boot_name(enum lb_secure_boot sb);
#endif
