/*
 * entities.c - the entities.xml rewrite.
 *
 * The package's entities.xml is read object by object with the lossless
 * reader (common/entities.h); every byte is copied except:
 *
 *  - the XML declaration <?xml version="1.0" encoding="UTF-8"?> is added
 *    when the file has none (8.3+ writer), as the legacy writer and Cloud
 *    write it (after a UTF-8 byte order mark, if any);
 *  - when collections are rebuilt (writer=new), the missing parent->child
 *    collections are inserted just before "</object>" (collections.c);
 *  - with --space-key, the values listed in spacekey.c / pack_sk_names.
 *
 * Nothing is reformatted: 8.3+ raw text values stay raw (XML is XML).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "diag.h"
#include "entities.h"
#include "model.h"
#include "strbuf.h"
#include "pack.h"

void
pack_first_gap(const char *gap, size_t len, struct strbuf *out,
    struct pack_stats *st)
{
	size_t off = 0;
	const char *h, *end = gap + len;

	if (len >= 3 && memcmp(gap, "\xEF\xBB\xBF", 3) == 0)
		off = 3;
	if (len - off >= 6 && memcmp(gap + off, "<?xml", 5) == 0 &&
	    isspace((unsigned char)gap[off + 5]))
		sb_add(out, gap, len);
	else {
		sb_add(out, gap, off);
		sb_adds(out, PACK_PROLOG);
		sb_add(out, gap + off, len - off);
		st->prolog_added = 1;
	}
	/* root datetime="..." (informational; used for the descriptor date) */
	h = memmem(gap, len, "<hibernate-generic", 18);
	if (h != NULL && st->datetime == NULL) {
		const char *p = h + 18, *q;
		char quote;

		while (p < end && *p != '>') {
			if ((size_t)(end - p) > 9 && memcmp(p, "datetime=", 9) == 0) {
				p += 9;
				if (p >= end || (*p != '"' && *p != '\''))
					break;
				quote = *p++;
				q = memchr(p, quote, (size_t)(end - p));
				if (q == NULL)
					break;
				while (p < q && *p == '\'')
					p++;
				while (q > p && q[-1] == '\'')
					q--;
				if (q - p < 64)
					st->datetime = xstrndup(p, (size_t)(q - p));
				break;
			}
			p++;
		}
	}
}

struct edit {
	size_t		 off, len;
	struct strbuf	 repl;
};

struct edits {
	struct edit	*e;
	size_t		 n, cap;
};

static struct strbuf *
edit_add(struct edits *ed, size_t off, size_t len)
{
	struct edit *e;

	if (ed->n == ed->cap) {
		ed->cap = ed->cap ? ed->cap * 2 : 8;
		ed->e = xreallocarray(ed->e, ed->cap, sizeof(*ed->e));
	}
	e = &ed->e[ed->n++];
	e->off = off;
	e->len = len;
	memset(&e->repl, 0, sizeof(e->repl));
	return &e->repl;
}

static int
cmp_edit(const void *a, const void *b)
{
	const struct edit *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

static int
val_is(const struct xmember *m, const char *s, int icase)
{
	size_t n = strlen(s);

	if (m == NULL || m->kind != XM_PROP || m->is_null || m->value == NULL ||
	    m->value_len != n)
		return 0;
	return icase ? strncasecmp(m->value, s, n) == 0 :
	    memcmp(m->value, s, n) == 0;
}

/* Replace the value of member m (a plain property) with s. */
static void
replace_value(struct edits *ed, const struct xmember *m, const char *s)
{
	struct strbuf *r;

	if (m->val_len == 0 && !m->value_multi) {
		/* "<property name="x"></property>": the value span is empty
		 * at an unknown offset; cannot happen for a matching value. */
		return;
	}
	r = edit_add(ed, m->val_off, m->val_len);
	sb_adds(r, s);
}

static char *
lower_dup(const char *s)
{
	char *d = xstrdup(s), *p;

	for (p = d; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return d;
}

static void
space_key_edits(struct pack_ent *e, const struct xobj *o, struct edits *ed)
{
	struct pack_stats *st = e->st;
	const struct xmember *m, *body;
	char *olow, *nlow;

	olow = lower_dup(e->old_key);
	nlow = lower_dup(e->new_key);
	if (strcmp(o->cls, "Space") == 0) {
		m = xobj_member(o, "key");
		if (val_is(m, e->old_key, 0)) {
			replace_value(ed, m, e->new_key);
			st->sk[SK_SPACE_KEY]++;
			m = xobj_member(o, "lowerKey");
			if (m != NULL && m->kind == XM_PROP && !m->is_null &&
			    m->value != NULL && m->value_len > 0) {
				replace_value(ed, m, nlow);
				st->sk[SK_SPACE_LOWERKEY]++;
			}
		}
	} else if (strcmp(o->cls, "ConfluenceBandanaRecord") == 0) {
		m = xobj_member(o, "context");
		if (val_is(m, e->old_key, 0)) {
			replace_value(ed, m, e->new_key);
			st->sk[SK_BANDANA_CONTEXT]++;
		}
	} else if (strcmp(o->cls, "OutgoingLink") == 0) {
		m = xobj_member(o, "destinationSpaceKey");
		if (val_is(m, e->old_key, 1)) {
			replace_value(ed, m, e->new_key);
			st->sk[SK_LINK_KEY]++;
		}
		m = xobj_member(o, "lowerDestinationSpaceKey");
		if (val_is(m, olow, 0)) {
			replace_value(ed, m, nlow);
			st->sk[SK_LINK_LOWERKEY]++;
		}
	} else if (strcmp(o->cls, "Draft") == 0) {
		m = xobj_member(o, "draftSpaceKey");
		if (val_is(m, e->old_key, 0)) {
			replace_value(ed, m, e->new_key);
			st->sk[SK_DRAFT_KEY]++;
		}
	} else if (model_body(o, &body) != BODY_NONE && body != NULL &&
	    body->val_len > 0) {
		struct strbuf tmp = STRBUF_INIT;
		size_t n;

		n = pack_sk_body(o->raw + body->val_off, body->val_len,
		    e->old_key, e->new_key, &tmp);
		if (n > 0) {
			struct strbuf *r = edit_add(ed, body->val_off,
			    body->val_len);

			*r = tmp;
			st->sk[SK_BODY_REF] += n;
		} else
			sb_free(&tmp);
	}
	free(olow);
	free(nlow);
}

/* pack_insert_fn: an insertion is an edit that replaces nothing. */
static void
insert_edit(void *ctx, size_t off, const char *s, size_t n)
{
	sb_add(edit_add(ctx, off, 0), s, n);
}

static void
rewrite_object(struct pack_ent *e, const struct xobj *o, pack_write_fn wr,
    void *wrctx)
{
	struct edits ed = { NULL, 0, 0 };
	struct strbuf ins = STRBUF_INIT;
	size_t i, pos;

	if (o->cls != NULL && strcmp(o->cls, "Space") == 0) {
		const struct xmember *k = xobj_member(o, "key");

		e->st->spaces++;
		if (e->st->space_key_seen == NULL && k != NULL &&
		    k->value != NULL && !k->is_null)
			e->st->space_key_seen = xstrdup(k->value);
	}
	if (e->old_key != NULL && o->cls != NULL)
		space_key_edits(e, o, &ed);
	if (e->rel != NULL) {
		pack_learn_package(o->cls, o->pkg);
		pack_rel_append(e->rel, o, &ins, e->st, insert_edit, &ed);
	}
	if (ed.n == 0 && ins.len == 0) {
		wr(wrctx, o->raw, o->raw_len);
		return;
	}
	if (ed.n > 1)
		qsort(ed.e, ed.n, sizeof(*ed.e), cmp_edit);
	pos = 0;
	for (i = 0; i < ed.n; i++) {
		if (ed.e[i].off < pos || ed.e[i].off + ed.e[i].len > o->close_off)
			diag_die(SP_EXIT_FAIL, "entities.xml", o->line,
			    "internal error: overlapping edits");
		wr(wrctx, o->raw + pos, ed.e[i].off - pos);
		if (ed.e[i].repl.len > 0)
			wr(wrctx, ed.e[i].repl.buf, ed.e[i].repl.len);
		pos = ed.e[i].off + ed.e[i].len;
		sb_free(&ed.e[i].repl);
	}
	wr(wrctx, o->raw + pos, o->close_off - pos);
	if (ins.len > 0)
		wr(wrctx, ins.buf, ins.len);
	wr(wrctx, o->raw + o->close_off, o->raw_len - o->close_off);
	free(ed.e);
	sb_free(&ins);
}

void
pack_entities(struct pack_ent *e, ssize_t (*rd)(void *, void *, size_t),
    void *rdctx, const char *fname, pack_write_fn wr, void *wrctx)
{
	struct ent_reader *r;
	const struct xobj *o;
	const char *gap;
	size_t gaplen;
	int rc, first = 1;
	struct strbuf sb = STRBUF_INIT;

	r = ent_open(rd, rdctx, fname, e->max_object != 0 ? e->max_object :
	    PACK_MAX_OBJECT);
	if (r == NULL)
		diag_die(SP_EXIT_FAIL, fname, 0, "cannot read");
	while ((rc = ent_next(r, &o, &gap, &gaplen)) == 1) {
		if (first) {
			pack_first_gap(gap, gaplen, &sb, e->st);
			wr(wrctx, sb.buf, sb.len);
			first = 0;
		} else
			wr(wrctx, gap, gaplen);
		e->st->objects++;
		rewrite_object(e, o, wr, wrctx);
	}
	if (rc < 0) {
		ent_close(r);
		sb_free(&sb);
		diag_die(SP_EXIT_FAIL, fname, 0, "cannot pack a malformed file");
	}
	if (first) {
		pack_first_gap(gap, gaplen, &sb, e->st);
		wr(wrctx, sb.buf, sb.len);
	} else
		wr(wrctx, gap, gaplen);
	ent_close(r);
	sb_free(&sb);
}
