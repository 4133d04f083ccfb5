/*
 * test_entities.c - unit tests for common/entities.c.
 *
 * Prints TAP.  Hand-written documents for both writers are embedded
 * below; the real fixtures under fixtures/real/ (relative to the current
 * directory, as "make check" runs it) and any files named on the command
 * line are also checked for losslessness, and skipped if absent.
 */
#include <glob.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "tap.h"
#include "entities.h"
#include "strbuf.h"


/* stderr capture, so error messages can be checked and fuzzing is quiet */
static FILE *capf;
static int saved_err = -1;

static void
cap_begin(void)
{
	fflush(stderr);
	capf = tmpfile();
	saved_err = dup(2);
	dup2(fileno(capf), 2);
}

static void
cap_end(char *out, size_t outsz)
{
	size_t k;

	fflush(stderr);
	dup2(saved_err, 2);
	close(saved_err);
	rewind(capf);
	k = fread(out, 1, outsz - 1, capf);
	out[k] = '\0';
	fclose(capf);
}

/*
 * Structural invariants of one parsed object: every span lies inside raw
 * and points where it should.  Returns 1 if all hold.
 */
static int
check_span(const struct xobj *o, size_t off, size_t len)
{
	return off <= o->raw_len && len <= o->raw_len - off;
}

static int
check_members(const struct xobj *o, const struct xmember *m, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++, m++) {
		if (!check_span(o, m->raw_off, m->raw_len) || m->raw_len < 3 ||
		    o->raw[m->raw_off] != '<' ||
		    o->raw[m->raw_off + m->raw_len - 1] != '>')
			return 0;
		if (!check_span(o, m->val_off, m->val_len))
			return 0;
		if (m->val_len && (m->val_off < m->raw_off ||
		    m->val_off + m->val_len > m->raw_off + m->raw_len))
			return 0;
		if ((m->kind == XM_PROP || m->kind == XM_ENUM) && !m->is_null &&
		    (m->value == NULL || m->value[m->value_len] != '\0'))
			return 0;
		if (m->kind == XM_PROP && m->value_cdata && !m->value_multi &&
		    (m->val_off < 9 ||
		    memcmp(o->raw + m->val_off - 9, "<![CDATA[", 9) != 0 ||
		    memcmp(o->raw + m->val_off + m->val_len, "]]>", 3) != 0))
			return 0;
		if (m->kind == XM_PROP && !m->value_cdata && !m->value_multi &&
		    !m->is_null && (m->val_len != m->value_len &&
		    memchr(o->raw + m->val_off, '&', m->val_len) == NULL))
			return 0;
		for (j = 0; j < m->nelem; j++)
			if (!check_span(o, m->elem[j].raw_off,
			    m->elem[j].raw_len) ||
			    o->raw[m->elem[j].raw_off] != '<')
				return 0;
		if (m->nsub && !check_members(o, m->sub, m->nsub))
			return 0;
	}
	return 1;
}

static int
check_obj(const struct xobj *o)
{
	if (o->raw_len < 9 || memcmp(o->raw, "<object", 7) != 0 ||
	    o->raw[o->raw_len - 1] != '>')
		return 0;
	if (!check_span(o, o->close_off, 9) ||
	    memcmp(o->raw + o->close_off, "</object", 8) != 0)
		return 0;
	if (o->id == NULL || o->id[o->id_len] != '\0' ||
	    !check_span(o, o->id_off, o->id_len_raw) ||
	    o->raw[o->id_off] != '<')
		return 0;
	if (o->end_line < o->line)
		return 0;
	return check_members(o, o->mem, o->nmem);
}

/*
 * Read a whole document through the reader.  Returns the final ent_next
 * result (0 or -1); *nobj counts objects; *lossless says whether the
 * gaps and objects handed out are exactly the input (or its prefix, on
 * error); *sane whether every object passed check_obj; *sig gets a hash
 * of (object lines, ids, member counts) to compare across chunk sizes.
 */
struct run {
	int		 rc, nobj, lossless, sane;
	unsigned long	 sig;
	long		 line;
};

static void
run_doc(const char *doc, size_t len, size_t step, size_t max, struct run *res)
{
	struct tap_src s = { doc, len, 0, step };
	struct ent_reader *r;
	const struct xobj *o;
	const char *gap;
	size_t gaplen, at = 0, i;
	int rc;

	memset(res, 0, sizeof(*res));
	res->lossless = res->sane = 1;
	res->sig = 5381;
	r = ent_open(tap_src_read, &s, "t.xml", max);
	for (;;) {
		rc = ent_next(r, &o, &gap, &gaplen);
		if (rc < 0)
			break;
		if (gaplen > len - at || memcmp(doc + at, gap, gaplen) != 0)
			res->lossless = 0;
		else
			at += gaplen;
		if (rc == 0)
			break;
		res->nobj++;
		if (o->raw_len > len - at || memcmp(doc + at, o->raw,
		    o->raw_len) != 0)
			res->lossless = 0;
		else
			at += o->raw_len;
		if (!check_obj(o))
			res->sane = 0;
		res->sig = res->sig * 33 + (unsigned long)o->line;
		res->sig = res->sig * 33 + (unsigned long)o->end_line;
		res->sig = res->sig * 33 + o->nmem;
		for (i = 0; o->id && i < o->id_len; i++)
			res->sig = res->sig * 33 + (unsigned char)o->id[i];
		for (i = 0; i < o->nmem; i++)
			res->sig = res->sig * 33 + (unsigned long)o->mem[i].line +
			    o->mem[i].kind + o->mem[i].value_len;
	}
	if (rc == 0 && at != len)
		res->lossless = 0;
	res->rc = rc;
	res->line = ent_line(r);
	ent_close(r);
}

static const char legacy_doc[] =
"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
"<hibernate-generic datetime=\"2011-03-23 21:52:29\">\n"
"<object class=\"Page\" package=\"com.atlassian.confluence.pages\">\n"
"<id name=\"id\">6914055</id>\n"
"<property name=\"position\"/><property name=\"parent\" class=\"Page\" "
"package=\"com.atlassian.confluence.pages\"><id name=\"id\">6914050</id>\n"
"</property>\n"
"<collection name=\"ancestors\" class=\"java.util.List\"><element class="
"\"Page\" package=\"com.atlassian.confluence.pages\"><id name=\"id\">"
"6914050</id>\n"
"</element>\n"
"</collection>\n"
"<property name=\"title\"><![CDATA[sub page 1]]></property>\n"
"<property name=\"body\"><![CDATA[<p>x</p><ac:plain-text-body><![CDATA[a]] >"
"</ac:plain-text-body>]]></property>\n"
"<property name=\"two\"><![CDATA[ab]]><![CDATA[cd]]></property>\n"
"<property name=\"contentStatus\" enum-class=\"ContentStatus\" "
"package=\"x\"/><property name=\"version\">1</property>\n"
"<property name=\"empty\"><![CDATA[]]></property>\n"
"</object>\n"
"<object class=\"ConfluenceUserImpl\" package=\"com.atlassian.confluence.user\">\n"
"  <id name=\"key\"><![CDATA[8a7f808a]]></id>\n"
"  <property name=\"name\"><![CDATA[admin]]></property>\n"
"</object>\n"
"</hibernate-generic>\n";

static const char new_doc[] =
"<hibernate-generic datetime=\"2024-4-3 09:03:14\">\n"
"<object class=\"BucketPropertySetItem\" package=\"bucket.user.propertyset\">\n"
"    <composite-id><property name=\"entityName\" type=\"string\">"
"confluence_ContentEntityObject</property><property name=\"entityId\" "
"type=\"long\">98361</property><property name=\"key\" type=\"string\">k"
"</property></composite-id>\n"
"    <property name=\"type\">5</property>\n"
"</object>\n"
"\n"
"<!-- reason: test <object> -->\n"
"<?pi <object> ?>\n"
"<object class='DirectoryImpl' package='com.atlassian.crowd.model.directory'>\n"
"    <id name=\"id\">1</id>\n"
"    <property name=\"name\">Tom &amp; Jerry &lt;&#65;&#x42;&quot;&apos;"
"&gt;&bogus; &#xD800;</property>\n"
"    <collection name=\"attributes\" class=\"java.util.Map\"><element "
"name=\"user_encryption_method\" type=\"string\">atlassian-security"
"</element><element name=\"k2\" type=\"string\"><![CDATA[v2]]></element>"
"</collection>\n"
"    <collection name=\"allowedOperations\" class=\"java.util.Set\">"
"<element enum-class=\"OperationType\" package=\"com.atlassian.crowd."
"embedded.api\">CREATE_USER</element></collection>\n"
"    <collection name=\"bodyContents\" class=\"java.util.Collection(com."
"atlassian.confluence.core.ContentEntityObject.bodyContents)\"><element "
"class=\"BodyContent\" package=\"com.atlassian.confluence.core\">"
"<id name=\"id\">7</id></element></collection>\n"
"    <collection name=\"empty\" class=\"java.util.Collection\"/>\n"
"    <collection name=\"nocls\">\n      <element class=\"X\" package=\"p\">\n"
"        <id name=\"id\">8</id>\n      </element>\n    </collection>\n"
"    <component name=\"credential\"><property name=\"credential\" "
"type=\"string\"><![CDATA[{PKCS5S2}xx]]></property><property name=\"other\""
" type=\"string\">y</property></component>\n"
"    <!-- a comment inside, with </object> in it -->\n"
"    <subcollection name=\"weird\" class=\"Q\"><x a=\"1>\">t<y/></x>"
"<![CDATA[</subcollection>]]></subcollection>\n"
"    <property name=\"mixed\">a<![CDATA[b]]>c</property>\n"
"    <property name=\"empty\"></property>\n"
"    <property name=\"cmt\">a<!-- c -->b</property>\n"
"    <property name=\"sp\" class=\"Space\"\n      package=\"s\">\n"
"      <id name=\"id\">100</id>\n    </property>\n"
"</object >\n"
"\n"
"</hibernate-generic>\n"
"<!-- trailing -->\n";

static void
test_legacy(void)
{
	struct tap_src s = { legacy_doc, sizeof(legacy_doc) - 1, 0, 1 << 20 };
	struct ent_reader *r;
	const struct xobj *o;
	const struct xmember *m;
	const char *gap;
	size_t gl;
	int rc;

	r = ent_open(tap_src_read, &s, "legacy.xml", 0);
	rc = ent_next(r, &o, &gap, &gl);
	ok(rc == 1, "legacy: first object");
	if (rc != 1)
		goto out;
	ok(gl == 90 && memcmp(gap, legacy_doc, gl) == 0,
	    "legacy: first gap is prolog + root tag (%zu)", gl);
	ok(strcmp(o->cls, "Page") == 0 &&
	    strcmp(o->pkg, "com.atlassian.confluence.pages") == 0,
	    "legacy: class and package");
	ok(strcmp(o->idname, "id") == 0 && strcmp(o->id, "6914055") == 0 &&
	    o->id_len == 7, "legacy: id");
	ok(o->line == 3 && o->end_line == 15, "legacy: lines %ld-%ld",
	    o->line, o->end_line);
	ok(memcmp(o->raw + o->id_off, "<id name=\"id\">6914055</id>",
	    o->id_len_raw) == 0 && o->id_len_raw == 26, "legacy: id span");
	ok(memcmp(o->raw + o->close_off, "</object>", 9) == 0 &&
	    o->close_off + 9 == o->raw_len, "legacy: close_off");
	m = xobj_member(o, "position");
	ok(m && m->kind == XM_PROP && m->is_null && m->value == NULL &&
	    m->raw_len == 27 && m->line == 5, "legacy: glued null property");
	m = xobj_member(o, "parent");
	ok(m && m->kind == XM_REF && strcmp(m->cls, "Page") == 0 &&
	    strcmp(m->idname, "id") == 0 && strcmp(m->value, "6914050") == 0 &&
	    memcmp(o->raw + m->val_off, "6914050", 7) == 0 &&
	    m->val_len == 7 && m->line == 5 &&
	    memcmp(o->raw + m->raw_off + m->raw_len - 11, "\n</property>",
	    11) != 0 && memcmp(o->raw + m->raw_off + m->raw_len - 11,
	    "</property>", 11) == 0, "legacy: reference, close on next line");
	m = xobj_member(o, "ancestors");
	ok(m && m->kind == XM_COLL && strcmp(m->cls, "java.util.List") == 0 &&
	    m->nelem == 1 && strcmp(m->elem[0].cls, "Page") == 0 &&
	    strcmp(m->elem[0].idname, "id") == 0 &&
	    strcmp(m->elem[0].value, "6914050") == 0 && !m->elem[0].is_enum &&
	    memcmp(o->raw + m->elem[0].raw_off, "<element", 8) == 0 &&
	    memcmp(o->raw + m->elem[0].raw_off + m->elem[0].raw_len - 10,
	    "</element>", 10) == 0, "legacy: collection of entities");
	m = xobj_member(o, "title");
	ok(m && m->value_cdata && !m->value_multi &&
	    strcmp(m->value, "sub page 1") == 0 && m->val_len == 10 &&
	    memcmp(o->raw + m->val_off, "sub page 1", 10) == 0,
	    "legacy: CDATA value and span");
	m = xobj_member(o, "body");
	ok(m && strcmp(m->value, "<p>x</p><ac:plain-text-body><![CDATA[a]] >"
	    "</ac:plain-text-body>") == 0, "legacy: ']] >' kept in value");
	if (m) {
		char tmp[128];
		size_t n;

		memcpy(tmp, m->value, m->value_len + 1);
		n = xt_cdata_unescape(tmp, m->value_len);
		ok(n == m->value_len - 1 && strcmp(tmp, "<p>x</p><ac:plain-text"
		    "-body><![CDATA[a]]></ac:plain-text-body>") == 0,
		    "legacy: xt_cdata_unescape on value");
	}
	m = xobj_member(o, "two");
	ok(m && m->value_cdata && m->value_multi && strcmp(m->value, "abcd") == 0
	    && m->val_len == 28, "legacy: two CDATA sections -> value_multi");
	m = xobj_member(o, "contentStatus");
	ok(m && m->kind == XM_ENUM && m->is_null &&
	    strcmp(m->cls, "ContentStatus") == 0, "legacy: null enum");
	m = xobj_member(o, "empty");
	ok(m && !m->is_null && m->value_cdata && m->value_len == 0 &&
	    m->value[0] == '\0', "legacy: empty CDATA");
	ok(xobj_member(o, "nope") == NULL, "xobj_member: absent -> NULL");
	rc = ent_next(r, &o, &gap, &gl);
	ok(rc == 1 && gl == 1 && gap[0] == '\n' &&
	    strcmp(o->idname, "key") == 0 && strcmp(o->id, "8a7f808a") == 0 &&
	    o->line == 16, "legacy: user object with key id");
	rc = ent_next(r, &o, &gap, &gl);
	ok(rc == 0 && gl == 22 && memcmp(gap, "\n</hibernate-generic>\n", 22)
	    == 0 && o == NULL, "legacy: end, trailing gap");
	rc = ent_next(r, &o, &gap, &gl);
	ok(rc == 0 && gl == 0, "legacy: end is sticky");
out:
	ent_close(r);
}

static void
test_new(void)
{
	struct tap_src s = { new_doc, sizeof(new_doc) - 1, 0, 1 };
	struct ent_reader *r;
	const struct xobj *o;
	const struct xmember *m;
	const char *gap;
	size_t gl;
	int rc;

	r = ent_open(tap_src_read, &s, "new.xml", 0);
	rc = ent_next(r, &o, &gap, &gl);
	ok(rc == 1 && o->idname == NULL &&
	    strcmp(o->id, "confluence_ContentEntityObject/98361/k") == 0 &&
	    memcmp(o->raw + o->id_off, "<composite-id>", 14) == 0 &&
	    memcmp(o->raw + o->id_off + o->id_len_raw - 15, "</composite-id>",
	    15) == 0 && o->nmem == 1, "new: composite id (1-byte reads)");
	if (rc != 1)
		goto out;
	rc = ent_next(r, &o, &gap, &gl);
	ok(rc == 1 && strcmp(o->cls, "DirectoryImpl") == 0 && o->line == 9,
	    "new: single-quoted attrs; comment/PI with <object> in the gap");
	if (rc != 1)
		goto out;
	ok(gl == 50 && memcmp(gap, "\n\n<!--", 6) == 0, "new: gap content");
	m = xobj_member(o, "name");
	ok(m && strcmp(m->value, "Tom & Jerry <AB\"'>&bogus; &#xD800;") == 0 &&
	    !m->value_cdata, "new: references decoded (unknown kept)");
	m = xobj_member(o, "attributes");
	ok(m && m->nelem == 2 &&
	    strcmp(m->elem[0].name, "user_encryption_method") == 0 &&
	    strcmp(m->elem[0].value, "atlassian-security") == 0 &&
	    m->elem[0].idname == NULL && strcmp(m->elem[1].value, "v2") == 0,
	    "new: map entries");
	m = xobj_member(o, "allowedOperations");
	ok(m && m->nelem == 1 && m->elem[0].is_enum &&
	    strcmp(m->elem[0].cls, "OperationType") == 0 &&
	    strcmp(m->elem[0].value, "CREATE_USER") == 0, "new: enum elements");
	m = xobj_member(o, "bodyContents");
	ok(m && m->nelem == 1 && strncmp(m->cls, "java.util.Collection(", 21)
	    == 0 && strcmp(m->elem[0].value, "7") == 0, "new: role-qualified");
	m = xobj_member(o, "empty");
	ok(m && m->kind == XM_COLL && m->nelem == 0, "new: empty collection");
	m = xobj_member(o, "nocls");
	ok(m && m->kind == XM_COLL && m->cls == NULL && m->nelem == 1 &&
	    strcmp(m->elem[0].value, "8") == 0 && m->line == 16,
	    "new: collection without class, indented");
	m = xobj_member(o, "credential");
	ok(m && m->kind == XM_COMPONENT && m->nsub == 2 &&
	    strcmp(m->sub[0].name, "credential") == 0 &&
	    strcmp(m->sub[0].value, "{PKCS5S2}xx") == 0 &&
	    strcmp(m->sub[1].value, "y") == 0, "new: component");
	m = xobj_member(o, "subcollection");
	ok(m && m->kind == XM_OTHER && strcmp(m->cls, "Q") == 0 &&
	    memcmp(o->raw + m->raw_off + m->raw_len - 16, "</subcollection>",
	    16) == 0 && m->raw_len == 101, "new: unknown element kept");
	m = xobj_member(o, "mixed");
	ok(m && strcmp(m->value, "abc") == 0 && m->value_cdata &&
	    m->value_multi && m->val_len == 15, "new: text + CDATA mixed");
	m = xobj_member(o, "empty");
	ok(m && m->kind == XM_COLL, "xobj_member: first match wins");
	m = &o->mem[o->nmem - 3];
	ok(strcmp(m->name, "empty") == 0 && m->kind == XM_PROP &&
	    !m->is_null && m->value_len == 0 && !m->value_cdata,
	    "new: empty text value");
	m = xobj_member(o, "cmt");
	ok(m && strcmp(m->value, "ab") == 0 && m->value_multi,
	    "new: comment inside a value");
	m = xobj_member(o, "sp");
	ok(m && m->kind == XM_REF && strcmp(m->pkg, "s") == 0 &&
	    strcmp(m->value, "100") == 0 && m->line == 27,
	    "new: multi-line reference tag");
	ok(memcmp(o->raw + o->close_off, "</object >", 10) == 0,
	    "new: close tag with space");
	rc = ent_next(r, &o, &gap, &gl);
	ok(rc == 0 && gl == 41, "new: trailing comment in last gap");
out:
	ent_close(r);
}

/* Expect a document to fail with a message containing want. */
static void
expect_err(const char *doc, size_t max, const char *want, const char *name)
{
	struct run a, b;
	char msg[1024];

	cap_begin();
	run_doc(doc, strlen(doc), 1 << 16, max, &a);
	cap_end(msg, sizeof(msg));
	cap_begin();
	run_doc(doc, strlen(doc), 1, max, &b);
	cap_end(msg + strlen(msg), sizeof(msg) - strlen(msg));
	ok(a.rc == -1 && b.rc == -1 && strstr(msg, want) != NULL &&
	    a.nobj == b.nobj, "error: %s", name);
	if (strstr(msg, want) == NULL)
		printf("# got: %s# want: %s\n", msg, want);
}

static void
test_errors(void)
{
	static char big[4096];

	expect_err("", 0, "t.xml:1: no <hibernate-generic> root element",
	    "empty input");
	expect_err("<?xml version=\"1.0\"?>\n<foo/>", 0,
	    "t.xml:2: root element is <foo>, not <hibernate-generic>",
	    "wrong root");
	expect_err("<hibernate-generic>\n\n<foo></foo></hibernate-generic>", 0,
	    "t.xml:3: expected <object>, found <foo>", "unexpected element");
	expect_err("<hibernate-generic>\nxx<object/>", 0,
	    "expected <object>, found text", "text between objects");
	expect_err("<hibernate-generic>\n<object class=\"A\">\n<id name=\"id\">"
	    "1</id>\n<property name=\"a\">b</property>\n", 0,
	    "t.xml:2: unexpected end of file inside <object>",
	    "truncated object");
	expect_err("<hibernate-generic>\n<object class=\"A\">\n<id name=\"id\">"
	    "1</id>\n<property name=\"a\"><![CDATA[b]]\n", 0,
	    "t.xml:4: unterminated CDATA section", "unterminated CDATA");
	expect_err("<hibernate-generic>\n<object class=\"A\"><id name=\"id\">"
	    "1</id><property name=\"a\">b</prop></object>", 0,
	    "expected </property>, found </prop>", "mismatched end tag");
	expect_err("<hibernate-generic>\n<object class=\"A\"><property "
	    "name=\"a\">b</property></object>", 0, "has no <id>", "no id");
	expect_err("<hibernate-generic>\n<object class=\"A\"><id name=\"id\">"
	    "1</id><property name=\"a\" class=\"B\">x</property></object>", 0,
	    "has no <id>", "reference without id");
	expect_err("<hibernate-generic>\n<object class=\"A\"><id name=\"id\">"
	    "1</id><property name=\"a\"><b/></property></object>", 0,
	    "unexpected <b> inside <property>", "element inside value");
	expect_err("<hibernate-generic>\n<object class=\"A\"><id name=id>1</id>"
	    "</object>", 0, "malformed start tag <id>", "unquoted attribute");
	expect_err("<hibernate-generic>\n<object class=\"A\"><id name=\"id\">"
	    "1</id><property name=\"a\">0123456789012345678901234567890123456789"
	    "0123456789</property></object></hibernate-generic>", 64,
	    "t.xml:2: object too large (more than 64 bytes)", "object too large");
	memset(big, ' ', sizeof(big) - 1);
	memcpy(big, "<hibernate-generic>", 19);
	expect_err(big, 1024, "too much data between objects (more than 1024 "
	    "bytes)", "gap too large");
	expect_err("<hibernate-generic>\n<object class=\"A\"><id name=\"id\">1"
	    "</id></object>\n\n<!-- </hibernate-generic>\n", 0,
	    "t.xml:4: unterminated comment", "unterminated comment in a gap");
	expect_err("<hibernate-generic>\n<object class=\"A\"><id name=\"id\">1"
	    "</id></object>\n", 0,
	    "t.xml:3: unexpected end of file inside <hibernate-generic>",
	    "missing root end tag");
}

/* Objects at the limit pass, whatever the chunk size. */
static void
test_limits(void)
{
	static const char doc[] = "<hibernate-generic><object class=\"A\">"
	    "<id name=\"id\">1</id></object></hibernate-generic>";
	struct run a, b;
	size_t objlen = 47;

	run_doc(doc, sizeof(doc) - 1, 1, objlen, &a);
	run_doc(doc, sizeof(doc) - 1, 1 << 16, objlen, &b);
	ok(a.rc == 0 && b.rc == 0 && a.nobj == 1 && b.nobj == 1,
	    "limits: object of exactly max_object bytes");
	cap_begin();
	run_doc(doc, sizeof(doc) - 1, 1, objlen - 1, &a);
	run_doc(doc, sizeof(doc) - 1, 1 << 16, objlen - 1, &b);
	cap_end((char[256]){ 0 }, 256);
	ok(a.rc == -1 && b.rc == -1, "limits: one byte over fails");
}

static void
test_writers(void)
{
	struct strbuf sb = STRBUF_INIT;
	char tmp[64];
	size_t d, n;

	d = xml_add_cdata(&sb, "a]]>b]]]c", 9);
	ok(d == 0 && strcmp(sb.buf, "<![CDATA[a]] >b]] ]c]]>") == 0,
	    "xml_add_cdata: ]] escape (%s)", sb.buf);
	sb_reset(&sb);
	d = xml_add_cdata(&sb, "]\x01]>", 4);
	ok(d == 1 && strcmp(sb.buf, "<![CDATA[]] >]]>") == 0,
	    "xml_add_cdata: drop before escaping");
	sb_reset(&sb);
	d = xml_add_cdata(&sb, "", 0);
	ok(d == 0 && strcmp(sb.buf, "<![CDATA[]]>") == 0, "xml_add_cdata: empty");
	sb_reset(&sb);
	d = xml_add_text(&sb, "a&b<c>d\"e'f]]>\t\n\r", 17);
	ok(d == 0 && strcmp(sb.buf, "a&amp;b&lt;c&gt;d&quot;e&apos;f]]&gt;"
	    "\t\n\r") == 0, "xml_add_text: escapes");
	sb_reset(&sb);
	/* é, €, U+1F600, then: bare continuation, overlong /, surrogate,
	 * U+FFFE, U+FFFF, truncated 3-byte, 0xFF, NUL, 0x1C, DEL kept */
	d = xml_add_text(&sb, "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"
	    "\x80\xC0\xAF\xED\xA0\x80\xEF\xBF\xBE\xEF\xBF\xBF\xE2\x82\xFF"
	    "\x00\x1C\x7F" "ok", 29);
	ok(strcmp(sb.buf, "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\x7Fok") == 0 &&
	    d == 13, "xml_add_text: UTF-8 validation (dropped %zu)", d);
	sb_reset(&sb);
	d = xml_add_cdata(&sb, "x]", 2);
	ok(d == 0 && strcmp(sb.buf, "<![CDATA[x]]]>") == 0,
	    "xml_add_cdata: trailing ]");
	sb_free(&sb);

	strcpy(tmp, "a]]  b]] ]] c]]");
	n = xt_cdata_unescape(tmp, strlen(tmp));
	ok(n == 12 && strcmp(tmp, "a]] b]]]]c]]") == 0,
	    "xt_cdata_unescape (%s)", tmp);
	strcpy(tmp, "plain");
	ok(xt_cdata_unescape(tmp, 5) == 5 && strcmp(tmp, "plain") == 0,
	    "xt_cdata_unescape: nothing to do");
	ok(xt_cdata_unescape(NULL, 0) == 0, "xt_cdata_unescape: empty");
}

/* Round trip: a value written by xml_add_cdata reads back the same. */
static void
test_roundtrip(void)
{
	static const char v[] = "x]]>y]] z]]]";
	struct strbuf sb = STRBUF_INIT;
	struct tap_src s;
	struct ent_reader *r;
	const struct xobj *o;
	const char *gap;
	char tmp[64];
	size_t gl, n;
	int rc;

	sb_adds(&sb, "<hibernate-generic><object class=\"A\"><id name=\"id\">1"
	    "</id><property name=\"v\">");
	xml_add_cdata(&sb, v, strlen(v));
	sb_adds(&sb, "</property><property name=\"t\">");
	xml_add_text(&sb, v, strlen(v));
	sb_adds(&sb, "</property></object></hibernate-generic>");
	s = (struct tap_src){ sb.buf, sb.len, 0, 3 };
	r = ent_open(tap_src_read, &s, "rt.xml", 0);
	rc = ent_next(r, &o, &gap, &gl);
	ok(rc == 1, "roundtrip: parses");
	if (rc == 1) {
		memcpy(tmp, o->mem[0].value, o->mem[0].value_len + 1);
		n = xt_cdata_unescape(tmp, o->mem[0].value_len);
		ok(n == strlen(v) && memcmp(tmp, v, n) == 0,
		    "roundtrip: cdata value");
		ok(strcmp(o->mem[1].value, v) == 0, "roundtrip: text value");
	}
	ent_close(r);
	sb_free(&sb);
}

/*
 * Every truncation and many single-byte corruptions of the documents:
 * no crash (ASan/UBSan/valgrind watch), -1 or a lossless result, and the
 * same outcome with 1-byte reads as with big reads.
 */
static void
test_fuzz(const char *doc, size_t len, const char *name)
{
	static const unsigned char flips[] = { 0x01, 0x20, 0x80, '<', '>',
	    '/', '"', ']', '&', 0 };
	struct run a, b;
	char *buf;
	size_t i, j, bad = 0, nondet = 0;
	int endok;

	buf = malloc(len + 1);
	cap_begin();
	for (i = 0; i < len; i++) {
		memcpy(buf, doc, i);
		run_doc(buf, i, 1 << 16, 0, &a);
		/* truncated documents must fail, unless only the tail went */
		endok = strstr(doc, "</hibernate-generic>") != NULL &&
		    (size_t)(strstr(doc, "</hibernate-generic>") - doc) + 20 <= i;
		if ((a.rc == 0) != endok || !a.lossless || !a.sane)
			bad++;
		if (i % 7 == 0) {
			run_doc(buf, i, 1, 0, &b);
			if (b.rc != a.rc || b.nobj != a.nobj || b.sig != a.sig)
				nondet++;
		}
	}
	for (i = 0; i < len; i++) {
		for (j = 0; j < sizeof(flips); j++) {
			memcpy(buf, doc, len);
			buf[i] = (char)(j == sizeof(flips) - 1 ? 0 :
			    (flips[j] < 0x21 || flips[j] == 0x80 ?
			    buf[i] ^ flips[j] : flips[j]));
			run_doc(buf, len, 1 << 16, 0, &a);
			if (!a.lossless || !a.sane)
				bad++;
			if ((i + j) % 5 == 0) {
				run_doc(buf, len, 1, 0, &b);
				if (b.rc != a.rc || b.nobj != a.nobj ||
				    b.sig != a.sig)
					nondet++;
			}
		}
	}
	cap_end((char[64]){ 0 }, 64);
	free(buf);
	ok(bad == 0, "fuzz %s: truncations and corruptions (%zu bad)", name,
	    bad);
	ok(nondet == 0, "fuzz %s: same result for 1-byte reads (%zu differ)",
	    name, nondet);
}

static char *
slurp(const char *path, size_t *lenp)
{
	FILE *f;
	char *p = NULL;
	size_t n = 0, cap = 0, k;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	for (;;) {
		if (cap - n < 65536) {
			cap = cap ? cap * 2 : 1 << 20;
			p = realloc(p, cap);
			if (p == NULL)
				abort();
		}
		k = fread(p + n, 1, cap - n, f);
		if (k == 0)
			break;
		n += k;
	}
	fclose(f);
	*lenp = n;
	return p;
}

static int	same_views(const char *, size_t, size_t, size_t);

static void
test_file(const char *path)
{
	struct run a, b;
	char *doc;
	size_t len, nobj = 0;
	const char *p;

	if ((doc = slurp(path, &len)) == NULL) {
		ok(0, "read %s", path);
		return;
	}
	/* count "<object " (memmem is not POSIX) */
	for (p = doc; (p = memchr(p, '<', (size_t)(doc + len - p))) != NULL;
	    p++)
		if ((size_t)(doc + len - p) >= 8 && memcmp(p, "<object ", 8) == 0)
			nobj++;
	run_doc(doc, len, 1 << 16, 0, &a);
	ok(a.rc == 0 && a.lossless && a.sane && (size_t)a.nobj == nobj,
	    "lossless %s (%d objects, %zu bytes)", path, a.nobj, len);
	run_doc(doc, len, 1, 0, &b);
	ok(b.rc == 0 && b.lossless && b.sig == a.sig,
	    "lossless %s with 1-byte reads", path);
	run_doc(doc, len, 4093, 0, &b);
	ok(b.rc == 0 && b.lossless && b.sig == a.sig,
	    "lossless %s with 4093-byte reads", path);
	ok(same_views(doc, len, 0, 1 << 16) && same_views(doc, len, 0, 4093),
	    "stream mode %s: same view as the normal mode", path);
	free(doc);
}

/* ------------------------------------------------ chunking and limits */

/*
 * Issue 12 defect 18: with a small max_object, whether and where a
 * document fails must not depend on how the input is chunked.  Every
 * limit from 16 to len + 64 bytes, whole reads against 1-byte and 37-byte
 * reads: same status, objects, signature and final line.
 */
static size_t
limit_sweep(const char *doc, size_t len)
{
	struct run a, b, c;
	size_t max, bad = 0;

	cap_begin();
	for (max = 16; max <= len + 64; max++) {
		run_doc(doc, len, 1 << 20, max, &a);
		run_doc(doc, len, 1, max, &b);
		run_doc(doc, len, 37, max, &c);
		if (a.rc != b.rc || a.nobj != b.nobj || a.sig != b.sig ||
		    a.line != b.line || a.rc != c.rc || a.nobj != c.nobj ||
		    a.sig != c.sig || a.line != c.line)
			bad++;
	}
	cap_end((char[64]){ 0 }, 64);
	return bad;
}

static void
test_limit_chunking(void)
{
	static const char *repro[] = {
		"tests/fuzz/repro/entities/limit-error-chunking.xml",
		"tests/fuzz/repro/entities/limit-gap-starttag.xml",
	};
	char *doc;
	size_t i, len;

	for (i = 0; i < sizeof(repro) / sizeof(repro[0]); i++) {
		if ((doc = slurp(repro[i], &len)) == NULL) {
			tap_skip("%s not found (run from the top directory)",
			    repro[i]);
			continue;
		}
		ok(limit_sweep(doc, len) == 0, "%s: every max_object gives "
		    "the same result whatever the read size", repro[i]);
		free(doc);
	}
	ok(limit_sweep(legacy_doc, sizeof(legacy_doc) - 1) == 0,
	    "legacy document: every max_object, any read size");
	ok(limit_sweep(new_doc, sizeof(new_doc) - 1) == 0,
	    "8.3+ document: every max_object, any read size");
}

/* ---------------------------------------------------------- stream mode */

/*
 * A dump of what a consumer that does not look at raw bytes sees: object
 * class, id, lines, members (kind, name, class, value, line, element
 * count) and every collection element (class, id name, value, name), in
 * document order.  In stream mode elements come from the callback, in
 * normal mode from m->elem.  Errors: status, line.
 */
struct sdump {
	struct strbuf	 d;
	int		 keep;		/* callback's answer */
	size_t		 cb;		/* callback calls */
	size_t		 base, peak;	/* heap in use: at the start, most seen */
	int		 quiet;		/* callback: count only */
};

static void
dump_s(struct strbuf *d, const char *s)
{
	sb_adds(d, s ? s : "(null)");
	sb_addc(d, '|');
}

static void
dump_elem(struct strbuf *d, const struct xelem *e)
{
	sb_adds(d, "E:");
	dump_s(d, e->cls);
	dump_s(d, e->idname);
	dump_s(d, e->name);
	sb_add(d, e->value ? e->value : "", e->value_len);
	sb_addf(d, "|%d\n", e->is_enum);
}

static void
heap_peak(struct sdump *sd)
{
	struct mallinfo2 mi = mallinfo2();

	if (mi.uordblks + mi.hblkhd > sd->peak)
		sd->peak = mi.uordblks + mi.hblkhd;
}

static int
elem_cb(void *ctx, const struct xobj *partial, const struct xmember *coll,
    const struct xelem *e)
{
	struct sdump *sd = ctx;

	sd->cb++;
	if (sd->cb % 1024 == 0)
		heap_peak(sd);
	if (!sd->quiet) {
		sb_adds(&sd->d, "C:");
		dump_s(&sd->d, partial->cls);
		dump_s(&sd->d, partial->id);
		dump_s(&sd->d, coll->name);
		dump_elem(&sd->d, e);
	}
	return sd->keep;
}

static void
dump_obj(struct sdump *sd, const struct xobj *o, int from_cb)
{
	struct strbuf *d = &sd->d;
	size_t i, j;

	sb_addf(d, "O:%ld-%ld|%zu|", o->line, o->end_line, o->raw_len);
	dump_s(d, o->cls);
	dump_s(d, o->pkg);
	dump_s(d, o->idname);
	dump_s(d, o->id);
	sb_addc(d, '\n');
	for (i = 0; i < o->nmem; i++) {
		const struct xmember *m = &o->mem[i];

		sb_addf(d, "M:%d|%ld|%d|%d|%zu|%zu|", (int)m->kind, m->line,
		    m->is_null, m->value_cdata, m->nsub, m->raw_len);
		dump_s(d, m->name);
		dump_s(d, m->cls);
		dump_s(d, m->idname);
		sb_add(d, m->value ? m->value : "", m->value_len);
		sb_addc(d, '\n');
		for (j = 0; j < m->nsub; j++) {
			sb_adds(d, "S:");
			dump_s(d, m->sub[j].name);
			sb_add(d, m->sub[j].value ? m->sub[j].value : "",
			    m->sub[j].value_len);
			sb_addc(d, '\n');
		}
		if (m->kind == XM_COLL && !from_cb) {
			for (j = 0; j < m->nelem; j++) {
				/* where the callback would have said it */
				sb_adds(d, "C:");
				dump_s(d, o->cls);
				dump_s(d, o->id);
				dump_s(d, m->name);
				dump_elem(d, &m->elem[j]);
			}
		}
	}
}

/* Read doc in normal (stream 0) or stream mode; the dump in sd. */
static int
run_dump(const char *doc, size_t len, size_t step, size_t max, int stream,
    int keep, int quiet, struct sdump *sd)
{
	struct tap_src s = { doc, len, 0, step };
	struct ent_reader *r;
	const struct xobj *o;
	const char *gap;
	size_t gaplen;
	int rc;

	memset(sd, 0, sizeof(*sd));
	sd->keep = keep;
	sd->quiet = quiet;
	sd->base = sd->peak = mallinfo2().uordblks + mallinfo2().hblkhd;
	r = ent_open(tap_src_read, &s, "s.xml", max);
	if (stream)
		ent_stream(r, elem_cb, sd);
	while ((rc = ent_next(r, &o, &gap, &gaplen)) == 1) {
		heap_peak(sd);
		if (stream && o->raw != NULL)
			sb_adds(&sd->d, "RAW!");
		sb_addf(&sd->d, "G:%zu|", gaplen);
		sb_add(&sd->d, gap, gaplen);
		sb_addc(&sd->d, '\n');
		if (sd->quiet)
			continue;
		if (stream && keep) {
			/* kept elements: also in m->elem */
			size_t i, n = 0;

			for (i = 0; i < o->nmem; i++)
				if (o->mem[i].kind == XM_COLL)
					n += o->mem[i].nelem;
			sb_addf(&sd->d, "K:%zu\n", n);
		}
		dump_obj(sd, o, stream);
	}
	sb_addf(&sd->d, "END:%d|%ld\n", rc, ent_line(r));
	ent_close(r);
	return rc;
}

/* Normal and stream mode: the same objects, values, elements, lines. */
static int
same_views(const char *doc, size_t len, size_t max, size_t step)
{
	struct sdump a, b;
	int same;

	run_dump(doc, len, 1 << 20, max, 0, 0, 0, &a);
	run_dump(doc, len, step, max, 1, 0, 0, &b);
	/* normal mode dumps elements after the object's members, stream
	 * mode before them: compare the sorted lines */
	same = a.d.len == b.d.len;
	if (same) {
		char *x = a.d.buf, *y = b.d.buf;
		size_t i, sx = 0, sy = 0;

		/* order-free comparison: sum and xor of line hashes */
		unsigned long hx = 0, hy = 0, h = 5381;
		for (i = 0; i < a.d.len; i++) {
			h = h * 33 + (unsigned char)x[i];
			if (x[i] == '\n') { hx += h * 2654435761u; sx ^= h; h = 5381; }
		}
		h = 5381;
		for (i = 0; i < b.d.len; i++) {
			h = h * 33 + (unsigned char)y[i];
			if (y[i] == '\n') { hy += h * 2654435761u; sy ^= h; h = 5381; }
		}
		same = hx == hy && sx == sy;
	}

	sb_free(&a.d);
	sb_free(&b.d);
	return same;
}

static void
test_stream(void)
{
	static const char *docs[] = { legacy_doc, new_doc };
	static const char *names[] = { "legacy", "8.3+" };
	struct sdump a, b;
	size_t i, max, bad;
	struct strbuf big = STRBUF_INIT;
	size_t k, nel = 150000, peak_norm, peak_str;

	for (i = 0; i < 2; i++) {
		size_t len = strlen(docs[i]);

		ok(same_views(docs[i], len, 0, 1 << 20) &&
		    same_views(docs[i], len, 0, 1) &&
		    same_views(docs[i], len, 0, 7),
		    "stream mode, %s: same objects, members, elements and "
		    "lines as the normal mode, any read size", names[i]);
		cap_begin();
		for (bad = 0, max = 16; max <= len + 64; max++) {
			struct sdump c;
			int rc;


			rc = run_dump(docs[i], len, 1 << 20, max, 1, 0, 0, &a);
			run_dump(docs[i], len, 1, max, 1, 0, 0, &b);
			run_dump(docs[i], len, 1 << 20, max, 0, 0, 0, &c);
			/* stream: whole = 1-byte reads; normal mode: the same
			 * status and final line, and on success the same view
			 * (on failure stream mode has already handed over the
			 * elements before the error: that is its point) */
			if (a.d.len != b.d.len || memcmp(a.d.buf, b.d.buf,
			    a.d.len) != 0 || strcmp(strrchr(a.d.buf, 'E'),
			    strrchr(c.d.buf, 'E')) != 0 ||
			    (rc == 0 && !same_views(docs[i], len, max, 5)))
				bad++;
			sb_free(&a.d);
			sb_free(&b.d);
			sb_free(&c.d);
		}
		cap_end((char[64]){ 0 }, 64);
		ok(bad == 0, "stream mode, %s: every max_object, 1-byte reads "
		    "= whole reads = normal mode", names[i]);
	}
	/* keep = 1: the elements are also in m->elem, as in normal mode */
	run_dump(legacy_doc, sizeof(legacy_doc) - 1, 3, 0, 1, 1, 0, &a);
	ok(strstr(a.d.buf, "K:1\n") != NULL && a.cb == 1,
	    "stream mode, kept element: handed over once and in m->elem");
	sb_free(&a.d);

	/* a 100,000-user Space: one object, one collection of 150,000
	 * elements (~19 MB).  Normal mode holds it whole; stream mode holds
	 * one element at a time. */
	sb_adds(&big, "<hibernate-generic>\n<object class=\"Space\" package=\"p\">"
	    "\n<id name=\"id\">1</id>\n<collection name=\"permissions\" "
	    "class=\"java.util.Set\">");
	for (k = 0; k < nel; k++)
		sb_addf(&big, "<element class=\"SpacePermission\" package=\""
		    "com.atlassian.confluence.security\"><id name=\"id\">%zu"
		    "</id>\n</element>\n", 1000000 + k);
	sb_adds(&big, "</collection>\n<property name=\"key\"><![CDATA[BIG]]>"
	    "</property>\n</object>\n</hibernate-generic>\n");
	run_dump(big.buf, big.len, 65536, 64 << 20, 0, 0, 1, &a);
	peak_norm = a.peak - a.base;
	run_dump(big.buf, big.len, 65536, 64 << 20, 1, 0, 1, &b);
	peak_str = b.peak - b.base;
	ok(b.cb == nel && strstr(b.d.buf, "END:0|") != NULL,
	    "stream mode: %zu elements handed over, the object returned",
	    b.cb);
	if (peak_norm == 0)	/* ASan's allocator keeps no mallinfo2 */
		tap_skip("stream mode memory: malloc statistics unavailable "
		    "(a sanitizer's allocator)");
	else
		ok(peak_str < ((size_t)1 << 20) && peak_norm > big.len,
		    "stream mode holds %zu KiB for a %zu KiB object (normal "
		    "mode %zu KiB)", peak_str >> 10, big.len >> 10,
		    peak_norm >> 10);
	sb_free(&a.d);
	sb_free(&b.d);
	sb_free(&big);
}

int
main(int argc, char **argv)
{
	glob_t g;
	size_t i;
	int j;

	diag_setprog("test_entities");
	test_legacy();
	test_new();
	test_errors();
	test_limits();
	test_writers();
	test_roundtrip();
	test_fuzz(legacy_doc, sizeof(legacy_doc) - 1, "legacy");
	test_fuzz(new_doc, sizeof(new_doc) - 1, "8.3+");
	test_limit_chunking();
	test_stream();

	for (j = 1; j < argc; j++)
		test_file(argv[j]);
	if (argc == 1) {
		if (glob("fixtures/real/*/*entities*.xml", 0, NULL, &g) == 0) {
			for (i = 0; i < g.gl_pathc; i++)
				test_file(g.gl_pathv[i]);
			globfree(&g);
		} else {
			tap_skip("no fixtures/real/*/entities.xml under the "
			    "current directory");
		}
	}
	return tap_done();
}
