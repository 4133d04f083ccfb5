/*
 * test_macros.c - the compiled macro compatibility table (lookup, order)
 * and the Jira macro reader on the body toolkit (jiramacro.h), on the
 * outer encodings a body can have.
 */
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "jiramacro.h"
#include "macrocompat.h"
#include "strbuf.h"
#include "tap.h"

static void
test_table(void)
{
	const struct macro_compat *mc;
	size_t i;
	int sorted = 1, found = 1;

	ok(macro_compat_count >= 70, "table has %zu rows", macro_compat_count);
	for (i = 1; i < macro_compat_count; i++)
		if (strcmp(macro_compat_table[i - 1].name,
		    macro_compat_table[i].name) >= 0)
			sorted = 0;
	ok(sorted, "rows strictly sorted (binary search needs it)");
	for (i = 0; i < macro_compat_count; i++) {
		const char *n = macro_compat_table[i].name;

		if (macro_compat_find(n, strlen(n)) != &macro_compat_table[i])
			found = 0;
	}
	ok(found, "every row is found by its name");
	mc = macro_compat_find("jiraissues", 10);
	ok(mc != NULL && mc->status == MC_RENAMED &&
	    strcmp(mc->cloud_name, "jira") == 0, "jiraissues: renamed to jira");
	mc = macro_compat_find("gadget", 6);
	ok(mc != NULL && mc->status == MC_NOT_AVAILABLE, "gadget: not available");
	ok(macro_compat_find("jira", 3) == NULL, "a prefix is not a name (jir)");
	ok(macro_compat_find("tocx", 4) == NULL, "a longer name is not found");
	ok(macro_compat_find("TOC", 3) == NULL, "names are case-sensitive");
	ok(macro_compat_find("", 0) == NULL, "empty name");
	ok(macro_compat_find("toc-zone", 3) != NULL &&
	    strcmp(macro_compat_find("toc-zone", 3)->name, "toc") == 0,
	    "the length bounds the name (toc of toc-zone)");
	is_str(macro_compat_status(MC_NEEDS_APP), "needs-app", "status words");
}

struct got {
	struct strbuf	 s;
};

static void
collect(struct body *b, const struct jira_macro *m, void *arg)
{
	struct got *g = arg;
	int i;

	(void)b;
	sb_addf(&g->s, "%s", m->name);
	for (i = 0; i < JP_N; i++)
		if (m->p[i].have)
			sb_addf(&g->s, " %d=%s%s", i, m->p[i].val.buf != NULL ?
			    m->p[i].val.buf : "", m->p[i].editable ? "" : "!");
	sb_addc(&g->s, ';');
}

static struct jira_scan js;

static void
rt(struct body *b, const struct btok *t, void *ctx)
{
	(void)ctx;
	jira_scan_token(&js, b, t);
}

static void
rb(struct body *b, void *ctx)
{
	(void)b;
	(void)ctx;
	jira_scan_begin(&js);
}

static const struct body_rule rule = {
	.name = "test", .formats = 1u << BODY_STORAGE,
	.storage_triggers = jira_triggers,
	.want = (1u << BT_START) | (1u << BT_END),
	.begin = rb, .token = rt,
};

static const char *
scan(const char *raw, enum body_outer outer, struct got *g)
{
	static struct body *b;
	struct body_rules r = { &rule, NULL };

	if (b == NULL)
		b = body_new();
	js.fn = collect;
	js.arg = g;
	sb_reset(&g->s);
	body_load_raw(b, raw, strlen(raw), outer, BODY_STORAGE, 0, 1);
	body_run(b, &r, 1);
	return sb_str(&g->s);
}

static void
test_jira(void)
{
	struct got g = { STRBUF_INIT };

	is_str(scan("<ac:structured-macro ac:name=\"jira\">"
	    "<ac:parameter ac:name=\"server\">A &amp; B</ac:parameter>"
	    "<ac:parameter ac:name=\"serverId\">x-1</ac:parameter>"
	    "<ac:parameter ac:name=\"key\">K-1</ac:parameter>"
	    "</ac:structured-macro>", BODY_OUTER_PLAIN, &g),
	    "jira 0=A & B 1=x-1 3=K-1;", "server, serverId, key; decoded");
	is_str(scan("&lt;ac:structured-macro ac:name=&quot;jirachart&quot;&gt;"
	    "&lt;ac:parameter ac:name=&quot;serverId&quot;&gt;u&lt;/ac:parameter&gt;"
	    "&lt;/ac:structured-macro&gt;", BODY_OUTER_TEXT, &g),
	    "jirachart 1=u;", "escaped-text body");
	is_str(scan("<ac:macro ac:name=\"jiraissues\"><ac:parameter "
	    "ac:name=\"url\">http://j/sr?a=1&amp;b=2</ac:parameter></ac:macro>",
	    BODY_OUTER_PLAIN, &g), "jiraissues 2=http://j/sr?a=1&b=2;",
	    "Confluence 4.0 ac:macro, legacy url");
	is_str(scan("<ac:structured-macro ac:name=\"ui-tabs\"><ac:rich-text-body>"
	    "<ac:structured-macro ac:name=\"jira\"><ac:parameter "
	    "ac:name=\"serverId\">in</ac:parameter><ac:rich-text-body>"
	    "<ac:structured-macro ac:name=\"x\"><ac:parameter ac:name=\"server\">"
	    "nested</ac:parameter></ac:structured-macro></ac:rich-text-body>"
	    "</ac:structured-macro></ac:rich-text-body></ac:structured-macro>",
	    BODY_OUTER_PLAIN, &g), "jira 1=in;",
	    "a nested macro's parameters are not the Jira macro's");
	is_str(scan("<ac:structured-macro ac:name=\"code\"><ac:plain-text-body>"
	    "<![CDATA[<ac:structured-macro ac:name=\"jira\"></ac:structured-macro>"
	    "]]></ac:plain-text-body></ac:structured-macro>", BODY_OUTER_PLAIN,
	    &g), "", "a Jira macro in a code sample is text");
	is_str(scan("<ac:structured-macro ac:name=\"jira\"><ac:parameter "
	    "ac:name=\"server\"/></ac:structured-macro>"
	    "<ac:structured-macro ac:name=\"jira\"/>", BODY_OUTER_PLAIN, &g),
	    "jira 0=!;jira;", "self-closed parameter and macro");
	is_str(scan("<ac:structured-macro ac:name=\"jira\"><ac:parameter "
	    "ac:name=\"serverId\">cut", BODY_OUTER_PLAIN, &g), "",
	    "a truncated macro is not reported");
	is_str(scan("<ac:structured-macro ac:name=\"jirax\"></ac:structured-macro>"
	    "<ac:structured-macro ac:name=\"JIRA\"></ac:structured-macro>",
	    BODY_OUTER_PLAIN, &g), "", "only jira, jiraissues, jirachart");
	/* a stray end tag: the end tag that looks like the parameter's pairs
	 * with another element; the "value" holds markup and is not edited
	 * (the fuzzer's reproducer repro/jira/macro-count-changes) */
	is_str(scan("<ac:macro a=\"\"><r e=\"\"><ac:structured-macro "
	    "ac:name=\"jira\"><ac:parameter ac:name=\"serverId\"></ac:macro>"
	    "<o c=\"\"><a><o e=\"\"><ac:parameter e=\"\"></ac:parameter>"
	    "</ac:macro>", BODY_OUTER_PLAIN, &g),
	    "jira 1=</ac:macro><o c=\"\"><a><o e=\"\"><ac:parameter e=\"\">!;",
	    "unpaired tags: the value holds markup, not editable");
	is_str(scan("<ac:structured-macro ac:name=\"jira\"><ac:parameter "
	    "ac:name=\"serverId\">a<!-- c -->b</ac:parameter>"
	    "</ac:structured-macro>", BODY_OUTER_PLAIN, &g),
	    "jira 1=a<!-- c -->b!;", "markup in a value: reported, not editable");
	sb_free(&g.s);
	jira_scan_free(&js);
}

int
main(void)
{
	test_table();
	test_jira();
	return tap_done();
}
