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
	struct pkg_out	*out;		/* the package, begun before the scan */
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
void	 users_tsv(struct uent **u, size_t n, struct strbuf *);
void	 users_free(struct extract *);
/* attach.c */
void	 attach_init(struct extract *);
void	 attach_object(struct extract *, const struct xobj *);
void	 attach_check(struct extract *);
void	 relations_tsv(struct extract *, struct spool *);
/* write.c */
/* Creates the package and writes its manifest; entities.xml is then
 * open for write_entities_data (does nothing for a zip that is not an
 * export: first_pass refuses it). */
void	 write_begin(struct extract *, enum pkg_outkind, const char *path);
/* Sanitised entities.xml bytes, as the scan makes them (nothing without
 * a package). */
void	 write_entities_data(struct extract *, const void *, size_t);
/* The rest of the package after the scan, and commit. */
void	 write_package(struct extract *);

#endif
