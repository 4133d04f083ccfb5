/*
 * sanitize.h - the byte filter that makes entities.xml well-formed XML 1.0.
 *
 * Owns: docs/package-format.md §6.  Removes C0 control characters other
 * than TAB/LF/CR, replaces each invalid UTF-8 byte by U+FFFD and U+FFFE /
 * U+FFFF by U+FFFD, counts each, and reports where.  Nothing else changes,
 * and line breaks are never touched, so line numbers stay those of the
 * original file.  Works on a stream in chunks of any size.
 */
#ifndef SP_SANITIZE_H
#define SP_SANITIZE_H

#include <stddef.h>
#include <stdint.h>

struct strbuf;

struct sanitizer {
	const char	*fname;
	long		 line;		/* current line, 1-based */
	uint64_t	 control;	/* C0 controls removed */
	uint64_t	 invalid;	/* invalid UTF-8 bytes replaced */
	uint64_t	 nonchar;	/* U+FFFE/U+FFFF replaced */
	long		 first_control_line;
	unsigned char	 pend[4];	/* incomplete sequence at a chunk end */
	size_t		 npend;
};

void	 sanitize_init(struct sanitizer *, const char *fname);
/* Filter in[0..n) appending to out.  final: no more input follows (an
 * incomplete trailing sequence is then invalid). */
void	 sanitize_chunk(struct sanitizer *, const unsigned char *in, size_t n,
	    int final, struct strbuf *out);

#endif
