/*
 * userref.h - find and rewrite user references inside body text.
 *
 * Owns: every way a Confluence body names a user (server-export-format.md
 * §3.4): storage-format <ri:user ri:userkey|ri:username|ri:account-id=...>
 * anywhere (mentions, macro parameters, task lists, tasks-report params),
 * the 4.x macros that take a plain username as parameter text
 * (profile/user, profile-picture/User, status-list/username, and the other
 * names listed in userref.c), and wiki markup mentions ([~name],
 * [text|~name], {profile:user=name}).
 *
 * Input is the RAW bytes of a body as they sit in entities.xml: either the
 * inside of a CDATA section (escaped == 0; may contain Confluence's "]] "
 * escapes, which are left alone) or escaped element text (escaped == 1,
 * where markup is written &lt;ri:user ri:userkey=&quot;..&quot;/&gt; or
 * with literal quotes).  Output bytes are identical to the input except
 * the rewritten attribute/parameter values: no reformatting, ever, whatever
 * the body holds (&nbsp;, undeclared prefixes, malformed markup).
 */
#ifndef SP_USERREF_H
#define SP_USERREF_H

#include <stddef.h>

struct strbuf;

enum uref_kind {
	UREF_USERKEY,		/* <ri:user ri:userkey="K"> */
	UREF_USERNAME,		/* <ri:user ri:username="N"> */
	UREF_ACCOUNTID,		/* <ri:user ri:account-id="A"> (already Cloud) */
	UREF_MACRO_USERNAME,	/* 4.x macro parameter holding a plain username */
	UREF_WIKI_USERNAME,	/* wiki markup [~N], [t|~N], {profile:user=N} */
	UREF_NKINDS
};

const char *uref_kind_name(enum uref_kind);	/* "body-userkey", ... stable, used in reports */

/*
 * Callback per reference.  value/len: the reference as written (decoded
 * for escaped input: &amp; etc. resolved).  line: 1-based line inside the
 * body.  To rewrite, set *repl (NUL-terminated, plain text: the scanner
 * escapes it as the context requires) and return 1; return 0 to keep it.
 * For UREF_USERKEY/UREF_USERNAME a rewrite replaces the whole attribute
 * (name and value) with ri:account-id="<repl>"; for UREF_MACRO_USERNAME the
 * parameter text becomes <ri:user ri:account-id="<repl>"/>; for
 * UREF_WIKI_USERNAME the name after '~' becomes the replacement (Cloud wiki
 * markup takes [~accountid:<id>]: repl is written as given).
 */
typedef int (*uref_fn)(void *ctx, enum uref_kind kind, const char *value,
		size_t len, long line, const char **repl);

/*
 * The user rule over the body toolkit (body.h): reports every reference
 * to fn and rewrites the ones fn replaces.  Row for a program's table:
 * { &uref_rule, &ctx } with ctx a struct uref_rule_ctx.  References in
 * the wiki body of an unmigrated-wiki-markup macro are not reported (as
 * before the toolkit: their accounting would change).
 */
struct body_rule;
struct uref_rule_ctx {
	uref_fn		 fn;
	void		*ctx;
	size_t		 nrew;		/* references rewritten (counted up) */
};
extern const struct body_rule uref_rule;

/*
 * Wrappers for one body outside an object (extract's scan, tests): body
 * is the inside of a CDATA section (escaped == 0) or escaped text
 * (escaped == 1).  out may be NULL to only scan; else the new raw body is
 * appended.  Returns the number of references rewritten.
 *
 * Storage format (XHTML) bodies.  out may be NULL to only scan.
 * Returns the number of references rewritten. */
size_t	 uref_storage(const char *body, size_t len, int escaped,
	    uref_fn fn, void *ctx, struct strbuf *out);

/* Wiki markup bodies (bodyType 0, or no bodyType in 3.x). */
size_t	 uref_wiki(const char *body, size_t len, int escaped,
	    uref_fn fn, void *ctx, struct strbuf *out);

#endif
