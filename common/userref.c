/*
 * userref.c - find and rewrite user references inside body text.
 *
 * The user rule over the body toolkit (body.h), and the worked example of
 * docs/body-toolkit.md: the toolkit tokenises, tracks the enclosing
 * macros and writes edits back losslessly; this file only says which
 * tokens are user references and what replaces them.
 *
 * Macro parameters that hold a plain username (4.x storage format, and the
 * same macros in wiki markup).  Only these pairs are touched; macro and
 * parameter names compare ASCII case-insensitively; "" is the default
 * (unnamed) parameter: <ac:default-parameter> in 4.x storage format,
 * <ac:parameter ac:name=""> in structured macros, {macro:value} in wiki.
 *
 *   macro            parameter  source
 *   ---------------  ---------  ------------------------------------------
 *   profile          user       REAL: 4.3.2 zip; server-export-format §3.4
 *   profile-picture  User       REAL: 4.3.2 zip; server-export-format §3.4
 *   status-list      username   REAL: 4.3.2 zip; server-export-format §3.4
 *   content-by-user  (default)  INFERENCE: a real 4.3.2 body has
 *                               <ac:default-parameter>admin</...>; the macro
 *                               doc (confluence.atlassian.com pageId
 *                               407658275) calls it "the Confluence
 *                               username"; not listed in §3.4
 *   network          username   INFERENCE: Atlassian macro doc storage
 *                               example (pageId 401441413) shows
 *                               <ac:parameter ac:name="username">admin<...>;
 *                               never seen in a real export
 *
 * Deliberately NOT handled: "author" of recently-updated / blog-posts /
 * contentbylabel and similar: they hold comma-separated lists, which cannot
 * become one <ri:user/>; a username inside im/default-parameter is an IM
 * screen name, not a Confluence user.
 *
 * Escaping layers are the toolkit's business: values reach the callback
 * decoded (outer CDATA "]] " escape or text escape undone, then the XHTML
 * references), and replacements are handed to body_edit() as plain values
 * (BE_ATTR) or as markup, which the toolkit encodes for where they land.
 * Comments, CDATA sections and plain-text macro bodies are never markup
 * to the tokenizer, so nothing in them is taken for a reference.  The
 * wiki body of an unmigrated-wiki-markup macro is not scanned (it was not
 * before the toolkit; counting it would change the accounting).
 *
 * Line numbers count '\n' bytes of the logical body; the line reported is
 * the one of the value (attribute value, parameter text, wiki name).
 */
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "strbuf.h"
#include "userref.h"
#include "xmltext.h"

struct umacro {
	const char	*macro;
	const char	*param;		/* "" = default parameter */
};

static const struct umacro umacros[] = {
	{ "profile",		"user" },
	{ "profile-picture",	"User" },
	{ "status-list",	"username" },
	{ "content-by-user",	"" },
	{ "network",		"username" },
};
#define NUMACROS	(sizeof(umacros) / sizeof(umacros[0]))

const char *
uref_kind_name(enum uref_kind k)
{
	switch (k) {
	case UREF_USERKEY:
		return "body-userkey";
	case UREF_USERNAME:
		return "body-username";
	case UREF_ACCOUNTID:
		return "body-account-id";
	case UREF_MACRO_USERNAME:
		return "macro-username";
	case UREF_WIKI_USERNAME:
		return "wiki-username";
	default:
		return "unknown";
	}
}

static const struct umacro *
find_macro(const char *name, size_t n)
{
	size_t i;

	for (i = 0; name != NULL && i < NUMACROS; i++)
		if (body_ieq(name, n, umacros[i].macro))
			return &umacros[i];
	return NULL;
}

/* Ask the callback about value v/n at logical offset off; returns the
 * replacement or NULL to keep.  The value is handed over NUL-terminated. */
static const char *
ask(struct body *b, struct uref_rule_ctx *c, enum uref_kind kind,
    const char *v, size_t n, size_t off)
{
	struct strbuf val = STRBUF_INIT;
	const char *repl = NULL;
	long line = body_line(b, off);
	int rc;

	if (c->fn == NULL)
		return NULL;
	sb_add(&val, v, n);
	sb_grow(&val, 0);
	rc = c->fn(c->ctx, kind, val.buf, n, line, &repl);
	sb_free(&val);
	return rc == 1 ? repl : NULL;
}

/* <ri:user ri:userkey|ri:username|ri:account-id="..."> */
static void
do_riuser(struct body *b, const struct btok *t, struct uref_rule_ctx *c)
{
	static const char *const names[3] = {
		"ri:account-id", "ri:userkey", "ri:username"
	};
	static const enum uref_kind kinds[3] = {
		UREF_ACCOUNTID, UREF_USERKEY, UREF_USERNAME
	};
	const struct battr *id[3] = { NULL, NULL, NULL }, *main = NULL;
	const char *repl;
	size_t i, j;
	int k = 0, ok = 1;

	for (i = 0; i < t->nattr; i++)
		for (j = 0; j < 3; j++)
			if (t->attr[i].name_len == strlen(names[j]) &&
			    memcmp(t->attr[i].name, names[j],
			    t->attr[i].name_len) == 0) {
				if (id[j] != NULL)
					return;	/* duplicate: malformed */
				id[j] = &t->attr[i];
			}
	/* Report the strongest identity only: account-id > userkey > name. */
	for (j = 0; j < 3 && main == NULL; j++)
		if (id[j] != NULL) {
			main = id[j];
			k = (int)j;
		}
	if (main == NULL)
		return;
	repl = ask(b, c, kinds[k], main->val, main->val_len, main->voff);
	if (repl == NULL)
		return;
	/*
	 * The reported attribute becomes ri:account-id="..." (name, '=' and
	 * value are rewritten, its quotes stay); the other identity
	 * attributes go, with the white space before them.
	 */
	if (k != 0 || main->voff - 1 - main->off != strlen(names[0]) + 1)
		ok = body_edit(b, main->off, main->voff - 1 - main->off,
		    "ri:account-id=", 14, BE_MARKUP) == 0;
	if (ok)
		ok = body_edit(b, main->voff, main->vlen, repl, strlen(repl),
		    BE_ATTR) == 0;
	for (j = 0; ok && j < 3; j++)
		if (id[j] != NULL && id[j] != main)
			ok = body_edit(b, id[j]->ws, id[j]->end - id[j]->ws, "",
			    0, BE_MARKUP) == 0;
	if (ok)
		c->nrew++;
}

/*
 * <ac:parameter ac:name="p"> or <ac:default-parameter> of the innermost
 * open macro, if that macro/parameter pair is in umacros[].  Only plain
 * text directly followed by the matching end tag counts; the whole text
 * (surrounding blanks included) is replaced, the trimmed text reported.
 */
static void
do_param(struct body *b, const struct btok *t, struct uref_rule_ctx *c,
    int isdefault)
{
	const struct bframe *m = body_macro(b);
	const struct umacro *um;
	const struct battr *an;
	const char *L, *lt, *v, *repl, *etag;
	size_t n, ts, te, a, e, k, vn;
	struct strbuf gen = STRBUF_INIT;

	if (m == NULL || (um = find_macro(m->acname, m->acname_len)) == NULL)
		return;
	if (!isdefault) {
		if ((an = btok_attr(t, "ac:name")) == NULL ||
		    !body_ieq(an->val, an->val_len, um->param))
			return;
	} else if (um->param[0] != '\0')
		return;
	L = body_text(b, &n);
	ts = t->off + t->len;
	if ((lt = memchr(L + ts, '<', n - ts)) == NULL)
		return;
	te = (size_t)(lt - L);
	etag = isdefault ? "</ac:default-parameter" : "</ac:parameter";
	k = strlen(etag);
	if (n - te < k || memcmp(L + te, etag, k) != 0)
		return;
	for (e = te + k; e < n && strchr(" \t\r\n", L[e]) != NULL; e++)
		;
	if (e >= n || L[e] != '>')
		return;
	for (a = ts; a < te && strchr(" \t\r\n", L[a]) != NULL; a++)
		;
	if (a >= te)
		return;		/* blank: no reference */
	for (e = te; e > a && strchr(" \t\r\n", L[e - 1]) != NULL; e--)
		;
	v = body_decode(b, a, e - a, &vn);
	if ((repl = ask(b, c, UREF_MACRO_USERNAME, v, vn, a)) == NULL)
		return;
	sb_adds(&gen, "<ri:user ri:account-id=\"");
	xt_add_attr(&gen, repl, strlen(repl));
	sb_adds(&gen, "\" />");
	if (body_edit(b, ts, te - ts, gen.buf, gen.len, BE_MARKUP) == 0)
		c->nrew++;
	sb_free(&gen);
}

/* A wiki user name at [a, e) (markup as written, no decoding). */
static void
wiki_ref(struct body *b, const struct btok *t, struct uref_rule_ctx *c,
    size_t a, size_t e)
{
	const char *L, *repl;
	size_t n;

	if (e <= a)
		return;
	L = body_text(b, &n);
	if ((repl = ask(b, c, UREF_WIKI_USERNAME, L + a, e - a, a)) == NULL)
		return;
	if (body_edit(b, a, e - a, repl, strlen(repl), t->text_enc ==
	    BE_CDATA ? BE_CDATA : BE_MARKUP) == 0)
		c->nrew++;
}

static void
wiki_macro(struct body *b, const struct btok *t, struct uref_rule_ctx *c)
{
	const struct umacro *um = find_macro(t->name, t->name_len);
	const struct battr *p;
	size_t i;

	if (um == NULL || t->text_len == 0)
		return;		/* {profile} without parameters */
	for (i = 0; i < t->nattr; i++) {
		p = &t->attr[i];
		if (body_ieq(p->name, p->name_len, um->param))
			wiki_ref(b, t, c, p->voff, p->voff + p->vlen);
	}
}

static void
ur_token(struct body *b, const struct btok *t, void *arg)
{
	struct uref_rule_ctx *c = arg;
	const struct battr *l;

	if (t->flags & BT_IN_WIKI)
		return;
	switch (t->kind) {
	case BT_START:
		if (btok_is(t, "ri:user"))
			do_riuser(b, t, c);
		else if (!t->selfclose && btok_is(t, "ac:parameter"))
			do_param(b, t, c, 0);
		else if (!t->selfclose && btok_is(t, "ac:default-parameter"))
			do_param(b, t, c, 1);
		break;
	case BT_WIKI_LINK:
		if ((l = btok_attr(t, "link")) != NULL && l->vlen > 0 &&
		    l->val[0] == '~')
			wiki_ref(b, t, c, l->voff + 1, l->voff + l->vlen);
		break;
	case BT_WIKI_MACRO:
		wiki_macro(b, t, c);
		break;
	default:
		break;
	}
}

static const char *const storage_triggers[] = {
	"ri:user", "ac:macro", "ac:structured-macro", NULL
};
static const char *const wiki_triggers[] = { "~", "{", NULL };

const struct body_rule uref_rule = {
	.name = "user",
	.formats = (1u << BODY_STORAGE) | (1u << BODY_WIKI),
	.storage_triggers = storage_triggers,
	.wiki_triggers = wiki_triggers,
	.want = (1u << BT_START) | (1u << BT_WIKI_LINK) | (1u << BT_WIKI_MACRO),
	.token = ur_token,
};

/* ---- one body outside an object ------------------------------------ */

static size_t
run_one(const char *body, size_t len, int escaped, enum body_format fmt,
    uref_fn fn, void *ctx, struct strbuf *out)
{
	static struct body *b;	/* reused: its buffers stay warm */
	struct uref_rule_ctx c = { fn, ctx, 0 };
	const struct body_rules row = { &uref_rule, &c };

	if (b == NULL)
		b = body_new();
	body_load_raw(b, body, len, escaped ? BODY_OUTER_TEXT :
	    BODY_OUTER_CDATA, fmt, 0, 1);
	body_run(b, &row, 1);
	if (out != NULL)
		body_apply(b, out);
	return c.nrew;
}

size_t
uref_storage(const char *body, size_t len, int escaped, uref_fn fn,
    void *ctx, struct strbuf *out)
{
	return run_one(body, len, escaped, BODY_STORAGE, fn, ctx, out);
}

size_t
uref_wiki(const char *body, size_t len, int escaped, uref_fn fn,
    void *ctx, struct strbuf *out)
{
	return run_one(body, len, escaped, BODY_WIKI, fn, ctx, out);
}
