/*
 * spacekey.h - the space-key rename rule over the body toolkit.
 *
 * Owns: renaming ri:space-key="OLD" (any element: ri:space, ri:page,
 * ri:blog-post, ri:attachment containers...) to NEW in storage bodies,
 * ASCII case-insensitively as Confluence matches keys.  Only real
 * attributes of real tags are renamed: code macro CDATA, plain-text macro
 * bodies and XML comments are left alone (the tokenizer never shows
 * markup there).  Only the attribute value changes.
 *
 * Used by spaceport-pack --space-key (pack/entities.c); the rule lives in
 * common/ so that convert can rename keys too (personal spaces).
 */
#ifndef SP_SPACEKEY_H
#define SP_SPACEKEY_H

#include <stddef.h>

struct body_rule;

struct spacekey_ctx {
	const char	*old_key;	/* matched case-insensitively */
	const char	*new_key;	/* written as given (plain text) */
	size_t		 renamed;	/* attributes renamed (counted up) */
};

/* Row for a program's table: { &spacekey_rule, &ctx }. */
extern const struct body_rule spacekey_rule;

#endif
