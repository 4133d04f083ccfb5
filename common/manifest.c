/*
 * manifest.c - spaceport/manifest.tsv: facts and the member list, and the
 * facts and check records of format version 2.
 * Format: docs/package-format.md sections 3 and 7.
 */
#include <errno.h>
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

/* Plain decimal digits, no sign, no space, no overflow. */
static int
parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
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

	return v != NULL && parse_u64(v, &u) == 0 ? u : 0;
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
manifest_index(const struct manifest *m, const char *name)
{
	const struct pkg_member *p = manifest_member(m, name);

	return p != NULL ? (long)(p - m->mem) : -1;
}

long
manifest_last_of(const struct manifest *m, const char *const *names,
    size_t n)
{
	long last = -1, k;
	size_t i;

	for (i = 0; i < n; i++)
		if ((k = manifest_index(m, names[i])) > last)
			last = k;
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

/* A value for a message: printable ASCII kept, anything else \xNN, cut. */
static const char *
shown(const char *s, char *buf, size_t len)
{
	size_t o = 0;

	for (; *s != '\0' && o + 5 < len; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch >= 0x20 && ch < 0x7f && ch != '\\')
			buf[o++] = (char)ch;
		else
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", ch);
	}
	buf[o] = '\0';
	return buf;
}

/* "member NAME SIZE CRC" (fields already split); version 2 allows "-"
 * for both SIZE and CRC.  0 ok, -1 malformed. */
static int
member_fields(char **f, size_t n, int allow_unknown, uint64_t *size,
    uint32_t *crc, int *known)
{
	char *end;
	unsigned long c;

	if (n != 4 || !pkg_name_ok(f[1]))
		return -1;
	if (allow_unknown && strcmp(f[2], "-") == 0 && strcmp(f[3], "-") == 0) {
		*size = 0;
		*crc = 0;
		*known = 0;
		return 0;
	}
	if (parse_u64(f[2], size) == -1 || strlen(f[3]) != 8 ||
	    strspn(f[3], "0123456789abcdef") != 8)
		return -1;
	errno = 0;
	c = strtoul(f[3], &end, 16);
	if (*end != '\0' || errno != 0)
		return -1;
	*crc = (uint32_t)c;
	*known = 1;
	return 0;
}

int
manifest_parse_msg(struct manifest *m, const char *buf, size_t len,
    const char *fname, char *err, size_t errlen)
{
	struct tsv t;
	char **f, sh[64];
	size_t n;
	long line;
	int first = 1, rc, known;
	uint64_t size;
	uint32_t crc;

	tsv_init(&t, buf, len);
	while ((rc = tsv_next(&t, &f, &n)) > 0) {
		line = t.line;
		if (first) {
			first = 0;
			if (n >= 1 && memchr(f[n - 1], '\r', strlen(f[n - 1]))) {
				snprintf(err, errlen, "%s:%ld: line ends in CR "
				    "(a manifest has LF line ends)", fname, line);
				goto fail;
			}
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
				    "version %s is not supported (this program "
				    "reads %d to %d)", fname, line,
				    shown(f[1], sh, sizeof(sh)), PKG_VERSION_MIN,
				    PKG_VERSION);
				goto fail;
			}
			continue;
		}
		if (strcmp(f[0], "member") == 0) {
			if (member_fields(f, n, m->version >= 2, &size, &crc,
			    &known) == -1)
				goto bad;
			manifest_add_member(m, f[1], size, crc);
			m->mem[m->nmem - 1].known = known;
		} else {
			if (n != 2)
				goto bad;
			/* manifest_set is linear: cap the facts (a real
			 * manifest has a few hundred) so that a crafted one
			 * cannot make parsing quadratic. */
			if (m->nkv >= MANIFEST_MAX_FACTS) {
				snprintf(err, errlen, "%s:%ld: more than %d facts",
				    fname, line, MANIFEST_MAX_FACTS);
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
	char err[512];

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

	tsv_init(&t, buf, len);
	while ((rc = tsv_next(&t, &f, &n)) > 0) {
		if (n != 2 || strcmp(f[0], "member") == 0) {
			snprintf(err, errlen, "%s:%ld: malformed line", fname,
			    t.line);
			goto fail;
		}
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
	tsv_init(&t, buf, len);
	if (tsv_next(&t, &f, &n) <= 0 || strcmp(f[0], "member") != 0 ||
	    member_fields(f, n, 0, size, crc, &known) == -1) {
		snprintf(err, errlen, "%s: malformed check record", fname);
		tsv_free(&t);
		return -1;
	}
	*name = xstrdup(f[1]);
	if (tsv_next(&t, &f, &n) != 0) {
		snprintf(err, errlen, "%s: more than one line in a check record",
		    fname);
		free(*name);
		*name = NULL;
		tsv_free(&t);
		return -1;
	}
	tsv_free(&t);
	return 0;
}
