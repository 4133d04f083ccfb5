/*
 * manifest.c - spaceport/manifest.tsv, and the facts and check records of
 * format version 2.  Format: docs/package-format.md sections 3 and 7.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "manifest.h"
#include "pkg.h"
#include "strbuf.h"
#include "tsv.h"

void
manifest_init(struct manifest *m)
{
	memset(m, 0, sizeof(*m));
	m->version = PKG_VERSION;
}

void
manifest_free(struct manifest *m)
{
	size_t i;

	for (i = 0; i < m->nkv; i++) {
		free(m->key[i]);
		free(m->val[i]);
	}
	for (i = 0; i < m->nmem; i++)
		free(m->mem[i].name);
	free(m->key);
	free(m->val);
	free(m->mem);
	manifest_init(m);
}

void
manifest_set(struct manifest *m, const char *key, const char *val)
{
	size_t i;

	for (i = 0; i < m->nkv; i++)
		if (strcmp(m->key[i], key) == 0) {
			free(m->val[i]);
			m->val[i] = xstrdup(val);
			return;
		}
	if (m->nkv == m->kvcap) {
		m->kvcap = m->kvcap ? m->kvcap * 2 : 64;
		m->key = xreallocarray(m->key, m->kvcap, sizeof(*m->key));
		m->val = xreallocarray(m->val, m->kvcap, sizeof(*m->val));
	}
	m->key[m->nkv] = xstrdup(key);
	m->val[m->nkv] = xstrdup(val);
	m->nkv++;
}

void
manifest_setf(struct manifest *m, const char *key, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	manifest_set(m, key, sb_str(&sb));
	sb_free(&sb);
}

void
manifest_setu(struct manifest *m, const char *key, uint64_t v)
{
	manifest_setf(m, key, "%" PRIu64, v);
}

const char *
manifest_get(const struct manifest *m, const char *key)
{
	size_t i;

	for (i = 0; i < m->nkv; i++)
		if (strcmp(m->key[i], key) == 0)
			return m->val[i];
	return NULL;
}

int
manifest_parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' ||
		    v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

uint64_t
manifest_getu(const struct manifest *m, const char *key)
{
	const char *v = manifest_get(m, key);
	uint64_t u;

	return v != NULL && manifest_parse_u64(v, &u) == 0 ? u : 0;
}

void
manifest_add_member(struct manifest *m, const char *name, uint64_t size,
    uint32_t crc)
{
	if (m->nmem == m->memcap) {
		m->memcap = m->memcap ? m->memcap * 2 : 64;
		m->mem = xreallocarray(m->mem, m->memcap, sizeof(*m->mem));
	}
	m->mem[m->nmem].name = xstrdup(name);
	m->mem[m->nmem].size = size;
	m->mem[m->nmem].crc = crc;
	m->mem[m->nmem].known = 1;
	m->nmem++;
}

void
manifest_add_streamed(struct manifest *m, const char *name)
{
	manifest_add_member(m, name, 0, 0);
	m->mem[m->nmem - 1].known = 0;
}

long
manifest_index(const struct manifest *m, const char *name)
{
	const struct pkg_member *p = manifest_member(m, name);

	return p != NULL ? (long)(p - m->mem) : -1;
}

const struct pkg_member *
manifest_member(const struct manifest *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->nmem; i++)
		if (strcmp(m->mem[i].name, name) == 0)
			return &m->mem[i];
	return NULL;
}

long
manifest_last_of(const struct manifest *m, const char *const *names,
    size_t n)
{
	long last = -1;
	size_t i, k;

	for (i = 0; i < m->nmem; i++)
		for (k = 0; k < n; k++)
			if (strcmp(m->mem[i].name, names[k]) == 0)
				last = (long)i;
	return last;
}

void
manifest_copy_facts(struct manifest *dst, const struct manifest *src)
{
	size_t i;

	for (i = 0; i < src->nkv; i++)
		manifest_set(dst, src->key[i], src->val[i]);
}

void
manifest_format(const struct manifest *m, struct strbuf *sb)
{
	size_t i;

	sb_addf(sb, "%s\t%d\n", PKG_FORMAT, m->version);
	manifest_format_facts(m, 0, sb);
	for (i = 0; i < m->nmem; i++) {
		sb_adds(sb, "member\t");
		tsv_add_field(sb, m->mem[i].name, strlen(m->mem[i].name));
		if (m->mem[i].known)
			sb_addf(sb, "\t%" PRIu64 "\t%08" PRIx32 "\n",
			    m->mem[i].size, m->mem[i].crc);
		else
			sb_adds(sb, "\t-\t-\n");
	}
}

void
manifest_format_facts(const struct manifest *m, size_t from,
    struct strbuf *sb)
{
	size_t i;

	for (i = from; i < m->nkv; i++) {
		tsv_add_field(sb, m->key[i], strlen(m->key[i]));
		sb_addc(sb, '\t');
		tsv_add_field(sb, m->val[i], strlen(m->val[i]));
		sb_addc(sb, '\n');
	}
}

#define MANIFEST_MAX_FACTS 20000

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Duplicate member names, found by sorting: O(n log n) for any count. */
static int
check_unique(struct manifest *m, const char *fname, char *err, size_t errlen)
{
	char **names;
	size_t i;
	int rc = 0;

	if (m->nmem < 2)
		return 0;
	names = xreallocarray(NULL, m->nmem, sizeof(*names));
	for (i = 0; i < m->nmem; i++)
		names[i] = m->mem[i].name;
	qsort(names, m->nmem, sizeof(*names), cmp_names);
	for (i = 1; i < m->nmem && rc == 0; i++)
		if (strcmp(names[i - 1], names[i]) == 0) {
			snprintf(err, errlen, "%s: member %s listed twice", fname,
			    names[i]);
			rc = -1;
		}
	free(names);
	return rc;
}

/*
 * Bytes no writer puts in a manifest (tsv_add_field escapes CR; NUL
 * would cut a field short unseen): a CRLF file, or not a manifest at all.
 * 0 if there are none, else -1 with the message in err.
 */
static int
check_bytes(const char *buf, size_t len, const char *fname, char *err,
    size_t errlen)
{
	const char *cr = memchr(buf, '\r', len), *nul = memchr(buf, '\0', len);
	const char *bad = cr == NULL ? nul : nul == NULL || cr < nul ? cr : nul;
	const char *q;
	long line = 1;

	if (bad == NULL)
		return 0;
	for (q = buf; (q = memchr(q, '\n', (size_t)(bad - q))) != NULL; q++)
		line++;
	if (*bad == '\0')
		snprintf(err, errlen, "%s:%ld: a NUL byte (a manifest is UTF-8 "
		    "text)", fname, line);
	else if (bad + 1 == buf + len || bad[1] == '\n')
		snprintf(err, errlen, "%s:%ld: line ends in CR (a manifest has "
		    "LF line ends; was it converted to CRLF?)", fname, line);
	else
		snprintf(err, errlen, "%s:%ld: a raw CR (a manifest writes it "
		    "\\r)", fname, line);
	return -1;
}

/* "member NAME SIZE CRC32", fields split: SIZE plain decimal digits,
 * CRC32 exactly 8 lowercase hex digits (no sign, blank or 0x that
 * strtoull/strtoul would take); with unknown_ok (a version 2 manifest)
 * both may be "-" together, and *known says which.  A reserved name
 * (a record's) is never a member.  0 ok, -1 malformed. */
static int
member_fields(char **f, size_t n, int unknown_ok, uint64_t *size,
    uint32_t *crc, int *known)
{
	uint32_t c = 0;
	size_t i;

	if (n != 4 || !pkg_name_ok(f[1]) || pkg_reserved_name(f[1]))
		return -1;
	if (unknown_ok && strcmp(f[2], "-") == 0 && strcmp(f[3], "-") == 0) {
		*size = 0;
		*crc = 0;
		*known = 0;
		return 0;
	}
	*known = 1;
	if (manifest_parse_u64(f[2], size) == -1 || strlen(f[3]) != 8)
		return -1;
	for (i = 0; i < 8; i++) {
		if (f[3][i] >= '0' && f[3][i] <= '9')
			c = c << 4 | (uint32_t)(f[3][i] - '0');
		else if (f[3][i] >= 'a' && f[3][i] <= 'f')
			c = c << 4 | (uint32_t)(f[3][i] - 'a' + 10);
		else
			return -1;
	}
	*crc = c;
	return 0;
}

int
manifest_parse_msg(struct manifest *m, const char *buf, size_t len,
    const char *fname, char *err, size_t errlen)
{
	struct tsv t;
	char **f;
	size_t n;
	long line;
	int first = 1, rc, known;
	uint64_t size;
	uint32_t crc;

	if (check_bytes(buf, len, fname, err, errlen) == -1)
		return -1;
	tsv_init(&t, buf, len);
	while ((rc = tsv_next(&t, &f, &n)) > 0) {
		line = t.line;
		if (first) {
			first = 0;
			if (n != 2 || strcmp(f[0], PKG_FORMAT) != 0) {
				snprintf(err, errlen, "%s:%ld: not a spaceport "
				    "package manifest", fname, line);
				goto fail;
			}
			if (strcmp(f[1], "1") == 0)
				m->version = 1;
			else if (strcmp(f[1], "2") == 0)
				m->version = 2;
			else {
				snprintf(err, errlen, "%s:%ld: package format "
				    "version %.32s is not supported (this "
				    "program reads %d to %d)", fname, line, f[1],
				    PKG_VERSION_MIN, PKG_VERSION);
				goto fail;
			}
			continue;
		}
		if (strcmp(f[0], "member") == 0) {
			if (member_fields(f, n, m->version >= 2, &size, &crc,
			    &known) == -1)
				goto bad;
			if (known)
				manifest_add_member(m, f[1], size, crc);
			else
				manifest_add_streamed(m, f[1]);
		} else {
			if (n != 2)
				goto bad;
			/* manifest_set is linear: cap the facts (a real
			 * manifest has a few hundred) so that a crafted one
			 * cannot make parsing quadratic. */
			if (m->nkv >= MANIFEST_MAX_FACTS) {
				snprintf(err, errlen, "%s:%ld: more than %d "
				    "facts", fname, line, MANIFEST_MAX_FACTS);
				goto fail;
			}
			manifest_set(m, f[0], f[1]);
		}
	}
	if (rc < 0)
		goto bad;
	if (first) {
		snprintf(err, errlen, "%s: empty manifest", fname);
		goto fail;
	}
	tsv_free(&t);
	return check_unique(m, fname, err, errlen);
bad:
	snprintf(err, errlen, "%s:%ld: malformed manifest line", fname, t.line);
fail:
	tsv_free(&t);
	return -1;
}

int
manifest_parse(struct manifest *m, const char *buf, size_t len,
    const char *fname)
{
	char err[1024];

	if (manifest_parse_msg(m, buf, len, fname, err, sizeof(err)) == 0)
		return 0;
	diag_warn(NULL, 0, "%s", err);
	return -1;
}

int
manifest_parse_facts(struct manifest *m, const char *buf, size_t len,
    const char *fname, char *err, size_t errlen)
{
	struct tsv t;
	char **f;
	size_t n;
	int rc;

	if (check_bytes(buf, len, fname, err, errlen) == -1)
		return -1;
	tsv_init(&t, buf, len);
	while ((rc = tsv_next(&t, &f, &n)) > 0) {
		if (n != 2 || strcmp(f[0], "member") == 0) {
			snprintf(err, errlen, "%s:%ld: malformed line", fname,
			    t.line);
			goto fail;
		}
		/* Given once: what a reader acted on cannot change. */
		if (manifest_get(m, f[0]) != NULL) {
			snprintf(err, errlen, "%s:%ld: fact %s given twice",
			    fname, t.line, f[0]);
			goto fail;
		}
		if (m->nkv >= MANIFEST_MAX_FACTS) {
			snprintf(err, errlen, "%s:%ld: more than %d facts",
			    fname, t.line, MANIFEST_MAX_FACTS);
			goto fail;
		}
		manifest_set(m, f[0], f[1]);
	}
	if (rc < 0) {
		snprintf(err, errlen, "%s:%ld: malformed line", fname, t.line);
		goto fail;
	}
	tsv_free(&t);
	return 0;
fail:
	tsv_free(&t);
	return -1;
}

int
manifest_parse_check(const char *buf, size_t len, const char *fname,
    char **name, uint64_t *size, uint32_t *crc, char *err, size_t errlen)
{
	struct tsv t;
	char **f;
	size_t n;
	int known = 0;

	*name = NULL;
	if (check_bytes(buf, len, fname, err, errlen) == -1)
		return -1;
	tsv_init(&t, buf, len);
	if (tsv_next(&t, &f, &n) <= 0 || strcmp(f[0], "member") != 0 ||
	    member_fields(f, n, 0, size, crc, &known) == -1) {
		snprintf(err, errlen, "%s: malformed check record", fname);
		tsv_free(&t);
		return -1;
	}
	*name = xstrdup(f[1]);
	if (tsv_next(&t, &f, &n) != 0) {
		snprintf(err, errlen, "%s: more than one line in a check "
		    "record", fname);
		free(*name);
		*name = NULL;
		tsv_free(&t);
		return -1;
	}
	tsv_free(&t);
	return 0;
}
