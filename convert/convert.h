/*
 * convert.h - spaceport-convert internals, shared by its phases:
 *   users.c    load users.tsv and the CSV sources into SQLite, resolve
 *   rewrite.c  the one pass over entities.xml
 *   jira.c     --jira-server: the Jira macro rule
 *   linkrun.c  --server-url, --site-index: the link rule's index, findings,
 *              OutgoingLink objects and accounting (the rule: links.c)
 *   output.c   the output package, manifest facts, report sections
 */
#ifndef SP_CONVERT_H
#define SP_CONVERT_H

#include <stddef.h>
#include <stdint.h>

#include "body.h"
#include "db.h"
#include "io.h"
#include "jiramacro.h"
#include "links.h"
#include "model.h"
#include "pkg.h"
#include "strbuf.h"

#include "version.h"

#define CONV_MAX_OBJECT	(64UL << 20)
#define CONV_MAX_USERS_TSV ((size_t)1 << 30)
#define CONV_MAX_CONTENT_TSV ((size_t)1 << 30)

enum unmapped_policy {
	UNMAPPED_FAIL,
	UNMAPPED_FORMER,
	UNMAPPED_ACCOUNT
};

/* What happened to one reference (accounting, "count for count"). */
enum outcome {
	OUT_REWRITTEN,		/* text now names the account id / a key ref */
	OUT_RESOLVED,		/* key ref kept; its user object carries the account id */
	OUT_KEPT_FORMER,	/* kept: former user (no account) */
	OUT_KEPT_CLOUD,		/* already an account id */
	OUT_REPORTED,		/* personal space key: reported, not rewritten */
	OUT_LEFT_UNMAPPED,	/* user unmapped (only with --dry-run --unmapped fail) */
	OUT_LEFT_UNKNOWN,	/* no row in users.tsv for it (package inconsistent) */
	OUT_LEFT_NO_KEY_FORM,	/* legacy string with no key-era property */
	OUT_LEFT_CONFLICT,	/* object already has the key-era property */
	OUT_NOUTCOMES
};
const char	*cv_outcome_name(enum outcome);

/* Resolution state of a user. */
enum ustate {
	US_NONE,		/* not found */
	US_ACCOUNT,		/* has an account id */
	US_FORMER,		/* former user: empty account id */
	US_UNMAPPED		/* unmapped under --unmapped fail (dry run only) */
};

struct uinfo {
	enum ustate	 state;
	int64_t		 id;		/* row id in u */
	char		*key;		/* key to reference it by (existing or new) */
	char		*account;	/* account id or NULL */
	char		*cloud_email;	/* lower-cased e-mail or NULL */
	int		 object;	/* has a user object in the input */
};

/* jira.c: --jira-server OLDID=NEWID[,NAME] */
#define JIRA_MAX_PAGES	10	/* content ids named per unmapped link */

struct cv_jmap {
	char		*old, *new_id, *name;
	uint64_t	 used;		/* macros rewritten with it */
};

struct cv_jlink {			/* a Server link left unmapped */
	char		*server, *server_id;	/* as found; NULL if absent */
	uint64_t	 macros;
	char		*pages[JIRA_MAX_PAGES];	/* content ids */
	size_t		 npages;
	uint64_t	 more;		/* content beyond those listed */
};

struct cv_jira {
	struct cv_jmap	*map;
	size_t		 nmap;
	struct jira_scan js;
	const char	*content;	/* content id of the current body */
	struct strbuf	 tmp;
	uint64_t	 macros, rewritten, not_rewritten, legacy;
	struct cv_jlink	*links;
	size_t		 nlinks;
	uint64_t	 links_dropped;
	struct cv_jlink	 legacy_pages;
};

extern const struct body_rule cv_jira_rule;	/* ctx: struct cv_jira */
/* Adds one --jira-server argument; NULL, or why it is refused. */
const char	*cv_jira_map_add(struct cv_jira *, const char *arg);
void	 cv_jira_init(struct cv_jira *);
/* Every object before its body is run: whose body it is. */
void	 cv_jira_object(struct cv_jira *, const struct xobj *);
/* After the pass: findings and summary; the JSON report section. */
void	 cv_jira_report(struct cv_jira *);
void	 cv_jira_json(struct strbuf *, void *);
void	 cv_jira_free(struct cv_jira *);

/* linkrun.c: link normalisation (docs/links.md) */
struct cv_links {
	struct link_bases *bases;	/* --server-url; NULL: off */
	const char	**sites;	/* --site-index paths */
	size_t		 nsites;
	struct linkidx	*idx;
	struct link_rule_ctx rule;	/* the row in convert_rules[] */
	char		*self_key;	/* the package's space, if only one */
	int		 have_content;	/* content.tsv was in the head */
	uint64_t	 rows, spaces;
	const char	*owner, *owner_cls;	/* whose body is being run */
	uint64_t	 outgoing[LO_NOUTCOMES];	/* OutgoingLink objects */
	struct strbuf	 url;
};

/* Adds one --server-url; NULL, or why it is refused. */
const char	*cv_links_server_url(struct cv_links *, const char *url);
void	 cv_links_site(struct cv_links *, const char *path);
/* 1 if --server-url was given (link normalisation on). */
int	 cv_links_on(const struct cv_links *);
/* spaceport/content.tsv from the head (dies on a malformed one). */
void	 cv_links_content(struct cv_links *, const char *buf, size_t len);
/* After the head: the site indexes, the rule's context.  Dies when
 * links are on and the package has no content.tsv. */
void	 cv_links_ready(struct cv_links *, const char *label);
/* Every object before its body is run: whose body it is. */
void	 cv_links_object(struct cv_links *, const struct xobj *);
/* An OutgoingLink object to an absolute URL that resolves: 1 and the
 * space key and title it should name now (valid until the next call). */
int	 cv_links_outgoing(struct cv_links *, const struct xobj *,
	    const char **key, const char **title);
void	 cv_links_facts(struct cv_links *, struct manifest *);
void	 cv_links_json(struct strbuf *, void *);
void	 cv_links_summary(struct cv_links *);
void	 cv_links_free(struct cv_links *);

struct conv {
	/* options */
	int		 quiet, strict, dry_run;
	const char	*cloud_users, *server_users, *map;
	enum unmapped_policy policy;
	const char	*policy_account;
	const char	*report;
	const char	*out, *outdir, *input;
	struct cv_jira	 jira;		/* --jira-server and its findings */
	struct cv_links	 links;		/* --server-url, --site-index */

	struct pkg_in	*in;
	struct db	 db;
	sqlite3_stmt	*q_key, *q_name;
	struct uinfo	 cache;		/* last lookup */
	int		 cache_bykey;
	char		*cache_q;

	/* members before entities.xml, held until it is rewritten */
	struct {
		char		*name;
		int		 is_users;
		struct spool	 sp;
		struct strbuf	 buf;	/* small members */
		int		 in_buf;
	}		*head;
	size_t		 nhead;
	struct spool	 users_out;
	struct spool	 ent_out;	/* the rewrite, when not streamed */
	int		 have_entities;
	struct spool	 ent_in;	/* entities.xml met before the head's
					   end (format 2 order), spooled */
	int		 ent_spooled;
	char		**space_keys;	/* Space rows of content.tsv, in order */
	size_t		 nspace_keys;
	int		 have_space_rows;	/* content.tsv read and well-formed */
	struct pkg_out	*po;		/* output while entities.xml streams
					   into it, or NULL */
	struct manifest	 mo;		/* the facts of its manifest */

	/* counts */
	uint64_t	 seen[REF_NKINDS];
	uint64_t	 outc[REF_NKINDS][OUT_NOUTCOMES];
	uint64_t	 users_total, users_unmapped, users_former, users_account;
	uint64_t	 objects, objects_changed, users_rewritten, users_added;
	uint64_t	 users_already_cloud;
	char		*personal_from, *personal_to;	/* personal space renamed */
	uint64_t	 dropped;	/* characters xml 1.0 forbids, dropped */
	uint64_t	 dup_groups;
	uint64_t	 map_rows, map_unused, cloud_rows, server_rows;
};

/* users.c */
void	 cu_load_tsv(struct conv *, const char *buf, size_t len);
void	 cu_load_sources(struct conv *);
void	 cu_resolve(struct conv *);
/* Unmapped users under --unmapped fail: listed; returns how many. */
uint64_t cu_list_unmapped(struct conv *);
int	 cu_lookup(struct conv *, const char *key, const char *name,
	    struct uinfo **);
/* Rows that need a user object added (no object in the input). */
void	 cu_each_missing(struct conv *, void (*fn)(void *, const char *key,
	    const char *name, const char *account), void *);
void	 cu_write_tsv(struct conv *, struct spool *);
void	 cu_json(struct strbuf *, void *);
void	 cu_summary(struct conv *);
void	 cu_facts(struct conv *, struct manifest *);
void	 cu_close(struct conv *);
/* Lower-case ASCII in place. */
void	 cu_lower(char *);
int	 cu_valid_account(const char *);
/* 32 hex digits derived from a lower-cased username (keys for pre-5.2 users). */
void	 cu_derive_key(const char *lname, char out[33]);

/* rewrite.c */
void	 cv_rewrite_entities(struct conv *);

/* output.c */
void	 cv_output_package(struct conv *);
/* Streaming: the output's manifest and every member before entities.xml,
 * which the rewrite then writes into c->po (output.c). */
void	 cv_output_begin(struct conv *);
/* Before the rewrite: the personal space pack renames, decided from
 * content.tsv's Space rows (rewrite.c).  0 if it cannot be decided
 * before (no content.tsv): then the output is not streamed. */
int	 cv_personal_decide(struct conv *);
void	 output_report(struct conv *);
void	 cv_refs_json(struct strbuf *, void *);
void	 cv_refs_summary(struct conv *);
void	 cv_refs_check(struct conv *);

#endif
