/* lifeboat extract IMAGE [--partition N] PATH... --to DIR: files or whole trees of a
 * backed-up filesystem copied out, with modes and times, without restoring the disk. */
#include <string.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "cli.h"
#include "fsread.h"

int cmd_extract(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "partition", required_argument, 0, 'p' }, { "to", required_argument, 0, 't' },
		{ "overwrite", no_argument, 0, 'o' }, { "no-owners", no_argument, 0, 'n' },
		{ "key-file", required_argument, 0, 'k' }, { "quiet", no_argument, 0, 'q' },
		{ 0, 0, 0, 0 },
	};
	struct lb_extract_opts o = { 0 };
	struct lb_extract_report rep;
	struct lb_err err = { 0 };
	struct cli_fsr c;
	const char *key_file = NULL;
	char **paths = NULL, a[32];
	int part = -1, no_owners = 0, quiet = 0, opt, rc, n;
	while ((opt = getopt_long(argc, argv, "q", opts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			if (cli_parse_int(optarg, 0, 1 << 20, &part))
				return cli_usage("extract", "--partition takes a partition number (got '%s')",
				                 optarg);
			break;
		case 't': o.to = optarg; break;
		case 'o': o.overwrite = 1; break;
		case 'n': no_owners = 1; break;
		case 'k': key_file = optarg; break;
		case 'q': quiet = 1; break;
		default: return cli_usage("extract", "unknown option");
		}
	}
	n = argc - optind - 1;
	if (n < 1)
		return cli_usage("extract", "needs IMAGE and at least one PATH (got %d arguments)",
		                 argc - optind);
	if (!o.to)
		return cli_usage("extract", "needs --to DIR (an existing directory)");
	if (!(paths = calloc((size_t)n, sizeof *paths)))
		return 1;
	for (int i = 0; i < n; i++)
		if (!(paths[i] = cli_unescape(argv[optind + 1 + i]))) {
			rc = 1;
			goto out;
		}
	o.owners = geteuid() == 0 && !no_owners;
	o.progress = cli_progress;
	o.progress_ctx = &quiet;
	if ((rc = cli_fsr_open(&c, "extract", argv[optind], part, key_file)))
		goto out;
	rc = lb_extract(c.f, (const char *const *)paths, n, &o, &rep, &err);
	if (rep.text)
		fputs(rep.text, stderr);
	if (!quiet && (!rc || rep.files + rep.dirs))
		fprintf(stderr, "%s: %llu files (%s), %llu directories, %llu symlinks, %llu hard "
		        "links, %llu devices/fifos/sockets%s%s\n", o.to,
		        (unsigned long long)rep.files, lb_human_size(rep.bytes, a, sizeof a),
		        (unsigned long long)rep.dirs, (unsigned long long)rep.symlinks,
		        (unsigned long long)rep.links, (unsigned long long)rep.specials,
		        rep.skipped ? ", not made: " : "", rep.skipped ? "devices (not root)" : "");
	/* the engine says what is in the way; the option that replaces it is the CLI's to name */
	int in_way = rc == LB_EREFUSED || (rep.text && strstr(rep.text, ": not replaced"));
	lb_extract_report_free(&rep);
	cli_fsr_close(&c);
	if (rc)
		rc = cli_error(&err);
	if (in_way)
		fprintf(stderr, "lifeboat: --overwrite replaces files and merges directories\n");
out:
	for (int i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	return rc;
}
