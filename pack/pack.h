/*
 * pack.h - spaceport-pack internals: one file per phase.
 *
 *   main.c         command line, the order of the phases, exit status
 *   read.c         the head of the package, and members held inside it
 *   collections.c  spaceport/relations.tsv -> SQLite index -> rebuilt
 *                  parent->child <collection> elements (8.3+ exports)
 *   entities.c     the entities.xml rewrite (prolog, collections, space key)
 *   spacekey.c     --space-key: validation and byte-level rewriting
 *   descriptor.c   exportDescriptor.properties as Cloud writes it
 *   zipout.c       the reproducible zip writer (own, on zlib)
 *   verify.c       --verify ORIGINAL.zip: the lossless proof
 *
 * Every exported symbol starts with "pack_" (unit tests link the objects
 * of all three programs together).
 */
#ifndef SP_PACK_H
#define SP_PACK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct strbuf;
struct xobj;
struct pkg_in;
struct pkg_member;
struct manifest;
struct spool;
struct props;

#define PACK_PROG	"spaceport-pack"
/* Largest single <object> the entities reader will hold in memory. */
#define PACK_MAX_OBJECT	((size_t)256 << 20)
/* The XML declaration added when entities.xml has none (8.3+ writer). */
#define PACK_PROLOG	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"

/* ---- counters shared by the phases -------------------------------- */

/* The collections pack may rebuild (docs/package-format.md section 5). */
#define PACK_NCOLL 14
extern const char *const pack_coll_names[PACK_NCOLL];
int	 pack_coll_index(const char *name);	/* -1 if not one of them */

/* What --space-key changed, per place. */
enum pack_sk_kind {
	SK_SPACE_KEY,		/* Space.key */
	SK_SPACE_LOWERKEY,	/* Space.lowerKey */
	SK_BANDANA_CONTEXT,	/* ConfluenceBandanaRecord.context */
	SK_BANDANA_SETTINGS,	/* <spaceKey> in a ConfluenceBandanaRecord.value */
	SK_BODY_REF,		/* ri:space-key="OLD" in storage bodies/templates */
	SK_LINK_KEY,		/* OutgoingLink.destinationSpaceKey */
	SK_LINK_LOWERKEY,	/* OutgoingLink.lowerDestinationSpaceKey */
	SK_DRAFT_KEY,		/* Draft.draftSpaceKey */
	SK_DESCRIPTOR,		/* exportDescriptor.properties spaceKey */
	SK_NKINDS
};
extern const char *const pack_sk_names[SK_NKINDS];

struct pack_stats {
	const char	*writer;		/* manifest "writer" */
	uint64_t	 objects;		/* objects in entities.xml */
	uint64_t	 entities_in;		/* bytes of entities.xml in the package */
	uint64_t	 entities_out;		/* bytes written */
	int		 prolog_added;
	int		 rebuild;		/* collections rebuilt (writer=new) */
	uint64_t	 rel_rows;		/* rows in relations.tsv */
	uint64_t	 rel_added;		/* elements appended */
	uint64_t	 rel_present;		/* rows already in the parent's collection */
	uint64_t	 rel_unknown;		/* rows skipped: child class unknown */
	uint64_t	 coll_added[PACK_NCOLL];	/* collections appended, per name */
	uint64_t	 objects_with_added;	/* objects that got >= 1 collection */
	uint64_t	 sk[SK_NKINDS];		/* --space-key changes */
	const char	*new_key;		/* --space-key NEW, or NULL */
	int		 personal;		/* new_key: a personal space's
						   cloud key (convert) */
	uint64_t	 members;		/* zip members written */
	uint64_t	 attachments;		/* of which under attachments/ */
	uint64_t	 attachment_bytes;
	uint64_t	 zip_bytes;		/* bytes of the zip */
	char		*datetime;		/* root datetime="..." or NULL */
	char		*space_key_seen;	/* key of the first Space object */
	uint64_t	 spaces;		/* Space objects */
	int		 links_on;		/* convert ran with --server-url */
	uint64_t	 links_rewritten;	/* body links convert rewrote */
	uint64_t	 links_unresolved;	/* and left, reported */
	uint64_t	 outgoing_rewritten;	/* OutgoingLink objects */
};

/* ---- collections.c ------------------------------------------------ */

struct pack_rel;

/* Loads the current package member (spaceport/relations.tsv) into a
 * private temporary SQLite database with an index on the parent. */
struct pack_rel	*pack_rel_load(struct pkg_in *, struct pack_stats *);
/* Same, from a buffer (unit tests). */
struct pack_rel	*pack_rel_load_buf(const char *buf, size_t len,
		    const char *fname, struct pack_stats *);
/* Appends to out, in the legacy writer's form, every collection recorded
 * for (o->cls, o->id) that o does not already have.  For a collection o
 * does have, the recorded elements it lacks are handed to insert() as one
 * text to put at offset off of o->raw (just before its </collection>).
 * Returns the number of collections appended. */
typedef void	(*pack_insert_fn)(void *ctx, size_t off, const char *s, size_t n);
size_t		 pack_rel_append(struct pack_rel *, const struct xobj *o,
		    struct strbuf *out, struct pack_stats *,
		    pack_insert_fn insert, void *ctx);
/* Package of a child class for <element package="...">, NULL if unknown. */
const char	*pack_class_package(const char *cls);
/* Remember the package of a class seen in the stream (fallback table). */
void		 pack_learn_package(const char *cls, const char *pkg);
void		 pack_rel_free(struct pack_rel *);

/* ---- spacekey.c --------------------------------------------------- */

/* NULL if key is acceptable as a Cloud space key, else why not. */
const char	*pack_space_key_invalid(const char *key);
/* The body rewrite is the space-key rule, common/spacekey.h. */

/* ---- entities.c --------------------------------------------------- */

struct pack_ent {
	struct pack_rel	*rel;		/* NULL: no rebuild */
	const char	*old_key;	/* --space-key: the key renamed, or NULL */
	const char	*new_key;
	struct pack_stats *st;
	size_t		 max_object;	/* object size limit (pkg_max_object) */
};
/* Reads entities.xml with rd/ctx and writes the Cloud-shaped document
 * through wr.  Dies on error. */
typedef void	(*pack_write_fn)(void *ctx, const void *buf, size_t n);
void		 pack_entities(struct pack_ent *, ssize_t (*rd)(void *, void *, size_t),
		    void *rdctx, const char *fname, pack_write_fn wr, void *wrctx);
/* Edits the first gap: adds the prolog if missing, records datetime. */
void		 pack_first_gap(const char *gap, size_t len, struct strbuf *out,
		    struct pack_stats *);

/* ---- descriptor.c ------------------------------------------------- */

struct pack_desc_in {
	const struct props *src;	/* the export's descriptor or NULL */
	const char	*space_key;	/* key to write (after --space-key) or NULL */
	const char	*datetime;	/* root datetime of entities.xml, or NULL */
	int		 tasks_csv;	/* AO_BAF3AA_AOINLINE_TASK.csv is carried */
	int		 attachments;	/* any attachments/ member */
	const char	*timezone;	/* --timezone ZONE (validated) or NULL */
};
/* The timezoneId written: --timezone, else the export's, else "UTC";
 * *from says which (for the summary).  Strings owned by in. */
const char	*pack_desc_timezone(const struct pack_desc_in *, const char **from);
/* NULL if zone is an IANA name with a TZif file in the system zoneinfo
 * (checked by name shape and file, never via TZ or the locale), else why
 * not. */
const char	*pack_timezone_invalid(const char *zone);
/* The Cloud-shaped descriptor, deterministic (no clock). */
void		 pack_descriptor(const struct pack_desc_in *, struct strbuf *out);
/* "EEE MMM dd HH:mm:ss UTC yyyy" from "yyyy-MM-d HH:mm:ss[.SSS]"; 0 ok. */
int		 pack_date_comment(const char *datetime, struct strbuf *out);

/* ---- zipout.c ----------------------------------------------------- */

/* Fixed member timestamp: 2000-01-01 00:00:00 UTC. */
#define PACK_ZIP_MTIME	((int64_t)946684800)
/* pack_zip_begin's crc when the CRC-32 is not known before the data. */
#define PACK_CRC_UNKNOWN	((int64_t)-1)

struct pack_zentry {
	char		*name;
	uint64_t	 size;
	uint32_t	 crc;
	uint64_t	 csize;		/* bytes of data in the zip */
	uint64_t	 offset;	/* of the local header */
	uint16_t	 method;	/* 0 stored, 8 deflated */
	uint16_t	 flags;		/* general purpose bits */
	int		 zip64;		/* zip64 extra field in the local header */
};
struct pack_zip;

/* Writes to fd (checked; the caller owns fd and commits it).  Deflates on
 * the calling thread until pack_zip_threads() says otherwise. */
struct pack_zip	*pack_zip_open(int fd, const char *label);
/* Deflate large members on n threads (1..64; clamped), before the first
 * member.  The zip's bytes do not depend on n (fixed-size blocks, see
 * zipout.c).  The threads start at the first member of more than one
 * block and end at pack_zip_free. */
void		 pack_zip_threads(struct pack_zip *, int n);
/* The CPUs this process may run on (sched_getaffinity), at least 1. */
int		 pack_zip_ncpu(void);
/* size must be exact (checked at pack_zip_end).  crc: the member's CRC-32
 * as the package manifest gives it (0..0xFFFFFFFF), checked against the
 * data at pack_zip_end (mismatch: dies), or PACK_CRC_UNKNOWN.  A member
 * can only be stored if its CRC-32 is known before its data (given, or the
 * member fits the 16 KiB the store rule looks at). */
void		 pack_zip_begin(struct pack_zip *, const char *name, uint64_t size,
		    int64_t crc);
/* A member whose size is not known before its data (a streamed package
 * member): deflated, its size and CRC-32 in the data descriptor; zip64
 * says whether the local header has the zip64 field (a size of 4 GiB or
 * more without it dies at pack_zip_end).  Only for names pack deflates
 * always (entities.xml, the descriptor). */
void		 pack_zip_begin_stream(struct pack_zip *, const char *name,
		    int zip64);
/* The size from which zip64 structures are needed (0xFFFFFFFF, or the
 * unit tests' lower limit). */
uint64_t	 pack_zip_limit(void);
void		 pack_zip_write(struct pack_zip *, const void *, size_t);
void		 pack_zip_end(struct pack_zip *);
void		 pack_zip_close(struct pack_zip *);	/* central directory */
/* The members written, in order (valid until pack_zip_free). */
size_t		 pack_zip_entries(const struct pack_zip *, const struct pack_zentry **);
uint64_t	 pack_zip_bytes(const struct pack_zip *);
void		 pack_zip_free(struct pack_zip *);
/* The one place that decides store (1) vs deflate (0) for a member, from
 * its name and its first bytes (head: the first min(size, 16 KiB) bytes;
 * more are ignored): entities.xml and the descriptor are deflated;
 * otherwise store when a level-1 trial deflate of head gives >= 97 % of
 * its size. */
int		 pack_zip_store(const char *name, const void *head, size_t n);
/* Unit tests: lower the zip64 thresholds (0: the format's, 0xFFFFFFFF
 * bytes and 0xFFFF entries) to force zip64 structures on small zips. */
void		 pack_zip_test_limits(uint64_t size, uint64_t count);
/* Unit tests: the deflate block size (0: the default, 256 KiB). */
void		 pack_zip_test_block(size_t size);

/* ---- read.c ------------------------------------------------------- */

/* The index in mf's member list of the head's end: the last of
 * relations.tsv, the descriptor and entities.xml (-1: none of them). */
long		 pack_head_end(const struct manifest *mf);
/* Members met inside the head that are not part of it. */
struct pack_held;
/* Reads the current member m of in to its end (checked by pkg_read) into
 * *h's spool; *h is created on first use (NULL before).  m must stay
 * valid (a member of pkg_manifest(in)) until pack_held_write. */
void		 pack_hold(struct pack_held **h, struct pkg_in *in,
		    const struct pkg_member *m);
/* Writes the held members into zip, in the order they came, counts them
 * in st, frees *h and sets it NULL.  A no-op when *h is NULL. */
void		 pack_held_write(struct pack_held **h, struct pack_zip *zip,
		    struct pack_stats *st);
/* Counts a member written into the zip as is (attachments) in st. */
void		 pack_count_copied(struct pack_stats *st, const char *name,
		    uint64_t size);

/* ---- verify.c ----------------------------------------------------- */

struct pack_census;	/* objects per class, bodies, users of one entities.xml */

struct pack_census *pack_census_new(void);
void		 pack_census_add(struct pack_census *, const struct xobj *);
void		 pack_census_free(struct pack_census *);
/* Compares the written output (census of the entities.xml written and the
 * members written) with the original export.  Prints the table to stderr
 * unless quiet, adds the "verify" report section.  Returns the number of
 * unexplained differences. */
uint64_t	 pack_verify(const char *orig, struct pack_census *out,
		    const struct pack_zip *zip, const char *zip_path,
		    const struct pack_stats *, int quiet);
void		 pack_verify_free(void);	/* the report section's memory */

#endif
