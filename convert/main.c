/*
 * spaceport-convert - resolve every user of a spaceport package to a Cloud
 * account and rewrite every user reference.  See man/spaceport-convert.1.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "convert.h"
#include "diag.h"
#include "report.h"

static void
usage(FILE *fp)
{
	fputs("usage: spaceport-convert [-q] [--strict] [--dry-run] "
	    "[--cloud-users FILE]\n"
	    "                         [--server-users FILE] [--map FILE]\n"
	    "                         [--unmapped fail|former|ACCOUNT_ID] "
	    "[--report FILE]\n"
	    "                         [-o FILE | -d DIR] [PACKAGE | DIR | -]\n",
	    fp);
}

static void
help(void)
{
	usage(stdout);
	fputs("\nResolve every user of a spaceport package to an Atlassian "
	    "account ID and\nrewrite every user reference for Confluence "
	    "Cloud.\n\n"
	    "  --cloud-users FILE  the admin.atlassian.com \"Export users\" "
	    "CSV\n"
	    "  --server-users FILE Server user list: username,email[,...]\n"
	    "  --map FILE          overrides: UserKey,UserName,NewEmail,"
	    "AccountId,Tombstone\n"
	    "  --unmapped POLICY   fail (default), former, or an account ID "
	    "to assign\n"
	    "  -o FILE             write the package to FILE (tar)\n"
	    "  -d DIR              write the package unpacked into DIR\n"
	    "  --dry-run           resolve, rewrite and report; write no "
	    "package\n"
	    "  --report FILE       write the report as JSON to FILE\n"
	    "  --strict            exit 1 if there are findings\n"
	    "  -q, --quiet         no summary on standard error\n"
	    "  -h, --help          this help\n"
	    "  -V, --version       print the version\n\n"
	    "Without -o or -d the package goes to standard output. "
	    "Exit status: 0 ok,\n1 failure, unmapped users under --unmapped "
	    "fail, or findings with --strict,\n2 usage.\n", stdout);
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
	static const struct option longopts[] = {
		{ "cloud-users", required_argument, NULL, 'C' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "map", required_argument, NULL, 'M' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "report", required_argument, NULL, 'r' },
		{ "server-users", required_argument, NULL, 'S' },
		{ "strict", no_argument, NULL, 's' },
		{ "unmapped", required_argument, NULL, 'U' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct conv c;
	uint64_t unmapped = 0;
	int ch, rc;

	diag_setprog(argv[0]);
	memset(&c, 0, sizeof(c));
	c.users_out.fd = c.ent_in.fd = -1;
	while ((ch = getopt_long(argc, argv, "d:ho:qV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'C': c.cloud_users = optarg; break;
		case 'd': c.outdir = optarg; break;
		case 'h': help(); return diag_close_stdout(SP_EXIT_OK);
		case 'M': c.map = optarg; break;
		case 'n': c.dry_run = 1; break;
		case 'o': c.out = optarg; break;
		case 'q': c.quiet = 1; break;
		case 'r': c.report = optarg; break;
		case 'S': c.server_users = optarg; break;
		case 's': c.strict = 1; break;
		case 'U':
			if (strcmp(optarg, "fail") == 0)
				c.policy = UNMAPPED_FAIL;
			else if (strcmp(optarg, "former") == 0)
				c.policy = UNMAPPED_FORMER;
			else if (cu_valid_account(optarg)) {
				c.policy = UNMAPPED_ACCOUNT;
				c.policy_account = optarg;
			} else {
				diag_warn(NULL, 0, "--unmapped: %s is not fail, "
				    "former or an account id", optarg);
				usage(stderr);
				return SP_EXIT_USAGE;
			}
			break;
		case 'V':
			printf("spaceport-convert %s\n", SPACEPORT_VERSION);
			return diag_close_stdout(SP_EXIT_OK);
		default:
			usage(stderr);
			return SP_EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1 || (c.out != NULL && c.outdir != NULL) ||
	    (c.dry_run && (c.out != NULL || c.outdir != NULL))) {
		if (argc > 1)
			diag_warn(NULL, 0, "one package at a time");
		else
			diag_warn(NULL, 0, "-o, -d and --dry-run exclude each "
			    "other");
		usage(stderr);
		return SP_EXIT_USAGE;
	}
	c.input = argc == 1 ? argv[0] : "-";
	if (!c.dry_run && c.out == NULL && c.outdir == NULL && isatty(1)) {
		diag_warn(NULL, 0, "refusing to write a package to a terminal "
		    "(use -o FILE or -d DIR, or redirect standard output)");
		return SP_EXIT_USAGE;
	}

	report_init("spaceport-convert", strcmp(c.input, "-") == 0 ?
	    "<stdin>" : c.input);
	report_quiet(c.quiet);
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
		if (c.report != NULL)
			report_write(c.report);
		if (!c.quiet) {
			summary(&c);
			report_print_summary(stderr);
		}
		cleanup(&c);
		return SP_EXIT_FAIL;
	}
	if (!c.dry_run)
		cv_output_begin(&c);
	cv_rewrite_entities(&c);
	cv_refs_check(&c);
	if (!c.dry_run)
		cv_output_package(&c);
	if (c.report != NULL)
		report_write(c.report);
	if (!c.quiet) {
		summary(&c);
		report_print_summary(stderr);
	}
	if (unmapped > 0) {
		diag_warn(NULL, 0, "%" PRIu64 " user(s) unmapped (--unmapped "
		    "fail)", unmapped);
		rc = SP_EXIT_FAIL;
	} else
		rc = c.strict && report_count() > 0 ? SP_EXIT_FAIL : SP_EXIT_OK;
	cleanup(&c);
	return diag_close_stdout(rc);
}
