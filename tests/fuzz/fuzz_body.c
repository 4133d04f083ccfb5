/*
 * fuzz_body.c - libFuzzer harness for the body toolkit (common/body.c,
 * common/xmltext.c) and the rules over it (user references, space keys).
 *
 * Input: byte 0 = flags, then the raw body.  Flags:
 *   bits 0-1  outer encoding: CDATA, TEXT, MIXED, PLAIN (body.h)
 *   bit 2     wiki markup (else storage format)
 * Inputs that cannot reach the toolkit from the entities reader are
 * skipped: "]]>" in a CDATA body, '<' in escaped text, a MIXED body whose
 * sections are not closed or whose text holds '<'.
 *
 * Properties:
 *  - a rule that only reads: the body comes back byte for byte, and every
 *    token lies inside the logical text, in order;
 *  - the user rule rewriting every reference (and, for storage, the
 *    space-key rule renaming every ri:space-key), applied together: the
 *    output keeps its outer encoding (no "]]>" in CDATA, no '<' in text),
 *    and re-tokenising it finds exactly the rewritten references, each
 *    with the new value (user references: when every one was rewritten,
 *    as many as were rewritten and all "ACC" / "accountid:ACC"; space
 *    keys: as many attributes as before, at least the renamed ones
 *    NEWKEY).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "spacekey.h"
#include "strbuf.h"
#include "userref.h"
#include "fuzz_util.h"

struct seen {
	size_t		 last;		/* offset of the previous token */
	size_t		 n;		/* logical length */
	size_t		 ntok;
};

static void
read_token(struct body *b, const struct btok *t, void *arg)
{
	struct seen *s = arg;
	size_t i;

	FUZZ_CHECK(t->off + t->len <= s->n, "token past the end");
	FUZZ_CHECK(t->kind >= BT_WIKI_LINK || t->off >= s->last,
	    "tokens out of order");
	for (i = 0; i < t->nattr; i++)
		FUZZ_CHECK(t->attr[i].voff + t->attr[i].vlen <= s->n,
		    "attribute value past the end");
	if (t->kind < BT_WIKI_LINK)
		s->last = t->off;
	s->ntok++;
}

static const struct body_rule read_rule = {
	.name = "read",
	.formats = (1u << BODY_STORAGE) | (1u << BODY_WIKI),
	.want_code = 1,
	.token = read_token,
};

struct users {
	int		 rewrite;
	size_t		 calls, bad;
	size_t		 kinds[UREF_NKINDS];
};

static int
user_fn(void *ctx, enum uref_kind kind, const char *v, size_t n, long line,
    const char **repl)
{
	struct users *u = ctx;

	FUZZ_CHECK(v[n] == '\0', "value not NUL-terminated");
	u->calls++;
	u->kinds[kind]++;
	if (!u->rewrite) {
		if (kind == UREF_WIKI_USERNAME ?
		    !(n == 13 && memcmp(v, "accountid:ACC", 13) == 0) :
		    !(n == 3 && memcmp(v, "ACC", 3) == 0))
			u->bad++;
		return 0;
	}
	*repl = kind == UREF_WIKI_USERNAME ? "accountid:ACC" : "ACC";
	return 1;
}

/* Counts ri:space-key attributes and how many are NEWKEY. */
struct keys {
	size_t		 n, newkey;
};

static void
key_token(struct body *b, const struct btok *t, void *arg)
{
	struct keys *k = arg;
	size_t i;

	for (i = 0; i < t->nattr; i++)
		if (t->attr[i].name_len == 12 &&
		    memcmp(t->attr[i].name, "ri:space-key", 12) == 0) {
			k->n++;
			k->newkey += body_ieq(t->attr[i].val,
			    t->attr[i].val_len, "NEWKEY");
		}
}

static const struct body_rule key_rule = {
	.name = "keys",
	.formats = 1u << BODY_STORAGE,
	.want = 1u << BT_START,
	.token = key_token,
};

static int
reachable(const char *s, size_t n, enum body_outer o)
{
	const char *p = s, *e = s + n, *c, *d;

	if (o == BODY_OUTER_CDATA)
		return memmem(s, n, "]]>", 3) == NULL;
	if (o == BODY_OUTER_TEXT)
		return memchr(s, '<', n) == NULL;
	if (o != BODY_OUTER_MIXED)
		return 1;
	while (p < e) {
		c = memmem(p, (size_t)(e - p), "<![CDATA[", 9);
		if (memchr(p, '<', (size_t)((c != NULL ? c : e) - p)) != NULL)
			return 0;
		if (c == NULL)
			return 1;
		d = memmem(c + 9, (size_t)(e - c - 9), "]]>", 3);
		if (d == NULL)
			return 0;
		p = d + 3;
	}
	return 1;
}

static int
outer_ok(const char *s, size_t n, enum body_outer o)
{
	return o == BODY_OUTER_PLAIN || reachable(s, n, o);
}

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct body *b;
	enum body_outer outer;
	enum body_format fmt;
	const char *raw;
	size_t n, tl;
	struct strbuf out = STRBUF_INIT;
	struct seen s = { 0, 0, 0 };
	struct users u = { 1, 0, 0, { 0 } }, u2 = { 0, 0, 0, { 0 } };
	struct uref_rule_ctx uc = { user_fn, &u, 0 }, uc2 = { user_fn, &u2, 0 };
	struct spacekey_ctx sk = { "OLD", "NEWKEY", 0 };
	struct keys k1 = { 0, 0 }, k2 = { 0, 0 };
	struct body_rules rows[2];

	if (size < 1)
		return 0;
	if (b == NULL)
		b = body_new();
	outer = (enum body_outer)(data[0] & 3);
	fmt = data[0] & 4 ? BODY_WIKI : BODY_STORAGE;
	raw = (const char *)data + 1;
	n = size - 1;
	if (!reachable(raw, n, outer))
		return 0;

	/* reading only: identity */
	body_load_raw(b, raw, n, outer, fmt, 0, 1);
	body_text(b, &s.n);
	rows[0].rule = &read_rule;
	rows[0].ctx = &s;
	FUZZ_CHECK(body_run(b, rows, 1) == 0, "a reading rule made edits");
	body_apply(b, &out);
	FUZZ_CHECK(out.len == n && memcmp(out.buf, raw, n) == 0,
	    "no edit, yet the body changed");

	/* the space keys there are, before */
	if (fmt == BODY_STORAGE) {
		rows[0].rule = &key_rule;
		rows[0].ctx = &k1;
		body_load_raw(b, raw, n, outer, fmt, 0, 1);
		body_run(b, rows, 1);
	}

	/* rewrite: every user reference, then space key OLD */
	rows[0].rule = &uref_rule;
	rows[0].ctx = &uc;
	rows[1].rule = &spacekey_rule;
	rows[1].ctx = &sk;
	body_load_raw(b, raw, n, outer, fmt, 0, 1);
	body_run(b, rows, fmt == BODY_STORAGE ? 2 : 1);
	sb_reset(&out);
	body_apply(b, &out);
	FUZZ_CHECK(outer_ok(out.buf, out.len, outer),
	    "output breaks its outer encoding");

	/* re-tokenise */
	rows[0].rule = &uref_rule;
	rows[0].ctx = &uc2;
	rows[1].rule = &key_rule;
	rows[1].ctx = &k2;
	body_load_raw(b, out.buf, out.len, outer, fmt, 0, 1);
	body_run(b, rows, fmt == BODY_STORAGE ? 2 : 1);
	tl = u2.kinds[UREF_USERKEY] + u2.kinds[UREF_USERNAME] +
	    u2.kinds[UREF_MACRO_USERNAME];
	FUZZ_CHECK(u.calls != uc.nrew || (tl == 0 && u2.bad == 0 &&
	    u2.calls == uc.nrew), "re-tokenised: %zu references (%zu left, "
	    "%zu with another value), %zu rewritten", u2.calls, tl, u2.bad,
	    uc.nrew);
	if (fmt == BODY_STORAGE)
		FUZZ_CHECK(k2.n == k1.n && k2.newkey >= sk.renamed,
		    "space keys: %zu before, %zu after, %zu renamed, %zu new",
		    k1.n, k2.n, sk.renamed, k2.newkey);
	sb_free(&out);
	return 0;
}
