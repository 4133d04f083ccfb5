/*
 * test_inventory.c - unit tests for extract/inventory.c (TAP output).
 *
 * Small hand-written entities.xml documents go through ent_open/ent_next
 * into inventory_object and the inventory's body rule (as the extract
 * pass does: extract/scan.c), plus user references,
 * zip members, facts, users and findings; then the database is opened
 * with sqlite3 and exact query results are checked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "diag.h"
#include "tap.h"
#include "entities.h"
#include "inventory.h"
#include "model.h"
#include "strbuf.h"


static void
feed(struct inventory *inv, const char *xml)
{
	struct tap_src sr = { xml, strlen(xml), 0, 7 };
	struct ent_reader *r = ent_open(tap_src_read, &sr, "entities.xml", 1 << 20);
	const struct xobj *o;
	const char *gap;
	size_t gaplen;
	int rc;

	struct body *b = body_new();
	const struct xmember *body;
	enum body_format bf;

	while ((rc = ent_next(r, &o, &gap, &gaplen)) == 1) {
		inventory_object(inv, o);
		if (inventory_body_begin(inv, o)) {
			const struct body_rules row = { &inventory_rule, inv };

			bf = model_body(o, &body);
			if (body_load_value(b, body, bf) == 0)
				body_run(b, &row, 1);
			inventory_body_end(inv);
		}
	}
	ok(rc == 0, "entities parsed to the end");
	ent_close(r);
	body_free(b);
}

/* All rows of a query, "|"-separated columns, ";"-terminated rows. */
static char *
q(sqlite3 *h, const char *sql)
{
	struct strbuf sb = STRBUF_INIT;
	sqlite3_stmt *st;
	int i, n;

	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK) {
		printf("# sql error: %s: %s\n", sql, sqlite3_errmsg(h));
		sb_adds(&sb, "ERROR");
		return sb_detach(&sb);
	}
	n = sqlite3_column_count(st);
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (i = 0; i < n; i++) {
			const char *v = (const char *)sqlite3_column_text(st, i);

			if (i > 0)
				sb_addc(&sb, '|');
			sb_adds(&sb, v != NULL ? v : "NULL");
		}
		sb_addc(&sb, ';');
	}
	sqlite3_finalize(st);
	sb_addc(&sb, '\0');	/* allocate even when empty */
	return sb_detach(&sb);
}

static void
is_q(sqlite3 *h, const char *sql, const char *want, const char *name)
{
	char *got = q(h, sql);
	int good = strcmp(got, want) == 0;

	ok(good, name);
	if (!good)
		printf("#   query:    %s\n#   got:      %s\n#   expected: %s\n",
		    sql, got, want);
	free(got);
}

#define USER(k) "<property name=\"creator\" class=\"ConfluenceUserImpl\" " \
	"package=\"com.atlassian.confluence.user\"><id name=\"key\">" k \
	"</id></property>"

/* Legacy writer (CDATA everywhere), 5.9-style attachments. */
static const char doc_legacy[] =
"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
"<hibernate-generic datetime=\"2024-01-01 00:00:00\">\n"
"<object class=\"Space\" package=\"com.atlassian.confluence.spaces\">"
"<id name=\"id\">10</id>"
"<property name=\"name\"><![CDATA[Docs & more]]></property>"
"<property name=\"key\"><![CDATA[DOC]]></property>"
"<property name=\"homePage\" class=\"Page\" package=\"com.atlassian.confluence.pages\"><id name=\"id\">100</id></property>"
"<property name=\"spaceType\"><![CDATA[global]]></property>"
"<property name=\"spaceStatus\" enum-class=\"SpaceStatus\" package=\"com.atlassian.confluence.spaces\">CURRENT</property>"
"</object>\n"
"<object class=\"Page\" package=\"com.atlassian.confluence.pages\">"
"<id name=\"id\">100</id>"
"<property name=\"title\"><![CDATA[Home ]] > page]]></property>"
"<property name=\"version\">3</property>"
"<property name=\"contentStatus\"><![CDATA[current]]></property>"
"<property name=\"originalVersionId\"/>"
"<property name=\"space\" class=\"Space\" package=\"com.atlassian.confluence.spaces\"><id name=\"id\">10</id></property>"
USER("k1")
"<property name=\"creationDate\">2020-01-01 10:00:00.000</property>"
"</object>\n"
"<object class=\"Page\" package=\"com.atlassian.confluence.pages\">"
"<id name=\"id\">101</id>"
"<property name=\"title\"><![CDATA[Home ]] > page]]></property>"
"<property name=\"version\">2</property>"
"<property name=\"contentStatus\"><![CDATA[current]]></property>"
"<property name=\"originalVersionId\">100</property>"
USER("k2")
"</object>\n"
"<object class=\"Page\" package=\"com.atlassian.confluence.pages\">"
"<id name=\"id\">102</id>"
"<property name=\"title\"><![CDATA[Child]]></property>"
"<property name=\"version\">1</property>"
"<property name=\"contentStatus\"><![CDATA[deleted]]></property>"
"<property name=\"parent\" class=\"Page\" package=\"com.atlassian.confluence.pages\"><id name=\"id\">100</id></property>"
"<property name=\"space\" class=\"Space\" package=\"com.atlassian.confluence.spaces\"><id name=\"id\">10</id></property>"
"</object>\n"
/* storage body of the live page: macros, both attribute orders, escaped form, urls */
"<object class=\"BodyContent\" package=\"com.atlassian.confluence.core\">"
"<id name=\"id\">200</id>"
"<property name=\"body\"><![CDATA["
"<ac:structured-macro ac:name=\"toc\" ac:schema-version=\"1\"/>"
"<p><ac:structured-macro ac:macro-id=\"x-1\" ac:name=\"info\"><ac:parameter ac:name=\"title\">t</ac:parameter>"
"<ac:rich-text-body><p>see <a href=\"https://old.example.com/display/DOC/X?a=1&amp;b=2\">x</a>"
" and <a href=\"/relative\">r</a></p></ac:rich-text-body></ac:structured-macro></p>"
"<ac:structured-macro ac:name='toc'></ac:structured-macro>"
"<ac:macro ac:name=\"code\"><ac:plain-text-body><![CDATA[a]] ></ac:plain-text-body></ac:macro>"
"<p>&lt;ac:structured-macro ac:name=&quot;jira&quot;&gt;</p>"
"<ac:link><ri:url ri:value=\"http://Old.Example.com:8090/x\"/></ac:link>"
"<ac:macro-id>not a macro</ac:macro-id><ac:macros ac:name=\"nope\"/>"
"]]></property>"
"<property name=\"content\" class=\"Page\" package=\"com.atlassian.confluence.pages\"><id name=\"id\">100</id></property>"
"<property name=\"bodyType\">2</property>"
"</object>\n"
"<object class=\"BodyContent\" package=\"com.atlassian.confluence.core\">"
"<id name=\"id\">201</id>"
"<property name=\"body\"><![CDATA[<ac:structured-macro ac:name=\"toc\"/>]]></property>"
"<property name=\"content\" class=\"Page\" package=\"com.atlassian.confluence.pages\"><id name=\"id\">101</id></property>"
"<property name=\"bodyType\">2</property>"
"</object>\n"
/* wiki body: no macro scan */
"<object class=\"BodyContent\" package=\"com.atlassian.confluence.core\">"
"<id name=\"id\">202</id>"
"<property name=\"body\"><![CDATA[{toc} <ac:structured-macro ac:name=\"x\"/>]]></property>"
"<property name=\"content\" class=\"Page\" package=\"com.atlassian.confluence.pages\"><id name=\"id\">102</id></property>"
"<property name=\"bodyType\">0</property>"
"</object>\n"
/* attachment, >= 5.9 shape, FILESIZE via the contentProperties collection */
"<object class=\"Attachment\" package=\"com.atlassian.confluence.pages\">"
"<id name=\"id\">300</id>"
"<property name=\"title\"><![CDATA[a.png]]></property>"
"<property name=\"version\">2</property>"
"<property name=\"contentStatus\"><![CDATA[current]]></property>"
"<property name=\"containerContent\" class=\"Page\" package=\"com.atlassian.confluence.pages\"><id name=\"id\">100</id></property>"
"<collection name=\"contentProperties\" class=\"java.util.Collection\">"
"<element class=\"ContentProperty\" package=\"com.atlassian.confluence.content\"><id name=\"id\">400</id></element>"
"</collection>"
"</object>\n"
"<object class=\"Attachment\" package=\"com.atlassian.confluence.pages\">"
"<id name=\"id\">301</id>"
"<property name=\"title\"><![CDATA[a.png]]></property>"
"<property name=\"version\">1</property>"
"<property name=\"contentStatus\"><![CDATA[current]]></property>"
"<property name=\"originalVersionId\">300</property>"
"<property name=\"containerContent\" class=\"Page\" package=\"com.atlassian.confluence.pages\"><id name=\"id\">100</id></property>"
"</object>\n"
"<object class=\"ContentProperty\" package=\"com.atlassian.confluence.content\">"
"<id name=\"id\">400</id>"
"<property name=\"name\"><![CDATA[FILESIZE]]></property>"
"<property name=\"longValue\">1234</property>"
"</object>\n"
"<object class=\"OutgoingLink\" package=\"com.atlassian.confluence.links\">"
"<id name=\"id\">500</id>"
"<property name=\"destinationPageTitle\"><![CDATA[//Old.example.com/x/AB]]></property>"
"<property name=\"destinationSpaceKey\"><![CDATA[https]]></property>"
"<property name=\"sourceContent\" class=\"Page\" package=\"com.atlassian.confluence.pages\"><id name=\"id\">100</id></property>"
"</object>\n"
"<object class=\"OutgoingLink\" package=\"com.atlassian.confluence.links\">"
"<id name=\"id\">501</id>"
"<property name=\"destinationPageTitle\"><![CDATA[Other page]]></property>"
"<property name=\"destinationSpaceKey\"><![CDATA[OTH]]></property>"
"<property name=\"sourceContent\" class=\"Page\" package=\"com.atlassian.confluence.pages\"><id name=\"id\">100</id></property>"
"</object>\n"
"<object class=\"Labelling\" package=\"com.atlassian.confluence.labels\">"
"<id name=\"id\">600</id>"
"<property name=\"label\" class=\"Label\" package=\"com.atlassian.confluence.labels\"><id name=\"id\">601</id></property>"
"<property name=\"content\" class=\"Page\" package=\"com.atlassian.confluence.pages\"><id name=\"id\">100</id></property>"
"</object>\n"
"<object class=\"Label\" package=\"com.atlassian.confluence.labels\">"
"<id name=\"id\">601</id>"
"<property name=\"name\"><![CDATA[howto]]></property>"
"<property name=\"namespace\"><![CDATA[global]]></property>"
"</object>\n"
"<object class=\"PageTemplate\" package=\"com.atlassian.confluence.pages.templates\">"
"<id name=\"id\">700</id>"
"<property name=\"name\"><![CDATA[Meeting notes]]></property>"
"<property name=\"content\"><![CDATA[<ac:structured-macro ac:name=\"info\"/>]]></property>"
"</object>\n"
"</hibernate-generic>\n";

/* 8.3+ writer (plain text, escaped), <= 5.4 attachment, FILESIZE by ref */
static const char doc_new[] =
"<hibernate-generic datetime=\"2024-01-01 00:00:00\">\n"
"    <object class=\"BodyContent\" package=\"com.atlassian.confluence.core\">\n"
"        <id name=\"id\">210</id>\n"
"        <property name=\"body\">&lt;ac:structured-macro ac:name=\"status\"/&gt;&lt;a href=\"https://ext.example.org/\"&gt;x&lt;/a&gt;</property>\n"
"        <property name=\"content\" class=\"BlogPost\" package=\"com.atlassian.confluence.pages\"><id name=\"id\">110</id></property>\n"
"        <property name=\"bodyType\">2</property>\n"
"    </object>\n"
"    <object class=\"BlogPost\" package=\"com.atlassian.confluence.pages\">\n"
"        <id name=\"id\">110</id>\n"
"        <property name=\"title\">News ]] x</property>\n"
"        <property name=\"version\">1</property>\n"
"        <property name=\"contentStatus\">draft</property>\n"
"        <property name=\"creatorName\">legacy</property>\n"
"    </object>\n"
"    <object class=\"Attachment\" package=\"com.atlassian.confluence.pages\">\n"
"        <id name=\"id\">310</id>\n"
"        <property name=\"fileName\">old.txt</property>\n"
"        <property name=\"attachmentVersion\">1</property>\n"
"        <property name=\"fileSize\">5</property>\n"
"        <property name=\"content\" class=\"BlogPost\" package=\"com.atlassian.confluence.pages\"><id name=\"id\">110</id></property>\n"
"    </object>\n"
"    <object class=\"Attachment\" package=\"com.atlassian.confluence.pages\">\n"
"        <id name=\"id\">311</id>\n"
"        <property name=\"title\">new.bin</property>\n"
"        <property name=\"version\">1</property>\n"
"        <property name=\"containerContent\" class=\"BlogPost\" package=\"com.atlassian.confluence.pages\"><id name=\"id\">110</id></property>\n"
"    </object>\n"
"    <object class=\"ContentProperty\" package=\"com.atlassian.confluence.content\">\n"
"        <id name=\"id\">410</id>\n"
"        <property name=\"name\">FILESIZE</property>\n"
"        <property name=\"longValue\">99</property>\n"
"        <property name=\"content\" class=\"Attachment\" package=\"com.atlassian.confluence.pages\"><id name=\"id\">311</id></property>\n"
"    </object>\n"
"</hibernate-generic>\n";

int
main(void)
{
	char path[] = "/tmp/test_inventory-XXXXXX";
	struct strbuf db = STRBUF_INIT;
	struct inventory *inv;
	sqlite3 *h;
	int fd;

	diag_setprog("test_inventory");
	fd = mkstemp(path);
	if (fd < 0)
		return 1;
	close(fd);
	unlink(path);
	sb_addf(&db, "%s.db", path);

	inv = inventory_open(db.buf);
	ok(access(db.buf, F_OK) != 0, "nothing at the final path before close");
	feed(inv, doc_legacy);
	feed(inv, doc_new);
	/* as extract reports them */
	inventory_user_ref(inv, REF_ENTITY_KEY, "k1", NULL, "Page", "100", "creator");
	inventory_user_ref(inv, REF_ENTITY_KEY, "k2", NULL, "Page", "101", "creator");
	inventory_user_ref(inv, REF_ENTITY_KEY, "k1", NULL, "Space", "10", "creator");
	inventory_user_ref(inv, REF_BODY_USERKEY, "k1", NULL, "BodyContent", "200", "body");
	inventory_user_ref(inv, REF_BODY_USERNAME, NULL, "Alice", "BodyContent", "200", "body");
	inventory_user_ref(inv, REF_ENTITY_NAME, NULL, "legacy", "BlogPost", "110", "creatorName");
	inventory_user_ref(inv, REF_BODY_ACCOUNTID, NULL, NULL, "BodyContent", "201", "body");
	inventory_member(inv, "entities.xml", 1000, 1);
	inventory_member(inv, "attachments/100/300/2", 1234, 0xdeadbeefu);
	inventory_member(inv, "attachments/110/310/1", 0, 0);
	inventory_member(inv, "attachments/110/311/1", 98, 7);
	inventory_member(inv, "attachments/999/1/1", 3, 8);
	inventory_fact(inv, "spaceKey", "DOC");
	inventory_user(inv, "k1", "alice", "a@example.com", 4, 1, 0);
	inventory_user(inv, "k2", "k2", NULL, 1, 1, 1);
	inventory_user(inv, NULL, "legacy", NULL, 1, 0, 0);
	inventory_finding(inv, "attachment-missing", NULL, 0,
	    "attachments/100/300/1", "missing");
	inventory_finding(inv, "control-characters", "entities.xml", 12, NULL,
	    "1 removed");
	inventory_close(inv);

	ok(access(db.buf, F_OK) == 0, "database renamed into place");
	if (sqlite3_open_v2(db.buf, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		ok(0, "cannot open %s", db.buf);
		return tap_done();
	}
	is_q(h, "SELECT id, key, name, type, status, homepage_id FROM spaces",
	    "10|DOC|Docs & more|global|CURRENT|100;", "spaces row");
	is_q(h, "SELECT id, class, title, status, version, space_id, parent_id,"
	    " original_id, creator_key, creator_name, live FROM content"
	    " WHERE class IN ('Page','BlogPost') ORDER BY id",
	    "100|Page|Home ]]> page|current|3|10|NULL|NULL|k1|alice|1;"
	    "101|Page|Home ]]> page|current|2|NULL|NULL|100|k2|k2|0;"
	    "102|Page|Child|deleted|1|10|100|NULL|NULL|NULL|0;"
	    "110|BlogPost|News ]] x|draft|1|NULL|NULL|NULL|NULL|legacy|0;",
	    "content: titles unescaped only for CDATA, status, version, live");
	is_q(h, "SELECT class, status, live, count(*) FROM content"
	    " GROUP BY class, status, live ORDER BY 1, 2, 3",
	    "Attachment|NULL|1|2;Attachment|current|0|1;"
	    "Attachment|current|1|1;BlogPost|draft|0|1;Page|current|0|1;"
	    "Page|current|1|1;Page|deleted|0|1;PageTemplate|NULL|1|1;",
	    "pages by status");
	is_q(h, "SELECT id, content_id, body_type, bytes, content_class FROM bodies"
	    " ORDER BY id",
	    "200|100|2|672|Page;201|101|2|36|Page;202|102|0|40|Page;"
	    "210|110|2|79|BlogPost;700|700|2|37|PageTemplate;",
	    "bodies by type, decoded length");
	is_q(h, "SELECT content_id, body_id, name, n FROM macros"
	    " ORDER BY body_id, name",
	    "100|200|code|1;100|200|info|1;100|200|toc|2;"
	    "101|201|toc|1;110|210|status|1;700|700|info|1;",
	    "macros per body: both tags, attribute order, quotes, escaped "
	    "body (210); markup shown as text in a CDATA body is no macro");
	is_q(h, "SELECT name, uses, pages, live_pages FROM macro_usage ORDER BY name",
	    "code|1|1|1;info|2|2|2;status|1|1|0;toc|3|2|1;",
	    "macro_usage view");
	is_q(h, "SELECT id, container_id, file_id, name, version, size, path"
	    " FROM attachments ORDER BY id",
	    "300|100|300|a.png|2|1234|attachments/100/300/2;"
	    "301|100|300|a.png|1|NULL|attachments/100/300/1;"
	    "310|110|310|old.txt|1|5|attachments/110/310/1;"
	    "311|110|311|new.bin|1|99|attachments/110/311/1;",
	    "attachments: path, versions, size from fileSize and FILESIZE");
	is_q(h, "SELECT id, state, file_size, crc FROM attachment_files ORDER BY id",
	    "300|ok|1234|3735928559;301|missing|NULL|NULL;310|empty|0|0;"
	    "311|size-mismatch|98|7;",
	    "attachment_files: missing / empty / mismatch");
	is_q(h, "SELECT name FROM orphan_files", "attachments/999/1/1;",
	    "orphan_files");
	is_q(h, "SELECT user_key, username, kind, n FROM user_ref_counts"
	    " ORDER BY user_key, kind",
	    "NULL|NULL|body-accountid|1;NULL|legacy|entity-name|1;"
	    "k1|alice|body-userkey|1;k1|alice|body-username|1;"
	    "k1|alice|entity-key|2;k2|k2|entity-key|1;",
	    "user_ref_counts: resolved both ways, case-insensitive names");
	is_q(h, "SELECT u.username, sum(c.n) FROM users u JOIN user_ref_counts c"
	    " ON c.user_key = u.key GROUP BY u.key ORDER BY 2 DESC",
	    "alice|4;k2|1;", "which users are referenced and how often");
	is_q(h, "SELECT key, username, email, refs, object, deleted FROM users"
	    " ORDER BY username",
	    "k1|alice|a@example.com|4|1|0;k2|k2|NULL|1|1|1;NULL|legacy|NULL|1|0|0;",
	    "users rows");
	is_q(h, "SELECT source_id, source_class, kind, target_space, target_title,"
	    " url, host FROM links ORDER BY kind, url",
	    "100|Page|external|https|//Old.example.com/x/AB|https://Old.example.com/x/AB|old.example.com;"
	    "100|Page|page|OTH|Other page|NULL|NULL;"
	    "100|Page|url-in-body|NULL|NULL|http://Old.Example.com:8090/x|old.example.com:8090;"
	    "110|BlogPost|url-in-body|NULL|NULL|https://ext.example.org/|ext.example.org;"
	    "100|Page|url-in-body|NULL|NULL|https://old.example.com/display/DOC/X?a=1&b=2|old.example.com;",
	    "links: OutgoingLink split URLs, body href/ri:value decoded");
	is_q(h, "SELECT count(*) FROM links WHERE host LIKE 'old.example.com%'",
	    "3;", "links to the old server");
	is_q(h, "SELECT content_id, label, namespace FROM labels",
	    "100|howto|global;", "labels view (label defined after use)");
	is_q(h, "SELECT code, file, line, subject FROM findings ORDER BY code",
	    "attachment-missing|NULL|NULL|attachments/100/300/1;"
	    "control-characters|entities.xml|12|NULL;", "findings");
	is_q(h, "SELECT key, value FROM meta ORDER BY key",
	    "inventory.objects|20;inventory.schema_version|1;spaceKey|DOC;",
	    "meta facts and counts");
	is_q(h, "SELECT class, n FROM classes WHERE class IN ('Page','BodyContent')"
	    " ORDER BY class", "BodyContent|4;Page|3;", "object counts by class");
	is_q(h, "SELECT count(*) FROM sqlite_master WHERE type = 'index'"
	    " AND name = 'members_name'", "1;", "indexes created");
	is_q(h, "SELECT count(*) FROM sqlite_master WHERE name LIKE '\\_%' ESCAPE '\\'",
	    "0;", "helper tables dropped");
	sqlite3_close(h);
	unlink(db.buf);
	sb_free(&db);
	return tap_done();
}
