/*
 * spacekey.c - the space-key rename rule (see spacekey.h).
 *
 * Design: where the rename runs.  It stays in spaceport-pack
 * (--space-key NEW), for three reasons.  The target key is a packaging
 * decision (which key the space gets on the Cloud site) that an admin may
 * take after the user mapping, on the same converted package, without
 * converting again.  A converted package keeps the export's own keys, so
 * it still matches the inventories and site indexes built from the other
 * exports (issue 9 resolves cross-space links by key).  And the rename
 * agrees with convert's link rewriting by construction: every link convert
 * writes into this space names it with ri:space-key="OLD", and this rule
 * renames every real ri:space-key attribute equal to OLD, whoever wrote
 * it.  The rule itself lives in common/ so that convert can run it too
 * (personal-space keys follow the owner's account id, issue 9): it is one
 * row in a program's table.
 *
 * What counts as a reference is the tokenizer's call: only attributes of
 * real tags.  Code macro CDATA, plain-text macro bodies, comments and
 * escaped text showing markup are text, never renamed.
 */
#include <string.h>

#include "body.h"
#include "spacekey.h"

static void
sk_token(struct body *b, const struct btok *t, void *arg)
{
	struct spacekey_ctx *c = arg;
	const struct battr *a;
	size_t i;

	for (i = 0; i < t->nattr; i++) {
		a = &t->attr[i];
		if (a->name_len != 12 || memcmp(a->name, "ri:space-key", 12) != 0
		    || !body_ieq(a->val, a->val_len, c->old_key))
			continue;
		if (body_edit(b, a->voff, a->vlen, c->new_key,
		    strlen(c->new_key), BE_ATTR) == 0)
			c->renamed++;
	}
}

static const char *const triggers[] = { "ri:space-key", NULL };

const struct body_rule spacekey_rule = {
	.name = "space-key",
	.formats = 1u << BODY_STORAGE,
	.storage_triggers = triggers,
	.want = 1u << BT_START,
	.token = sk_token,
};
