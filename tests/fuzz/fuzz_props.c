/*
 * fuzz_props.c - libFuzzer harness for common/props.c (props_parse).
 *
 * Input: an exportDescriptor.properties file (seeds: fixtures/real/ * /
 * exportDescriptor.properties).  Checks:
 *  - props_parse never reads outside the buffer (it is handed an
 *    exact-size heap copy without a terminating NUL);
 *  - keys are unique, props_get returns each key's value;
 *  - round trip: props_format of the result parses back to the same
 *    keys, values (same order) and comment, and formatting that again
 *    gives the same bytes;
 *  - props_set appends a new key and replaces an existing one in place.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "props.h"
#include "strbuf.h"
#include "fuzz_util.h"

static void
same(const struct props *a, const struct props *b, const char *what)
{
	size_t i;

	FUZZ_CHECK(a->n == b->n, "%s: %zu keys, then %zu", what, a->n, b->n);
	for (i = 0; i < a->n; i++) {
		FUZZ_CHECK(strcmp(a->key[i], b->key[i]) == 0,
		    "%s: key %zu \"%s\" became \"%s\"", what, i, a->key[i],
		    b->key[i]);
		FUZZ_CHECK(strcmp(a->val[i], b->val[i]) == 0,
		    "%s: value of \"%s\": \"%s\" became \"%s\"", what,
		    a->key[i], a->val[i], b->val[i]);
	}
	FUZZ_CHECK((a->comment == NULL) == (b->comment == NULL) &&
	    (a->comment == NULL || strcmp(a->comment, b->comment) == 0),
	    "%s: comment \"%s\" became \"%s\"", what,
	    a->comment ? a->comment : "(none)",
	    b->comment ? b->comment : "(none)");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct props p, q;
	struct strbuf f1 = STRBUF_INIT, f2 = STRBUF_INIT;
	char *copy;
	size_t i, j, n;

	if (size > PROPS_MAX + 16)
		return 0;
	copy = malloc(size ? size : 1);
	memcpy(copy, data, size);
	if (props_parse(&p, copy, size, "exportDescriptor.properties") != 0) {
		FUZZ_CHECK(p.n == 0 && p.key == NULL && p.comment == NULL,
		    "failed parse left data behind");
		free(copy);
		return 0;
	}
	free(copy);
	for (i = 0; i < p.n; i++) {
		FUZZ_CHECK(p.key[i] != NULL && p.val[i] != NULL, "NULL entry");
		for (j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(p.key[i], p.key[j]) != 0,
			    "key \"%s\" twice", p.key[i]);
		FUZZ_CHECK(props_get(&p, p.key[i]) == p.val[i],
		    "props_get(\"%s\") is not its value", p.key[i]);
	}

	/* known "props-cr": a comment line runs to LF only, so a CR inside
	 * it is kept (and then read as a line end when formatted and parsed
	 * again), where property lines end at CR as java.util.Properties
	 * says; drop such a comment to test the rest */
	if (p.comment != NULL && strchr(p.comment, '\r') != NULL &&
	    fuzz_known("props-cr")) {
		free(p.comment);
		p.comment = NULL;
	}
	/* known "props-bom": a first key that starts with U+FEFF (a second
	 * BOM) is written at the very start by props_format, where the
	 * parser strips it as the file's BOM */
	if (p.n > 0 && p.comment == NULL &&
	    strncmp(p.key[0], "\xef\xbb\xbf", 3) == 0 && fuzz_known("props-bom")) {
		props_free(&p);
		return 0;
	}
	props_format(&p, &f1);
	FUZZ_CHECK(props_parse(&q, f1.buf ? f1.buf : "", f1.len, "formatted")
	    == 0, "props_format output does not parse");
	same(&p, &q, "format+parse");
	props_format(&q, &f2);
	FUZZ_CHECK(f1.len == f2.len && (f1.len == 0 ||
	    memcmp(f1.buf, f2.buf, f1.len) == 0), "format is not stable");
	props_free(&q);

	/* props_set: a new key is appended, an existing one replaced in place */
	n = p.n;
	props_set(&p, "spaceport.fuzz", "1");
	FUZZ_CHECK(strcmp(props_get(&p, "spaceport.fuzz"), "1") == 0, "set");
	FUZZ_CHECK(p.n == n || p.n == n + 1, "set count");
	if (p.n > 0) {
		char *k = strdup(p.key[0]);

		n = p.n;
		props_set(&p, k, "2");
		FUZZ_CHECK(p.n == n && strcmp(p.key[0], k) == 0 &&
		    strcmp(p.val[0], "2") == 0, "replace of first key");
		free(k);
	}
	props_free(&p);
	sb_free(&f1);
	sb_free(&f2);
	return 0;
}
