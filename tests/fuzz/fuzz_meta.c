/* Fuzz target: the META record's "key=value" parser (the image's description). */
#include <string.h>
#include "fuzz.h"
#include "meta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lb_image_info info;
	char why[200];
	memset(&info, 0, sizeof info);
	/* the engine hands the parser a NUL-terminated copy; keep ASan's view of the length exact */
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	if (lb_meta_parse(text, size, &info, why, sizeof why) == 0) {
		size_t len;
		char *again = lb_meta_build(&info, &len);   /* what parses must build again */
		free(again);
	}
	free(info.parts);
	free(text);
	return 0;
}
