/* The filesystem table: probing order matters only where signatures could coexist (a swap
 * signature sits at 4086, well after any boot sector, so it goes last). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fs.h"
#include "lifeboat.h"

static const struct lb_fs_ops *const table[] = {
	&lb_fs_ext, &lb_fs_fat, &lb_fs_ntfs, &lb_fs_exfat, &lb_fs_swap,
};

const struct lb_fs_ops *lb_fs_probe(struct lb_dev *d, uint64_t off, uint64_t size,
                                    struct lb_fs_info *info)
{
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		memset(info, 0, sizeof *info);
		if (table[i]->probe(d, off, size, info)) {
			/* a label is whatever bytes the disk holds: printable from here on */
			info->label[sizeof info->label - 1] = 0;
			info->uuid[sizeof info->uuid - 1] = 0;
			lb_sanitize(info->label);
			lb_sanitize(info->uuid);
			return table[i];
		}
	}
	memset(info, 0, sizeof *info);
	return NULL;
}

/* lb_sanitize on each line of s, in place, keeping the newlines (a text added may already hold
 * several lines) */
static void sanitize_lines(char *s)
{
	char *out = s;
	for (;;) {
		char *nl = strchr(s, '\n');
		size_t l;
		if (nl)
			*nl = 0;
		lb_sanitize(s);
		l = strlen(s);
		memmove(out, s, l);
		out += l;
		if (!nl)
			break;
		*out++ = '\n';
		s = nl + 1;
	}
	*out = 0;
}

void lb_text_add(char **text, const char *fmt, ...)
{
	va_list ap;
	size_t old = *text ? strlen(*text) : 0;
	int n;
	char *t;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !(t = realloc(*text, old + (size_t)n + 2)))
		return;
	va_start(ap, fmt);
	vsnprintf(t + old, (size_t)n + 1, fmt, ap);
	va_end(ap);
	/* the lines name files as the disk spells them; sanitizing never lengthens */
	sanitize_lines(t + old);
	n = (int)strlen(t + old);
	t[old + n] = '\n';
	t[old + n + 1] = 0;
	*text = t;
}
