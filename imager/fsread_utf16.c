/* UTF-16LE names to UTF-8 (WTF-8 for unpaired surrogates), for fsread_fat.c, fsread_exfat.c
 * and fsread_ntfs.c. */
#include <string.h>
#include "fsread_utf16.h"
#include "le.h"

long lb_utf16le_to_utf8(const uint8_t *p, size_t n, char *out, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t c = le16(p + 2 * i);
		if (c >= 0xd800 && c < 0xdc00 && i + 1 < n) {
			uint32_t lo = le16(p + 2 * i + 2);
			if (lo >= 0xdc00 && lo < 0xe000) {
				c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
				i++;
			}
		}
		/* a lone surrogate falls through to the three-byte form: WTF-8 */
		if (c < 0x80) {
			if (o + 1 > cap)
				return -1;
			out[o++] = (char)c;
		} else if (c < 0x800) {
			if (o + 2 > cap)
				return -1;
			out[o++] = (char)(0xc0 | c >> 6);
			out[o++] = (char)(0x80 | (c & 0x3f));
		} else if (c < 0x10000) {
			if (o + 3 > cap)
				return -1;
			out[o++] = (char)(0xe0 | c >> 12);
			out[o++] = (char)(0x80 | (c >> 6 & 0x3f));
			out[o++] = (char)(0x80 | (c & 0x3f));
		} else {
			if (o + 4 > cap)
				return -1;
			out[o++] = (char)(0xf0 | c >> 18);
			out[o++] = (char)(0x80 | (c >> 12 & 0x3f));
			out[o++] = (char)(0x80 | (c >> 6 & 0x3f));
			out[o++] = (char)(0x80 | (c & 0x3f));
		}
	}
	return (long)o;
}

int lb_fsr_name_ok(const char *name, size_t len)
{
	if (!len || (len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		return 0;
	return !memchr(name, '/', len) && !memchr(name, 0, len);
}
