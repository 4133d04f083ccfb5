/*
 * extract.h - spaceport-extract's internal state, shared by its phases:
 *   main.c      options, order of the phases
 *   scan.c      the one pass over entities.xml (sanitise, libxml2
 *               well-formedness, object reader, everything learned)
 *   users.c     the user table (in memory: the only thing allowed to grow)
 *   attach.c    attachment objects against files, relations
 *   write.c     writing the package
 *   inventory.c the --inventory database
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

	struct zipin	*zip;
	struct props	 desc;
	struct strbuf	 desc_raw;
	struct spool	 ent;		/* sanitised entities.xml */
	struct sanitizer san;
	struct db	 db;		/* working db: attachments, relations */
	struct inventory *inv;

	/* counts */
	uint64_t	 objects;
	struct classcount *cls;
	size_t		 ncls;
	uint64_t	 refs[REF_NKINDS];
	uint64_t	 cdata_escapes;
	uint64_t	 att_objects;
	int		 legacy_collections;	/* any parent->child collection seen */

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
/* write.c */
void	 write_package(struct extract *, enum pkg_outkind, const char *path);

#endif
