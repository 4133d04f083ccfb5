/*
 * convert.h - spaceport-convert internals, shared by its phases:
 *   users.c    load users.tsv and the CSV sources into SQLite, resolve
 *   rewrite.c  the one pass over entities.xml
 *   output.c   the output package, manifest facts, report sections
 */
#ifndef SP_CONVERT_H
#define SP_CONVERT_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "io.h"
#include "model.h"
#include "pkg.h"
#include "strbuf.h"

#include "version.h"

#define CONV_MAX_OBJECT	(64UL << 20)
#define CONV_MAX_USERS_TSV ((size_t)1 << 30)

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

struct conv {
	/* options */
	int		 quiet, strict, dry_run;
	const char	*cloud_users, *server_users, *map;
	enum unmapped_policy policy;
	const char	*policy_account;
	const char	*report;
	const char	*out, *outdir, *input;

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
	struct spool	 ent_in;	/* the input's entities.xml, spooled */
	int		 have_entities;
	size_t		 max_object;	/* object size limit (the package's) */
	const struct pkg_member *pending; /* first input member after the head */
	int		 in_done;	/* the input has no member left */
	size_t		 in_facts;	/* input facts copied into the manifest */
	struct pkg_out	*po;		/* the output package, or NULL */

	/* counts */
	uint64_t	 seen[REF_NKINDS];
	uint64_t	 outc[REF_NKINDS][OUT_NOUTCOMES];
	uint64_t	 users_total, users_unmapped, users_former, users_account;
	uint64_t	 objects, objects_changed, users_rewritten, users_added;
	uint64_t	 users_already_cloud;
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
/* Reads the input up to the end of its head (users.tsv loaded,
 * entities.xml and the other head members spooled); sets max_object. */
void	 cv_read_head(struct conv *);
/* Creates the output package, writes its manifest and head members, and
 * begins entities.xml for cv_emit. */
void	 cv_output_begin(struct conv *);
/* Rewritten entities.xml bytes into the output (nothing on --dry-run). */
void	 cv_emit(struct conv *, const void *, size_t);
/* An ent_read_fn over the spooled input entities.xml (ctx: the conv). */
ssize_t	 cv_ent_read(void *, void *, size_t);
/* Ends entities.xml, streams the rest of the input through, commits. */
void	 cv_output_package(struct conv *);
void	 output_report(struct conv *);
void	 cv_refs_json(struct strbuf *, void *);
void	 cv_refs_summary(struct conv *);
void	 cv_refs_check(struct conv *);

#endif
