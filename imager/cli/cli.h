/* cli.h — the command line front end's shared pieces. Only front ends print and exit. */
#ifndef LB_CLI_H
#define LB_CLI_H
#include <stdio.h>
#include "lifeboat.h"
#include "repo.h"

int cmd_list(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_clone(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_multicast(int argc, char **argv);
int cmd_files(int argc, char **argv);
int cmd_extract(int argc, char **argv);

/* Prints "lifeboat: msg" and returns the exit status for err. */
int cli_error(const struct lb_err *err);
/* Prints a usage error naming the command, returns 2. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Progress on stderr (a live line on a terminal, a line every few seconds otherwise); also
 * turns Ctrl-C into a clean cancel. ctx: pointer to an int "quiet". */
int cli_progress(void *ctx, const struct lb_progress *p);
void cli_catch_signals(void);
/* 1 once Ctrl-C (SIGINT), SIGTERM or SIGHUP arrived. */
int cli_interrupted(void);
/* Asks to type "yes" (on the terminal); 1 = confirmed. */
int cli_confirm(const char *question);
void cli_json_str(FILE *f, const char *s);
int cli_parse_int(const char *s, int lo, int hi, int *out);
void cli_print_plan(FILE *f, const struct lb_report *r, int with_results);
/* The unreadable ranges of a backup or clone (where: "in the image", "on /dev/sdb") and what
 * they hit; mapfile: the --mapfile name or NULL. */
void cli_print_bad(const struct lb_report *r, const char *where, const char *mapfile);

/* Passphrases of encrypted images (passphrase.c). */
struct cli_pass {
	const char *cmd;
	char *pass;             /* from --key-file, or typed once and remembered */
	int from_file;
};
/* Reads key_file (may be NULL: ask on the terminal when needed); 0 or an exit status. */
int cli_pass_init(struct cli_pass *p, const char *cmd, const char *key_file);
/* lb_passphrase_fn: the key file's passphrase, or asks on /dev/tty (once). */
int cli_pass_ask(void *ctx, const char *image, char *buf, size_t cap);
/* backup --encrypt without --key-file: asks twice on the terminal; 0 or an exit status. */
int cli_pass_new(struct cli_pass *p);
void cli_pass_free(struct cli_pass *p);
/* One line from /dev/tty with echo off; 0, or -1 (no terminal, interrupted, empty). */
int cli_read_secret(const char *prompt, char *buf, size_t cap);

/* Network repositories (repo_cli.c): IMAGE as a URL. */
struct cli_repo {
	struct lb_repo r;        /* r.image: what to hand the engine */
	int open;
};
/* 0, or an exit status (the message printed). A local path passes through unchanged. */
int cli_repo_open(struct cli_repo *c, const char *cmd, const char *image, enum lb_repo_mode mode,
                  const char *credentials);
int cli_repo_is_stream(const struct cli_repo *c);
/* ok: the engine succeeded; status: the exit status so far. Returns the final one: a failed
 * transfer or rename turns a success into an error. */
int cli_repo_close(struct cli_repo *c, int ok, int status);
/* The engine failed with engine: closes the repository and prints the cause (the transfer's
 * own failure first when it had one); returns the exit status. */
int cli_repo_fail(struct cli_repo *c, const struct lb_err *engine);
/* restore from multicast://: hands the result to the report channel (cmd_multicast.c);
 * nothing for other repositories. */
void cli_mcast_result(struct lb_repo *r, int rc, const struct lb_err *err,
                      const struct lb_report *rep, int verify);
/* restore from multicast://: says that it waits for the sender (the stream may start late). */
void cli_mcast_waiting(const struct lb_repo *r, int quiet);

/* Reading files out of an image (cli_fsr.c): `files` and `extract`. */
#include "blockdev.h"
struct cli_fsr {
	struct cli_pass pass;
	struct lb_imgread *r;
	struct lb_dev d;
	struct lb_fsr *f;
	int part;               /* the partition chosen */
};
/* Opens image, its partition (< 0: the only one holding files, else the choices are listed)
 * and that filesystem; 0, or an exit status (the message printed). */
int cli_fsr_open(struct cli_fsr *c, const char *cmd, const char *image, int partition,
                 const char *key_file);
void cli_fsr_close(struct cli_fsr *c);
/* A PATH as the listing prints it (\\ \n \t \r \xNN) back into bytes; malloc'd. */
char *cli_unescape(const char *s);
#endif
