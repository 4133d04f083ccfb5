/*
 * csv.c - RFC 4180 CSV reader.
 *
 * A byte-at-a-time state machine over a private read buffer.  Records end
 * at LF, CRLF or a lone CR (outside quotes); inside quotes every byte is
 * kept as is, CR LF included.  Fields of one record are stored back to
 * back, NUL-terminated, in one growing buffer; the pointer arrays are
 * rebuilt once the record is complete (the buffer may move while reading).
 *
 * Leniency: a '"' inside an unquoted field is kept as a literal (hand-made
 * files have them); text after a closing quote is an error.  Lines that are
 * empty or hold only spaces/tabs are skipped.  Lines are counted at every
 * LF, CRLF or lone CR, quoted or not, so errors point at the physical line.
 * After an error csv_next keeps returning -1.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "diag.h"
#include "strbuf.h"

#define CSV_MAX_FIELD	(64 * 1024)		/* bytes per field */
#define CSV_MAX_FIELDS	4096			/* fields per record */
#define CSV_MAX_RECORD	(16 * 1024 * 1024)	/* bytes per record */
#define CSV_BUFSZ	65536
/* A field is text: a NUL would cut it short where C strings are used
 * (and a NUL-filled file is UTF-16, which this reader does not read). */
#define NULMSG		"a NUL byte in a field: not a utf-8 text file (utf-16?)"

struct csv {
	FILE		*fp;
	char		*path;
	long		 line;		/* current physical line */
	long		 rec_line;	/* line where the last record began */
	int		 err;		/* sticky: an error happened */
	long		 err_line;	/* its line and message (csv_error) */
	char		 err_msg[128];
	int		 eof;
	int		 started;	/* BOM check done */
	unsigned char	 rbuf[CSV_BUFSZ];
	size_t		 rpos, rlen;
	struct strbuf	 data;		/* field bytes, NUL-separated */
	size_t		*offs;		/* field start offsets in data */
	char		**fields;
	size_t		*lens;
	size_t		 nalloc;
};

struct csv *
csv_open(const char *path)
{
	struct csv *c;
	FILE *fp;

	if (path == NULL || strcmp(path, "-") == 0) {
		errno = EINVAL;
		return NULL;
	}
	if ((fp = fopen(path, "rb")) == NULL)
		return NULL;
	c = xcalloc(1, sizeof(*c));
	c->fp = fp;
	c->path = xstrdup(path);
	c->line = 1;
	return c;
}

void
csv_close(struct csv *c)
{
	if (c == NULL)
		return;
	if (c->fp != NULL)
		fclose(c->fp);
	free(c->path);
	sb_free(&c->data);
	free(c->offs);
	free(c->fields);
	free(c->lens);
	free(c);
}

long
csv_line(const struct csv *c)
{
	return c->rec_line;
}

const char *
csv_path(const struct csv *c)
{
	return c->path;
}

/* Next byte, or EOF (-1); read errors are reported and become EOF. */
static int
get(struct csv *c)
{
	if (c->rpos == c->rlen) {
		if (c->eof)
			return EOF;
		c->rlen = fread(c->rbuf, 1, sizeof(c->rbuf), c->fp);
		c->rpos = 0;
		if (c->rlen == 0) {
			c->eof = 1;
			if (ferror(c->fp) && !c->err) {
				c->err = 1;
				c->err_line = c->line;
				snprintf(c->err_msg, sizeof(c->err_msg),
				    "read error: %s", strerror(errno));
			}
			return EOF;
		}
	}
	return c->rbuf[c->rpos++];
}

/* Push back the byte just read (always possible: it is still in rbuf). */
static void
unget(struct csv *c)
{
	c->rpos--;
}

static int
fail(struct csv *c, long line, const char *msg)
{
	if (!c->err) {
		c->err = 1;
		c->err_line = line;
		snprintf(c->err_msg, sizeof(c->err_msg), "%s", msg);
	}
	return -1;
}

const char *
csv_error(const struct csv *c, long *line)
{
	if (!c->err)
		return NULL;
	if (line != NULL)
		*line = c->err_line;
	return c->err_msg;
}

void
csv_die(const struct csv *c)
{
	diag_die(SP_EXIT_FAIL, c->path, c->err ? c->err_line : 0, "%s",
	    c->err ? c->err_msg : "cannot read");
}

/* Start a new field in c->data; returns its index. */
static int
new_field(struct csv *c, size_t *nf)
{
	if (*nf >= CSV_MAX_FIELDS)
		return -1;
	if (*nf >= c->nalloc) {
		c->nalloc = c->nalloc == 0 ? 16 : c->nalloc * 2;
		c->offs = xreallocarray(c->offs, c->nalloc, sizeof(*c->offs));
		c->fields = xreallocarray(c->fields, c->nalloc,
		    sizeof(*c->fields));
		c->lens = xreallocarray(c->lens, c->nalloc, sizeof(*c->lens));
	}
	c->offs[*nf] = c->data.len;
	(*nf)++;
	return 0;
}

/* After CR: swallow a following LF.  Counts the line. */
static void
eol_cr(struct csv *c)
{
	int ch = get(c);

	if (ch != '\n' && ch != EOF)
		unget(c);
	c->line++;
}

int
csv_next(struct csv *c, char ***fieldsp, size_t **lensp)
{
	size_t nf, i, flen;
	int ch, blank, quoted;
	long qline;

	if (c->err)
		return -1;
	if (!c->started) {
		c->started = 1;
		/* optional UTF-8 BOM */
		if ((ch = get(c)) == 0xef) {
			if (c->rlen >= 3 && c->rbuf[1] == 0xbb &&
			    c->rbuf[2] == 0xbf)
				c->rpos = 3;
			else
				unget(c);
		} else if (ch != EOF)
			unget(c);
	}
again:
	c->rec_line = c->line;
	sb_reset(&c->data);
	nf = 0;
	blank = 1;	/* only unquoted blanks so far */
	ch = get(c);
	if (ch == EOF)
		return c->err ? -1 : 0;
	for (;;) {
		/* one field; ch is its first byte */
		if (new_field(c, &nf) == -1)
			return fail(c, c->rec_line,
			    "too many fields (more than 4096)");
		flen = 0;
		quoted = 0;
		if (ch == '"') {
			quoted = 1;
			blank = 0;
			qline = c->line;
			for (;;) {
				ch = get(c);
				if (ch == EOF) {
					if (c->err)
						return -1;
					return fail(c, qline,
					    "unterminated quoted field");
				}
				if (ch == '"') {
					ch = get(c);
					if (ch != '"')
						break;	/* closing quote */
				} else if (ch == '\0')
					return fail(c, c->line, NULMSG);
				else if (ch == '\n')
					c->line++;
				else if (ch == '\r') {
					/* keep CR; count CRLF once */
					int nx = get(c);

					if (nx != EOF)
						unget(c);
					if (nx != '\n')
						c->line++;
				}
				if (++flen > CSV_MAX_FIELD)
					return fail(c, c->line,
					    "field too long (more than 65536 "
					    "bytes)");
				sb_addc(&c->data, ch);
			}
			if (ch != ',' && ch != '\n' && ch != '\r' &&
			    ch != EOF)
				return fail(c, c->line,
				    "invalid quoting: text after closing "
				    "quote");
		} else {
			while (ch != ',' && ch != '\n' && ch != '\r' &&
			    ch != EOF) {
				if (ch == '\0')
					return fail(c, c->line, NULMSG);
				if (ch != ' ' && ch != '\t')
					blank = 0;
				if (++flen > CSV_MAX_FIELD)
					return fail(c, c->line,
					    "field too long (more than 65536 "
					    "bytes)");
				sb_addc(&c->data, ch);
				ch = get(c);
			}
		}
		if (c->data.len > CSV_MAX_RECORD)
			return fail(c, c->rec_line,
			    "record too long (more than 16 MiB)");
		sb_addc(&c->data, '\0');
		if (ch == ',') {
			blank = 0;
			ch = get(c);
			continue;
		}
		if (ch == '\r')
			eol_cr(c);
		else if (ch == '\n')
			c->line++;
		else if (c->err)	/* EOF after a read error */
			return -1;
		break;
	}
	if (nf == 1 && blank && !quoted)
		goto again;
	for (i = 0; i < nf; i++) {
		c->fields[i] = c->data.buf + c->offs[i];
		c->lens[i] = (i + 1 < nf ? c->offs[i + 1] : c->data.len) -
		    c->offs[i] - 1;
	}
	*fieldsp = c->fields;
	*lensp = c->lens;
	return (int)nf;
}

static int
lc(int ch)
{
	return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
}

/* Trim spaces/tabs (and a leading UTF-8 BOM) from s; sets *n. */
static const char *
trim(const char *s, size_t *n)
{
	size_t len = strlen(s);

	if (len >= 3 && (unsigned char)s[0] == 0xef &&
	    (unsigned char)s[1] == 0xbb && (unsigned char)s[2] == 0xbf) {
		s += 3;
		len -= 3;
	}
	while (len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' ||
	    s[len - 1] == '\r' || s[len - 1] == '\n'))
		len--;
	*n = len;
	return s;
}

int
csv_find(char **hdr, size_t nhdr, const char *const *names)
{
	const char *a, *b;
	size_t alen, blen, i, k, j;

	if (hdr == NULL || names == NULL)
		return -1;
	for (j = 0; names[j] != NULL; j++) {
		b = trim(names[j], &blen);
		for (i = 0; i < nhdr && i <= (size_t)0x7fffffff; i++) {
			if (hdr[i] == NULL)
				continue;
			a = trim(hdr[i], &alen);
			if (alen != blen)
				continue;
			for (k = 0; k < alen; k++)
				if (lc((unsigned char)a[k]) !=
				    lc((unsigned char)b[k]))
					break;
			if (k == alen)
				return (int)i;
		}
	}
	return -1;
}
