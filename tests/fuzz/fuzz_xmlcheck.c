/*
 * fuzz_xmlcheck.c - libFuzzer harness for common/xmlcheck.c, the
 * entities.xml gate every stage runs.
 *
 * Input: an entities.xml (seeds: those of fuzz_entities, plus DOCTYPE,
 * entity and control-character cases).  Checks:
 *  - the verdict does not depend on the chunking: the whole input in one
 *    feed and in random-sized feeds (1 byte to 70 KB, final flag on the
 *    last or on an extra empty feed) are both accepted or both refused;
 *  - an accepted document is one libxml2's tree parser (no NOENT, no
 *    DTDLOAD, NONET) reads without an error and without a DTD, and holds
 *    only valid UTF-8 and characters XML 1.0 allows (an independent
 *    decoder below, not libxml2's);
 *  - a refusal's message is one non-empty line; nothing may be fed
 *    after a refusal.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "xmlcheck.h"
#include "fuzz_util.h"

/* 1 if p holds only valid UTF-8 whose code points are XML 1.0 Chars:
 * #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF] */
static int
xml_chars_ok(const uint8_t *p, size_t n)
{
	size_t i = 0, k, len;
	uint32_t c, min;

	while (i < n) {
		c = p[i];
		if (c < 0x80) {
			len = 1;
			min = 0;
		} else if ((c & 0xe0) == 0xc0) {
			len = 2;
			c &= 0x1f;
			min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3;
			c &= 0x0f;
			min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			len = 4;
			c &= 0x07;
			min = 0x10000;
		} else
			return 0;
		if (i + len > n)
			return 0;
		for (k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			c = (c << 6) | (p[i + k] & 0x3f);
		}
		if (c < min)
			return 0;
		if (!(c == 0x9 || c == 0xa || c == 0xd ||
		    (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) ||
		    (c >= 0x10000 && c <= 0x10ffff)))
			return 0;
		i += len;
	}
	return 1;
}

static void
quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static int
verdict(const uint8_t *data, size_t size, uint64_t *seed, char *msg,
    size_t msgsz)
{
	struct xmlcheck *x = xmlcheck_new("entities.xml");
	const char *m;
	size_t pos = 0, k;
	int rc = 0, extra;

	if (seed == NULL)
		rc = xmlcheck_feed(x, data, size, 1);
	else {
		extra = (int)(fuzz_rand(seed) & 1);
		while (rc == 0 && pos < size) {
			k = fuzz_step(seed);
			if (k > size - pos)
				k = size - pos;
			rc = xmlcheck_feed(x, data + pos, k,
			    !extra && pos + k == size);
			pos += k;
		}
		if (rc == 0 && (extra || size == 0))
			rc = xmlcheck_feed(x, "", 0, 1);
	}
	m = xmlcheck_error(x, NULL);
	FUZZ_CHECK((rc == 0) == (m == NULL), "rc %d but message %s", rc,
	    m ? m : "(none)");
	if (m != NULL) {
		FUZZ_CHECK(*m != '\0' && strchr(m, '\n') == NULL &&
		    strchr(m, '\r') == NULL, "message not one line: %s", m);
		FUZZ_CHECK(xmlcheck_feed(x, "<a/>", 4, 0) == -1,
		    "feed after a refusal accepted");
		snprintf(msg, msgsz, "%s", m);
	}
	xmlcheck_free(x);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int inited;
	char m1[300] = "", m2[300] = "";
	uint64_t seed = fuzz_hash(data, size);
	int a, b;

	if (size > (1u << 20))
		return 0;
	if (!inited) {
		xmlInitParser();
		xmlSetGenericErrorFunc(NULL, quiet);
		inited = 1;
	}
	a = verdict(data, size, NULL, m1, sizeof(m1));
	b = verdict(data, size, &seed, m2, sizeof(m2));
	FUZZ_CHECK(a == b, "whole %s, chunked %s (%s%s)",
	    a == 0 ? "accepted" : "refused", b == 0 ? "accepted" : "refused",
	    m1, m2);
	if (a == 0) {
		xmlDocPtr d = xmlReadMemory((const char *)data, (int)size,
		    "entities.xml", NULL, XML_PARSE_NONET | XML_PARSE_HUGE |
		    XML_PARSE_NOERROR | XML_PARSE_NOWARNING);

		FUZZ_CHECK(d != NULL, "gate accepted what xmlReadMemory refuses");
		FUZZ_CHECK(d->intSubset == NULL && d->extSubset == NULL,
		    "accepted a document with a DTD");
		xmlFreeDoc(d);
		/* a UTF-8 byte order mark is allowed before the document */
		if (size >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
			FUZZ_CHECK(xml_chars_ok(data + 3, size - 3),
			    "accepted a character xml 1.0 forbids");
		else
			FUZZ_CHECK(xml_chars_ok(data, size),
			    "accepted a character xml 1.0 forbids");
	}
	return 0;
}
