/* lifeboat serve IMAGE: the image as a disk over NBD until Ctrl-C / SIGTERM. */
#include <getopt.h>
#include <stdio.h>
#include "cli.h"
#include "serve.h"

static void log_line(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "lifeboat serve: %s\n", msg);
}

static int stop(void *ctx)
{
	(void)ctx;
	return cli_interrupted();
}

int cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, 0, 's' }, { "port", required_argument, 0, 'p' },
		{ "bind", required_argument, 0, 'b' }, { "overlay", required_argument, 0, 'o' },
		{ "key-file", required_argument, 0, 'k' }, { "cache", required_argument, 0, 'c' },
		{ "quiet", no_argument, 0, 'q' }, { 0, 0, 0, 0 },
	};
	struct lb_serve_opts o = { 0 };
	struct cli_pass pass;
	const char *key_file = NULL;
	struct lb_err err = { 0 };
	int c, rc, n;
	while ((c = getopt_long(argc, argv, "q", opts, NULL)) != -1) {
		switch (c) {
		case 's': o.socket_path = optarg; break;
		case 'p':
			if (cli_parse_int(optarg, 1, 65535, &o.port))
				return cli_usage("serve", "--port takes 1 to 65535 (got '%s')", optarg);
			break;
		case 'b': o.bind_addr = optarg; break;
		case 'o': o.overlay = optarg; break;
		case 'k': key_file = optarg; break;
		case 'c':
			if (cli_parse_int(optarg, 2, 4096, &n))
				return cli_usage("serve", "--cache takes 2 to 4096 chunks (got '%s')", optarg);
			o.cache_chunks = (unsigned)n;
			break;
		case 'q': break;
		default: return cli_usage("serve", "unknown option");
		}
	}
	if (argc - optind != 1)
		return cli_usage("serve", "needs IMAGE (got %d arguments)", argc - optind);
	if (o.socket_path && (o.port || o.bind_addr))
		return cli_usage("serve", "--socket and --port/--bind exclude each other");
	o.image = argv[optind];
	o.log = log_line;
	o.stop = stop;
	if ((rc = cli_pass_init(&pass, "serve", key_file)))
		return rc;
	o.passphrase = cli_pass_ask;
	o.passphrase_ctx = &pass;
	rc = lb_serve(&o, &err);
	cli_pass_free(&pass);
	return rc ? cli_error(&err) : 0;
}
