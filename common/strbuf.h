/*
 * strbuf.h - growable byte buffers, after git's strbuf.
 *
 * Owns: the one buffer type every module uses for building strings.
 * Invariant: buf is always NUL-terminated (buf[len] == 0) once used,
 * so it can be handed to C string functions; it may contain NULs.
 * Allocation failure dies (see diag.h); there is no error return.
 */
#ifndef SP_STRBUF_H
#define SP_STRBUF_H

#include <stddef.h>
#include <stdarg.h>

struct strbuf {
	char	*buf;
	size_t	 len;
	size_t	 cap;
};

#define STRBUF_INIT { NULL, 0, 0 }

void	 sb_grow(struct strbuf *, size_t extra);
void	 sb_add(struct strbuf *, const void *, size_t);
void	 sb_adds(struct strbuf *, const char *);
void	 sb_addc(struct strbuf *, int);
void	 sb_addf(struct strbuf *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	 sb_vaddf(struct strbuf *, const char *fmt, va_list);
void	 sb_reset(struct strbuf *);		/* len = 0, keeps memory */
void	 sb_free(struct strbuf *);
char	*sb_detach(struct strbuf *);		/* caller frees; sb is reset */
const char *sb_str(const struct strbuf *);	/* "" when empty/unallocated */

#endif
