/* lifeboat export IMAGE OUT.img: a sparse raw disk file. */
#include <getopt.h>
#include <stdio.h>
#include "cli.h"
#include "export.h"

int cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, 0, 'f' }, { "quiet", no_argument, 0, 'q' },
		{ "key-file", required_argument, 0, 'k' }, { 0, 0, 0, 0 },
	};
	struct lb_export_opts o = { 0 };
	struct cli_pass pass;
	const char *key_file = NULL;
	struct lb_report rep;
	struct lb_err err = { 0 };
	int quiet = 0, c, rc;
	char a[32], b[32];
	while ((c = getopt_long(argc, argv, "fq", opts, NULL)) != -1) {
		switch (c) {
		case 'f': o.force = 1; break;
		case 'q': quiet = 1; break;
		case 'k': key_file = optarg; break;
		default: return cli_usage("export", "unknown option");
		}
	}
	if (argc - optind != 2)
		return cli_usage("export", "needs IMAGE and OUT (got %d arguments)", argc - optind);
	o.image = argv[optind];
	o.out = argv[optind + 1];
	o.progress = cli_progress;
	o.progress_ctx = &quiet;
	if ((rc = cli_pass_init(&pass, "export", key_file)))
		return rc;
	o.passphrase = cli_pass_ask;
	o.passphrase_ctx = &pass;
	rc = lb_export(&o, &rep, &err);
	cli_pass_free(&pass);
	if (rc)
		return cli_error(&err);
	if (!quiet)
		fprintf(stderr, "%s: a %s raw disk, %s of data written (the rest are holes) in %.1f s\n",
		        o.out, lb_human_size(rep.bytes_planned, a, sizeof a),
		        lb_human_size(rep.bytes_written, b, sizeof b), rep.seconds);
	if (rep.nbad) {
		fprintf(stderr, "lifeboat: %s in %d range%s could not be read from the source when the "
		        "backup was made: zeros in %s ('lifeboat info' lists them)\n",
		        lb_human_size(rep.bad_bytes, a, sizeof a), rep.nbad, rep.nbad == 1 ? "" : "s",
		        o.out);
		lb_report_free(&rep);
		return 6;
	}
	lb_report_free(&rep);
	return 0;
}
