/*
 * test_manifest.c - manifest.c: the strict number and CRC forms, the "-"
 * of format 2, one-line reasons, facts and check records; pkg.c's limit
 * rule (pkg_max_object).  Expected values are written out by hand from
 * docs/package-format.md, not taken from the code's output.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"
#include "pkg.h"
#include "strbuf.h"
#include "tap.h"

#define CHK "member\tentities.xml\t5\t0000000a\n"

static int
parse(const char *text, struct manifest *m, char *err, size_t errlen)
{
	manifest_init(m);
	return manifest_parse_msg(m, text, strlen(text), "m.tsv", err, errlen);
}

int
main(void)
{
	struct manifest m;
	struct strbuf sb = STRBUF_INIT;
	char err[512], *name;
	uint64_t size;
	uint32_t crc;

	ok(parse("spaceport-package\t2\nstage\textract\n"
	    "member\tentities.xml\t-\t-\n"
	    "member\ta/b\t173\t0000abcd\n", &m, err, sizeof(err)) == 0,
	    "v2: a member without size, one with");
	ok(m.version == 2 && m.nmem == 2 && !m.mem[0].known &&
	    m.mem[1].known && m.mem[1].size == 173 && m.mem[1].crc == 0xabcd,
	    "v2: parsed as written");
	manifest_format(&m, &sb);
	is_str(sb_str(&sb), "spaceport-package\t2\nstage\textract\n"
	    "member\tentities.xml\t-\t-\nmember\ta/b\t173\t0000abcd\n",
	    "v2: formatted back byte for byte");
	manifest_free(&m);

	ok(parse("spaceport-package\t1\nmember\tentities.xml\t-\t-\n", &m,
	    err, sizeof(err)) == -1, "v1: no \"-\" sizes");
	manifest_free(&m);
	ok(parse("spaceport-package\t2\nmember\tx\t+173\t0000abcd\n", &m, err,
	    sizeof(err)) == -1, "a size +173 is refused");
	is_str(err, "m.tsv:2: malformed manifest line", "one-line reason");
	manifest_free(&m);
	ok(parse("spaceport-package\t2\nmember\tx\t 17\t0000abcd\n", &m, err,
	    sizeof(err)) == -1, "a size with a space is refused");
	manifest_free(&m);
	ok(parse("spaceport-package\t2\nmember\tx\t18446744073709551616\t"
	    "0000abcd\n", &m, err, sizeof(err)) == -1,
	    "a size past 2^64-1 is refused");
	manifest_free(&m);
	ok(parse("spaceport-package\t2\nmember\tx\t1\t0000ABCD\n", &m, err,
	    sizeof(err)) == -1, "an upper-case crc is refused");
	manifest_free(&m);
	ok(parse("spaceport-package\t1\r\nstage\textract\r\n", &m, err,
	    sizeof(err)) == -1 && strstr(err, "line ends in CR") != NULL,
	    "CRLF named as such (%s)", err);
	manifest_free(&m);
	ok(parse("spaceport-package\t3\n", &m, err, sizeof(err)) == -1 &&
	    strstr(err, "version 3 is not supported (this program reads 1 "
	    "to 2)") != NULL, "an unknown version (%s)", err);
	manifest_free(&m);

	/* facts records */
	parse("spaceport-package\t2\nstage\textract\n", &m, err, sizeof(err));
	ok(manifest_parse_facts(&m, "writer\tnew\n", 11, "f", err,
	    sizeof(err)) == 0 && strcmp(manifest_get(&m, "writer"), "new") == 0,
	    "a facts record adds a fact");
	ok(manifest_parse_facts(&m, "stage\tconvert\n", 14, "f", err,
	    sizeof(err)) == -1, "and may not change one");
	ok(manifest_parse_facts(&m, "member\tx\t1\t00000000\n", 20, "f", err,
	    sizeof(err)) == -1, "nor list a member");

	/* the limit */
	manifest_set(&m, PKG_FACT_MAX_OBJECT, "134217728");
	ok(pkg_max_object(&m, 64 << 20) == 134217728, "a raised limit is taken");
	ok(pkg_max_object(&m, 256 << 20) == 256 << 20,
	    "never below the stage's own default");
	manifest_set(&m, PKG_FACT_MAX_OBJECT, "99999999999999");
	ok(pkg_max_object(&m, 64 << 20) == (size_t)1 << 30,
	    "capped at the ceiling (1 GiB)");
	manifest_free(&m);

	/* check records */
	ok(manifest_parse_check(CHK, strlen(CHK), "c",
	    &name, &size, &crc, err, sizeof(err)) == 0 &&
	    strcmp(name, "entities.xml") == 0 && size == 5 && crc == 10,
	    "a check record");
	free(name);
	ok(manifest_parse_check("member\tentities.xml\t-\t-\n", 24, "c", &name,
	    &size, &crc, err, sizeof(err)) == -1, "a check record gives a size");
	ok(manifest_parse_check("member\ta\t1\t00000000\nmember\tb\t1\t00000000\n",
	    40, "c", &name, &size, &crc, err, sizeof(err)) == -1,
	    "one line only");
	ok(pkg_reserved_name("spaceport/check.tsv") &&
	    !pkg_reserved_name("spaceport/users.tsv"), "reserved names");
	sb_free(&sb);
	return tap_done();
}
