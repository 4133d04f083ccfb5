/*
 * jiramacro.h - the Jira macros of a storage-format body, read through the
 * body toolkit (body.h): jira, jiraissues, jirachart and their parameters
 * that name the Jira application link (server, serverId) or the legacy
 * Jira XML view (url).
 *
 * Owns: recognising a Jira macro and collecting its link parameters with
 * their logical spans, so that extract can list the application links and
 * convert can rewrite them (both as rules on the toolkit: this is a helper
 * they call from their token callbacks, not a scanner of its own).
 * Storage-format (XHTML) only: wiki-markup {jira} in bodyType 0 versions
 * is not read.
 */
#ifndef SP_JIRAMACRO_H
#define SP_JIRAMACRO_H

#include <stddef.h>

#include "body.h"
#include "strbuf.h"

/* Longest decoded parameter value kept (longer ones are cut, flagged). */
#define JIRA_PARAM_MAX	4096

enum jira_pkind { JP_SERVER, JP_SERVER_ID, JP_URL, JP_KEY, JP_JQL, JP_N };

struct jira_param {
	int		 have;		/* the parameter is present */
	int		 editable;	/* a span of text (not <x/>, no markup) */
	size_t		 voff, vlen;	/* logical span of the value */
	struct strbuf	 val;		/* decoded, NUL-terminated */
	int		 cut;		/* longer than JIRA_PARAM_MAX */
};

struct jira_macro {
	char		 name[16];	/* jira, jiraissues, jirachart */
	size_t		 off;		/* logical offset of its start tag */
	size_t		 end_off;	/* logical offset of its end tag */
	struct jira_param p[JP_N];
};

struct jira_scan {
	int		 in;		/* inside a Jira macro */
	size_t		 depth;		/* body_depth() at its start tag */
	int		 param;		/* JP_x being read, or -1 */
	size_t		 vstart;	/* value start of that parameter */
	struct jira_macro m;
	/* called at the end tag of every Jira macro, with m complete */
	void		(*fn)(struct body *, const struct jira_macro *, void *);
	void		*arg;
};

/* Storage triggers for a rule that uses this (NULL-terminated). */
extern const char *const jira_triggers[];

/* 1 if the macro name (n bytes) is a Jira macro. */
int	 jira_is_macro(const char *name, size_t n);
/* Before the first token of a body. */
void	 jira_scan_begin(struct jira_scan *);
/* Feed every BT_START and BT_END token of the body, in order. */
void	 jira_scan_token(struct jira_scan *, struct body *,
	    const struct btok *);
/* Free the value buffers. */
void	 jira_scan_free(struct jira_scan *);

#endif
