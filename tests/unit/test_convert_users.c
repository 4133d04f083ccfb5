/*
 * test_convert_users.c - the resolution chain of spaceport-convert
 * (convert/users.c) on a hand-made user table and CSV files (TAP output).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "convert.h"
#include "diag.h"
#include "tap.h"
#include "report.h"

static char dir[] = "/tmp/test_convert_users.XXXXXX";

static const char *
writef(const char *name, const char *text)
{
	static char path[8][256];
	static int i;
	FILE *fp;

	i = (i + 1) % 8;
	snprintf(path[i], sizeof(path[i]), "%s/%s", dir, name);
	fp = fopen(path[i], "w");
	fputs(text, fp);
	fclose(fp);
	return path[i];
}

/* "account_id/resolution" of the row with this key or username. */
static const char *
res(struct conv *c, const char *key, const char *name)
{
	static char buf[256];
	sqlite3_stmt *st;

	st = db_prep(&c->db, "SELECT coalesce(account_id, ''), "
	    "coalesce(resolution, '') FROM u WHERE (key = ?1 AND ?1 <> '') OR "
	    "(key = '' AND username = ?2)");
	db_bind_text(&c->db, st, 1, key, -1);
	db_bind_text(&c->db, st, 2, name, -1);
	if (db_step(&c->db, st))
		snprintf(buf, sizeof(buf), "%s/%s", sqlite3_column_text(st, 0),
		    sqlite3_column_text(st, 1));
	else
		snprintf(buf, sizeof(buf), "(no row)");
	db_finalize(st);
	return buf;
}

static const char users_tsv[] =
    "key\tusername\temail\trefs\tobject\tdeleted\tkinds\n"
    "\tlegacy\t\t2\t0\t0\tentity-name=2\n"
    "k01\tplain\tPlain@Example.COM\t1\t1\t0\tentity-key=1\n"
    "k02\tldap\t\t1\t1\t0\tentity-key=1\n"
    "k03\tdup1\tshared@example.com\t1\t1\t0\tentity-key=1\n"
    "k04\tdup2\tSHARED@example.com\t1\t1\t0\tentity-key=1\n"
    "k05\tk05\t\t1\t1\t1\tentity-key=1\n"
    "k06\tbykey\tx@example.com\t1\t1\t0\tentity-key=1\n"
    "k07\tbyname\t\t1\t1\t0\tentity-key=1\n"
    "k08\ttomb\tplain2@example.com\t1\t1\t0\tentity-key=1\n"
    "k09\tnewmail\told@example.com\t1\t1\t0\tentity-key=1\n"
    "k10\tbadmail\t\t1\t1\t0\tentity-key=1\n"
    "k11\tnobody\t\t1\t1\t0\tentity-key=1\n"
    "k12\tk12\t\t1\t1\t1\tentity-key=1\n"
    "557058:abcdef01-2345-4678-9abc-def012345678\tcloud@example.com\t\t0\t1\t0\t\n";

static void
run(int policy, const char *account)
{
	struct conv c;

	memset(&c, 0, sizeof(c));
	c.policy = policy;
	c.policy_account = account;
	c.cloud_users = writef("cloud.csv",
	    "\xef\xbb\xbf\"Org role\",\"email\",\"User id\",\"User status\"\r\n"
	    ",plain@example.com,557058:a1,Active\r\n"
	    ",ldap@example.com,557058:a2,Active\r\n"
	    ",shared@example.com,557058:a3,Active\r\n"
	    ",new@example.com,557058:a4,Inactive\r\n"
	    ",plain2@example.com,557058:a5,Active\r\n"
	    ",legacy@example.com,557058:a6,Active\r\n");
	c.server_users = writef("server.csv",
	    "LDAP,ldap@example.com\nLegacy,Legacy@Example.com\n");
	c.map = writef("map.csv",
	    "UserName,UserKey,Tombstone,NewEmail,atlassianAccountId\n"
	    "BYNAME,,,,557058:b2\n"
	    "bykey,k06,,,557058:b1\n"
	    ",k12,,,557058:b3\n"
	    "tomb,,YES,,557058:b9\n"
	    "newmail,,,NEW@example.com,\n"
	    "badmail,,,missing@example.com,\n");
	db_open(&c.db, NULL);
	cu_load_tsv(&c, users_tsv, sizeof(users_tsv) - 1);
	cu_load_sources(&c);
	cu_resolve(&c);

	is_str(res(&c, "", "legacy"), "557058:a6/server-list", "legacy name via server list, other case");
	is_str(res(&c, "k01", ""), "557058:a1/email", "export e-mail, case-insensitive");
	is_str(res(&c, "k02", ""), "557058:a2/server-list", "no e-mail: server list by username");
	is_str(res(&c, "k03", ""), "557058:a3/duplicate-email", "duplicate e-mail: first user");
	is_str(res(&c, "k04", ""), "557058:a3/duplicate-email", "duplicate e-mail: second user, same account");
	is_str(res(&c, "k05", ""), "/deleted", "name == key: deleted, former");
	is_str(res(&c, "k06", ""), "557058:b1/override-key", "override by key wins over the e-mail");
	is_str(res(&c, "k07", ""), "557058:b2/override-name", "override by username, other case");
	is_str(res(&c, "k08", ""), "/tombstone", "tombstone wins over account id and e-mail");
	is_str(res(&c, "k09", ""), "557058:a4/override-email", "override e-mail looked up in the cloud list");
	is_str(res(&c, "k12", ""), "557058:b3/override-key", "an override wins over deleted");
	is_str(res(&c, "557058:abcdef01-2345-4678-9abc-def012345678", ""),
	    "557058:abcdef01-2345-4678-9abc-def012345678/account-key",
	    "a key that is an account id");
	if (policy == UNMAPPED_FORMER) {
		is_str(res(&c, "k10", ""), "/unmapped-former", "former: override e-mail not in cloud");
		is_str(res(&c, "k11", ""), "/unmapped-former", "former: no e-mail anywhere");
	} else if (policy == UNMAPPED_ACCOUNT) {
		is_str(res(&c, "k10", ""), "557058:99/unmapped-account", "account: override e-mail not in cloud");
		is_str(res(&c, "k11", ""), "557058:99/unmapped-account", "account: no e-mail anywhere");
	} else {
		is_str(res(&c, "k10", ""), "/unmapped", "fail: override e-mail not in cloud");
		is_str(res(&c, "k11", ""), "/unmapped", "fail: no e-mail anywhere");
	}
	cu_close(&c);
	db_close(&c.db);
}

int
main(void)
{
	char k1[33], k2[33], k3[33];

	diag_setprog("test_convert_users");
	if (mkdtemp(dir) == NULL)
		return 1;
	report_init("test", "test");
	report_quiet(1);
	run(UNMAPPED_FAIL, NULL);
	run(UNMAPPED_FORMER, NULL);
	run(UNMAPPED_ACCOUNT, "557058:99");

	cu_derive_key("alice", k1);
	cu_derive_key("alice", k2);
	cu_derive_key("alicf", k3);
	is_str(k1, k2, "derived keys are deterministic");
	ok(strcmp(k1, k3) != 0, "derived keys differ by name");
	ok(strlen(k1) == 32 && strspn(k1, "0123456789abcdef") == 32,
	    "derived keys are 32 hex digits");

	report_free();
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			tap_fail();
	}
	return tap_done();
}
