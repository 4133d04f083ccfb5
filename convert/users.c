/*
 * users.c - who is who: users.tsv and the admin's CSV lists in a
 * temporary SQLite database, and the resolution chain done in SQL:
 *
 *   user key -> username -> e-mail -> account id
 *
 * e-mail: the export's user object, then --server-users by username
 * (case-insensitively), then a --map override (NewEmail).  Account id: the
 * Cloud "Export users" list by case-insensitive e-mail, or an override
 * (AccountId).  Overrides by key win over overrides by name, overrides win
 * over everything else; a deleted user (name == key) is a former user.
 *
 * The user table is the one structure allowed to grow with the input; it
 * lives in SQLite's temporary database, so 100,000 users cost disk pages,
 * not memory.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "convert.h"
#include "csv.h"
#include "diag.h"
#include "report.h"
#include "tsv.h"

static const char *const resolutions[] = {
	"email", "server-list", "override-key", "override-name",
	"override-email", "duplicate-email", "account-key", "deleted",
	"tombstone",
	"unmapped-former", "unmapped-account", "unmapped", NULL
};

void
cu_lower(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* Two FNV-1a variants over the name: 128 bits, as 32 hex digits (the
 * shape of a Server user key).  Deterministic: the same export gives the
 * same package. */
void
cu_derive_key(const char *lname, char out[33])
{
	uint64_t a = 1469598103934665603ULL, b = 0x84222325cbf29ce4ULL;
	const unsigned char *p;

	for (p = (const unsigned char *)lname; *p != '\0'; p++) {
		a = (a ^ *p) * 1099511628211ULL;
		b = (b ^ *p) * 0x100000001b3ULL;
		b ^= b >> 29;
	}
	a ^= a >> 31;
	b = (b ^ 0x5370616365706f72ULL) * 0x9e3779b97f4a7c15ULL;
	snprintf(out, 33, "%016" PRIx64 "%016" PRIx64, a, b);
}

static char *
trimdup(const char *s, size_t n)
{
	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	return xstrndup(s, n);
}

static void
bind_str(struct db *db, sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		db_bind_null(db, st, i);
	else
		db_bind_text(db, st, i, s, -1);
}

/* ---- users.tsv --------------------------------------------------- */

static int
kinds_need_object(const char *kinds)
{
	/* A row needs a user object when something in entities.xml will
	 * point at it by key: key refs, content properties, and the legacy
	 * strings convert turns into key refs. */
	return strstr(kinds, "entity-key=") != NULL ||
	    strstr(kinds, "entity-name=") != NULL ||
	    strstr(kinds, "content-property=") != NULL;
}

void
cu_load_tsv(struct conv *c, const char *buf, size_t len)
{
	struct tsv t;
	char **f;
	size_t n;
	int rc, ik, iu, ie, ir, io, id, ikd;
	long line;
	sqlite3_stmt *ins;

	db_exec(&c->db,
	    "CREATE TABLE u(id INTEGER PRIMARY KEY, key TEXT NOT NULL,"
	    " username TEXT NOT NULL, email TEXT NOT NULL, refs INTEGER,"
	    " object INTEGER, deleted INTEGER, kinds TEXT, needobj INTEGER,"
	    " lname TEXT, lemail TEXT, map_id INTEGER, map_via TEXT,"
	    " email_used TEXT, account_id TEXT, cloud_email TEXT,"
	    " resolution TEXT, reason TEXT, newkey TEXT,"
	    " state INTEGER NOT NULL DEFAULT 0, line INTEGER);"
	    "CREATE TABLE cloud(id INTEGER PRIMARY KEY, account_id TEXT,"
	    " lemail TEXT, name TEXT, status TEXT, line INTEGER);"
	    "CREATE TABLE srv(lusername TEXT, email TEXT, line INTEGER);"
	    "CREATE TABLE map(id INTEGER PRIMARY KEY, key TEXT, lusername TEXT,"
	    " email TEXT, account_id TEXT, tombstone INTEGER, line INTEGER,"
	    " used INTEGER DEFAULT 0);");
	tsv_init(&t, buf, len);
	rc = tsv_next(&t, &f, &n);
	if (rc <= 0)
		diag_die(SP_EXIT_FAIL, PKG_USERS, 1, "no header line");
	ik = tsv_column(f, n, "key");
	iu = tsv_column(f, n, "username");
	ie = tsv_column(f, n, "email");
	ir = tsv_column(f, n, "refs");
	io = tsv_column(f, n, "object");
	id = tsv_column(f, n, "deleted");
	ikd = tsv_column(f, n, "kinds");
	if (ik < 0 || iu < 0 || ie < 0 || ir < 0 || io < 0 || id < 0 || ikd < 0)
		diag_die(SP_EXIT_FAIL, PKG_USERS, 1, "header lacks one of key, "
		    "username, email, refs, object, deleted, kinds");
	if (tsv_column(f, n, "account_id") >= 0)
		diag_die(SP_EXIT_FAIL, pkg_label(c->in), 0, "this package is "
		    "already converted (users.tsv has account ids); convert "
		    "the package spaceport-extract wrote");
	db_exec(&c->db, "BEGIN");
	ins = db_prep(&c->db, "INSERT INTO u(key, username, email, refs, "
	    "object, deleted, kinds, needobj, lname, lemail, line) "
	    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, lower(?2), "
	    "lower(trim(?3)), ?9)");
	while ((rc = tsv_next(&t, &f, &n)) > 0) {
		size_t need = 0;
		int obj;

		need = (size_t)ikd;
		if ((size_t)ik > need) need = (size_t)ik;
		if ((size_t)iu > need) need = (size_t)iu;
		if ((size_t)ie > need) need = (size_t)ie;
		if ((size_t)ir > need) need = (size_t)ir;
		if ((size_t)io > need) need = (size_t)io;
		if ((size_t)id > need) need = (size_t)id;
		if (n <= need) {
			line = t.line;
			/* Finalise first: an open statement keeps the
			 * database from closing at exit (a leak). */
			db_finalize(ins);
			tsv_free(&t);
			diag_die(SP_EXIT_FAIL, PKG_USERS, line, "%zu fields, "
			    "expected at least %zu", n, need + 1);
		}
		obj = strcmp(f[io], "1") == 0;
		if (f[ik][0] == '\0' && f[iu][0] == '\0')
			continue;	/* nothing to resolve by */
		db_bind_text(&c->db, ins, 1, f[ik], -1);
		db_bind_text(&c->db, ins, 2, f[iu], -1);
		db_bind_text(&c->db, ins, 3, f[ie], -1);
		db_bind_i64(&c->db, ins, 4, strtoll(f[ir], NULL, 10));
		db_bind_i64(&c->db, ins, 5, obj);
		db_bind_i64(&c->db, ins, 6, strcmp(f[id], "1") == 0);
		db_bind_text(&c->db, ins, 7, f[ikd], -1);
		db_bind_i64(&c->db, ins, 8, !obj && kinds_need_object(f[ikd]));
		db_bind_i64(&c->db, ins, 9, t.line);
		db_run(&c->db, ins);
		c->users_total++;
	}
	line = t.line;
	db_finalize(ins);
	tsv_free(&t);
	if (rc < 0)
		diag_die(SP_EXIT_FAIL, PKG_USERS, line, "bad escape");
	db_exec(&c->db, "COMMIT;"
	    "CREATE INDEX u_key ON u(key);"
	    "CREATE INDEX u_lname ON u(lname);");
}

/* ---- the CSV sources --------------------------------------------- */

static struct csv *
open_csv(const char *path, const char *opt)
{
	struct csv *cv = csv_open(path);

	if (cv == NULL && errno == EINVAL)
		diag_die(SP_EXIT_FAIL, NULL, 0, "%s: a csv file cannot be read "
		    "from standard input (it carries the package)", opt);
	if (cv == NULL)
		diag_die(SP_EXIT_FAIL, NULL, 0, "%s: cannot read %s: %s", opt,
		    path, strerror(errno));
	return cv;
}

static const char *
field(char **f, size_t *l, int n, int i, size_t *len)
{
	if (i < 0 || i >= n) {
		*len = 0;
		return "";
	}
	*len = l[i];
	return f[i];
}

static void
load_cloud(struct conv *c)
{
	static const char *const n_id[] = { "User id", "Account id",
	    "Account ID", "atlassianAccountId", "aaid", "Atlassian ID", NULL };
	static const char *const n_email[] = { "email", "Email address",
	    "E-mail", "E-mail address", "Verified email", NULL };
	static const char *const n_status[] = { "User status", "Status", NULL };
	static const char *const n_name[] = { "User name", "Name",
	    "Full name", "Display name", NULL };
	struct csv *cv = open_csv(c->cloud_users, "--cloud-users");
	sqlite3_stmt *ins;
	char **f;
	size_t *l, len;
	int n, iid, iem, ist, inm;
	const char *s;

	n = csv_next(cv, &f, &l);
	if (n < 0)
		csv_die(cv);
	if (n == 0)
		diag_die(SP_EXIT_FAIL, c->cloud_users, 1, "empty file, "
		    "expected the \"export users\" csv");
	iid = csv_find(f, (size_t)n, n_id);
	iem = csv_find(f, (size_t)n, n_email);
	ist = csv_find(f, (size_t)n, n_status);
	inm = csv_find(f, (size_t)n, n_name);
	if (iid < 0 || iem < 0)
		diag_die(SP_EXIT_FAIL, c->cloud_users, 1, "no %s column: expected "
		    "the admin.atlassian.com \"export users\" csv (User id,User "
		    "name,email,User status,...)", iid < 0 ? "\"User id\"" :
		    "\"email\"");
	db_exec(&c->db, "BEGIN");
	ins = db_prep(&c->db, "INSERT INTO cloud(account_id, lemail, name, "
	    "status, line) VALUES(?1, lower(?2), ?3, ?4, ?5)");
	while ((n = csv_next(cv, &f, &l)) > 0) {
		char *id, *em, *st, *nm;

		s = field(f, l, n, iid, &len);
		id = trimdup(s, len);
		s = field(f, l, n, iem, &len);
		em = trimdup(s, len);
		s = field(f, l, n, ist, &len);
		st = trimdup(s, len);
		s = field(f, l, n, inm, &len);
		nm = trimdup(s, len);
		if (*id == '\0') {
			report_finding("cloud-list-row", c->cloud_users,
			    csv_line(cv), NULL, "row without a user id, ignored");
		} else if (!cu_valid_account(id)) {
			report_finding("cloud-list-row", c->cloud_users,
			    csv_line(cv), id, "user id \"%s\" is not an "
			    "atlassian account id, row ignored", id);
		} else {
			cu_lower(em);
			bind_str(&c->db, ins, 1, id);
			bind_str(&c->db, ins, 2, em);
			bind_str(&c->db, ins, 3, nm);
			bind_str(&c->db, ins, 4, ist >= 0 ? st : NULL);
			db_bind_i64(&c->db, ins, 5, csv_line(cv));
			db_run(&c->db, ins);
			c->cloud_rows++;
		}
		free(id);
		free(em);
		free(st);
		free(nm);
	}
	if (n < 0)
		csv_die(cv);
	db_finalize(ins);
	db_exec(&c->db, "COMMIT;"
	    "CREATE INDEX cloud_e ON cloud(lemail);"
	    "CREATE INDEX cloud_a ON cloud(account_id);");
	csv_close(cv);
}

static void
load_server(struct conv *c)
{
	static const char *const n_user[] = { "username", "user name",
	    "user_name", "name", "login", NULL };
	static const char *const n_email[] = { "email", "email address",
	    "email_address", "e-mail", "mail", NULL };
	struct csv *cv = open_csv(c->server_users, "--server-users");
	sqlite3_stmt *ins;
	char **f;
	size_t *l, len;
	int n, iu = 0, ie = 1, first = 1;
	const char *s;

	db_exec(&c->db, "BEGIN");
	ins = db_prep(&c->db, "INSERT INTO srv(lusername, email, line) "
	    "VALUES(lower(?1), ?2, ?3)");
	while ((n = csv_next(cv, &f, &l)) > 0) {
		char *u, *e;

		if (first) {
			/* A header row is optional: username,email[,...]. */
			first = 0;
			if (csv_find(f, (size_t)n, n_user) >= 0) {
				iu = csv_find(f, (size_t)n, n_user);
				ie = csv_find(f, (size_t)n, n_email);
				if (ie < 0)
					diag_die(SP_EXIT_FAIL, c->server_users,
					    csv_line(cv), "no \"email\" column");
				continue;
			}
		}
		s = field(f, l, n, iu, &len);
		u = trimdup(s, len);
		s = field(f, l, n, ie, &len);
		e = trimdup(s, len);
		if (*u != '\0' && *e != '\0') {
			db_bind_text(&c->db, ins, 1, u, -1);
			db_bind_text(&c->db, ins, 2, e, -1);
			db_bind_i64(&c->db, ins, 3, csv_line(cv));
			db_run(&c->db, ins);
			c->server_rows++;
		}
		free(u);
		free(e);
	}
	if (n < 0)
		csv_die(cv);
	db_finalize(ins);
	db_exec(&c->db, "COMMIT; CREATE INDEX srv_u ON srv(lusername)");
	csv_close(cv);
}

static int
truthy(const char *s)
{
	return strcasecmp(s, "true") == 0 || strcasecmp(s, "yes") == 0 ||
	    strcmp(s, "1") == 0 || strcasecmp(s, "y") == 0;
}

static void
load_map(struct conv *c)
{
	static const char *const n_key[] = { "UserKey", "User key",
	    "user_key", NULL };
	static const char *const n_user[] = { "UserName", "User name",
	    "username", NULL };
	static const char *const n_email[] = { "NewEmail", "New email",
	    "new_email", NULL };
	static const char *const n_id[] = { "AccountId", "Account id",
	    "atlassianAccountId", "account_id", "aaid", NULL };
	static const char *const n_tomb[] = { "Tombstone", NULL };
	struct csv *cv = open_csv(c->map, "--map");
	sqlite3_stmt *ins;
	char **f;
	size_t *l, len;
	int n, ik, iu, ie, ii, it;
	const char *s;

	n = csv_next(cv, &f, &l);
	if (n < 0)
		csv_die(cv);
	if (n == 0)
		diag_die(SP_EXIT_FAIL, c->map, 1, "empty file, expected a header "
		    "UserKey,UserName,NewEmail,AccountId,Tombstone");
	ik = csv_find(f, (size_t)n, n_key);
	iu = csv_find(f, (size_t)n, n_user);
	ie = csv_find(f, (size_t)n, n_email);
	ii = csv_find(f, (size_t)n, n_id);
	it = csv_find(f, (size_t)n, n_tomb);
	if (ik < 0 && iu < 0)
		diag_die(SP_EXIT_FAIL, c->map, 1, "no UserKey or UserName column");
	if (ie < 0 && ii < 0 && it < 0)
		diag_die(SP_EXIT_FAIL, c->map, 1, "no NewEmail, AccountId or "
		    "Tombstone column");
	db_exec(&c->db, "BEGIN");
	ins = db_prep(&c->db, "INSERT INTO map(key, lusername, email, "
	    "account_id, tombstone, line) VALUES(?1, lower(?2), lower(?3), ?4, "
	    "?5, ?6)");
	while ((n = csv_next(cv, &f, &l)) > 0) {
		char *k, *u, *e, *a, *t;

		s = field(f, l, n, ik, &len);
		k = trimdup(s, len);
		s = field(f, l, n, iu, &len);
		u = trimdup(s, len);
		s = field(f, l, n, ie, &len);
		e = trimdup(s, len);
		s = field(f, l, n, ii, &len);
		a = trimdup(s, len);
		s = field(f, l, n, it, &len);
		t = trimdup(s, len);
		if (*k == '\0' && *u == '\0')
			report_finding("map-row", c->map, csv_line(cv), NULL,
			    "row names no user (UserKey and UserName empty), "
			    "ignored");
		else if (*e == '\0' && *a == '\0' && !truthy(t))
			report_finding("map-row", c->map, csv_line(cv),
			    *k != '\0' ? k : u, "row for %s gives no NewEmail, "
			    "AccountId or Tombstone, ignored", *k != '\0' ? k : u);
		else if (*a != '\0' && !cu_valid_account(a))
			diag_die(SP_EXIT_FAIL, c->map, csv_line(cv), "AccountId "
			    "\"%s\" is not an atlassian account id (557058:<uuid> "
			    "or 24 hex digits)", a);
		else {
			if (*e != '\0' && *a == '\0' && !truthy(t) &&
			    strchr(e, '@') == NULL)
				report_finding("map-row", c->map, csv_line(cv),
				    e, "NewEmail \"%s\" does not look like an "
				    "e-mail address", e);
			bind_str(&c->db, ins, 1, k);
			bind_str(&c->db, ins, 2, u);
			bind_str(&c->db, ins, 3, e);
			bind_str(&c->db, ins, 4, a);
			db_bind_i64(&c->db, ins, 5, truthy(t));
			db_bind_i64(&c->db, ins, 6, csv_line(cv));
			db_run(&c->db, ins);
			c->map_rows++;
		}
		free(k);
		free(u);
		free(e);
		free(a);
		free(t);
	}
	if (n < 0)
		csv_die(cv);
	db_finalize(ins);
	db_exec(&c->db, "COMMIT; CREATE INDEX map_k ON map(key);"
	    "CREATE INDEX map_u ON map(lusername)");
	csv_close(cv);
}

void
cu_load_sources(struct conv *c)
{
	if (c->cloud_users != NULL)
		load_cloud(c);
	if (c->server_users != NULL)
		load_server(c);
	if (c->map != NULL)
		load_map(c);
}

/* ---- resolution ---------------------------------------------------- */

/* state: 0 open, 1 account, 2 former. */
static const char resolve_sql[] =
    /* Overrides: by key first, then by username. */
    "UPDATE u SET map_id = (SELECT m.id FROM map m WHERE m.key <> '' AND"
    "  m.key = u.key ORDER BY m.line LIMIT 1), map_via = 'key'"
    " WHERE u.key <> '';"
    "UPDATE u SET map_id = (SELECT m.id FROM map m WHERE m.lusername <> ''"
    "  AND m.lusername = u.lname ORDER BY m.line LIMIT 1), map_via = 'name'"
    " WHERE map_id IS NULL AND u.lname <> '';"
    "UPDATE map SET used = 1 WHERE id IN (SELECT map_id FROM u);"
    "UPDATE u SET state = 2, resolution = 'tombstone' WHERE map_id IN"
    " (SELECT id FROM map WHERE tombstone);"
    "UPDATE u SET state = 1, resolution = 'override-' || map_via,"
    "  account_id = (SELECT account_id FROM map WHERE id = u.map_id),"
    "  email_used = (SELECT email FROM map WHERE id = u.map_id)"
    " WHERE state = 0 AND map_id IN (SELECT id FROM map WHERE"
    "  account_id <> '');"
    "UPDATE u SET email_used = (SELECT email FROM map WHERE id = u.map_id),"
    "  reason = 'override e-mail not in the cloud list'"
    " WHERE state = 0 AND map_id IN (SELECT id FROM map WHERE email <> '');"
    "UPDATE u SET state = 1, resolution = 'override-email',"
    "  account_id = (SELECT c.account_id FROM cloud c WHERE"
    "   c.lemail = u.email_used ORDER BY c.line LIMIT 1), reason = NULL"
    " WHERE state = 0 AND map_id IS NOT NULL AND email_used <> '' AND"
    "  EXISTS (SELECT 1 FROM cloud c WHERE c.lemail = u.email_used);"
    /* A Cloud export's user whose key is an account id already. */
    "UPDATE u SET state = 1, resolution = 'account-key', account_id = key"
    " WHERE state = 0 AND reason IS NULL AND ((key GLOB '[0-9]*:?*' AND"
    "  key NOT GLOB '*[^0-9a-fA-F:-]*') OR (length(key) = 24 AND"
    "  key NOT GLOB '*[^0-9a-f]*'));"
    /* A deleted user is a former user (unless overridden above). */
    "UPDATE u SET state = 2, resolution = 'deleted'"
    " WHERE state = 0 AND deleted AND reason IS NULL;"
    /* The export's e-mail. */
    "UPDATE u SET state = 1, resolution = 'email', email_used = lemail,"
    "  account_id = (SELECT c.account_id FROM cloud c WHERE"
    "   c.lemail = u.lemail ORDER BY c.line LIMIT 1)"
    " WHERE state = 0 AND reason IS NULL AND lemail <> '' AND"
    "  EXISTS (SELECT 1 FROM cloud c WHERE c.lemail = u.lemail);"
    /* The server directory list. */
    "UPDATE u SET state = 1, resolution = 'server-list',"
    "  email_used = (SELECT lower(s.email) FROM srv s WHERE"
    "   s.lusername = u.lname ORDER BY s.line LIMIT 1)"
    " WHERE state = 0 AND reason IS NULL AND lname <> '' AND"
    "  EXISTS (SELECT 1 FROM srv s JOIN cloud c ON"
    "   c.lemail = lower(s.email) WHERE s.lusername = u.lname);"
    "UPDATE u SET account_id = (SELECT c.account_id FROM cloud c WHERE"
    "  c.lemail = u.email_used ORDER BY c.line LIMIT 1)"
    " WHERE resolution = 'server-list';"
    /* Two Server users, one e-mail: both get that account. */
    "UPDATE u SET resolution = 'duplicate-email'"
    " WHERE resolution IN ('email', 'server-list') AND email_used IN"
    "  (SELECT email_used FROM u WHERE resolution IN ('email',"
    "   'server-list') GROUP BY email_used HAVING count(*) > 1);"
    /* Why the rest are unmapped. */
    "UPDATE u SET reason = CASE"
    "  WHEN username = '' THEN 'key with no user object and no override'"
    "  WHEN lemail <> '' THEN 'e-mail ' || lemail || ' not in the cloud list'"
    "  WHEN EXISTS (SELECT 1 FROM srv s WHERE s.lusername = u.lname) THEN"
    "   'server-list e-mail ' || (SELECT lower(s.email) FROM srv s WHERE"
    "   s.lusername = u.lname ORDER BY s.line LIMIT 1) ||"
    "   ' not in the cloud list'"
    "  ELSE 'no e-mail in the export or the server list' END"
    " WHERE state = 0 AND reason IS NULL;"
    /* The Cloud e-mail: the list's, for the account. */
    "UPDATE u SET cloud_email = coalesce((SELECT c.lemail FROM cloud c"
    "  WHERE c.account_id = u.account_id AND c.lemail <> ''"
    "  ORDER BY c.line LIMIT 1), nullif(email_used, ''))"
    " WHERE state = 1;"
    "UPDATE u SET newkey = key WHERE key <> '';";

void
cu_resolve(struct conv *c)
{
	sqlite3_stmt *st, *up;

	db_exec(&c->db, "BEGIN");
	db_exec(&c->db, resolve_sql);

	/* Keys for users known only by name (pre-5.2). */
	st = db_prep(&c->db, "SELECT id, lname FROM u WHERE key = ''");
	up = db_prep(&c->db, "UPDATE u SET newkey = ?1 WHERE id = ?2");
	while (db_step(&c->db, st)) {
		char k[33];

		cu_derive_key((const char *)sqlite3_column_text(st, 1), k);
		db_bind_text(&c->db, up, 1, k, -1);
		db_bind_i64(&c->db, up, 2, sqlite3_column_int64(st, 0));
		db_run(&c->db, up);
	}
	db_finalize(st);
	db_finalize(up);

	/* Policies for the rest. */
	if (c->policy == UNMAPPED_FORMER)
		db_exec(&c->db, "UPDATE u SET state = 2, resolution = "
		    "'unmapped-former' WHERE state = 0");
	else if (c->policy == UNMAPPED_ACCOUNT) {
		up = db_prep(&c->db, "UPDATE u SET state = 1, resolution = "
		    "'unmapped-account', account_id = ?1, cloud_email = "
		    "(SELECT c.lemail FROM cloud c WHERE c.account_id = ?1 AND "
		    "c.lemail <> '' ORDER BY c.line LIMIT 1) WHERE state = 0");
		db_bind_text(&c->db, up, 1, c->policy_account, -1);
		db_run(&c->db, up);
		db_finalize(up);
	} else
		db_exec(&c->db, "UPDATE u SET resolution = 'unmapped' "
		    "WHERE state = 0");
	db_exec(&c->db, "COMMIT");

	/* Findings about the sources and the result. */
	st = db_prep(&c->db, "SELECT email_used, count(*), group_concat("
	    "CASE WHEN username <> '' THEN username ELSE key END, ', '),"
	    " min(account_id) FROM (SELECT * FROM u WHERE resolution ="
	    " 'duplicate-email' ORDER BY lname) GROUP BY email_used"
	    " ORDER BY email_used");
	while (db_step(&c->db, st)) {
		c->dup_groups++;
		report_finding("duplicate-email", NULL, 0,
		    (const char *)sqlite3_column_text(st, 0), "%lld server users "
		    "share the e-mail %s (%s): all mapped to account %s",
		    (long long)sqlite3_column_int64(st, 1),
		    (const char *)sqlite3_column_text(st, 0),
		    (const char *)sqlite3_column_text(st, 2),
		    (const char *)sqlite3_column_text(st, 3));
	}
	db_finalize(st);
	if (c->cloud_users != NULL) {
		st = db_prep(&c->db, "SELECT lemail, count(DISTINCT account_id),"
		    " min(line) FROM cloud WHERE lemail <> '' GROUP BY lemail"
		    " HAVING count(DISTINCT account_id) > 1 AND lemail IN"
		    " (SELECT cloud_email FROM u) ORDER BY lemail");
		while (db_step(&c->db, st))
			report_finding("cloud-duplicate-email", c->cloud_users,
			    sqlite3_column_int64(st, 2),
			    (const char *)sqlite3_column_text(st, 0), "%lld cloud "
			    "accounts have the e-mail %s; the first one listed "
			    "is used", (long long)sqlite3_column_int64(st, 1),
			    (const char *)sqlite3_column_text(st, 0));
		db_finalize(st);
		st = db_prep(&c->db, "SELECT CASE WHEN u.username <> '' THEN"
		    " u.username ELSE u.key END, u.account_id, c.status, c.line"
		    " FROM u JOIN cloud c ON c.id = (SELECT id FROM cloud WHERE"
		    " account_id = u.account_id ORDER BY line LIMIT 1)"
		    " WHERE u.state = 1 AND c.status IS NOT NULL AND"
		    " lower(c.status) <> 'active' ORDER BY u.id");
		while (db_step(&c->db, st))
			report_finding("cloud-user-inactive", c->cloud_users,
			    sqlite3_column_int64(st, 3),
			    (const char *)sqlite3_column_text(st, 0), "%s is "
			    "mapped to account %s, whose cloud status is %s: "
			    "mapped anyway", (const char *)sqlite3_column_text(st, 0),
			    (const char *)sqlite3_column_text(st, 1),
			    (const char *)sqlite3_column_text(st, 2));
		db_finalize(st);
	}
	if (c->policy == UNMAPPED_ACCOUNT && c->cloud_users != NULL) {
		st = db_prep(&c->db, "SELECT count(*) FROM cloud WHERE "
		    "account_id = ?1");
		db_bind_text(&c->db, st, 1, c->policy_account, -1);
		if (db_step(&c->db, st) && sqlite3_column_int64(st, 0) == 0)
			report_finding("unmapped-account-unknown", c->cloud_users,
			    0, c->policy_account, "--unmapped %s: that account "
			    "is not in the cloud list", c->policy_account);
		db_finalize(st);
	}
	if (c->map != NULL) {
		st = db_prep(&c->db, "SELECT line, CASE WHEN key <> '' THEN key"
		    " ELSE lusername END FROM map WHERE NOT used ORDER BY line");
		while (db_step(&c->db, st)) {
			c->map_unused++;
			if (c->map_unused <= 20)
				diag_warn(c->map, sqlite3_column_int64(st, 0),
				    "%s: not referenced by this export, ignored",
				    (const char *)sqlite3_column_text(st, 1));
		}
		db_finalize(st);
	}
	/* Unmapped users under former/account policies are findings. */
	if (c->policy != UNMAPPED_FAIL) {
		st = db_prep(&c->db, "SELECT CASE WHEN username <> '' THEN"
		    " username ELSE key END, refs, reason, resolution FROM u"
		    " WHERE resolution IN ('unmapped-former', 'unmapped-account')"
		    " ORDER BY refs DESC, lname, key");
		while (db_step(&c->db, st))
			report_finding("unmapped-user", NULL, 0,
			    (const char *)sqlite3_column_text(st, 0), "%s "
			    "(%lld references) unmapped: %s; %s",
			    (const char *)sqlite3_column_text(st, 0),
			    (long long)sqlite3_column_int64(st, 1),
			    (const char *)sqlite3_column_text(st, 2),
			    strcmp((const char *)sqlite3_column_text(st, 3),
			    "unmapped-former") == 0 ? "becomes a former user" :
			    "assigned to the --unmapped account");
		db_finalize(st);
	}

	st = db_prep(&c->db, "SELECT sum(state = 0), sum(state = 1),"
	    " sum(state = 2) FROM u");
	if (db_step(&c->db, st)) {
		c->users_unmapped = (uint64_t)sqlite3_column_int64(st, 0);
		c->users_account = (uint64_t)sqlite3_column_int64(st, 1);
		c->users_former = (uint64_t)sqlite3_column_int64(st, 2);
	}
	db_finalize(st);

	c->q_key = db_prep(&c->db, "SELECT id, newkey, state, account_id,"
	    " cloud_email, object FROM u WHERE key = ?1 LIMIT 1");
	c->q_name = db_prep(&c->db, "SELECT id, newkey, state, account_id,"
	    " cloud_email, object FROM u WHERE lname = lower(?1)"
	    " ORDER BY object DESC, key = '' DESC, id LIMIT 1");
}

/* Under --unmapped fail: every unmapped user, on stderr (all of them,
 * also with -q: this is why the run fails) and as findings. */
uint64_t
cu_list_unmapped(struct conv *c)
{
	struct strbuf sb = STRBUF_INIT;
	sqlite3_stmt *st;
	uint64_t n = 0;

	report_quiet(1);
	st = db_prep(&c->db, "SELECT CASE WHEN username <> '' THEN username"
	    " ELSE key END, key, refs, kinds, reason FROM u WHERE state = 0"
	    " ORDER BY refs DESC, lname, key");
	while (db_step(&c->db, st)) {
		const char *who = (const char *)sqlite3_column_text(st, 0);
		const char *key = (const char *)sqlite3_column_text(st, 1);

		n++;
		sb_reset(&sb);
		sb_adds(&sb, who);
		if (*key != '\0' && strcmp(who, key) != 0)
			sb_addf(&sb, " (key %s)", key);
		sb_addf(&sb, ": %lld references (%s): %s",
		    (long long)sqlite3_column_int64(st, 2),
		    (const char *)sqlite3_column_text(st, 3),
		    (const char *)sqlite3_column_text(st, 4));
		report_finding("unmapped-user", NULL, 0, who, "%s", sb.buf);
		diag_warn(NULL, 0, "unmapped: %s", sb.buf);
	}
	db_finalize(st);
	sb_free(&sb);
	report_quiet(c->quiet);
	return n;
}

static char *
coldup(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s != NULL && *s != '\0' ? xstrdup((const char *)s) : NULL;
}

static void
cache_clear(struct conv *c)
{
	free(c->cache.key);
	free(c->cache.account);
	free(c->cache.cloud_email);
	free(c->cache_q);
	memset(&c->cache, 0, sizeof(c->cache));
	c->cache_q = NULL;
}

/* Look a user up by key (key != NULL) or username.  Returns the state;
 * *u is valid until the next call. */
int
cu_lookup(struct conv *c, const char *key, const char *name,
    struct uinfo **u)
{
	sqlite3_stmt *st = key != NULL ? c->q_key : c->q_name;
	const char *q = key != NULL ? key : name;

	*u = &c->cache;
	if (c->cache_q != NULL && c->cache_bykey == (key != NULL) &&
	    (key != NULL ? strcmp(c->cache_q, q) : strcasecmp(c->cache_q, q)) == 0)
		return c->cache.state;
	cache_clear(c);
	c->cache_q = xstrdup(q);
	c->cache_bykey = key != NULL;
	db_bind_text(&c->db, st, 1, q, -1);
	if (db_step(&c->db, st)) {
		int s = sqlite3_column_int(st, 2);

		c->cache.id = sqlite3_column_int64(st, 0);
		c->cache.key = coldup(st, 1);
		c->cache.state = s == 1 ? US_ACCOUNT : s == 2 ? US_FORMER :
		    US_UNMAPPED;
		c->cache.account = coldup(st, 3);
		c->cache.cloud_email = coldup(st, 4);
		c->cache.object = sqlite3_column_int(st, 5);
		if (c->cache.state == US_ACCOUNT && c->cache.account == NULL)
			c->cache.state = US_FORMER;
	} else
		c->cache.state = US_NONE;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return c->cache.state;
}

void
cu_each_missing(struct conv *c, void (*fn)(void *, const char *,
    const char *, const char *), void *arg)
{
	sqlite3_stmt *st;

	st = db_prep(&c->db, "SELECT newkey, CASE WHEN state = 1 AND"
	    " coalesce(cloud_email, '') <> '' THEN cloud_email"
	    " WHEN username <> '' THEN username ELSE key END,"
	    " CASE WHEN state = 1 THEN account_id END"
	    " FROM u WHERE needobj AND NOT object AND state <> 0 ORDER BY id");
	while (db_step(&c->db, st))
		fn(arg, (const char *)sqlite3_column_text(st, 0),
		    (const char *)sqlite3_column_text(st, 1),
		    (const char *)sqlite3_column_text(st, 2));
	db_finalize(st);
}

static void
tsv_col(struct strbuf *sb, sqlite3_stmt *st, int i, int last)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	if (s != NULL)
		tsv_add_field(sb, (const char *)s, strlen((const char *)s));
	sb_addc(sb, last ? '\n' : '\t');
}

void
cu_write_tsv(struct conv *c, struct spool *sp)
{
	struct strbuf sb = STRBUF_INIT;
	sqlite3_stmt *st;
	int i;

	sb_adds(&sb, "key\tusername\temail\trefs\tobject\tdeleted\tkinds\t"
	    "account_id\tcloud_email\tresolution\n");
	st = db_prep(&c->db, "SELECT key, username, email, refs, object,"
	    " deleted, kinds, CASE WHEN state = 1 THEN account_id END,"
	    " CASE WHEN state = 1 THEN cloud_email END, resolution"
	    " FROM u ORDER BY id");
	while (db_step(&c->db, st)) {
		for (i = 0; i < 10; i++)
			tsv_col(&sb, st, i, i == 9);
		if (sb.len > 65536) {
			spool_write(sp, sb.buf, sb.len);
			sb_reset(&sb);
		}
	}
	db_finalize(st);
	spool_write(sp, sb.buf, sb.len);
	sb_free(&sb);
}

/* JSON "users" section. */
void
cu_json(struct strbuf *sb, void *arg)
{
	struct conv *c = arg;
	sqlite3_stmt *st;
	size_t i;
	int first;

	sb_adds(sb, "{\"total\": ");
	json_u64(sb, c->users_total);
	sb_adds(sb, ", \"by_resolution\": {");
	for (i = 0, first = 1; resolutions[i] != NULL; i++) {
		st = db_prep(&c->db, "SELECT count(*) FROM u WHERE resolution = ?1");
		db_bind_text(&c->db, st, 1, resolutions[i], -1);
		db_step(&c->db, st);
		if (sqlite3_column_int64(st, 0) > 0) {
			sb_adds(sb, first ? "" : ", ");
			json_str(sb, resolutions[i]);
			sb_adds(sb, ": ");
			json_u64(sb, (uint64_t)sqlite3_column_int64(st, 0));
			first = 0;
		}
		db_finalize(st);
	}
	sb_adds(sb, "}, \"unmapped\": [");
	st = db_prep(&c->db, "SELECT key, username, refs, kinds, reason,"
	    " resolution FROM u WHERE state = 0 OR resolution LIKE 'unmapped%'"
	    " ORDER BY refs DESC, lname, key");
	for (first = 1; db_step(&c->db, st); first = 0) {
		sb_adds(sb, first ? "\n  " : ",\n  ");
		sb_adds(sb, "{\"key\": ");
		json_str(sb, (const char *)sqlite3_column_text(st, 0));
		sb_adds(sb, ", \"username\": ");
		json_str(sb, (const char *)sqlite3_column_text(st, 1));
		sb_adds(sb, ", \"refs\": ");
		json_u64(sb, (uint64_t)sqlite3_column_int64(st, 2));
		sb_adds(sb, ", \"kinds\": ");
		json_str(sb, (const char *)sqlite3_column_text(st, 3));
		sb_adds(sb, ", \"reason\": ");
		json_str(sb, (const char *)sqlite3_column_text(st, 4));
		sb_adds(sb, ", \"policy\": ");
		json_str(sb, (const char *)sqlite3_column_text(st, 5));
		sb_adds(sb, "}");
	}
	db_finalize(st);
	sb_adds(sb, "], \"duplicates\": [");
	st = db_prep(&c->db, "SELECT email_used, account_id, group_concat("
	    "CASE WHEN username <> '' THEN username ELSE key END, '\t') FROM"
	    " (SELECT * FROM u WHERE resolution = 'duplicate-email' ORDER BY"
	    " lname) GROUP BY email_used ORDER BY email_used");
	for (first = 1; db_step(&c->db, st); first = 0) {
		const char *p = (const char *)sqlite3_column_text(st, 2), *q;

		sb_adds(sb, first ? "\n  " : ",\n  ");
		sb_adds(sb, "{\"email\": ");
		json_str(sb, (const char *)sqlite3_column_text(st, 0));
		sb_adds(sb, ", \"account_id\": ");
		json_str(sb, (const char *)sqlite3_column_text(st, 1));
		sb_adds(sb, ", \"users\": [");
		for (i = 0; p != NULL; i++) {
			q = strchr(p, '\t');
			sb_adds(sb, i ? ", " : "");
			json_strn(sb, p, q != NULL ? (size_t)(q - p) : strlen(p));
			p = q != NULL ? q + 1 : NULL;
		}
		sb_adds(sb, "]}");
	}
	db_finalize(st);
	sb_adds(sb, "], \"sources\": {\"cloud_users\": ");
	json_u64(sb, c->cloud_rows);
	sb_adds(sb, ", \"server_users\": ");
	json_u64(sb, c->server_rows);
	sb_adds(sb, ", \"map\": ");
	json_u64(sb, c->map_rows);
	sb_adds(sb, ", \"map_unused\": ");
	json_u64(sb, c->map_unused);
	sb_adds(sb, "}, \"objects_rewritten\": ");
	json_u64(sb, c->users_rewritten);
	sb_adds(sb, ", \"objects_added\": ");
	json_u64(sb, c->users_added);
	sb_adds(sb, "}");
}

static void
by_resolution(struct conv *c, void (*fn)(struct conv *, const char *,
    uint64_t, void *), void *arg)
{
	sqlite3_stmt *st;
	size_t i;

	st = db_prep(&c->db, "SELECT count(*) FROM u WHERE resolution = ?1");
	for (i = 0; resolutions[i] != NULL; i++) {
		db_bind_text(&c->db, st, 1, resolutions[i], -1);
		db_step(&c->db, st);
		fn(c, resolutions[i], (uint64_t)sqlite3_column_int64(st, 0), arg);
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
	db_finalize(st);
}

static void
res_line(struct conv *c, const char *res, uint64_t n, void *arg)
{
	char label[64];

	if (n == 0)
		return;
	snprintf(label, sizeof(label), "  %s:", res);
	report_summary_line(label, "%" PRIu64, n);
}

void
cu_summary(struct conv *c)
{
	report_summary_line("users:", "%" PRIu64 " (%" PRIu64 " to accounts, %"
	    PRIu64 " former, %" PRIu64 " unmapped)", c->users_total,
	    c->users_account, c->users_former, c->users_unmapped);
	by_resolution(c, res_line, NULL);
}

static void
res_fact(struct conv *c, const char *res, uint64_t n, void *arg)
{
	char key[96];

	if (n == 0)
		return;
	snprintf(key, sizeof(key), "convert.users.%s", res);
	manifest_setu(arg, key, n);
}

void
cu_facts(struct conv *c, struct manifest *m)
{
	manifest_setu(m, "convert.users", c->users_total);
	manifest_setu(m, "convert.users.accounts", c->users_account);
	manifest_setu(m, "convert.users.former", c->users_former);
	by_resolution(c, res_fact, m);
}

void
cu_close(struct conv *c)
{
	cache_clear(c);
	if (c->q_key != NULL)
		db_finalize(c->q_key);
	if (c->q_name != NULL)
		db_finalize(c->q_name);
	c->q_key = c->q_name = NULL;
}

/*
 * Atlassian account ids: "557058:<uuid>" (digits, a colon, then hex and
 * dashes) or 24 hex digits.  Every account id that reaches the output
 * (Cloud list, --map, --unmapped) passes here: it is written into XML
 * attributes and CDATA bodies, so nothing else may get through.
 */
int
cu_valid_account(const char *s)
{
	const char *p = s;
	size_t n = strlen(s);

	if (n == 0 || n > 128)
		return 0;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p == ':' && p > s) {
		if (p[1] == '\0')
			return 0;
		for (p++; *p != '\0'; p++)
			if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') ||
			    (*p >= 'A' && *p <= 'F') || *p == '-'))
				return 0;
		return 1;
	}
	if (n < 24)
		return 0;
	for (p = s; *p != '\0'; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return 0;
	return 1;
}
