/* Network repositories on the command line: credentials (--credentials FILE or
 * LIFEBOAT_CREDENTIALS, else the password asked on the terminal as a passphrase is), then
 * lb_repo_open / lb_repo_close around the engine call, with the server named in every error. */
#include <stdlib.h>
#include <string.h>
#include "cli.h"

int cli_repo_open(struct cli_repo *c, const char *cmd, const char *image, enum lb_repo_mode mode,
                  const char *credentials)
{
	struct lb_repo_auth auth;
	struct lb_repo_url u;
	struct lb_err err = { 0 };
	int rc;
	memset(c, 0, sizeof *c);
	memset(&auth, 0, sizeof auth);
	if (!lb_repo_is_url(image)) {
		snprintf(c->r.image, sizeof c->r.image, "%s", image);
		return 0;
	}
	if (lb_repo_parse(image, &u, &err))
		return cli_error(&err);
	if (!credentials)
		credentials = getenv("LIFEBOAT_CREDENTIALS");
	if (credentials && *credentials && lb_repo_read_credentials(credentials, &auth, &err))
		return cli_error(&err);
	if (lb_repo_needs_password(&u, &auth)) {
		char prompt[PATH_MAX + 64];
		snprintf(prompt, sizeof prompt, "Password for %s: ", u.raw);
		if (cli_read_secret(prompt, auth.password, sizeof auth.password)) {
			fprintf(stderr, "lifeboat: %s: %s needs a password: no terminal to ask it on; give a "
			        "credentials file (--credentials FILE)\n", cmd, u.raw);
			return 8;
		}
		auth.have_password = 1;
	}
	rc = lb_repo_open(&c->r, image, mode, &auth, &err);
	explicit_bzero(&auth, sizeof auth);
	if (rc)
		return cli_error(&err);
	c->open = 1;
	return 0;
}

int cli_repo_is_stream(const struct cli_repo *c)
{
	return c->open && !strcmp(c->r.image, "-");
}

int cli_repo_close(struct cli_repo *c, int ok, int status)
{
	struct lb_err err = { 0 };
	if (!c->open)
		return status;
	c->open = 0;
	if (lb_repo_close(&c->r, ok, &err)) {
		fprintf(stderr, "lifeboat: %s\n", err.msg);
		if (!status)
			status = lb_exit_status(err.code);
	}
	if (status && lb_repo_is_url(c->r.u.raw))
		fprintf(stderr, "lifeboat: (the image was on the network repository %s)\n", c->r.u.raw);
	return status;
}

int cli_repo_fail(struct cli_repo *c, const struct lb_err *engine)
{
	struct lb_err err = { 0 };
	int status;
	if (!c->open)
		return cli_error(engine);
	c->open = 0;
	/* a transfer that failed by itself is the cause: said first, its status the exit status */
	if (lb_repo_close(&c->r, 0, &err)) {
		fprintf(stderr, "lifeboat: %s\n", err.msg);
		fprintf(stderr, "lifeboat: so: %s\n", engine->msg[0] ? engine->msg :
		        lb_code_name(engine->code));
		status = lb_exit_status(err.code);
	} else
		status = cli_error(engine);
	if (lb_repo_is_url(c->r.u.raw))
		fprintf(stderr, "lifeboat: (the image was on the network repository %s)\n", c->r.u.raw);
	return status;
}
