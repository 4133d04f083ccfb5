/*
 * test_userref.c - unit tests for common/userref.c (TAP output).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "tap.h"
#include "strbuf.h"
#include "userref.h"


/*
 * Callback context: logs "kind:value@line;" and rewrites values found in
 * map (pairs "value", "replacement"), or everything to "ACC" when all.
 */
struct ctx {
	struct strbuf	 log;
	const char	*const *map;
	int		 all;
	int		 none;
};

static int
cb(void *vctx, enum uref_kind kind, const char *value, size_t len,
    long line, const char **repl)
{
	struct ctx *c = vctx;
	size_t i;

	if (value[len] != '\0')		/* contract: NUL-terminated */
		abort();
	sb_addf(&c->log, "%s:%.*s@%ld;", uref_kind_name(kind), (int)len,
	    value, line);
	if (c->none)
		return 0;
	if (c->all) {
		*repl = "ACC";
		return 1;
	}
	for (i = 0; c->map != NULL && c->map[i] != NULL; i += 2)
		if (strlen(c->map[i]) == len &&
		    memcmp(c->map[i], value, len) == 0) {
			*repl = c->map[i + 1];
			return 1;
		}
	return 0;
}

static const char *const MAP[] = {
	"k1", "557058:aaaa",
	"bob", "712020:bbbb",
	"a&b", "x&y<\"z'",
	"admin", "A-1",
	"C.ra ppy/User. /", "crappy",
	"ff80808156e241950156e468e9510003", "acc-ff",
	"UserName", "acc-un",
	NULL
};

static char outbuf[65536], logbuf[65536];
static size_t lastn;

/* Run a scanner; results in outbuf/logbuf, count in lastn. */
static void
run(int wiki, const char *body, int escaped, const char *const *map)
{
	struct ctx c = { STRBUF_INIT, map, 0, 0 };
	struct strbuf out = STRBUF_INIT;

	if (wiki)
		lastn = uref_wiki(body, strlen(body), escaped, cb, &c, &out);
	else
		lastn = uref_storage(body, strlen(body), escaped, cb, &c,
		    &out);
	snprintf(outbuf, sizeof(outbuf), "%s", sb_str(&out));
	snprintf(logbuf, sizeof(logbuf), "%s", sb_str(&c.log));
	sb_free(&out);
	sb_free(&c.log);
}

static void
st(const char *body, int escaped, const char *want, const char *wantlog,
    const char *name)
{
	char n[512];

	run(0, body, escaped, MAP);
	snprintf(n, sizeof(n), "%s: output", name);
	is_str(outbuf, want, n);
	snprintf(n, sizeof(n), "%s: references", name);
	is_str(logbuf, wantlog, n);
}

static void
wk(const char *body, int escaped, const char *want, const char *wantlog,
    const char *name)
{
	char n[512];

	run(1, body, escaped, MAP);
	snprintf(n, sizeof(n), "%s: output", name);
	is_str(outbuf, want, n);
	snprintf(n, sizeof(n), "%s: references", name);
	is_str(logbuf, wantlog, n);
}

/* Bodies with no reference at all: must come out byte-identical. */
static const char *const plain[] = {
	"",
	"<p>&nbsp;</p>",
	"<p>hello</p>\n<p>&nbsp;&copy;&#160;</p>",
	"<foo:bar xmlns:x=\"y\"><undeclared:tag a='1'/></foo:bar>",
	"<ac:plain-text-body><![CDATA[x]] >y]] ></ac:plain-text-body>",
	"<p>unclosed <b>tag",
	"<p a=\"unterminated",
	"<ri:user",
	"<ri:user ri:userkey=\"k1\"",
	"<ri:user ri:userkey=\"k1",
	"<ri:user ri:userkey=k1 />",
	"<ri:user ri:userkey=\"k1\"ri:username=\"bob\"/>",
	"<RI:USER RI:USERKEY=\"k1\" />",
	"<ri:User ri:userkey=\"k1\" />",
	"<ri:users ri:userkey=\"k1\" />",
	"<ri:user ri:userkey=\"k1\" ri:userkey=\"k2\" />",
	"<ri:user ri:userKey=\"k1\" />",
	"&lt;ri:user ri:userkey=&quot;k1&quot; /&gt;",	/* text in CDATA */
	"<ri:user ri:userkey=\"a<b\" />",
	"<ri:user ri:local-id=\"x\" />",
	"<ri:user></ri:user>",
	"<!-- <ri:user ri:userkey=\"k1\"/> -->",
	"<ac:plain-text-body><![CDATA[<ri:user ri:userkey=\"k1\"/>]] >"
	    "</ac:plain-text-body>",
	"<ac:macro ac:name=\"profile\"><ac:parameter ac:name=\"user\">"
	    "<b>bob</b></ac:parameter></ac:macro>",
	"<ac:macro ac:name=\"profile\"><ac:parameter ac:name=\"user\">"
	    "  \n </ac:parameter></ac:macro>",
	"<ac:macro ac:name=\"info\"><ac:parameter ac:name=\"user\">bob"
	    "</ac:parameter></ac:macro>",
	"<ac:macro ac:name=\"profile\"><ac:parameter ac:name=\"title\">bob"
	    "</ac:parameter></ac:macro>",
	"<ac:macro ac:name=\"profile\"><ac:parameter ac:name=\"user\">bob"
	    "</ac:parameterx></ac:macro>",
	"<ac:macro ac:name=\"profile\"><ac:parameter ac:name=\"user\">bob",
	"<ac:macro ac:name=\"profile\" /><ac:parameter ac:name=\"user\">bob"
	    "</ac:parameter>",
	"<ac:macro ac:name=\"im\"><ac:default-parameter>Admin"
	    "</ac:default-parameter></ac:macro>",
	"]]]] ]] > ]]  >",
	"<<<<>>>>&&&&;;;;\"\"''",
	"< ri:user ri:userkey=\"k1\" />",
	"\xef\xbb\xbf<p>bom</p>\r\n\r\n",
	"<p>~bob [~bob] {profile:user=bob}</p>",
	NULL
};

static const char *const plain_esc[] = {
	"&lt;p&gt;&amp;nbsp;&lt;/p&gt;",
	"&lt;ri:user ri:userkey=&quot;k1&quot;",
	"&amp;lt;ri:user ri:userkey=&amp;quot;k1&amp;quot; /&amp;gt;",
	"&lt;RI:USER ri:userkey=&quot;k1&quot;/&gt;",
	"&lt;!-- &lt;ri:user ri:userkey=&quot;k1&quot;/&gt; --&gt;",
	"&lt;![CDATA[&lt;ri:user ri:userkey=&quot;k1&quot;/&gt;]]&gt;",
	"&",
	"&lt",
	"&lt;",
	NULL
};

static const char *const plain_wiki[] = {
	"",
	"h1. Title\n\nSome *bold* text ~strike~ and [link|http://x]\n",
	"{code}[~bob]{code}",
	"{code:java}\n[~bob] {profile:user=bob}\n{code}",
	"{noformat}[text|~bob]{noformat}",
	"{CODE}[~bob]{CODE}",
	"{code}unclosed [~bob]",
	"\\[~bob]",
	"[~]",
	"[ ~bob]",
	"[~bob",
	"[~bob\n]",
	"{profile:title=bob}",
	"{info:user=bob}",
	"{profile:user=bob",
	"{profile:user=bob\n}",
	"{",
	"[",
	"[|",
	"{profile",
	NULL
};

static void
identity_tests(void)
{
	struct ctx c = { STRBUF_INIT, NULL, 1, 0 };
	struct strbuf out = STRBUF_INIT;
	size_t i, n, bad = 0, refs = 0;
	const char *b;

	for (i = 0; plain[i] != NULL; i++) {
		b = plain[i];
		sb_reset(&out);
		n = uref_storage(b, strlen(b), 0, cb, &c, &out);
		if (n != 0 || out.len != strlen(b) ||
		    memcmp(sb_str(&out), b, out.len) != 0) {
			printf("# storage body %zu changed: %s\n", i,
			    sb_str(&out));
			bad++;
		}
	}
	refs += c.log.len;
	ok(bad == 0, "storage bodies without references are unchanged");
	ok(refs == 0, "storage bodies without references report nothing");
	if (refs != 0)
		printf("# %s\n", sb_str(&c.log));
	sb_reset(&c.log);
	for (i = 0, bad = 0; plain_esc[i] != NULL; i++) {
		b = plain_esc[i];
		sb_reset(&out);
		n = uref_storage(b, strlen(b), 1, cb, &c, &out);
		if (n != 0 || strcmp(sb_str(&out), b) != 0)
			bad++;
	}
	ok(bad == 0 && c.log.len == 0,
	    "escaped bodies without references are unchanged");
	if (c.log.len != 0)
		printf("# %s\n", sb_str(&c.log));
	sb_reset(&c.log);
	for (i = 0, bad = 0; plain_wiki[i] != NULL; i++) {
		b = plain_wiki[i];
		sb_reset(&out);
		n = uref_wiki(b, strlen(b), 0, cb, &c, &out);
		if (n != 0 || strcmp(sb_str(&out), b) != 0)
			bad++;
		sb_reset(&out);
		n = uref_wiki(b, strlen(b), 1, cb, &c, &out);
		if (n != 0 || strcmp(sb_str(&out), b) != 0)
			bad++;
	}
	ok(bad == 0 && c.log.len == 0,
	    "wiki bodies without references are unchanged");
	if (c.log.len != 0)
		printf("# %s\n", sb_str(&c.log));
	/* NULL out: scan only */
	n = uref_storage("<ri:user ri:userkey=\"k1\"/>", 26, 0, cb, &c, NULL);
	ok(n == 1, "scan-only with out == NULL still counts");
	sb_free(&out);
	sb_free(&c.log);
}

static void
wiki_regressions(void)
{
	/* An unclosed '[' must not hide a later macro (found by fuzzing),
	 * with or without a '~' elsewhere in the body. */
	wk("see a[1] or [b {profile:user=bob}", 0,
	    "see a[1] or [b {profile:user=712020:bbbb}",
	    "wiki-username:bob@1;", "unclosed [ then a macro");
	wk("see a[1] or [b {profile:user=bob} ~", 0,
	    "see a[1] or [b {profile:user=712020:bbbb} ~",
	    "wiki-username:bob@1;", "unclosed [ then a macro, ~ in body");
}

static void
storage_tests(void)
{
	/* Inner CDATA whose text ends in ']': Confluence writes "]]]>" as
	 * "]] ]>"; the mention after it must still be seen. */
	st("<ac:plain-text-body><![CDATA[a[0]] ]></ac:plain-text-body>"
	    "<ri:user ri:userkey=\"k1\"/>", 0,
	    "<ac:plain-text-body><![CDATA[a[0]] ]></ac:plain-text-body>"
	    "<ri:user ri:account-id=\"557058:aaaa\"/>",
	    "body-userkey:k1@1;", "inner cdata ending in ] (\"]] ]>\")");
	st("<![CDATA[<ri:user ri:userkey=\"k9\"/>x]] ]] ]>"
	    "<ri:user ri:userkey=\"k1\"/>", 0,
	    "<![CDATA[<ri:user ri:userkey=\"k9\"/>x]] ]] ]>"
	    "<ri:user ri:account-id=\"557058:aaaa\"/>",
	    "body-userkey:k1@1;", "inner cdata: a run of ] then the end");
	st("<ac:link><ri:user ri:userkey=\"k1\" /></ac:link>", 0,
	    "<ac:link><ri:user ri:account-id=\"557058:aaaa\" /></ac:link>",
	    "body-userkey:k1@1;", "userkey self-closing");
	st("<ri:user ri:userkey=\"k1\"></ri:user>", 0,
	    "<ri:user ri:account-id=\"557058:aaaa\"></ri:user>",
	    "body-userkey:k1@1;", "userkey with end tag");
	st("<ri:user ri:userkey=\"k9\"/>", 0,
	    "<ri:user ri:userkey=\"k9\"/>",
	    "body-userkey:k9@1;", "unmapped key kept");
	st("<ri:user ri:local-id=\"L\" ri:userkey='k1'/>", 0,
	    "<ri:user ri:local-id=\"L\" ri:account-id='557058:aaaa'/>",
	    "body-userkey:k1@1;", "local-id before, single quotes");
	st("<ri:user ri:userkey=\"k1\" ri:local-id=\"L\"/>", 0,
	    "<ri:user ri:account-id=\"557058:aaaa\" ri:local-id=\"L\"/>",
	    "body-userkey:k1@1;", "local-id after");
	st("<p>a</p>\n<p>\n<ri:user\n\t ri:userkey = \"k1\"\r\n  />"
	    "<ri:user ri:username=\"bob\"/></p>", 0,
	    "<p>a</p>\n<p>\n<ri:user\n\t ri:account-id=\"557058:aaaa\"\r\n  />"
	    "<ri:user ri:account-id=\"712020:bbbb\"/></p>",
	    "body-userkey:k1@4;body-username:bob@5;",
	    "whitespace and newlines inside tags, line numbers");
	st("<ri:user ri:username=\"bob\" ri:userkey=\"k1\" />", 0,
	    "<ri:user ri:account-id=\"557058:aaaa\" />",
	    "body-userkey:k1@1;", "username then userkey: one callback");
	st("<ri:user ri:userkey=\"k1\"\n    ri:username=\"bob\"/>", 0,
	    "<ri:user ri:account-id=\"557058:aaaa\"/>",
	    "body-userkey:k1@1;", "userkey then username removed");
	st("<ri:user ri:username=\"nomap\" ri:userkey=\"k9\" />", 0,
	    "<ri:user ri:username=\"nomap\" ri:userkey=\"k9\" />",
	    "body-userkey:k9@1;", "both, unmapped: untouched");
	st("<ri:user ri:account-id=\"557058:x\" ri:local-id=\"u\"/>", 0,
	    "<ri:user ri:account-id=\"557058:x\" ri:local-id=\"u\"/>",
	    "body-account-id:557058:x@1;", "account-id reported");
	st("<ri:user ri:username=\"a&amp;b\"/>", 0,
	    "<ri:user ri:account-id=\"x&amp;y&lt;&quot;z&apos;\"/>",
	    "body-username:a&b@1;", "decoded value, escaped replacement");
	st("<ri:user ri:username=\"a&#38;b\"/>", 0,
	    "<ri:user ri:account-id=\"x&amp;y&lt;&quot;z&apos;\"/>",
	    "body-username:a&b@1;", "numeric reference decoded");
	st("<ri:user ri:username=\"a&nbsp;b\"/>", 0,
	    "<ri:user ri:username=\"a&nbsp;b\"/>",
	    "body-username:a&nbsp;b@1;", "unknown entity kept as written");
	st("<ri:user ri:username=\"a]] b\"/>", 0,
	    "<ri:user ri:username=\"a]] b\"/>",
	    "body-username:a]]b@1;", "CDATA escape undone in value");
	st("<ri:user ri:username=\"C.ra ppy/User. /\" />", 0,
	    "<ri:user ri:account-id=\"crappy\" />",
	    "body-username:C.ra ppy/User. /@1;", "odd username");
	st("<ac:plain-text-body><![CDATA[<ri:user ri:userkey=\"k1\"/>]] >"
	    "</ac:plain-text-body><ri:user ri:userkey=\"k1\"/>", 0,
	    "<ac:plain-text-body><![CDATA[<ri:user ri:userkey=\"k1\"/>]] >"
	    "</ac:plain-text-body><ri:user ri:account-id=\"557058:aaaa\"/>",
	    "body-userkey:k1@1;", "inner CDATA skipped");
	st("<!-- <ri:user ri:userkey=\"k1\"/> --><ri:user ri:userkey=\"k1\"/>",
	    0, "<!-- <ri:user ri:userkey=\"k1\"/> --><ri:user "
	    "ri:account-id=\"557058:aaaa\"/>",
	    "body-userkey:k1@1;", "comment skipped");
	st("<p>&nbsp;<x:y/></p><ri:user ri:userkey=\"k1\"/><p>]] >", 0,
	    "<p>&nbsp;<x:y/></p><ri:user ri:account-id=\"557058:aaaa\"/>"
	    "<p>]] >", "body-userkey:k1@1;", "odd neighbours kept");

	/* escaped element text */
	st("&lt;ri:user ri:userkey=&quot;k1&quot; /&gt;", 1,
	    "&lt;ri:user ri:account-id=&quot;557058:aaaa&quot; /&gt;",
	    "body-userkey:k1@1;", "escaped, &quot; quotes");
	st("&lt;ri:user ri:userkey=\"k1\"/>", 1,
	    "&lt;ri:user ri:account-id=\"557058:aaaa\"/>",
	    "body-userkey:k1@1;", "escaped, literal quotes and '>'");
	st("&lt;ri:user ri:username=&quot;a&amp;amp;b&quot;/&gt;", 1,
	    "&lt;ri:user ri:account-id=&quot;x&amp;amp;y&amp;lt;&amp;quot;"
	    "z&amp;apos;&quot;/&gt;",
	    "body-username:a&b@1;", "escaped: two levels each way");
	/* &quot; and a literal '"' are the same character in XML text: the
	 * value is quoted and the reference is real. */
	st("&lt;ri:user ri:userkey=&quot;k1\" /&gt;", 1,
	    "&lt;ri:user ri:account-id=&quot;557058:aaaa\" /&gt;",
	    "body-userkey:k1@1;", "escaped, &quot; and '\"' are one quote");
	st("&lt;ri:user ri:username=&quot;bob&quot;&#10;ri:userkey=&quot;"
	    "k1&quot;&gt;&lt;/ri:user&gt;", 1,
	    "&lt;ri:user&#10;ri:account-id=&quot;557058:aaaa&quot;&gt;"
	    "&lt;/ri:user&gt;",
	    "body-userkey:k1@1;", "escaped: &#10; as whitespace");
	st("&lt;ri:user ri:username=&quot;a&amp;nbsp;b&quot;/&gt;", 1,
	    "&lt;ri:user ri:username=&quot;a&amp;nbsp;b&quot;/&gt;",
	    "body-username:a&nbsp;b@1;", "escaped: &nbsp; kept");
}

static void
macro_tests(void)
{
	/* excerpt of the real 4.3.2 body */
	st("<p><ac:macro ac:name=\"profile-picture\"><ac:parameter "
	    "ac:name=\"User\">admin</ac:parameter></ac:macro></p>"
	    "<p><ac:macro ac:name=\"profile\"><ac:parameter ac:name=\"user\">"
	    "admin</ac:parameter></ac:macro></p><p><ac:macro "
	    "ac:name=\"status-list\"><ac:parameter ac:name=\"username\">admin"
	    "</ac:parameter></ac:macro></p>", 0,
	    "<p><ac:macro ac:name=\"profile-picture\"><ac:parameter "
	    "ac:name=\"User\"><ri:user ri:account-id=\"A-1\" />"
	    "</ac:parameter></ac:macro></p>"
	    "<p><ac:macro ac:name=\"profile\"><ac:parameter ac:name=\"user\">"
	    "<ri:user ri:account-id=\"A-1\" /></ac:parameter></ac:macro></p>"
	    "<p><ac:macro ac:name=\"status-list\"><ac:parameter "
	    "ac:name=\"username\"><ri:user ri:account-id=\"A-1\" />"
	    "</ac:parameter></ac:macro></p>",
	    "macro-username:admin@1;macro-username:admin@1;"
	    "macro-username:admin@1;", "real 4.3.2 macros");
	st("<p><ac:macro ac:name=\"content-by-user\"><ac:default-parameter>"
	    "admin</ac:default-parameter></ac:macro></p>"
	    "<p><ac:macro ac:name=\"im\"><ac:parameter ac:name=\"service\">"
	    "jabber</ac:parameter><ac:default-parameter>Admin"
	    "</ac:default-parameter></ac:macro></p>", 0,
	    "<p><ac:macro ac:name=\"content-by-user\"><ac:default-parameter>"
	    "<ri:user ri:account-id=\"A-1\" /></ac:default-parameter>"
	    "</ac:macro></p>"
	    "<p><ac:macro ac:name=\"im\"><ac:parameter ac:name=\"service\">"
	    "jabber</ac:parameter><ac:default-parameter>Admin"
	    "</ac:default-parameter></ac:macro></p>",
	    "macro-username:admin@1;", "content-by-user default, im not");
	st("<ac:structured-macro ac:name=\"network\" ac:schema-version=\"1\">"
	    "\n<ac:parameter ac:name=\"username\"> bob </ac:parameter>\n"
	    "<ac:parameter ac:name=\"\">followers</ac:parameter>"
	    "</ac:structured-macro>", 0,
	    "<ac:structured-macro ac:name=\"network\" ac:schema-version=\"1\">"
	    "\n<ac:parameter ac:name=\"username\"><ri:user "
	    "ri:account-id=\"712020:bbbb\" /></ac:parameter>\n"
	    "<ac:parameter ac:name=\"\">followers</ac:parameter>"
	    "</ac:structured-macro>",
	    "macro-username:bob@2;", "structured macro, trimmed text");
	st("<ac:structured-macro ac:name=\"profile\"><ac:parameter "
	    "ac:name=\"user\"><ri:user ri:userkey=\"k1\"/></ac:parameter>"
	    "</ac:structured-macro>", 0,
	    "<ac:structured-macro ac:name=\"profile\"><ac:parameter "
	    "ac:name=\"user\"><ri:user ri:account-id=\"557058:aaaa\"/>"
	    "</ac:parameter></ac:structured-macro>",
	    "body-userkey:k1@1;", "5.x profile param is a ri:user");
	st("<ac:structured-macro ac:name=\"info\"><ac:rich-text-body>"
	    "<ac:structured-macro ac:name=\"profile\"><ac:parameter "
	    "ac:name=\"user\">bob</ac:parameter></ac:structured-macro>"
	    "</ac:rich-text-body><ac:parameter ac:name=\"user\">bob"
	    "</ac:parameter></ac:structured-macro>", 0,
	    "<ac:structured-macro ac:name=\"info\"><ac:rich-text-body>"
	    "<ac:structured-macro ac:name=\"profile\"><ac:parameter "
	    "ac:name=\"user\"><ri:user ri:account-id=\"712020:bbbb\" />"
	    "</ac:parameter></ac:structured-macro>"
	    "</ac:rich-text-body><ac:parameter ac:name=\"user\">bob"
	    "</ac:parameter></ac:structured-macro>",
	    "macro-username:bob@1;", "nesting tracked");
	st("<ac:macro ac:name=\"PROFILE\"><ac:parameter ac:name='USER'>"
	    "a&amp;b</ac:parameter></ac:macro>", 0,
	    "<ac:macro ac:name=\"PROFILE\"><ac:parameter ac:name='USER'>"
	    "<ri:user ri:account-id=\"x&amp;y&lt;&quot;z&apos;\" />"
	    "</ac:parameter></ac:macro>",
	    "macro-username:a&b@1;", "case-insensitive names, escaping");
	st("&lt;ac:macro ac:name=&quot;profile&quot;&gt;&lt;ac:parameter "
	    "ac:name=&quot;user&quot;&gt;admin&lt;/ac:parameter&gt;"
	    "&lt;/ac:macro&gt;", 1,
	    "&lt;ac:macro ac:name=&quot;profile&quot;&gt;&lt;ac:parameter "
	    "ac:name=&quot;user&quot;&gt;&lt;ri:user ri:account-id=&quot;A-1"
	    "&quot; /&gt;&lt;/ac:parameter&gt;&lt;/ac:macro&gt;",
	    "macro-username:admin@1;", "escaped 4.x macro");
	st("&lt;ac:macro ac:name=\"profile\"&gt;&lt;ac:parameter "
	    "ac:name=\"user\"&gt;a&amp;amp;b&lt;/ac:parameter&gt;"
	    "&lt;/ac:macro&gt;", 1,
	    "&lt;ac:macro ac:name=\"profile\"&gt;&lt;ac:parameter "
	    "ac:name=\"user\"&gt;&lt;ri:user ri:account-id=\"x&amp;amp;y"
	    "&amp;lt;&amp;quot;z&amp;apos;\" /&gt;&lt;/ac:parameter&gt;"
	    "&lt;/ac:macro&gt;",
	    "macro-username:a&b@1;", "escaped macro, literal quotes");
	/* the synthetic real fixture body */
	st("\n        <p>\n         <ac:link><ri:user ri:username=\"UserName\" "
	    "/></ac:link>\n         <ac:link><ri:user ri:userkey=\""
	    "ff80808156e241950156e468e9510003\" /></ac:link>\n\n"
	    "         <ac:link><ri:user ri:username=\"C.ra ppy/User. /\" />"
	    "</ac:link>\n        </p>\n      ", 0,
	    "\n        <p>\n         <ac:link><ri:user "
	    "ri:account-id=\"acc-un\" "
	    "/></ac:link>\n         <ac:link><ri:user ri:account-id=\""
	    "acc-ff\" /></ac:link>\n\n"
	    "         <ac:link><ri:user ri:account-id=\"crappy\" />"
	    "</ac:link>\n        </p>\n      ",
	    "body-username:UserName@3;body-userkey:"
	    "ff80808156e241950156e468e9510003@4;"
	    "body-username:C.ra ppy/User. /@6;", "synthetic fixture body");
}

static void
wiki_tests(void)
{
	wk("Hi [~bob], see [Bob|~bob] and [Bob|~bob|tip].\n{profile:user=bob}"
	    "\n{profile:user=bob|x=y} {profile:x=y| user = bob }", 0,
	    "Hi [~712020:bbbb], see [Bob|~712020:bbbb] and "
	    "[Bob|~712020:bbbb|tip].\n{profile:user=712020:bbbb}"
	    "\n{profile:user=712020:bbbb|x=y} {profile:x=y| user = "
	    "712020:bbbb }",
	    "wiki-username:bob@1;wiki-username:bob@1;wiki-username:bob@1;"
	    "wiki-username:bob@2;wiki-username:bob@3;wiki-username:bob@3;",
	    "wiki forms");
	wk("{code}\n[~bob]\n{code}\n[~bob]{noformat}[~bob]{noformat}"
	    "{content-by-user:bob}", 0,
	    "{code}\n[~bob]\n{code}\n[~712020:bbbb]{noformat}[~bob]{noformat}"
	    "{content-by-user:712020:bbbb}",
	    "wiki-username:bob@4;wiki-username:bob@4;",
	    "code/noformat skipped");
	wk("[~a&amp;b] [~a&nbsp;] [~nomap]", 1,
	    "[~x&amp;y&lt;\"z'] [~a&nbsp;] [~nomap]",
	    "wiki-username:a&b@1;wiki-username:a&nbsp;@1;"
	    "wiki-username:nomap@1;", "escaped wiki");
	wk("[[~bob]]", 0, "[[~712020:bbbb]]", "wiki-username:bob@1;",
	    "nested bracket");
}

/* Truncations and byte flips of every body: must not crash or overread,
 * and a callback that rewrites nothing must leave every byte alone. */
static const char *const fuzzbodies[] = {
	"<ac:link><ri:user ri:userkey=\"k1\" ri:username=\"bob\" "
	    "ri:local-id='x'/></ac:link><ac:macro ac:name=\"profile\">"
	    "<ac:parameter ac:name=\"user\">a&amp;b</ac:parameter></ac:macro>"
	    "<ac:structured-macro ac:name=\"content-by-user\"><ac:parameter "
	    "ac:name=\"\">bob</ac:parameter></ac:structured-macro>"
	    "<!-- c --><![CDATA[x]] >",
	"&lt;ri:user ri:userkey=&quot;k1&quot; ri:username=\"bob\"&#10;/&gt;"
	    "&lt;ac:macro ac:name=&quot;status-list&quot;&gt;&lt;ac:parameter"
	    " ac:name=&quot;username&quot;&gt;admin&lt;/ac:parameter&gt;"
	    "&lt;/ac:macro&gt;&lt;!-- x --&gt;&lt;![CDATA[y]]&gt;&#x10FFFF;",
	"[~bob] [a|~b|c] {profile:user=x|y=z} {code:x}[~q]{code} "
	    "{noformat}{noformat} {content-by-user:u} \\[~q] ]] ",
	NULL
};

static void
fuzz_one(const char *b, size_t n, size_t *bad)
{
	struct ctx c = { STRBUF_INIT, NULL, 0, 1 };
	struct ctx r = { STRBUF_INIT, NULL, 1, 0 };
	struct strbuf out = STRBUF_INIT;
	char *copy;
	int esc, w;

	/* exact-size heap copy so ASan sees any overread */
	copy = xmalloc(n == 0 ? 1 : n);
	memcpy(copy, b, n);
	for (w = 0; w < 2; w++) {
		for (esc = 0; esc < 2; esc++) {
			sb_reset(&out);
			if (w)
				uref_wiki(copy, n, esc, cb, &c, &out);
			else
				uref_storage(copy, n, esc, cb, &c, &out);
			if (out.len != n || memcmp(sb_str(&out), copy, n) != 0)
				(*bad)++;
			sb_reset(&out);
			if (w)
				uref_wiki(copy, n, esc, cb, &r, &out);
			else
				uref_storage(copy, n, esc, cb, &r, &out);
			sb_reset(&c.log);
			sb_reset(&r.log);
		}
	}
	free(copy);
	sb_free(&out);
	sb_free(&c.log);
	sb_free(&r.log);
}

static void
fuzz_tests(void)
{
	static const char flips[] = "<>&\"'/=;#:[]{}|~\n\r \0x";
	size_t i, j, k, n, bad = 0, runs = 0;
	char *m;

	for (i = 0; fuzzbodies[i] != NULL; i++) {
		n = strlen(fuzzbodies[i]);
		for (j = 0; j <= n; j++) {	/* prefixes and suffixes */
			fuzz_one(fuzzbodies[i], j, &bad);
			fuzz_one(fuzzbodies[i] + j, n - j, &bad);
			runs += 2;
		}
		m = xmalloc(n);
		for (j = 0; j < n; j++) {
			for (k = 0; k < sizeof(flips) - 1; k++) {
				memcpy(m, fuzzbodies[i], n);
				m[j] = flips[k];
				fuzz_one(m, n, &bad);
				runs++;
			}
		}
		free(m);
	}
	for (i = 0; plain[i] != NULL; i++) {
		n = strlen(plain[i]);
		for (j = 0; j <= n; j++)
			fuzz_one(plain[i], j, &bad);
	}
	printf("# %zu fuzz runs\n", runs);
	ok(bad == 0, "truncations/byte flips: keep-all callback is identity");
}

static void
speed_test(void)
{
	struct ctx c = { STRBUF_INIT, NULL, 1, 0 };
	struct strbuf out = STRBUF_INIT, big = STRBUF_INIT;
	size_t i, n;

	for (i = 0; i < 20000; i++)
		sb_adds(&big, "<p>Some text &nbsp; <ac:image><ri:attachment "
		    "ri:filename=\"x.png\"/></ac:image></p>\n");
	n = uref_storage(big.buf, big.len, 0, cb, &c, &out);
	ok(n == 0 && out.len == big.len && c.log.len == 0,
	    "large body without references copied through");
	sb_adds(&big, "<ri:user ri:userkey=\"k1\"/>");
	sb_reset(&out);
	n = uref_storage(big.buf, big.len, 0, cb, &c, &out);
	ok(n == 1 && strcmp(sb_str(&c.log), "body-userkey:k1@20001;") == 0,
	    "reference at the end of a large body, line number");
	sb_free(&out);
	sb_free(&big);
	sb_free(&c.log);
}

int
main(int argc, char *argv[])
{
	(void)argc;
	diag_setprog(argv[0]);
	ok(strcmp(uref_kind_name(UREF_USERKEY), "body-userkey") == 0 &&
	    strcmp(uref_kind_name(UREF_WIKI_USERNAME), "wiki-username") == 0,
	    "kind names");
	identity_tests();
	storage_tests();
	wiki_regressions();
	macro_tests();
	wiki_tests();
	fuzz_tests();
	speed_test();
	return tap_done();
}
