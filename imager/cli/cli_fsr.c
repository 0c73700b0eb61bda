/* The part `files` and `extract` share: an image opened as a disk, the partition chosen, its
 * filesystem opened for reading, and paths as the listing prints them. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "blockdev.h"
#include "cli.h"
#include "err.h"
#include "fs.h"
#include "fsread.h"
#include "imgread.h"

void cli_fsr_close(struct cli_fsr *c)
{
	lb_fsr_close(c->f);
	c->f = NULL;
	lb_dev_close(&c->d);
	lb_imgread_close(c->r);
	c->r = NULL;
	cli_pass_free(&c->pass);
}

/* the partitions that hold a filesystem with files (not swap) */
static int has_files(struct lb_dev *d, const struct lb_plan_part *p)
{
	struct lb_fs_info info;
	const struct lb_fs_ops *fs;
	if (!strcmp(p->method, "skipped") || !p->size)
		return 0;
	fs = lb_fs_probe(d, p->start, p->size, &info);
	return fs && strcmp(fs->name, "swap");
}

int cli_fsr_open(struct cli_fsr *c, const char *cmd, const char *image, int partition,
                 const char *key_file)
{
	const struct lb_image_info *info;
	const struct lb_plan_part *pp = NULL;
	struct lb_err err = { 0 };
	int rc, n = 0;
	memset(c, 0, sizeof *c);
	c->d.fd = -1;
	if ((rc = cli_pass_init(&c->pass, cmd, key_file)))
		return rc;
	if ((rc = lb_imgread_open(&c->r, image, cli_pass_ask, &c->pass, LB_IMGREAD_CACHE, &err)) ||
	    (rc = lb_dev_open_image(&c->d, c->r, &err))) {
		cli_fsr_close(c);
		return cli_error(&err);
	}
	info = lb_imgread_info(c->r);
	if (partition >= 0) {
		for (int i = 0; i < info->nparts; i++)
			if (info->parts[i].number == partition)
				pp = &info->parts[i];
		if (!pp) {
			fprintf(stderr, "lifeboat %s: %s has no partition %d ('lifeboat info %s' lists "
			        "them)\n", cmd, image, partition, image);
			cli_fsr_close(c);
			return 2;
		}
		if (!strcmp(pp->method, "skipped")) {
			fprintf(stderr, "lifeboat %s: partition %d was not included in this backup: its "
			        "files are not in %s\n", cmd, partition, image);
			cli_fsr_close(c);
			return 2;
		}
	} else {
		for (int i = 0; i < info->nparts; i++)
			if (has_files(&c->d, &info->parts[i])) {
				pp = &info->parts[i];
				n++;
			}
		if (n != 1) {
			fprintf(stderr, "lifeboat %s: %s holds %s: give --partition N\n", cmd, image,
			        n ? "several filesystems" : "no filesystem whose files Lifeboat can read");
			for (int i = 0; i < info->nparts; i++) {
				const struct lb_plan_part *p = &info->parts[i];
				char sz[32];
				fprintf(stderr, "  partition %d: %s %s%s%s%s\n", p->number,
				        lb_human_size(p->size, sz, sizeof sz), p->fs[0] ? p->fs : "(unknown)",
				        p->label[0] ? " \"" : "", p->label, p->label[0] ? "\"" : "");
			}
			cli_fsr_close(c);
			return n ? 2 : 1;
		}
	}
	c->part = pp->number;
	if ((rc = lb_fsr_open(&c->f, &c->d, pp->start, pp->size, &err))) {
		if (pp->number)
			lb_context(&err, "partition %d%s%s%s", pp->number, pp->fs[0] ? " (" : "", pp->fs,
			           pp->fs[0] ? ")" : "");
		cli_fsr_close(c);
		return cli_error(&err);
	}
	if (lb_fsr_note(c->f) && c->part)
		fprintf(stderr, "lifeboat %s: partition %d: %s\n", cmd, c->part, lb_fsr_note(c->f));
	else if (lb_fsr_note(c->f))
		fprintf(stderr, "lifeboat %s: the filesystem: %s\n", cmd, lb_fsr_note(c->f));
	return 0;
}

/* what the listing prints back into bytes: \\ \n \t \r \xNN; any other byte as it is */
char *cli_unescape(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;
	if (!out)
		return NULL;
	while (*s) {
		unsigned v;
		if (s[0] != '\\' || !s[1]) {
			*o++ = *s++;
		} else if (s[1] == '\\' || s[1] == 'n' || s[1] == 't' || s[1] == 'r') {
			*o++ = s[1] == 'n' ? '\n' : s[1] == 't' ? '\t' : s[1] == 'r' ? '\r' : '\\';
			s += 2;
		} else if (s[1] == 'x' && isxdigit((unsigned char)s[2]) && isxdigit((unsigned char)s[3]) &&
		           sscanf(s + 2, "%2x", &v) == 1 && v) {
			*o++ = (char)v;
			s += 4;
		} else {
			*o++ = *s++;
		}
	}
	*o = 0;
	return out;
}
