/* fsread_utf16.h — names for the readers of filesystems that store UTF-16 (FAT long names,
 * exFAT, NTFS): UTF-16LE to UTF-8, an unpaired surrogate as WTF-8 (its own three bytes), so
 * that every stored name gives a distinct string and none is lost to '?'. */
#ifndef LB_FSREAD_UTF16_H
#define LB_FSREAD_UTF16_H
#include <stddef.h>
#include <stdint.h>

/* n units at p (little-endian bytes) into out (cap bytes): the length, or -1 when it does
 * not fit. Not terminated. 3 * n bytes always fit (3 per unit, 4 per pair of units). */
long lb_utf16le_to_utf8(const uint8_t *p, size_t n, char *out, size_t cap);
/* 1 when a name may be handed out: not empty, not "." or "..", no '/' and no NUL. */
int lb_fsr_name_ok(const char *name, size_t len);
#endif
