/*
 * props.c - java.util.Properties reading and writing (see props.h).
 *
 * Hand-rolled because none of the project's libraries reads this format;
 * the grammar follows the java.util.Properties.load() documentation:
 * natural lines, continuation with an odd number of trailing backslashes,
 * comments starting with # or ! as first non-blank, key ends at the
 * first unescaped '=', ':' or whitespace, escapes \t \n \r \f \uXXXX and
 * "\x" = x.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "props.h"
#include "strbuf.h"
#include "xmltext.h"

static int
is_ws(int c)
{
	return c == ' ' || c == '\t' || c == '\f';
}

void
props_set(struct props *p, const char *key, const char *val)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->key[i], key) == 0) {
			free(p->val[i]);
			p->val[i] = xstrdup(val);
			return;
		}
	p->key = xreallocarray(p->key, p->n + 1, sizeof(*p->key));
	p->val = xreallocarray(p->val, p->n + 1, sizeof(*p->val));
	p->key[p->n] = xstrdup(key);
	p->val[p->n] = xstrdup(val);
	p->n++;
}


const char *
props_get(const struct props *p, const char *key)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->key[i], key) == 0)
			return p->val[i];
	return NULL;
}

/*
 * Join a logical line (handling continuations) into out, unescaping as we
 * go; key/value split is found on the unescaped-separator position.
 */
int
props_parse(struct props *p, const char *buf, size_t len, const char *fname)
{
	struct strbuf key = STRBUF_INIT, val = STRBUF_INIT;
	const char *s = buf, *end = buf + len;
	long line = 0;

	memset(p, 0, sizeof(*p));
	if (len > PROPS_MAX) {
		diag_warn(fname, 0, "larger than %d bytes", PROPS_MAX);
		return -1;
	}
	/* A UTF-8 BOM is not part of the first key. */
	if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3;
	while (s < end) {
		struct strbuf *cur = &key;
		int inkey = 1, sepseen = 0, startline;

		line++;
		startline = (int)line;
		while (s < end && is_ws((unsigned char)*s))
			s++;
		if (s < end && (*s == '#' || *s == '!')) {
			/* A comment ends at LF or CR, like any line. */
			const char *nl = s;
			const char *e;

			while (nl < end && *nl != '\n' && *nl != '\r')
				nl++;
			e = nl;
			if (nl < end && *nl == '\r' && nl + 1 < end &&
			    nl[1] == '\n')
				nl++;
			if (nl >= end)
				nl = NULL;

			if (p->comment == NULL && *s == '#') {
				size_t n = (size_t)(e - s - 1);

				if (n > 0 && s[n] == '\r')
					n--;
				p->comment = xstrndup(s + 1, n);
			}
			s = nl != NULL ? nl + 1 : end;
			continue;
		}
		if (s < end && (*s == '\n' || *s == '\r')) {
			if (*s == '\r' && s + 1 < end && s[1] == '\n')
				s++;
			s++;
			continue;
		}
		sb_reset(&key);
		sb_reset(&val);
		while (s < end && *s != '\n' && *s != '\r') {
			char c = *s++;

			if (c == '\\') {
				if (s >= end)
					break;
				c = *s++;
				switch (c) {
				case '\r':
				case '\n':
					/* Continuation: skip line end and
					 * leading blanks of the next line. */
					if (c == '\r' && s < end && *s == '\n')
						s++;
					line++;
					while (s < end && is_ws((unsigned char)*s))
						s++;
					continue;
				case 't': c = '\t'; break;
				case 'n': c = '\n'; break;
				case 'r': c = '\r'; break;
				case 'f': c = '\f'; break;
				case 'u': {
					unsigned long cp = 0;
					int i;

					for (i = 0; i < 4; i++, s++) {
						int d;

						if (s >= end)
							goto bad;
						d = *s;
						if (d >= '0' && d <= '9')
							d -= '0';
						else if (d >= 'a' && d <= 'f')
							d -= 'a' - 10;
						else if (d >= 'A' && d <= 'F')
							d -= 'A' - 10;
						else
							goto bad;
						cp = cp * 16 + (unsigned long)d;
					}
					xt_utf8_add(cur, cp);
					continue;
				}
				default:
					break;
				}
				sb_addc(cur, c);
				continue;
			}
			if (inkey && (c == '=' || c == ':' || is_ws((unsigned char)c))) {
				inkey = 0;
				cur = &val;
				sepseen = c == '=' || c == ':';
				while (s < end && is_ws((unsigned char)*s))
					s++;
				if (!sepseen && s < end && (*s == '=' || *s == ':')) {
					s++;
					while (s < end && is_ws((unsigned char)*s))
						s++;
				}
				continue;
			}
			sb_addc(cur, c);
		}
		if (s < end && *s == '\r')
			s++;
		if (s < end && *s == '\n')
			s++;
		(void)startline;
		/* props_set is linear; a real descriptor has a few dozen keys. */
		if (p->n >= PROPS_MAX_KEYS) {
			diag_warn(fname, line, "more than %d properties",
			    PROPS_MAX_KEYS);
			sb_free(&key);
			sb_free(&val);
			props_free(p);
			return -1;
		}
		props_set(p, sb_str(&key), sb_str(&val));
	}
	sb_free(&key);
	sb_free(&val);
	return 0;
bad:
	diag_warn(fname, line, "malformed \\u escape");
	sb_free(&key);
	sb_free(&val);
	props_free(p);
	return -1;
}

static void
escape(struct strbuf *sb, const char *s, int iskey)
{
	const char *p;

	for (p = s; *p != '\0'; p++) {
		switch (*p) {
		case '\\': sb_adds(sb, "\\\\"); break;
		case '\n': sb_adds(sb, "\\n"); break;
		case '\r': sb_adds(sb, "\\r"); break;
		case '\t': sb_adds(sb, "\\t"); break;
		case '\f': sb_adds(sb, "\\f"); break;
		case '=': case ':': case '#': case '!':
			if (iskey || p == s)
				sb_addc(sb, '\\');
			sb_addc(sb, *p);
			break;
		case ' ':
			if (iskey || p == s)
				sb_addc(sb, '\\');
			sb_addc(sb, ' ');
			break;
		default:
			sb_addc(sb, *p);
		}
	}
}

void
props_format(const struct props *p, struct strbuf *sb)
{
	size_t i;

	if (p->comment != NULL)
		sb_addf(sb, "#%s\n", p->comment);
	for (i = 0; i < p->n; i++) {
		/* A key starting with U+FEFF at the very start of the file
		 * would be read back as the file's byte order mark: write
		 * that character escaped (Properties.store escapes every
		 * non-ASCII character this way). */
		if (i == 0 && p->comment == NULL &&
		    strncmp(p->key[0], "\xef\xbb\xbf", 3) == 0) {
			sb_adds(sb, "\\uFEFF");
			escape(sb, p->key[0] + 3, 1);
		} else
			escape(sb, p->key[i], 1);
		sb_addc(sb, '=');
		escape(sb, p->val[i], 0);
		sb_addc(sb, '\n');
	}
}

void
props_free(struct props *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		free(p->key[i]);
		free(p->val[i]);
	}
	free(p->key);
	free(p->val);
	free(p->comment);
	memset(p, 0, sizeof(*p));
}
