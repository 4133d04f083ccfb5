/*
 * userref.c - find and rewrite user references inside body text.
 *
 * Two scanners, one per body type, both byte-exact: the output is built by
 * copying the input verbatim up to each edit, emitting the replacement, and
 * copying on; nothing is ever re-serialised.
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
 * Escaping layers (the part that is easy to get wrong):
 *
 *   escaped == 0  body = escapeCDATA(xhtml): the XHTML as-is, except that
 *                 Confluence wrote every "]]" as "]] ".  An attribute value
 *                 is XHTML-escaped once (&amp; &lt; &quot; ...).
 *   escaped == 1  body = xml-text-escape(xhtml): every '<' of the markup
 *                 is "&lt;", quotes may be "&quot;" or literal, '>' may be
 *                 "&gt;" or literal, and an attribute value is escaped
 *                 twice: a&b is written a&amp;amp;b.
 *
 * Values handed to the callback are fully decoded (CDATA escape undone,
 * then one or two levels of entity decoding; entities other than the five
 * predefined ones and numeric references, e.g. &nbsp;, are left as
 * written).  Replacements are encoded the opposite way: XHTML attribute
 * escaping (& < > " ' and ']' as &#93; so that no "]]" can appear inside
 * CDATA), plus a second level of text escaping when escaped == 1.
 *
 * Storage scanning also skips XML comments and inner CDATA sections (the
 * plain-text bodies of code/noformat macros): markup in there is text.
 * Inside the outer CDATA an inner section ends at "]] >" (Confluence's
 * escape of "]]>"), also accepted: "]]>".
 *
 * Line numbers count '\n' bytes only; the line reported is the one of the
 * value (attribute value, parameter text, wiki name).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "strbuf.h"
#include "userref.h"

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

#define MACRO_DEPTH	64	/* nesting tracked exactly up to this depth */

/* One pending edit of the output: replace [off, off+len) by text. */
struct scan {
	const char	*body;
	size_t		 len;
	int		 escaped;
	uref_fn		 fn;
	void		*ctx;
	struct strbuf	*out;
	size_t		 copied;	/* body bytes already copied to out */
	size_t		 lpos;		/* line counter position */
	long		 line;
	size_t		 nrew;
	struct strbuf	 val;		/* decoded value handed to fn */
	struct strbuf	 tmp;
	struct strbuf	 enc;		/* encoded replacement */
	/* storage: stack of open macros (index into umacros or -1) */
	int		 mstack[MACRO_DEPTH];
	size_t		 mdepth;
};

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

/* ---- small helpers ---------------------------------------------------- */

static int
at(const struct scan *s, size_t pos, const char *lit)
{
	size_t n = strlen(lit);

	return pos <= s->len && s->len - pos >= n &&
	    memcmp(s->body + pos, lit, n) == 0;
}

static int
lc(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int
ieq(const char *a, size_t alen, const char *b)
{
	size_t i;

	if (strlen(b) != alen)
		return 0;
	for (i = 0; i < alen; i++)
		if (lc((unsigned char)a[i]) != lc((unsigned char)b[i]))
			return 0;
	return 1;
}

static int
iat(const struct scan *s, size_t pos, const char *lit)
{
	size_t n = strlen(lit);

	return pos <= s->len && s->len - pos >= n &&
	    ieq(s->body + pos, n, lit);
}

static long
line_at(struct scan *s, size_t pos)
{
	const char *p, *e;

	if (pos < s->lpos)	/* never happens: positions are monotonic */
		return s->line;
	p = s->body + s->lpos;
	e = s->body + pos;
	while ((p = memchr(p, '\n', (size_t)(e - p))) != NULL) {
		s->line++;
		p++;
	}
	s->lpos = pos;
	return s->line;
}

/* Copy input up to off, then the replacement, and skip len input bytes. */
static void
edit(struct scan *s, size_t off, size_t len, const char *text, size_t tlen)
{
	if (s->out == NULL)
		return;
	if (off > s->copied)
		sb_add(s->out, s->body + s->copied, off - s->copied);
	sb_add(s->out, text, tlen);
	s->copied = off + len;
}

static void
put_utf8(struct strbuf *sb, unsigned long cp)
{
	if (cp < 0x80) {
		sb_addc(sb, (int)cp);
	} else if (cp < 0x800) {
		sb_addc(sb, (int)(0xc0 | (cp >> 6)));
		sb_addc(sb, (int)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		sb_addc(sb, (int)(0xe0 | (cp >> 12)));
		sb_addc(sb, (int)(0x80 | ((cp >> 6) & 0x3f)));
		sb_addc(sb, (int)(0x80 | (cp & 0x3f)));
	} else {
		sb_addc(sb, (int)(0xf0 | (cp >> 18)));
		sb_addc(sb, (int)(0x80 | ((cp >> 12) & 0x3f)));
		sb_addc(sb, (int)(0x80 | ((cp >> 6) & 0x3f)));
		sb_addc(sb, (int)(0x80 | (cp & 0x3f)));
	}
}

/*
 * Length of a predefined or numeric entity reference at p (decoded into
 * out), or 0 if p does not start one (then '&' is literal: &nbsp; stays).
 */
static size_t
entity(const char *p, size_t n, struct strbuf *out)
{
	static const struct { const char *name; char c; } ents[] = {
		{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
		{ "&quot;", '"' }, { "&apos;", '\'' },
	};
	unsigned long cp = 0;
	size_t i, k;
	int hex, digits = 0;

	for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++) {
		k = strlen(ents[i].name);
		if (n >= k && memcmp(p, ents[i].name, k) == 0) {
			sb_addc(out, ents[i].c);
			return k;
		}
	}
	if (n < 4 || p[1] != '#')
		return 0;
	hex = p[2] == 'x';
	for (i = hex ? 3 : 2; i < n && i < 16; i++) {
		int c = (unsigned char)p[i], d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (hex && lc(c) >= 'a' && lc(c) <= 'f')
			d = lc(c) - 'a' + 10;
		else
			break;
		cp = cp * (hex ? 16 : 10) + (unsigned long)d;
		digits++;
	}
	if (digits == 0 || i >= n || p[i] != ';' || cp == 0 ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	put_utf8(out, cp);
	return i + 1;
}

/* Decode one level of entity references from p/n, appending to out. */
static void
decode_once(const char *p, size_t n, struct strbuf *out)
{
	size_t i = 0, k;
	const char *amp;

	while (i < n) {
		amp = memchr(p + i, '&', n - i);
		if (amp == NULL) {
			sb_add(out, p + i, n - i);
			break;
		}
		sb_add(out, p + i, (size_t)(amp - (p + i)));
		i = (size_t)(amp - p);
		if ((k = entity(p + i, n - i, out)) == 0) {
			sb_addc(out, '&');
			k = 1;
		}
		i += k;
	}
}

/* Undo Confluence's escapeCDATA: "]] " -> "]]". */
static void
uncdata(const char *p, size_t n, struct strbuf *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		sb_addc(out, p[i]);
		if (p[i] == ']' && i + 2 < n && p[i + 1] == ']' &&
		    p[i + 2] == ' ') {
			sb_addc(out, ']');
			i += 2;
		}
	}
}

/*
 * Decode the raw bytes of an XHTML value (attribute or text) to s->val:
 * CDATA context: undo "]] ", decode once; escaped: decode twice.
 */
static void
decode_value(struct scan *s, const char *p, size_t n)
{
	sb_reset(&s->val);
	sb_reset(&s->tmp);
	if (s->escaped) {
		decode_once(p, n, &s->tmp);
		decode_once(s->tmp.buf, s->tmp.len, &s->val);
	} else {
		uncdata(p, n, &s->tmp);
		decode_once(s->tmp.buf, s->tmp.len, &s->val);
	}
	if (s->val.buf == NULL)
		sb_grow(&s->val, 0);
}

/* Append the XHTML attribute escape of v, plus the outer text escape. */
static void
enc_attr(struct scan *s, struct strbuf *o, const char *v)
{
	const char *amp = s->escaped ? "&amp;" : "&";

	for (; *v != '\0'; v++) {
		switch (*v) {
		case '&':
			sb_adds(o, amp); sb_adds(o, "amp;");
			break;
		case '<':
			sb_adds(o, amp); sb_adds(o, "lt;");
			break;
		case '>':
			sb_adds(o, amp); sb_adds(o, "gt;");
			break;
		case '"':
			sb_adds(o, amp); sb_adds(o, "quot;");
			break;
		case '\'':
			sb_adds(o, amp); sb_adds(o, "apos;");
			break;
		case ']':
			sb_adds(o, amp); sb_adds(o, "#93;");
			break;
		default:
			sb_addc(o, *v);
		}
	}
}

/* Ask the callback; returns the replacement or NULL to keep. */
static const char *
ask(struct scan *s, enum uref_kind kind, size_t valpos)
{
	const char *repl = NULL;
	long line = line_at(s, valpos);

	if (s->fn == NULL)
		return NULL;
	if (s->fn(s->ctx, kind, s->val.buf, s->val.len, line, &repl) != 1 ||
	    repl == NULL)
		return NULL;
	return repl;
}

static int
find_macro(const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < NUMACROS; i++)
		if (ieq(name, n, umacros[i].macro))
			return (int)i;
	return -1;
}

/* ---- storage-format tokens -------------------------------------------- */

/* Length of the markup '<' token at pos ("<" or "&lt;"), 0 if none. */
static size_t
tok_lt(const struct scan *s, size_t pos)
{
	if (s->escaped)
		return at(s, pos, "&lt;") ? 4 : 0;
	return pos < s->len && s->body[pos] == '<';
}

/* Length of a '>' token at pos ("&gt;" also when escaped). */
static size_t
tok_gt(const struct scan *s, size_t pos)
{
	if (pos >= s->len)
		return 0;
	if (s->body[pos] == '>')
		return 1;
	return s->escaped && at(s, pos, "&gt;") ? 4 : 0;
}

/* Whitespace token: blank bytes, or char references to them if escaped. */
static size_t
tok_ws(const struct scan *s, size_t pos)
{
	static const char *const refs[] = {
		"&#10;", "&#13;", "&#9;", "&#32;", "&#xA;", "&#xD;", "&#x9;",
		"&#x20;", "&#xa;", "&#xd;",
	};
	size_t i;
	char c;

	if (pos >= s->len)
		return 0;
	c = s->body[pos];
	if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
		return 1;
	if (s->escaped && c == '&')
		for (i = 0; i < sizeof(refs) / sizeof(refs[0]); i++)
			if (at(s, pos, refs[i]))
				return strlen(refs[i]);
	return 0;
}

static size_t
skip_ws(const struct scan *s, size_t pos)
{
	size_t k;

	while ((k = tok_ws(s, pos)) > 0)
		pos += k;
	return pos;
}

/* Quote token at pos: literal " or ', or &quot; / &apos; when escaped. */
static size_t
tok_quote(const struct scan *s, size_t pos)
{
	if (pos >= s->len)
		return 0;
	if (s->body[pos] == '"' || s->body[pos] == '\'')
		return 1;
	if (s->escaped && (at(s, pos, "&quot;") || at(s, pos, "&apos;")))
		return 6;
	return 0;
}

struct attr {
	int	 present;
	size_t	 ws;		/* start of the whitespace before the name */
	size_t	 name;		/* name offset */
	size_t	 val, vlen;	/* raw value */
	size_t	 end;		/* just past the closing quote */
	size_t	 qlen;		/* quote token length */
};

enum { A_USERKEY, A_USERNAME, A_ACCOUNTID, A_ACNAME, A_N };
static const char *const attr_names[A_N] = {
	"ri:userkey", "ri:username", "ri:account-id", "ac:name"
};

struct tag {
	struct attr	 a[A_N];
	size_t		 end;		/* just past the closing '>' token */
	int		 selfclose;
};

/*
 * Parse the attributes of a start tag whose name ends at pos.  Returns 1
 * when the tag is well-formed up to its '>' (t filled), 0 otherwise: then
 * the caller leaves it alone.  Attribute values may not contain the markup
 * '<' token; duplicate interesting attributes make the tag malformed.
 */
static int
parse_tag(const struct scan *s, size_t pos, struct tag *t)
{
	size_t ws, name, nend, q, k, v, i;

	memset(t, 0, sizeof(*t));
	for (;;) {
		ws = pos;
		pos = skip_ws(s, pos);
		if (pos >= s->len)
			return 0;
		if ((k = tok_gt(s, pos)) > 0) {
			t->end = pos + k;
			return 1;
		}
		if (s->body[pos] == '/') {
			if ((k = tok_gt(s, pos + 1)) == 0)
				return 0;
			t->selfclose = 1;
			t->end = pos + 1 + k;
			return 1;
		}
		if (pos == ws)		/* attributes need separating space */
			return 0;
		name = pos;
		while (pos < s->len && tok_ws(s, pos) == 0 &&
		    s->body[pos] != '=' && s->body[pos] != '>' &&
		    s->body[pos] != '/' && s->body[pos] != '<' &&
		    s->body[pos] != '&' && s->body[pos] != '"' &&
		    s->body[pos] != '\'')
			pos++;
		nend = pos;
		if (nend == name)
			return 0;
		pos = skip_ws(s, pos);
		if (pos >= s->len || s->body[pos] != '=')
			return 0;
		pos = skip_ws(s, pos + 1);
		if ((q = tok_quote(s, pos)) == 0)
			return 0;
		v = pos + q;
		/* the value ends at the same quote token */
		for (pos = v;; pos++) {
			if (pos >= s->len || tok_lt(s, pos) > 0)
				return 0;
			if (s->len - pos >= q &&
			    memcmp(s->body + pos, s->body + v - q, q) == 0)
				break;
		}
		for (i = 0; i < A_N; i++) {
			if (nend - name != strlen(attr_names[i]) ||
			    memcmp(s->body + name, attr_names[i],
			    nend - name) != 0)
				continue;
			if (t->a[i].present)
				return 0;
			t->a[i].present = 1;
			t->a[i].ws = ws;
			t->a[i].name = name;
			t->a[i].val = v;
			t->a[i].vlen = pos - v;
			t->a[i].end = pos + q;
			t->a[i].qlen = q;
		}
		pos += q;
	}
}

/* Is the byte at pos a valid end of an element name? */
static int
name_end(const struct scan *s, size_t pos)
{
	return pos < s->len && (tok_ws(s, pos) > 0 || s->body[pos] == '/' ||
	    tok_gt(s, pos) > 0);
}

/* <ri:user ...>: returns the position to continue scanning from. */
static size_t
do_riuser(struct scan *s, size_t pos)
{
	struct tag t;
	struct attr *main, *a;
	enum uref_kind kind;
	const char *repl;
	size_t i, vq;
	size_t off[A_N], len[A_N];
	int order[A_N], n = 0, j;
	struct strbuf *e = &s->enc;

	if (!parse_tag(s, pos, &t))
		return pos;
	/* Report the strongest identity only: account-id > userkey > name. */
	if (t.a[A_ACCOUNTID].present) {
		main = &t.a[A_ACCOUNTID];
		kind = UREF_ACCOUNTID;
	} else if (t.a[A_USERKEY].present) {
		main = &t.a[A_USERKEY];
		kind = UREF_USERKEY;
	} else if (t.a[A_USERNAME].present) {
		main = &t.a[A_USERNAME];
		kind = UREF_USERNAME;
	} else
		return t.end;
	decode_value(s, s->body + main->val, main->vlen);
	if ((repl = ask(s, kind, main->val)) == NULL)
		return t.end;

	/*
	 * Edits: the reported attribute becomes ri:account-id=Q..Q with its
	 * own quote token Q; the other identity attributes are removed with
	 * their leading whitespace.  Emitted in offset order.
	 */
	for (i = A_USERKEY; i <= A_ACCOUNTID; i++) {
		a = &t.a[i];
		if (!a->present)
			continue;
		if (a == main) {
			off[i] = a->name;
			len[i] = a->end - a->name;
		} else {
			off[i] = a->ws;
			len[i] = a->end - a->ws;
		}
		/* insertion sort by offset */
		for (j = n; j > 0 && off[order[j - 1]] > off[i]; j--)
			order[j] = order[j - 1];
		order[j] = (int)i;
		n++;
	}
	for (j = 0; j < n; j++) {
		i = (size_t)order[j];
		a = &t.a[i];
		sb_reset(e);
		if (a == main) {
			vq = a->val - a->qlen;
			sb_adds(e, "ri:account-id=");
			sb_add(e, s->body + vq, a->qlen);
			enc_attr(s, e, repl);
			sb_add(e, s->body + vq, a->qlen);
		}
		edit(s, off[i], len[i], e->buf != NULL ? e->buf : "", e->len);
	}
	s->nrew++;
	return t.end;
}

/*
 * Build <ri:user ri:account-id="repl" /> in s->enc, quoted like the
 * sample attribute when it used double quotes (literal or &quot;).
 */
static void
gen_user(struct scan *s, const char *repl, const struct attr *like)
{
	struct strbuf *e = &s->enc;
	const char *q;
	size_t ql;

	if (like != NULL && like->present && like->qlen > 0 &&
	    s->body[like->val - like->qlen] != '\'' &&
	    !at(s, like->val - like->qlen, "&apos;")) {
		q = s->body + like->val - like->qlen;
		ql = like->qlen;
	} else {
		q = s->escaped ? "&quot;" : "\"";
		ql = strlen(q);
	}
	sb_reset(e);
	sb_adds(e, s->escaped ? "&lt;" : "<");
	sb_adds(e, "ri:user ri:account-id=");
	sb_add(e, q, ql);
	enc_attr(s, e, repl);
	sb_add(e, q, ql);
	sb_adds(e, s->escaped ? " /&gt;" : " />");
}

/*
 * <ac:parameter ac:name="p"> or <ac:default-parameter> of the innermost
 * open macro, if that macro/parameter pair is in umacros[] (etag: the
 * matching end tag name).  Only plain text content directly followed by
 * that end tag counts; the whole text (surrounding blanks included) is
 * replaced, the trimmed text is reported.
 */
static size_t
do_param(struct scan *s, size_t pos, const char *etag, int isdefault)
{
	struct tag t;
	const char *pname, *repl;
	size_t plen, tstart, tend, k, a, b;
	int mi;

	if (!parse_tag(s, pos, &t) || t.selfclose)
		return pos;
	if (s->mdepth == 0 || s->mdepth > MACRO_DEPTH ||
	    (mi = s->mstack[s->mdepth - 1]) < 0)
		return t.end;
	if (isdefault) {
		pname = "";
		plen = 0;
	} else {
		if (!t.a[A_ACNAME].present)
			return t.end;
		decode_value(s, s->body + t.a[A_ACNAME].val,
		    t.a[A_ACNAME].vlen);
		pname = s->val.buf;
		plen = s->val.len;
	}
	if (!ieq(pname, plen, umacros[mi].param))
		return t.end;
	/* text up to the next markup '<' */
	tstart = t.end;
	for (tend = tstart; tend < s->len && tok_lt(s, tend) == 0; tend++)
		;
	if (tend >= s->len)
		return t.end;
	k = tok_lt(s, tend);
	if (!at(s, tend + k, etag))
		return t.end;
	b = skip_ws(s, tend + k + strlen(etag));
	if (tok_gt(s, b) == 0)
		return t.end;
	/* trim; whitespace-only text is no reference */
	for (a = tstart; a < tend && tok_ws(s, a) > 0; a += tok_ws(s, a))
		;
	if (a >= tend)
		return t.end;
	b = tend;
	while (b > a && (s->body[b - 1] == ' ' || s->body[b - 1] == '\t' ||
	    s->body[b - 1] == '\n' || s->body[b - 1] == '\r'))
		b--;
	decode_value(s, s->body + a, b - a);
	if ((repl = ask(s, UREF_MACRO_USERNAME, a)) == NULL)
		return tend;
	gen_user(s, repl, isdefault ? NULL : &t.a[A_ACNAME]);
	edit(s, tstart, tend - tstart, s->enc.buf, s->enc.len);
	s->nrew++;
	return tend;
}

static size_t
do_macro(struct scan *s, size_t pos)
{
	struct tag t;
	int mi = -1;

	if (!parse_tag(s, pos, &t))
		return pos;
	if (t.selfclose)
		return t.end;
	if (t.a[A_ACNAME].present) {
		decode_value(s, s->body + t.a[A_ACNAME].val,
		    t.a[A_ACNAME].vlen);
		mi = find_macro(s->val.buf, s->val.len);
	}
	if (s->mdepth < MACRO_DEPTH)
		s->mstack[s->mdepth] = mi;
	s->mdepth++;
	return t.end;
}

/* memmem(3) is a GNU extension: not declared under -std=c11. */
static const char *
find(const char *h, size_t hn, const char *n, size_t nn)
{
	const char *p = h, *e = h + hn;

	if (nn == 0)
		return h;
	while ((size_t)(e - p) >= nn &&
	    (p = memchr(p, n[0], (size_t)(e - p) - nn + 1)) != NULL) {
		if (memcmp(p, n, nn) == 0)
			return p;
		p++;
	}
	return NULL;
}

/*
 * Skip to just past the first occurrence of either end marker, or to the
 * end.  Both markers share their first two bytes ("]]" or "--"), so one
 * left-to-right search finds the earliest: searching each marker on its
 * own could scan to the end of the body every time (quadratic).
 */
static size_t
skip_past(const struct scan *s, size_t pos, const char *m1, const char *m2)
{
	const char *p, *e = s->body + s->len;
	size_t l1 = strlen(m1), l2 = m2 != NULL ? strlen(m2) : 0;

	for (p = s->body + pos;
	    (p = find(p, (size_t)(e - p), m1, 2)) != NULL; p++) {
		if ((size_t)(e - p) >= l1 && memcmp(p, m1, l1) == 0)
			return (size_t)(p - s->body) + l1;
		if (m2 != NULL && (size_t)(e - p) >= l2 &&
		    memcmp(p, m2, l2) == 0)
			return (size_t)(p - s->body) + l2;
	}
	return s->len;
}

/*
 * End of an inner CDATA section inside a CDATA-context body.  Confluence
 * wrote the body through escapeCDATA ("]]" -> "]] ", left to right), so
 * the inner "]]>" appears as "]] >", or as "]] ]>" when the inner text
 * itself ends in ']' ("x]" + "]]>" = "x]]]>" -> "x]] ]>"); longer runs of
 * ']' reduce to one of these two.  A raw "]]>" (hand-made data) is
 * accepted too.  Returns the offset just past the '>', or s->len.
 */
static size_t
skip_cdata_end(const struct scan *s, size_t pos)
{
	const char *b = s->body, *q;
	size_t i;

	for (i = pos; i < s->len &&
	    (q = memchr(b + i, '>', s->len - i)) != NULL; i = (size_t)(q - b) + 1) {
		size_t k = (size_t)(q - b);

		if (k >= pos + 3 && memcmp(q - 3, "]] ", 3) == 0)
			return k + 1;
		if (k >= pos + 2 && q[-1] == ']' && q[-2] == ']')
			return k + 1;
		if (k >= pos + 4 && q[-1] == ']' && memcmp(q - 4, "]] ", 3) == 0)
			return k + 1;
	}
	return s->len;
}

/*
 * Cheap prefilter, one memchr pass over ':': every construct the storage
 * scanner acts on contains "ri:user", "ac:macro" or "ac:structured-macro".
 */
static int
storage_candidate(const char *body, size_t len)
{
	const char *p = body, *e = body + len;
	size_t r;

	while (p < e && (p = memchr(p, ':', (size_t)(e - p))) != NULL) {
		r = (size_t)(e - p) - 1;
		if (p - body >= 2 && p[-2] == 'r' && p[-1] == 'i' &&
		    r >= 4 && memcmp(p + 1, "user", 4) == 0)
			return 1;
		if (p - body >= 2 && p[-2] == 'a' && p[-1] == 'c' &&
		    ((r >= 5 && memcmp(p + 1, "macro", 5) == 0) ||
		    (r >= 16 && memcmp(p + 1, "structured-macro", 16) == 0)))
			return 1;
		p++;
	}
	return 0;
}

static void
scan_init(struct scan *s, const char *body, size_t len, int escaped,
    uref_fn fn, void *ctx, struct strbuf *out)
{
	memset(s, 0, sizeof(*s));
	s->body = body;
	s->len = len;
	s->escaped = escaped;
	s->fn = fn;
	s->ctx = ctx;
	s->out = out;
	s->line = 1;
}

static size_t
scan_done(struct scan *s)
{
	if (s->out != NULL) {
		if (s->copied < s->len)
			sb_add(s->out, s->body + s->copied,
			    s->len - s->copied);
		else if (s->out->buf == NULL)
			sb_grow(s->out, 0);
	}
	sb_free(&s->val);
	sb_free(&s->tmp);
	sb_free(&s->enc);
	return s->nrew;
}

size_t
uref_storage(const char *body, size_t len, int escaped, uref_fn fn,
    void *ctx, struct strbuf *out)
{
	struct scan s;
	size_t pos, k, p;
	int ch = escaped ? '&' : '<';
	const char *hit;

	scan_init(&s, body, len, escaped, fn, ctx, out);
	if (body == NULL || len == 0 || !storage_candidate(body, len))
		return scan_done(&s);
	pos = 0;
	while (pos < len &&
	    (hit = memchr(body + pos, ch, len - pos)) != NULL) {
		pos = (size_t)(hit - body);
		if ((k = tok_lt(&s, pos)) == 0) {
			pos++;
			continue;
		}
		p = pos + k;
		if (at(&s, p, "ri:user") && name_end(&s, p + 7))
			pos = do_riuser(&s, p + 7);
		else if (at(&s, p, "ac:macro") && name_end(&s, p + 8))
			pos = do_macro(&s, p + 8);
		else if (at(&s, p, "ac:structured-macro") &&
		    name_end(&s, p + 19))
			pos = do_macro(&s, p + 19);
		else if (at(&s, p, "ac:parameter") && name_end(&s, p + 12))
			pos = do_param(&s, p + 12, "/ac:parameter", 0);
		else if (at(&s, p, "ac:default-parameter") &&
		    name_end(&s, p + 20))
			pos = do_param(&s, p + 20, "/ac:default-parameter", 1);
		else if ((at(&s, p, "/ac:macro") && name_end(&s, p + 9)) ||
		    (at(&s, p, "/ac:structured-macro") &&
		    name_end(&s, p + 20))) {
			if (s.mdepth > 0)
				s.mdepth--;
			pos = p + 1;
		} else if (at(&s, p, "![CDATA[")) {
			pos = escaped ?
			    skip_past(&s, p + 8, "]]&gt;", "]]>") :
			    skip_cdata_end(&s, p + 8);
		} else if (at(&s, p, "!--")) {
			pos = escaped ? skip_past(&s, p + 3, "--&gt;", "-->") :
			    skip_past(&s, p + 3, "-->", NULL);
		} else
			pos = p;
	}
	return scan_done(&s);
}

/* ---- wiki markup ------------------------------------------------------ */

/* Decode a wiki value: one level of text entities, or the CDATA escape. */
static void
wiki_decode(struct scan *s, size_t a, size_t b)
{
	sb_reset(&s->val);
	if (s->escaped)
		decode_once(s->body + a, b - a, &s->val);
	else
		uncdata(s->body + a, b - a, &s->val);
	if (s->val.buf == NULL)
		sb_grow(&s->val, 0);
}

/* Encode repl "as given" for the context (text escape / CDATA escape). */
static void
wiki_encode(struct scan *s, const char *repl)
{
	struct strbuf *e = &s->enc;
	const char *r;

	sb_reset(e);
	for (r = repl; *r != '\0'; r++) {
		if (s->escaped && *r == '&')
			sb_adds(e, "&amp;");
		else if (s->escaped && *r == '<')
			sb_adds(e, "&lt;");
		else if (s->escaped && *r == '>')
			sb_adds(e, "&gt;");
		else if (!s->escaped && *r == ']' && r[1] == ']') {
			sb_adds(e, "]] ");
			r++;
		} else
			sb_addc(e, *r);
	}
	if (e->buf == NULL)
		sb_grow(e, 0);
}

static void
wiki_ref(struct scan *s, size_t a, size_t b)
{
	const char *repl;

	if (b <= a)
		return;
	wiki_decode(s, a, b);
	if ((repl = ask(s, UREF_WIKI_USERNAME, a)) == NULL)
		return;
	wiki_encode(s, repl);
	edit(s, a, b - a, s->enc.buf, s->enc.len);
	s->nrew++;
}

/* [alias|~name|tip] at pos ('['); returns where to continue. */
static size_t
wiki_link(struct scan *s, size_t pos)
{
	size_t i, bars[2], nb = 0, ls, le;
	char c;

	if (pos > 0 && s->body[pos - 1] == '\\')
		return pos + 1;
	for (i = pos + 1; i < s->len; i++) {
		c = s->body[i];
		if (c == '[')
			return i;
		/* An unclosed '[' is text: go on right after it, so that a
		 * macro later on the same line is still seen. */
		if (c == '\n' || c == '\r')
			return pos + 1;
		if (c == ']')
			break;
		if (c == '|' && nb < 2)
			bars[nb++] = i;
	}
	if (i >= s->len)
		return pos + 1;
	/* link part: whole content, or between 1st and 2nd '|' */
	if (nb == 0) {
		ls = pos + 1;
		le = i;
	} else {
		ls = bars[0] + 1;
		le = nb > 1 ? bars[1] : i;
	}
	if (ls < le && s->body[ls] == '~')
		wiki_ref(s, ls + 1, le);
	return i + 1;
}

/* {macro...} at pos ('{'); returns where to continue. */
static size_t
wiki_macro(struct scan *s, size_t pos)
{
	size_t i = pos + 1, n0, close, ps, pe, eq, a, b;
	const char *tag;
	int mi, first = 1;

	/* {code} and {noformat}: skip to the closing tag */
	tag = iat(s, i, "code") ? "{code}" :
	    iat(s, i, "noformat") ? "{noformat}" : NULL;
	if (tag != NULL) {
		n0 = i + strlen(tag) - 2;
		if (n0 < s->len && (s->body[n0] == '}' || s->body[n0] == ':')) {
			for (i = n0; i < s->len && s->body[i] != '}' &&
			    s->body[i] != '\n'; i++)
				;
			if (i >= s->len)
				return s->len;
			for (i++; i < s->len; i++)
				if (s->body[i] == '{' && iat(s, i, tag))
					return i + strlen(tag);
			return s->len;
		}
	}
	n0 = i;
	while (i < s->len && (((s->body[i] | 0x20) >= 'a' &&
	    (s->body[i] | 0x20) <= 'z') || (s->body[i] >= '0' &&
	    s->body[i] <= '9') || s->body[i] == '-' || s->body[i] == '_'))
		i++;
	if (i >= s->len || s->body[i] != ':' ||
	    (mi = find_macro(s->body + n0, i - n0)) < 0)
		return n0;
	for (close = i + 1; close < s->len && s->body[close] != '}'; close++)
		if (s->body[close] == '\n' || s->body[close] == '{')
			return close;
	if (close >= s->len)
		return close;
	/* parameters: a=b|c=d, the first may be unnamed (default) */
	for (ps = i + 1; ps <= close; ps = pe + 1, first = 0) {
		pe = ps;
		while (pe < close && s->body[pe] != '|')
			pe++;
		eq = ps;
		while (eq < pe && s->body[eq] != '=')
			eq++;
		if (eq < pe) {
			a = ps;
			b = eq;
			while (a < b && s->body[a] == ' ')
				a++;
			while (b > a && s->body[b - 1] == ' ')
				b--;
			if (!ieq(s->body + a, b - a, umacros[mi].param))
				continue;
			a = eq + 1;
		} else if (first && umacros[mi].param[0] == '\0')
			a = ps;
		else
			continue;
		b = pe;
		while (a < b && s->body[a] == ' ')
			a++;
		while (b > a && s->body[b - 1] == ' ')
			b--;
		wiki_ref(s, a, b);
	}
	return close + 1;
}

size_t
uref_wiki(const char *body, size_t len, int escaped, uref_fn fn,
    void *ctx, struct strbuf *out)
{
	struct scan s;
	size_t pos = 0;
	const char *p;
	int tilde;

	scan_init(&s, body, len, escaped, fn, ctx, out);
	if (body == NULL || len == 0)
		return scan_done(&s);
	tilde = memchr(body, '~', len) != NULL;
	while (pos < len) {
		if (tilde) {
			/* need both '[' and '{' */
			while (pos < len && body[pos] != '[' &&
			    body[pos] != '{')
				pos++;
			if (pos >= len)
				break;
		} else {
			if ((p = memchr(body + pos, '{', len - pos)) == NULL)
				break;
			pos = (size_t)(p - body);
		}
		if (body[pos] == '[')
			pos = wiki_link(&s, pos);
		else
			pos = wiki_macro(&s, pos);
	}
	return scan_done(&s);
}
