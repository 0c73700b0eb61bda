/* Strings that came from a disk or an image (labels, GPT names, models, serials, META notes,
 * file names in damage reports) are printed on terminals: a label holding ESC [2J clears the
 * screen, a carriage return hides what came before it, a right-to-left override reorders the
 * line. lb_sanitize makes such a string safe to print, keeping valid UTF-8 so names in other
 * scripts survive. It works in place: every replacement is no longer than what it replaces. */
#include <stddef.h>
#include "lifeboat.h"

/* Length of the valid UTF-8 sequence at s (1..4) and its code point, or 0 when the bytes are
 * not one (stray continuation byte, overlong form, surrogate, beyond U+10FFFF, cut short). */
static int utf8_seq(const unsigned char *s, unsigned *cp)
{
	unsigned c = s[0], min;
	int n;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2, min = 0x80, c &= 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3, min = 0x800, c &= 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4, min = 0x10000, c &= 0x07;
	} else {
		return 0;
	}
	for (int i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)   /* also stops at the terminating 0 */
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* Code points that change what a terminal does or how the line reads rather than showing a
 * character: C0 and C1 controls, DEL, line and paragraph separators, bidirectional controls. */
static int is_control(unsigned cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x200e || cp == 0x200f ||
	       (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

char *lb_sanitize(char *s)
{
	unsigned char *in = (unsigned char *)s, *out = in;
	if (!s)
		return s;
	while (*in) {
		unsigned cp;
		int n = utf8_seq(in, &cp);
		if (!n || is_control(cp)) {
			*out++ = '?';
			in += n ? n : 1;
			continue;
		}
		while (n--)
			*out++ = *in++;
	}
	*out = 0;
	return s;
}
