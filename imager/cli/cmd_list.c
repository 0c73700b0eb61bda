/* lifeboat list [--json] [--disk FILE]... */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include "cli.h"
#include "secureboot.h"

static void text(const struct lb_disk_info *d)
{
	char a[32], b[32], c[32];
	printf("%s  %s  %s  %s%s%s%s  %s table%s%s%s\n", d->path, lb_human_size(d->size, a, sizeof a),
	       d->transport, d->model[0] ? d->model : "-", d->serial[0] ? " (serial " : "",
	       d->serial, d->serial[0] ? ")" : "", d->table, d->removable ? "  removable" : "",
	       d->mounted ? "  IN USE: " : "", d->mounted ? d->mountpoint : "");
	if (d->table_note[0])
		printf("    note: %s\n", d->table_note);
	printf("    sectors %u/%u\n", d->lsec, d->psec);
	for (int i = 0; i < d->nparts; i++) {
		const struct lb_part_info *p = &d->parts[i];
		printf("    %-3d %-14s %9s  %-6s %-14s %s%s%s%s%s\n", p->number,
		       p->dev[0] ? p->dev : "", lb_human_size(p->size, a, sizeof a),
		       p->is_container ? "(ext)" : p->fs[0] ? p->fs : "?", p->label,
		       p->fs_total ? lb_human_size(p->fs_used, b, sizeof b) : "",
		       p->fs_total ? " used of " : "",
		       p->fs_total ? lb_human_size(p->fs_total, c, sizeof c) : "",
		       p->mountpoint[0] ? "  mounted on " : "", p->mountpoint);
		/* what the probes found beyond the type: a UUID, a version (LUKS2, md 1.2) and
		 * why a backup copies it raw */
		if (p->uuid[0] || p->fs_version[0])
			printf("        %s%s%s%s%s\n", p->uuid[0] ? "uuid " : "", p->uuid,
			       p->uuid[0] && p->fs_version[0] ? "  " : "",
			       p->fs_version[0] ? "version " : "", p->fs_version);
		if (p->note[0])
			printf("        %s\n", p->note);
	}
}

static void json(const struct lb_disk_info *d)
{
	printf("{\"path\":");
	cli_json_str(stdout, d->path);
	printf(",\"name\":");
	cli_json_str(stdout, d->name);
	printf(",\"size\":%llu,\"model\":", (unsigned long long)d->size);
	cli_json_str(stdout, d->model);
	printf(",\"serial\":");
	cli_json_str(stdout, d->serial);
	printf(",\"transport\":\"%s\",\"removable\":%s,\"readonly\":%s,\"logical_sector\":%u,"
	       "\"physical_sector\":%u,\"table\":\"%s\",\"table_note\":", d->transport,
	       d->removable ? "true" : "false", d->readonly ? "true" : "false", d->lsec, d->psec,
	       d->table);
	cli_json_str(stdout, d->table_note);
	printf(",\"mounted\":%s,\"in_use\":", d->mounted ? "true" : "false");
	cli_json_str(stdout, d->mountpoint);
	printf(",\"partitions\":[");
	for (int i = 0; i < d->nparts; i++) {
		const struct lb_part_info *p = &d->parts[i];
		printf("%s{\"number\":%d,\"dev\":", i ? "," : "", p->number);
		cli_json_str(stdout, p->dev);
		printf(",\"start\":%llu,\"size\":%llu,\"container\":%s,\"type\":",
		       (unsigned long long)p->start, (unsigned long long)p->size,
		       p->is_container ? "true" : "false");
		cli_json_str(stdout, p->type);
		printf(",\"name\":");
		cli_json_str(stdout, p->name);
		printf(",\"fs\":");
		cli_json_str(stdout, p->fs);
		printf(",\"label\":");
		cli_json_str(stdout, p->label);
		printf(",\"uuid\":");
		cli_json_str(stdout, p->uuid);
		printf(",\"fs_version\":");
		cli_json_str(stdout, p->fs_version);
		printf(",\"usage\":");
		cli_json_str(stdout, p->usage);
		printf(",\"note\":");
		cli_json_str(stdout, p->note);
		printf(",\"used\":%llu,\"total\":%llu,\"mounted\":%s,\"mountpoint\":",
		       (unsigned long long)p->fs_used, (unsigned long long)p->fs_total,
		       p->mountpoint[0] ? "true" : "false");
		cli_json_str(stdout, p->mountpoint);
		printf("}");
	}
	printf("]}");
}

int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, 0, 'j' }, { "disk", required_argument, 0, 'd' }, { 0, 0, 0, 0 },
	};
	struct lb_disk_info *disks = NULL;
	struct lb_err err = { 0 };
	const char **files = calloc((size_t)argc + 1, sizeof *files);
	int n = 0, nfiles = 0, as_json = 0, c;
	if (!files)
		return 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'j')
			as_json = 1;
		else if (c == 'd')
			files[nfiles++] = optarg;
		else {
			free(files);
			return cli_usage("list", "unknown option");
		}
	}
	if (optind != argc) {
		free(files);
		return cli_usage("list", "takes no arguments besides --json and --disk FILE");
	}
	if (nfiles) {
		disks = calloc((size_t)nfiles, sizeof *disks);
		for (int i = 0; disks && i < nfiles; i++) {
			if (lb_disk_probe(files[i], &disks[n], &err)) {
				lb_disk_list_free(disks, n);
				free(files);
				return cli_error(&err);
			}
			n++;
		}
	} else if (lb_disk_list(&disks, &n, &err)) {
		free(files);
		return cli_error(&err);
	}
	if (as_json) {
		/* secure_boot: true/false under UEFI, null on legacy BIOS or when it cannot be read */
		enum lb_secure_boot sb = lb_secure_boot(NULL);
		printf("{\"secure_boot\":%s,\"disks\":[",
		       sb == LB_SB_ON ? "true" : sb == LB_SB_OFF ? "false" : "null");
	}
	for (int i = 0; i < n; i++) {
		if (as_json) {
			if (i)
				printf(",");
			json(&disks[i]);
		} else {
			text(&disks[i]);
		}
	}
	if (as_json)
		printf("]}\n");
	else if (!n)
		printf("no disks found\n");
	lb_disk_list_free(disks, n);
	free(files);
	return 0;
}
