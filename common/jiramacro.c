/*
 * jiramacro.c - Jira macro parameters from body toolkit tokens (see
 * jiramacro.h).
 *
 * Shapes read (links-and-macros.md section 6.1):
 *   <ac:structured-macro ac:name="jira">
 *     <ac:parameter ac:name="server">NAME</ac:parameter>
 *     <ac:parameter ac:name="serverId">UUID</ac:parameter>
 *     <ac:parameter ac:name="key">ABC-1</ac:parameter> | jqlQuery ...
 *   legacy: ac:name="jiraissues" with a url parameter (the Server Jira's
 *   searchrequest-xml view); Confluence 4.0 bodies write <ac:macro>.
 * Only the macro's own parameters count (a parameter of a macro nested in
 * it does not), by depth: the macro's start tag has d open ancestors, its
 * parameters' start tags d + 1.
 */
#include <string.h>

#include "jiramacro.h"

const char *const jira_triggers[] = { "jira", NULL };

static const char *const pnames[JP_N] = {
	[JP_SERVER] = "server", [JP_SERVER_ID] = "serverId", [JP_URL] = "url",
	[JP_KEY] = "key", [JP_JQL] = "jqlQuery"
};

int
jira_is_macro(const char *name, size_t n)
{
	return (n == 4 && memcmp(name, "jira", 4) == 0) ||
	    (n == 10 && memcmp(name, "jiraissues", 10) == 0) ||
	    (n == 9 && memcmp(name, "jirachart", 9) == 0);
}

static int
is_macro_tag(const struct btok *t)
{
	return btok_is(t, "ac:structured-macro") || btok_is(t, "ac:macro");
}

void
jira_scan_begin(struct jira_scan *js)
{
	js->in = 0;
	js->param = -1;
}

static void
start_macro(struct jira_scan *js, struct body *b, const struct btok *t,
    const struct battr *a)
{
	int i;

	js->in = 1;
	js->depth = body_depth(b);
	js->param = -1;
	memcpy(js->m.name, a->val, a->val_len);
	js->m.name[a->val_len] = '\0';
	js->m.off = t->off;
	for (i = 0; i < JP_N; i++) {
		js->m.p[i].have = js->m.p[i].editable = js->m.p[i].cut = 0;
		js->m.p[i].voff = js->m.p[i].vlen = 0;
		sb_reset(&js->m.p[i].val);
		sb_addc(&js->m.p[i].val, '\0');
		js->m.p[i].val.len = 0;
	}
}

static void
end_param(struct jira_scan *js, struct body *b, size_t end)
{
	struct jira_param *p = &js->m.p[js->param];
	const char *v, *L;
	size_t n;

	p->have = 1;
	p->voff = js->vstart;
	p->vlen = end - js->vstart;
	/*
	 * A value is text.  Markup between the start tag and this end tag
	 * ('<' in the logical text: an element, comment or CDATA section)
	 * means the tags do not pair as they look (a stray end tag closed the
	 * parameter's element and this end tag belongs to another): the
	 * value is reported, never edited, or the edit would swallow markup.
	 */
	L = body_text(b, &n);
	p->editable = memchr(L + p->voff, '<', p->vlen) == NULL;
	v = body_decode(b, p->voff, p->vlen, &n);
	sb_reset(&p->val);
	p->cut = n > JIRA_PARAM_MAX;
	sb_add(&p->val, v, p->cut ? JIRA_PARAM_MAX : n);
	sb_addc(&p->val, '\0');
	p->val.len--;
	js->param = -1;
}

void
jira_scan_token(struct jira_scan *js, struct body *b, const struct btok *t)
{
	const struct battr *a;
	size_t d = body_depth(b);
	int i;

	if (t->flags & (BT_IN_CODE | BT_IN_WIKI))
		return;
	if (!js->in) {
		if (t->kind == BT_START && !t->selfclose && is_macro_tag(t) &&
		    (a = btok_attr(t, "ac:name")) != NULL &&
		    jira_is_macro(a->val, a->val_len))
			start_macro(js, b, t, a);
		else if (t->kind == BT_START && t->selfclose && is_macro_tag(t) &&
		    (a = btok_attr(t, "ac:name")) != NULL &&
		    jira_is_macro(a->val, a->val_len)) {
			/* <ac:structured-macro ac:name="jira"/>: no parameters */
			start_macro(js, b, t, a);
			js->m.end_off = t->off;
			js->in = 0;
			if (js->fn != NULL)
				js->fn(b, &js->m, js->arg);
		}
		return;
	}
	if (t->kind == BT_START && d == js->depth + 1 &&
	    btok_is(t, "ac:parameter") &&
	    (a = btok_attr(t, "ac:name")) != NULL) {
		for (i = 0; i < JP_N; i++)
			if (a->val_len == strlen(pnames[i]) &&
			    memcmp(a->val, pnames[i], a->val_len) == 0)
				break;
		if (i == JP_N)
			return;
		if (t->selfclose) {
			js->m.p[i].have = 1;
			js->m.p[i].editable = 0;
			sb_reset(&js->m.p[i].val);
			sb_addc(&js->m.p[i].val, '\0');
			js->m.p[i].val.len = 0;
			return;
		}
		js->param = i;
		js->vstart = t->off + t->len;
	} else if (t->kind == BT_END && js->param >= 0 && d == js->depth + 2 &&
	    btok_is(t, "ac:parameter"))
		end_param(js, b, t->off);
	else if (t->kind == BT_END && d == js->depth + 1 && is_macro_tag(t)) {
		js->in = 0;
		js->param = -1;
		js->m.end_off = t->off;
		if (js->fn != NULL)
			js->fn(b, &js->m, js->arg);
	}
}

void
jira_scan_free(struct jira_scan *js)
{
	int i;

	for (i = 0; i < JP_N; i++)
		sb_free(&js->m.p[i].val);
}
