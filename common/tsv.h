/*
 * tsv.h - the escaped tab-separated text spaceport writes for itself
 * (manifest.tsv, users.tsv, relations.tsv).
 *
 * Owns: the escaping (\\ \t \n \r) and an in-memory line reader.
 * A record is one line; fields are split on TAB and unescaped.
 */
#ifndef SP_TSV_H
#define SP_TSV_H

#include <stddef.h>

struct strbuf;

void	 tsv_add_field(struct strbuf *, const char *s, size_t n);

struct tsv {
	const char	*p, *end;
	long		 line;		/* line of the record just returned */
	char		*rec;		/* unescaped copy of the record */
	size_t		 reccap;
	char		**f;
	size_t		 fcap;
};

void	 tsv_init(struct tsv *, const char *buf, size_t len);
/* Next record: number of fields (>=1), 0 at end, -1 on a bad escape. */
int	 tsv_next(struct tsv *, char ***fields, size_t *n);
void	 tsv_free(struct tsv *);
/* Index of the header field named name among f[0..n), or -1. */
int	 tsv_column(char **f, size_t n, const char *name);

#endif
