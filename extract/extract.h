/*
 * extract.h - spaceport-extract's internal state, shared by its phases:
 *   main.c      options, order of the phases
 *   scan.c      the one pass over entities.xml (sanitise, libxml2
 *               well-formedness, object reader, everything learned)
 *   users.c     the user table (in memory: the only thing allowed to grow)
 *   attach.c    attachment objects against files, relations, the
 *               members that go into the package
 *   space.c     --space: cutting one space out of a site backup
 *               (docs/space-cut.md)
 *   store.c     --attachments-from: files from the Server's attachment
 *               store
 *   content.c   spaceport/content.tsv: what links may point at
 *   write.c     writing the package
 *   inventory.c the --inventory database
 *   macros.c    macro verdicts, Jira links, nested macros (a body rule)
 */
#ifndef SP_EXTRACT_H
#define SP_EXTRACT_H

#include <stdint.h>

#include "db.h"
#include "io.h"
#include "model.h"
#include "pkg.h"
#include "props.h"
#include "sanitize.h"
#include "strbuf.h"
#include "zipin.h"

struct inventory;
struct xmacros;

struct uent {
	char		*key;		/* NULL: known only by name */
	char		*username;
	char		*email;
	char		*aaid;		/* atlassianAccountId (Cloud-shaped objects) */
	int		 object;
	int		 deleted;
	uint64_t	 n[REF_NKINDS];
	struct uent	*next;		/* hash chain */
};

/* A member of the package after the fixed ones (attach_members()). */
struct outmem {
	char		*name;		/* attachments/..., plugin-data/... */
	uint64_t	 size;
	uint32_t	 crc;
	char		*store;		/* NULL: from the zip; else the path
					   relative to the store root */
};

struct store;

struct classcount {
	char		*cls;
	uint64_t	 n;
};

struct extract {
	/* options */
	const char	*input;
	const char	*inventory_path;
	size_t		 max_object;
	struct zipin_limits lim;
	int		 quiet;
	const char	*space_key;	/* --space: cut this space out */
	const char	*store_dir;	/* --attachments-from */

	/* scan.c input other than the zip's current member (space.c) */
	ent_read_fn	 src;
	void		*srcctx;
	int		 graph_pass;	/* scan records the object graph only */
	struct db	 cut;		/* space.c: the object graph */
	struct store	*store;

	struct zipin	*zip;
	struct props	 desc;
	struct strbuf	 desc_raw;
	struct spool	 ent;		/* sanitised entities.xml (not streamed) */
	struct pkg_out	*po;		/* the package while entities.xml streams
					   into it (write_stream_begin), or NULL */
	struct sanitizer san;
	struct db	 db;		/* working db: attachments, relations */
	struct inventory *inv;
	struct xmacros	*xm;		/* macro verdicts (macros.c) */
	struct spool	 content;	/* content.tsv (content.c) */
	struct strbuf	 content_row;
	uint64_t	 content_rows;

	/* counts */
	uint64_t	 objects;
	struct classcount *cls;
	size_t		 ncls;
	uint64_t	 refs[REF_NKINDS];
	uint64_t	 cdata_escapes;
	uint64_t	 att_objects;
	int		 legacy_collections;	/* any parent->child collection seen */

	/* what goes into the package after entities.xml, sorted */
	struct outmem	*outm;
	size_t		 noutm;

	/* users: hash table */
	struct uent	**ut;
	size_t		 utcap, nusers;
	struct uent	**final;	/* users_final(): merged, sorted */
	size_t		 nfinal;
};

/* scan.c */
void	 scan_entities(struct extract *);
/* users.c */
void	 users_ref(struct extract *, enum ref_kind, const char *key,
	    const char *username);
void	 users_object(struct extract *, const char *key, const char *name,
	    const char *email, const char *aaid);
/* Merge name-only rows into object rows, return sorted array (caller frees). */
size_t	 users_final(struct extract *, struct uent ***out);
void	 users_tsv(struct uent **u, size_t n, struct spool *);
void	 users_free(struct extract *);
/* attach.c */
void	 attach_init(struct extract *);
void	 attach_object(struct extract *, const struct xobj *);
void	 attach_check(struct extract *);
void	 relations_tsv(struct extract *, struct spool *);
/* macros.c: the macro verdict, Jira links, nesting (see macros.c) */
struct xmacros	*xmacros_new(void);
/* Every object, in order: records content and sets the body's owner. */
void	 xmacros_object(struct xmacros *, const struct xobj *);
/* The rule (a row of extract's rule table in scan.c; ctx: the xmacros,
 * after xmacros_object() of the body's object). */
extern const struct body_rule xmacros_rule;
/* After the pass: findings, report section, summary lines. */
void	 xmacros_finish(struct xmacros *);
/* Its lines of the summary (after xmacros_finish). */
void	 xmacros_summary(struct xmacros *);
/* Tables and views for --inventory (before inventory_close). */
void	 xmacros_inventory(struct xmacros *, struct inventory *);
void	 xmacros_free(struct xmacros *);
/* Build x->outm: the zip's members that belong in the package (all of
 * them, or with --space only the space's attachment files) and the files
 * taken from the store; sorted by name. */
void	 attach_members(struct extract *);
void	 attach_free(struct extract *);
/* space.c */
/* Pass 1 (x->graph_pass): record one object of the site in the graph. */
void	 space_graph(struct extract *, const struct xobj *);
/* After pass 1: place every object, report what cannot be placed, then
 * re-read the spooled entities.xml keeping only the space's objects
 * (the normal scan runs over them) and rewrite the descriptor facts to
 * those of a space export.  Dies if the space is not in the export. */
void	 space_cut(struct extract *);
void	 space_free(struct extract *);
/* Set descriptor property key to val in x->desc_raw and x->desc (added at
 * the end when absent; val NULL removes it). */
void	 desc_set(struct extract *, const char *key, const char *val);
/* store.c */
/* Open the store root (dies if it is not a readable directory). */
struct store *store_open(const char *dir);
/* Find the file of one attachment version: the v4 path, the ver003 path,
 * then a one-time index of the store by attachment id.  Returns 1 and
 * sets *rel (the path relative to the root, caller frees), *size, *crc
 * when a file of the recorded size (rec, -1: unknown) was found; else 0,
 * with *tried (caller frees) listing the paths looked at and *got the
 * size of the first wrong-sized candidate (-1 if none). */
int	 store_find(struct store *, const char *space_id, const char *container,
	    const char *file_id, const char *version, long long rec,
	    char **rel, uint64_t *size, uint32_t *crc, char **tried,
	    long long *got);
/* Open rel (from store_find) for reading, without following symlinks;
 * dies if it is gone or no longer a regular file. */
int	 store_open_file(struct store *, const char *rel);
void	 store_close(struct store *);
/* content.c: spaceport/content.tsv (init before the scan, finish before
 * writing the package) */
void	 content_init(struct extract *);
/* Every object the package keeps, in order: its row, if it has one. */
void	 content_object(struct extract *, const struct xobj *);
void	 content_finish(struct extract *);
void	 content_free(struct extract *);
/* write.c */
/* Streaming (format 2, docs/package-format.md section 8): create the
 * package and write its manifest and the start of entities.xml, which
 * the scan then writes into x->po as it reads it.  Needs the member list
 * (attach_members) before the scan: not for --space or
 * --attachments-from, whose members the scan decides. */
void	 write_stream_begin(struct extract *, enum pkg_outkind, const char *path);
/* Everything else (after the scan), then commit.  Without
 * write_stream_begin, the whole package from the spooled entities.xml. */
void	 write_package(struct extract *, enum pkg_outkind, const char *path);

#endif
