/*
 * pkg.h - the spaceport package: manifest, reading and writing.
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

#include "safename.h"	/* pkg_name_ok(), the member-name rule */

struct strbuf;

#define PKG_FORMAT	"spaceport-package"
#define PKG_VERSION	1
#define PKG_MANIFEST	"spaceport/manifest.tsv"
#define PKG_USERS	"spaceport/users.tsv"
#define PKG_RELATIONS	"spaceport/relations.tsv"
#define PKG_DESCRIPTOR	"exportDescriptor.properties"
#define PKG_ENTITIES	"entities.xml"

/* ---- manifest ---------------------------------------------------- */

struct pkg_member {
	char		*name;
	uint64_t	 size;
	uint32_t	 crc;		/* CRC-32 (zlib crc32) of the bytes */
};

struct manifest {
	char		**key;		/* facts, in insertion order */
	char		**val;
	size_t		  nkv;
	struct pkg_member *mem;		/* members after the manifest, in order */
	size_t		  nmem;
	size_t		  kvcap, memcap;	/* allocated (grown geometrically) */
};

void		 manifest_init(struct manifest *);
void		 manifest_free(struct manifest *);
/* Set (replace if present) a fact.  Values may hold any byte but NUL. */
void		 manifest_set(struct manifest *, const char *key, const char *val);
void		 manifest_setf(struct manifest *, const char *key, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
void		 manifest_setu(struct manifest *, const char *key, uint64_t);
const char	*manifest_get(const struct manifest *, const char *key);
uint64_t	 manifest_getu(const struct manifest *, const char *key);	/* 0 if absent */
void		 manifest_add_member(struct manifest *, const char *name,
		    uint64_t size, uint32_t crc);
const struct pkg_member *manifest_member(const struct manifest *, const char *name);
void		 manifest_format(const struct manifest *, struct strbuf *);
/* 0 ok, -1 on error (diagnostic printed with fname:line). */
int		 manifest_parse(struct manifest *, const char *buf, size_t len,
		    const char *fname);
/* Copy every fact (not members) from src into dst. */
void		 manifest_copy_facts(struct manifest *dst, const struct manifest *src);

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
