/* lifeboat verify IMAGE [--against DEVICE] */
#include <getopt.h>
#include <stdio.h>
#include "cli.h"

int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "against", required_argument, 0, 'a' }, { "threads", required_argument, 0, 't' },
		{ "quiet", no_argument, 0, 'q' }, { "key-file", required_argument, 0, 'k' },
		{ "credentials", required_argument, 0, 'C' }, { 0, 0, 0, 0 },
	};
	struct lb_verify_opts o = { 0 };
	struct cli_pass pass;
	const char *key_file = NULL, *creds = NULL;
	struct cli_repo repo;
	struct lb_report rep;
	struct lb_err err = { 0 };
	int quiet = 0, c, rc;
	char a[32];
	while ((c = getopt_long(argc, argv, "q", opts, NULL)) != -1) {
		switch (c) {
		case 'a': o.against = optarg; break;
		case 't':
			if (cli_parse_int(optarg, 1, 64, &o.threads))
				return cli_usage("verify", "--threads takes 1 to 64 (got '%s')", optarg);
			break;
		case 'q': quiet = 1; break;
		case 'k': key_file = optarg; break;
		case 'C': creds = optarg; break;
		default: return cli_usage("verify", "unknown option");
		}
	}
	if (argc - optind != 1)
		return cli_usage("verify", "needs IMAGE (got %d arguments)", argc - optind);
	if ((rc = cli_repo_open(&repo, "verify", argv[optind], LB_REPO_READ, creds)))
		return rc;
	o.image = repo.r.image;
	o.progress = cli_progress;
	o.progress_ctx = &quiet;
	if ((rc = cli_pass_init(&pass, "verify", key_file)))
		return cli_repo_close(&repo, 0, rc);
	o.passphrase = cli_pass_ask;
	o.passphrase_ctx = &pass;
	rc = lb_verify(&o, &rep, &err);
	cli_pass_free(&pass);
	/* a stream is only verified once its transfer also ended well */
	if ((rc = rc ? cli_repo_fail(&repo, &err) : cli_repo_close(&repo, 1, 0)))
		return rc;
	printf("%s: OK, %s of data checked%s%s\n", argv[optind],
	       lb_human_size(rep.bytes_planned, a, sizeof a), o.against ? ", identical to " : "",
	       o.against ? o.against : "");
	lb_report_free(&rep);
	return 0;
}
