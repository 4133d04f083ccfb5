/*
 * scan.c - the single pass over entities.xml.
 *
 * Bytes flow zip -> sanitiser -> three consumers at once:
 *   the spool (the package's entities.xml),
 *   the well-formedness gate (xmlcheck.h, libxml2's push parser: no DTD
 *   loading, no entity expansion, no network; a DOCTYPE is refused), and
 *   the lossless object reader (entities.h), whose objects feed the user
 *   table, the attachment checks, the relations and the inventory.
 * The object reader pulls; scan_read() pushes each chunk to the other two
 * as it hands it over, so entities.xml is read exactly once.  The gate
 * runs on a thread of its own one chunk ahead (xmlcheck_async): while the
 * reader works on chunk k the gate parses chunk k+1, and the reader gets
 * a chunk only once the gate has passed it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "diag.h"
#include "entities.h"
#include "extract.h"
#include "inventory.h"
#include "report.h"
#include "strbuf.h"
#include "tinylink.h"
#include "userref.h"
#include "xmlcheck.h"

#define CHUNK (256 * 1024)

struct scan {
	struct extract	*x;
	struct xmlcheck_async *xml;	/* the well-formedness gate */
	unsigned char	*in;
	struct strbuf	 ob[2];		/* sanitised chunks: the reader's, and
					   the one the gate is checking */
	struct strbuf	*out;		/* the reader's (NULL before the first) */
	size_t		 outpos;
	int		 pend;		/* ob[] the gate has, or -1: none */
	int		 pfinal;	/* that one is the last */
	int		 eof;
	char		 tail[2];	/* last bytes, for "]] " across chunks */
	size_t		 ntail;
	const struct xobj *cur;	/* object being handled, for body refs */
	struct body	*body;		/* the body toolkit, reused */
	struct uref_rule_ctx uctx;	/* the user rule's context */
};

static void
count_escapes(struct scan *s, const char *p, size_t n)
{
	char buf[4];
	size_t k, i;
	const char *q;

	/* Sequences straddling the previous chunk. */
	for (k = 0; k < s->ntail; k++) {
		size_t need = 3 - (s->ntail - k);

		if (n < need)
			continue;
		memcpy(buf, s->tail + k, s->ntail - k);
		memcpy(buf + s->ntail - k, p, need);
		if (memcmp(buf, "]] ", 3) == 0)
			s->x->cdata_escapes++;
	}
	/* memchr on ']' (rare in bodies) then a look at the next two: glibc's
	 * memmem was 5 % of extract's instructions on XML-heavy input */
	for (q = p; q + 3 <= p + n &&
	    (q = memchr(q, ']', (size_t)(p + n - q) - 2)) != NULL; q++)
		if (q[1] == ']' && q[2] == ' ') {
			s->x->cdata_escapes++;
			q += 2;
		}
	i = n >= 2 ? n - 2 : 0;
	s->ntail = n - i;
	memcpy(s->tail, p + i, s->ntail);
}

/* The next sanitised chunk into sb, written to the package and counted
 * (empty only at the end of input, where s->eof is set). */
static void
produce(struct scan *s, struct strbuf *sb)
{
	size_t r;

	sb_reset(sb);
	while (sb->len == 0 && !s->eof) {
		if (s->x->src != NULL) {
			ssize_t sr = s->x->src(s->x->srcctx, s->in, CHUNK);

			if (sr < 0)
				diag_die(SP_EXIT_FAIL, PKG_ENTITIES, 0,
				    "read failed");
			r = (size_t)sr;
		} else
			r = zipin_read(s->x->zip, s->in, CHUNK);
		if (r == 0)
			s->eof = 1;
		sanitize_chunk(&s->x->san, s->in, r, s->eof, sb);
		if (sb->len > 0) {
			if (s->x->po != NULL)	/* streaming into the package */
				pkg_write(s->x->po, sb->buf, sb->len);
			else
				spool_write(&s->x->ent, sb->buf, sb->len);
			count_escapes(s, sb->buf, sb->len);
		}
	}
}

/* Hand the reader the next chunk the gate has passed, after giving the
 * gate the one after it; 0 at end of input. */
static int
refill(struct scan *s)
{
	int cur;

	if (s->out == NULL) {		/* the first chunk */
		produce(s, &s->ob[0]);
		s->pfinal = s->eof;
		xmlcheck_async_submit(s->xml, s->ob[0].buf, s->ob[0].len,
		    s->pfinal);
		s->pend = 0;
	}
	if (s->pend < 0)
		return 0;
	xmlcheck_async_wait(s->xml);	/* dies if the gate refused it */
	cur = s->pend;
	if (s->pfinal)
		s->pend = -1;
	else {
		produce(s, &s->ob[1 - cur]);
		s->pfinal = s->eof;
		xmlcheck_async_submit(s->xml, s->ob[1 - cur].buf,
		    s->ob[1 - cur].len, s->pfinal);
		s->pend = 1 - cur;
	}
	s->out = &s->ob[cur];
	s->outpos = 0;
	return s->out->len > 0;
}

static ssize_t
scan_read(void *ctx, void *buf, size_t n)
{
	struct scan *s = ctx;
	size_t avail;

	if ((s->out == NULL || s->outpos == s->out->len) && !refill(s))
		return 0;
	avail = s->out->len - s->outpos;
	if (n > avail)
		n = avail;
	memcpy(buf, s->out->buf + s->outpos, n);
	s->outpos += n;
	return (ssize_t)n;
}

static void
note_ref(struct scan *s, enum ref_kind k, const char *key, const char *name,
    const char *prop)
{
	users_ref(s->x, k, key, name);
	if (s->x->inv != NULL)
		inventory_user_ref(s->x->inv, k, key, name, s->cur->cls,
		    s->cur->id, prop);
}

static int
body_ref(void *ctx, enum uref_kind kind, const char *value, size_t len,
    long line, const char **repl)
{
	struct scan *s = ctx;
	char *v = xstrndup(value, len);
	enum ref_kind k = ref_kind_of_uref(kind);

	if (kind == UREF_USERKEY)
		note_ref(s, k, v, NULL, "body");
	else if (kind == UREF_ACCOUNTID)
		note_ref(s, k, NULL, NULL, "body");	/* counted, no user row */
	else
		note_ref(s, k, NULL, v, "body");
	free(v);
	return 0;
}

static void
class_count(struct extract *x, const char *cls)
{
	size_t i;

	for (i = 0; i < x->ncls; i++)
		if (strcmp(x->cls[i].cls, cls) == 0) {
			x->cls[i].n++;
			return;
		}
	/* The search is linear: a real export has a few dozen classes; a
	 * crafted one with millions must not make the pass quadratic. */
	if (x->ncls >= 1000 && strcmp(cls, "(other)") != 0) {
		class_count(x, "(other)");
		return;
	}
	x->cls = xreallocarray(x->cls, x->ncls + 1, sizeof(*x->cls));
	x->cls[x->ncls].cls = xstrdup(cls);
	x->cls[x->ncls].n = 1;
	x->ncls++;
}

static void
handle_object(struct scan *s, const struct xobj *o)
{
	struct extract *x = s->x;
	const struct xmember *m, *body;
	enum body_format bf;
	int inv_scan;
	size_t i, j;

	s->cur = o;
	if (x->graph_pass) {		/* --space, pass 1: see space.c */
		space_graph(x, o);
		return;
	}
	x->objects++;
	class_count(x, o->cls != NULL ? o->cls : "(none)");
	if (o->cls != NULL && strcmp(o->cls, "ConfluenceUserImpl") == 0 &&
	    o->id != NULL) {
		const struct xmember *n = xobj_member(o, "name");
		const struct xmember *e = xobj_member(o, "email");
		const struct xmember *a = xobj_member(o, "atlassianAccountId");

		users_object(x, o->id, n != NULL ? n->value : NULL,
		    e != NULL && !e->is_null ? e->value : NULL,
		    a != NULL && !a->is_null ? a->value : NULL);
	}
	for (i = 0; i < o->nmem; i++) {
		m = &o->mem[i];
		if (model_user_ref(m))
			note_ref(s, REF_ENTITY_KEY, m->value, NULL, m->name);
		else if (m->kind == XM_PROP && !m->is_null && m->value_len > 0 &&
		    model_legacy_user_prop(o->cls, m->name))
			note_ref(s, REF_ENTITY_NAME, NULL, m->value, m->name);
		else if (m->kind == XM_COLL) {
			if (m->name != NULL && model_parent_collection(m->name))
				x->legacy_collections = 1;
			for (j = 0; j < m->nelem; j++)
				if (model_user_elem(&m->elem[j]))
					note_ref(s, REF_ENTITY_KEY,
					    m->elem[j].value, NULL, m->name);
		}
	}
	if ((m = model_status_lastmodifier(o)) != NULL)
		note_ref(s, REF_CONTENT_PROPERTY, m->value, NULL, "stringValue");
	if (o->cls != NULL && strcmp(o->cls, "Space") == 0 &&
	    (m = xobj_member(o, "key")) != NULL && m->value != NULL &&
	    m->value[0] == '~' && !personal_key_is_cloud(m->value))
		/* ~username; a Cloud key (~ and the account id, a Cloud
		 * export as input) names no user to map */
		note_ref(s, REF_PERSONAL_SPACE, NULL, m->value + 1, "key");
	attach_object(x, o);
	content_object(x, o);
	xmacros_object(x->xm, o);	/* whose body it is, for its rule */
	inv_scan = x->inv != NULL && inventory_body_begin(x->inv, o);
	bf = model_body(o, &body);
	if ((bf == BODY_STORAGE || bf == BODY_WIKI) &&
	    body_load_value(s->body, body, bf) == 0) {
		/* extract's rule table: one tokenisation for every rule */
		const struct body_rules extract_rules[] = {
			{ &uref_rule, &s->uctx },	/* userref.c */
			{ &xmacros_rule, x->xm },	/* macros.c (storage) */
			{ &inventory_rule, x->inv },	/* inventory.c, last */
		};

		body_run(s->body, extract_rules, sizeof(extract_rules) /
		    sizeof(extract_rules[0]) - (inv_scan ? 0 : 1));
	}
	if (inv_scan)
		inventory_body_end(x->inv);
	if (x->inv != NULL)
		inventory_object(x->inv, o);
}

/*
 * The reader's stream mode (entities.h): of a collection's elements,
 * extract keeps only those it reads (user references, content
 * properties, and in the first pass of --space every element); the others are
 * parsed, checked and dropped one by one, so that a Space listing a
 * permission per user (100,000 users: an 11 MB object) is never held
 * whole.  extract does not need an object's raw bytes: the spool gets
 * the sanitised stream itself.
 */
static int
keep_elem(void *ctx, const struct xobj *partial, const struct xmember *coll,
    const struct xelem *e)
{
	struct scan *s = ctx;

	if (model_user_elem(e))
		return 1;
	/* --space, pass 1: every element is an edge of the object graph
	 * (space.c); such a collection is held whole, as before stream mode. */
	if (s->x->graph_pass)
		return 1;
	/* An attachment's recorded size (FILESIZE) is found through its
	 * contentProperties (attach.c, the inventory): a few per object. */
	return coll->name != NULL &&
	    strcmp(coll->name, "contentProperties") == 0;
}

void
scan_entities(struct extract *x)
{
	struct scan s;
	struct ent_reader *r;
	const struct xobj *o;
	const char *gap;
	size_t gaplen;
	int rc;

	memset(&s, 0, sizeof(s));
	s.x = x;
	s.in = xmalloc(CHUNK);
	s.body = body_new();
	s.uctx.fn = body_ref;
	s.uctx.ctx = &s;
	sanitize_init(&x->san, PKG_ENTITIES);
	if (x->po == NULL)
		spool_open(&x->ent);

	s.xml = xmlcheck_async_new(PKG_ENTITIES);

	r = ent_open(scan_read, &s, PKG_ENTITIES, x->max_object);
	ent_stream(r, keep_elem, &s);
	while ((rc = ent_next(r, &o, &gap, &gaplen)) == 1) {
		handle_object(&s, o);
	}
	if (rc < 0)
		diag_die(SP_EXIT_FAIL, NULL, 0, "%s: cannot read the object "
		    "stream", PKG_ENTITIES);
	/* Drain: the reader may stop before the parser saw the end. */
	while (refill(&s))
		;
	ent_close(r);
	xmlcheck_async_free(s.xml);
	if (x->po != NULL)
		pkg_end(x->po);		/* its check record */
	else
		spool_finish(&x->ent);
	sb_free(&s.ob[0]);
	sb_free(&s.ob[1]);
	free(s.in);
	body_free(s.body);

	if (x->san.control > 0)
		report_finding("control-characters", PKG_ENTITIES,
		    x->san.first_control_line, NULL, "%llu control character(s) "
		    "removed (xml 1.0 forbids them; first on this line)",
		    (unsigned long long)x->san.control);
	if (x->san.nonchar > 0)
		report_finding("noncharacters", PKG_ENTITIES, 0, NULL,
		    "%llu U+FFFE/U+FFFF replaced by U+FFFD",
		    (unsigned long long)x->san.nonchar);
}
