/*
 * links.c - the link rule (links.h): links to the old server become
 * id-free storage links that any Confluence resolves after an import.
 *
 * What is a link here, and what it becomes (docs/links.md):
 *
 *   <a href="URL">body</a>       <ac:link [ac:anchor]>RI<ac:link-body>body
 *                                </ac:link-body></ac:link>; the body's bytes
 *                                are kept as they are
 *   <a href="URL"/>              <ac:link [ac:anchor]>RI</ac:link>
 *   <ac:link><ri:url ri:value>   the ri:url element becomes RI; a fragment
 *                                becomes the ac:link's ac:anchor (unless it
 *                                has one)
 *   <ac:image><ri:url ri:value>  an attachment URL: ri:url becomes the
 *                                ri:attachment (any other URL: reported)
 *   <ri:content-entity ri:content-id>  becomes RI of that content
 *   wiki [alias|URL]             [alias|KEY:Title], KEY:/YYYY/MM/DD/Title,
 *                                KEY:Title^file, KEY: (space home), #anchor
 *
 * RI is <ri:page>, <ri:blog-post> (with ri:posting-day), <ri:space> or
 * <ri:attachment> with its page or blog post as container.  A target in
 * the package's own space carries no ri:space-key (storage format: "omitted
 * = the current space"), so the link follows any rename of the space
 * (--space-key, a personal space's Cloud key); a target in another space
 * names its key.  The rule only ever edits the link element itself: every
 * byte around it and inside an <a>'s body stays as it was.
 *
 * Only URLs count as links: absolute (http:, https:), protocol-relative
 * ("//host") and host-relative ("/path") ones; mailto:, "#anchor" and
 * relative names are not links to a server and are not counted.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "diag.h"
#include "linkindex.h"
#include "links.h"
#include "strbuf.h"
#include "xmltext.h"

enum pend_kind { P_A, P_RIURL };

struct link_pending {
	enum pend_kind	 kind;
	size_t		 depth;		/* body_depth() at the start tag */
	size_t		 off, len;	/* the start tag */
	int		 form;		/* for the accounting */
	enum link_outcome out;
	char		*start;		/* replacement of the start tag (P_A) or
					   of the whole element (P_RIURL) */
};

/* What a link resolved to. */
struct res {
	enum { R_PAGE, R_BLOG, R_SPACE } kind;
	const char	*key;		/* NULL: the package's own space */
	const char	*title;
	const char	*day;
	const char	*file;		/* attachment of the page/blog post */
	const char	*frag;
	int		 cross;
	struct link_target t;
};

/*
 * The memo: what each URL resolved to, by its bytes.  A wiki's bodies
 * repeat their URLs (every historical version of a page links where the
 * page does), and a lookup costs two SQLite queries: a direct-mapped table
 * of the last MEMO_N URLs answers the repeats.  A hit gives exactly what
 * the parse and the lookup gave (the index does not change during a run).
 */
#define MEMO_N		4096
#define MEMO_MAXURL	2048	/* longer URLs are not kept */

struct memo_ent {
	char		*url;		/* NULL: empty slot */
	size_t		 n;
	int		 form;
	enum link_outcome o;
	const char	*why;		/* static strings only */
	struct res	 r;		/* its strings: NULL here, see off */
	size_t		 off[9];	/* key, title, day, file, frag, t.space_key,
					   t.title, t.posting_day, t.source: offset
					   + 1 into s, 0 for NULL */
	struct strbuf	 s;
};

struct link_memo {
	struct memo_ent	 e[MEMO_N];
};

static const char *const outcome_names[LO_NOUTCOMES] = {
	"rewritten", "cross-space", "left-external", "unresolved"
};

const char *
link_outcome_name(enum link_outcome o)
{
	return (unsigned)o < LO_NOUTCOMES ? outcome_names[o] : "?";
}

const char *
link_count_form_name(int form)
{
	return form == LINK_CONTENT_ENTITY ? "content-entity" :
	    link_form_name((enum link_form)form);
}

void
link_rule_free(struct link_rule_ctx *c)
{
	size_t i;

	for (i = 0; i < c->npend; i++)
		free(c->pend[i].start);
	free(c->pend);
	c->pend = NULL;
	c->npend = c->cappend = 0;
	sb_free(&c->sb);
	link_url_free(&c->url);
	if (c->memo != NULL) {
		for (i = 0; i < MEMO_N; i++) {
			free(c->memo->e[i].url);
			sb_free(&c->memo->e[i].s);
		}
		free(c->memo);
		c->memo = NULL;
	}
}

/* 1 if v looks like a URL of a server at all (see the top comment). */
static int
is_url(const char *v, size_t n)
{
	return (n >= 1 && v[0] == '/') ||
	    (n >= 7 && strncasecmp(v, "http://", 7) == 0) ||
	    (n >= 8 && strncasecmp(v, "https://", 8) == 0);
}

static void
report(struct link_rule_ctx *c, struct body *b, const char *url, size_t n,
    const char *why, size_t off)
{
	if (c->unresolved != NULL)
		c->unresolved(c->uctx, b, url, n, why, off);
}

/*
 * Resolves the parsed URL in c->url.  Returns LO_REWRITTEN or
 * LO_CROSS_SPACE with *r filled, LO_EXTERNAL, or LO_UNRESOLVED with *why.
 */
static enum link_outcome
resolve(struct link_rule_ctx *c, struct res *r, const char **why)
{
	const struct link_url *u = &c->url;
	const char *key, *src = NULL;
	int found = 0;

	memset(r, 0, sizeof(*r));
	r->frag = u->fragment;
	switch (u->form) {
	case LF_EXTERNAL:
		return LO_EXTERNAL;
	case LF_UNSUPPORTED:
		*why = u->why;
		return LO_UNRESOLVED;
	case LF_SPACE_HOME:
		if ((key = linkidx_space_key(c->idx, u->space_key, &src)) ==
		    NULL) {
			*why = "space in no export";
			return LO_UNRESOLVED;
		}
		r->kind = R_SPACE;
		r->key = key;
		r->cross = c->self_key == NULL ||
		    strcasecmp(key, c->self_key) != 0;
		return r->cross ? LO_CROSS_SPACE : LO_REWRITTEN;
	case LF_PAGE_TITLE:
		found = linkidx_by_title(c->idx, u->space_key, u->title, &r->t);
		*why = "no page of that title in that space";
		break;
	case LF_BLOG:
		found = linkidx_blog(c->idx, u->space_key, u->title,
		    u->posting_day, &r->t);
		*why = "no blog post of that title on that day";
		break;
	case LF_PAGE_ID:
	case LF_TINY:
		found = linkidx_by_id(c->idx, u->id, &r->t);
		*why = "id in no export (or not a current page or blog post)";
		break;
	case LF_ATTACHMENT:
	case LF_THUMBNAIL:
		found = linkidx_by_id(c->idx, u->id, &r->t) &&
		    linkidx_has_attachment(c->idx, u->id, u->filename);
		r->file = u->filename;
		*why = "no current attachment of that name on that content";
		break;
	default:
		*why = "unknown form";
		return LO_UNRESOLVED;
	}
	if (!found)
		return LO_UNRESOLVED;
	r->kind = r->t.blog ? R_BLOG : R_PAGE;
	r->title = r->t.title;
	r->day = r->t.posting_day;
	r->cross = c->self_key == NULL ||
	    strcasecmp(r->t.space_key, c->self_key) != 0;
	r->key = r->cross ? r->t.space_key : NULL;
	return r->cross ? LO_CROSS_SPACE : LO_REWRITTEN;
}

/* FNV-1a of the URL bytes. */
static size_t
memo_hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h % MEMO_N;
}

/* Copies string p into the entry's buffer; its offset + 1 (0 for NULL). */
static size_t
memo_str(struct strbuf *s, const char *p)
{
	size_t off;

	if (p == NULL)
		return 0;
	off = s->len;
	sb_add(s, p, strlen(p) + 1);
	return off + 1;
}

static const char *
memo_at(struct strbuf *s, size_t off)
{
	return off == 0 ? NULL : s->buf + off - 1;
}

/* The strings of entry m into r. */
static void
memo_out(struct memo_ent *m, struct res *r)
{
	r->key = memo_at(&m->s, m->off[0]);
	r->title = memo_at(&m->s, m->off[1]);
	r->day = memo_at(&m->s, m->off[2]);
	r->file = memo_at(&m->s, m->off[3]);
	r->frag = memo_at(&m->s, m->off[4]);
	r->t.space_key = memo_at(&m->s, m->off[5]);
	r->t.title = memo_at(&m->s, m->off[6]);
	r->t.posting_day = memo_at(&m->s, m->off[7]);
	r->t.source = memo_at(&m->s, m->off[8]);
}

/*
 * Parses and resolves URL [v, v + n): link_parse() then resolve(), or the
 * memo.  Sets *form; returns the outcome with *r and *why as resolve()
 * gives them.  r's strings are valid until the next call.
 */
static enum link_outcome
parse_resolve(struct link_rule_ctx *c, const char *v, size_t n, int *form,
    struct res *r, const char **why)
{
	struct memo_ent *m;
	enum link_outcome o;

	if (c->memo == NULL)
		c->memo = xcalloc(1, sizeof(*c->memo));
	m = &c->memo->e[memo_hash(v, n)];
	if (m->url != NULL && m->n == n && memcmp(m->url, v, n) == 0) {
		*form = m->form;
		*why = m->why;
		*r = m->r;
		memo_out(m, r);
		return m->o;
	}
	*form = (int)link_parse(c->bases, v, n, &c->url);
	o = resolve(c, r, why);
	if (n > MEMO_MAXURL)
		return o;
	/* Keep it: the strings as offsets into the entry's own buffer. */
	free(m->url);
	m->url = xmalloc(n);
	memcpy(m->url, v, n);
	m->n = n;
	m->form = *form;
	m->o = o;
	m->why = *why;
	sb_reset(&m->s);
	m->r = *r;
	m->off[0] = memo_str(&m->s, r->key);
	m->off[1] = memo_str(&m->s, r->title);
	m->off[2] = memo_str(&m->s, r->day);
	m->off[3] = memo_str(&m->s, r->file);
	m->off[4] = memo_str(&m->s, r->frag);
	m->off[5] = memo_str(&m->s, r->t.space_key);
	m->off[6] = memo_str(&m->s, r->t.title);
	m->off[7] = memo_str(&m->s, r->t.posting_day);
	m->off[8] = memo_str(&m->s, r->t.source);
	return o;
}

enum link_outcome
link_resolve_url(struct link_rule_ctx *c, const char *url, size_t n,
    const char **key, const char **title, const char **why)
{
	enum link_outcome o;
	struct res r;
	int form;

	*key = *title = NULL;
	*why = NULL;
	if (!is_url(url, n))
		return LO_EXTERNAL;
	o = parse_resolve(c, url, n, &form, &r, why);
	if (o != LO_REWRITTEN && o != LO_CROSS_SPACE)
		return o;
	if (r.kind == R_SPACE) {
		*key = r.key;
		return o;
	}
	*key = r.t.space_key;
	*title = r.title;
	return o;
}

static void
add_attr(struct strbuf *sb, const char *name, const char *v)
{
	sb_addf(sb, " %s=\"", name);
	xt_add_attr(sb, v, strlen(v));
	sb_addc(sb, '"');
}

/* The resource identifier of r (RI in the top comment). */
static void
add_ri(struct strbuf *sb, const struct res *r)
{
	if (r->kind == R_SPACE) {
		sb_adds(sb, "<ri:space");
		add_attr(sb, "ri:space-key", r->key);
		sb_adds(sb, " />");
		return;
	}
	if (r->file != NULL) {
		sb_adds(sb, "<ri:attachment");
		add_attr(sb, "ri:filename", r->file);
		sb_adds(sb, ">");
	}
	sb_adds(sb, r->kind == R_BLOG ? "<ri:blog-post" : "<ri:page");
	if (r->key != NULL)
		add_attr(sb, "ri:space-key", r->key);
	add_attr(sb, "ri:content-title", r->title);
	if (r->kind == R_BLOG)
		add_attr(sb, "ri:posting-day", r->day != NULL ? r->day : "");
	sb_adds(sb, " />");
	if (r->file != NULL)
		sb_adds(sb, "</ri:attachment>");
}

static void
add_link_start(struct strbuf *sb, const struct res *r)
{
	sb_adds(sb, "<ac:link");
	if (r->frag != NULL && r->frag[0] != '\0')
		add_attr(sb, "ac:anchor", r->frag);
	sb_adds(sb, ">");
	add_ri(sb, r);
}

static void
count(struct link_rule_ctx *c, int form, enum link_outcome o)
{
	c->n[form][o]++;
}

static void
push(struct link_rule_ctx *c, enum pend_kind k, struct body *b,
    const struct btok *t, int form, enum link_outcome o, const char *start)
{
	struct link_pending *p;

	if (c->npend == c->cappend) {
		c->cappend = c->cappend ? c->cappend * 2 : 8;
		c->pend = xreallocarray(c->pend, c->cappend, sizeof(*c->pend));
	}
	p = &c->pend[c->npend++];
	p->kind = k;
	p->depth = body_depth(b);
	p->off = t->off;
	p->len = t->len;
	p->form = form;
	p->out = o;
	p->start = xstrdup(start);
}

/* <a href="..."> */
static void
do_href(struct body *b, const struct btok *t, struct link_rule_ctx *c)
{
	const struct battr *h = btok_attr(t, "href");
	enum link_outcome o;
	const char *why = NULL;
	struct res r;
	int form;

	if (h == NULL || !is_url(h->val, h->val_len))
		return;
	o = parse_resolve(c, h->val, h->val_len, &form, &r, &why);
	if (o == LO_EXTERNAL) {
		count(c, form, o);
		return;
	}
	if (o != LO_UNRESOLVED && body_inside(b, "ac:link") != NULL) {
		o = LO_UNRESOLVED;
		why = "a link inside a link";
	}
	if (o == LO_UNRESOLVED) {
		count(c, form, o);
		report(c, b, h->val, h->val_len, why, h->voff);
		return;
	}
	sb_reset(&c->sb);
	add_link_start(&c->sb, &r);
	if (t->selfclose) {
		sb_adds(&c->sb, "</ac:link>");
		if (body_edit(b, t->off, t->len, c->sb.buf, c->sb.len,
		    BE_MARKUP) != 0) {
			o = LO_UNRESOLVED;
			report(c, b, h->val, h->val_len, "overlaps another "
			    "rewrite", h->voff);
		}
		count(c, form, o);
		return;
	}
	sb_adds(&c->sb, "<ac:link-body>");
	push(c, P_A, b, t, form, o, c->sb.buf);
}

/* 1 if the start tag at logical offset off (up to its '>') has attr. */
static int
tag_has_attr(struct body *b, size_t off, const char *attr)
{
	size_t n, i, k = strlen(attr);
	const char *L = body_text(b, &n);

	for (i = off; i < n && L[i] != '>'; i++)
		if (n - i > k && memcmp(L + i, attr, k) == 0 &&
		    (L[i - 1] == ' ' || L[i - 1] == '\t' || L[i - 1] == '\n' ||
		    L[i - 1] == '\r'))
			return 1;
	return 0;
}

/* <ri:url ri:value="..."> */
static void
do_riurl(struct body *b, const struct btok *t, struct link_rule_ctx *c)
{
	const struct battr *v = btok_attr(t, "ri:value");
	const struct bframe *parent;
	enum link_outcome o;
	const char *why = NULL;
	struct res r;
	int form, image = 0;
	size_t d = body_depth(b);

	if (v == NULL || !is_url(v->val, v->val_len))
		return;
	o = parse_resolve(c, v->val, v->val_len, &form, &r, &why);
	parent = d > 0 ? body_frame(b, d - 1) : NULL;
	if (o != LO_EXTERNAL && o != LO_UNRESOLVED) {
		if (parent != NULL && parent->name_len == 8 &&
		    memcmp(parent->name, "ac:image", 8) == 0) {
			image = 1;
			if (r.file == NULL) {
				o = LO_UNRESOLVED;
				why = "an image URL that names no attachment";
			}
		} else if (parent == NULL || parent->name_len != 7 ||
		    memcmp(parent->name, "ac:link", 7) != 0) {
			o = LO_UNRESOLVED;
			why = "a URL parameter (only ac:link and ac:image URLs "
			    "become storage links)";
		}
	}
	if (o == LO_EXTERNAL || o == LO_UNRESOLVED) {
		count(c, form, o);
		if (o == LO_UNRESOLVED)
			report(c, b, v->val, v->val_len, why, v->voff);
		return;
	}
	/* The anchor goes on the enclosing ac:link, if it has none. */
	if (!image && r.frag != NULL && r.frag[0] != '\0' &&
	    !tag_has_attr(b, parent->off, "ac:anchor=")) {
		sb_reset(&c->sb);
		add_attr(&c->sb, "ac:anchor", r.frag);
		if (body_edit(b, parent->off + 1 + parent->name_len, 0,
		    c->sb.buf, c->sb.len, BE_MARKUP) != 0) {
			count(c, form, LO_UNRESOLVED);
			report(c, b, v->val, v->val_len, "overlaps another "
			    "rewrite", v->voff);
			return;
		}
	}
	sb_reset(&c->sb);
	add_ri(&c->sb, &r);
	if (t->selfclose) {
		if (body_edit(b, t->off, t->len, c->sb.buf, c->sb.len,
		    BE_MARKUP) != 0) {
			o = LO_UNRESOLVED;
			report(c, b, v->val, v->val_len, "overlaps another "
			    "rewrite", v->voff);
		}
		count(c, form, o);
		return;
	}
	push(c, P_RIURL, b, t, form, o, c->sb.buf);
}

/* <ri:content-entity ri:content-id="N"/> */
static void
do_entity(struct body *b, const struct btok *t, struct link_rule_ctx *c)
{
	const struct battr *v = btok_attr(t, "ri:content-id");
	enum link_outcome o;
	const char *why = NULL;
	struct res r;
	char idbuf[24];

	if (v == NULL)
		return;
	memset(&c->url, 0, offsetof(struct link_url, buf));
	c->url.form = LF_PAGE_ID;
	if (v->val_len == 0 || v->val_len >= sizeof(idbuf) ||
	    strspn(v->val, "0123456789") < v->val_len) {
		count(c, LINK_CONTENT_ENTITY, LO_UNRESOLVED);
		report(c, b, v->val, v->val_len, "content id is not a number",
		    v->voff);
		return;
	}
	memcpy(idbuf, v->val, v->val_len);
	idbuf[v->val_len] = '\0';
	c->url.id = strtoull(idbuf, NULL, 10);
	o = resolve(c, &r, &why);
	if (o == LO_UNRESOLVED || !t->selfclose) {
		if (o != LO_UNRESOLVED)
			why = "ri:content-entity with content (not empty)";
		count(c, LINK_CONTENT_ENTITY, LO_UNRESOLVED);
		report(c, b, v->val, v->val_len, why, v->voff);
		return;
	}
	sb_reset(&c->sb);
	add_ri(&c->sb, &r);
	if (body_edit(b, t->off, t->len, c->sb.buf, c->sb.len, BE_MARKUP) != 0) {
		o = LO_UNRESOLVED;
		report(c, b, v->val, v->val_len, "overlaps another rewrite",
		    v->voff);
	}
	count(c, LINK_CONTENT_ENTITY, o);
}

/* The end tag of a pending <a> or <ri:url>. */
static void
do_end(struct body *b, const struct btok *t, struct link_rule_ctx *c)
{
	struct link_pending *p;
	enum link_outcome o;
	int ok;

	if (c->npend == 0)
		return;
	p = &c->pend[c->npend - 1];
	if (body_depth(b) != p->depth + 1 ||
	    !btok_is(t, p->kind == P_A ? "a" : "ri:url"))
		return;
	o = p->out;
	if (p->kind == P_A) {
		ok = body_edit(b, p->off, p->len, p->start, strlen(p->start),
		    BE_MARKUP) == 0;
		/* Both edits or neither: the end tag cannot overlap anything
		 * the start tag's did not, so a failure here is impossible
		 * unless another rule edited the end tag itself. */
		if (ok)
			ok = body_edit(b, t->off, t->len,
			    "</ac:link-body></ac:link>", 25, BE_MARKUP) == 0;
	} else
		ok = body_edit(b, p->off, t->off + t->len - p->off, p->start,
		    strlen(p->start), BE_MARKUP) == 0;
	if (!ok) {
		o = LO_UNRESOLVED;
		report(c, b, "", 0, "overlaps another rewrite", p->off);
	}
	count(c, p->form, o);
	free(p->start);
	c->npend--;
}

/* 1 if s can stand in a wiki link's target (no markup characters). */
static int
wiki_safe(const char *s)
{
	return s == NULL || strpbrk(s, "[]|#^{}\n\r") == NULL;
}

/* [alias|URL] in wiki markup. */
static void
do_wiki(struct body *b, const struct btok *t, struct link_rule_ctx *c)
{
	const struct battr *l = btok_attr(t, "link");
	enum link_outcome o;
	const char *why = NULL, *key;
	struct res r;
	int form;

	if (l == NULL || !is_url(l->val, l->val_len))
		return;
	o = parse_resolve(c, l->val, l->val_len, &form, &r, &why);
	if (o == LO_EXTERNAL) {
		count(c, form, o);
		return;
	}
	key = r.kind == R_SPACE || r.cross ? r.key : NULL;
	/* A title with ':' needs its key, or the wiki parser splits it. */
	if (key == NULL && r.title != NULL && strchr(r.title, ':') != NULL)
		key = r.t.space_key;
	if (o != LO_UNRESOLVED && (!wiki_safe(r.title) || !wiki_safe(r.file) ||
	    !wiki_safe(r.frag) || !wiki_safe(key) ||
	    (key != NULL && strchr(key, ':') != NULL))) {
		o = LO_UNRESOLVED;
		why = "target cannot be written as a wiki-markup link";
	}
	if (o == LO_UNRESOLVED) {
		count(c, form, o);
		report(c, b, l->val, l->val_len, why, l->voff);
		return;
	}
	sb_reset(&c->sb);
	if (key != NULL)
		sb_addf(&c->sb, "%s:", key);
	if (r.kind == R_BLOG)
		sb_addf(&c->sb, "/%s/", r.day != NULL ? r.day : "");
	if (r.kind != R_SPACE)
		sb_adds(&c->sb, r.title);
	if (r.file != NULL)
		sb_addf(&c->sb, "^%s", r.file);
	if (r.frag != NULL && r.frag[0] != '\0')
		sb_addf(&c->sb, "#%s", r.frag);
	if (body_edit(b, l->voff, l->vlen, c->sb.buf, c->sb.len,
	    t->text_enc == BE_CDATA ? BE_CDATA : BE_MARKUP) != 0) {
		o = LO_UNRESOLVED;
		report(c, b, l->val, l->val_len, "overlaps another rewrite",
		    l->voff);
	}
	count(c, form, o);
}

static void
lk_begin(struct body *b, void *arg)
{
	struct link_rule_ctx *c = arg;

	(void)b;
	c->npend = 0;
}

static void
lk_token(struct body *b, const struct btok *t, void *arg)
{
	struct link_rule_ctx *c = arg;

	switch (t->kind) {
	case BT_START:
		if (btok_is(t, "a"))
			do_href(b, t, c);
		else if (btok_is(t, "ri:url"))
			do_riurl(b, t, c);
		else if (btok_is(t, "ri:content-entity"))
			do_entity(b, t, c);
		break;
	case BT_END:
		do_end(b, t, c);
		break;
	case BT_WIKI_LINK:
		do_wiki(b, t, c);
		break;
	default:
		break;
	}
}

static void
lk_end(struct body *b, void *arg)
{
	struct link_rule_ctx *c = arg;

	/* An <a> or <ri:url> never closed (malformed body): left as it was. */
	while (c->npend > 0) {
		struct link_pending *p = &c->pend[--c->npend];

		count(c, p->form, LO_UNRESOLVED);
		report(c, b, "", 0, "link element never closed", p->off);
		free(p->start);
	}
}

static const char *const storage_triggers[] = {
	"href", "ri:value", "ri:content-entity", NULL
};
static const char *const wiki_triggers[] = { "[", NULL };

const struct body_rule link_rule = {
	.name = "link",
	.formats = (1u << BODY_STORAGE) | (1u << BODY_WIKI),
	.storage_triggers = storage_triggers,
	.wiki_triggers = wiki_triggers,
	.want = (1u << BT_START) | (1u << BT_END) | (1u << BT_WIKI_LINK),
	.begin = lk_begin,
	.token = lk_token,
	.end = lk_end,
};
