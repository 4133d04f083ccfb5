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
#include "tsv.h"

/* Its long options, in the order of prog.longopts in main(). */
enum { OPT_CLOUD_USERS = FE_LONG, OPT_MAP, OPT_SERVER_USERS, OPT_UNMAPPED,
    OPT_JIRA_SERVER, OPT_SERVER_URL, OPT_SITE_INDEX };


static int
convert_opt(struct fe *fe, int ch, const char *arg)
{
	struct conv *c = fe->prog->ctx;
	const char *why;

	switch (ch) {
	case OPT_CLOUD_USERS: c->cloud_users = arg; break;
	case OPT_MAP: c->map = arg; break;
	case OPT_SERVER_USERS: c->server_users = arg; break;
	case OPT_JIRA_SERVER:
		if ((why = cv_jira_map_add(&c->jira, arg)) != NULL) {
			diag_warn(NULL, 0, "--jira-server %s: %s", arg, why);
			return -1;
		}
		return 0;
	case OPT_SERVER_URL:
		if ((why = cv_links_server_url(&c->links, arg)) != NULL) {
			diag_warn(NULL, 0, "--server-url %s: %s", arg, why);
			return -1;
		}
		return 0;
	case OPT_SITE_INDEX:
		cv_links_site(&c->links, arg);
		fe_add_input(fe, arg);
		return 0;
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

/* content.tsv's Space rows (their keys, in order) for
 * cv_personal_decide; a malformed one leaves have_space_rows 0. */
static void
space_rows(struct conv *c, const char *buf, size_t len)
{
	struct tsv t;
	char **f;
	size_t n;
	int rc, ccls, ckey;

	tsv_init(&t, buf, len);
	if (tsv_next(&t, &f, &n) <= 0 ||
	    (ccls = tsv_column(f, n, "class")) < 0 ||
	    (ckey = tsv_column(f, n, "title")) < 0) {
		tsv_free(&t);
		return;
	}
	while ((rc = tsv_next(&t, &f, &n)) > 0) {
		if ((size_t)ccls >= n || (size_t)ckey >= n)
			break;
		if (strcmp(f[ccls], "Space") != 0)
			continue;
		c->space_keys = xreallocarray(c->space_keys,
		    c->nspace_keys + 1, sizeof(*c->space_keys));
		c->space_keys[c->nspace_keys++] = xstrdup(f[ckey]);
	}
	tsv_free(&t);
	if (rc == 0)
		c->have_space_rows = 1;
}

/*
 * The head: every member up to the last of users.tsv, relations.tsv,
 * content.tsv, the descriptor and entities.xml, in the package's order.
 * entities.xml is rewritten once the users are resolved: when it comes
 * last of the head (format 1, and convert's own order) it is read
 * straight from the package; when it comes first (extract streaming,
 * format 2) it is spooled as it arrives, checked at its end like every
 * member.
 */
static void
read_head(struct conv *c)
{
	static const char *const head[] = {
		PKG_USERS, PKG_RELATIONS, PKG_CONTENT, PKG_DESCRIPTOR,
		PKG_ENTITIES
	};
	const struct pkg_member *m;
	long end = manifest_last_of(pkg_manifest(c->in), head,
	    sizeof(head) / sizeof(head[0]));
	long pos = 0;

	/* None listed: read on (a missing member is named as such) and
	 * say that entities.xml is not there. */
	if (end < 0)
		end = (long)pkg_manifest(c->in)->nmem - 1;
	size_t r;
	char *buf;

	buf = xmalloc(256 * 1024);
	while (pos <= end && pkg_next(c->in, &m)) {
		pos++;
		if (strcmp(m->name, PKG_ENTITIES) == 0) {
			c->have_entities = 1;
			if (pos - 1 == end)
				break;
			spool_open(&c->ent_in);
			while ((r = pkg_read(c->in, buf, 256 * 1024)) > 0)
				spool_write(&c->ent_in, buf, r);
			spool_finish(&c->ent_in);
			c->ent_spooled = 1;
			continue;
		}
		c->head = xreallocarray(c->head, c->nhead + 1, sizeof(*c->head));
		memset(&c->head[c->nhead], 0, sizeof(*c->head));
		c->head[c->nhead].name = xstrdup(m->name);
		c->head[c->nhead].sp.fd = -1;
		if (strcmp(m->name, PKG_CONTENT) == 0) {
			struct strbuf sb = STRBUF_INIT;

			/* Read whole (for the link index), kept as it was. */
			pkg_slurp(c->in, &sb, CONV_MAX_CONTENT_TSV);
			cv_links_content(&c->links, sb.buf != NULL ? sb.buf :
			    "", sb.len);
			space_rows(c, sb.buf != NULL ? sb.buf : "", sb.len);
			spool_open(&c->head[c->nhead].sp);
			spool_write(&c->head[c->nhead].sp, sb.buf != NULL ?
			    sb.buf : "", sb.len);
			spool_finish(&c->head[c->nhead].sp);
			sb_free(&sb);
		} else if (strcmp(m->name, PKG_USERS) == 0) {
			struct strbuf sb = STRBUF_INIT;

			c->head[c->nhead].is_users = 1;
			pkg_slurp(c->in, &sb, CONV_MAX_USERS_TSV);
			cu_load_tsv(c, sb.buf != NULL ? sb.buf : "", sb.len);
			sb_free(&sb);
		} else {
			spool_open(&c->head[c->nhead].sp);
			while ((r = pkg_read(c->in, buf, 256 * 1024)) > 0)
				spool_write(&c->head[c->nhead].sp, buf, r);
			spool_finish(&c->head[c->nhead].sp);
		}
		c->nhead++;
	}
	free(buf);
	if (!c->have_entities)
		diag_die(SP_EXIT_FAIL, pkg_label(c->in), 0, "no %s in the package",
		    PKG_ENTITIES);
	for (size_t i = 0; i < c->nhead; i++)
		if (c->head[i].is_users)
			return;
	diag_die(SP_EXIT_FAIL, pkg_label(c->in), 0, "no %s before %s",
	    PKG_USERS, PKG_ENTITIES);
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
	cv_links_summary(&c->links);
	if (c->personal_from != NULL)
		report_summary_line("personal space:", "%s becomes %s (pack "
		    "renames it)", c->personal_from, c->personal_to);
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
	cv_jira_free(&c->jira);
	cv_links_free(&c->links);
	free(c->personal_from);
	free(c->personal_to);
	db_close(&c->db);
	for (i = 0; i < c->nspace_keys; i++)
		free(c->space_keys[i]);
	free(c->space_keys);
	if (c->ent_in.buf != NULL)
		spool_close(&c->ent_in);
	manifest_free(&c->mo);
	for (i = 0; i < c->nhead; i++) {
		free(c->head[i].name);
		if (c->head[i].sp.buf != NULL)
			spool_close(&c->head[i].sp);
		sb_free(&c->head[i].buf);
	}
	free(c->head);
	if (c->users_out.buf != NULL)
		spool_close(&c->users_out);
	if (c->ent_out.buf != NULL)
		spool_close(&c->ent_out);
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
		    "                         [--jira-server OLDID=NEWID[,NAME]]..."
		    "\n"
		    "                         [--server-url URL]... "
		    "[--site-index FILE]...\n"
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
		    "ID to assign\n"
		    "  --jira-server OLDID=NEWID[,NAME]\n"
		    "                      point Jira macros on Server link OLDID "
		    "at the Cloud\n"
		    "                      site's Jira link NEWID (repeatable; "
		    "NAME default\n"
		    "                      \"System Jira\")\n"
		    "  --server-url URL    a base URL the old server answered on "
		    "(repeatable):\n"
		    "                      its links become links Cloud "
		    "resolves\n"
		    "  --site-index FILE   the inventory database extract wrote "
		    "for another\n"
		    "                      space (repeatable): links into it "
		    "resolve too\n",
		.status = "Exit status: 0 ok, 1 failure, unmapped users under "
		    "--unmapped fail, or\nfindings with --strict, 2 usage; "
		    "killed by a signal: no output left,\nthe signal's status "
		    "(128+N).\n",
		.longopts = "cloud-users:,map:,server-users:,unmapped:,"
		    "jira-server:,server-url:,site-index:",
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

	c.users_out.fd = c.ent_out.fd = c.ent_in.fd = -1;
	manifest_init(&c.mo);
	cv_jira_init(&c.jira);
	fe_start(&fe, &prog, argc, argv);
	c.input = fe.input;
	c.out = fe.out;
	c.outdir = fe.outdir;
	c.dry_run = fe.nowrite;
	c.quiet = fe.quiet;
	c.strict = fe.strict;
	c.report = fe.report;
	if (c.links.nsites > 0 && !cv_links_on(&c.links)) {
		diag_warn(NULL, 0, "--site-index resolves links: it needs "
		    "--server-url");
		fe_usage(&fe);
	}
	fe_ready(&fe);

	c.in = pkg_open(c.input);
	check_manifest(&c);
	db_open(&c.db, NULL);
	read_head(&c);
	cv_links_ready(&c.links, pkg_label(c.in));
	cu_load_sources(&c);
	cu_resolve(&c);
	report_section("users", cu_json, &c);
	report_section("references", cv_refs_json, &c);
	report_section("jira", cv_jira_json, &c.jira);
	report_section("links", cv_links_json, &c.links);

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
	/* Stream the rewrite into the output when everything its
	 * manifest needs ahead of entities.xml is known now. */
	if (cv_personal_decide(&c) && !c.dry_run)
		cv_output_begin(&c);
	cv_rewrite_entities(&c);
	cv_jira_report(&c.jira);
	if (!c.ent_spooled)
		pkg_skip(c.in);
	cv_refs_check(&c);
	spool_open(&c.users_out);
	cu_write_tsv(&c, &c.users_out);
	spool_finish(&c.users_out);
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
