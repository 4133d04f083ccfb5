/*
 * test_linkindex.c - resolution of link targets by id, title, posting day
 * and attachment name, in the package and in a site index.  The site
 * index here is a database with the inventory's tables (docs/inventory.md);
 * tests/links.t uses real ones made by spaceport-extract --inventory.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "diag.h"
#include "tap.h"
#include "linkindex.h"

static char dbpath[] = "/tmp/test_linkindex.XXXXXX";

static void
make_site(void)
{
	sqlite3 *h;
	int fd = mkstemp(dbpath);

	if (fd < 0 || sqlite3_open(dbpath, &h) != SQLITE_OK ||
	    sqlite3_exec(h,
	    "CREATE TABLE spaces(id TEXT, key TEXT, name TEXT, type TEXT,"
	    " status TEXT, homepage_id TEXT, description_id TEXT);"
	    "CREATE TABLE content(id TEXT, class TEXT, title TEXT, status TEXT,"
	    " version INTEGER, space_id TEXT, parent_id TEXT, original_id TEXT,"
	    " container_id TEXT, creator_key TEXT, creator_name TEXT,"
	    " created TEXT, modified TEXT, live INTEGER);"
	    "CREATE TABLE attachments(id TEXT, container_id TEXT, file_id TEXT,"
	    " name TEXT, version INTEGER, size INTEGER, status TEXT, path TEXT);"
	    "INSERT INTO spaces VALUES('900','OPS','Ops','global','CURRENT',"
	    " '901',NULL);"
	    "INSERT INTO content VALUES('901','Page','Ops Home','current',1,"
	    " '900',NULL,NULL,NULL,NULL,NULL,'2020-01-01 00:00:00',NULL,1);"
	    "INSERT INTO content VALUES('902','Page','Pager Duty','current',3,"
	    " '900','901',NULL,NULL,NULL,NULL,'2020-01-02 00:00:00',NULL,1);"
	    "INSERT INTO content VALUES('x9','Page','Bad id','current',1,"
	    " '900',NULL,NULL,NULL,NULL,NULL,NULL,NULL,1);"
	    "INSERT INTO content VALUES('903','Attachment','a.png','current',1,"
	    " NULL,NULL,NULL,'902',NULL,NULL,NULL,NULL,1);"
	    "INSERT INTO attachments VALUES('903','902','903','a.png',1,10,"
	    " 'current','attachments/902/903/1');"
	    "INSERT INTO content VALUES('100','Page','Theirs','current',1,"
	    " '900',NULL,NULL,NULL,NULL,NULL,NULL,NULL,1);",
	    NULL, NULL, NULL) != SQLITE_OK) {
		printf("Bail out! cannot make the site index\n");
		exit(1);
	}
	sqlite3_close(h);
	close(fd);
}

static const char *
show(int found, const struct link_target *t)
{
	static char buf[512];

	if (!found)
		return "-";
	snprintf(buf, sizeof(buf), "%s %s/%s%s%s%s", t->blog ? "blog" : "page",
	    t->space_key, t->title, t->posting_day ? " @" : "",
	    t->posting_day ? t->posting_day : "", t->source ? " (site)" : "");
	return buf;
}

int
main(void)
{
	struct linkidx *li;
	struct link_target t;
	const char *src;

	diag_setprog("test_linkindex");
	make_site();
	li = linkidx_open();
	linkidx_space(li, "10", "ENG");
	linkidx_content(li, "100", "Page", "10", "Runbook", "2021-05-06 07:08:09.0", NULL, 1);
	linkidx_content(li, "101", "Page", "10", "Runbook", "2021-05-06 07:08:09.0", "100", 0);
	linkidx_content(li, "102", "BlogPost", "10", "Leap Day", "2024-02-29 10:00:00", NULL, 1);
	linkidx_content(li, "103", "Page", "10", "Case Test", NULL, NULL, 1);
	linkidx_content(li, "104", "Page", "10", "Dup", NULL, NULL, 1);
	linkidx_content(li, "105", "Page", "10", "DUP", NULL, NULL, 1);
	linkidx_content(li, "106", "Comment", "10", "Re: x", NULL, NULL, 1);
	linkidx_content(li, "107", "Page", "10", "Gone", NULL, NULL, 0);
	linkidx_attachment(li, "100", "diagram.png", 1);
	linkidx_attachment(li, "100", "old.png", 0);

	is_str(show(linkidx_by_id(li, 100, &t), &t), "page ENG/Runbook", "page by id");
	is_str(show(linkidx_by_id(li, 101, &t), &t), "page ENG/Runbook",
	    "historical version resolves to the current page");
	is_str(show(linkidx_by_id(li, 102, &t), &t), "blog ENG/Leap Day @2024/02/29",
	    "blog post by id, posting day from creationDate");
	is_str(show(linkidx_by_id(li, 106, &t), &t), "-", "a comment does not resolve");
	is_str(show(linkidx_by_id(li, 107, &t), &t), "-", "a deleted page does not resolve");
	is_str(show(linkidx_by_id(li, 999, &t), &t), "-", "unknown id");
	is_str(show(linkidx_by_title(li, "eng", "Runbook", &t), &t),
	    "page ENG/Runbook", "title, space key case-insensitive");
	is_str(show(linkidx_by_title(li, "ENG", "case test", &t), &t),
	    "page ENG/Case Test", "title case-insensitive when unique");
	is_str(show(linkidx_by_title(li, "ENG", "Dup", &t), &t), "page ENG/Dup",
	    "exact title wins");
	is_str(show(linkidx_by_title(li, "ENG", "dup", &t), &t), "-",
	    "ambiguous case-insensitive title does not resolve");
	is_str(show(linkidx_blog(li, "ENG", "Leap Day", "2024/02/29", &t), &t),
	    "blog ENG/Leap Day @2024/02/29", "blog by key, title, day");
	is_str(show(linkidx_blog(li, "ENG", "Leap Day", "2024/03/01", &t), &t),
	    "-", "blog with the wrong day");
	ok(linkidx_has_attachment(li, 100, "diagram.png"), "attachment found");
	ok(!linkidx_has_attachment(li, 100, "old.png"), "deleted attachment not");
	ok(!linkidx_has_attachment(li, 100, "Diagram.png"),
	    "attachment names compare exactly");

	ok(linkidx_add_site(li, dbpath) == 0, "site index added");
	is_str(show(linkidx_by_id(li, 902, &t), &t), "page OPS/Pager Duty (site)",
	    "page of another space by id");
	is_str(show(linkidx_by_title(li, "OPS", "pager duty", &t), &t),
	    "page OPS/Pager Duty (site)", "page of another space by title");
	is_str(show(linkidx_by_id(li, 100, &t), &t), "page ENG/Runbook",
	    "an id in both keeps the package's own row");
	ok(linkidx_has_attachment(li, 902, "a.png"), "attachment of another space");
	is_str(linkidx_space_key(li, "ops", &src), "OPS", "space key canonical case");
	ok(src != NULL && strcmp(src, dbpath) == 0, "space source is the index");
	ok(linkidx_space_key(li, "NOPE", NULL) == NULL, "unknown space");
	{
		char bad[] = "/tmp/test_linkindex.bad.XXXXXX";
		int fd = mkstemp(bad);

		ok(fd >= 0 && write(fd, "not sqlite", 10) == 10 &&
		    linkidx_add_site(li, bad) == -1,
		    "a file that is not an inventory is refused");
		close(fd);
		unlink(bad);
	}
	linkidx_close(li);
	unlink(dbpath);
	return tap_done();
}
