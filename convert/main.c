/*
 * spaceport-convert - resolve every user of a spaceport package to a Cloud
 * account and rewrite every user reference.  See man/spaceport-convert.1.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"
#include "diag.h"
#include "fe.h"
#include "report.h"

/* Its long options, in the order of prog.longopts in main(). */
enum { OPT_CLOUD_USERS = FE_LONG, OPT_MAP, OPT_SERVER_USERS, OPT_UNMAPPED };


static int
convert_opt(struct fe *fe, int ch, const char *arg)
{
	struct conv *c = fe->prog->ctx;

	switch (ch) {
	case OPT_CLOUD_USERS: c->cloud_users = arg; break;
	case OPT_MAP: c->map = arg; break;
	case OPT_SERVER_USERS: c->server_users = arg; break;
	case OPT_UNMAPPED:
		if (strcmp(arg, "fail") == 0)
			c->policy = UNMAPPED_FAIL;
		else if (strcmp(arg, "former") == 0)
			c->policy = UNMAPPED_FORMER;
		else if (cu_valid_account(arg)) {
			c->policy = UNMAPPED_ACCOUNT;
			c->policy_account = arg;
		} else {
			diag_warn(NULL, 0, "--unmapped: %s is not fail, former "
			    "or an account id", arg);
			return -1;
		}
		return 0;
	default:
		return -1;
	}
	fe_add_input(fe, arg);
	return 0;
}

static void
check_manifest(struct conv *c)
{
	const struct manifest *m = pkg_manifest(c->in);
	const char *stage = manifest_get(m, "stage");
	const char *norm = manifest_get(m, "normalised");

	if ((stage != NULL && strcmp(stage, "convert") == 0) ||
	    (norm != NULL && strcmp(norm, "1") == 0))
		diag_die(SP_EXIT_FAIL, pkg_label(c->in), 0, "this package is "
		    "already converted (stage=%s); convert the package "
		    "spaceport-extract wrote", stage != NULL ? stage : "?");
	if (stage != NULL && strcmp(stage, "extract") != 0)
		diag_die(SP_EXIT_FAIL, pkg_label(c->in), 0, "unknown package "
		    "stage %s", stage);
}

static void
summary(struct conv *c)
{
	cu_summary(c);
	cv_refs_summary(c);
	if (c->users_rewritten > 0 || c->users_added > 0)
		report_summary_line("user objects:", "%" PRIu64 " rewritten, %"
		    PRIu64 " added", c->users_rewritten, c->users_added);
	if (c->dry_run)
		report_summary_line("package:", "none written (--dry-run)");
}

static void
cleanup(struct conv *c)
{
	size_t i;

	cu_close(c);
	db_close(&c->db);
	for (i = 0; i < c->nhead; i++) {
		free(c->head[i].name);
		if (c->head[i].sp.buf != NULL)
			spool_close(&c->head[i].sp);
		sb_free(&c->head[i].buf);
	}
	free(c->head);
	if (c->users_out.buf != NULL)
		spool_close(&c->users_out);
	if (c->ent_in.buf != NULL)
		spool_close(&c->ent_in);
	pkg_close(c->in);
	report_free();
}

int
main(int argc, char *argv[])
{
	static struct conv c;
	static const struct fe_prog prog = {
		.name = "spaceport-convert",
		.synopsis = "[-q] [--strict] [--dry-run] "
		    "[--cloud-users FILE]\n"
		    "                         [--server-users FILE] "
		    "[--map FILE]\n"
		    "                         [--unmapped fail|former|ACCOUNT_ID] "
		    "[--report FILE]\n"
		    "                         [-o FILE | -d DIR] "
		    "[PACKAGE | DIR | -]\n",
		.about = "Resolve every user of a spaceport package to an "
		    "Atlassian account ID and\nrewrite every user reference for "
		    "Confluence Cloud.",
		.options =
		    "  --cloud-users FILE  the admin.atlassian.com \"Export "
		    "users\" CSV\n"
		    "  --server-users FILE Server user list: username,email"
		    "[,...]\n"
		    "  --map FILE          overrides: UserKey,UserName,NewEmail,"
		    "AccountId,Tombstone\n"
		    "  --unmapped POLICY   fail (default), former, or an account "
		    "ID to assign\n",
		.status = "Exit status: 0 ok, 1 failure, unmapped users under "
		    "--unmapped fail, or\nfindings with --strict, 2 usage; "
		    "killed by a signal: no output left,\nthe signal's status "
		    "(128+N).\n",
		.longopts = "cloud-users:,map:,server-users:,unmapped:",
		.nowrite = "dry-run",
		.nowrite_help = "resolve, rewrite and report; write no package",
		.has_dir = 1,
		.operand = "package",
		.what = "package",
		.opt = convert_opt,
		.ctx = &c,
	};
	struct fe fe;
	uint64_t unmapped = 0;
	int rc;

	c.users_out.fd = c.ent_in.fd = -1;
	fe_start(&fe, &prog, argc, argv);
	c.input = fe.input;
	c.out = fe.out;
	c.outdir = fe.outdir;
	c.dry_run = fe.nowrite;
	c.quiet = fe.quiet;
	c.strict = fe.strict;
	c.report = fe.report;
	fe_ready(&fe);

	c.in = pkg_open(c.input);
	check_manifest(&c);
	db_open(&c.db, NULL);
	cv_read_head(&c);
	cu_load_sources(&c);
	cu_resolve(&c);
	report_section("users", cu_json, &c);
	report_section("references", cv_refs_json, &c);

	if (c.policy == UNMAPPED_FAIL &&
	    (unmapped = cu_list_unmapped(&c)) > 0 && !c.dry_run) {
		diag_warn(NULL, 0, "%" PRIu64 " user(s) unmapped: give their "
		    "e-mails with --server-users or --map, or choose --unmapped "
		    "former|ACCOUNT_ID; no package written", unmapped);
		summary(&c);
		fe_finish(&fe, SP_EXIT_FAIL);
		cleanup(&c);
		return SP_EXIT_FAIL;
	}
	if (!c.dry_run)
		cv_output_begin(&c);
	cv_rewrite_entities(&c);
	cv_refs_check(&c);
	if (!c.dry_run)
		cv_output_package(&c);
	summary(&c);
	rc = fe_finish(&fe, SP_EXIT_OK);
	if (unmapped > 0) {
		diag_warn(NULL, 0, "%" PRIu64 " user(s) unmapped (--unmapped "
		    "fail)", unmapped);
		rc = SP_EXIT_FAIL;
	}
	cleanup(&c);
	return diag_close_stdout(rc);
}
