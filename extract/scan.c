/*
 * scan.c - the single pass over entities.xml.
 *
 * Bytes flow zip -> sanitiser -> three consumers at once:
 *   the package's entities.xml (streamed out, write.c),
 *   libxml2's push parser (the well-formedness gatekeeper: no DTD
 *   loading, no entity expansion, no network; a DOCTYPE is refused), and
 *   the lossless object reader (entities.h), whose objects feed the user
 *   table, the attachment checks, the relations and the inventory.
 * The object reader pulls; scan_read() pushes each chunk to the other two
 * as it hands it over, so entities.xml is read exactly once.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include "diag.h"
#include "entities.h"
#include "extract.h"
#include "inventory.h"
#include "report.h"
#include "strbuf.h"
#include "userref.h"

#define CHUNK (256 * 1024)

struct scan {
	struct extract	*x;
	xmlParserCtxtPtr xml;
	unsigned char	*in;
	struct strbuf	 out;		/* sanitised bytes not yet handed over */
	size_t		 outpos;
	int		 eof;
	int		 doctype;
	char		 tail[2];	/* last bytes, for "]] " across chunks */
	size_t		 ntail;
	const struct xobj *cur;	/* object being handled, for body refs */
};

static void
xml_error(void *ctx, xmlErrorPtr e)
{
	struct scan *s = ctx;

	if (e == NULL || e->level < XML_ERR_ERROR)
		return;
	char msg[256];
	size_t n;

	/* The first fatal error ends the run: the file is not XML.
	 * libxml2's messages end with a newline; ours are one line. */
	snprintf(msg, sizeof(msg), "%s", e->message != NULL ? e->message :
	    "parse error");
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	(void)s;
	diag_die(SP_EXIT_FAIL, PKG_ENTITIES, e->line, "not well-formed xml: %s",
	    msg);
}

static void
xml_internal_subset(void *ctx, const xmlChar *name, const xmlChar *ext,
    const xmlChar *sys)
{
	diag_die(SP_EXIT_FAIL, PKG_ENTITIES, 0, "has a document type "
	    "declaration; confluence never writes one, refusing");
}

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
	for (q = p; (q = memmem(q, (size_t)(p + n - q), "]] ", 3)) != NULL; q += 3)
		s->x->cdata_escapes++;
	i = n >= 2 ? n - 2 : 0;
	s->ntail = n - i;
	memcpy(s->tail, p + i, s->ntail);
}

/* Refill s->out with the next sanitised chunk; 0 at end of input. */
static int
refill(struct scan *s)
{
	size_t r;

	sb_reset(&s->out);
	s->outpos = 0;
	while (s->out.len == 0) {
		if (s->eof)
			return 0;
		r = zipin_read(s->x->zip, s->in, CHUNK);
		if (r == 0)
			s->eof = 1;
		sanitize_chunk(&s->x->san, s->in, r, s->eof, &s->out);
		if (s->out.len > 0) {
			write_entities_data(s->x, s->out.buf, s->out.len);
			count_escapes(s, s->out.buf, s->out.len);
		}
		if (xmlParseChunk(s->xml, s->out.len ? s->out.buf : "",
		    (int)s->out.len, s->eof) != 0 && s->eof)
			diag_die(SP_EXIT_FAIL, PKG_ENTITIES, 0,
			    "not well-formed xml");
	}
	return 1;
}

static ssize_t
scan_read(void *ctx, void *buf, size_t n)
{
	struct scan *s = ctx;
	size_t avail;

	if (s->outpos == s->out.len && !refill(s))
		return 0;
	avail = s->out.len - s->outpos;
	if (n > avail)
		n = avail;
	memcpy(buf, s->out.buf + s->outpos, n);
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
	size_t i, j;

	s->cur = o;
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
	    m->value[0] == '~')
		note_ref(s, REF_PERSONAL_SPACE, NULL, m->value + 1, "key");
	bf = model_body(o, &body);
	if (bf == BODY_STORAGE)
		uref_storage(body->value, body->value_len, 0, body_ref, s, NULL);
	else if (bf == BODY_WIKI)
		uref_wiki(body->value, body->value_len, 0, body_ref, s, NULL);
	attach_object(x, o);
	if (x->inv != NULL)
		inventory_object(x->inv, o);
}

/* Only UTF-8 is supported; say so clearly instead of mis-reading. */
static void
check_prolog(const char *gap, size_t len)
{
	const char *p, *end = gap + len;
	char enc[32];
	size_t i = 0;

	if (len < 5 || memcmp(gap, "<?xml", 5) != 0)
		return;
	p = memmem(gap, len, "encoding=", 9);
	if (p == NULL || p + 10 >= end)
		return;
	p += 10;
	while (p < end && *p != '"' && *p != '\'' && i + 1 < sizeof(enc))
		enc[i++] = *p++;
	enc[i] = '\0';
	if (strcasecmp(enc, "UTF-8") != 0 && strcasecmp(enc, "UTF8") != 0)
		diag_die(SP_EXIT_FAIL, PKG_ENTITIES, 1, "encoding %s is not "
		    "supported (confluence writes utf-8)", enc);
}

void
scan_entities(struct extract *x)
{
	struct scan s;
	xmlSAXHandler sax;
	struct ent_reader *r;
	const struct xobj *o;
	const char *gap;
	size_t gaplen;
	int rc, first = 1;

	memset(&s, 0, sizeof(s));
	s.x = x;
	s.in = xmalloc(CHUNK);
	sanitize_init(&x->san, PKG_ENTITIES);

	/* No callbacks: libxml2 checks well-formedness and builds nothing. */
	memset(&sax, 0, sizeof(sax));
	sax.initialized = XML_SAX2_MAGIC;
	sax.serror = xml_error;
	sax.internalSubset = xml_internal_subset;
	s.xml = xmlCreatePushParserCtxt(&sax, &s, NULL, 0, PKG_ENTITIES);
	if (s.xml == NULL)
		diag_die(SP_EXIT_FAIL, NULL, 0, "cannot create the xml parser");
	/* NONET: never fetch; HUGE: bodies may exceed libxml2's 10 MB text
	 * limit (object size stays bounded by --max-object).  Deliberately
	 * not NOENT and not DTDLOAD. */
	xmlCtxtUseOptions(s.xml, XML_PARSE_NONET | XML_PARSE_HUGE);

	r = ent_open(scan_read, &s, PKG_ENTITIES, x->max_object);
	while ((rc = ent_next(r, &o, &gap, &gaplen)) == 1) {
		if (first) {
			check_prolog(gap, gaplen);
			first = 0;
		}
		handle_object(&s, o);
	}
	if (rc < 0)
		diag_die(SP_EXIT_FAIL, NULL, 0, "%s: cannot read the object "
		    "stream", PKG_ENTITIES);
	/* Drain: the reader may stop before the parser saw the end. */
	while (refill(&s))
		;
	ent_close(r);
	xmlFreeParserCtxt(s.xml);
	sb_free(&s.out);
	free(s.in);

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
