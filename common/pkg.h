/*
 * pkg.h - the spaceport package: reading and writing (the manifest is
 * manifest.h's).
 *
 * Owns: the on-disk/on-wire form described in docs/package-format.md.
 * A package is either a deterministic POSIX tar stream (stdin/stdout or a
 * file) or the same members unpacked in a directory.  Every reader accepts
 * all three forms; every writer produces all three.
 *
 * Member order (fixed): spaceport/manifest.tsv, spaceport/users.tsv,
 * spaceport/relations.tsv, exportDescriptor.properties, entities.xml, then
 * every other member of the export (attachments/..., plugin-data/...) in
 * strcmp order.  The manifest lists every later member with its size and
 * CRC-32; readers verify each member as it streams past and die on any
 * mismatch, missing or unexpected member (the hand-over check).
 *
 * Errors: these functions print "prog: name: message" and exit via
 * diag_die() (which runs the cleanup hooks that remove partial output).
 */
#ifndef SP_PKG_H
#define SP_PKG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "manifest.h"	/* the manifest: facts and member list */
#include "safename.h"	/* pkg_name_ok(), the member-name rule */

struct strbuf;

#define PKG_MANIFEST	"spaceport/manifest.tsv"
#define PKG_USERS	"spaceport/users.tsv"
#define PKG_RELATIONS	"spaceport/relations.tsv"
#define PKG_CONTENT	"spaceport/content.tsv"
#define PKG_DESCRIPTOR	"exportDescriptor.properties"
#define PKG_ENTITIES	"entities.xml"

/* Manifest fact carrying extract's --max-object to the later stages. */
#define PKG_FACT_MAX_OBJECT "limit.max-object"
/* The largest object limit any stage accepts from a package. */
#define PKG_MAX_OBJECT_CEILING ((uint64_t)1 << 30)

/*
 * The object size limit of a later stage (convert, pack): the package's
 * PKG_FACT_MAX_OBJECT when it is larger than the stage's own default dflt,
 * capped at PKG_MAX_OBJECT_CEILING; dflt when the fact is absent or
 * smaller.  Dies with one line on a value that is not a decimal number.
 */
size_t		 pkg_max_object(const struct manifest *, size_t dflt);

/* ---- reading ----------------------------------------------------- */

struct pkg_in;

/* path: a package file, a package directory, or NULL/"-" for stdin.
 * Reads and checks the manifest (format name and version). */
struct pkg_in	*pkg_open(const char *path);
const struct manifest *pkg_manifest(const struct pkg_in *);
const char	*pkg_label(const struct pkg_in *);	/* for messages: path or "<stdin>" */
/* Next member (after the manifest): 1 and *m set, 0 at the end (after
 * checking that no member listed in the manifest is missing). */
int		 pkg_next(struct pkg_in *, const struct pkg_member **m);
/* Read from the current member; 0 at its end, where size and CRC-32 are
 * checked against the manifest. Never returns -1: errors die. */
size_t		 pkg_read(struct pkg_in *, void *buf, size_t n);
/* Read the whole current member into sb (replacing its content); dies if
 * the member is larger than max bytes. */
void		 pkg_slurp(struct pkg_in *, struct strbuf *sb, size_t max);
/* Skip the rest of the current member (still verified). */
void		 pkg_skip(struct pkg_in *);
/* An ent_read_fn over the current member, for ent_open(). */
ssize_t		 pkg_read_fn(void *pkg_in, void *buf, size_t n);
void		 pkg_close(struct pkg_in *);

/* ---- writing ----------------------------------------------------- */

enum pkg_outkind {
	PKG_OUT_STDOUT,		/* tar stream on stdout; refuses a terminal */
	PKG_OUT_FILE,		/* tar file written to a temp name, renamed on commit */
	PKG_OUT_DIR		/* directory written to a temp name, renamed on commit */
};

struct pkg_out;

/* Registers a cleanup hook that removes the temporary output if the
 * program dies before pkg_commit(). */
struct pkg_out	*pkg_create(enum pkg_outkind, const char *path);
/* Writes the manifest member; must be first.  Later members must follow
 * the manifest's member list in order and match its sizes and CRCs
 * (checked at pkg_end: a mismatch is a bug and dies). */
void		 pkg_put_manifest(struct pkg_out *, const struct manifest *);
void		 pkg_begin(struct pkg_out *, const char *name, uint64_t size);
void		 pkg_write(struct pkg_out *, const void *buf, size_t n);
void		 pkg_end(struct pkg_out *);
/* Convenience: begin + write + end. */
void		 pkg_put(struct pkg_out *, const char *name, const void *buf, size_t n);
/* Copy size bytes from fd (current offset) as member name. */
void		 pkg_put_fd(struct pkg_out *, const char *name, int fd, uint64_t size);
/* Flush, close, check every manifest member was written, rename into place. */
void		 pkg_commit(struct pkg_out *);


#endif
