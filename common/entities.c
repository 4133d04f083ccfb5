/*
 * entities.c - lossless, object-at-a-time reader of entities.xml.
 *
 * How it works.  The reader keeps one byte buffer.  buf[pos..len) holds
 * the bytes not yet handed out: first the gap (prolog, root start tag,
 * whitespace, comments), then the next <object>, then maybe more.  Each
 * call to ent_next() makes an "attempt": it scans the gap and parses the
 * object that follows entirely from memory, never reading.  Every place
 * where the parser would step past the end of the buffered bytes makes
 * the attempt stop with ST_NEED; ent_next() then reads more (at least
 * doubling what is buffered, so the rescans are amortised O(n)) and
 * starts the attempt again from the start of the gap.  At end of input
 * ST_NEED becomes the error recorded by the failing step ("unterminated
 * CDATA section", ...).  Most objects are parsed exactly once; only the
 * object that straddles a read boundary is parsed twice.
 *
 * Because the attempt is a pure function of the buffered bytes, the result
 * never depends on how the read function chunks its output (a reader that
 * returns one byte at a time gives the same objects, lines and errors).
 *
 * The parsed view.  Decoded strings (attribute values, values, ids) live in
 * an arena of chunks that never move: when a chunk is full a bigger one is
 * started and the old one is kept until the next object, so pointers
 * handed out stay valid.  Members, collection elements and component
 * sub-members live in three arrays owned by the reader and reused from
 * object to object; the xmember.elem/sub pointers are filled in at the end
 * of the object, when those arrays can no longer move.  In the steady
 * state there is no malloc at all.
 *
 * Offsets.  During the gap scan offsets are relative to buf+pos; the
 * object is then parsed with a second parse state whose base is the
 * object's "<", so that every span in the parsed view is relative to
 * xobj.raw as the header requires.
 *
 * Choices where entities.h is silent:
 *  - max_object 0 means the default, 64 MiB.  The same limit bounds each
 *    gap, including the bytes after </hibernate-generic>.
 *  - Values are decoded exactly as documented and no more: line ends
 *    (CR LF) and white space in attribute values are NOT normalised as a
 *    full XML parser would; unknown references ("&foo;", "&#0;",
 *    surrogates) are kept literally.
 *  - value_cdata: at least one CDATA section.  value_multi: more than one
 *    segment (CDATA sections and/or text), or a comment/PI in the value.
 *  - composite-id (object or reference): idname NULL, value the parts
 *    joined with '/', val_* the bytes between the composite-id tags with
 *    value_multi set.  <id> without name= gets idname "id".
 *  - <component> children keep their own kind (a reference inside stays
 *    XM_REF); a nested component is flattened into the same sub list;
 *    other children of a component, and non-<element> children of a
 *    collection, are skipped (still in raw).
 *  - XM_OTHER: name is the element name, cls/pkg its class=/package= if
 *    any, value NULL.
 *  - Errors: an object without an id or with two ids; non-blank text or
 *    any element other than <object> between objects.  Anything after
 *    </hibernate-generic> is accepted into the last gap as is.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "entities.h"
#include "strbuf.h"
#include "xmltext.h"

#define ENT_CHUNK	(64 * 1024)
#define ENT_DEFMAX	((size_t)64 * 1024 * 1024)
#define MAXATTR		8	/* attributes remembered per tag; more are parsed, then ignored */
#define MAXNEST		32	/* nesting limit for <component> inside <component> */

/*
 * String arena: see the comment at the top.  An "open" string is being
 * appended to; it always sits at the end of the current chunk, and is
 * copied to the new chunk if the current one fills up.
 */
struct arena {
	char	*buf;
	size_t	 len, cap;
	size_t	 open;		/* start of the open string */
	int	 isopen;
	char	**old;		/* full chunks kept alive until arena_reset */
	size_t	 nold, capold;
};

struct ent_reader {
	ent_read_fn	 rd;
	void		*ctx;
	char		*fname;
	size_t		 max_object;
	char		*buf;
	size_t		 cap, len, pos;	/* gap starts at buf[pos] */
	int		 eof;		/* rd returned 0 */
	int		 failed;	/* an error was reported: keep returning -1 */
	int		 done;		/* the final gap was returned */
	int		 root;		/* the root start tag was handed out */
	long		 line;		/* line number of buf[pos] */
	struct xobj	 obj;
	struct xmember	*mem, *sub;
	size_t		 nmem, capmem, nsub, capsub;
	struct xelem	*elem;
	size_t		 nelem, capelem;
	struct arena	 ar;
};

enum { ST_OK, ST_NEED, ST_ERR };

/* State of one attempt, for the gap or for one object. */
struct ps {
	struct ent_reader *r;
	const char	*b;		/* base; offsets below are relative to it */
	size_t		 n;		/* bytes available from b */
	int		 st;
	const char	*eofmsg;	/* what to say if ST_NEED at end of file */
	size_t		 eofoff;
	size_t		 erroff;	/* offset an ST_ERR message is about */
	char		 msg[256];
	size_t		 lnoff;		/* line cache: line lnno starts at or before lnoff */
	long		 lnno;
	long		 line0;		/* line of b[0] */
};

struct attr {
	size_t	 noff, nlen, voff, vlen;
};

struct tag {
	size_t		 off;		/* the '<' */
	size_t		 noff, nlen;	/* element name */
	struct attr	 a[MAXATTR];
	int		 na;
	int		 empty;		/* ended with "/>" */
	size_t		 end;		/* just past the '>' */
};

/* What read_content() learnt about a value. */
struct vinfo {
	size_t	 val_off, val_len;
	int	 cdata, multi;
	size_t	 end;		/* just past the end tag */
};

/* Result of parsing <id> or <composite-id>. */
struct idval {
	const char	*idname;
	const char	*value;
	size_t		 vlen;
	struct vinfo	 vi;
	size_t		 raw_off, raw_len;
};

/*
 * Character classes.  C_WS: XML white space.  C_NE: ends an element or
 * attribute name.
 */
#define C_WS	1
#define C_NE	2
static const unsigned char ctab[256] = {
	[' '] = C_WS | C_NE, ['\t'] = C_WS | C_NE, ['\n'] = C_WS | C_NE,
	['\r'] = C_WS | C_NE, ['/'] = C_NE, ['>'] = C_NE, ['='] = C_NE,
	['<'] = C_NE, ['"'] = C_NE, ['\''] = C_NE
};

/* ---------------------------------------------------------------- arena */

static void
arena_reset(struct arena *a)
{
	size_t i;

	for (i = 0; i < a->nold; i++)
		free(a->old[i]);
	a->nold = 0;
	a->len = 0;
	a->isopen = 0;
}

static void
arena_free(struct arena *a)
{
	arena_reset(a);
	free(a->old);
	free(a->buf);
	memset(a, 0, sizeof(*a));
}

/* Make room for n more bytes in the current chunk. */
static void
arena_reserve(struct arena *a, size_t n)
{
	size_t keep, ncap;
	char *nb;

	if (a->cap - a->len >= n)
		return;
	keep = a->isopen ? a->len - a->open : 0;
	ncap = a->cap ? a->cap * 2 : 4096;
	while (ncap < keep + n)
		ncap *= 2;
	nb = xmalloc(ncap);
	if (keep > 0)
		memcpy(nb, a->buf + a->open, keep);
	if (a->buf != NULL) {
		if (a->nold == a->capold) {
			a->capold = a->capold ? a->capold * 2 : 8;
			a->old = xreallocarray(a->old, a->capold, sizeof(*a->old));
		}
		a->old[a->nold++] = a->buf;
	}
	a->buf = nb;
	a->cap = ncap;
	a->len = keep;
	a->open = 0;
}

static void
arena_begin(struct arena *a)
{
	a->open = a->len;
	a->isopen = 1;
}

static void
arena_add(struct arena *a, const char *p, size_t n)
{
	arena_reserve(a, n + 1);	/* +1: room for the closing NUL */
	if (n > 0)
		memcpy(a->buf + a->len, p, n);
	a->len += n;
}

static const char *
arena_end(struct arena *a, size_t *lenp)
{
	const char *s;

	arena_reserve(a, 1);
	a->buf[a->len] = '\0';
	s = a->buf + a->open;
	if (lenp != NULL)
		*lenp = a->len - a->open;
	a->len++;
	a->isopen = 0;
	return s;
}

/* ------------------------------------------------------ parse utilities */

static long
line_at(struct ps *ps, size_t off)
{
	const char *p, *e;

	if (off > ps->n)
		off = ps->n;
	if (off < ps->lnoff) {
		ps->lnoff = 0;
		ps->lnno = ps->line0;
	}
	p = ps->b + ps->lnoff;
	e = ps->b + off;
	while (p < e && (p = memchr(p, '\n', (size_t)(e - p))) != NULL) {
		ps->lnno++;
		p++;
	}
	ps->lnoff = off;
	return ps->lnno;
}

/* Ran out of buffered bytes; msg (if not NULL) is what to say at EOF. */
static int
need(struct ps *ps, size_t off, const char *msg)
{
	ps->st = ST_NEED;
	ps->eofmsg = msg;
	ps->eofoff = off;
	return -1;
}

static int
fail(struct ps *ps, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(struct ps *ps, size_t off, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ps->msg, sizeof(ps->msg), fmt, ap);
	va_end(ap);
	ps->st = ST_ERR;
	ps->erroff = off;
	return -1;
}

/*
 * Does lit start at off?  1 yes, 0 no, -1 cannot tell yet (the buffered
 * bytes are a proper prefix of lit).
 */
static int
at(const struct ps *ps, size_t off, const char *lit, size_t litlen)
{
	size_t k = ps->n - off;

	if (k > litlen)
		k = litlen;
	if (memcmp(ps->b + off, lit, k) != 0)
		return 0;
	return k < litlen ? -1 : 1;
}

#define AT(ps, off, lit)	at((ps), (off), (lit), sizeof(lit) - 1)

/*
 * Offset of the first occurrence of lit at or after from, or SIZE_MAX.
 * memchr on the first byte, which for "]]>", "-->", "?>" is rare in
 * practice, then a memcmp.
 */
static size_t
find(const struct ps *ps, size_t from, const char *lit, size_t litlen)
{
	const char *p = ps->b + from, *e = ps->b + ps->n;

	while ((size_t)(e - p) >= litlen &&
	    (p = memchr(p, lit[0], (size_t)(e - p) - litlen + 1)) != NULL) {
		if (memcmp(p + 1, lit + 1, litlen - 1) == 0)
			return (size_t)(p - ps->b);
		p++;
	}
	return SIZE_MAX;
}

static size_t
skip_ws(const struct ps *ps, size_t p)
{
	while (p < ps->n && (ctab[(unsigned char)ps->b[p]] & C_WS))
		p++;
	return p;
}

/* Is the span [off, off+len) equal to the C string s? */
static int
span_is(const struct ps *ps, size_t off, size_t len, const char *s)
{
	return strlen(s) == len && memcmp(ps->b + off, s, len) == 0;
}

#define TAG_IS(ps, t, s)	span_is((ps), (t)->noff, (t)->nlen, (s))

static int
attr_find(const struct ps *ps, const struct tag *t, const char *name)
{
	int i;

	for (i = 0; i < t->na; i++)
		if (span_is(ps, t->a[i].noff, t->a[i].nlen, name))
			return i;
	return -1;
}

/* Width of a printable excerpt of a name in messages. */
static int
pw(size_t len)
{
	return len > 64 ? 64 : (int)len;
}

/*
 * Parse a start tag whose '<' is at p into *t.  The attribute values are
 * found by looking for the matching quote, so '>' inside them is fine.
 */
static int
parse_stag(struct ps *ps, size_t p, struct tag *t)
{
	size_t q, nstart;
	char quote;
	const char *e;

	t->off = p;
	t->na = 0;
	t->empty = 0;
	q = p + 1;
	t->noff = q;
	while (q < ps->n && !(ctab[(unsigned char)ps->b[q]] & C_NE))
		q++;
	if (q >= ps->n)
		return need(ps, p, NULL);
	t->nlen = q - t->noff;
	if (t->nlen == 0)
		return fail(ps, p, "malformed tag");
	for (;;) {
		q = skip_ws(ps, q);
		if (q >= ps->n)
			return need(ps, p, NULL);
		if (ps->b[q] == '>') {
			t->end = q + 1;
			return 0;
		}
		if (ps->b[q] == '/') {
			if (q + 1 >= ps->n)
				return need(ps, p, NULL);
			if (ps->b[q + 1] != '>')
				break;
			t->empty = 1;
			t->end = q + 2;
			return 0;
		}
		/* attribute name */
		nstart = q;
		while (q < ps->n && !(ctab[(unsigned char)ps->b[q]] & C_NE))
			q++;
		if (q >= ps->n)
			return need(ps, p, NULL);
		if (q == nstart)
			break;
		if (t->na < MAXATTR) {
			t->a[t->na].noff = nstart;
			t->a[t->na].nlen = q - nstart;
		}
		q = skip_ws(ps, q);
		if (q >= ps->n)
			return need(ps, p, NULL);
		if (ps->b[q] != '=')
			break;
		q = skip_ws(ps, q + 1);
		if (q >= ps->n)
			return need(ps, p, NULL);
		quote = ps->b[q];
		if (quote != '"' && quote != '\'')
			break;
		q++;
		e = memchr(ps->b + q, quote, ps->n - q);
		if (e == NULL)
			return need(ps, p, NULL);
		if (t->na < MAXATTR) {
			t->a[t->na].voff = q;
			t->a[t->na].vlen = (size_t)(e - ps->b) - q;
			t->na++;
		}
		q = (size_t)(e - ps->b) + 1;
	}
	return fail(ps, q, "malformed start tag <%.*s>", pw(t->nlen),
	    ps->b + t->noff);
}

/* Parse an end tag "</name  >" at p; *endp is just past '>'. */
static int
parse_etag(struct ps *ps, size_t p, size_t *noff, size_t *nlen,
    size_t *endp)
{
	size_t q = p + 2;

	*noff = q;
	while (q < ps->n && !(ctab[(unsigned char)ps->b[q]] & C_NE))
		q++;
	*nlen = q - *noff;
	q = skip_ws(ps, q);
	if (q >= ps->n)
		return need(ps, p, NULL);
	if (ps->b[q] != '>' || *nlen == 0)
		return fail(ps, p, "malformed end tag");
	*endp = q + 1;
	return 0;
}

/* The end tag at p must close the element t. */
static int
expect_etag(struct ps *ps, size_t p, const struct tag *t, size_t *endp)
{
	size_t noff, nlen;

	if (parse_etag(ps, p, &noff, &nlen, endp) < 0)
		return -1;
	if (nlen != t->nlen || memcmp(ps->b + noff, ps->b + t->noff, nlen))
		return fail(ps, p, "expected </%.*s>, found </%.*s>",
		    pw(t->nlen), ps->b + t->noff, pw(nlen), ps->b + noff);
	return 0;
}

/* Skip "<!--...-->", "<?...?>" or "<![CDATA[...]]>" at p (already identified). */
static int
skip_comment(struct ps *ps, size_t p, size_t *endp)
{
	size_t e = find(ps, p + 4, "-->", 3);

	if (e == SIZE_MAX)
		return need(ps, p, "unterminated comment");
	*endp = e + 3;
	return 0;
}

static int
skip_pi(struct ps *ps, size_t p, size_t *endp)
{
	size_t e = find(ps, p + 2, "?>", 2);

	if (e == SIZE_MAX)
		return need(ps, p, "unterminated processing instruction");
	*endp = e + 2;
	return 0;
}

static int
skip_cdata(struct ps *ps, size_t p, size_t *endp)
{
	size_t e = find(ps, p + 9, "]]>", 3);

	if (e == SIZE_MAX)
		return need(ps, p, "unterminated CDATA section");
	*endp = e + 3;
	return 0;
}

/*
 * In element content: skip text, white space, comments, PIs and CDATA
 * sections, stopping at the '<' of the next start or end tag (*qp).
 */
static int
skip_misc(struct ps *ps, size_t p, size_t *qp)
{
	const char *lt;
	size_t q;
	int r;

	for (;;) {
		if (p >= ps->n)
			return need(ps, p, NULL);
		lt = memchr(ps->b + p, '<', ps->n - p);
		if (lt == NULL)
			return need(ps, p, NULL);
		q = (size_t)(lt - ps->b);
		if (q + 1 >= ps->n)
			return need(ps, q, NULL);
		if (ps->b[q + 1] != '!' && ps->b[q + 1] != '?') {
			*qp = q;
			return 0;
		}
		if (ps->b[q + 1] == '?') {
			if (skip_pi(ps, q, &p) < 0)
				return -1;
		} else if ((r = AT(ps, q, "<!--")) != 0) {
			if (r < 0)
				return need(ps, q, NULL);
			if (skip_comment(ps, q, &p) < 0)
				return -1;
		} else if ((r = AT(ps, q, "<![CDATA[")) != 0) {
			if (r < 0)
				return need(ps, q, NULL);
			if (skip_cdata(ps, q, &p) < 0)
				return -1;
		} else
			return fail(ps, q, "unexpected markup declaration");
	}
}

/* Skip the rest of element t (its start tag is parsed), nested or not. */
static int
skip_element(struct ps *ps, const struct tag *t, size_t *endp)
{
	size_t depth = 1, p = t->end, q, noff, nlen;
	struct tag c;

	if (t->empty) {
		*endp = t->end;
		return 0;
	}
	for (;;) {
		if (skip_misc(ps, p, &q) < 0)
			return -1;
		if (ps->b[q + 1] == '/') {
			if (parse_etag(ps, q, &noff, &nlen, &p) < 0)
				return -1;
			if (--depth == 0) {
				*endp = p;
				return 0;
			}
		} else {
			if (parse_stag(ps, q, &c) < 0)
				return -1;
			if (!c.empty)
				depth++;
			p = c.end;
		}
	}
}

/* ----------------------------------------------------------- decoding */

/* Append text [off, off+len) to the open arena string, decoding references. */
static void
add_text(struct ps *ps, size_t off, size_t len)
{
	struct arena *a = &ps->r->ar;
	const char *p = ps->b + off, *e = p + len, *amp;
	char out[4];
	size_t olen, used;

	while (p < e) {
		amp = memchr(p, '&', (size_t)(e - p));
		if (amp == NULL) {
			arena_add(a, p, (size_t)(e - p));
			return;
		}
		arena_add(a, p, (size_t)(amp - p));
		used = xt_ref(amp, (size_t)(e - amp), out, &olen);
		if (used == 0) {
			arena_add(a, amp, 1);
			p = amp + 1;
		} else {
			arena_add(a, out, olen);
			p = amp + used;
		}
	}
}

/* Decoded copy of attribute i of t, or NULL if i < 0. */
static const char *
attr_str(struct ps *ps, const struct tag *t, int i)
{
	if (i < 0)
		return NULL;
	arena_begin(&ps->r->ar);
	add_text(ps, t->a[i].voff, t->a[i].vlen);
	return arena_end(&ps->r->ar, NULL);
}

static const char *
attr_get(struct ps *ps, const struct tag *t, const char *name)
{
	return attr_str(ps, t, attr_find(ps, t, name));
}

/*
 * Text content of element t (not empty), appended to the open arena
 * string: text segments decoded, CDATA sections unwrapped, comments and
 * PIs skipped.  A child element is an error.
 */
static int
read_content(struct ps *ps, const struct tag *t, struct vinfo *vi)
{
	struct arena *a = &ps->r->ar;
	size_t p = t->end, q, e, nseg = 0;
	const char *lt;
	int r, other = 0;

	vi->cdata = 0;
	vi->multi = 0;
	vi->val_off = t->end;
	vi->val_len = 0;
	for (;;) {
		lt = p < ps->n ? memchr(ps->b + p, '<', ps->n - p) : NULL;
		if (lt == NULL)
			return need(ps, p, NULL);
		q = (size_t)(lt - ps->b);
		if (q > p) {
			add_text(ps, p, q - p);
			if (nseg++ == 0) {
				vi->val_off = p;
				vi->val_len = q - p;
			}
		}
		if (q + 1 >= ps->n)
			return need(ps, q, NULL);
		switch (ps->b[q + 1]) {
		case '/':
			if (expect_etag(ps, q, t, &vi->end) < 0)
				return -1;
			if (nseg > 1 || other) {
				vi->multi = 1;
				vi->val_off = t->end;
				vi->val_len = q - t->end;
			}
			return 0;
		case '?':
			if (skip_pi(ps, q, &p) < 0)
				return -1;
			other = 1;
			break;
		case '!':
			if ((r = AT(ps, q, "<![CDATA[")) > 0) {
				if (skip_cdata(ps, q, &e) < 0)
					return -1;
				arena_add(a, ps->b + q + 9, e - 3 - (q + 9));
				if (nseg++ == 0) {
					vi->val_off = q + 9;
					vi->val_len = e - 3 - (q + 9);
				}
				vi->cdata = 1;
				p = e;
			} else if (r == 0 && (r = AT(ps, q, "<!--")) > 0) {
				if (skip_comment(ps, q, &p) < 0)
					return -1;
				other = 1;
			} else if (r < 0)
				return need(ps, q, NULL);
			else
				return fail(ps, q, "unexpected markup declaration");
			break;
		default:
			e = q + 1;
			while (e < ps->n && !(ctab[(unsigned char)ps->b[e]] & C_NE))
				e++;
			return fail(ps, q, "unexpected <%.*s> inside <%.*s>",
			    pw(e - q - 1), ps->b + q + 1, pw(t->nlen),
			    ps->b + t->noff);
		}
	}
}

/* Value of element t as a new arena string. */
static int
tag_value(struct ps *ps, const struct tag *t, const char **vp, size_t *lenp,
    struct vinfo *vi)
{
	arena_begin(&ps->r->ar);
	if (t->empty) {
		memset(vi, 0, sizeof(*vi));
		vi->val_off = t->end;
		vi->end = t->end;
	} else if (read_content(ps, t, vi) < 0)
		return -1;
	*vp = arena_end(&ps->r->ar, lenp);
	return 0;
}

/*
 * <id name="id|key">V</id> or <composite-id><property ...>V</property>...
 * </composite-id>, start tag t already parsed.
 */
static int
parse_idpart(struct ps *ps, const struct tag *t, struct idval *iv)
{
	struct tag c;
	size_t p, q;
	int i, first = 1;

	iv->raw_off = t->off;
	if (TAG_IS(ps, t, "id")) {
		/* "id" and "key" are all that occur: no need to copy them */
		i = attr_find(ps, t, "name");
		if (i < 0 || span_is(ps, t->a[i].voff, t->a[i].vlen, "id"))
			iv->idname = "id";
		else if (span_is(ps, t->a[i].voff, t->a[i].vlen, "key"))
			iv->idname = "key";
		else
			iv->idname = attr_str(ps, t, i);
		if (tag_value(ps, t, &iv->value, &iv->vlen, &iv->vi) < 0)
			return -1;
		iv->raw_len = iv->vi.end - t->off;
		return 0;
	}
	/* composite-id: the parts joined with '/' */
	iv->idname = NULL;
	memset(&iv->vi, 0, sizeof(iv->vi));
	iv->vi.val_off = t->end;
	iv->vi.multi = 1;
	arena_begin(&ps->r->ar);
	p = t->end;
	if (t->empty)
		goto out;
	for (;;) {
		if (skip_misc(ps, p, &q) < 0)
			return -1;
		if (ps->b[q + 1] == '/') {
			if (expect_etag(ps, q, t, &p) < 0)
				return -1;
			iv->vi.val_len = q - t->end;
			break;
		}
		if (parse_stag(ps, q, &c) < 0)
			return -1;
		if (!TAG_IS(ps, &c, "property")) {
			if (skip_element(ps, &c, &p) < 0)
				return -1;
			continue;
		}
		if (!first)
			arena_add(&ps->r->ar, "/", 1);
		first = 0;
		if (c.empty)
			p = c.end;
		else {
			struct vinfo vi;

			if (read_content(ps, &c, &vi) < 0)
				return -1;
			p = vi.end;
		}
	}
out:
	iv->vi.end = p;
	iv->value = arena_end(&ps->r->ar, &iv->vlen);
	iv->raw_len = p - t->off;
	return 0;
}

/*
 * The content of a reference or entity element: optional white space and
 * comments, an idpart, then the end tag of t.
 */
static int
parse_ref_content(struct ps *ps, const struct tag *t, struct idval *iv,
    size_t *endp)
{
	struct tag c;
	size_t q;

	if (skip_misc(ps, t->end, &q) < 0)
		return -1;
	if (ps->b[q + 1] == '/')
		return fail(ps, q, "<%.*s> with class= has no <id>",
		    pw(t->nlen), ps->b + t->noff);
	if (parse_stag(ps, q, &c) < 0)
		return -1;
	if (!TAG_IS(ps, &c, "id") && !TAG_IS(ps, &c, "composite-id"))
		return fail(ps, q, "expected <id> inside <%.*s>, found <%.*s>",
		    pw(t->nlen), ps->b + t->noff, pw(c.nlen), ps->b + c.noff);
	if (parse_idpart(ps, &c, iv) < 0)
		return -1;
	if (skip_misc(ps, iv->vi.end, &q) < 0)
		return -1;
	if (ps->b[q + 1] != '/')
		return fail(ps, q, "more than one <id> inside <%.*s>",
		    pw(t->nlen), ps->b + t->noff);
	return expect_etag(ps, q, t, endp);
}

static void *
grow(void *arr, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return arr;
	*cap = *cap ? *cap * 2 : 64;
	while (*cap < need)
		*cap *= 2;
	return xreallocarray(arr, *cap, size);
}

static void
push_mem(struct xmember **arr, size_t *n, size_t *cap, const struct xmember *m)
{
	*arr = grow(*arr, cap, *n + 1, sizeof(**arr));
	(*arr)[(*n)++] = *m;
}

/* <property ...>: plain, null, reference or enum.  Fills *m. */
static int
parse_property(struct ps *ps, const struct tag *t, struct xmember *m)
{
	struct idval iv;
	struct vinfo vi;
	size_t end;
	int icls, ienum;

	icls = attr_find(ps, t, "class");
	ienum = attr_find(ps, t, "enum-class");
	m->kind = ienum >= 0 ? XM_ENUM : icls >= 0 ? XM_REF : XM_PROP;
	m->name = attr_get(ps, t, "name");
	m->cls = attr_str(ps, t, ienum >= 0 ? ienum : icls);
	m->pkg = attr_get(ps, t, "package");
	if (t->empty) {
		m->is_null = 1;
		m->raw_len = t->end - t->off;
		return 0;
	}
	if (m->kind == XM_REF) {
		if (parse_ref_content(ps, t, &iv, &end) < 0)
			return -1;
		m->idname = iv.idname;
		m->value = iv.value;
		m->value_len = iv.vlen;
		m->val_off = iv.vi.val_off;
		m->val_len = iv.vi.val_len;
		m->value_cdata = iv.vi.cdata;
		m->value_multi = iv.vi.multi;
		m->raw_len = end - t->off;
		return 0;
	}
	if (tag_value(ps, t, &m->value, &m->value_len, &vi) < 0)
		return -1;
	m->val_off = vi.val_off;
	m->val_len = vi.val_len;
	m->value_cdata = vi.cdata;
	m->value_multi = vi.multi;
	m->raw_len = vi.end - t->off;
	return 0;
}

/* <element ...> of a collection, appended to r->elem. */
static int
parse_element(struct ps *ps, const struct tag *t, size_t *endp)
{
	struct ent_reader *r = ps->r;
	struct xelem x;
	struct idval iv;
	struct vinfo vi;
	struct tag c;
	size_t q;
	int icls, ienum;

	memset(&x, 0, sizeof(x));
	icls = attr_find(ps, t, "class");
	ienum = attr_find(ps, t, "enum-class");
	x.is_enum = ienum >= 0;
	x.cls = attr_str(ps, t, ienum >= 0 ? ienum : icls);
	x.pkg = attr_get(ps, t, "package");
	x.name = attr_get(ps, t, "name");
	x.raw_off = t->off;
	*endp = t->end;
	if (!t->empty) {
		/*
		 * An entity element holds an <id>; the others hold text.
		 * Look at the first thing after the start tag to decide.
		 */
		if (skip_misc(ps, t->end, &q) < 0)
			return -1;
		c.nlen = 0;
		if (ps->b[q + 1] != '/' && parse_stag(ps, q, &c) < 0)
			return -1;
		if (c.nlen != 0 && (TAG_IS(ps, &c, "id") ||
		    TAG_IS(ps, &c, "composite-id"))) {
			if (parse_ref_content(ps, t, &iv, endp) < 0)
				return -1;
			x.idname = iv.idname;
			x.value = iv.value;
			x.value_len = iv.vlen;
		} else {
			if (tag_value(ps, t, &x.value, &x.value_len, &vi) < 0)
				return -1;
			*endp = vi.end;
		}
	}
	x.raw_len = *endp - t->off;
	r->elem = grow(r->elem, &r->capelem, r->nelem + 1, sizeof(*r->elem));
	r->elem[r->nelem++] = x;
	return 0;
}

static int
parse_collection(struct ps *ps, const struct tag *t, struct xmember *m)
{
	struct tag c;
	size_t p, q, first = ps->r->nelem;

	m->kind = XM_COLL;
	m->name = attr_get(ps, t, "name");
	m->cls = attr_get(ps, t, "class");
	m->pkg = attr_get(ps, t, "package");
	p = t->end;
	if (!t->empty) {
		for (;;) {
			if (skip_misc(ps, p, &q) < 0)
				return -1;
			if (ps->b[q + 1] == '/') {
				if (expect_etag(ps, q, t, &p) < 0)
					return -1;
				break;
			}
			if (parse_stag(ps, q, &c) < 0)
				return -1;
			if (TAG_IS(ps, &c, "element")) {
				if (parse_element(ps, &c, &p) < 0)
					return -1;
			} else if (skip_element(ps, &c, &p) < 0)
				return -1;
		}
	}
	m->nelem = ps->r->nelem - first;
	m->raw_len = p - t->off;
	return 0;
}

/*
 * <component>: its <property> children (of any kind) are appended to
 * r->sub; a nested component is flattened into the same list.  *nsubp
 * counts what was appended.
 */
static int
parse_component(struct ps *ps, const struct tag *t, size_t depth,
    size_t *nsubp, size_t *endp)
{
	struct ent_reader *r = ps->r;
	struct xmember s;
	struct tag c;
	size_t p, q, k;

	if (depth > MAXNEST)
		return fail(ps, t->off, "<component> nested too deeply");
	p = t->end;
	if (!t->empty) {
		for (;;) {
			if (skip_misc(ps, p, &q) < 0)
				return -1;
			if (ps->b[q + 1] == '/') {
				if (expect_etag(ps, q, t, &p) < 0)
					return -1;
				break;
			}
			if (parse_stag(ps, q, &c) < 0)
				return -1;
			if (TAG_IS(ps, &c, "property")) {
				memset(&s, 0, sizeof(s));
				s.raw_off = c.off;
				s.line = line_at(ps, c.off);
				if (parse_property(ps, &c, &s) < 0)
					return -1;
				push_mem(&r->sub, &r->nsub, &r->capsub, &s);
				(*nsubp)++;
				p = c.off + s.raw_len;
			} else if (TAG_IS(ps, &c, "component")) {
				k = 0;
				if (parse_component(ps, &c, depth + 1, &k, &p) < 0)
					return -1;
				*nsubp += k;
			} else if (skip_element(ps, &c, &p) < 0)
				return -1;
		}
	}
	*endp = p;
	return 0;
}

/* One child element of <object> other than its id. */
static int
parse_member(struct ps *ps, const struct tag *t, struct xmember *m)
{
	size_t end;

	memset(m, 0, sizeof(*m));
	m->raw_off = t->off;
	m->line = line_at(ps, t->off);
	if (TAG_IS(ps, t, "property"))
		return parse_property(ps, t, m);
	if (TAG_IS(ps, t, "collection"))
		return parse_collection(ps, t, m);
	if (TAG_IS(ps, t, "component")) {
		m->kind = XM_COMPONENT;
		m->name = attr_get(ps, t, "name");
		m->cls = attr_get(ps, t, "class");
		m->pkg = attr_get(ps, t, "package");
		if (parse_component(ps, t, 0, &m->nsub, &end) < 0)
			return -1;
		m->raw_len = end - t->off;
		return 0;
	}
	/* Unknown element: kept verbatim, reported by its element name. */
	m->kind = XM_OTHER;
	arena_begin(&ps->r->ar);
	arena_add(&ps->r->ar, ps->b + t->noff, t->nlen);
	m->name = arena_end(&ps->r->ar, NULL);
	m->cls = attr_get(ps, t, "class");
	m->pkg = attr_get(ps, t, "package");
	if (skip_element(ps, t, &end) < 0)
		return -1;
	m->raw_len = end - t->off;
	return 0;
}

/*
 * Parse the object starting at ps->b[0] ("<object").  Fills r->obj,
 * except raw/raw_len which the caller sets.
 */
static int
parse_object(struct ps *ps)
{
	struct ent_reader *r = ps->r;
	struct xobj *o = &r->obj;
	struct xmember m;
	struct idval iv;
	struct tag ot, t;
	size_t p, q, i, ke, ks;
	int haveid = 0;

	r->nmem = r->nsub = r->nelem = 0;
	arena_reset(&r->ar);
	memset(o, 0, sizeof(*o));
	if (parse_stag(ps, 0, &ot) < 0)
		return -1;
	o->cls = attr_get(ps, &ot, "class");
	o->pkg = attr_get(ps, &ot, "package");
	o->line = ps->line0;
	if (ot.empty)
		return fail(ps, 0, "<object> has no <id>");
	p = ot.end;
	for (;;) {
		if (skip_misc(ps, p, &q) < 0)
			return -1;
		if (ps->b[q + 1] == '/') {
			if (expect_etag(ps, q, &ot, &p) < 0)
				return -1;
			o->close_off = q;
			o->end_line = line_at(ps, q);
			break;
		}
		if (parse_stag(ps, q, &t) < 0)
			return -1;
		if (TAG_IS(ps, &t, "id") || TAG_IS(ps, &t, "composite-id")) {
			if (haveid)
				return fail(ps, q, "<object> has more than one id");
			if (parse_idpart(ps, &t, &iv) < 0)
				return -1;
			haveid = 1;
			o->idname = iv.idname;
			o->id = iv.value;
			o->id_len = iv.vlen;
			o->id_off = iv.raw_off;
			o->id_len_raw = iv.raw_len;
			p = iv.vi.end;
			continue;
		}
		if (parse_member(ps, &t, &m) < 0)
			return -1;
		push_mem(&r->mem, &r->nmem, &r->capmem, &m);
		p = m.raw_off + m.raw_len;
	}
	if (!haveid)
		return fail(ps, 0, "<object%s%s%s> has no <id>",
		    o->cls ? " class=\"" : "", o->cls ? o->cls : "",
		    o->cls ? "\"" : "");
	o->raw_len = p;
	/* The arrays cannot move any more: point members at their parts. */
	for (i = ke = ks = 0; i < r->nmem; i++) {
		if (r->mem[i].kind == XM_COLL) {
			r->mem[i].elem = r->nelem ? r->elem + ke : NULL;
			ke += r->mem[i].nelem;
		} else if (r->mem[i].kind == XM_COMPONENT) {
			r->mem[i].sub = r->nsub ? r->sub + ks : NULL;
			ks += r->mem[i].nsub;
		}
	}
	o->mem = r->mem;
	o->nmem = r->nmem;
	return 0;
}

/* ------------------------------------------------------------- the gap */

enum { GAP_OBJECT, GAP_END };

/*
 * Scan the gap at the start of ps->b: before the root, white space, a
 * BOM, the XML declaration, comments, PIs, a DOCTYPE and the root start
 * tag; after it white space, comments and PIs.  Stops at "<object"
 * (*offp is its offset; returns GAP_OBJECT) or after the root end tag
 * (returns GAP_END once the input is exhausted; *offp is then n).
 * *rootp is the reader's root flag, updated locally.
 */
static int
scan_gap(struct ps *ps, int *rootp, size_t *offp)
{
	size_t p = 0, q, noff, nlen, e;
	const char *lt;
	struct tag t;
	int r;

	if (!*rootp && (r = AT(ps, 0, "\xEF\xBB\xBF")) != 0) {
		if (r < 0)
			return need(ps, 0, NULL);
		p = 3;
	}
	for (;;) {
		lt = p < ps->n ? memchr(ps->b + p, '<', ps->n - p) : NULL;
		q = lt ? (size_t)(lt - ps->b) : ps->n;
		if (skip_ws(ps, p) < q)
			return fail(ps, skip_ws(ps, p), *rootp ?
			    "expected <object>, found text" :
			    "text before the root element");
		if (lt == NULL)
			return need(ps, ps->n, NULL);
		if (q + 1 >= ps->n)
			return need(ps, q, NULL);
		switch (ps->b[q + 1]) {
		case '?':
			if (skip_pi(ps, q, &p) < 0)
				return -1;
			continue;
		case '!':
			if ((r = AT(ps, q, "<!--")) > 0) {
				if (skip_comment(ps, q, &p) < 0)
					return -1;
				continue;
			}
			if (r == 0 && !*rootp &&
			    (r = AT(ps, q, "<!DOCTYPE")) > 0) {
				/* skip to '>', past an internal subset */
				e = q + 9;
				while (e < ps->n && ps->b[e] != '>' &&
				    ps->b[e] != '[')
					e++;
				if (e < ps->n && ps->b[e] == '[')
					e = find(ps, e, "]", 1);
				if (e != SIZE_MAX && e < ps->n)
					lt = memchr(ps->b + e, '>', ps->n - e);
				if (e == SIZE_MAX || e >= ps->n || lt == NULL)
					return need(ps, q, NULL);
				p = (size_t)(lt - ps->b) + 1;
				continue;
			}
			if (r < 0)
				return need(ps, q, NULL);
			return fail(ps, q, *rootp ?
			    "expected <object>, found markup declaration" :
			    "unexpected markup declaration before the root element");
		case '/':
			if (parse_etag(ps, q, &noff, &nlen, &e) < 0)
				return -1;
			if (!*rootp || !span_is(ps, noff, nlen,
			    "hibernate-generic"))
				return fail(ps, q, "unexpected </%.*s>",
				    pw(nlen), ps->b + noff);
			goto end;
		default:
			if (parse_stag(ps, q, &t) < 0)
				return -1;
			if (!*rootp) {
				if (!TAG_IS(ps, &t, "hibernate-generic"))
					return fail(ps, q, "root element is "
					    "<%.*s>, not <hibernate-generic>",
					    pw(t.nlen), ps->b + t.noff);
				*rootp = 1;
				p = t.end;
				if (t.empty)
					goto end;
				continue;
			}
			if (!TAG_IS(ps, &t, "object"))
				return fail(ps, q, "expected <object>, found <%.*s>",
				    pw(t.nlen), ps->b + t.noff);
			*offp = q;
			return GAP_OBJECT;
		}
	}
end:
	/* After the root: everything to the end of input is the last gap. */
	if (!ps->r->eof)
		return need(ps, ps->n, NULL);
	*offp = ps->n;
	return GAP_END;
}

/* ------------------------------------------------------------- reader */

struct ent_reader *
ent_open(ent_read_fn rd, void *ctx, const char *fname, size_t max_object)
{
	struct ent_reader *r;

	r = xcalloc(1, sizeof(*r));
	r->rd = rd;
	r->ctx = ctx;
	r->fname = fname ? xstrdup(fname) : NULL;
	if (max_object == 0)
		max_object = ENT_DEFMAX;
	/* keep limit arithmetic (2 * max + chunk) far from overflow */
	if (max_object > SIZE_MAX / 8)
		max_object = SIZE_MAX / 8;
	r->max_object = max_object;
	r->line = 1;
	return r;
}

void
ent_close(struct ent_reader *r)
{
	if (r == NULL)
		return;
	free(r->fname);
	free(r->buf);
	free(r->mem);
	free(r->sub);
	free(r->elem);
	arena_free(&r->ar);
	free(r);
}

long
ent_line(const struct ent_reader *r)
{
	return r->line;
}

/*
 * Have at least want bytes buffered from pos (fewer only at end of
 * input).  Moves the unconsumed bytes to the front first.
 */
static int
refill(struct ent_reader *r, size_t want)
{
	size_t ncap;
	ssize_t k;

	if (r->pos > 0) {
		memmove(r->buf, r->buf + r->pos, r->len - r->pos);
		r->len -= r->pos;
		r->pos = 0;
	}
	if (r->cap < want) {
		ncap = r->cap ? r->cap : ENT_CHUNK;
		while (ncap < want)
			ncap *= 2;
		r->buf = xrealloc(r->buf, ncap);
		r->cap = ncap;
	}
	while (r->len < want && !r->eof) {
		k = r->rd(r->ctx, r->buf + r->len, r->cap - r->len);
		if (k < 0)
			return -1;
		if (k == 0)
			r->eof = 1;
		else
			r->len += (size_t)k;
	}
	return 0;
}

static int
report(struct ent_reader *r, struct ps *ps, size_t off, const char *msg)
{
	r->line = line_at(ps, off);
	diag_warn(r->fname, r->line, "%s", msg);
	r->failed = 1;
	return -1;
}

int
ent_next(struct ent_reader *r, const struct xobj **o, const char **gap,
    size_t *gaplen)
{
	struct ps gs, os;
	size_t off = 0, limit, want, n;
	int root, rc;
	char msg[128];

	*o = NULL;
	*gap = "";
	*gaplen = 0;
	if (r->failed)
		return -1;
	if (r->done)
		return 0;
	for (;;) {
		memset(&gs, 0, sizeof(gs));
		gs.r = r;
		gs.b = r->buf ? r->buf + r->pos : "";
		gs.n = r->len - r->pos;
		gs.lnno = gs.line0 = r->line;
		root = r->root;
		memset(&os, 0, sizeof(os));
		os.st = ST_OK;
		rc = scan_gap(&gs, &root, &off);
		if (rc == GAP_END) {
			if (off > r->max_object) {
				snprintf(msg, sizeof(msg), "too much data after "
				    "</hibernate-generic> (more than %zu bytes)",
				    r->max_object);
				return report(r, &gs, off, msg);
			}
			*gap = gs.b;
			*gaplen = off;
			r->line = line_at(&gs, off);
			r->pos = r->len;
			r->done = 1;
			return 0;
		}
		if (rc == GAP_OBJECT && off > r->max_object) {
			snprintf(msg, sizeof(msg), "too much data between "
			    "objects (more than %zu bytes)", r->max_object);
			return report(r, &gs, off, msg);
		}
		if (rc == GAP_OBJECT) {
			os.r = r;
			os.b = gs.b + off;
			os.n = gs.n - off;
			os.lnno = os.line0 = line_at(&gs, off);
			if (parse_object(&os) == 0) {
				if (r->obj.raw_len > r->max_object)
					goto toolarge;
				r->obj.raw = os.b;
				*o = &r->obj;
				*gap = gs.b;
				*gaplen = off;
				r->root = 1;
				r->line = line_at(&os, r->obj.raw_len);
				r->pos += off + r->obj.raw_len;
				return 1;
			}
			if (os.st == ST_ERR)
				return report(r, &os, os.erroff, os.msg);
		} else if (gs.st == ST_ERR)
			return report(r, &gs, gs.erroff, gs.msg);

		/* ST_NEED: read more, or fail at end of input. */
		n = gs.n;
		limit = (rc == GAP_OBJECT ? off : 0) + r->max_object + 1;
		if (r->eof) {
			if (rc == GAP_OBJECT)
				return report(r, &os, os.eofmsg ? os.eofoff : 0,
				    os.eofmsg ? os.eofmsg :
				    "unexpected end of file inside <object>");
			if (gs.eofmsg)
				return report(r, &gs, gs.eofoff, gs.eofmsg);
			return report(r, &gs, n, root ?
			    "unexpected end of file inside <hibernate-generic>" :
			    "no <hibernate-generic> root element");
		}
		if (n >= limit) {
			if (rc == GAP_OBJECT)
				goto toolarge;
			snprintf(msg, sizeof(msg), "too much data between "
			    "objects (more than %zu bytes)", r->max_object);
			return report(r, &gs, n, msg);
		}
		want = n + (n > ENT_CHUNK ? n : ENT_CHUNK);
		if (want > limit)
			want = limit;
		if (refill(r, want) < 0) {
			r->failed = 1;
			return -1;
		}
	}
toolarge:
	snprintf(msg, sizeof(msg), "object too large (more than %zu bytes)",
	    r->max_object);
	return report(r, &os, 0, msg);
}

const struct xmember *
xobj_member(const struct xobj *o, const char *name)
{
	size_t i;

	for (i = 0; i < o->nmem; i++)
		if (o->mem[i].name != NULL && strcmp(o->mem[i].name, name) == 0)
			return &o->mem[i];
	return NULL;
}
