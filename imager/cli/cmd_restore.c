/* lifeboat restore IMAGE TARGET, and lifeboat clone SOURCE TARGET: both overwrite a disk, so
 * both show what they will do and ask before doing it. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "cli.h"
#include "mcast.h"

static int confirm_plan(const struct lb_target_plan *p, int yes)
{
	char q[600], sz[32];
	if (yes)
		return 1;
	snprintf(q, sizeof q, "This will %s.\nTarget: %s  model: %s  serial: %s  size: %s%s",
	         p->summary, p->target, p->model[0] ? p->model : "-", p->serial[0] ? p->serial : "-",
	         lb_human_size(p->target_size, sz, sizeof sz),
	         "\nEverything on it will be overwritten.");
	return cli_confirm(q);
}

/* A copy with unreadable ranges is never called verified: say what was checked and what is
 * missing. */
static void summary(const struct lb_report *r, const char *verb, int verify)
{
	char a[32], b[32], checked[200];
	if (!verify)
		snprintf(checked, sizeof checked, "; not verified (--no-verify)");
	else if (!r->verified)
		snprintf(checked, sizeof checked, "; NOT verified");
	else if (r->nbad)
		snprintf(checked, sizeof checked, "; every readable byte read back and checked, %s in %d "
		         "unreadable range%s missing (zeros on the target, checked)",
		         lb_human_size(r->bad_bytes, b, sizeof b), r->nbad, r->nbad == 1 ? "" : "s");
	else
		snprintf(checked, sizeof checked, "; read back and verified");
	fprintf(stderr, "%s %s in %.1f s%s%s%s\n", verb, lb_human_size(r->bytes_written, a, sizeof a),
	        r->seconds, checked, r->gpt_relocated ? "; GPT adjusted to the target's size" : "",
	        r->stale_wiped ? "; old GPT headers / RAID superblocks the target had erased" : "");
}

/* restore --json: one line on standard output for scripts (documented in README) */
static void json_report(const struct lb_report *r, int verify)
{
	printf("{\"bytes_written\":%llu,\"bytes_skipped\":%llu,\"chunks\":%llu,"
	       "\"chunks_written\":%llu,\"verify\":\"%s\",\"missing_bytes\":%llu,"
	       "\"seconds\":%.3f}\n", (unsigned long long)r->bytes_written,
	       (unsigned long long)r->bytes_same, (unsigned long long)r->chunks,
	       (unsigned long long)r->chunks_written,
	       !verify ? "off" : r->verified ? "ok" : "incomplete", (unsigned long long)r->bad_bytes,
	       r->seconds);
	fflush(stdout);
}

int cmd_restore(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "partition", required_argument, 0, 'p' }, { "to", required_argument, 0, 'T' },
		{ "yes", no_argument, 0, 'y' }, { "no-verify", no_argument, 0, 'V' },
		{ "threads", required_argument, 0, 't' }, { "quiet", no_argument, 0, 'q' },
		{ "resume", no_argument, 0, 'R' }, { "key-file", required_argument, 0, 'k' },
		{ "json", no_argument, 0, 'J' }, { "credentials", required_argument, 0, 'C' },
		{ 0, 0, 0, 0 },
	};
	struct lb_restore_opts o = { 0 };
	struct cli_repo repo;
	const char *creds = NULL;
	struct cli_pass pass;
	const char *key_file = NULL;
	struct lb_target_plan plan;
	struct lb_report rep;
	struct lb_err err = { 0 };
	int yes = 0, quiet = 0, json = 0, c, rc;
	o.verify = 1;
	while ((c = getopt_long(argc, argv, "yq", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (cli_parse_int(optarg, 1, 4096, &o.partition))
				return cli_usage("restore", "--partition takes a partition number (got '%s')",
				                 optarg);
			break;
		case 'T':
			if (cli_parse_int(optarg, 1, 4096, &o.to_partition))
				return cli_usage("restore", "--to takes a partition number of the target "
				                 "(got '%s')", optarg);
			break;
		case 'y': yes = 1; break;
		case 'V': o.verify = 0; break;
		case 't':
			if (cli_parse_int(optarg, 1, 64, &o.threads))
				return cli_usage("restore", "--threads takes 1 to 64 (got '%s')", optarg);
			break;
		case 'q': quiet = 1; break;
		case 'R': o.resume = 1; break;
		case 'k': key_file = optarg; break;
		case 'J': json = 1; break;
		case 'C': creds = optarg; break;
		default: return cli_usage("restore", "unknown option");
		}
	}
	if (argc - optind != 2)
		return cli_usage("restore", "needs IMAGE and TARGET (got %d arguments)", argc - optind);
	if (o.to_partition && !o.partition)
		return cli_usage("restore", "--to goes with --partition");
	if (lb_repo_is_url(argv[optind]) && !yes &&
	    (!strncasecmp(argv[optind], "ssh://", 6) || !strncasecmp(argv[optind], "http", 4) ||
	     !strncasecmp(argv[optind], "multicast://", 12)))
		return cli_usage("restore", "%s is read once, as a stream (as from standard input): "
		                 "the plan cannot be shown before; add --yes", argv[optind]);
	lb_mcast_set_target(argv[optind + 1]);   /* multicast://: named in its report */
	if ((rc = cli_repo_open(&repo, "restore", argv[optind], LB_REPO_READ, creds)))
		return rc;
	cli_mcast_waiting(&repo.r, quiet);
	o.image = repo.r.image;
	o.target = argv[optind + 1];
	o.progress = cli_progress;
	o.progress_ctx = &quiet;
	if ((rc = cli_pass_init(&pass, "restore", key_file)))
		return cli_repo_close(&repo, 0, rc);
	o.passphrase = cli_pass_ask;
	o.passphrase_ctx = &pass;
	if (strcmp(o.image, "-")) {
		if ((rc = lb_restore_prepare(&o, &plan, &err))) {
			cli_pass_free(&pass);
			return cli_repo_fail(&repo, &err);
		}
		if (!confirm_plan(&plan, yes)) {
			cli_pass_free(&pass);
			return cli_repo_close(&repo, 0, 4);
		}
	} else if (!yes) {
		cli_pass_free(&pass);
		cli_repo_close(&repo, 0, 0);
		return cli_usage("restore", "restoring from standard input needs --yes (the "
		                 "confirmation cannot be asked there)");
	}
	rc = lb_restore(&o, &rep, &err);
	cli_mcast_result(&repo.r, rc, &err, &rep, o.verify);
	cli_pass_free(&pass);
	if (rc) {
		int st;
		lb_report_free(&rep);
		st = cli_repo_fail(&repo, &err);
		/* refusals and a wrong passphrase come before any write */
		if (rc != LB_ECANCELLED && rc != LB_EREFUSED && rc != LB_EKEY)
			fprintf(stderr, "lifeboat: the restore did NOT complete; %s may hold a partial "
			        "copy\n", o.target);
		return st;
	}
	/* the engine checked every chunk and the trailer; the transfer must have ended well too */
	if ((rc = cli_repo_close(&repo, 1, 0))) {
		lb_report_free(&rep);
		return rc;
	}
	if (rep.nbad) {
		fprintf(stderr, "lifeboat: WARNING: the image lacks %llu bytes in %d range%s that could "
		        "not be read from its source; they were restored as zeros (see 'lifeboat info')\n",
		        (unsigned long long)rep.bad_bytes, rep.nbad, rep.nbad == 1 ? "" : "s");
		rc = 6;
	}
	if (json)
		json_report(&rep, o.verify);
	if (!quiet) {
		summary(&rep, "restored", o.verify);
		if (o.resume) {
			char a[32];
			fprintf(stderr, "--resume: %s were already right on the target and not rewritten\n",
			        lb_human_size(rep.bytes_same, a, sizeof a));
		}
	}
	lb_report_free(&rep);
	return rc;
}

int cmd_clone(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "yes", no_argument, 0, 'y' }, { "no-verify", no_argument, 0, 'V' },
		{ "threads", required_argument, 0, 't' }, { "quiet", no_argument, 0, 'q' },
		{ "retries", required_argument, 0, 'r' }, { "mapfile", required_argument, 0, 'm' },
		{ "allow-mounted", no_argument, 0, 'M' }, { "unallocated", no_argument, 0, 'U' },
		{ 0, 0, 0, 0 },
	};
	struct lb_clone_opts o = { 0 };
	struct lb_target_plan plan;
	struct lb_report rep;
	struct lb_err err = { 0 };
	int yes = 0, quiet = 0, c, rc;
	char a[32];
	o.verify = 1;
	while ((c = getopt_long(argc, argv, "yq", opts, NULL)) != -1) {
		switch (c) {
		case 'y': yes = 1; break;
		case 'V': o.verify = 0; break;
		case 't':
			if (cli_parse_int(optarg, 1, 64, &o.threads))
				return cli_usage("clone", "--threads takes 1 to 64 (got '%s')", optarg);
			break;
		case 'q': quiet = 1; break;
		case 'r':
			if (cli_parse_int(optarg, 0, 100, &o.retries))
				return cli_usage("clone", "--retries takes 0 to 100 (got '%s')", optarg);
			break;
		case 'm': o.mapfile = optarg; break;
		case 'M': o.allow_mounted = 1; break;
		case 'U': o.keep_unallocated = 1; break;
		default: return cli_usage("clone", "unknown option");
		}
	}
	if (argc - optind != 2)
		return cli_usage("clone", "needs SOURCE and TARGET (got %d arguments)", argc - optind);
	o.source = argv[optind];
	o.target = argv[optind + 1];
	o.progress = cli_progress;
	o.progress_ctx = &quiet;
	if ((rc = lb_clone_prepare(&o, &plan, &err)))
		return cli_error(&err);
	if (!confirm_plan(&plan, yes))
		return 4;
	rc = lb_clone(&o, &rep, &err);
	if (rc) {
		lb_report_free(&rep);
		if (rc != LB_ECANCELLED)
			fprintf(stderr, "lifeboat: the clone did NOT complete; %s may hold a partial copy\n",
			        o.target);
		if (o.mapfile)
			fprintf(stderr, "lifeboat: the mapfile %s says what is on %s: run the same command "
			        "again to continue\n", o.mapfile, o.target);
		return cli_error(&err);
	}
	rc = 0;
	if (!quiet) {
		cli_print_plan(stderr, &rep, 0);
		summary(&rep, "cloned", o.verify);
		if (rep.bytes_same)
			fprintf(stderr, "resumed from %s: %s were copied by an earlier run (not read or "
			        "checked again)\n", o.mapfile, lb_human_size(rep.bytes_same, a, sizeof a));
	} else if (rep.source_note[0]) {
		fprintf(stderr, "lifeboat: source: %s\n", rep.source_note);
	}
	if (rep.nbad) {
		cli_print_bad(&rep, "on the target", o.mapfile);
		rc = 6;
	}
	lb_report_free(&rep);
	return rc;
}
