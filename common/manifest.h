/*
 * manifest.h - spaceport/manifest.tsv and the records of format version 2
 * (docs/package-format.md sections 3 and 7).
 *
 * Owns: the facts (KEY/VALUE, in insertion order), the member list (name,
 * and size and CRC-32 when they are known before the bytes), their text
 * form and its parser.  Reading and writing packages is pkg.h's.
 */
#ifndef SP_MANIFEST_H
#define SP_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

struct strbuf;

#define PKG_FORMAT	"spaceport-package"
#define PKG_VERSION	2		/* written */
#define PKG_VERSION_MIN	1		/* oldest read */

struct pkg_member {
	char		*name;
	uint64_t	 size;		/* valid when known */
	uint32_t	 crc;		/* CRC-32 (zlib crc32) of the bytes */
	int		 known;		/* size and crc given before the bytes */
};

struct manifest {
	int		  version;	/* format version parsed or to write */
	char		**key;		/* facts, in insertion order */
	char		**val;
	size_t		  nkv;
	struct pkg_member *mem;		/* members after the manifest, in order */
	size_t		  nmem;
	size_t		  kvcap, memcap;	/* allocated (grown geometrically) */
};

/* An empty manifest of version PKG_VERSION. */
void		 manifest_init(struct manifest *);
/* Frees everything m owns and leaves it empty (as manifest_init). */
void		 manifest_free(struct manifest *);
/* Set (replace if present) a fact; key and val are copied.  Values may
 * hold any byte but NUL.  Replacing frees the old value: a pointer from
 * manifest_get() for that key is then invalid. */
void		 manifest_set(struct manifest *, const char *key, const char *val);
void		 manifest_setf(struct manifest *, const char *key, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
void		 manifest_setu(struct manifest *, const char *key, uint64_t);
/* The value of key (owned by m) or NULL. */
const char	*manifest_get(const struct manifest *, const char *key);
/* The value of key as a decimal number; 0 if absent or not a number. */
uint64_t	 manifest_getu(const struct manifest *, const char *key);
/* Append a member whose size and CRC-32 are known (name copied). */
void		 manifest_add_member(struct manifest *, const char *name,
		    uint64_t size, uint32_t crc);
/* Append a member whose size and CRC-32 come after its bytes (v2). */
void		 manifest_add_streamed(struct manifest *, const char *name);
/* The member called name (owned by m), or NULL. */
const struct pkg_member *manifest_member(const struct manifest *, const char *name);
/* Index of the member called name, or -1. */
long		 manifest_index(const struct manifest *, const char *name);
/* The largest index of the n members named in names[] (those listed), or
 * -1 if none is: where a reader's "head" ends. */
long		 manifest_last_of(const struct manifest *, const char *const *names,
		    size_t n);
/* Append the manifest's text (header line of m->version, facts, members;
 * an unknown size and CRC are written "-") to sb. */
void		 manifest_format(const struct manifest *, struct strbuf *);
/* Append the facts from index `from' on as KEY<TAB>VALUE lines (the body
 * of a v2 facts or end record). */
void		 manifest_format_facts(const struct manifest *, size_t from,
		    struct strbuf *);
/*
 * Parse a manifest into m (which must be empty).  Accepts versions
 * PKG_VERSION_MIN..PKG_VERSION; "-" sizes only in version 2.  Returns 0,
 * or -1 with a one-line reason "FNAME:LINE: message" in err (never
 * printed here).
 */
int		 manifest_parse_msg(struct manifest *, const char *buf, size_t len,
		    const char *fname, char *err, size_t errlen);
/* Same, printing the reason with diag_warn (one line). */
int		 manifest_parse(struct manifest *, const char *buf, size_t len,
		    const char *fname);
/* A v2 facts or end record: KEY<TAB>VALUE lines added to m.  A key that
 * m already has is refused (facts are given once: pointers returned by
 * manifest_get stay valid).  0, or -1 with the reason in err. */
int		 manifest_parse_facts(struct manifest *, const char *buf,
		    size_t len, const char *fname, char *err, size_t errlen);
/* A v2 check record: exactly one line "member NAME SIZE CRC".  Fills
 * *name (owned by the caller), *size and *crc; 0, or -1 with err. */
int		 manifest_parse_check(const char *buf, size_t len,
		    const char *fname, char **name, uint64_t *size, uint32_t *crc,
		    char *err, size_t errlen);
/* Copy every fact (not members) from src into dst. */
void		 manifest_copy_facts(struct manifest *dst, const struct manifest *src);

#endif
