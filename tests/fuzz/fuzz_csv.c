/*
 * fuzz_csv.c - libFuzzer harness for common/csv.c.
 *
 * Input: the bytes of a CSV file (seeds: fixtures/users/ *.csv,
 * fixtures/convert/ *.csv).  The bytes are written to a temporary file and
 * read with csv_open/csv_next to the end; then the same records are read
 * again from a copy with blank lines in front, sized so that the input
 * starts just before csv.c's 64 KiB read-buffer boundary (where the
 * one-byte unget and the CR LF look-ahead cross a refill).  Checks:
 *  - every field is NUL-terminated at its length, counts are 1..4096;
 *  - csv_line never goes backwards;
 *  - csv_find on the first record finds a header it contains;
 *  - the padded read (for one input in four, chosen by its hash: it
 *    costs a 64 KiB file) gives the same records and the same final
 *    result (blank lines are skipped, so only line numbers may differ).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv.h"
#include "diag.h"
#include "strbuf.h"
#include "fuzz_util.h"

#define PAD_BASE	65536

static char path[64];

static int
read_all(const char *p, struct strbuf *dump, long *lastline)
{
	struct csv *c;
	char **f;
	size_t *l, i;
	long line, prev = 0;
	int n, first = 1, recs = 0;

	c = csv_open(p);
	FUZZ_CHECK(c != NULL, "csv_open failed on a regular file");
	while ((n = csv_next(c, &f, &l)) > 0) {
		FUZZ_CHECK(n <= 4096, "%d fields", n);
		line = csv_line(c);
		FUZZ_CHECK(line >= prev && line >= 1, "csv_line went from %ld "
		    "to %ld", prev, line);
		prev = line;
		sb_addf(dump, "R%d;", n);
		for (i = 0; i < (size_t)n; i++) {
			FUZZ_CHECK(f[i] != NULL && f[i][l[i]] == '\0',
			    "field %zu not NUL-terminated at %zu", i, l[i]);
			FUZZ_CHECK(l[i] <= 65536, "field of %zu bytes", l[i]);
			sb_addf(dump, "%zu:", l[i]);
			sb_add(dump, f[i], l[i]);
		}
		if (first) {
			const char *names[2] = { NULL, NULL };

			first = 0;
			/* a header made only of a field that has no NUL,
			 * BOM or blanks must be found by its own name */
			if (l[0] > 0 && strlen(f[0]) == l[0] &&
			    strspn(f[0], "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") == l[0]) {
				names[0] = f[0];
				FUZZ_CHECK(csv_find(f, (size_t)n, names) >= 0,
				    "csv_find cannot find header \"%s\"", f[0]);
			}
		}
		if (++recs > 200000)
			break;
	}
	*lastline = prev;
	csv_close(c);
	sb_addf(dump, "END%d", n < 0 ? -1 : n);
	return n;
}

static void
write_file(const char *p, const uint8_t *pad, size_t npad,
    const uint8_t *data, size_t size)
{
	FILE *fp = fopen(p, "wb");

	FUZZ_CHECK(fp != NULL, "cannot create %s", p);
	if (npad > 0)
		FUZZ_CHECK(fwrite(pad, 1, npad, fp) == npad, "write");
	if (size > 0)
		FUZZ_CHECK(fwrite(data, 1, size, fp) == size, "write");
	FUZZ_CHECK(fclose(fp) == 0, "close");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *pad;
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	size_t npad;
	long la, lb;
	int ra, rb;

	if (size > (1 << 20))
		return 0;
	if (path[0] == '\0')
		snprintf(path, sizeof(path), "/tmp/sp-fuzz-csv.%ld.csv",
		    (long)getpid());
	if (pad == NULL) {
		pad = malloc(PAD_BASE);
		memset(pad, '\n', PAD_BASE);
	}
	write_file(path, NULL, 0, data, size);
	ra = read_all(path, &a, &la);

	/* A BOM only counts at the very start of the file, and a first
	 * record that begins with CR/LF is shifted by a blank line: keep the
	 * comparison to inputs where the padding cannot change the meaning. */
	if (size > 0 && data[0] != 0xef && fuzz_hash(data, size) % 4 == 0) {
		npad = PAD_BASE - 1 - (size_t)(fuzz_hash(data, size) / 4 % 8);
		write_file(path, pad, npad, data, size);
		rb = read_all(path, &b, &lb);
		FUZZ_CHECK(ra == rb, "result %d, %d with %zu blank lines in "
		    "front", ra, rb, npad);
		FUZZ_CHECK(a.len == b.len && memcmp(a.buf, b.buf, a.len) == 0,
		    "records differ with %zu blank lines in front", npad);
	}
	unlink(path);
	sb_free(&a);
	sb_free(&b);
	return 0;
}
