/*
 * test_linkrule.c - the link rule over the body toolkit: every form of
 * old-server link rewritten to the right id-free storage link, every byte
 * around it unchanged, everything else left and reported.  The expected
 * bodies are written by hand from the storage-format reference
 * (../shared/docs/links-and-macros.md §2.1), not taken from the program.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "diag.h"
#include "tap.h"
#include "linkindex.h"
#include "links.h"
#include "strbuf.h"

static struct strbuf reports = STRBUF_INIT;

static void
on_unresolved(void *u, struct body *b, const char *url, size_t n,
    const char *why, size_t off)
{
	(void)u;
	sb_addf(&reports, "%.*s (%s) @%ld;", (int)n, url, why, body_line(b, off));
}

static struct link_rule_ctx ctx;

static const char *
run(const char *in, enum body_outer outer, enum body_format fmt)
{
	static struct strbuf out = STRBUF_INIT;
	static struct body *b;
	const struct body_rules row = { &link_rule, &ctx };

	if (b == NULL)
		b = body_new();
	sb_reset(&out);
	sb_reset(&reports);
	body_load_raw(b, in, strlen(in), outer, fmt, 0, 1);
	body_run(b, &row, 1);
	body_apply(b, &out);
	return sb_str(&out);
}

static void
is_body(const char *in, const char *want, const char *name)
{
	is_str(run(in, BODY_OUTER_PLAIN, BODY_STORAGE), want, name);
}

int
main(void)
{
	struct link_bases *lb = link_bases_new();
	struct linkidx *li;
	const char *why;
	uint64_t total = 0;
	int f, o;

	diag_setprog("test_linkrule");
	if (link_bases_add(lb, "https://wiki.corp/confluence", &why) != 0 ||
	    link_bases_add(lb, "http://old:8090", &why) != 0)
		return 1;
	li = linkidx_open();
	linkidx_space(li, "10", "ENG");
	linkidx_space(li, "20", "OPS");
	linkidx_content(li, "100", "Page", "10", "Run & Book", NULL, NULL, 1);
	linkidx_content(li, "101", "BlogPost", "10", "Leap", "2024-02-29 1", NULL, 1);
	linkidx_content(li, "200", "Page", "20", "Pager", NULL, NULL, 1);
	linkidx_content(li, "201", "Page", "20", "A:B", NULL, NULL, 1);
	linkidx_attachment(li, "100", "d.png", 1);
	ctx.bases = lb;
	ctx.idx = li;
	ctx.self_key = "ENG";
	ctx.unresolved = on_unresolved;

	is_body("<p>x <a href=\"https://wiki.corp/confluence/display/ENG/Run+%26+Book#Run&amp;Book-Steps\">the <b>book</b></a> y</p>",
	    "<p>x <ac:link ac:anchor=\"Run&amp;Book-Steps\"><ri:page ri:content-title=\"Run &amp; Book\" /><ac:link-body>the <b>book</b></ac:link-body></ac:link> y</p>",
	    "<a href> into this space: no space key, anchor, body kept");
	is_body("<a href=\"//wiki.corp/confluence/x/FAAAAA\">t</a>",
	    "<a href=\"//wiki.corp/confluence/x/FAAAAA\">t</a>",
	    "a tiny link to an id in no export is left");
	is_str(reports.buf, "//wiki.corp/confluence/x/FAAAAA (id in no export "
	    "(or not a current page or blog post)) @1;", "... and reported");
	is_body("<a href=\"http://old:8090/pages/viewpage.action?pageId=200\">p</a>",
	    "<ac:link><ri:page ri:space-key=\"OPS\" ri:content-title=\"Pager\" /><ac:link-body>p</ac:link-body></ac:link>",
	    "pageId into another space names the key");
	is_body("<a href=\"https://wiki.corp/confluence/display/ENG/2024/02/29/Leap\" />",
	    "<ac:link><ri:blog-post ri:content-title=\"Leap\" ri:posting-day=\"2024/02/29\" /></ac:link>",
	    "self-closing <a> to a blog post");
	is_body("<a href=\"https://wiki.corp/confluence/download/attachments/100/d.png?api=v2\">f</a>",
	    "<ac:link><ri:attachment ri:filename=\"d.png\"><ri:page ri:content-title=\"Run &amp; Book\" /></ri:attachment><ac:link-body>f</ac:link-body></ac:link>",
	    "attachment download link");
	is_body("<ac:image ac:width=\"50\"><ri:url ri:value=\"https://wiki.corp/confluence/download/thumbnails/100/d.png\" /></ac:image>",
	    "<ac:image ac:width=\"50\"><ri:attachment ri:filename=\"d.png\"><ri:page ri:content-title=\"Run &amp; Book\" /></ri:attachment></ac:image>",
	    "image by thumbnail URL becomes the attachment");
	is_body("<ac:image><ri:url ri:value=\"https://wiki.corp/confluence/display/ENG/Run+%26+Book\" /></ac:image>",
	    "<ac:image><ri:url ri:value=\"https://wiki.corp/confluence/display/ENG/Run+%26+Book\" /></ac:image>",
	    "image URL naming a page is left");
	is_body("<ac:link><ri:url ri:value=\"https://wiki.corp/confluence/display/OPS#top\" /><ac:plain-text-link-body><![CDATA[ops]]></ac:plain-text-link-body></ac:link>",
	    "<ac:link ac:anchor=\"top\"><ri:space ri:space-key=\"OPS\" /><ac:plain-text-link-body><![CDATA[ops]]></ac:plain-text-link-body></ac:link>",
	    "ri:url in ac:link: space home, anchor moved onto ac:link");
	is_body("<ac:link><ri:content-entity ri:content-id=\"101\" /></ac:link>",
	    "<ac:link><ri:blog-post ri:content-title=\"Leap\" ri:posting-day=\"2024/02/29\" /></ac:link>",
	    "content-entity by id");
	is_body("<a href=\"https://elsewhere.org/display/ENG/X\">e</a><a href=\"mailto:x@y\">m</a>",
	    "<a href=\"https://elsewhere.org/display/ENG/X\">e</a><a href=\"mailto:x@y\">m</a>",
	    "external links untouched");
	is_body("<ac:structured-macro ac:name=\"code\"><ac:plain-text-body><![CDATA[<a href=\"https://wiki.corp/confluence/display/ENG/Run+%26+Book\">c</a>]]></ac:plain-text-body></ac:structured-macro><!-- <a href=\"http://old:8090/x/ZA\">c</a> -->",
	    "<ac:structured-macro ac:name=\"code\"><ac:plain-text-body><![CDATA[<a href=\"https://wiki.corp/confluence/display/ENG/Run+%26+Book\">c</a>]]></ac:plain-text-body></ac:structured-macro><!-- <a href=\"http://old:8090/x/ZA\">c</a> -->",
	    "code macro and comment untouched");
	is_body("<a href=\"https://wiki.corp/confluence/label/ENG/x\">l</a>",
	    "<a href=\"https://wiki.corp/confluence/label/ENG/x\">l</a>",
	    "label page left");
	is_str(reports.buf, "https://wiki.corp/confluence/label/ENG/x (label page) @1;",
	    "... and reported with why");
	is_body("<a href=\"https://wiki.corp/confluence/display/ENG/Run+%26+Book\">never closed",
	    "<a href=\"https://wiki.corp/confluence/display/ENG/Run+%26+Book\">never closed",
	    "an <a> never closed is left");

	/* Outer encodings: CDATA with the "]] " escape, and escaped text. */
	is_str(run("x]] <a href=\"http://old:8090/display/ENG/Run+%26+Book\">]] </a>",
	    BODY_OUTER_CDATA, BODY_STORAGE),
	    "x]] <ac:link><ri:page ri:content-title=\"Run &amp; Book\" /><ac:link-body>]] </ac:link-body></ac:link>",
	    "CDATA outer: escapes around the link kept");
	is_str(run("&lt;a href=&quot;http://old:8090/display/ENG/Run+%26+Book&quot;&gt;t&lt;/a&gt;",
	    BODY_OUTER_TEXT, BODY_STORAGE),
	    "&lt;ac:link&gt;&lt;ri:page ri:content-title=&quot;Run &amp;amp; Book&quot; /&gt;&lt;ac:link-body&gt;t&lt;/ac:link-body&gt;&lt;/ac:link&gt;",
	    "escaped-text outer: the new markup escaped once more");

	/* Wiki markup. */
	is_str(run("see [the book|http://old:8090/display/ENG/Run+%26+Book#s] and [http://old:8090/pages/viewpage.action?pageId=201]",
	    BODY_OUTER_PLAIN, BODY_WIKI),
	    "see [the book|Run & Book#s] and [OPS:A:B]",
	    "wiki links: own space without key, other space with it");
	is_str(run("[f|https://wiki.corp/confluence/download/attachments/100/d.png] [b|http://old:8090/display/ENG/2024/02/29/Leap] [s|http://old:8090/display/OPS/]",
	    BODY_OUTER_PLAIN, BODY_WIKI),
	    "[f|Run & Book^d.png] [b|/2024/02/29/Leap] [s|OPS:]",
	    "wiki attachment, blog post and space home");
	is_str(run("{code}[x|http://old:8090/display/ENG/Run+%26+Book]{code}",
	    BODY_OUTER_PLAIN, BODY_WIKI),
	    "{code}[x|http://old:8090/display/ENG/Run+%26+Book]{code}",
	    "wiki {code} untouched");

	/* The memo: a URL met again resolves as the first time, from the
	 * memo (the same bytes out, the same report); and a different URL
	 * in the same slot is not mistaken for it. */
	{
		const char *in = "<a href=\"http://old:8090/display/ENG/Run+%26+Book#s\">a</a>"
		    "<a href=\"http://old:8090/display/NOPE/x\">b</a>";
		char *first, *rep1;
		uint64_t saved[LINK_NFORMS][LO_NOUTCOMES];

		memcpy(saved, ctx.n, sizeof(saved));
		first = xstrdup(run(in, BODY_OUTER_PLAIN, BODY_STORAGE));
		rep1 = xstrdup(sb_str(&reports));
		is_str(run(in, BODY_OUTER_PLAIN, BODY_STORAGE), first,
		    "memo: the second run writes the same bytes");
		is_str(sb_str(&reports), rep1, "memo: and reports the same");
		ok(ctx.n[LF_PAGE_TITLE][LO_REWRITTEN] ==
		    saved[LF_PAGE_TITLE][LO_REWRITTEN] + 2, "memo: counted twice");
		memcpy(ctx.n, saved, sizeof(saved));
		free(first);
		free(rep1);
	}

	/* The accounting adds up: every counted link has one outcome. */
	for (f = 0; f < LINK_NFORMS; f++)
		for (o = 0; o < LO_NOUTCOMES; o++)
			total += ctx.n[f][o];
	ok(ctx.n[LF_PAGE_TITLE][LO_REWRITTEN] == 4,
	    "page-title rewritten: %llu", (unsigned long long)ctx.n[LF_PAGE_TITLE][LO_REWRITTEN]);
	ok(ctx.n[LF_PAGE_ID][LO_CROSS_SPACE] == 2, "page-id cross-space");
	ok(ctx.n[LF_EXTERNAL][LO_EXTERNAL] == 1, "one external (mailto not counted)");
	ok(ctx.n[LINK_CONTENT_ENTITY][LO_REWRITTEN] == 1, "content-entity");
	ok(ctx.n[LF_UNSUPPORTED][LO_UNRESOLVED] == 1, "label page unresolved");
	ok(total == 19, "19 links counted, %llu", (unsigned long long)total);
	link_rule_free(&ctx);
	linkidx_close(li);
	link_bases_free(lb);
	sb_free(&reports);
	return tap_done();
}
