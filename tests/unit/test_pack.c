/*
 * test_pack.c - unit tests for spaceport-pack's pieces (the files under pack/):
 * space-key validation and the space-key rule, the descriptor, the first-gap
 * prolog rule, collection rebuilding from relations.tsv, and the zip
 * writer: reproducibility (same bytes whatever TZ; readable by zipin),
 * the store rule, mixed stored/deflated members, the manifest CRC check,
 * and forced zip64 structures checked by Python's zipfile (plus
 * fixtures/pack/zipwalk.py, record by record) and unzip -t.
 * Prints TAP.
 */
#include <sys/wait.h>

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "body.h"
#include "diag.h"
#include "spacekey.h"
#include "tap.h"
#include "entities.h"
#include "io.h"
#include "props.h"
#include "strbuf.h"
#include "zipin.h"
#include "pack.h"


/* Run the space-key rule (OLD -> NEW) over raw body bytes. */
static size_t
sk_run(const char *raw, size_t len, enum body_outer outer, struct strbuf *out)
{
	struct spacekey_ctx c = { "OLD", "NEW", 0 };
	const struct body_rules row = { &spacekey_rule, &c };
	struct body *b = body_new();

	body_load_raw(b, raw, len, outer, BODY_STORAGE, 0, 1);
	body_run(b, &row, 1);
	body_apply(b, out);
	body_free(b);
	return c.renamed;
}

static void
test_space_key(void)
{
	struct strbuf sb = STRBUF_INIT;
	size_t n;
	/* A CDATA body: escaped markup inside it is text, not a reference. */
	const char *body =
	    "<ac:link><ri:page ri:space-key=\"OLD\" ri:content-title=\"x\"/></ac:link>"
	    "<ri:space ri:space-key='old'/><ri:page ri:space-key=\"OLDER\"/>"
	    "<x data-ri:space-key=\"OLD\"/>&lt;ri:space ri:space-key=&quot;OLD&quot;/&gt;"
	    "<ri:page ri:space-key = \"OLD\"/>";
	/* The same references as escaped element text (8.3+ writer). */
	const char *esc =
	    "&lt;ri:space ri:space-key=&quot;OLD&quot;/&gt;"
	    "&lt;ri:page ri:space-key=\"old\" ri:content-title=\"a&amp;amp;b\"/&gt;"
	    "&lt;p&gt;ri:space-key=&quot;OLD&quot;&lt;/p&gt;";

	ok(pack_space_key_invalid("NEW2") == NULL, "NEW2 is a valid key");
	ok(pack_space_key_invalid("~bob") != NULL, "~bob refused");
	ok(pack_space_key_invalid("A-B") != NULL, "A-B refused");
	ok(pack_space_key_invalid("") != NULL, "empty refused");
	ok(pack_space_key_invalid("ÄB") != NULL, "non-ASCII refused");

	n = sk_run(body, strlen(body), BODY_OUTER_CDATA, &sb);
	ok(n == 3, "three ri:space-key references rewritten (got %zu)", n);
	is_str(sb_str(&sb),
	    "<ac:link><ri:page ri:space-key=\"NEW\" ri:content-title=\"x\"/></ac:link>"
	    "<ri:space ri:space-key='NEW'/><ri:page ri:space-key=\"OLDER\"/>"
	    "<x data-ri:space-key=\"OLD\"/>&lt;ri:space ri:space-key=&quot;OLD&quot;/&gt;"
	    "<ri:page ri:space-key = \"NEW\"/>",
	    "only the attribute values change, byte for byte");
	sb_reset(&sb);
	n = sk_run(esc, strlen(esc), BODY_OUTER_TEXT, &sb);
	ok(n == 2, "escaped text: two references rewritten (got %zu)", n);
	is_str(sb_str(&sb),
	    "&lt;ri:space ri:space-key=&quot;NEW&quot;/&gt;"
	    "&lt;ri:page ri:space-key=\"NEW\" ri:content-title=\"a&amp;amp;b\"/&gt;"
	    "&lt;p&gt;ri:space-key=&quot;OLD&quot;&lt;/p&gt;",
	    "escaped text: quotes kept, text that looks like one untouched");
	sb_reset(&sb);
	n = sk_run("ri:space-key=\"OL", 16, BODY_OUTER_CDATA, &sb);
	ok(n == 0 && sb.len == 16, "truncated attribute left alone");
	sb_free(&sb);
}

static void
test_descriptor(void)
{
	struct props src;
	struct strbuf sb = STRBUF_INIT;
	struct pack_desc_in di;
	const char *in =
	    "#Thu Feb 26 16:08:00 CST 2015\n"
	    "buildNumber=4517\n"
	    "ao.data.version.com.atlassian.mywork.mywork-confluence-host-plugin=2.0.3\n"
	    "ao.data.version.min.com.atlassian.confluence.plugins.confluence-space-ia=5.0\n"
	    "exportType=space\ncreatedByBuildNumber=5510\nspaceKey=JETTY\n"
	    "backupAttachments=true\ndefaultUsersGroup=confluence-users\n"
	    "ao.data.list=com.atlassian.confluence.plugins.confluence-space-ia, com.atlassian.mywork.mywork-confluence-host-plugin\n"
	    "ao.data.version.min.com.atlassian.mywork.mywork-confluence-host-plugin=1.1.30\n"
	    "ao.data.version.com.atlassian.confluence.plugins.confluence-space-ia=7.0.1\n"
	    "ao.data.version.com.example.other=9\n"
	    "supportEntitlementNumber=SEN-1\n";

	memset(&src, 0, sizeof(src));
	ok(props_parse(&src, in, strlen(in), "d") == 0, "parse a 5.x descriptor");
	memset(&di, 0, sizeof(di));
	di.src = &src;
	di.space_key = "NEWKEY";
	di.tasks_csv = 0;
	pack_descriptor(&di, &sb);
	is_str(sb_str(&sb),
	    "#Thu Feb 26 16:08:00 CST 2015\n"
	    "ao.data.version.min.com.atlassian.mywork.mywork-confluence-host-plugin=1.1.30\n"
	    "ao.data.version.com.atlassian.mywork.mywork-confluence-host-plugin=2.0.3\n"
	    "createdByVersionNumber=1000.0.0-d11bb6fdc5c8\n"
	    "source=cloud\n"
	    "buildNumber=4515\n"
	    "ao.data.list=com.atlassian.confluence.plugins.confluence-space-ia, com.atlassian.mywork.mywork-confluence-host-plugin\n"
	    "spaceKey=NEWKEY\n"
	    "ao.data.version.min.com.atlassian.confluence.plugins.confluence-space-ia=5.0\n"
	    "defaultUsersGroup=confluence-users\n"
	    "ao.data.version.com.atlassian.confluence.plugins.confluence-space-ia=7.0.1\n"
	    "exportType=space\n"
	    "createdByBuildNumber=8703\n"
	    "timezoneId=UTC\n"
	    "backupAttachments=true\n"
	    "ao.data.version.com.example.other=9\n",
	    "Cloud-shaped descriptor from a 5.x one, in Cloud's key order");
	props_free(&src);

	sb_reset(&sb);
	memset(&di, 0, sizeof(di));
	di.datetime = "2024-04-3 09:03:14";
	di.tasks_csv = 1;
	pack_descriptor(&di, &sb);
	is_str(sb_str(&sb),
	    "#Wed Apr 03 09:03:14 UTC 2024\n"
	    "createdByVersionNumber=1000.0.0-d11bb6fdc5c8\n"
	    "source=cloud\nbuildNumber=4515\n"
	    "defaultUsersGroup=confluence-users\nexportType=space\n"
	    "createdByBuildNumber=8703\ntimezoneId=UTC\n"
	    "inlineTasksFileIncluded=true\nbackupAttachments=true\n",
	    "no descriptor: date from the root datetime, defaults");
	sb_reset(&sb);
	memset(&di, 0, sizeof(di));
	pack_descriptor(&di, &sb);
	ok(strncmp(sb_str(&sb), "#Sat Jan 01 00:00:00 UTC 2000\n", 30) == 0,
	    "no date anywhere: the fixed date, never the clock");
	sb_free(&sb);
}

static void
test_first_gap(void)
{
	struct strbuf sb = STRBUF_INIT;
	struct pack_stats st;
	const char *g1 = "<hibernate-generic datetime=\"2024-04-23 09:03:14\">\n";
	const char *g2 = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<hibernate-generic datetime=\"'2025-03-07 20:18:37.247'\">\n";

	memset(&st, 0, sizeof(st));
	pack_first_gap(g1, strlen(g1), &sb, &st);
	ok(st.prolog_added, "prolog added when missing");
	ok(strncmp(sb_str(&sb), PACK_PROLOG, strlen(PACK_PROLOG)) == 0 &&
	    strcmp(sb_str(&sb) + strlen(PACK_PROLOG), g1) == 0,
	    "prolog then the original bytes");
	is_str(st.datetime, "2024-04-23 09:03:14", "datetime recorded");
	free(st.datetime);
	memset(&st, 0, sizeof(st));
	sb_reset(&sb);
	pack_first_gap(g2, strlen(g2), &sb, &st);
	ok(!st.prolog_added && strcmp(sb_str(&sb), g2) == 0,
	    "existing prolog kept as is");
	is_str(st.datetime, "2025-03-07 20:18:37.247", "quoted datetime unquoted");
	free(st.datetime);
	sb_free(&sb);
}

static void
test_collections(void)
{
	const char *rel =
	    "parent_class\tparent_id\tcollection\tchild_class\tchild_id\n"
	    "Page\t10\tbodyContents\tBodyContent\t11\n"
	    "Page\t10\tchildren\tPage\t20\n"
	    "Page\t10\tchildren\tPage\t30\n"
	    "Page\t10\tcontentProperties\tContentProperty\t12\n"
	    "Page\t10\tlabellings\tMysteryClass\t13\n"
	    "Space\t1\tpermissions\tSpacePermission\t5\n";
	const char *xml =
	    "<hibernate-generic datetime=\"2024-04-23 09:03:14\">\n"
	    "<object class=\"Space\" package=\"com.atlassian.confluence.spaces\">\n"
	    "    <id name=\"id\">1</id>\n"
	    "    <property name=\"key\">HT</property>\n"
	    "    <property name=\"lowerKey\">ht</property>\n"
	    "</object>\n\n"
	    "<object class=\"Page\" package=\"com.atlassian.confluence.pages\">\n"
	    "    <id name=\"id\">10</id>\n"
	    "    <property name=\"title\">Home</property>\n"
	    "    <collection name=\"contentProperties\" class=\"java.util.Collection\">"
	    "<element class=\"ContentProperty\" package=\"com.atlassian.confluence.content\"><id name=\"id\">12</id></element></collection>\n"
	    "</object>\n\n"
	    "<object class=\"BodyContent\" package=\"com.atlassian.confluence.core\">\n"
	    "    <id name=\"id\">11</id>\n"
	    "    <property name=\"body\"><![CDATA[<ri:space ri:space-key=\"HT\"/>]]></property>\n"
	    "    <property name=\"bodyType\">2</property>\n"
	    "    <property name=\"content\" class=\"Page\" package=\"com.atlassian.confluence.pages\"><id name=\"id\">10</id></property>\n"
	    "</object>\n\n"
	    "<object class=\"ConfluenceBandanaRecord\" package=\"com.atlassian.confluence.setup.bandana\">\n"
	    "    <id name=\"id\">7</id>\n"
	    "    <property name=\"context\">HT</property>\n"
	    "</object>\n"
	    "</hibernate-generic>\n";
	const char *want =
	    PACK_PROLOG
	    "<hibernate-generic datetime=\"2024-04-23 09:03:14\">\n"
	    "<object class=\"Space\" package=\"com.atlassian.confluence.spaces\">\n"
	    "    <id name=\"id\">1</id>\n"
	    "    <property name=\"key\">NK</property>\n"
	    "    <property name=\"lowerKey\">nk</property>\n"
	    "<collection name=\"permissions\" class=\"java.util.Collection\">"
	    "<element class=\"SpacePermission\" package=\"com.atlassian.confluence.security\"><id name=\"id\">5</id>\n</element>\n"
	    "</collection>\n"
	    "</object>\n\n"
	    "<object class=\"Page\" package=\"com.atlassian.confluence.pages\">\n"
	    "    <id name=\"id\">10</id>\n"
	    "    <property name=\"title\">Home</property>\n"
	    "    <collection name=\"contentProperties\" class=\"java.util.Collection\">"
	    "<element class=\"ContentProperty\" package=\"com.atlassian.confluence.content\"><id name=\"id\">12</id></element></collection>\n"
	    "<collection name=\"bodyContents\" class=\"java.util.Collection\">"
	    "<element class=\"BodyContent\" package=\"com.atlassian.confluence.core\"><id name=\"id\">11</id>\n</element>\n"
	    "</collection>\n"
	    "<collection name=\"children\" class=\"java.util.Collection\">"
	    "<element class=\"Page\" package=\"com.atlassian.confluence.pages\"><id name=\"id\">20</id>\n</element>\n"
	    "<element class=\"Page\" package=\"com.atlassian.confluence.pages\"><id name=\"id\">30</id>\n</element>\n"
	    "</collection>\n"
	    "<collection name=\"labellings\" class=\"java.util.Collection\"></collection>\n"
	    "</object>\n\n"
	    "<object class=\"BodyContent\" package=\"com.atlassian.confluence.core\">\n"
	    "    <id name=\"id\">11</id>\n"
	    "    <property name=\"body\"><![CDATA[<ri:space ri:space-key=\"NK\"/>]]></property>\n"
	    "    <property name=\"bodyType\">2</property>\n"
	    "    <property name=\"content\" class=\"Page\" package=\"com.atlassian.confluence.pages\"><id name=\"id\">10</id></property>\n"
	    "</object>\n\n"
	    "<object class=\"ConfluenceBandanaRecord\" package=\"com.atlassian.confluence.setup.bandana\">\n"
	    "    <id name=\"id\">7</id>\n"
	    "    <property name=\"context\">NK</property>\n"
	    "</object>\n"
	    "</hibernate-generic>\n";
	struct pack_stats st;
	struct pack_ent e;
	struct tap_src s = { xml, strlen(xml), 0, 7 };
	struct strbuf out = STRBUF_INIT;

	memset(&st, 0, sizeof(st));
	memset(&e, 0, sizeof(e));
	e.st = &st;
	e.rel = pack_rel_load_buf(rel, strlen(rel), "relations.tsv", &st);
	ok(st.rel_rows == 6, "six relations loaded");
	e.old_key = "HT";
	e.new_key = "NK";
	pack_entities(&e, tap_src_read, &s, "entities.xml", tap_sb_write, &out);
	is_str(sb_str(&out), want,
	    "collections appended before </object>, existing kept, keys renamed");
	ok(st.rel_added == 4 && st.rel_present == 1 && st.rel_unknown == 1,
	    "counts: 4 added, 1 already present, 1 unknown class");
	ok(st.sk[SK_SPACE_KEY] == 1 && st.sk[SK_SPACE_LOWERKEY] == 1 &&
	    st.sk[SK_BANDANA_CONTEXT] == 1 && st.sk[SK_BODY_REF] == 1,
	    "space key changes counted");
	ok(st.objects == 4 && st.spaces == 1, "objects counted");
	pack_rel_free(e.rel);
	free(st.datetime);
	free(st.space_key_seen);
	sb_free(&out);
}

/* Writes a small zip to fd. */
static void
write_zip(int fd)
{
	struct pack_zip *z = pack_zip_open(fd, "test");
	static const char a[] = "hello, world\n";
	char big[100000];
	size_t i;

	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7 % 251);
	pack_zip_begin(z, "exportDescriptor.properties", sizeof(a) - 1, PACK_CRC_UNKNOWN);
	pack_zip_write(z, a, sizeof(a) - 1);
	pack_zip_end(z);
	pack_zip_begin(z, "attachments/1/2/1", sizeof(big), PACK_CRC_UNKNOWN);
	pack_zip_write(z, big, 5000);
	pack_zip_write(z, big + 5000, sizeof(big) - 5000);
	pack_zip_end(z);
	pack_zip_begin(z, "empty", 0, PACK_CRC_UNKNOWN);
	pack_zip_end(z);
	pack_zip_close(z);
	pack_zip_free(z);
}

static char *
slurp_fd(int fd, size_t *len)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[4096];
	ssize_t n;

	lseek(fd, 0, SEEK_SET);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		sb_add(&sb, buf, (size_t)n);
	*len = sb.len;
	return sb_detach(&sb);
}

static void
test_zip(void)
{
	char p1[] = "/tmp/test_pack_zip1.XXXXXX", p2[] = "/tmp/test_pack_zip2.XXXXXX";
	int f1 = mkstemp(p1), f2 = mkstemp(p2);
	char *b1, *b2;
	size_t l1, l2;
	struct zipin *zi;
	const struct zipin_entry *ze;
	size_t n;

	setenv("TZ", "Pacific/Chatham", 1);
	tzset();
	write_zip(f1);
	setenv("TZ", "America/Los_Angeles", 1);
	tzset();
	write_zip(f2);
	b1 = slurp_fd(f1, &l1);
	b2 = slurp_fd(f2, &l2);
	ok(l1 == l2 && memcmp(b1, b2, l1) == 0, "same bytes whatever TZ was");
	/* DOS time of 2000-01-01 00:00:00: date 0x2821, time 0 at offset 10 */
	ok(l1 > 14 && (unsigned char)b1[10] == 0 && (unsigned char)b1[11] == 0 &&
	    (unsigned char)b1[12] == 0x21 && (unsigned char)b1[13] == 0x28,
	    "DOS mtime is 2000-01-01 00:00:00");
	{ struct zipin_limits lim; zipin_default_limits(&lim); zi = zipin_open(p1, &lim); }
	n = zipin_entries(zi, &ze);
	ok(n == 3 && strcmp(ze[0].name, "attachments/1/2/1") == 0 &&
	    ze[0].size == 100000 && strcmp(ze[2].name,
	    "exportDescriptor.properties") == 0 && ze[2].size == 13,
	    "zipin reads it back (names, sizes)");
	zipin_close(zi);
	free(b1);
	free(b2);
	close(f1);
	close(f2);
	unlink(p1);
	unlink(p2);
}

/* Pseudo-random bytes (incompressible), deterministic. */
static void
noise(unsigned char *b, size_t n, uint32_t seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		b[i] = (unsigned char)(seed >> 16);
	}
}

/* One member: begin (CRC given or not), write in two pieces, end. */
static void
put(struct pack_zip *z, const char *name, const void *p, size_t n, int give_crc)
{
	pack_zip_begin(z, name, n, give_crc ? (int64_t)io_crc32(0, p, n) :
	    PACK_CRC_UNKNOWN);
	pack_zip_write(z, p, n / 3);
	pack_zip_write(z, (const char *)p + n / 3, n - n / 3);
	pack_zip_end(z);
}

/* The mixed archive of test_zip_mixed and test_zip64 into path. */
static void
write_mixed(const char *path)
{
	static unsigned char rnd[200000], txt[150000];
	static const char d[] = "exportDescriptor.properties body\n";
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	struct pack_zip *z;
	size_t i;

	noise(rnd, sizeof(rnd), 42);
	for (i = 0; i < sizeof(txt); i++)
		txt[i] = "lorem ipsum dolor sit amet, "[i % 28];
	z = pack_zip_open(fd, path);
	put(z, "exportDescriptor.properties", d, sizeof(d) - 1, 1);
	put(z, "entities.xml", txt, 1000, 1);		/* always deflated */
	put(z, "attachments/1/media", rnd, sizeof(rnd), 1);	/* stored */
	put(z, "attachments/1/text", txt, sizeof(txt), 1);	/* deflated */
	put(z, "attachments/1/small-media-no-crc", rnd, 3000, 0); /* stored */
	put(z, "attachments/1/big-media-no-crc", rnd, sizeof(rnd), 0); /* deflated */
	put(z, "attachments/2/caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac.png", rnd + 7,
	    70000, 1);
	put(z, "attachments/2/empty", rnd, 0, 1);
	pack_zip_close(z);
	pack_zip_free(z);
	if (close(fd) != 0)
		perror(path);
}

/* Runs cmd, returns its output (caller frees) and status in *rc. */
static char *
run(const char *cmd, int *rc)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[4096];
	size_t n;
	FILE *f = popen(cmd, "r");

	if (f == NULL) {
		*rc = -1;
		return xstrdup("");
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_add(&sb, buf, n);
	*rc = pclose(f);
	sb_addc(&sb, '\0');
	return sb_detach(&sb);
}

static const char mixed_expect[] =
"exportDescriptor.properties defl desc - - -\n"
"entities.xml defl desc - - -\n"
"attachments/1/media stor nodesc - - -\n"
"attachments/1/text defl desc - - -\n"
"attachments/1/small-media-no-crc stor nodesc - - -\n"
"attachments/1/big-media-no-crc defl desc - - -\n"
"attachments/2/caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac.png stor nodesc - - utf8\n"
"attachments/2/empty stor nodesc - - -\n"
"eocd64 no\n"
"entries 8\n";
/* limits 100 bytes / 4 entries: the descriptor (first, 31 bytes) and the
 * empty member need no local zip64 field; every offset but the first is
 * >= 100, so every other central header has one. */
static const char z64_expect[] =
"exportDescriptor.properties defl desc - - -\n"
"entities.xml defl desc local64 central64 -\n"
"attachments/1/media stor nodesc local64 central64 -\n"
"attachments/1/text defl desc local64 central64 -\n"
"attachments/1/small-media-no-crc stor nodesc local64 central64 -\n"
"attachments/1/big-media-no-crc defl desc local64 central64 -\n"
"attachments/2/caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac.png stor nodesc local64 central64 utf8\n"
"attachments/2/empty stor nodesc - central64 -\n"
"eocd64 yes\n"
"entries 8\n";

static void
check_mixed(const char *what, const char *path, const char *want)
{
	char cmd[512], *o;
	int rc;

	if (access("fixtures/pack/zipwalk.py", R_OK) != 0 ||
	    system("python3 -c '' 2>/dev/null") != 0) {
		tap_skip("%s: python3 or fixtures/pack not here", what);
	} else {
		snprintf(cmd, sizeof(cmd), "python3 fixtures/pack/zipwalk.py "
		    "'%s'", path);
		o = run(cmd, &rc);
		ok(rc == 0 && strcmp(o, want) == 0, "%s: Python zipfile "
		    "testzip and zipwalk.py: methods, descriptors, zip64 as "
		    "expected", what);
		if (rc != 0 || strcmp(o, want) != 0)
			fprintf(stderr, "# got:\n%s# want:\n%s", o, want);
		free(o);
	}
	if (system("unzip -v >/dev/null 2>&1") != 0) {
		tap_skip("unzip not installed");
		return;
	}
	snprintf(cmd, sizeof(cmd), "unzip -tq '%s' 2>&1", path);
	o = run(cmd, &rc);
	ok(rc == 0, "%s: unzip -t", what);
	if (rc != 0)
		fprintf(stderr, "# %s", o);
	free(o);
}

static void
test_zip_mixed(void)
{
	char p[] = "/tmp/test_pack_mixed.XXXXXX";
	int fd = mkstemp(p);
	unsigned char h[65536];

	close(fd);
	noise(h, sizeof(h), 7);
	ok(pack_zip_store("attachments/x", h, sizeof(h)) == 1,
	    "store rule: incompressible 64 KiB -> stored");
	ok(pack_zip_store("entities.xml", h, sizeof(h)) == 0 &&
	    pack_zip_store("exportDescriptor.properties", h, 10) == 0,
	    "store rule: entities.xml and the descriptor always deflated");
	memset(h, 'a', sizeof(h));
	ok(pack_zip_store("attachments/x", h, sizeof(h)) == 0,
	    "store rule: compressible -> deflated");
	ok(pack_zip_store("attachments/x", h, 0) == 1,
	    "store rule: empty -> stored");
	write_mixed(p);
	check_mixed("mixed", p, mixed_expect);
	unlink(p);
}

static void
test_zip64(void)
{
	char p[] = "/tmp/test_pack_z64.XXXXXX";
	int fd = mkstemp(p);

	close(fd);
	/* every size and offset >= 100 and more than 4 entries: zip64 */
	pack_zip_test_limits(100, 4);
	write_mixed(p);
	pack_zip_test_limits(0, 0);
	check_mixed("forced zip64", p, z64_expect);
	unlink(p);
}

/* A member whose data is not what the manifest says: exit 1, message. */
static void
test_zip_crc(void)
{
	char p[] = "/tmp/test_pack_crc.XXXXXX", ep[] = "/tmp/test_pack_err.XXXXXX";
	int fd = mkstemp(p), efd = mkstemp(ep), st = 0;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct pack_zip *z = pack_zip_open(fd, p);
		unsigned char b[5000];

		dup2(efd, 2);
		noise(b, sizeof(b), 3);
		pack_zip_begin(z, "attachments/bad", sizeof(b),
		    (int64_t)(io_crc32(0, b, sizeof(b)) ^ 1));
		pack_zip_write(z, b, sizeof(b));
		pack_zip_end(z);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	{
		size_t n;
		char *e = slurp_fd(efd, &n);

		ok(WIFEXITED(st) && WEXITSTATUS(st) == 1 && strstr(e,
		    "attachments/bad: the data's CRC-32") != NULL,
		    "data not matching the manifest CRC-32: dies (exit 1) "
		    "naming the member");
		free(e);
	}
	close(fd);
	close(efd);
	unlink(p);
	unlink(ep);
}

int
main(void)
{
	diag_setprog("test_pack");
	test_space_key();
	test_descriptor();
	test_first_gap();
	test_collections();
	test_zip();
	test_zip_mixed();
	test_zip64();
	test_zip_crc();
	return tap_done();
}
