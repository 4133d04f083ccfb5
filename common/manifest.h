/*
 * manifest.h - spaceport/manifest.tsv and the records of format version 2
 * (docs/package-format.md sections 3 and 7).
 *
 * Owns: the facts (KEY/VALUE, in insertion order), the member list (name,
 * and size and CRC-32 when they are known before the bytes), their text
 * form and its parser, and the text of the facts and check records.
 * Reading and writing whole packages is pkg.h's.
 */
#ifndef SP_MANIFEST_H
#define SP_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

struct strbuf;

#define PKG_FORMAT	"spaceport-package"
#define PKG_VERSION	2		/* written */
#define PKG_VERSION_MIN	1		/* the oldest read */

struct pkg_member {
	char		*name;
	uint64_t	 size;		/* valid when known */
	uint32_t	 crc;		/* CRC-32 (zlib crc32) of the bytes */
	int		 known;		/* size and crc given before the bytes */
};

struct manifest {
	int		  version;	/* format version parsed, or to write */
	char		**key;		/* facts, in insertion order */
	char		**val;
	size_t		  nkv;
	struct pkg_member *mem;		/* members after the manifest, in order */
	size_t		  nmem;
	size_t		  kvcap, memcap;	/* allocated (grown geometrically) */
};

/* An empty manifest of version PKG_VERSION. */
void		 manifest_init(struct manifest *);
void		 manifest_free(struct manifest *);
/* Set (replace if present) a fact.  Values may hold any byte but NUL. */
void		 manifest_set(struct manifest *, const char *key, const char *val);
void		 manifest_setf(struct manifest *, const char *key, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
void		 manifest_setu(struct manifest *, const char *key, uint64_t);
const char	*manifest_get(const struct manifest *, const char *key);
/* A fact as a plain decimal number: 0 if absent or not one. */
uint64_t	 manifest_getu(const struct manifest *, const char *key);
void		 manifest_add_member(struct manifest *, const char *name,
		    uint64_t size, uint32_t crc);
/* Append a member whose size and CRC-32 come after its bytes (v2). */
void		 manifest_add_streamed(struct manifest *, const char *name);
const struct pkg_member *manifest_member(const struct manifest *, const char *name);
/* Index of the member called name, or -1. */
long		 manifest_index(const struct manifest *, const char *name);
/* The manifest's text: header line of m->version, facts, members (a
 * size and CRC not known yet written "-"). */
void		 manifest_format(const struct manifest *, struct strbuf *);
/* The facts from index `from' on as KEY<TAB>VALUE lines (the body of a
 * v2 facts or end record). */
void		 manifest_format_facts(const struct manifest *, size_t from,
		    struct strbuf *);
/*
 * Parse the text of a manifest (len bytes of buf, which need not be
 * NUL-terminated) into m (initialised by the caller, who frees it either
 * way).  Refuses, with one line "fname:LINE: why" in err (errlen bytes,
 * always terminated): a first line other than "spaceport-package 1", a
 * raw CR or NUL anywhere (a CRLF file is called that), a line that is
 * neither KEY TAB VALUE nor "member NAME SIZE CRC32" (SIZE plain decimal
 * digits without sign, blank or prefix; CRC32 8 lowercase hex digits; a
 * name pkg_name_ok accepts), more than 20000 facts, a member listed
 * twice, a reserved (record) name as a member.  Versions 1 and 2 are
 * read (m->version set); "- -" for size and CRC only in version 2.  0 ok,
 * -1 refused.
 */
int		 manifest_parse_msg(struct manifest *, const char *buf, size_t len,
		    const char *fname, char *err, size_t errlen);
/* manifest_parse_msg, its message printed with diag_warn: 0 or -1. */
int		 manifest_parse(struct manifest *, const char *buf, size_t len,
		    const char *fname);
/* s as a plain decimal number (digits only, at least one, no overflow)
 * into *out: 0, or -1 (and *out untouched). */
int		 manifest_parse_u64(const char *s, uint64_t *out);
/* The index of the last member of m named in names[0..n-1], or -1 if m
 * lists none of them (where a reader's head ends: pack's is the last of
 * relations.tsv, the descriptor and entities.xml). */
long		 manifest_last_of(const struct manifest *, const char *const *names,
		    size_t n);
/* A v2 facts or end record: KEY<TAB>VALUE lines added to m.  A key m
 * already has is refused (a fact is given once: nothing a reader acted on
 * changes under it).  0, or -1 with the one-line reason in err. */
int		 manifest_parse_facts(struct manifest *, const char *buf,
		    size_t len, const char *fname, char *err, size_t errlen);
/* A v2 check record: exactly one line "member NAME SIZE CRC32".  Sets
 * *name (the caller frees it), *size and *crc; 0, or -1 with err. */
int		 manifest_parse_check(const char *buf, size_t len,
		    const char *fname, char **name, uint64_t *size, uint32_t *crc,
		    char *err, size_t errlen);
/* Copy every fact (not members) from src into dst. */
void		 manifest_copy_facts(struct manifest *dst, const struct manifest *src);

#endif
