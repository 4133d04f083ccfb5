/*
 * fuzz_links.c - libFuzzer harness for link normalisation: the URL parser
 * (common/linkurl.c), the link rule on the body toolkit (convert/links.c)
 * and the spaceport/content.tsv reader (convert/linkrun.c).
 *
 * Input: byte 0 = flags, then the bytes.
 *   bit 7 set: the bytes are a content.tsv.  A refusal (diag_die) is
 *     caught.  Property: an accepted file gives one index row per data
 *     line of a known class, recounted here with tsv_next.
 *   else: bits 0-1 outer encoding (0 CDATA, 1 escaped text, 2/3 plain),
 *     bit 2 wiki markup; the bytes are a body, run through the rule over a
 *     small fixed index and two base URLs.  Properties:
 *     - every unresolved link is reported once (reports = the unresolved
 *       count);
 *     - the output keeps its outer encoding (no new "]]>" in CDATA, no
 *       new '<' in escaped text);
 *     - a second run over the output finds exactly the links the first
 *       left (external + unresolved): a rewritten link is no longer a URL.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "convert.h"
#include "linkindex.h"
#include "links.h"
#include "strbuf.h"
#include "tsv.h"
#include "fuzz_util.h"

static struct link_bases *bases;
static struct linkidx *idx;
static size_t reports;

static void
on_unresolved(void *u, struct body *b, const char *url, size_t n,
    const char *why, size_t off)
{
	(void)u;
	(void)b;
	(void)off;
	FUZZ_CHECK(why != NULL && (n == 0 || url != NULL), "report");
	reports++;
}

static void
setup(void)
{
	const char *why;

	bases = link_bases_new();
	link_bases_add(bases, "http://old:8090", &why);
	link_bases_add(bases, "https://wiki.corp/confluence", &why);
	idx = linkidx_open();
	linkidx_space(idx, "10", "ENG");
	linkidx_space(idx, "11", "OPS");
	linkidx_content(idx, "100", "Page", "10", "Run & Book", "2021-05-06 07:08:09.0", NULL, 1);
	linkidx_content(idx, "101", "Page", "10", "Run & Book", "2021-05-06 07:08:09.0", "100", 0);
	linkidx_content(idx, "102", "BlogPost", "10", "Leap", "2024-02-29 10:00:00.0", NULL, 1);
	linkidx_content(idx, "200", "Page", "11", "Home", NULL, NULL, 1);
	linkidx_attachment(idx, "100", "d.png", 1);
}

static uint64_t
total(const struct link_rule_ctx *c, int o)
{
	uint64_t n = 0;
	int f, k;

	for (f = 0; f < LINK_NFORMS; f++)
		for (k = 0; k < LO_NOUTCOMES; k++)
			if (o < 0 || k == o)
				n += c->n[f][k];
	return n;
}

/* content.tsv: data lines of a known class, after the header. */
static uint64_t
known_rows(const char *buf, size_t len)
{
	struct tsv t;
	char **f;
	size_t n;
	int ci = -1, first = 1;
	uint64_t rows = 0;

	tsv_init(&t, buf, len);
	while (tsv_next(&t, &f, &n) > 0) {
		if (first) {
			ci = tsv_column(f, n, "class");
			first = 0;
			continue;
		}
		if (ci >= 0 && (size_t)ci < n && (strcmp(f[ci], "Space") == 0 ||
		    strcmp(f[ci], "Page") == 0 || strcmp(f[ci], "BlogPost") == 0 ||
		    strcmp(f[ci], "Attachment") == 0))
			rows++;
	}
	tsv_free(&t);
	return rows;
}

static void
content_mode(const uint8_t *data, size_t size)
{
	static struct cv_links l;
	volatile int ok = 0;
	char *copy = malloc(size ? size : 1);
	const char *why;

	memcpy(copy, data, size);
	memset(&l, 0, sizeof(l));
	l.bases = link_bases_new();
	link_bases_add(l.bases, "http://old", &why);
	if (FUZZ_TRY()) {
		cv_links_content(&l, copy, size);
		fuzz_try_end();
		ok = 1;
	} else {
		l.idx = NULL;	/* allocated inside: freed by the cleanup */
		l.self_key = NULL;
	}
	if (ok)
		FUZZ_CHECK(l.rows == known_rows(copy, size),
		    "content.tsv: %llu rows taken, %llu known",
		    (unsigned long long)l.rows,
		    (unsigned long long)known_rows(copy, size));
	if (ok)
		cv_links_free(&l);
	else {
		link_bases_free(l.bases);
		free(l.self_key);
	}
	free(copy);
}

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct body *b;
	static struct link_rule_ctx c1, c2;
	struct body_rules r1 = { &link_rule, &c1 }, r2 = { &link_rule, &c2 };
	struct strbuf out = STRBUF_INIT;
	enum body_outer outer;
	enum body_format fmt;
	const char *raw;
	size_t len, rep1;

	if (size < 1 || size > (1u << 16))
		return 0;
	if (idx == NULL) {
		sqlite3_initialize();
		setup();
		b = body_new();
	}
	if (data[0] & 0x80) {
		content_mode(data + 1, size - 1);
		return 0;
	}
	outer = (data[0] & 3) == 0 ? BODY_OUTER_CDATA : (data[0] & 3) == 1 ?
	    BODY_OUTER_TEXT : BODY_OUTER_PLAIN;
	fmt = data[0] & 4 ? BODY_WIKI : BODY_STORAGE;
	raw = (const char *)data + 1;
	len = size - 1;
	/* what the entities reader can hand over */
	if (outer == BODY_OUTER_CDATA && memmem(raw, len, "]]>", 3) != NULL)
		return 0;
	if (outer == BODY_OUTER_TEXT && memchr(raw, '<', len) != NULL)
		return 0;

	memset(&c1, 0, sizeof(c1));
	c1.bases = bases;
	c1.idx = idx;
	c1.self_key = "ENG";
	c1.unresolved = on_unresolved;
	reports = 0;
	body_load_raw(b, raw, len, outer, fmt, 0, 1);
	body_run(b, &r1, 1);
	body_apply(b, &out);
	rep1 = reports;
	FUZZ_CHECK(rep1 == total(&c1, LO_UNRESOLVED), "%zu reports, %llu "
	    "unresolved", rep1, (unsigned long long)total(&c1, LO_UNRESOLVED));
	if (outer == BODY_OUTER_CDATA)
		FUZZ_CHECK(fuzz_count(out.buf, out.len, "]]>") == 0,
		    "new ]]> in CDATA context");
	if (outer == BODY_OUTER_TEXT)
		FUZZ_CHECK(memchr(out.buf != NULL ? out.buf : "", '<', out.len) ==
		    NULL, "new < in escaped context");

	memset(&c2, 0, sizeof(c2));
	c2.bases = bases;
	c2.idx = idx;
	c2.self_key = "ENG";
	c2.unresolved = on_unresolved;
	body_load_raw(b, out.buf != NULL ? out.buf : "", out.len, outer, fmt,
	    0, 1);
	body_run(b, &r2, 1);
	FUZZ_CHECK(total(&c2, -1) == total(&c1, LO_EXTERNAL) +
	    total(&c1, LO_UNRESOLVED), "second run: %llu links, first left "
	    "%llu external + %llu unresolved", (unsigned long long)total(&c2,
	    -1), (unsigned long long)total(&c1, LO_EXTERNAL),
	    (unsigned long long)total(&c1, LO_UNRESOLVED));
	link_rule_free(&c1);
	link_rule_free(&c2);
	sb_free(&out);
	return 0;
}
