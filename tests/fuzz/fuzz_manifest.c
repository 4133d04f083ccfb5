/*
 * fuzz_manifest.c - libFuzzer harness for common/tsv.c and manifest_parse
 * (common/manifest.c).
 *
 * Input: a spaceport/manifest.tsv, users.tsv or relations.tsv (seeds: the
 * members of packages made by spaceport-extract from the fixtures).
 * Checks:
 *  - tsv_next over an exact-size heap copy: no read past the end; every
 *    record re-escaped with tsv_add_field and joined with TAB gives the
 *    line back (for lines without raw CR or NUL, which the escaping
 *    would write differently);
 *  - manifest_parse: on success the members have safe names and are
 *    unique; manifest_format of the result parses again to the same
 *    facts and members, and formatting that gives the same bytes;
 *    manifest_get / manifest_member find what was parsed;
 *  - the same bytes as format 2's records (manifest_parse_facts,
 *    manifest_parse_check): a fact is never given twice, a check record
 *    names a safe member that is not a record.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkg.h"
#include "strbuf.h"
#include "tsv.h"
#include "fuzz_util.h"

static void
check_tsv(const char *buf, size_t len)
{
	struct tsv t;
	struct strbuf sb = STRBUF_INIT;
	char **f;
	size_t n, i, ll;
	const char *line = buf, *nl;
	int rc;

	tsv_init(&t, buf, len);
	while ((rc = tsv_next(&t, &f, &n)) != 0) {
		nl = memchr(line, '\n', (size_t)(buf + len - line));
		ll = nl ? (size_t)(nl - line) : (size_t)(buf + len - line);
		if (rc < 0)
			break;
		FUZZ_CHECK((size_t)rc == n && n >= 1, "rc %d, n %zu", rc, n);
		if (memchr(line, '\r', ll) == NULL &&
		    memchr(line, '\0', ll) == NULL) {
			sb_reset(&sb);
			for (i = 0; i < n; i++) {
				if (i > 0)
					sb_addc(&sb, '\t');
				tsv_add_field(&sb, f[i], strlen(f[i]));
			}
			FUZZ_CHECK(sb.len == ll && (ll == 0 ||
			    memcmp(sb.buf, line, ll) == 0),
			    "line %ld does not re-escape to itself", t.line);
		}
		line = nl ? nl + 1 : buf + len;
	}
	tsv_free(&t);
	sb_free(&sb);
}

static void
same(const struct manifest *a, const struct manifest *b)
{
	size_t i;

	FUZZ_CHECK(a->nkv == b->nkv, "%zu facts, then %zu", a->nkv, b->nkv);
	for (i = 0; i < a->nkv; i++)
		FUZZ_CHECK(strcmp(a->key[i], b->key[i]) == 0 &&
		    strcmp(a->val[i], b->val[i]) == 0,
		    "fact %zu \"%s\"=\"%s\" became \"%s\"=\"%s\"", i, a->key[i],
		    a->val[i], b->key[i], b->val[i]);
	FUZZ_CHECK(a->nmem == b->nmem, "%zu members, then %zu", a->nmem,
	    b->nmem);
	for (i = 0; i < a->nmem; i++)
		FUZZ_CHECK(strcmp(a->mem[i].name, b->mem[i].name) == 0 &&
		    a->mem[i].size == b->mem[i].size &&
		    a->mem[i].crc == b->mem[i].crc,
		    "member %zu \"%s\" changed", i, a->mem[i].name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct manifest m, m2;
	struct strbuf f1 = STRBUF_INIT, f2 = STRBUF_INIT;
	char *copy;
	size_t i, j;
	int rc;

	if (size > (1 << 20))
		return 0;
	copy = malloc(size ? size : 1);
	memcpy(copy, data, size);
	check_tsv(copy, size);

	/* The same bytes as format 2's records: a facts record's facts are
	 * given once each; a check record names a safe member. */
	{
		char err[512], *name;
		uint64_t sz;
		uint32_t crc;

		manifest_init(&m);
		manifest_set(&m, "stage", "extract");
		if (manifest_parse_facts(&m, copy, size, "facts.tsv", err,
		    sizeof(err)) == 0)
			for (i = 0; i < m.nkv; i++)
				for (j = 0; j < i; j++)
					FUZZ_CHECK(strcmp(m.key[i], m.key[j]) != 0,
					    "facts record: \"%s\" twice", m.key[i]);
		manifest_free(&m);
		if (manifest_parse_check(copy, size, "check.tsv", &name, &sz, &crc,
		    err, sizeof(err)) == 0) {
			FUZZ_CHECK(name != NULL && pkg_name_ok(name) &&
			    !pkg_reserved_name(name), "check record: name");
			free(name);
		}
	}
	manifest_init(&m);
	rc = manifest_parse(&m, copy, size, "manifest.tsv");
	free(copy);
	if (rc != 0) {
		manifest_free(&m);
		return 0;
	}
	for (i = 0; i < m.nmem; i++) {
		FUZZ_CHECK(pkg_name_ok(m.mem[i].name), "unsafe member name "
		    "\"%s\" accepted", m.mem[i].name);
		FUZZ_CHECK(manifest_member(&m, m.mem[i].name) == &m.mem[i],
		    "member \"%s\" listed twice", m.mem[i].name);
	}
	for (i = 0; i < m.nkv; i++) {
		for (j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(m.key[i], m.key[j]) != 0,
			    "fact \"%s\" twice", m.key[i]);
		FUZZ_CHECK(manifest_get(&m, m.key[i]) == m.val[i], "get");
		(void)manifest_getu(&m, m.key[i]);
	}
	manifest_format(&m, &f1);
	manifest_init(&m2);
	FUZZ_CHECK(manifest_parse(&m2, f1.buf, f1.len, "formatted") == 0,
	    "manifest_format output does not parse");
	same(&m, &m2);
	manifest_format(&m2, &f2);
	FUZZ_CHECK(f1.len == f2.len && memcmp(f1.buf, f2.buf, f1.len) == 0,
	    "format is not stable");
	manifest_free(&m);
	manifest_free(&m2);
	sb_free(&f1);
	sb_free(&f2);
	return 0;
}
