/* lifeboat backup SOURCE IMAGE */
#include <getopt.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "cli.h"

static int parse_parts(const char *s, int **out, int *n)
{
	char *copy = strdup(s), *tok, *save = NULL;
	int cap = 8;
	*n = 0;
	*out = malloc(cap * sizeof **out);
	if (!copy || !*out) {
		free(copy);
		return -1;
	}
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int v;
		if (cli_parse_int(tok, 1, 4096, &v) || *n == 4096) {
			free(copy);
			return -1;
		}
		if (*n == cap) {
			int *nv = realloc(*out, (size_t)(cap *= 2) * sizeof *nv);
			if (!nv) {
				free(copy);
				return -1;
			}
			*out = nv;
		}
		(*out)[(*n)++] = v;
	}
	free(copy);
	return *n ? 0 : -1;
}

int cmd_backup(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "partitions", required_argument, 0, 'p' }, { "level", required_argument, 0, 'l' },
		{ "threads", required_argument, 0, 't' }, { "split", required_argument, 0, 's' },
		{ "no-split", no_argument, 0, 'S' }, { "note", required_argument, 0, 'n' },
		{ "quiet", no_argument, 0, 'q' }, { "plan", no_argument, 0, 'P' },
		{ "retries", required_argument, 0, 'r' }, { "mapfile", required_argument, 0, 'm' },
		{ "allow-mounted", no_argument, 0, 'M' }, { "codec", required_argument, 0, 'c' },
		{ "unallocated", no_argument, 0, 'U' },
		{ "encrypt", no_argument, 0, 'E' }, { "key-file", required_argument, 0, 'k' },
		{ "credentials", required_argument, 0, 'C' }, { 0, 0, 0, 0 },
	};
	struct lb_backup_opts o = { 0 };
	struct cli_pass pass = { 0 };
	const char *key_file = NULL, *creds = NULL, *shown;
	struct cli_repo repo = { 0 };
	int encrypt = 0;
	struct lb_report rep;
	struct lb_err err = { 0 };
	int *parts = NULL, quiet = 0, plan_only = 0, c, rc, lmin, lmax, ldef;
	const char *level_arg = NULL;
	char a[32], b[32];

	o.level = -1;
	while ((c = getopt_long(argc, argv, "q", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			free(parts);
			if (parse_parts(optarg, &parts, &o.nparts))
				return cli_usage("backup", "--partitions takes numbers like 1,3 (got '%s')",
				                 optarg);
			o.parts = parts;
			break;
		case 'l': level_arg = optarg; break;   /* its range depends on --codec */
		case 'c':
			if (lb_codec_levels(optarg, &lmin, &lmax, &ldef) < 0)
				return cli_usage("backup", "--codec takes zstd or deflate (got '%s')", optarg);
			o.codec = optarg;
			break;
		case 't':
			if (cli_parse_int(optarg, 1, 64, &o.threads))
				return cli_usage("backup", "--threads takes 1 to 64 (got '%s')", optarg);
			break;
		case 's':
			if (lb_parse_size(optarg, &o.split) || o.split < (2u << 20))
				return cli_usage("backup", "--split takes a size of at least 2M, like 4000M or "
				                 "2G (got '%s')", optarg);
			break;
		case 'S': o.no_split = 1; break;
		case 'n': o.note = optarg; break;
		case 'q': quiet = 1; break;
		case 'P': plan_only = 1; break;
		case 'r':
			if (cli_parse_int(optarg, 0, 100, &o.retries))
				return cli_usage("backup", "--retries takes 0 to 100 (got '%s')", optarg);
			break;
		case 'm': o.mapfile = optarg; break;
		case 'M': o.allow_mounted = 1; break;
		case 'U': o.keep_unallocated = 1; break;
		case 'E': encrypt = 1; break;
		case 'k': key_file = optarg; break;
		case 'C': creds = optarg; break;
		default: return cli_usage("backup", "unknown option");
		}
	}
	lb_codec_levels(o.codec, &lmin, &lmax, &ldef);
	if (level_arg && cli_parse_int(level_arg, lmin, lmax, &o.level))
		return cli_usage("backup", "--level takes %d to %d with %s (got '%s')", lmin, lmax,
		                 o.codec ? o.codec : "zstd", level_arg);
	if (argc - optind != (plan_only ? 1 : 2) && !(plan_only && argc - optind == 2))
		return cli_usage("backup", "needs SOURCE and IMAGE (got %d arguments)", argc - optind);
	o.source = argv[optind];
	o.image = plan_only ? "-" : argv[optind + 1];
	o.progress = cli_progress;
	o.progress_ctx = &quiet;
	if (plan_only) {
		rc = lb_backup_plan(&o, &rep, &err);
		if (rc) {
			free(parts);
			return cli_error(&err);
		}
		cli_print_plan(stdout, &rep, 0);
		printf("total to read: %s of %s\n", lb_human_size(rep.bytes_planned, a, sizeof a),
		       o.source);
		lb_report_free(&rep);
		free(parts);
		return 0;
	}
	shown = strcmp(o.image, "-") ? o.image : "standard output";
	if (lb_repo_is_url(o.image)) {
		if (o.split && (!strncasecmp(o.image, "ssh://", 6)))
			return cli_usage("backup", "an image streamed to ssh:// cannot be split; drop --split");
		if ((rc = cli_repo_open(&repo, "backup", o.image, LB_REPO_WRITE, creds))) {
			free(parts);
			return rc;
		}
		o.image = repo.r.image;
	} else if (!strcmp(o.image, "-") && isatty(1)) {
		free(parts);
		return cli_usage("backup", "refusing to write an image to a terminal; redirect "
		                 "standard output or give a file name");
	}
	{
		int replaces = 0;
		if (lb_backup_check_dest(o.image, &replaces, &err)) {
			free(parts);
			return cli_repo_fail(&repo, &err);
		}
		if (replaces)
			fprintf(stderr, "lifeboat: replacing the existing image %s (it stays as it is "
			        "until the new one is complete)\n", o.image);
	}
	if (encrypt || key_file) {
		/* --key-file alone means --encrypt: a key file is only ever given to encrypt */
		if ((rc = cli_pass_init(&pass, "backup", key_file)) || (rc = cli_pass_new(&pass))) {
			free(parts);
			return cli_repo_close(&repo, 0, rc);
		}
		o.passphrase = pass.pass;
	}
	rc = lb_backup(&o, &rep, &err);
	cli_pass_free(&pass);
	free(parts);
	if (rc) {
		lb_report_free(&rep);
		return cli_repo_fail(&repo, &err);
	}
	/* a network image is complete only once the transfer ended well and it was renamed */
	if ((rc = cli_repo_close(&repo, 1, 0))) {
		fprintf(stderr, "lifeboat: the backup did NOT complete: no image was saved as %s\n",
		        shown);
		lb_report_free(&rep);
		return rc;
	}
	if (!quiet) {
		fprintf(stderr, "\n");
		cli_print_plan(stderr, &rep, 1);
		fprintf(stderr, "read %s, image %s (%d segment%s), %.1f s, %s\n",
		        lb_human_size(rep.bytes_read, a, sizeof a),
		        lb_human_size(rep.bytes_written, b, sizeof b), rep.segments,
		        rep.segments == 1 ? "" : "s", rep.seconds,
		        shown);
	} else if (rep.source_note[0]) {
		fprintf(stderr, "lifeboat: source: %s\n", rep.source_note);
	}
	if (rep.nbad) {
		cli_print_bad(&rep, "in the image", o.mapfile);
		lb_report_free(&rep);
		return 6;
	}
	lb_report_free(&rep);
	return 0;
}
