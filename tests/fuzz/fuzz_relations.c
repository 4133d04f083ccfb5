/*
 * fuzz_relations.c - libFuzzer harness for spaceport/relations.tsv in
 * spaceport-pack: the reader (pack/collections.c pack_rel_load_buf) and
 * the collections it writes from it (pack_rel_append).
 *
 * Input: a relations.tsv (seeds: those spaceport-extract writes for the
 * fixtures).  A refusal (diag_die) is caught (fuzz_util.h FUZZ_TRY).  On
 * a file the reader accepts, one <object> per distinct parent of its
 * rows is built and read back with the entities reader, and the
 * collections pack appends for it must be well-formed XML inside the
 * object (the entities.xml gate, common/xmlcheck.c, accepts the object
 * with them): no id, class or collection name can break the markup.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entities.h"
#include "pack.h"
#include "pkg.h"
#include "report.h"
#include "strbuf.h"
#include "tsv.h"
#include "xmlcheck.h"
#include "fuzz_util.h"

struct mem {
	const char	*p;
	size_t		 n, off;
};

static ssize_t
mem_read(void *ctx, void *buf, size_t n)
{
	struct mem *m = ctx;

	if (n > m->n - m->off)
		n = m->n - m->off;
	memcpy(buf, m->p + m->off, n);
	m->off += n;
	return (ssize_t)n;
}

static void
no_insert(void *ctx, size_t off, const char *s, size_t n)
{
	(void)ctx;
	(void)off;
	(void)s;
	(void)n;
}

/* The objects to ask about: one per distinct (parent_class, parent_id). */
static void
objects(const char *buf, size_t len, struct strbuf *doc)
{
	struct tsv t;
	char **f;
	size_t n;
	int first = 1;
	struct strbuf seen = STRBUF_INIT, key = STRBUF_INIT;

	sb_adds(doc, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<hibernate-generic datetime=\"2024-01-01 00:00:00\">\n");
	tsv_init(&t, buf, len);
	while (tsv_next(&t, &f, &n) > 0) {
		if (first || n < 5) {
			first = 0;
			continue;
		}
		sb_reset(&key);
		sb_addf(&key, "\n%s\t%s\n", f[0], f[1]);
		if (seen.len > 0 && fuzz_memmem(seen.buf, seen.len, key.buf,
		    key.len) != NULL)
			continue;
		sb_add(&seen, key.buf, key.len - 1);
		/* the reader accepted them: names and ids need no escaping */
		sb_addf(doc, "<object class=\"%s\" package=\"p\">"
		    "<id name=\"id\">%s</id>\n", f[0], f[1]);
		sb_adds(doc, "</object>\n");
	}
	sb_adds(doc, "</hibernate-generic>\n");
	tsv_free(&t);
	sb_free(&seen);
	sb_free(&key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int inited;
	struct pack_stats st;
	struct pack_rel *volatile r = NULL;
	struct strbuf doc = STRBUF_INIT, out = STRBUF_INIT;
	struct ent_reader *er;
	const struct xobj *o;
	const char *gap;
	size_t gaplen;
	struct mem m;
	char *copy;

	if (size > (1u << 20))
		return 0;
	if (!inited) {
		/* library state set up before the first FUZZ_TRY */
		struct pack_stats s0;

		memset(&s0, 0, sizeof(s0));
		report_init("spaceport-pack", "fuzz");
		report_quiet(1);
		static const char hdr[] = "parent_class\tparent_id\t"
		    "collection\tchild_class\tchild_id\n";

		pack_rel_free(pack_rel_load_buf(hdr, sizeof(hdr) - 1, "warm",
		    &s0));
		inited = 1;
	}
	memset(&st, 0, sizeof(st));
	copy = malloc(size ? size : 1);
	memcpy(copy, data, size);
	if (FUZZ_TRY()) {
		r = pack_rel_load_buf(copy, size, PKG_RELATIONS, &st);
		fuzz_try_end();
	}
	if (r == NULL) {
		free(copy);
		return 0;
	}
	objects(copy, size, &doc);
	m.p = doc.buf;
	m.n = doc.len;
	m.off = 0;
	er = ent_open(mem_read, &m, "objects", 1 << 20);
	FUZZ_CHECK(er != NULL, "ent_open");
	while (ent_next(er, &o, &gap, &gaplen) == 1) {
		struct xmlcheck *x;

		sb_reset(&out);
		pack_rel_append(r, o, &out, &st, no_insert, NULL);
		x = xmlcheck_new("collections");
		FUZZ_CHECK(xmlcheck_feed(x, "<object>", 8, 0) == 0 &&
		    xmlcheck_feed(x, out.buf, out.len, 0) == 0 &&
		    xmlcheck_feed(x, "</object>", 9, 1) == 0,
		    "collections for %s %s are not well-formed: %s", o->cls,
		    o->id, xmlcheck_error(x, NULL));
		xmlcheck_free(x);
	}
	ent_close(er);
	pack_rel_free(r);
	report_free();
	report_init("spaceport-pack", "fuzz");
	report_quiet(1);
	sb_free(&doc);
	sb_free(&out);
	free(copy);
	return 0;
}
