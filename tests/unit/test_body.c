/*
 * test_body.c - unit tests for the body toolkit (common/body.c) and the
 * XML-text toolkit (common/xmltext.c), and the rules written over them
 * (user references, space keys).  Expected bytes are built by hand from
 * the pieces of each input, and logical text is checked with a decoder
 * written here (not the toolkit's).  Prints TAP.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "diag.h"
#include "spacekey.h"
#include "strbuf.h"
#include "tap.h"
#include "userref.h"
#include "xmltext.h"

/* ---- an independent decoder of the outer encodings ----------------- */

/* Predefined entities and decimal/hex references, the way XML says. */
static void
ref_decode(struct strbuf *o, const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		const char *semi;
		unsigned long cp;
		char *end;

		if (s[i] != '&' || (semi = memchr(s + i, ';', n - i)) == NULL) {
			sb_addc(o, s[i++]);
			continue;
		}
		if (strncmp(s + i, "&amp;", 5) == 0) sb_addc(o, '&');
		else if (strncmp(s + i, "&lt;", 4) == 0) sb_addc(o, '<');
		else if (strncmp(s + i, "&gt;", 4) == 0) sb_addc(o, '>');
		else if (strncmp(s + i, "&quot;", 6) == 0) sb_addc(o, '"');
		else if (strncmp(s + i, "&apos;", 6) == 0) sb_addc(o, '\'');
		else if (s[i + 1] == '#') {
			cp = s[i + 2] == 'x' ? strtoul(s + i + 3, &end, 16) :
			    strtoul(s + i + 2, &end, 10);
			if (end != semi) {
				sb_addc(o, s[i++]);
				continue;
			}
			xt_utf8_add(o, cp);
		} else {
			sb_addc(o, s[i++]);
			continue;
		}
		i = (size_t)(semi - s) + 1;
	}
}

/* CDATA content: Java's replace("]] ", "]]") undone by hand. */
static void
cdata_decode(struct strbuf *o, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		sb_addc(o, s[i]);
		if (s[i] == ']' && i + 2 < n && s[i + 1] == ']' &&
		    s[i + 2] == ' ') {
			sb_addc(o, ']');
			i += 2;
		}
	}
}

static char *
logical(const char *raw, size_t n, enum body_outer outer)
{
	struct strbuf o = STRBUF_INIT;
	const char *p = raw, *e = raw + n, *c, *d;

	if (outer == BODY_OUTER_CDATA)
		cdata_decode(&o, raw, n);
	else if (outer == BODY_OUTER_TEXT)
		ref_decode(&o, raw, n);
	else
		while (p < e) {
			c = strstr(p, "<![CDATA[");
			if (c == NULL || c >= e)
				c = e;
			ref_decode(&o, p, (size_t)(c - p));
			if (c == e)
				break;
			d = strstr(c + 9, "]]>");
			cdata_decode(&o, c + 9, (size_t)(d - c - 9));
			p = d + 3;
		}
	sb_grow(&o, 0);
	return sb_detach(&o);
}

/* ---- a recording rule ------------------------------------------------ */

struct rec {
	struct strbuf	 log;
	int		 code;		/* want_code */
};

static void
rec_token(struct body *b, const struct btok *t, void *arg)
{
	struct rec *r = arg;
	const struct bframe *m = body_macro(b);
	size_t i;
	static const char *const kinds[] = { "S", "E", "T", "C", "!", "O",
	    "L", "M", "K" };

	if (t->kind == BT_TEXT)
		return;
	sb_addf(&r->log, "%s", kinds[t->kind]);
	if (t->name != NULL)
		sb_addf(&r->log, ":%.*s", (int)t->name_len, t->name);
	for (i = 0; i < t->nattr; i++)
		sb_addf(&r->log, " %.*s=%.*s", (int)t->attr[i].name_len,
		    t->attr[i].name, (int)t->attr[i].val_len, t->attr[i].val);
	if (t->flags & BT_IN_CODE)
		sb_adds(&r->log, " #code");
	if (t->flags & BT_IN_WIKI)
		sb_adds(&r->log, " #wiki");
	if (m != NULL && m->acname != NULL)
		sb_addf(&r->log, " @%s", m->acname);
	sb_adds(&r->log, ";");
}

static const struct body_rule rec_rule = {
	.name = "record",
	.formats = (1u << BODY_STORAGE) | (1u << BODY_WIKI),
	.token = rec_token,
};

static const struct body_rule rec_code_rule = {
	.name = "record-code",
	.formats = (1u << BODY_STORAGE) | (1u << BODY_WIKI),
	.want_code = 1,
	.token = rec_token,
};

static char *
tokens(const char *s, enum body_outer outer, enum body_format fmt, int code)
{
	struct body *b = body_new();
	struct rec r = { STRBUF_INIT, code };
	const struct body_rules row = { code ? &rec_code_rule : &rec_rule, &r };

	body_load_raw(b, s, strlen(s), outer, fmt, 0, 1);
	body_run(b, &row, 1);
	body_free(b);
	sb_grow(&r.log, 0);
	return sb_detach(&r.log);
}

/* ---- rules under test ------------------------------------------------ */

static int
to_acc(void *ctx, enum uref_kind kind, const char *v, size_t n, long line,
    const char **repl)
{
	size_t *seen = ctx;

	(*seen)++;
	if (kind == UREF_ACCOUNTID)
		return 0;
	*repl = kind == UREF_WIKI_USERNAME ? "accountid:ACC" : "ACC";
	return 1;
}

static int
count_only(void *ctx, enum uref_kind kind, const char *v, size_t n,
    long line, const char **repl)
{
	size_t *c = ctx;

	c[kind]++;
	return 0;
}

/* Run rule row over raw in outer encoding; new raw body to out. */
static size_t
run_rule(const struct body_rules *row, const char *raw, size_t n,
    enum body_outer outer, enum body_format fmt, struct strbuf *out)
{
	struct body *b = body_new();
	size_t ne;

	body_load_raw(b, raw, n, outer, fmt, 0, 1);
	ne = body_run(b, row, 1);
	sb_reset(out);
	body_apply(b, out);
	body_free(b);
	return ne;
}

/* ---- tests -------------------------------------------------------------- */

static void
test_xmltext(void)
{
	struct strbuf sb = STRBUF_INIT;
	char o[4], tmp[32];
	size_t ol;

	ok(xt_utf8_seq((const unsigned char *)"\xc3\xa9", 2) == 2 &&
	    xt_utf8_seq((const unsigned char *)"\xc3", 1) == -1 &&
	    xt_utf8_seq((const unsigned char *)"\xc0\x80", 2) == 0 &&
	    xt_utf8_seq((const unsigned char *)"\xed\xa0\x80", 3) == 0 &&
	    xt_utf8_seq((const unsigned char *)"\xf4\x90\x80\x80", 4) == 0,
	    "utf-8: valid, cut off, overlong, surrogate, beyond U+10FFFF");
	ok(xt_xml_char_len((const unsigned char *)"\x01", 1) == 0 &&
	    xt_xml_char_len((const unsigned char *)"\t", 1) == 1 &&
	    xt_xml_char_len((const unsigned char *)"\xef\xbf\xbe", 3) == 0 &&
	    xt_xml_char_len((const unsigned char *)"\xef\xbf\xbd", 3) == 3,
	    "xml char rule: controls, U+FFFE refused, U+FFFD kept");
	ok(xt_utf8_put(o, 0x20ac) == 3 && memcmp(o, "\xe2\x82\xac", 3) == 0,
	    "utf-8 encode U+20AC");
	ok(xt_ref("&#x20AC;x", 9, o, &ol) == 8 && ol == 3 &&
	    xt_ref("&quot;", 6, o, &ol) == 6 && o[0] == '"' &&
	    xt_ref("&nbsp;", 6, o, &ol) == 0 && xt_ref("&#0;", 4, o, &ol) == 0 &&
	    xt_ref("&#xD800;", 8, o, &ol) == 0,
	    "references: hex, predefined; &nbsp;, &#0; and surrogates are not");
	xt_decode(&sb, "a&amp;lt;&#65;&nbsp;&", 21);
	is_str(sb_str(&sb), "a&lt;A&nbsp;&", "xt_decode: one level, unknown kept");
	strcpy(tmp, "a]] b]] ]] c]]");
	ok(xt_cdata_unescape(tmp, strlen(tmp)) == 11 &&
	    strcmp(tmp, "a]]b]]]]c]]") == 0, "cdata unescape");
	sb_reset(&sb);
	xt_add_attr(&sb, "a]&\"<'", 6);
	is_str(sb_str(&sb), "a&#93;&amp;&quot;&lt;&apos;", "attribute encoding");
	sb_reset(&sb);
	xt_add_inner_cdata(&sb, "x]]>y]]]>z", 10);
	is_str(sb_str(&sb), "x]]]]><![CDATA[>y]]]]]><![CDATA[>z",
	    "inner cdata: ]]> split");
	sb_reset(&sb);
	ok(xt_add_cdata_content(&sb, "]\x01]>", 4) == 1 &&
	    strcmp(sb_str(&sb), "]] >") == 0,
	    "cdata content: dropped byte cannot make ]]>");
	sb_free(&sb);
}

static void
test_identity(void)
{
	static const struct { const char *raw; enum body_outer o; } in[] = {
		{ "<p>a]] b</p><ac:plain-text-body><![CDATA[x]] >]] ></ac:"
		    "plain-text-body>", BODY_OUTER_CDATA },
		{ "&lt;p&gt;&amp;nbsp;&#10;&lt;ri:user ri:userkey=&quot;k&quot;"
		    "/&gt;&", BODY_OUTER_TEXT },
		{ "<![CDATA[<p>a]]]]><![CDATA[>b</p>]]>&lt;x/&gt;<![CDATA[]]>",
		    BODY_OUTER_MIXED },
		{ "", BODY_OUTER_CDATA },
		{ "<![CDATA[unterminated", BODY_OUTER_MIXED },
	};
	struct rec r = { STRBUF_INIT, 0 };
	const struct body_rules row = { &rec_rule, &r };
	struct strbuf out = STRBUF_INIT;
	size_t i, bad = 0, badl = 0, n;
	struct body *b = body_new();
	char *want;
	const char *L;

	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		body_load_raw(b, in[i].raw, strlen(in[i].raw), in[i].o,
		    BODY_STORAGE, 0, 1);
		body_run(b, &row, 1);
		sb_reset(&out);
		body_apply(b, &out);
		if (out.len != strlen(in[i].raw) ||
		    memcmp(out.buf, in[i].raw, out.len) != 0)
			bad++;
		if (in[i].o == BODY_OUTER_MIXED && i == 4)
			continue;
		want = logical(in[i].raw, strlen(in[i].raw), in[i].o);
		L = body_text(b, &n);
		if (n != strlen(want) || memcmp(L, want, n) != 0) {
			printf("# logical %zu: [%.*s] want [%s]\n", i, (int)n,
			    L, want);
			badl++;
		}
		free(want);
	}
	ok(bad == 0, "no edit: every body comes back byte for byte");
	ok(badl == 0, "logical text matches an independent decoder");
	body_free(b);
	sb_free(&out);
	sb_free(&r.log);
}

static void
test_tokens(void)
{
	char *t;

	t = tokens("<ac:structured-macro ac:name=\"code\"><ac:parameter "
	    "ac:name=\"language\">c</ac:parameter><ac:plain-text-body><![CDATA["
	    "<ri:user ri:userkey=\"k\"/>]]></ac:plain-text-body>"
	    "</ac:structured-macro><!-- <ri:user ri:userkey=\"k\"/> -->",
	    BODY_OUTER_PLAIN, BODY_STORAGE, 1);
	is_str(t, "S:ac:structured-macro ac:name=code;"
	    "S:ac:parameter ac:name=language @code;E:ac:parameter @code;"
	    "S:ac:plain-text-body @code;C #code @code;"
	    "E:ac:plain-text-body @code;E:ac:structured-macro @code;!;",
	    "storage tokens: code CDATA and comments are not markup");
	free(t);
	t = tokens("<ac:structured-macro ac:name=\"code\"><ac:plain-text-body>"
	    "<![CDATA[x]]></ac:plain-text-body></ac:structured-macro>",
	    BODY_OUTER_PLAIN, BODY_STORAGE, 0);
	is_str(t, "S:ac:structured-macro ac:name=code;"
	    "S:ac:plain-text-body @code;E:ac:plain-text-body @code;"
	    "E:ac:structured-macro @code;",
	    "code tokens reach only rules that want them");
	free(t);
	t = tokens("&lt;ac:structured-macro ac:name=&quot;unmigrated-wiki-"
	    "markup&quot;&gt;&lt;ac:plain-text-body&gt;&lt;![CDATA[[~bob] "
	    "{code}[~x]{code}]]&gt;&lt;/ac:plain-text-body&gt;&lt;/ac:"
	    "structured-macro&gt;", BODY_OUTER_TEXT, BODY_STORAGE, 0);
	is_str(t, "S:ac:structured-macro ac:name=unmigrated-wiki-markup;"
	    "S:ac:plain-text-body @unmigrated-wiki-markup;"
	    "C @unmigrated-wiki-markup;L link=~bob #wiki "
	    "@unmigrated-wiki-markup;E:ac:plain-text-body "
	    "@unmigrated-wiki-markup;E:ac:structured-macro "
	    "@unmigrated-wiki-markup;",
	    "unmigrated-wiki-markup body tokenised as wiki (escaped outer)");
	free(t);
	t = tokens("<a href='http://x/?a=1&amp;b=2'>t</a><ac:link><ri:page "
	    "ri:content-title=\"a &lt; b\"/></ac:link><p a=\"<\">x</p>",
	    BODY_OUTER_CDATA, BODY_STORAGE, 0);
	is_str(t, "S:a href=http://x/?a=1&b=2;E:a;S:ac:link;"
	    "S:ri:page ri:content-title=a < b;E:ac:link;O;O;E:p;",
	    "attribute values decoded; '<' in a value is not a tag");
	free(t);
	t = tokens("[a|http://x|tip] [~bob] \\[~no] {info} {profile:user=bob|"
	    "x = y} {noformat}[~z]{noformat} [x\n]",
	    BODY_OUTER_PLAIN, BODY_WIKI, 1);
	is_str(t, "L alias=a link=http://x tip=tip;L link=~bob;M:info;"
	    "M:profile user=bob x=y;K:noformat #code;",
	    "wiki tokens: links, macros, parameters, {noformat}");
	free(t);
}

static void
test_spacekey(void)
{
	/* pieces: real references and look-alikes in code, plain text,
	 * comments; the expected output is the same pieces with NEW. */
	const char *pre = "<p><ac:link><ri:page ri:space-key=\"";
	const char *mid1 = "\" ri:content-title=\"T\"/></ac:link>"
	    "<ac:structured-macro ac:name=\"code\"><ac:plain-text-body>"
	    "<![CDATA[<ri:space ri:space-key=\"OLD\"/>]]></ac:plain-text-body>"
	    "</ac:structured-macro><ac:structured-macro ac:name=\"noformat\">"
	    "<ac:plain-text-body><![CDATA[ri:space-key=\"OLD\" <ri:page "
	    "ri:space-key='OLD'/>]]></ac:plain-text-body></ac:structured-macro>"
	    "<!-- <ri:space ri:space-key=\"OLD\"/> -->"
	    "<ac:structured-macro ac:name=\"include\"><ac:parameter ac:name=\"\">"
	    "<ac:link><ri:page ri:space-key='";
	const char *mid2 = "' ri:content-title=\"I\"/></ac:link></ac:parameter>"
	    "</ac:structured-macro><ri:space ri:space-key=\"";
	const char *post = "\"/></p>";
	struct spacekey_ctx c = { "OLD", "NEW", 0 };
	const struct body_rules row = { &spacekey_rule, &c };
	struct strbuf in = STRBUF_INIT, want = STRBUF_INIT, out = STRBUF_INIT;

	sb_addf(&in, "%s%s%s%s%s%s%s", pre, "OLD", mid1, "old", mid2, "Old",
	    post);
	sb_addf(&want, "%s%s%s%s%s%s%s", pre, "NEW", mid1, "NEW", mid2, "NEW",
	    post);
	run_rule(&row, in.buf, in.len, BODY_OUTER_CDATA, BODY_STORAGE, &out);
	ok(c.renamed == 3, "space key: every real ri:space-key renamed (%zu)",
	    c.renamed);
	is_str(sb_str(&out), want.buf, "space key: code macro CDATA, plain-text "
	    "body and comment untouched, byte for byte");
	sb_free(&in);
	sb_free(&want);
	sb_free(&out);
}

/*
 * A body in several CDATA sections mixed with text, a user reference in
 * each section: only the rewritten attributes change.
 */
static void
test_multi_cdata(void)
{
	static const char *const seg[] = {
		"<![CDATA[<p>one <ri:user ri:userkey=\"", "k1",
		"\"/> a]]]]><![CDATA[>b</p>]]>",
		"&lt;p&gt;&amp;nbsp;&lt;/p&gt;\n",
		"<![CDATA[<p>two <ac:link><ri:user ri:username='", "bob",
		"'/></ac:link>]]>",
		"<![CDATA[<ac:structured-macro ac:name=\"profile\"><ac:parameter "
		"ac:name=\"user\">", "admin", "</ac:parameter>"
		"</ac:structured-macro>]] ]]>",
	};
	struct strbuf in = STRBUF_INIT, want = STRBUF_INIT, out = STRBUF_INIT;
	size_t seen = 0, i, cnt[UREF_NKINDS] = { 0 };
	struct uref_rule_ctx c = { to_acc, &seen, 0 };
	struct uref_rule_ctx c2 = { count_only, cnt, 0 };
	const struct body_rules row = { &uref_rule, &c };
	const struct body_rules row2 = { &uref_rule, &c2 };
	char *l1, *l2;

	for (i = 0; i < sizeof(seg) / sizeof(seg[0]); i++) {
		sb_adds(&in, seg[i]);
		if (i == 1)
			sb_adds(&want, "ACC");
		else if (i == 5)
			sb_adds(&want, "ACC");
		else if (i == 8)
			sb_adds(&want, "<ri:user ri:account-id=\"ACC\" />");
		else if (i == 0)
			sb_adds(&want, "<![CDATA[<p>one <ri:user "
			    "ri:account-id=\"");
		else if (i == 4)
			sb_adds(&want, "<![CDATA[<p>two <ac:link><ri:user "
			    "ri:account-id='");
		else
			sb_adds(&want, seg[i]);
	}
	run_rule(&row, in.buf, in.len, BODY_OUTER_MIXED, BODY_STORAGE, &out);
	ok(seen == 3 && c.nrew == 3, "multi-CDATA: three references (%zu/%zu)",
	    seen, c.nrew);
	is_str(sb_str(&out), want.buf, "multi-CDATA: every byte outside the "
	    "rewritten attributes unchanged, sections kept");
	/* re-tokenise: exactly the rewritten references, as account ids */
	run_rule(&row2, out.buf, out.len, BODY_OUTER_MIXED, BODY_STORAGE, &in);
	ok(cnt[UREF_ACCOUNTID] == 3 && cnt[UREF_USERKEY] == 0 &&
	    cnt[UREF_USERNAME] == 0 && cnt[UREF_MACRO_USERNAME] == 0,
	    "re-tokenised: three account ids and nothing else");
	/* logical: the same as editing the decoded text by hand */
	l1 = logical(out.buf, out.len, BODY_OUTER_MIXED);
	l2 = logical(want.buf, want.len, BODY_OUTER_MIXED);
	is_str(l1, l2, "multi-CDATA: logical text as expected");
	free(l1);
	free(l2);
	sb_free(&in);
	sb_free(&want);
	sb_free(&out);
}

/* Edits at awkward places: ] neighbours in CDATA, across sections. */
static void
test_edges(void)
{
	struct body *b = body_new();
	struct strbuf out = STRBUF_INIT;
	char *l;
	const char *raw;

	/* insert "]>" right after a ']' in a CDATA body: no "]]>" */
	raw = "a]b";
	body_load_raw(b, raw, 3, BODY_OUTER_CDATA, BODY_STORAGE, 0, 1);
	ok(body_edit(b, 2, 0, "]>", 2, BE_MARKUP) == 0, "insert after ']'");
	body_apply(b, &out);
	l = logical(out.buf, out.len, BODY_OUTER_CDATA);
	ok(strstr(out.buf, "]]>") == NULL && strcmp(l, "a]]>b") == 0,
	    "cdata: ']' + ']>' written safely (%s -> %s)", out.buf, l);
	free(l);
	/* replace a span crossing a CDATA / text boundary */
	raw = "<![CDATA[ab]]>c&amp;d";
	body_load_raw(b, raw, strlen(raw), BODY_OUTER_MIXED, BODY_STORAGE, 0, 1);
	ok(body_edit(b, 1, 3, "X<Y", 3, BE_MARKUP) == 0, "edit across sections");
	sb_reset(&out);
	body_apply(b, &out);
	l = logical(out.buf, out.len, BODY_OUTER_MIXED);
	is_str(l, "aX<Yd", "mixed: crossing edit decodes as intended");
	ok(strncmp(out.buf, "<![CDATA[a", 10) == 0 &&
	    strcmp(out.buf + out.len - 5, "&amp;") != 0 &&
	    strstr(out.buf, "d") != NULL, "mixed: bytes outside kept (%s)",
	    out.buf);
	free(l);
	/* a reference replaced whole; an overlapping edit refused */
	raw = "x&#233;y";
	body_load_raw(b, raw, strlen(raw), BODY_OUTER_TEXT, BODY_STORAGE, 0, 1);
	ok(body_edit(b, 1, 2, "e", 1, BE_MARKUP) == 0 &&
	    body_edit(b, 2, 1, "W", 1, BE_MARKUP) == -1,
	    "edit of a reference; overlapping edit refused");
	sb_reset(&out);
	body_apply(b, &out);
	is_str(sb_str(&out), "xey", "text: reference replaced");
	/* an edit inside a "]] " escape widens to all of it */
	raw = "a]] b";
	body_load_raw(b, raw, strlen(raw), BODY_OUTER_CDATA, BODY_STORAGE, 0, 1);
	ok(body_edit(b, 2, 1, "Z", 1, BE_MARKUP) == 0, "edit inside ]] ");
	sb_reset(&out);
	body_apply(b, &out);
	l = logical(out.buf, out.len, BODY_OUTER_CDATA);
	ok(strcmp(out.buf, "a]Zb") == 0 && strcmp(l, "a]Zb") == 0,
	    "cdata: the rest of the escape re-encoded (%s)", out.buf);
	free(l);
	/* text context: new '<' and '&' escaped; "]]" + ">" stays legal */
	raw = "p]]&gt;";
	body_load_raw(b, raw, strlen(raw), BODY_OUTER_TEXT, BODY_STORAGE, 0, 1);
	ok(body_edit(b, 1, 0, "<&", 2, BE_MARKUP) == 0, "text insertion");
	sb_reset(&out);
	body_apply(b, &out);
	is_str(sb_str(&out), "p&lt;&amp;]]&gt;", "text: new bytes escaped");
	body_free(b);
	sb_free(&out);
}

/* Issue 12 defect 16: a lone CR ends a wiki macro as LF does. */
static void
test_wiki_cr(void)
{
	size_t cnt[UREF_NKINDS] = { 0 };
	struct uref_rule_ctx c = { count_only, cnt, 0 };
	const struct body_rules row = { &uref_rule, &c };
	struct strbuf out = STRBUF_INIT;
	const char *in[] = { "{profile:user=bob\r}", "{profile:user=bob\n}",
	    "{profile:user=\rbob}", "{profile:user=bob}" };
	size_t i;

	for (i = 0; i < 4; i++)
		run_rule(&row, in[i], strlen(in[i]), BODY_OUTER_CDATA,
		    BODY_WIKI, &out);
	ok(cnt[UREF_WIKI_USERNAME] == 1, "wiki macro parameters do not span a "
	    "lone CR or LF: one reference of four (%zu)",
	    cnt[UREF_WIKI_USERNAME]);
	sb_free(&out);
}

/* Splices: order, insertions first, overlap refused. */
static void
test_splices(void)
{
	struct splices sp = SPLICES_INIT;
	struct strbuf out = STRBUF_INIT;

	splice_add(&sp, 4, 1, "E", 1);
	splice_add(&sp, 0, 0, "<", 1);
	splice_add(&sp, 4, 0, "+", 1);
	splice_add(&sp, 1, 2, "", 0);
	ok(splice_apply(&sp, "abcdef", 6, tap_sb_write, &out) == 0, "splices applied");
	is_str(sb_str(&out), "<ad+Ef", "splices: order and insertions");
	splice_add(&sp, 2, 2, "x", 1);
	sb_reset(&out);
	ok(splice_apply(&sp, "abcdef", 6, tap_sb_write, &out) == -1 && out.len == 0,
	    "splices: overlap refused, nothing written");
	splice_free(&sp);
	sb_free(&out);
}

/*
 * A trigger the raw bytes hide: "ri:user" split across CDATA sections,
 * or spelt with a character reference.  The rule must still run (the
 * first rewrite below found it only because "ri:userkey" holds
 * "ri:user"; its output, "ri:account-id", holds no trigger in raw).
 */
static void
test_hidden_triggers(void)
{
	static const struct { const char *raw; enum body_outer o; } in[] = {
		{ "<![CDATA[<p><ri]]>:user ri:account-id=\"A\"/> a",
		    BODY_OUTER_MIXED },
		{ "<![CDATA[<p><ri:]]>user ri:account-id=\"A\"/>",
		    BODY_OUTER_MIXED },
		{ "&lt;ri&#58;user ri:account-id=\"A\"/>", BODY_OUTER_TEXT },
		{ "&lt;ri&#x3a;us&#101;r ri:account-id=\"A\"/>",
		    BODY_OUTER_TEXT },
	};
	struct strbuf out = STRBUF_INIT;
	size_t i, cnt[UREF_NKINDS];
	struct uref_rule_ctx c = { count_only, cnt, 0 };
	const struct body_rules row = { &uref_rule, &c };

	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		memset(cnt, 0, sizeof(cnt));
		sb_reset(&out);
		run_rule(&row, in[i].raw, strlen(in[i].raw), in[i].o,
		    BODY_STORAGE, &out);
		ok(cnt[UREF_ACCOUNTID] == 1, "hidden trigger %zu: the "
		    "reference is found (%s)", i, in[i].raw);
	}
	sb_free(&out);
}

int
main(int argc, char *argv[])
{
	(void)argc;
	diag_setprog(argv[0]);
	test_xmltext();
	test_identity();
	test_tokens();
	test_spacekey();
	test_multi_cdata();
	test_edges();
	test_hidden_triggers();
	test_wiki_cr();
	test_splices();
	return tap_done();
}
