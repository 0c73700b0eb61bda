/* lifeboat info IMAGE [--json] */
#include <getopt.h>
#include <stdio.h>
#include <time.h>
#include <strings.h>
#include "cli.h"

static void text(const char *path, const struct lb_image_info *i)
{
	char a[32], b[32], when[64];
	struct tm tm;
	time_t t = i->created;
	strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", gmtime_r(&t, &tm));
	printf("image:      %s\n", path);
	printf("format:     Lifeboat image %u.%u, written by lifeboat %s\n", i->major, i->minor,
	       i->tool_version);
	printf("created:    %s\n", when);
	if (i->note[0])
		printf("note:       %s\n", i->note);
	printf("source:     %s, %s (%llu bytes), %s%s%s%s%s\n", i->src_path,
	       lb_human_size(i->src_size, a, sizeof a), (unsigned long long)i->src_size,
	       i->src_transport, i->src_model[0] ? ", " : "", i->src_model,
	       i->src_serial[0] ? ", serial " : "", i->src_serial);
	printf("sectors:    %u logical, %u physical\n", i->lsec, i->psec);
	printf("chunks:     %s level %d, %s checksums, %u-byte chunks\n", i->codec, i->level,
	       i->checksum, i->chunk_size);
	if (i->encrypted)
		printf("encrypted:  yes, XChaCha20-Poly1305; key by Argon2id (%llu passes, %llu MiB)\n",
		       (unsigned long long)i->kdf_ops, (unsigned long long)(i->kdf_mem >> 20));
	printf("table:      %s\n", i->table);
	printf("restores to a disk of at least %s (%llu bytes)\n",
	       lb_human_size(i->min_size, a, sizeof a), (unsigned long long)i->min_size);
	printf("%-5s %12s %12s %-6s %-12s %-7s %10s  %s\n", "part", "start", "size", "fs", "label",
	       "method", "saved", "why");
	for (int k = 0; k < i->nparts; k++) {
		const struct lb_plan_part *p = &i->parts[k];
		printf("%-5d %12llu %12s %-6s %-12.12s %-7s %10s  %s\n", p->number,
		       (unsigned long long)p->start, lb_human_size(p->size, a, sizeof a),
		       p->fs[0] ? p->fs : "?", p->label, p->method,
		       lb_human_size(p->bytes, b, sizeof b), p->reason);
	}
	for (int k = 0; k < i->nunalloc; k++)
		printf("unallocated %s at offset %llu: %s\n",
		       lb_human_size(i->unalloc[k].len, a, sizeof a),
		       (unsigned long long)i->unalloc[k].off, i->unalloc[k].why);
	if (i->unalloc_skipped)
		printf("skipped:    %s of unallocated space, not in this image (restore leaves the "
		       "target's bytes there)\n", lb_human_size(i->unalloc_skipped, a, sizeof a));
	if (i->complete)
		printf("contents:   %llu chunks, %s of data in %s (%d segment%s)%s\n",
		       (unsigned long long)i->chunks, lb_human_size(i->data_bytes, a, sizeof a),
		       lb_human_size(i->image_bytes, b, sizeof b), i->segments,
		       i->segments == 1 ? "" : "s", i->nbad ? ", WITH UNREADABLE RANGES" : "");
	else
		printf("contents:   unknown (read from a pipe)\n");
	if (i->nbad)
		printf("unreadable: %llu bytes in %d ranges of the source could not be read; they are "
		       "zeros in this image\n", (unsigned long long)i->bad_bytes, i->nbad);
}

static void json(const char *path, const struct lb_image_info *i)
{
	printf("{\"image\":");
	cli_json_str(stdout, path);
	printf(",\"format\":\"%u.%u\",\"codec\":\"%s\",\"level\":%d,\"checksum\":\"%s\",\"tool\":",
	       i->major, i->minor, i->codec, i->level, i->checksum);
	cli_json_str(stdout, i->tool_version);
	printf(",\"encrypted\":%s", i->encrypted ? "true" : "false");
	printf(",\"created\":%lld,\"note\":", (long long)i->created);
	cli_json_str(stdout, i->note);
	printf(",\"source\":{\"path\":");
	cli_json_str(stdout, i->src_path);
	printf(",\"size\":%llu,\"model\":", (unsigned long long)i->src_size);
	cli_json_str(stdout, i->src_model);
	printf(",\"serial\":");
	cli_json_str(stdout, i->src_serial);
	printf(",\"transport\":");
	cli_json_str(stdout, i->src_transport);
	printf(",\"logical_sector\":%u,\"physical_sector\":%u},\"table\":\"%s\",\"min_size\":%llu,",
	       i->lsec, i->psec, i->table, (unsigned long long)i->min_size);
	printf("\"partitions\":[");
	for (int k = 0; k < i->nparts; k++) {
		const struct lb_plan_part *p = &i->parts[k];
		printf("%s{\"number\":%d,\"start\":%llu,\"size\":%llu,\"fs\":", k ? "," : "", p->number,
		       (unsigned long long)p->start, (unsigned long long)p->size);
		cli_json_str(stdout, p->fs);
		printf(",\"label\":");
		cli_json_str(stdout, p->label);
		printf(",\"method\":");
		cli_json_str(stdout, p->method);
		printf(",\"reason\":");
		cli_json_str(stdout, p->reason);
		printf(",\"bytes\":%llu}", (unsigned long long)p->bytes);
	}
	printf("],\"unallocated_skipped\":%llu,\"unallocated\":[",
	       (unsigned long long)i->unalloc_skipped);
	for (int k = 0; k < i->nunalloc; k++) {
		const struct lb_unalloc_area *u = &i->unalloc[k];
		printf("%s{\"offset\":%llu,\"length\":%llu,\"kept\":%s,\"why\":", k ? "," : "",
		       (unsigned long long)u->off, (unsigned long long)u->len,
		       u->kept ? "true" : "false");
		cli_json_str(stdout, u->why);
		printf("}");
	}
	printf("],\"complete\":%s,\"chunks\":%llu,\"data_bytes\":%llu,\"stored_bytes\":%llu,"
	       "\"image_bytes\":%llu,\"segments\":%d,\"bad_ranges\":%d,\"bad_bytes\":%llu}\n",
	       i->complete ? "true" : "false", (unsigned long long)i->chunks,
	       (unsigned long long)i->data_bytes, (unsigned long long)i->stored_bytes,
	       (unsigned long long)i->image_bytes, i->segments, i->nbad,
	       (unsigned long long)i->bad_bytes);
}

/* An encrypted image opened without its passphrase: what is clear. */
static void locked(const char *path, const struct lb_image_info *i, int as_json)
{
	if (as_json) {
		printf("{\"image\":");
		cli_json_str(stdout, path);
		printf(",\"format\":\"%u.%u\",\"encrypted\":true,\"locked\":true,\"kdf\":"
		       "{\"name\":\"argon2id13\",\"ops\":%llu,\"mem\":%llu},\"segments\":%d}\n",
		       i->major, i->minor, (unsigned long long)i->kdf_ops,
		       (unsigned long long)i->kdf_mem, i->segments);
		return;
	}
	printf("image:      %s\n", path);
	printf("format:     Lifeboat image %u.%u\n", i->major, i->minor);
	printf("encrypted:  yes, XChaCha20-Poly1305; key from the passphrase by Argon2id (%llu "
	       "passes, %llu MiB)\n", (unsigned long long)i->kdf_ops,
	       (unsigned long long)(i->kdf_mem >> 20));
	if (i->segments)
		printf("segments:   %d\n", i->segments);
	printf("the rest (source, partitions, contents) needs the passphrase: lifeboat info "
	       "--key-file FILE %s, or --ask to type it\n", path);
}

int cmd_info(int argc, char **argv)
{
	static const struct option opts[] = { { "json", no_argument, 0, 'j' },
	                                      { "key-file", required_argument, 0, 'k' },
	                                      { "ask", no_argument, 0, 'a' },
	                                      { "credentials", required_argument, 0, 'C' },
	                                      { 0, 0, 0, 0 } };
	struct lb_image_info info;
	struct lb_err err = { 0 };
	struct cli_pass pass;
	const char *key_file = NULL, *creds = NULL;
	struct cli_repo repo;
	int as_json = 0, ask = 0, c, rc;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'j': as_json = 1; break;
		case 'k': key_file = optarg; break;
		case 'a': ask = 1; break;
		case 'C': creds = optarg; break;
		default: return cli_usage("info", "unknown option");
		}
	}
	if (argc - optind != 1)
		return cli_usage("info", "needs IMAGE (got %d arguments)", argc - optind);
	if (lb_repo_is_url(argv[optind]) && !strncasecmp(argv[optind], "http", 4))
		return cli_usage("info", "info reads the image at random, which http(s) cannot; "
		                 "use verify, or an nfs:// or smb:// path");
	if (!strncasecmp(argv[optind], "ssh://", 6))
		return cli_usage("info", "info reads the image at random, which ssh:// cannot; "
		                 "use verify, or an nfs:// or smb:// path");
	if ((rc = cli_repo_open(&repo, "info", argv[optind], LB_REPO_READ, creds)))
		return rc;
	if ((rc = cli_pass_init(&pass, "info", key_file)))
		return cli_repo_close(&repo, 0, rc);
	/* without a key file or --ask, an encrypted image shows what is clear (no prompt: info is
	 * also used in scripts) */
	rc = key_file || ask ? lb_image_info_key(repo.r.image, cli_pass_ask, &pass, &info, &err)
	                     : lb_image_info(repo.r.image, &info, &err);
	cli_pass_free(&pass);
	if ((rc = rc ? cli_repo_fail(&repo, &err) : cli_repo_close(&repo, 1, 0)))
		return rc;
	if (info.locked)
		locked(argv[optind], &info, as_json);
	else if (as_json)
		json(argv[optind], &info);
	else
		text(argv[optind], &info);
	lb_image_info_free(&info);
	return 0;
}
