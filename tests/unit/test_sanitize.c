/* lb_sanitize: controls and broken UTF-8 become '?', valid UTF-8 stays, never longer. */
#include <string.h>
#include "lifeboat.h"
#include "unit.h"

static int is(const char *in, const char *want)
{
	char buf[256];
	strcpy(buf, in);
	lb_sanitize(buf);
	if (strcmp(buf, want))
		fprintf(stderr, "  lb_sanitize gave \"%s\", wanted \"%s\"\n", buf, want);
	return !strcmp(buf, want);
}

int main(void)
{
	CHECK(is("plain label", "plain label"));
	CHECK(is("", ""));
	CHECK(is("\033[2J\r\b\t\n\x7f", "?[2J?????"));              /* C0 and DEL */
	CHECK(is("a\xc2\x9b" "1m\xc2\x85z", "a?1m?z"));             /* C1 as UTF-8: CSI, NEL */
	CHECK(is("\x9b" "1m", "?1m"));                              /* a lone C1 byte */
	CHECK(is("δίσκος ディスク 🛟", "δίσκος ディスク 🛟"));         /* 2-, 3-, 4-byte UTF-8 */
	CHECK(is("\xc2\xa0nbsp", "\xc2\xa0nbsp"));                  /* U+00A0 is printable */
	CHECK(is("x\xe2\x80\xaey\xe2\x81\xa6z", "x?y?z"));          /* U+202E, U+2066 */
	CHECK(is("a\xe2\x80\xa8" "b", "a?b"));                       /* line separator */
	CHECK(is("\xc0\xaf\xe0\x80\xaf", "?????"));                 /* overlong '/' */
	CHECK(is("\xed\xa0\x80", "???"));                           /* surrogate */
	CHECK(is("\xf4\x90\x80\x80", "????"));                      /* beyond U+10FFFF */
	CHECK(is("end\xe2\x82", "end??"));                          /* cut short */
	CHECK(is("\x80\xbf", "??"));                                /* stray continuations */
	CHECK(lb_sanitize(NULL) == NULL);
	return UNIT_DONE();
}
