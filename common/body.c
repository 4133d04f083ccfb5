/*
 * body.c - see body.h.
 *
 * The map.  The logical body is described by an array of units, in
 * order, each a piece of the raw bytes and the logical bytes it stands
 * for.  An identity unit copies raw to logical byte for byte; an atom is
 * one reference (&lt; -> '<'), one "]] " escape ("]] " -> "]]"), or a
 * CDATA marker of a MIXED body ("<![CDATA[", "]]>": no logical bytes).
 * A body that needs no decoding (a CDATA body without "]] ", text without
 * '&') is one identity unit and its logical text is the raw bytes: no
 * copy.
 *
 * Edits.  body_edit() records a logical span and the new bytes; it first
 * widens the span to whole atoms (the logical bytes of an atom outside
 * the edit are re-encoded with the new ones) and, in a CDATA context, over
 * adjacent ']', '>' and ' ' so that new and old bytes can never make a
 * "]]>" or a false "]] " where they meet.  body_commit() maps each span
 * to raw bytes and encodes the new bytes: first for where they land
 * (bedit_enc), then for the outer context at the start of the span; if
 * the span ends in another outer context (it crossed a CDATA boundary),
 * the marker that goes from one to the other is appended.
 *
 * The tokenizer is hand-rolled for the same reasons as the entities
 * reader (entities.h): libxml2 cannot give byte spans of attribute values,
 * keep the CDATA/text distinction, or go on after malformed markup, and a
 * storage body is not a document (undeclared prefixes, &nbsp;).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "diag.h"
#include "xmltext.h"

/* ---- raw splices ----------------------------------------------------- */

void
splice_reset(struct splices *sp)
{
	sp->n = 0;
	sb_reset(&sp->text);
}

void
splice_free(struct splices *sp)
{
	free(sp->v);
	sb_free(&sp->text);
	sp->v = NULL;
	sp->n = sp->cap = 0;
}

struct strbuf *
splice_text(struct splices *sp)
{
	if (sp->n == sp->cap) {
		sp->cap = sp->cap ? sp->cap * 2 : 16;
		sp->v = xreallocarray(sp->v, sp->cap, sizeof(*sp->v));
	}
	sp->v[sp->n].toff = sp->text.len;
	return &sp->text;
}

void
splice_end(struct splices *sp, size_t off, size_t len)
{
	struct splice *s = &sp->v[sp->n];

	s->off = off;
	s->len = len;
	s->tlen = sp->text.len - s->toff;
	s->seq = sp->n;
	sp->n++;
}

void
splice_add(struct splices *sp, size_t off, size_t len, const void *p,
    size_t n)
{
	sb_add(splice_text(sp), p, n);
	splice_end(sp, off, len);
}

/* Order of edits: by offset, insertions before a replacement at the
 * same offset, then in order of proposal. */
static int
span_order(size_t xoff, size_t xlen, size_t xseq, size_t yoff, size_t ylen,
    size_t yseq)
{
	if (xoff != yoff)
		return xoff < yoff ? -1 : 1;
	if ((xlen == 0) != (ylen == 0))
		return xlen == 0 ? -1 : 1;
	return (xseq > yseq) - (xseq < yseq);
}

static int
cmp_splice(const void *a, const void *b)
{
	const struct splice *x = a, *y = b;

	return span_order(x->off, x->len, x->seq, y->off, y->len, y->seq);
}

int
splice_apply(struct splices *sp, const char *raw, size_t len,
    void (*wr)(void *, const void *, size_t), void *ctx)
{
	size_t i, pos = 0;
	const struct splice *s;

	if (sp->n > 1)
		qsort(sp->v, sp->n, sizeof(*sp->v), cmp_splice);
	for (i = 0; i < sp->n; i++) {
		s = &sp->v[i];
		if (s->off < pos || s->off > len || s->len > len - s->off)
			return -1;
		pos = s->off + s->len;
	}
	pos = 0;
	for (i = 0; i < sp->n; i++) {
		s = &sp->v[i];
		if (s->off > pos)
			wr(ctx, raw + pos, s->off - pos);
		if (s->tlen > 0)
			wr(ctx, sp->text.buf + s->toff, s->tlen);
		pos = s->off + s->len;
	}
	if (len > pos)
		wr(ctx, raw + pos, len - pos);
	return 0;
}

/* ---- the body ---------------------------------------------------------- */

enum { OC_CDATA, OC_TEXT, OC_PLAIN };

struct unit {
	size_t		 loff, llen;
	size_t		 roff, rlen;
	unsigned char	 oc;		/* OC_* */
	unsigned char	 ident;		/* identity unit */
};

struct bedit {
	size_t		 off, len;	/* widened logical span */
	size_t		 a, b;		/* the span the rule asked for */
	size_t		 toff, tlen;	/* inner-encoded new bytes in etext */
	size_t		 seq;
};

struct body {
	const char	*raw;
	size_t		 rlen, base;
	enum body_outer	 outer;
	enum body_format fmt;
	long		 line0;
	int		 mapped;	/* units/logical built */
	const char	*L;		/* logical text */
	size_t		 n;
	struct strbuf	 lbuf;		/* logical copy when decoding */
	struct unit	*u;
	size_t		 nu, capu;
	int		 quot_style;	/* TEXT: raw writes '"' as &quot; */
	/* tokenizer */
	struct battr	*attr;
	size_t		 nattr, capattr;
	struct strbuf	 aval;		/* decoded attribute values */
	struct bframe	 fr[BODY_MAX_DEPTH];
	size_t		 fr_acoff[BODY_MAX_DEPTH];
	size_t		 depth;
	struct strbuf	 frnames;	/* decoded ac:name of open frames */
	struct strbuf	 dec;		/* body_decode */
	/* dispatch */
	unsigned	 want;		/* token kinds some active rule wants */
	const struct body_rules *rules;
	unsigned char	*active;
	size_t		 nrules, capactive;
	/* lines */
	size_t		 lpos;
	long		 line;
	/* edits */
	struct bedit	*ed;
	size_t		 ned, caped;
	int		 ed_sorted;
	struct strbuf	 etext;
	size_t		 dropped;
	struct strbuf	 tmp, tmp2;
};

struct body *
body_new(void)
{
	struct body *b = xmalloc(sizeof(*b));

	memset(b, 0, sizeof(*b));
	return b;
}

void
body_free(struct body *b)
{
	if (b == NULL)
		return;
	sb_free(&b->lbuf);
	free(b->u);
	free(b->attr);
	sb_free(&b->aval);
	sb_free(&b->frnames);
	sb_free(&b->dec);
	free(b->active);
	free(b->ed);
	sb_free(&b->etext);
	sb_free(&b->tmp);
	sb_free(&b->tmp2);
	free(b);
}

void
body_load_raw(struct body *b, const char *raw, size_t len,
    enum body_outer outer, enum body_format fmt, size_t base, long line)
{
	b->raw = raw != NULL ? raw : "";
	b->rlen = raw != NULL ? len : 0;
	b->base = base;
	b->outer = outer;
	b->fmt = fmt;
	b->line0 = line > 0 ? line : 1;
	b->mapped = 0;
	b->L = NULL;
	b->n = 0;
	b->nu = 0;
	b->depth = 0;
	b->ned = 0;
	b->ed_sorted = 1;
	b->dropped = 0;
	sb_reset(&b->etext);
	b->lpos = 0;
	b->line = b->line0;
}

int
body_load(struct body *b, const struct xobj *o, const struct xmember *m,
    enum body_format fmt)
{
	enum body_outer outer;

	if (m == NULL || m->is_null || m->value == NULL || m->val_len == 0 ||
	    m->val_off > o->raw_len || m->val_len > o->raw_len - m->val_off)
		return -1;
	if (m->value_multi)
		outer = BODY_OUTER_MIXED;
	else if (m->value_cdata)
		outer = BODY_OUTER_CDATA;
	else
		outer = BODY_OUTER_TEXT;
	body_load_raw(b, o->raw + m->val_off, m->val_len, outer, fmt,
	    m->val_off, m->line);
	return 0;
}

int
body_load_value(struct body *b, const struct xmember *m, enum body_format fmt)
{
	if (m == NULL || m->is_null || m->value == NULL || m->value_len == 0)
		return -1;
	/* A CDATA value keeps Confluence's "]] " escapes (entities.h): the
	 * CDATA outer encoding undoes them; text was decoded already. */
	body_load_raw(b, m->value, m->value_len, m->value_cdata ?
	    BODY_OUTER_CDATA : BODY_OUTER_PLAIN, fmt, 0, m->line);
	return 0;
}

enum body_format
body_format_of(const struct body *b)
{
	return b->fmt;
}

static size_t raw_start(const struct body *, size_t, int *);

/*
 * memmem(3) by memchr(3) on the needle's first byte: every needle looked
 * for here starts with a byte that is rare where it is looked for (']',
 * '<' in escaped text, '-', '?'), and memchr is vectorised.
 */
static const char *
find(const char *h, size_t hn, const char *n, size_t nn)
{
	const char *p = h, *e = h + hn;

	while ((size_t)(e - p) >= nn &&
	    (p = memchr(p, n[0], (size_t)(e - p) - nn + 1)) != NULL) {
		if (memcmp(p, n, nn) == 0)
			return p;
		p++;
	}
	return NULL;
}

/* ---- the map ------------------------------------------------------------ */

static void
unit_add(struct body *b, size_t roff, size_t rlen, size_t llen, int oc,
    int ident)
{
	struct unit *u;

	/* extend the previous identity unit */
	if (ident && b->nu > 0) {
		u = &b->u[b->nu - 1];
		if (u->ident && u->oc == oc && u->roff + u->rlen == roff) {
			u->rlen += rlen;
			u->llen += llen;
			return;
		}
	}
	if (b->nu == b->capu) {
		b->capu = b->capu ? b->capu * 2 : 64;
		b->u = xreallocarray(b->u, b->capu, sizeof(*b->u));
	}
	u = &b->u[b->nu++];
	u->loff = b->lbuf.len - llen;
	u->llen = llen;
	u->roff = roff;
	u->rlen = rlen;
	u->oc = (unsigned char)oc;
	u->ident = (unsigned char)ident;
}

/* Map raw CDATA content [off, off+len): "]] " atoms. */
static void
map_cdata(struct body *b, size_t off, size_t len)
{
	const char *r = b->raw, *p, *e = r + off + len, *h;

	p = r + off;
	while (p < e) {
		h = find(p, (size_t)(e - p), "]] ", 3);
		if (h == NULL)
			h = e;
		if (h > p) {
			sb_add(&b->lbuf, p, (size_t)(h - p));
			unit_add(b, (size_t)(p - r), (size_t)(h - p),
			    (size_t)(h - p), OC_CDATA, 1);
		}
		if (h == e)
			break;
		sb_add(&b->lbuf, "]]", 2);
		unit_add(b, (size_t)(h - r), 3, 2, OC_CDATA, 0);
		p = h + 3;
	}
}

/* Map raw escaped text [off, off+len): one atom per reference. */
static void
map_text(struct body *b, size_t off, size_t len)
{
	const char *r = b->raw, *p, *e = r + off + len, *amp;
	char out[4];
	size_t used, olen;

	p = r + off;
	while (p < e) {
		amp = memchr(p, '&', (size_t)(e - p));
		if (amp == NULL)
			amp = e;
		if (amp > p) {
			sb_add(&b->lbuf, p, (size_t)(amp - p));
			unit_add(b, (size_t)(p - r), (size_t)(amp - p),
			    (size_t)(amp - p), OC_TEXT, 1);
		}
		if (amp == e)
			break;
		used = xt_ref(amp, (size_t)(e - amp), out, &olen);
		if (used == 0) {	/* a lone '&' (not well-formed) */
			sb_addc(&b->lbuf, '&');
			unit_add(b, (size_t)(amp - r), 1, 1, OC_TEXT, 1);
			p = amp + 1;
		} else {
			sb_add(&b->lbuf, out, olen);
			unit_add(b, (size_t)(amp - r), used, olen, OC_TEXT, 0);
			p = amp + used;
		}
	}
}

/* MIXED: CDATA sections and text between them. */
static void
map_mixed(struct body *b)
{
	const char *r = b->raw, *p = r, *e = r + b->rlen, *h, *c;

	while (p < e) {
		h = find(p, (size_t)(e - p), "<![CDATA[", 9);
		if (h == NULL)
			h = e;
		if (h > p)
			map_text(b, (size_t)(p - r), (size_t)(h - p));
		if (h == e)
			break;
		unit_add(b, (size_t)(h - r), 9, 0, OC_CDATA, 0);
		c = find(h + 9, (size_t)(e - h - 9), "]]>", 3);
		if (c == NULL)
			c = e;	/* unterminated: the reader refuses it */
		map_cdata(b, (size_t)(h + 9 - r), (size_t)(c - h - 9));
		if (c == e)
			break;
		unit_add(b, (size_t)(c - r), 3, 0, OC_TEXT, 0);
		p = c + 3;
	}
}

/* 1 if s holds "]] ". */
static int
has_cdata_escape(const char *s, size_t n)
{
	return find(s, n, "]] ", 3) != NULL;
}

static void
build_map(struct body *b)
{
	int oc;

	if (b->mapped)
		return;
	b->mapped = 1;
	b->nu = 0;
	sb_reset(&b->lbuf);
	oc = b->outer == BODY_OUTER_CDATA ? OC_CDATA :
	    b->outer == BODY_OUTER_TEXT ? OC_TEXT : OC_PLAIN;
	if (b->outer == BODY_OUTER_PLAIN ||
	    (b->outer == BODY_OUTER_CDATA && !has_cdata_escape(b->raw,
	    b->rlen)) ||
	    (b->outer == BODY_OUTER_TEXT && memchr(b->raw, '&', b->rlen) == NULL)) {
		/* no decoding: logical == raw */
		b->L = b->raw;
		b->n = b->rlen;
		if (b->capu == 0) {
			b->capu = 64;
			b->u = xreallocarray(NULL, b->capu, sizeof(*b->u));
		}
		b->u[0].loff = b->u[0].roff = 0;
		b->u[0].llen = b->u[0].rlen = b->rlen;
		b->u[0].oc = (unsigned char)oc;
		b->u[0].ident = 1;
		b->nu = 1;
		b->quot_style = 0;
		return;
	}
	if (b->outer == BODY_OUTER_CDATA)
		map_cdata(b, 0, b->rlen);
	else if (b->outer == BODY_OUTER_TEXT)
		map_text(b, 0, b->rlen);
	else
		map_mixed(b);
	if (b->lbuf.buf == NULL)
		sb_grow(&b->lbuf, 0);
	b->L = b->lbuf.buf;
	b->n = b->lbuf.len;
	b->quot_style = find(b->raw, b->rlen, "&quot;", 6) != NULL;
}

const char *
body_text(const struct body *cb, size_t *len)
{
	struct body *b = (struct body *)cb;	/* the map is a cache */

	build_map(b);
	*len = b->n;
	return b->L;
}

/* Index of the unit holding logical byte off (off < n), by bisection
 * over the units that hold logical bytes. */
static size_t
unit_at(const struct body *b, size_t off)
{
	size_t lo = 0, hi = b->nu, mid;

	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (b->u[mid].loff <= off)
			lo = mid;
		else
			hi = mid;
	}
	/* skip zero-length units at the same logical offset */
	while (lo + 1 < b->nu && b->u[lo].loff + b->u[lo].llen <= off)
		lo++;
	while (lo > 0 && b->u[lo].llen == 0 && b->u[lo - 1].loff +
	    b->u[lo - 1].llen > off)
		lo--;
	return lo;
}

long
body_line(struct body *b, size_t off)
{
	const char *p, *e;
	size_t r;
	int oc;

	build_map(b);
	/* lines of the file: count raw line ends (&#10; is not one) */
	r = raw_start(b, off, &oc);
	if (r < b->lpos) {
		b->lpos = 0;
		b->line = b->line0;
	}
	p = b->raw + b->lpos;
	e = b->raw + r;
	while (p < e && (p = memchr(p, '\n', (size_t)(e - p))) != NULL) {
		b->line++;
		p++;
	}
	b->lpos = r;
	return b->line;
}

const char *
body_decode(struct body *b, size_t off, size_t len, size_t *n)
{
	sb_reset(&b->dec);
	if (off <= b->n && len <= b->n - off)
		xt_decode(&b->dec, b->L + off, len);
	if (b->dec.buf == NULL)
		sb_grow(&b->dec, 0);
	*n = b->dec.len;
	return b->dec.buf;
}

/* ---- small helpers ---------------------------------------------------- */

int
body_ieq(const char *s, size_t n, const char *lit)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int a = (unsigned char)s[i], c = (unsigned char)lit[i];

		if (c == '\0')
			return 0;
		if (a >= 'A' && a <= 'Z')
			a += 'a' - 'A';
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (a != c)
			return 0;
	}
	return lit[n] == '\0';
}

static int
span_eq(const char *s, size_t n, const char *lit)
{
	size_t k = strlen(lit);

	return n == k && memcmp(s, lit, k) == 0;
}

const struct battr *
btok_attr(const struct btok *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->nattr; i++)
		if (span_eq(t->attr[i].name, t->attr[i].name_len, name))
			return &t->attr[i];
	return NULL;
}

int
btok_is(const struct btok *t, const char *name)
{
	return t->name != NULL && span_eq(t->name, t->name_len, name);
}

size_t
body_depth(const struct body *b)
{
	return b->depth;
}

const struct bframe *
body_frame(const struct body *b, size_t i)
{
	return i < b->depth && i < BODY_MAX_DEPTH ? &b->fr[i] : NULL;
}

const struct bframe *
body_inside(const struct body *b, const char *name)
{
	size_t i = b->depth < BODY_MAX_DEPTH ? b->depth : BODY_MAX_DEPTH;

	while (i-- > 0)
		if (span_eq(b->fr[i].name, b->fr[i].name_len, name))
			return &b->fr[i];
	return NULL;
}

const struct bframe *
body_macro(const struct body *b)
{
	size_t i = b->depth < BODY_MAX_DEPTH ? b->depth : BODY_MAX_DEPTH;

	while (i-- > 0)
		if (b->fr[i].macro)
			return &b->fr[i];
	return NULL;
}

static int
is_ws(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* ---- edits --------------------------------------------------------------- */

/* 1 if logical offset off (0 < off <= n) ends an identity run of outer
 * context oc that is raw-adjacent to raw offset r (nothing in between). */
static int
ident_before(const struct body *b, size_t off, size_t r, int oc)
{
	const struct unit *u;

	if (off == 0)
		return 0;
	u = &b->u[unit_at(b, off - 1)];
	return u->ident && u->oc == oc && u->roff + (off - u->loff) == r;
}

/* Same for the byte at off (off < n) starting at raw offset r. */
static int
ident_after(const struct body *b, size_t off, size_t r, int oc)
{
	const struct unit *u;

	if (off >= b->n)
		return 0;
	u = &b->u[unit_at(b, off)];
	return u->ident && u->oc == oc && u->roff + (off - u->loff) == r;
}

static size_t raw_end(const struct body *, size_t, int *);

/*
 * Widen [*pa, *pe) (the rule's span; the new bytes are nw/nn, already
 * encoded for where they land) to whole atoms and, where new bytes meet
 * old ones in an identity run, over the neighbours that could combine
 * with them: in CDATA "]" + "]>" must not make "]]>" nor "]" + "] " a
 * false "]] "; in text "]]" + ">" must not make "]]>".  The neighbours are
 * re-encoded with the new bytes.
 */
static void
widen(struct body *b, size_t *pa, size_t *pe, const char *nw, size_t nn)
{
	size_t a = *pa, e = *pe, ra, re, k;
	const struct unit *u;
	int oca = OC_TEXT, oce = OC_TEXT, c0, c1, again, left = 0, right = 0;

	do {
		again = 0;
		if (a < b->n) {
			u = &b->u[unit_at(b, a)];
			if (!u->ident && a > u->loff) {
				a = u->loff;
				again = 1;
			}
		}
		if (e > a && e < b->n) {
			u = &b->u[unit_at(b, e)];
			if (!u->ident && e > u->loff) {
				e = u->loff + u->llen;
				again = 1;
			}
		} else if (e == a && a < b->n) {
			u = &b->u[unit_at(b, a)];
			if (!u->ident && e > u->loff) {
				e = u->loff + u->llen;
				again = 1;
			}
		}
		/* first and last byte of what will be written there */
		k = (*pa - a) + nn + (e - *pe);
		if (k == 0) {
			c1 = e < b->n ? (unsigned char)b->L[e] : -1;
			c0 = a > 0 ? (unsigned char)b->L[a - 1] : -1;
		} else {
			c1 = a < *pa ? (unsigned char)b->L[a] : nn > 0 ?
			    (unsigned char)nw[0] : (unsigned char)b->L[*pe];
			c0 = e > *pe ? (unsigned char)b->L[e - 1] : nn > 0 ?
			    (unsigned char)nw[nn - 1] :
			    (unsigned char)b->L[*pa - 1];
		}
		ra = raw_start(b, a, &oca);
		re = e > a ? raw_end(b, e, &oce) : ra;
		if (e == a)
			oce = oca;
		if (left < 2 && oca == OC_CDATA && (c1 == ']' || c1 == '>' ||
		    c1 == ' ') && ident_before(b, a, ra, OC_CDATA) &&
		    b->L[a - 1] == ']') {
			a--;
			left++;
			again = 1;
			continue;
		}
		if (right < 3 && c0 == ']' && ident_after(b, e, re, oce) &&
		    ((oce == OC_CDATA && (b->L[e] == ']' || b->L[e] == '>' ||
		    b->L[e] == ' ')) || (oce == OC_TEXT && (b->L[e] == ']' ||
		    b->L[e] == '>')))) {
			e++;
			right++;
			again = 1;
		}
	} while (again);
	*pa = a;
	*pe = e;
}

int
body_edit(struct body *b, size_t off, size_t len, const char *s, size_t n,
    enum bedit_enc enc)
{
	struct bedit *ed, *last;
	size_t a = off, e, i, toff;

	build_map(b);
	if (off > b->n || len > b->n - off)
		return -1;
	e = off + len;
	toff = b->etext.len;
	switch (enc) {
	case BE_ATTR:
		b->dropped += xt_add_attr(&b->etext, s, n);
		break;
	case BE_TEXT:
		b->dropped += xml_add_text(&b->etext, s, n);
		break;
	case BE_CDATA:
		b->dropped += xt_add_inner_cdata(&b->etext, s, n);
		break;
	default:
		sb_add(&b->etext, s, n);
	}
	widen(b, &a, &e, b->etext.buf + toff, b->etext.len - toff);
	/* overlap with an edit already proposed (spans are widened) */
	for (i = b->ned; i-- > 0;) {
		ed = &b->ed[i];
		if ((a < ed->off + ed->len && ed->off < e) ||
		    /* an insertion strictly inside a replacement */
		    (a == e && a > ed->off && a < ed->off + ed->len) ||
		    (ed->len == 0 && ed->off > a && ed->off < e)) {
			b->etext.len = toff;
			return -1;
		}
		if (b->ed_sorted && ed->off + ed->len <= a)
			break;	/* sorted: nothing before can overlap */
	}
	if (b->ned == b->caped) {
		b->caped = b->caped ? b->caped * 2 : 16;
		b->ed = xreallocarray(b->ed, b->caped, sizeof(*b->ed));
	}
	last = b->ned > 0 ? &b->ed[b->ned - 1] : NULL;
	if (last != NULL && (a < last->off + last->len ||
	    (a == last->off && last->len > 0)))
		b->ed_sorted = 0;
	ed = &b->ed[b->ned];
	ed->off = a;
	ed->len = e - a;
	ed->a = off;
	ed->b = off + len;
	ed->toff = toff;
	ed->tlen = b->etext.len - toff;
	ed->seq = b->ned;
	b->ned++;
	return 0;
}

size_t
body_nedits(const struct body *b)
{
	return b->ned;
}

size_t
body_dropped(const struct body *b)
{
	return b->dropped;
}

/* Outer text encoding: & < > escaped, '"' as the body writes it. */
static size_t
outer_text(struct body *b, struct strbuf *sb, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, j, k, dropped = 0;

	while (i < n) {
		for (j = i; j < n && u[j] >= 0x20 && u[j] < 0x80 &&
		    u[j] != '&' && u[j] != '<' && u[j] != '>' &&
		    (u[j] != '"' || !b->quot_style); j++)
			;
		sb_add(sb, s + i, j - i);
		if ((i = j) >= n)
			break;
		switch (u[i]) {
		case '&': sb_adds(sb, "&amp;"); i++; continue;
		case '<': sb_adds(sb, "&lt;"); i++; continue;
		case '>': sb_adds(sb, "&gt;"); i++; continue;
		case '"': sb_adds(sb, "&quot;"); i++; continue;
		}
		if ((k = xt_xml_char_len(u + i, n - i)) == 0) {
			dropped++;
			i++;
			continue;
		}
		sb_add(sb, s + i, k);
		i += k;
	}
	return dropped;
}

static void
outer_encode(struct body *b, struct strbuf *sb, int oc, const char *s,
    size_t n)
{
	if (oc == OC_CDATA)
		b->dropped += xt_add_cdata_content(sb, s, n);
	else if (oc == OC_TEXT)
		b->dropped += outer_text(b, sb, s, n);
	else
		sb_add(sb, s, n);
}

/* Raw offset of logical offset off as the start of a span. */
static size_t
raw_start(const struct body *b, size_t off, int *oc)
{
	const struct unit *u;

	if (b->nu == 0) {
		*oc = b->outer == BODY_OUTER_CDATA ? OC_CDATA : OC_TEXT;
		return 0;
	}
	if (off >= b->n) {	/* the end: after the last logical byte */
		size_t i = b->nu;

		while (i > 1 && b->u[i - 1].llen == 0)
			i--;
		u = &b->u[i - 1];
		*oc = u->oc;
		return u->roff + u->rlen;
	}
	u = &b->u[unit_at(b, off)];
	*oc = u->oc;
	return u->roff + (u->ident ? off - u->loff : 0);
}

/* Raw offset just past logical byte end - 1. */
static size_t
raw_end(const struct body *b, size_t end, int *oc)
{
	const struct unit *u = &b->u[unit_at(b, end - 1)];

	*oc = u->oc;
	return u->roff + (u->ident ? end - u->loff : u->rlen);
}

static int
cmp_bedit(const void *x, const void *y)
{
	const struct bedit *p = x, *q = y;

	return span_order(p->off, p->len, p->seq, q->off, q->len, q->seq);
}

/* The raw splice of edit ed: appended to sp. */
static void
commit_one(struct body *b, const struct bedit *ed, struct splices *sp)
{
	struct strbuf *lg = &b->tmp, *out;
	size_t ra, rb;
	int oca, ocb;

	sb_reset(lg);
	sb_add(lg, b->L + ed->off, ed->a - ed->off);
	sb_add(lg, b->etext.buf + ed->toff, ed->tlen);
	sb_add(lg, b->L + ed->b, ed->off + ed->len - ed->b);
	ra = raw_start(b, ed->off, &oca);
	if (ed->len > 0)
		rb = raw_end(b, ed->off + ed->len, &ocb);
	else {
		rb = ra;
		ocb = oca;
	}
	out = splice_text(sp);
	outer_encode(b, out, oca, lg->buf != NULL ? lg->buf : "", lg->len);
	if (oca == OC_CDATA && ocb == OC_TEXT)
		sb_add(out, "]]>", 3);
	else if (oca == OC_TEXT && ocb == OC_CDATA)
		sb_add(out, "<![CDATA[", 9);
	splice_end(sp, b->base + ra, rb - ra);
}

size_t
body_commit(struct body *b, struct splices *sp)
{
	size_t i;

	if (b->ned == 0)
		return 0;
	if (!b->ed_sorted) {
		qsort(b->ed, b->ned, sizeof(*b->ed), cmp_bedit);
		b->ed_sorted = 1;
	}
	for (i = 0; i < b->ned; i++)
		commit_one(b, &b->ed[i], sp);
	return b->ned;
}

static void
sb_wr(void *ctx, const void *p, size_t n)
{
	sb_add(ctx, p, n);
}

void
body_apply(struct body *b, struct strbuf *out)
{
	struct splices sp = SPLICES_INIT;
	size_t base = b->base;

	b->base = 0;
	body_commit(b, &sp);
	b->base = base;
	if (splice_apply(&sp, b->raw, b->rlen, sb_wr, out) < 0)
		diag_die(SP_EXIT_FAIL, NULL, 0, "internal error: overlapping "
		    "body edits");
	if (out->buf == NULL)
		sb_grow(out, 0);
	splice_free(&sp);
}

/* ---- dispatch ------------------------------------------------------------ */

static void
dispatch(struct body *b, const struct btok *t)
{
	const struct body_rule *r;
	size_t i;

	for (i = 0; i < b->nrules; i++) {
		if (!b->active[i])
			continue;
		r = b->rules[i].rule;
		if (r->want != 0 && !(r->want & (1u << t->kind)))
			continue;
		if ((t->flags & BT_IN_CODE) && !r->want_code)
			continue;
		r->token(b, t, b->rules[i].ctx);
	}
}

/* ---- wiki markup ---------------------------------------------------------- */

static struct battr *
attr_new(struct body *b)
{
	struct battr *a;

	if (b->nattr == b->capattr) {
		b->capattr = b->capattr ? b->capattr * 2 : 16;
		b->attr = xreallocarray(b->attr, b->capattr, sizeof(*b->attr));
	}
	a = &b->attr[b->nattr++];
	memset(a, 0, sizeof(*a));
	return a;
}

static void
wiki_part(struct body *b, const char *name, size_t s, size_t e)
{
	struct battr *a = attr_new(b);

	a->name = name;
	a->name_len = strlen(name);
	a->ws = a->off = a->voff = s;
	a->vlen = e - s;
	a->end = e;
	a->val = b->L + s;
	a->val_len = e - s;
}

static int
wiki_namec(int c)
{
	return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* [alias|link|tip] at pos ('['); returns where to go on. */
static size_t
wiki_link(struct body *b, size_t pos, size_t end, unsigned flags,
    enum bedit_enc enc)
{
	const char *L = b->L;
	size_t i, bars[2], nb = 0;
	struct btok t;

	if (pos > 0 && L[pos - 1] == '\\')
		return pos + 1;
	for (i = pos + 1; i < end; i++) {
		char c = L[i];

		if (c == '[')
			return i;
		/* an unclosed '[' is text: a macro later on the line counts */
		if (c == '\n' || c == '\r')
			return pos + 1;
		if (c == ']')
			break;
		if (c == '|' && nb < 2)
			bars[nb++] = i;
	}
	if (i >= end)
		return pos + 1;
	b->nattr = 0;
	if (nb == 0)
		wiki_part(b, "link", pos + 1, i);
	else {
		wiki_part(b, "alias", pos + 1, bars[0]);
		wiki_part(b, "link", bars[0] + 1, nb > 1 ? bars[1] : i);
		if (nb > 1)
			wiki_part(b, "tip", bars[1] + 1, i);
	}
	memset(&t, 0, sizeof(t));
	t.kind = BT_WIKI_LINK;
	t.off = pos;
	t.len = i + 1 - pos;
	t.attr = b->attr;
	t.nattr = b->nattr;
	t.flags = flags;
	t.text_off = pos + 1;
	t.text_len = i - pos - 1;
	t.text_enc = enc;
	dispatch(b, &t);
	return i + 1;
}

/* {code..}..{code}, {noformat..}..{noformat}, {name:params} at pos. */
static size_t
wiki_macro(struct body *b, size_t pos, size_t end, unsigned flags,
    enum bedit_enc enc)
{
	const char *L = b->L;
	size_t i = pos + 1, n0, close, ps, pe, eq, a, e, cs;
	const char *tag;
	struct btok t;
	int first = 1;

	memset(&t, 0, sizeof(t));
	t.flags = flags;
	t.text_enc = enc;
	tag = end - i >= 4 && body_ieq(L + i, 4, "code") ? "{code}" :
	    end - i >= 8 && body_ieq(L + i, 8, "noformat") ? "{noformat}" :
	    NULL;
	if (tag != NULL) {
		size_t tl = strlen(tag);

		n0 = i + tl - 2;
		if (n0 < end && (L[n0] == '}' || L[n0] == ':')) {
			for (i = n0; i < end && L[i] != '}' && L[i] != '\n'; i++)
				;
			cs = i + 1;
			if (i < end)
				for (i++; i < end; i++)
					if (L[i] == '{' && end - i >= tl &&
					    body_ieq(L + i, tl, tag))
						break;
			t.kind = BT_WIKI_CODE;
			t.off = pos;
			t.name = L + pos + 1;
			t.name_len = tl - 2;
			t.text_off = cs < end ? cs : end;
			t.text_len = (i < end ? i : end) - t.text_off;
			e = i < end ? i + tl : end;
			t.len = e - pos;
			t.flags |= BT_IN_CODE;
			dispatch(b, &t);
			return e;
		}
	}
	n0 = i;
	while (i < end && wiki_namec((unsigned char)L[i]))
		i++;
	if (i == n0 || i >= end || (L[i] != ':' && L[i] != '}'))
		return n0;
	/* a lone CR ends a line as LF does: no parameter spans lines */
	for (close = i; close < end && L[close] != '}'; close++)
		if (L[close] == '\n' || L[close] == '\r' || L[close] == '{')
			return close;
	if (close >= end)
		return close;
	b->nattr = 0;
	/* parameters: a=b|c=d, the first may be unnamed (default) */
	for (ps = i + 1; L[i] == ':' && ps <= close; ps = pe + 1, first = 0) {
		struct battr *at;

		pe = ps;
		while (pe < close && L[pe] != '|')
			pe++;
		eq = ps;
		while (eq < pe && L[eq] != '=')
			eq++;
		if (eq < pe) {
			a = ps;
			e = eq;
			while (a < e && L[a] == ' ')
				a++;
			while (e > a && L[e - 1] == ' ')
				e--;
			at = attr_new(b);
			at->name = L + a;
			at->name_len = e - a;
			at->ws = ps;
			at->off = a;
			a = eq + 1;
		} else if (first) {
			at = attr_new(b);
			at->name = "";
			at->ws = at->off = ps;
			a = ps;
		} else
			continue;
		e = pe;
		while (a < e && L[a] == ' ')
			a++;
		while (e > a && L[e - 1] == ' ')
			e--;
		at->voff = a;
		at->vlen = e - a;
		at->val = L + a;
		at->val_len = e - a;
		at->end = pe;
	}
	t.kind = BT_WIKI_MACRO;
	t.off = pos;
	t.len = close + 1 - pos;
	t.name = L + n0;
	t.name_len = i - n0;
	t.attr = b->attr;
	t.nattr = b->nattr;
	t.text_off = L[i] == ':' ? i + 1 : close;
	t.text_len = close - t.text_off;
	dispatch(b, &t);
	return close + 1;
}

static void
tok_wiki(struct body *b, size_t pos, size_t end, unsigned flags,
    enum bedit_enc enc)
{
	const char *L = b->L;

	while (pos < end) {
		while (pos < end && L[pos] != '[' && L[pos] != '{')
			pos++;
		if (pos >= end)
			break;
		if (L[pos] == '[')
			pos = wiki_link(b, pos, end, flags, enc);
		else
			pos = wiki_macro(b, pos, end, flags, enc);
	}
}

/* ---- storage format ---------------------------------------------------- */

static int
name_start(int c)
{
	return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '_' ||
	    c == ':' || c >= 0x80;
}

/* Bytes that end a name: white space / > < = " ' & (a table: hot). */
static const unsigned char name_stop[256] = {
	['\t'] = 1, ['\n'] = 1, ['\r'] = 1, [' '] = 1, ['/'] = 1, ['>'] = 1,
	['<'] = 1, ['='] = 1, ['"'] = 1, ['\''] = 1, ['&'] = 1,
};
#define name_char(c)	(!name_stop[(unsigned char)(c)])

/*
 * Attributes of a start tag whose name ends at pos, into b->attr.  Returns
 * the offset just past the '>' and sets *selfclose, or 0 when the tag is
 * malformed (then it is not a tag).
 */
static size_t
parse_attrs(struct body *b, size_t pos, int *selfclose)
{
	const char *L = b->L;
	size_t n = b->n, ws, name, nend, v, q, i;
	struct battr *a;
	const char *qp;

	b->nattr = 0;
	sb_reset(&b->aval);
	*selfclose = 0;
	for (;;) {
		ws = pos;
		while (pos < n && is_ws((unsigned char)L[pos]))
			pos++;
		if (pos >= n)
			return 0;
		if (L[pos] == '>')
			break;
		if (L[pos] == '/') {
			if (pos + 1 >= n || L[pos + 1] != '>')
				return 0;
			*selfclose = 1;
			pos++;
			break;
		}
		if (pos == ws)		/* attributes need separating space */
			return 0;
		name = pos;
		while (pos < n && name_char((unsigned char)L[pos]))
			pos++;
		nend = pos;
		if (nend == name)
			return 0;
		while (pos < n && is_ws((unsigned char)L[pos]))
			pos++;
		if (pos >= n || L[pos] != '=')
			return 0;
		pos++;
		while (pos < n && is_ws((unsigned char)L[pos]))
			pos++;
		if (pos >= n || (L[pos] != '"' && L[pos] != '\''))
			return 0;
		q = pos++;
		v = pos;
		qp = memchr(L + v, L[q], n - v);
		if (qp == NULL || memchr(L + v, '<', (size_t)(qp - (L + v))))
			return 0;
		pos = (size_t)(qp - L);
		a = attr_new(b);
		a->name = L + name;
		a->name_len = nend - name;
		a->ws = ws;
		a->off = name;
		a->voff = v;
		a->vlen = pos - v;
		a->quote = L[q];
		pos++;
		a->end = pos;
		if (memchr(L + v, '&', a->vlen) == NULL) {
			a->val = L + v;
			a->val_len = a->vlen;
		} else {
			/* decoded into aval; the pointer is set below */
			a->val = NULL;
			a->val_len = b->aval.len;	/* start, for now */
			xt_decode(&b->aval, L + v, a->vlen);
			a->val_len = b->aval.len - a->val_len;
		}
	}
	/* now that aval no longer moves, point into it */
	for (i = 0, v = 0; i < b->nattr; i++) {
		if (b->attr[i].val != NULL)
			continue;
		b->attr[i].val = b->aval.buf + v;
		v += b->attr[i].val_len;
	}
	return pos + 1;
}

static void
frame_push(struct body *b, const struct btok *t)
{
	struct bframe *f;
	const struct battr *an;
	size_t i;
	char *old;

	if (b->depth >= BODY_MAX_DEPTH) {
		b->depth++;
		return;
	}
	f = &b->fr[b->depth];
	f->name = t->name;
	f->name_len = t->name_len;
	f->off = t->off;
	f->macro = btok_is(t, "ac:structured-macro") || btok_is(t, "ac:macro");
	f->acname = NULL;
	f->acname_len = 0;
	b->fr_acoff[b->depth] = b->frnames.len;
	if ((f->macro || btok_is(t, "ac:parameter")) &&
	    (an = btok_attr(t, "ac:name")) != NULL) {
		old = b->frnames.buf;
		sb_add(&b->frnames, an->val, an->val_len);
		sb_addc(&b->frnames, '\0');
		f->acname_len = an->val_len;
		if (old != b->frnames.buf)	/* moved: re-point */
			for (i = 0; i < b->depth; i++)
				if (b->fr[i].acname != NULL)
					b->fr[i].acname = b->frnames.buf +
					    b->fr_acoff[i];
		f->acname = b->frnames.buf + b->fr_acoff[b->depth];
	}
	b->depth++;
}

static void
frame_pop(struct body *b)
{
	if (b->depth == 0)
		return;
	b->depth--;
	if (b->depth < BODY_MAX_DEPTH)
		b->frnames.len = b->fr_acoff[b->depth];
}

/* Matching open element for end tag name (innermost), or -1. */
static long
frame_find(const struct body *b, const char *name, size_t len)
{
	size_t i = b->depth < BODY_MAX_DEPTH ? b->depth : BODY_MAX_DEPTH;

	if (b->depth > BODY_MAX_DEPTH)
		return (long)b->depth - 1;	/* untracked: trust it */
	while (i-- > 0)
		if (b->fr[i].name_len == len &&
		    memcmp(b->fr[i].name, name, len) == 0)
			return (long)i;
	return -1;
}

/* Flags and encoding for a CDATA section / text at the current place. */
static unsigned
place_flags(const struct body *b, int *wiki)
{
	const struct bframe *m;

	*wiki = 0;
	if (body_inside(b, "ac:plain-text-body") == NULL)
		return 0;
	m = body_macro(b);
	if (m != NULL && m->acname != NULL &&
	    body_ieq(m->acname, m->acname_len, "unmigrated-wiki-markup")) {
		*wiki = 1;
		return BT_IN_PLAIN;
	}
	return BT_IN_PLAIN | BT_IN_CODE;
}

static void
tok_storage(struct body *b)
{
	const char *L = b->L, *lt, *h;
	size_t n = b->n, pos = 0, p, ne;
	struct btok t;
	long fi;
	int wiki;

	while (pos < n) {
		lt = memchr(L + pos, '<', n - pos);
		p = lt != NULL ? (size_t)(lt - L) : n;
		memset(&t, 0, sizeof(t));
		if (p > pos && (b->want & (1u << BT_TEXT))) {
			t.kind = BT_TEXT;
			t.off = t.text_off = pos;
			t.len = t.text_len = p - pos;
			t.flags = place_flags(b, &wiki);
			t.text_enc = BE_TEXT;
			dispatch(b, &t);
		}
		if (p >= n)
			break;
		t.off = p;
		t.flags = 0;
		t.text_enc = BE_TEXT;
		if (n - p >= 4 && memcmp(L + p, "<!--", 4) == 0) {
			h = find(L + p + 4, n - p - 4, "-->", 3);
			ne = h != NULL ? (size_t)(h - L) : n;
			t.kind = BT_COMMENT;
			t.text_off = p + 4;
			t.text_len = ne - p - 4;
			pos = h != NULL ? ne + 3 : n;
			t.len = pos - p;
			dispatch(b, &t);
			continue;
		}
		if (n - p >= 9 && memcmp(L + p, "<![CDATA[", 9) == 0) {
			h = find(L + p + 9, n - p - 9, "]]>", 3);
			ne = h != NULL ? (size_t)(h - L) : n;
			t.kind = BT_CDATA;
			t.text_off = p + 9;
			t.text_len = ne - p - 9;
			pos = h != NULL ? ne + 3 : n;
			t.len = pos - p;
			t.flags = place_flags(b, &wiki);
			t.text_enc = BE_CDATA;
			dispatch(b, &t);
			if (wiki)
				tok_wiki(b, t.text_off, t.text_off + t.text_len,
				    BT_IN_WIKI | BT_IN_PLAIN, BE_CDATA);
			continue;
		}
		if (n - p >= 2 && (L[p + 1] == '?' || L[p + 1] == '!')) {
			h = L[p + 1] == '?' ? find(L + p + 2, n - p - 2, "?>",
			    2) : memchr(L + p + 2, '>', n - p - 2);
			pos = h == NULL ? n : (size_t)(h - L) +
			    (L[p + 1] == '?' ? 2 : 1);
			t.kind = BT_OTHER;
			t.len = pos - p;
			dispatch(b, &t);
			continue;
		}
		if (n - p >= 3 && L[p + 1] == '/' &&
		    name_start((unsigned char)L[p + 2])) {
			for (ne = p + 2; ne < n && name_char((unsigned char)L[ne]);
			    ne++)
				;
			for (pos = ne; pos < n && is_ws((unsigned char)L[pos]);
			    pos++)
				;
			if (pos < n && L[pos] == '>') {
				t.kind = BT_END;
				t.name = L + p + 2;
				t.name_len = ne - p - 2;
				t.len = pos + 1 - p;
				fi = frame_find(b, t.name, t.name_len);
				if (fi >= 0) {
					/* close what was left open inside */
					while (b->depth > (size_t)fi + 1)
						frame_pop(b);
					dispatch(b, &t);
					frame_pop(b);
				} else
					dispatch(b, &t);
				pos++;
				continue;
			}
		} else if (n - p >= 2 && name_start((unsigned char)L[p + 1])) {
			int sc;

			for (ne = p + 1; ne < n && name_char((unsigned char)L[ne]);
			    ne++)
				;
			if ((pos = parse_attrs(b, ne, &sc)) > 0) {
				t.kind = BT_START;
				t.name = L + p + 1;
				t.name_len = ne - p - 1;
				t.len = pos - p;
				t.attr = b->attr;
				t.nattr = b->nattr;
				t.selfclose = sc;
				t.flags = place_flags(b, &wiki) & ~BT_IN_CODE;
				dispatch(b, &t);
				if (!sc)
					frame_push(b, &t);
				continue;
			}
		}
		/* a '<' that starts no markup */
		t.kind = BT_OTHER;
		t.len = 1;
		pos = p + 1;
		dispatch(b, &t);
	}
}

/* ---- running rules ------------------------------------------------------ */

/*
 * Which rules a body triggers.  Every trigger is anchored on its first
 * ':' (the rarest byte most triggers have; else on its first byte), and
 * triggers sharing an anchor byte are looked for in one memchr(3) pass
 * that stops as soon as every rule waiting on that byte is triggered:
 * for convert's user rule this is one pass over the ':' of the body, as
 * the hand-written prefilter it replaces was.
 *
 * The search runs over the raw bytes (no decoding: the fast path).  Raw
 * bytes can hide a trigger the logical text holds: a MIXED body can split
 * "ri:user" across CDATA sections ("<ri]]>:user"), and a character
 * reference can spell any byte ("ri&#58;user").  When the raw search
 * finds nothing and the body is one of those, the search runs again over
 * the logical text.
 */
#define MAX_TRIG	64

static size_t
triggers_find_in(struct body *b, const struct body_rules *rules,
    size_t nrules, const char *buf, size_t len)
{
	struct { const char *s; size_t len, anchor, rule; int done; } t[MAX_TRIG];
	const char *const *tr;
	const char *p, *e = buf + len, *colon;
	size_t nt = 0, i, j, nact = 0, waiting;
	int c;

	for (i = 0; i < nrules; i++) {
		const struct body_rule *r = rules[i].rule;

		if (b->active[i] || !(r->formats & (1u << b->fmt)))
			continue;
		tr = b->fmt == BODY_STORAGE ? r->storage_triggers :
		    r->wiki_triggers;
		if (tr == NULL) {
			b->active[i] = 1;
			continue;
		}
		for (; *tr != NULL; tr++) {
			if (nt == MAX_TRIG || **tr == '\0') {
				b->active[i] = 1;	/* too many: run it */
				break;
			}
			t[nt].s = *tr;
			t[nt].len = strlen(*tr);
			colon = strchr(*tr, ':');
			t[nt].anchor = colon != NULL ? (size_t)(colon - *tr) : 0;
			t[nt].rule = i;
			t[nt].done = 0;
			nt++;
		}
	}
	for (i = 0; i < nt; i++) {
		if (t[i].done || b->active[t[i].rule])
			continue;
		c = (unsigned char)t[i].s[t[i].anchor];
		for (p = buf; p < e && (p = memchr(p, c, (size_t)(e - p))) !=
		    NULL; p++) {
			waiting = 0;
			for (j = i; j < nt; j++) {
				if (b->active[t[j].rule] ||
				    (unsigned char)t[j].s[t[j].anchor] != c)
					continue;
				if ((size_t)(p - buf) >= t[j].anchor &&
				    (size_t)(e - p) >= t[j].len - t[j].anchor &&
				    memcmp(p - t[j].anchor, t[j].s, t[j].len) == 0)
					b->active[t[j].rule] = 1;
				else
					waiting++;
			}
			if (waiting == 0)
				break;
		}
		/* the other triggers on c were looked for too */
		for (j = i + 1; j < nt; j++)
			if ((unsigned char)t[j].s[t[j].anchor] == c)
				t[j].done = 1;
	}
	for (i = 0; i < nrules; i++)
		nact += b->active[i];
	return nact;
}

/* 1 if the raw bytes may hide a trigger the logical text holds. */
static int
may_hide(const struct body *b)
{
	if (b->outer == BODY_OUTER_MIXED)
		return find(b->raw, b->rlen, "<![CDATA[", 9) != NULL;
	if (b->outer == BODY_OUTER_TEXT)
		return find(b->raw, b->rlen, "&#", 2) != NULL;
	return 0;
}

static size_t
triggers_find(struct body *b, const struct body_rules *rules, size_t nrules)
{
	size_t nact, i, idle = 0;

	memset(b->active, 0, nrules);
	nact = triggers_find_in(b, rules, nrules, b->raw, b->rlen);
	for (i = 0; i < nrules; i++)	/* rules for this format not triggered */
		idle += !b->active[i] &&
		    (rules[i].rule->formats & (1u << b->fmt)) != 0;
	if (idle > 0 && may_hide(b)) {
		build_map(b);
		nact = triggers_find_in(b, rules, nrules, b->L, b->n);
	}
	return nact;
}

size_t
body_run(struct body *b, const struct body_rules *rules, size_t nrules)
{
	size_t i, nact;

	if (b->fmt != BODY_STORAGE && b->fmt != BODY_WIKI)
		return 0;
	if (nrules > b->capactive) {
		b->capactive = nrules;
		b->active = xreallocarray(b->active, nrules, 1);
	}
	if ((nact = triggers_find(b, rules, nrules)) == 0)
		return 0;	/* the fast path: nothing to look at */
	build_map(b);
	b->rules = rules;
	b->nrules = nrules;
	b->want = 0;
	for (i = 0; i < nrules; i++)
		if (b->active[i])
			b->want |= rules[i].rule->want != 0 ?
			    rules[i].rule->want : ~0u;
	b->depth = 0;
	sb_reset(&b->frnames);
	for (i = 0; i < nrules; i++)
		if (b->active[i] && rules[i].rule->begin != NULL)
			rules[i].rule->begin(b, rules[i].ctx);
	if (b->fmt == BODY_STORAGE)
		tok_storage(b);
	else
		tok_wiki(b, 0, b->n, 0, BE_MARKUP);
	for (i = 0; i < nrules; i++)
		if (b->active[i] && rules[i].rule->end != NULL)
			rules[i].rule->end(b, rules[i].ctx);
	b->nrules = 0;
	return b->ned;
}
