/* files.c — finding image files in folders (UI-side browsing; the engine reads them). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "ui.h"

static int is_image_name(const char *n)
{
	size_t l = strlen(n);
	return l > 4 && !strcmp(n + l - 4, ".lbi") && n[0] != '.';
}

int images_scan(const char *dir, int depth, struct img_ent **v, int *n, int *cap)
{
	DIR *d = opendir(dir);
	if (!d) return -1;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.') continue;
		char p[1024];
		if (snprintf(p, sizeof p, "%s/%s", strcmp(dir, "/") ? dir : "", e->d_name) >= (int)sizeof p)
			continue;
		struct stat st;
		if (lstat(p, &st) < 0) continue;
		if (S_ISDIR(st.st_mode)) {
			if (depth > 0 && strcmp(p, "/proc") && strcmp(p, "/sys") && strcmp(p, "/dev"))
				images_scan(p, depth - 1, v, n, cap);
			continue;
		}
		if (!S_ISREG(st.st_mode) || !is_image_name(e->d_name)) continue;
		int dup = 0;
		for (int i = 0; i < *n && !dup; i++) dup = !strcmp((*v)[i].path, p);
		if (dup) continue;
		if (*n == *cap) {
			int nc = *cap ? *cap * 2 : 16;
			struct img_ent *nv = realloc(*v, nc * sizeof **v);
			if (!nv) break;
			*v = nv;
			*cap = nc;
		}
		struct img_ent *ie = &(*v)[(*n)++];
		snprintf(ie->path, sizeof ie->path, "%s", p);
		ie->size = (uint64_t)st.st_size;
		ie->mtime = st.st_mtime;
	}
	closedir(d);
	return 0;
}
