/*
 * pkg.h - the spaceport package: reading and writing (the manifest is
 * manifest.h's).
 *
 * Owns: the on-disk/on-wire form described in docs/package-format.md.
 * A package is either a deterministic POSIX tar stream (stdin/stdout or a
 * file) or the same members unpacked in a directory.  Every reader accepts
 * all three forms, in format version 1 or 2; every writer produces all
 * three in version 2.
 *
 * The manifest comes first and lists every later member, in stream order
 * (docs/package-format.md section 2).  Version 2 streams: a member whose
 * size and CRC-32 are not known before its bytes is listed with "-" and
 * written as consecutive pieces (tar entries of its name) followed by a
 * check record; facts learned later follow in facts records and in the
 * end record, the stream's last entry.  A directory has no records: its
 * manifest, written last, holds every fact, size and CRC-32.  Readers
 * verify each member as it streams past and die on any mismatch, missing
 * or unexpected member (the hand-over check), at the member's end.
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
/* Version 2 records (tar forms only; never members). */
#define PKG_CHECK	"spaceport/check.tsv"
#define PKG_FACTS	"spaceport/facts.tsv"
#define PKG_END		"spaceport/end.tsv"
/* pkg_begin's size for a member listed without one. */
#define PKG_SIZE_UNKNOWN UINT64_MAX
/* Bytes of one piece of a streamed member (the writer's buffer). */
#define PKG_PIECE	((size_t)1 << 20)

/* Fact prefix: "estimate.NAME" is the expected size of a member listed
 * without one, for progress lines only (never checked). */
#define PKG_FACT_ESTIMATE "estimate."
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

/* A record's name (or the manifest's): never a member. */
int		 pkg_reserved_name(const char *name);

/* ---- reading ----------------------------------------------------- */

struct pkg_in;

/* path: a package file, a package directory, or NULL/"-" for stdin.
 * Reads and checks the manifest (format name and version). */
struct pkg_in	*pkg_open(const char *path);
/* The facts and members read so far (owned by the reader): facts and
 * end records add facts as the stream passes them; a streamed member's
 * size, crc and known are set once its check record is read. */
const struct manifest *pkg_manifest(const struct pkg_in *);
const char	*pkg_label(const struct pkg_in *);	/* for messages: path or "<stdin>" */
/* Next member (after the manifest): 1 and *m set, 0 at the end (after
 * checking that no member listed in the manifest is missing and, in
 * version 2, that the end record came last). */
int		 pkg_next(struct pkg_in *, const struct pkg_member **m);
/* Read from the current member; 0 at its end, where size and CRC-32 are
 * checked against the manifest or its check record. Never returns -1:
 * errors die. */
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
/* Writes the manifest (copied, as version PKG_VERSION): first, before
 * any member (a directory's is written at pkg_commit).  Members must then
 * follow its member list in order; one listed with a size and CRC must
 * match them (checked at pkg_end: a mismatch dies), one listed without
 * (manifest_add_streamed) is written in pieces and a check record. */
void		 pkg_put_manifest(struct pkg_out *, const struct manifest *);
/* A fact learned after pkg_put_manifest: in the next facts record or the
 * end record (tar forms), in the manifest (directory).  Changing a fact
 * already written is an internal error (dies); the same value again is
 * nothing. */
void		 pkg_fact(struct pkg_out *, const char *key, const char *val);
/* Every fact of src through pkg_fact. */
void		 pkg_facts(struct pkg_out *, const struct manifest *src);
/* The facts given since the last record, as a facts record now (tar
 * forms), so that a reader has them before the members that follow. */
void		 pkg_flush_facts(struct pkg_out *);
/* size: exact for a member listed with one; anything (say
 * PKG_SIZE_UNKNOWN) for a streamed member. */
void		 pkg_begin(struct pkg_out *, const char *name, uint64_t size);
void		 pkg_write(struct pkg_out *, const void *buf, size_t n);
void		 pkg_end(struct pkg_out *);
/* Convenience: begin + write + end. */
void		 pkg_put(struct pkg_out *, const char *name, const void *buf, size_t n);
/* Copy size bytes from fd (current offset) as member name. */
void		 pkg_put_fd(struct pkg_out *, const char *name, int fd, uint64_t size);
/* Give the output up (o may be NULL): its temporary file or directory is
 * removed, nothing is renamed into place; on standard output the stream
 * stops where it is, without its end record, so no reader accepts it. */
void		 pkg_abandon(struct pkg_out *);
/* Write the end record (tar) or the manifest (directory), flush, close,
 * check every manifest member was written, rename into place. */
void		 pkg_commit(struct pkg_out *);


#endif
