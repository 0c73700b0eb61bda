/* lifeboat verify IMAGE [--against DEVICE] */
#include <getopt.h>
#include <stdio.h>
#include "cli.h"

int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "against", required_argument, 0, 'a' }, { "threads", required_argument, 0, 't' },
		{ "quiet", no_argument, 0, 'q' }, { "key-file", required_argument, 0, 'k' },
		{ 0, 0, 0, 0 },
	};
	struct lb_verify_opts o = { 0 };
	struct cli_pass pass;
	const char *key_file = NULL;
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
		default: return cli_usage("verify", "unknown option");
		}
	}
	if (argc - optind != 1)
		return cli_usage("verify", "needs IMAGE (got %d arguments)", argc - optind);
	o.image = argv[optind];
	o.progress = cli_progress;
	o.progress_ctx = &quiet;
	if ((rc = cli_pass_init(&pass, "verify", key_file)))
		return rc;
	o.passphrase = cli_pass_ask;
	o.passphrase_ctx = &pass;
	rc = lb_verify(&o, &rep, &err);
	cli_pass_free(&pass);
	if (rc)
		return cli_error(&err);
	printf("%s: OK, %s of data checked%s%s\n", o.image,
	       lb_human_size(rep.bytes_planned, a, sizeof a), o.against ? ", identical to " : "",
	       o.against ? o.against : "");
	lb_report_free(&rep);
	return 0;
}
