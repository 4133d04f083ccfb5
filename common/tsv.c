/*
 * tsv.c - escaped TSV (see tsv.h).
 */
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "strbuf.h"
#include "tsv.h"

void
tsv_add_field(struct strbuf *sb, const char *s, size_t n)
{
	size_t i, run = 0;

	for (i = 0; i < n; i++) {
		const char *esc = NULL;

		switch (s[i]) {
		case '\\': esc = "\\\\"; break;
		case '\t': esc = "\\t"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		default: continue;
		}
		sb_add(sb, s + run, i - run);
		sb_adds(sb, esc);
		run = i + 1;
	}
	sb_add(sb, s + run, n - run);
}

void
tsv_init(struct tsv *t, const char *buf, size_t len)
{
	memset(t, 0, sizeof(*t));
	t->p = buf;
	t->end = buf + len;
}

int
tsv_next(struct tsv *t, char ***fields, size_t *n)
{
	const char *nl, *s;
	size_t len, nf = 0;
	char *w;

	if (t->p >= t->end)
		return 0;
	t->line++;
	nl = memchr(t->p, '\n', (size_t)(t->end - t->p));
	if (nl == NULL)
		nl = t->end;
	len = (size_t)(nl - t->p);
	if (len + 1 > t->reccap) {
		t->reccap = len + 1;
		t->rec = xrealloc(t->rec, t->reccap);
	}
	w = t->rec;
	if (t->fcap == 0) {
		t->fcap = 16;
		t->f = xreallocarray(NULL, t->fcap, sizeof(*t->f));
	}
	t->f[nf++] = w;
	for (s = t->p; s < nl; s++) {
		if (*s == '\t') {
			*w++ = '\0';
			if (nf == t->fcap) {
				t->fcap *= 2;
				t->f = xreallocarray(t->f, t->fcap, sizeof(*t->f));
			}
			t->f[nf++] = w;
		} else if (*s == '\\') {
			if (++s == nl)
				return -1;
			switch (*s) {
			case '\\': *w++ = '\\'; break;
			case 't': *w++ = '\t'; break;
			case 'n': *w++ = '\n'; break;
			case 'r': *w++ = '\r'; break;
			default: return -1;
			}
		} else
			*w++ = *s;
	}
	*w = '\0';
	t->p = nl < t->end ? nl + 1 : nl;
	*fields = t->f;
	*n = nf;
	return (int)nf;
}

void
tsv_free(struct tsv *t)
{
	free(t->rec);
	free(t->f);
	memset(t, 0, sizeof(*t));
}

int
tsv_column(char **f, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(f[i], name) == 0)
			return (int)i;
	return -1;
}
