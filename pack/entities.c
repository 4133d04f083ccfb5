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
 *  - with --space-key, the values listed in spacekey.c / pack_sk_names;
 *    in bodies, the space-key rule (common/spacekey.h) through pack's
 *    rule table, pack_rules[] below.
 *
 * Changes are splices of the object's raw bytes (body.h), applied once.
 * Nothing is reformatted: 8.3+ raw text values stay raw (XML is XML).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "body.h"
#include "diag.h"
#include "entities.h"
#include "model.h"
#include "spacekey.h"
#include "strbuf.h"
#include "pack.h"
#include "xmlcheck.h"

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

/* What rewriting one object needs, reused from object to object. */
struct edits {
	struct splices	 sp;
	struct body	*body;
};

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

/*
 * The space settings a ConfluenceBandanaRecord holds as XML in its value
 * ("<spaceKey>OLD</spaceKey>"): each such key is replaced in place, in the
 * raw bytes, whether the value is CDATA or escaped text (a space key has
 * no byte either encoding changes).  Returns how many.
 */
static uint64_t
settings_key(struct edits *ed, const struct xobj *o, const struct xmember *m,
    const char *old, const char *new)
{
	static const char *const pre[2] = { "spaceKey>", "spaceKey&gt;" };
	static const char *const post[2] = { "<", "&lt;" };
	const char *raw, *p, *e;
	size_t n = strlen(old), k;
	uint64_t c = 0;
	struct strbuf *r;
	int i;

	if (m == NULL || m->kind != XM_PROP || m->is_null || m->val_len == 0 ||
	    m->val_off + m->val_len > o->raw_len)
		return 0;
	raw = o->raw + m->val_off;
	e = raw + m->val_len;
	for (i = 0; i < 2; i++) {
		k = strlen(pre[i]);
		for (p = raw; (p = memmem(p, (size_t)(e - p), pre[i], k)) !=
		    NULL; p += k) {
			if ((size_t)(e - p - k) < n + strlen(post[i]) ||
			    memcmp(p + k, old, n) != 0 ||
			    memcmp(p + k + n, post[i], strlen(post[i])) != 0)
				continue;
			r = splice_text(&ed->sp);
			sb_adds(r, new);
			splice_end(&ed->sp, (size_t)(p + k - o->raw), n);
			c++;
		}
	}
	return c;
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
	r = splice_text(&ed->sp);
	sb_adds(r, s);
	splice_end(&ed->sp, m->val_off, m->val_len);
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
	enum body_format bf;
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
		st->sk[SK_BANDANA_SETTINGS] += settings_key(ed, o,
		    xobj_member(o, "value"), e->old_key, e->new_key);
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
	} else if ((bf = model_body(o, &body)) != BODY_NONE &&
	    body_load(ed->body, o, body, bf) == 0) {
		/* pack's rule table: one row per body rewrite */
		struct spacekey_ctx sk = { e->old_key, e->new_key, 0 };
		const struct body_rules pack_rules[] = {
			{ &spacekey_rule, &sk },
		};

		if (body_run(ed->body, pack_rules, sizeof(pack_rules) /
		    sizeof(pack_rules[0])) > 0)
			body_commit(ed->body, &ed->sp);
		st->sk[SK_BODY_REF] += sk.renamed;
	}
	free(olow);
	free(nlow);
}

/* pack_insert_fn: an insertion is an edit that replaces nothing. */
static void
insert_edit(void *ctx, size_t off, const char *s, size_t n)
{
	struct edits *ed = ctx;

	splice_add(&ed->sp, off, 0, s, n);
}

static void
rewrite_object(struct pack_ent *e, struct edits *ed, const struct xobj *o,
    pack_write_fn wr, void *wrctx)
{
	struct strbuf ins = STRBUF_INIT;
	size_t i;

	splice_reset(&ed->sp);
	if (o->cls != NULL && strcmp(o->cls, "Space") == 0) {
		const struct xmember *k = xobj_member(o, "key");

		e->st->spaces++;
		if (e->st->space_key_seen == NULL && k != NULL &&
		    k->value != NULL && !k->is_null)
			e->st->space_key_seen = xstrdup(k->value);
	}
	if (e->old_key != NULL && o->cls != NULL)
		space_key_edits(e, o, ed);
	if (e->rel != NULL) {
		pack_learn_package(o->cls, o->pkg);
		pack_rel_append(e->rel, o, &ins, e->st, insert_edit, ed);
	}
	if (ins.len > 0)	/* after every other edit at </object> */
		splice_add(&ed->sp, o->close_off, 0, ins.buf, ins.len);
	sb_free(&ins);
	if (ed->sp.n == 0) {
		wr(wrctx, o->raw, o->raw_len);
		return;
	}
	for (i = 0; i < ed->sp.n; i++)
		if (ed->sp.v[i].off + ed->sp.v[i].len > o->close_off)
			break;
	if (i < ed->sp.n || splice_apply(&ed->sp, o->raw, o->raw_len, wr,
	    wrctx) < 0)
		diag_die(SP_EXIT_FAIL, "entities.xml", o->line,
		    "internal error: overlapping edits");
}

void
pack_entities(struct pack_ent *e, ssize_t (*rd)(void *, void *, size_t),
    void *rdctx, const char *fname, pack_write_fn wr, void *wrctx)
{
	struct ent_reader *r;
	struct xmlcheck_rd gate;
	const struct xobj *o;
	const char *gap;
	size_t gaplen;
	int rc, first = 1;
	struct strbuf sb = STRBUF_INIT;
	struct edits ed = { SPLICES_INIT, NULL };

	ed.body = body_new();
	xmlcheck_rd_init(&gate, rd, rdctx, fname);
	r = ent_open(xmlcheck_read_fn, &gate, fname, e->max_object != 0 ?
	    e->max_object : PACK_MAX_OBJECT);
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
		rewrite_object(e, &ed, o, wr, wrctx);
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
	xmlcheck_rd_finish(&gate);
	sb_free(&sb);
	splice_free(&ed.sp);
	body_free(ed.body);
}
