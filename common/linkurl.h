/*
 * linkurl.h - recognise the URLs a Confluence Server hands out for content.
 *
 * Owns: the list of base URLs the old server answered on, and the parse of
 * one URL into the form it has and what it names (space key, title, id,
 * tiny code, attachment file, blog posting day, fragment), as catalogued in
 * ../shared/docs/links-and-macros.md §1.2.  It does not resolve anything:
 * whether the named content is in an export is the resolver's business.
 *
 * A URL is "on the server" when its scheme is http, https or absent
 * (protocol-relative "//host/..."), its host equals a base URL's host
 * (ASCII case-insensitive), its port equals the base's (the scheme's
 * default when absent: a protocol-relative URL matches either default),
 * and its path starts with the base's context path followed by '/', '?',
 * '#' or the end.  The scheme of the base itself does not matter: every
 * base matches its http, https and "//" variants.
 */
#ifndef SP_LINKURL_H
#define SP_LINKURL_H

#include <stddef.h>
#include <stdint.h>

struct strbuf;

enum link_form {
	LF_EXTERNAL,		/* not on any base URL: never touched */
	LF_PAGE_TITLE,		/* /display/KEY/Title, viewpage.action?spaceKey=&title= */
	LF_SPACE_HOME,		/* /display/KEY, /display/KEY/, viewspace.action?key= */
	LF_BLOG,		/* /display/KEY/YYYY/MM/DD/Title */
	LF_PAGE_ID,		/* viewpage.action?pageId=N */
	LF_TINY,		/* /x/CODE (id decoded) */
	LF_ATTACHMENT,		/* /download/attachments/N/FILE */
	LF_THUMBNAIL,		/* /download/thumbnails/N/FILE */
	LF_UNSUPPORTED,		/* on the server, but a form with no id-free
				   storage equivalent (labels, diffs, ...) */
	LF_NFORMS
};

/* Stable names used in reports and the manifest: "page-title", ... */
const char	*link_form_name(enum link_form);

struct link_bases;

/* An empty list of base URLs.  Never NULL (allocation failure dies). */
struct link_bases *link_bases_new(void);
/*
 * Adds base URL url ("https://wiki.corp/confluence", "http://host:8090",
 * "//host/ctx").  A trailing '/' is ignored.  Returns 0, or -1 with *why
 * set to a static message (not http/https/"//", no host, a query or
 * fragment, a bad port, too long) and the list unchanged.
 */
int		 link_bases_add(struct link_bases *, const char *url,
		    const char **why);
size_t		 link_bases_count(const struct link_bases *);
void		 link_bases_free(struct link_bases *);

/*
 * What a URL names.  The string fields point into the struct's own
 * buffer (valid until the next link_parse on it or link_url_free); NULL
 * when the form has no such part.  Titles, keys and file names are
 * decoded: '%XX' always, '+' as a space in /display paths and query
 * values (not in attachment file names, where '+' is literal).
 */
struct link_url {
	enum link_form	 form;
	const char	*space_key;
	const char	*title;		/* LF_PAGE_TITLE, LF_BLOG */
	const char	*posting_day;	/* LF_BLOG: "YYYY/MM/DD" */
	uint64_t	 id;		/* LF_PAGE_ID, LF_TINY, LF_ATTACHMENT,
					   LF_THUMBNAIL: content id */
	const char	*filename;	/* LF_ATTACHMENT, LF_THUMBNAIL */
	const char	*fragment;	/* after '#', decoded; NULL if none */
	const char	*why;		/* LF_UNSUPPORTED: what it is ("label page") */
	char		*buf;		/* owned storage for the strings */
	size_t		 cap;
};

#define LINK_URL_INIT	{ LF_EXTERNAL, NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, 0 }

/*
 * Parses the len bytes of url (the attribute value already XML-decoded)
 * against bases and fills *out.  Returns out->form.  A URL on the server
 * whose path is no known form, or whose parts do not decode (a bad '%'
 * escape, a title that is not UTF-8, an id that is not a number), is
 * LF_UNSUPPORTED with out->why saying so.  Bytes past 8 KiB make the URL
 * LF_UNSUPPORTED too ("too long").
 */
enum link_form	 link_parse(const struct link_bases *, const char *url,
		    size_t len, struct link_url *out);
void		 link_url_free(struct link_url *);

#endif
