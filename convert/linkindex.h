/*
 * linkindex.h - the content a link may point at, by id and by title.
 *
 * Owns: the index link normalisation resolves old-server URLs against:
 * every page, blog post and attachment of the package being converted
 * ("self") and of the site indexes given with --site-index (inventory
 * databases of other spaces' exports, docs/inventory.md), in a private
 * temporary SQLite database (pages spill to disk: bounded memory whatever
 * the site size).  Lookups return what an id-free storage link needs:
 * space key, title, posting day, and where the row came from.
 *
 * Resolution rules (docs/links.md):
 *  - by id: a page or blog post; a historical version resolves to its
 *    current version (original_id); anything else (a comment, a draft, an
 *    id in no index) does not resolve;
 *  - by space key and title: the space key compares ASCII
 *    case-insensitively; the title exactly first, then, if no exact match,
 *    ASCII case-insensitively when exactly one current page matches;
 *  - blog posts by key, title and posting day (YYYY/MM/DD of creation);
 *  - attachments by container id and file name, current versions only.
 */
#ifndef SP_LINKINDEX_H
#define SP_LINKINDEX_H

#include <stddef.h>
#include <stdint.h>

struct linkidx;

/* A new, empty index (dies on SQLite errors, like every function here). */
struct linkidx	*linkidx_open(void);
void		 linkidx_close(struct linkidx *);

/*
 * Rows of the package itself.  cls: "Page", "BlogPost" (others are
 * ignored); created: the creationDate as written ("2024-02-29 10:00:00.0");
 * original_id: NULL for a current version; live: 1 for current content
 * (model_is_live).  Strings are copied.  Call linkidx_space for every
 * Space object so that space-home links and title links can name it.
 */
void		 linkidx_space(struct linkidx *, const char *space_id,
		    const char *key);
void		 linkidx_content(struct linkidx *, const char *id,
		    const char *cls, const char *space_id, const char *title,
		    const char *created, const char *original_id, int live);
void		 linkidx_attachment(struct linkidx *, const char *container_id,
		    const char *filename, int live);

/* Rows added between linkidx_batch(li, 1) and linkidx_batch(li, 0) go in
 * one transaction (many rows: much faster). */
void		 linkidx_batch(struct linkidx *, int begin);

/*
 * Adds every space, page, blog post and attachment of the inventory
 * database at path (made by spaceport-extract --inventory, or a merge of
 * several: docs/links.md).  Opened read-only; a file that is not such a
 * database is refused: returns -1 after a one-line diagnostic naming it.
 * Rows already present (same id) keep their first source.
 */
int		 linkidx_add_site(struct linkidx *, const char *path);

/* What a link resolves to.  Strings valid until the next lookup. */
struct link_target {
	int		 blog;		/* 1 blog post, 0 page */
	const char	*space_key;
	const char	*title;
	const char	*posting_day;	/* blog: "YYYY/MM/DD" */
	const char	*source;	/* NULL: this package; else the site index path */
};

/* Each returns 1 and fills *t when the target is found, 0 if not. */
int		 linkidx_by_id(struct linkidx *, uint64_t id, struct link_target *t);
int		 linkidx_by_title(struct linkidx *, const char *key,
		    const char *title, struct link_target *t);
int		 linkidx_blog(struct linkidx *, const char *key, const char *title,
		    const char *day, struct link_target *t);
/* Space key as written in the index (canonical case), NULL if no space. */
const char	*linkidx_space_key(struct linkidx *, const char *key,
		    const char **source);
/* 1 if container id holds a current attachment named filename. */
int		 linkidx_has_attachment(struct linkidx *, uint64_t container,
		    const char *filename);

#endif
