/*
 * test_manifest.c - unit tests for common/manifest.c (TAP output): the
 * manifest parser's refusals and their one-line messages, the number
 * rule for sizes, and manifest_last_of.  Every manifest here is written
 * by hand; sizes and CRC-32s are the literal fields, so the expected
 * values need no program output.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"
#include "tap.h"

#define HEAD	"spaceport-package\t1\nstage\textract\n"

/* Parse text (len bytes); returns the rc, the message in err. */
static int
parse(const char *text, size_t len, char *err, size_t errlen,
    struct manifest *m)
{
	manifest_init(m);
	err[0] = '\0';
	return manifest_parse_msg(m, text, len, "manifest.tsv", err, errlen);
}

/* A manifest with one member line whose SIZE and CRC32 fields are given. */
static int
member_line(const char *size, const char *crc, char *err, size_t errlen)
{
	char text[256];
	struct manifest m;
	int rc;

	snprintf(text, sizeof(text), HEAD "member\tentities.xml\t%s\t%s\n",
	    size, crc);
	rc = parse(text, strlen(text), err, errlen, &m);
	manifest_free(&m);
	return rc;
}

static void
test_sizes(void)
{
	static const char *const bad[] = {
		"+173", " 173", "173 ", "-1", "0x1f", "1e3", "", "17 3",
		"18446744073709551616",		/* 2^64 */
		"99999999999999999999",
	};
	char err[512];
	struct manifest m;
	uint64_t u = 7;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ok(member_line(bad[i], "cefdb56e", err, sizeof(err)) == -1,
		    "size '%s' refused", bad[i]);
		is_str(err, "manifest.tsv:3: malformed manifest line",
		    "  with the line named");
	}
	ok(member_line("173", "cefdb56e", err, sizeof(err)) == 0,
	    "size 173 accepted");
	ok(member_line("18446744073709551615", "00000000", err,
	    sizeof(err)) == 0, "size 2^64-1 accepted");
	/* The value itself, not only the verdict. */
	{
		const char *t = HEAD "member\ta\t173\tcefdb56e\n";

		ok(parse(t, strlen(t), err, sizeof(err), &m) == 0 &&
		    m.nmem == 1 && m.mem[0].size == 173 &&
		    m.mem[0].crc == 0xcefdb56eU, "size 173 and crc cefdb56e read");
		manifest_free(&m);
	}
	ok(manifest_parse_u64("+5", &u) == -1 && u == 7,
	    "manifest_parse_u64: +5 refused, *out untouched");
	ok(manifest_parse_u64("0", &u) == 0 && u == 0, "manifest_parse_u64: 0");
}

static void
test_crcs(void)
{
	static const char *const bad[] = {
		" cefdb56", "+cefdb56", "0xcefdb5", "CEFDB56E", "cefdb56",
		"cefdb56e0", "cefdb5 e", "-cefdb56",
	};
	char err[512];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(member_line("1", bad[i], err, sizeof(err)) == -1,
		    "crc-32 '%s' refused (8 lowercase hex digits only)", bad[i]);
}

static void
test_messages(void)
{
	char err[512];
	struct manifest m;
	const char *t;

	t = "spaceport-package\t1\r\nstage\textract\r\n";
	ok(parse(t, strlen(t), err, sizeof(err), &m) == -1, "CRLF refused");
	manifest_free(&m);
	ok(strstr(err, "manifest.tsv:1: line ends in CR") == err,
	    "CRLF: named as such (%s)", err);
	ok(strstr(err, "version") == NULL, "CRLF: not an unsupported version");
	ok(strchr(err, '\n') == NULL, "CRLF: one line");

	t = HEAD "count.users\t3\r\n";
	ok(parse(t, strlen(t), err, sizeof(err), &m) == -1 &&
	    strstr(err, "manifest.tsv:3: line ends in CR") == err,
	    "a CR at the end of line 3 only: named at line 3");
	manifest_free(&m);

	t = HEAD "x\ta\rb\n";
	ok(parse(t, strlen(t), err, sizeof(err), &m) == -1 &&
	    strstr(err, "manifest.tsv:3: a raw CR") == err,
	    "a raw CR inside a value: refused (%s)", err);
	manifest_free(&m);

	{
		static const char nul[] = HEAD "member\tentities.xml\0x\t1\t00000000\n";

		ok(parse(nul, sizeof(nul) - 1, err, sizeof(err), &m) == -1 &&
		    strstr(err, "manifest.tsv:3: a NUL byte") == err,
		    "a NUL byte: refused, not a name cut short (%s)", err);
		manifest_free(&m);
	}

	t = "spaceport-package\t9\n";
	ok(parse(t, strlen(t), err, sizeof(err), &m) == -1, "version 9 refused");
	is_str(err, "manifest.tsv:1: package format version 9 is not supported "
	    "(this program reads 1 to 2)", "  saying so");
	manifest_free(&m);

	/* Format 2: "- -" for a member streamed, in version 2 only. */
	t = "spaceport-package\t2\nmember\tentities.xml\t-\t-\n"
	    "member\tb\t3\t0000000a\n";
	ok(parse(t, strlen(t), err, sizeof(err), &m) == 0 && m.version == 2 &&
	    m.nmem == 2 && !m.mem[0].known && m.mem[1].known &&
	    m.mem[1].size == 3 && m.mem[1].crc == 10,
	    "version 2: a streamed member and a known one");
	manifest_free(&m);
	t = HEAD "member\tentities.xml\t-\t-\n";
	ok(parse(t, strlen(t), err, sizeof(err), &m) == -1,
	    "version 1: \"- -\" refused (%s)", err);
	manifest_free(&m);
	t = "spaceport-package\t2\nmember\tentities.xml\t-\t00000000\n";
	ok(parse(t, strlen(t), err, sizeof(err), &m) == -1,
	    "version 2: a size \"-\" with a crc refused");
	manifest_free(&m);
	t = "spaceport-package\t2\nmember\tspaceport/check.tsv\t1\t00000000\n";
	ok(parse(t, strlen(t), err, sizeof(err), &m) == -1,
	    "a record's name is never a member");
	manifest_free(&m);
	/* Facts records: new keys join, a key given before is refused. */
	t = HEAD;
	parse(t, strlen(t), err, sizeof(err), &m);
	t = "writer\tnew\ncount.users\t3\n";
	ok(manifest_parse_facts(&m, t, strlen(t), "spaceport/facts.tsv", err,
	    sizeof(err)) == 0 && strcmp(manifest_get(&m, "writer"), "new") == 0 &&
	    manifest_getu(&m, "count.users") == 3, "facts record: facts join");
	t = "x\t1\nstage\tconvert\n";
	ok(manifest_parse_facts(&m, t, strlen(t), "spaceport/facts.tsv", err,
	    sizeof(err)) == -1, "facts record: a fact given twice refused");
	is_str(err, "spaceport/facts.tsv:2: fact stage given twice", "  saying so");
	t = "member\ta\t1\t00000000\n";
	ok(manifest_parse_facts(&m, t, strlen(t), "spaceport/facts.tsv", err,
	    sizeof(err)) == -1, "facts record: no member lines");
	manifest_free(&m);
	/* Check records: exactly one member line with a size and crc. */
	{
		char *name = NULL;
		uint64_t sz = 0;
		uint32_t crc = 0;

		t = "member\tentities.xml\t12\t0badf00d\n";
		ok(manifest_parse_check(t, strlen(t), "spaceport/check.tsv", &name,
		    &sz, &crc, err, sizeof(err)) == 0 && name != NULL &&
		    strcmp(name, "entities.xml") == 0 && sz == 12 &&
		    crc == 0x0badf00d, "check record parsed");
		free(name);
		t = "member\tentities.xml\t-\t-\n";
		ok(manifest_parse_check(t, strlen(t), "spaceport/check.tsv", &name,
		    &sz, &crc, err, sizeof(err)) == -1, "check record: \"- -\" "
		    "refused");
		t = "member\ta\t1\t00000000\nmember\tb\t1\t00000000\n";
		ok(manifest_parse_check(t, strlen(t), "spaceport/check.tsv", &name,
		    &sz, &crc, err, sizeof(err)) == -1, "check record: two "
		    "lines refused");
		t = "member\ta\t1\t0000000\r\n";
		ok(manifest_parse_check(t, strlen(t), "spaceport/check.tsv", &name,
		    &sz, &crc, err, sizeof(err)) == -1, "check record: CRLF "
		    "refused");
	}

	t = HEAD "member\ta\t1\t00000000\nmember\ta\t1\t00000000\n";
	ok(parse(t, strlen(t), err, sizeof(err), &m) == -1, "duplicate refused");
	is_str(err, "manifest.tsv: member a listed twice", "  saying so");
	manifest_free(&m);

	t = HEAD "broken line with no tab\n";
	ok(parse(t, strlen(t), err, sizeof(err), &m) == -1, "malformed refused");
	is_str(err, "manifest.tsv:3: malformed manifest line", "  one line");
	manifest_free(&m);

	t = "";
	ok(parse(t, 0, err, sizeof(err), &m) == -1, "empty refused");
	is_str(err, "manifest.tsv: empty manifest", "  saying so");
	manifest_free(&m);
}

static void
test_last_of(void)
{
	static const char *const head[] = {
		"spaceport/relations.tsv", "exportDescriptor.properties",
		"entities.xml"
	};
	static const char *const none[] = { "nothing" };
	struct manifest m;

	manifest_init(&m);
	manifest_add_member(&m, "spaceport/users.tsv", 1, 0);		/* 0 */
	manifest_add_member(&m, "newer.txt", 1, 0);			/* 1 */
	manifest_add_member(&m, "spaceport/relations.tsv", 1, 0);	/* 2 */
	manifest_add_member(&m, "exportDescriptor.properties", 1, 0);	/* 3 */
	manifest_add_member(&m, "entities.xml", 1, 0);			/* 4 */
	manifest_add_member(&m, "attachments/1/2/1", 1, 0);		/* 5 */
	ok(manifest_last_of(&m, head, 3) == 4, "last_of: entities.xml at 4");
	ok(manifest_last_of(&m, head, 2) == 3, "last_of: descriptor at 3");
	ok(manifest_last_of(&m, none, 1) == -1, "last_of: none listed: -1");
	manifest_free(&m);
}

int
main(void)
{
	test_sizes();
	test_crcs();
	test_messages();
	test_last_of();
	return tap_done();
}
