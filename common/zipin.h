/*
 * zipin.h - reading a Confluence export zip, safely.
 *
 * Owns: opening an export zip from a path or from a pipe (a non-seekable
 * input is spooled to an unlinked temporary file first, so both give the
 * same result and data-descriptor/Zip64 entries are read from the
 * central directory), and every refusal about the zip itself: unsafe
 * names (absolute, "..", backslash, control characters: safename.h),
 * symlinks and other non-regular
 * members, duplicate names, truncated or corrupt archives (bad CRC,
 * bad deflate data), and the cost limits (member size, total size,
 * compression ratio).  Members can be read in several passes.
 */
#ifndef SP_ZIPIN_H
#define SP_ZIPIN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct zipin_limits {
	uint64_t	max_member;	/* bytes, uncompressed, per member */
	uint64_t	max_total;	/* bytes, uncompressed, all members */
	uint64_t	max_ratio;	/* uncompressed / compressed, per member */
	uint64_t	max_members;	/* number of members */
};
#define ZIPIN_DEFAULT_MAX_MEMBER	(64ULL << 30)	/* 64 GiB */
#define ZIPIN_DEFAULT_MAX_TOTAL		(1ULL << 40)	/* 1 TiB */
#define ZIPIN_DEFAULT_MAX_RATIO		1000
#define ZIPIN_DEFAULT_MAX_MEMBERS	10000000

/* Fills *lim with the ZIPIN_DEFAULT_* limits. */
void		 zipin_default_limits(struct zipin_limits *lim);

struct zipin;

/* path NULL or "-": standard input.  Checks the whole central directory
 * (names, types, duplicates, declared sizes against the limits) before
 * returning.  Dies with a one-line error on any refusal.  Returns a
 * reader the caller owns (zipin_close); lim is copied. */
struct zipin	*zipin_open(const char *path, const struct zipin_limits *);
/* Path or "<stdin>", for diagnostics; owned by the reader. */
const char	*zipin_label(const struct zipin *);
/* Start a (new) pass over the members in archive order. */
void		 zipin_rewind(struct zipin *);
/* Next regular member: 1 with *name and *size (declared uncompressed
 * size) set, 0 at end.  Directory entries are skipped. */
int		 zipin_next(struct zipin *, const char **name, uint64_t *size);
/* Read the current member; 0 at its end, where the actual size is
 * checked against the declared one and the CRC verified.  Dies on
 * corrupt data or when a limit is exceeded. */
size_t		 zipin_read(struct zipin *, void *buf, size_t n);
/* zipin_read() with the ent_read_fn signature (entities.h). */
ssize_t		 zipin_read_fn(void *zipin, void *buf, size_t n);
/* All regular members, sorted by name (strcmp): name, uncompressed size
 * and the CRC-32 recorded in the central directory. */
struct zipin_entry {
	char		*name;
	uint64_t	 size;
	uint32_t	 crc;
	int		 crc_found;	/* internal: seen in the central directory */
};
/* Sets *e to the sorted array (owned by the reader, valid until
 * zipin_close) and returns its length, 0 for none. */
size_t		 zipin_entries(struct zipin *, const struct zipin_entry **e);
/* The regular member called name, or NULL; owned by the reader. */
const struct zipin_entry *zipin_entry(struct zipin *, const char *name);
/* Frees the reader z (from zipin_open) and everything it returned. */
void		 zipin_close(struct zipin *z);

#endif
