/*
 * manifest.h - spaceport/manifest.tsv: the facts and the member list
 * (docs/package-format.md).
 *
 * Owns: the facts (KEY/VALUE, in insertion order), the members after the
 * manifest with their sizes and CRC-32s, their text form and its parser.
 * Reading and writing whole packages is pkg.h's.
 */
#ifndef SP_MANIFEST_H
#define SP_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

struct strbuf;

#define PKG_FORMAT	"spaceport-package"
#define PKG_VERSION	1

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

#endif
