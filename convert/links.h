/*
 * links.h - the link rule: links to the old server become id-free storage
 * links (docs/links.md).
 *
 * Owns: which tokens of a body are links (<a href>, <ri:url ri:value>
 * inside ac:link and ac:image, <ri:content-entity ri:content-id>, wiki
 * [alias|link]), what each resolves to through the link index, the markup
 * that replaces it, and the accounting per form and outcome.  Parsing the
 * URL is linkurl.h's business, finding its target linkindex.h's; the body
 * toolkit (body.h) tokenises and applies the edits.
 */
#ifndef SP_LINKS_H
#define SP_LINKS_H

#include <stddef.h>
#include <stdint.h>

#include "body.h"
#include "linkurl.h"

struct linkidx;
struct link_memo;

/* Forms counted: the URL forms of linkurl.h, then content-entity by id. */
#define LINK_CONTENT_ENTITY	LF_NFORMS
#define LINK_NFORMS		(LF_NFORMS + 1)

enum link_outcome {
	LO_REWRITTEN,		/* now an id-free link into this space */
	LO_CROSS_SPACE,		/* now an id-free link into another space */
	LO_EXTERNAL,		/* not on the old server: left as it was */
	LO_UNRESOLVED,		/* on the old server, left as it was, reported */
	LO_NOUTCOMES
};

/* "page-title", ..., "content-entity"; "rewritten", ... (stable names). */
const char	*link_count_form_name(int form);
const char	*link_outcome_name(enum link_outcome);

struct link_rule_ctx {
	const struct link_bases	*bases;		/* --server-url list */
	struct linkidx		*idx;
	const char		*self_key;	/* space key of the package, or
						   NULL; links into it carry no
						   ri:space-key (they follow any
						   rename of the space) */
	/*
	 * Called for every unresolved link: the URL (or "content-id:N"),
	 * why, and the logical offset in the body (body_line() gives the
	 * line).  May be NULL.
	 */
	void			(*unresolved)(void *uctx, struct body *,
				    const char *url, size_t n,
				    const char *why, size_t off);
	void			*uctx;
	uint64_t		 n[LINK_NFORMS][LO_NOUTCOMES];
	/* private: <a>/<ri:url> elements waiting for their end tag */
	struct link_pending	*pend;
	size_t			 npend, cappend;
	struct strbuf		 sb;
	struct link_url		 url;
	struct link_memo	*memo;	/* resolved URLs (links.c) */
};

/* The rule (one row in convert_rules[]); its ctx is a link_rule_ctx. */
extern const struct body_rule link_rule;

/*
 * Resolves one URL the way the rule does, for what is not a body (the
 * OutgoingLink objects).  Returns the outcome; on LO_REWRITTEN and
 * LO_CROSS_SPACE *key is the target's space key (named even for the own
 * space) and *title the page or blog post title (NULL for a space home);
 * on LO_UNRESOLVED *why says why.  The strings are valid until the next
 * call on c.  Counts nothing.
 */
enum link_outcome link_resolve_url(struct link_rule_ctx *, const char *url,
		    size_t n, const char **key, const char **title,
		    const char **why);

/* Frees the context's private buffers (not bases or idx). */
void	 link_rule_free(struct link_rule_ctx *);

#endif
