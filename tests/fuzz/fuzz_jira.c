/*
 * fuzz_jira.c - libFuzzer harness for common/jiramacro.c (the Jira macro
 * reader on the body toolkit) and the edit convert's --jira-server makes.
 *
 * Input: byte 0 = flags (bits 0-1: outer encoding: 0 CDATA, 1 escaped
 * text, 2/3 plain), then a storage-format body.
 * Properties:
 *  - every reported parameter value is NUL-terminated at its length, at
 *    most JIRA_PARAM_MAX bytes, and its span lies inside the logical body;
 *  - macros are reported in document order (start offsets increase) and
 *    each end tag follows its start tag;
 *  - replacing every editable serverId with a fixed UUID and re-reading
 *    the output finds the same number of Jira macros, and every serverId
 *    that was editable now reads the UUID;
 *  - in CDATA context the output has no "]]>" the input did not have, in
 *    escaped context no '<'.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "jiramacro.h"
#include "strbuf.h"
#include "fuzz_util.h"

#define UUID	"01234567-89ab-cdef-0123-456789abcdef"

struct st {
	int		 edit;		/* pass 1: propose the edits */
	size_t		 n, editable, uuid, last_off;
	size_t		 blen;
};

static struct jira_scan js;

static void
found(struct body *b, const struct jira_macro *m, void *arg)
{
	struct st *s = arg;
	const struct jira_param *p;
	int i;

	FUZZ_CHECK(s->n == 0 || m->off > s->last_off, "order %zu <= %zu",
	    m->off, s->last_off);
	FUZZ_CHECK(m->end_off >= m->off, "end before start");
	s->last_off = m->off;
	s->n++;
	for (i = 0; i < JP_N; i++) {
		p = &m->p[i];
		if (!p->have)
			continue;
		FUZZ_CHECK(p->val.len <= JIRA_PARAM_MAX, "value too long");
		FUZZ_CHECK(p->val.len == 0 || p->val.buf[p->val.len] == '\0',
		    "value not NUL-terminated");
		if (p->editable)
			FUZZ_CHECK(p->voff + p->vlen <= s->blen &&
			    p->voff >= m->off && p->voff + p->vlen <= m->end_off,
			    "span outside the macro");
	}
	p = &m->p[JP_SERVER_ID];
	if (p->have && p->editable) {
		s->editable++;
		if (s->edit)
			body_edit(b, p->voff, p->vlen, UUID, strlen(UUID), BE_TEXT);
		else if (p->val.len == strlen(UUID) &&
		    memcmp(p->val.buf, UUID, p->val.len) == 0)
			s->uuid++;
	}
}

static void
rb(struct body *b, void *ctx)
{
	(void)b;
	(void)ctx;
	jira_scan_begin(&js);
}

static void
rt(struct body *b, const struct btok *t, void *ctx)
{
	(void)ctx;
	jira_scan_token(&js, b, t);
}

static const struct body_rule rule = {
	.name = "fuzz-jira", .formats = 1u << BODY_STORAGE,
	.storage_triggers = jira_triggers,
	.want = (1u << BT_START) | (1u << BT_END),
	.begin = rb, .token = rt,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct body *b;
	struct body_rules r = { &rule, NULL };
	struct strbuf out = STRBUF_INIT;
	struct st s1, s2;
	enum body_outer outer;
	const char *raw;
	size_t len;

	if (size < 1)
		return 0;
	if (b == NULL)
		b = body_new();
	outer = (data[0] & 3) == 0 ? BODY_OUTER_CDATA : (data[0] & 3) == 1 ?
	    BODY_OUTER_TEXT : BODY_OUTER_PLAIN;
	raw = (const char *)data + 1;
	len = size - 1;

	memset(&s1, 0, sizeof(s1));
	s1.edit = 1;
	js.fn = found;
	js.arg = &s1;
	body_load_raw(b, raw, len, outer, BODY_STORAGE, 0, 1);
	(void)body_text(b, &s1.blen);
	body_run(b, &r, 1);
	body_apply(b, &out);
	if (outer == BODY_OUTER_CDATA)
		FUZZ_CHECK(fuzz_count(out.buf, out.len, "]]>") <=
		    fuzz_count(raw, len, "]]>"), "new ]]> in CDATA context");
	if (outer == BODY_OUTER_TEXT)
		FUZZ_CHECK(fuzz_count(out.buf, out.len, "<") <=
		    fuzz_count(raw, len, "<"), "new < in escaped context");

	memset(&s2, 0, sizeof(s2));
	js.arg = &s2;
	body_load_raw(b, out.buf != NULL ? out.buf : "", out.len, outer,
	    BODY_STORAGE, 0, 1);
	(void)body_text(b, &s2.blen);
	body_run(b, &r, 1);
	FUZZ_CHECK(s2.n == s1.n, "macros %zu then %zu", s1.n, s2.n);
	FUZZ_CHECK(s2.uuid == s1.editable, "serverIds rewritten %zu of %zu",
	    s2.uuid, s1.editable);
	sb_free(&out);
	return 0;
}
