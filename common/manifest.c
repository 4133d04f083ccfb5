/*
 * manifest.c - spaceport/manifest.tsv: facts and the member list.
 * Format: docs/package-format.md §3.
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

uint64_t
manifest_getu(const struct manifest *m, const char *key)
{
	const char *v = manifest_get(m, key);

	return v != NULL ? strtoull(v, NULL, 10) : 0;
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
	m->nmem++;
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

	sb_addf(sb, "%s\t%d\n", PKG_FORMAT, PKG_VERSION);
	for (i = 0; i < m->nkv; i++) {
		tsv_add_field(sb, m->key[i], strlen(m->key[i]));
		sb_addc(sb, '\t');
		tsv_add_field(sb, m->val[i], strlen(m->val[i]));
		sb_addc(sb, '\n');
	}
	for (i = 0; i < m->nmem; i++) {
		sb_adds(sb, "member\t");
		tsv_add_field(sb, m->mem[i].name, strlen(m->mem[i].name));
		sb_addf(sb, "\t%" PRIu64 "\t%08" PRIx32 "\n", m->mem[i].size,
		    m->mem[i].crc);
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
check_unique(struct manifest *m, const char *fname)
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
			diag_warn(fname, 0, "member %s listed twice", names[i]);
			rc = -1;
		}
	free(names);
	return rc;
}

int
manifest_parse(struct manifest *m, const char *buf, size_t len,
    const char *fname)
{
	struct tsv t;
	char **f;
	size_t n;
	long line;
	int first = 1, rc;

	tsv_init(&t, buf, len);
	while ((rc = tsv_next(&t, &f, &n)) > 0) {
		line = t.line;
		if (first) {
			first = 0;
			if (n != 2 || strcmp(f[0], PKG_FORMAT) != 0) {
				diag_warn(fname, line, "not a spaceport package "
				    "manifest");
				goto fail;
			}
			if (strcmp(f[1], "1") != 0) {
				diag_warn(fname, line, "package format version "
				    "%s is not supported (this program reads 1)",
				    f[1]);
				goto fail;
			}
			continue;
		}
		if (strcmp(f[0], "member") == 0) {
			char *end1, *end2;
			unsigned long long size;
			unsigned long crc;

			if (n != 4)
				goto bad;
			size = strtoull(f[2], &end1, 10);
			crc = strtoul(f[3], &end2, 16);
			if (*f[2] == '\0' || *end1 != '\0' || strlen(f[3]) != 8 ||
			    *end2 != '\0' || !pkg_name_ok(f[1]))
				goto bad;
			manifest_add_member(m, f[1], size, (uint32_t)crc);
		} else {
			if (n != 2)
				goto bad;
			/* manifest_set is linear: cap the facts (a real
			 * manifest has a few hundred) so that a crafted one
			 * cannot make parsing quadratic. */
			if (m->nkv >= MANIFEST_MAX_FACTS) {
				diag_warn(fname, line, "more than %d facts",
				    MANIFEST_MAX_FACTS);
				goto fail;
			}
			manifest_set(m, f[0], f[1]);
		}
	}
	if (rc < 0)
		goto bad;
	if (first) {
		diag_warn(fname, 0, "empty manifest");
		goto fail;
	}
	tsv_free(&t);
	return check_unique(m, fname);
bad:
	diag_warn(fname, t.line, "malformed manifest line");
fail:
	tsv_free(&t);
	return -1;
}
