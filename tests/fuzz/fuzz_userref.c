/*
 * fuzz_userref.c - libFuzzer harness for common/userref.c.
 *
 * Input: byte 0 = flags, byte 1 = replacement length L (mod 24), then L
 * bytes of replacement text (NULs dropped), then the body.  Flags:
 *   bit 0  escaped (1) or CDATA context (0)
 *   bit 1  the replacement is made "safe" (letters, digits, ':' and '-',
 *          the shape of a real Cloud account ID) instead of arbitrary bytes
 * Seeds: bodies cut from fixtures (storage format with <ri:user>, macros,
 * wiki markup), prefixed with a flags byte and a replacement.
 *
 * For both uref_storage and uref_wiki:
 *  - a callback that keeps every reference: the output is byte-identical
 *    to the input and nothing is counted as rewritten;
 *  - scanning without an output buffer sees the same references;
 *  - values handed to the callback are NUL-terminated at len, lines are
 *    within the body;
 *  - a callback that rewrites every reference: the return value is the
 *    number of callbacks; in CDATA context no "]]>" appears that was not
 *    in the input (it would end the CDATA section of entities.xml); in
 *    escaped context no '<' appears that was not in the input;
 *  - rescanning the rewritten body finds the same number of references,
 *    every one with the replacement as its value (storage always; wiki
 *    only with a safe replacement, which is written "as given").
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "userref.h"
#include "xmltext.h"
#include "fuzz_util.h"

struct cb {
	const char	*body;
	size_t		 len;
	long		 maxline;
	int		 rewrite;
	const char	*repl;
	size_t		 calls;
	size_t		 kinds[UREF_NKINDS];
	int		 check_values;	/* every value must equal repl */
	size_t		 mismatch;
	enum uref_kind	 mkind;
	struct strbuf	 mval;
};

static int
cb_fn(void *ctx, enum uref_kind kind, const char *value, size_t len,
    long line, const char **repl)
{
	struct cb *c = ctx;

	FUZZ_CHECK((int)kind >= 0 && kind < UREF_NKINDS, "kind %d", (int)kind);
	/* known "empty-value": an empty value comes from sb_grow(&val, 0),
	 * whose fresh buffer is not NUL-terminated (userref.c decode_value) */
	FUZZ_CHECK(value != NULL && (value[len] == '\0' ||
	    (len == 0 && fuzz_known("empty-value"))),
	    "value not NUL-terminated (len %zu)", len);
	FUZZ_CHECK(line >= 1 && line <= c->maxline, "line %ld not in 1..%ld",
	    line, c->maxline);
	FUZZ_CHECK(strcmp(uref_kind_name(kind), "unknown") != 0,
	    "kind without name");
	c->calls++;
	c->kinds[kind]++;
	if (c->check_values && (len != strlen(c->repl) ||
	    memcmp(value, c->repl, len) != 0)) {
		if (c->mismatch++ == 0) {
			c->mkind = kind;
			sb_reset(&c->mval);
			sb_add(&c->mval, value, len);
		}
	}
	if (c->rewrite) {
		*repl = c->repl;
		return 1;
	}
	return 0;
}

typedef size_t (*scan_fn)(const char *, size_t, int, uref_fn, void *,
    struct strbuf *);

static long
count_lines(const char *p, size_t n)
{
	long l = 1;
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] == '\n')
			l++;
	return l;
}

static size_t
count_sub(const char *p, size_t n, const char *lit)
{
	size_t k = strlen(lit), c = 0, i;

	for (i = 0; i + k <= n; i++)
		if (memcmp(p + i, lit, k) == 0)
			c++;
	return c;
}

static void
one(scan_fn scan, const char *name, const char *body, size_t len,
    int escaped, const char *repl, int safe)
{
	struct strbuf out = STRBUF_INIT, out2 = STRBUF_INIT;
	struct cb keep, count, rew, again;
	size_t n;
	int k;

	memset(&keep, 0, sizeof(keep));
	keep.body = body;
	keep.len = len;
	keep.maxline = count_lines(body, len);
	count = rew = keep;

	/* 1. keep everything: identity */
	n = scan(body, len, escaped, cb_fn, &keep, &out);
	FUZZ_CHECK(n == 0, "%s: %zu rewritten by a callback that keeps all",
	    name, n);
	FUZZ_CHECK(out.len == len && (len == 0 || memcmp(out.buf, body, len)
	    == 0), "%s(escaped=%d): output differs from input although "
	    "nothing was rewritten (%zu vs %zu bytes)", name, escaped, out.len,
	    len);

	/* 2. scan only */
	n = scan(body, len, escaped, cb_fn, &count, NULL);
	FUZZ_CHECK(count.calls == keep.calls, "%s: %zu references without "
	    "output, %zu with", name, count.calls, keep.calls);

	/* 3. rewrite everything */
	rew.rewrite = 1;
	rew.repl = repl;
	sb_reset(&out);
	n = scan(body, len, escaped, cb_fn, &rew, &out);
	FUZZ_CHECK(n == rew.calls, "%s: %zu rewritten, %zu callbacks", name,
	    n, rew.calls);
	FUZZ_CHECK(rew.calls == keep.calls, "%s: the callback's answer "
	    "changed which references were seen (%zu vs %zu)", name,
	    rew.calls, keep.calls);
	FUZZ_CHECK(out.buf != NULL, "%s: no output", name);
	/* known "wiki-cdata": uref_wiki writes the replacement as given,
	 * only "]]" inside it escaped, so a replacement ending in ']' before
	 * the link's "]>" makes "]]>" (wiki_encode) */
	if (!escaped) {
		if (!(scan == uref_wiki && fuzz_known("wiki-cdata")))
			FUZZ_CHECK(count_sub(out.buf, out.len, "]]>") <=
			    count_sub(body, len, "]]>"),
			    "%s(escaped=0): rewriting with \"%s\" created \"]]>\" "
			    "(ends the CDATA section)", name, repl);
	} else
		FUZZ_CHECK(count_sub(out.buf, out.len, "<") <=
		    count_sub(body, len, "<"),
		    "%s(escaped=1): rewriting created a raw '<'", name);
	if (n == 0)
		FUZZ_CHECK(out.len == len && memcmp(out.buf, body, len) == 0,
		    "%s: nothing rewritten but output differs", name);

	/* 4. rescan the rewritten body */
	/* known "wiki-tilde": uref_wiki parses [links] only when the body
	 * has a '~' somewhere, and an unclosed '[' then hides the macros
	 * after it on its line; rewriting can add or remove the '~' */
	if (scan == uref_wiki && fuzz_known("wiki-tilde") &&
	    (memchr(body, '~', len) != NULL) !=
	    (memchr(out.buf, '~', out.len) != NULL))
		safe = 0;
	if (scan == uref_storage || safe) {
		memset(&again, 0, sizeof(again));
		again.maxline = count_lines(out.buf, out.len);
		again.repl = repl;
		again.check_values = 1;
		(void)scan(out.buf, out.len, escaped, cb_fn, &again, &out2);
		FUZZ_CHECK(again.calls == rew.calls, "%s(escaped=%d): %zu "
		    "references before rewriting with \"%s\", %zu after", name,
		    escaped, rew.calls, repl, again.calls);
		FUZZ_CHECK(again.mismatch == 0, "%s(escaped=%d): after "
		    "rewriting to \"%s\", a %s reference reads \"%s\"", name,
		    escaped, repl, uref_kind_name(again.mkind),
		    again.mval.buf ? again.mval.buf : "");
		for (k = UREF_USERKEY; k <= UREF_USERNAME; k++)
			FUZZ_CHECK(again.kinds[k] == 0, "%s: a %s reference "
			    "survived rewriting", name, uref_kind_name(k));
		sb_free(&again.mval);
	}
	sb_free(&keep.mval);
	sb_free(&count.mval);
	sb_free(&rew.mval);
	sb_free(&out);
	sb_free(&out2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char repl[32];
	size_t rl, i, j, k;
	int escaped, safe;
	const char *body;
	char *copy;
	size_t blen;
	static const char alnum[] =
	    "abcdefghijklmnopqrstuvwxyz0123456789:-ABCDEF";

	if (size < 2 || size > (1 << 20))
		return 0;
	escaped = data[0] & 1;
	safe = (data[0] >> 1) & 1;
	rl = data[1] % 24;
	if (rl > size - 2)
		rl = size - 2;
	for (i = j = 0; i < rl; i++) {
		unsigned char ch = data[2 + i];

		if (safe)
			repl[j++] = alnum[ch % (sizeof(alnum) - 1)];
		else if (ch != 0)
			repl[j++] = (char)ch;
	}
	/* The writers drop what XML 1.0 cannot hold (invalid UTF-8, C0
	 * controls, U+FFFE/U+FFFF; xmltext.h) and count it: a re-scan reads
	 * the replacement without those bytes, so that is what is handed in. */
	for (i = k = 0; i < j;) {
		size_t cl = xt_xml_char_len((const unsigned char *)repl + i,
		    j - i);

		if (cl == 0) {
			i++;
			continue;
		}
		memmove(repl + k, repl + i, cl);
		k += cl;
		i += cl;
	}
	j = k;
	if (j == 0)
		repl[j++] = 'X';
	repl[j] = '\0';
	blen = size - 2 - rl;
	/* exact-size heap copy so that ASan sees any read past the body */
	copy = malloc(blen ? blen : 1);
	memcpy(copy, data + 2 + rl, blen);
	body = copy;
	one(uref_storage, "uref_storage", body, blen, escaped, repl, safe);
	one(uref_wiki, "uref_wiki", body, blen, escaped, repl, safe);
	free(copy);
	return 0;
}
