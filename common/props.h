/*
 * props.h - java.util.Properties files (exportDescriptor.properties).
 *
 * Owns: tolerant reading (comments # and !, separators = : or space,
 * backslash escapes incl. \uXXXX, line continuations, CRLF) and writing
 * in a fixed, documented order.  Bounded: at most PROPS_MAX bytes.
 */
#ifndef SP_PROPS_H
#define SP_PROPS_H

#include <stddef.h>

#define PROPS_MAX (1024 * 1024)
#define PROPS_MAX_KEYS 10000

struct props {
	char	**key;
	char	**val;
	size_t	  n;
	char	 *comment;	/* first "#..." comment line without '#', or NULL */
};

/* 0 ok, -1 error (diagnostic with fname:line). Later duplicate keys win. */
int		 props_parse(struct props *, const char *buf, size_t len, const char *fname);
const char	*props_get(const struct props *, const char *key);
void		 props_set(struct props *, const char *key, const char *val);
/* Writes "#comment\n" (if comment) then key=value lines in the order keys
 * were set/parsed, escaping as java.util.Properties.store does. */
struct strbuf;
void		 props_format(const struct props *, struct strbuf *);
void		 props_free(struct props *);

#endif
