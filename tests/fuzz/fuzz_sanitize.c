/*
 * fuzz_sanitize.c - libFuzzer harness for extract/sanitize.c.
 *
 * Input: raw entities.xml bytes (seeds: the control-character and
 * bad-UTF-8 fixtures, plus short byte soups).  The input is filtered once
 * in a single sanitize_chunk(final=1) and once in random chunks (sizes
 * 0..300 bytes, seeded from the input, final only on the last one, which
 * is sometimes empty).  Checks:
 *  - same output and same counters (control, invalid, nonchar, line,
 *    first_control_line) whatever the chunking;
 *  - the output is valid UTF-8 without C0 controls (other than TAB, LF,
 *    CR) and without U+FFFE/U+FFFF;
 *  - line breaks are untouched: as many LF in the output as in the input;
 *  - with all counters zero, the output is the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "sanitize.h"
#include "strbuf.h"
#include "fuzz_util.h"

/* Offset of the first problem in s, or -1 if it is clean XML 1.0 text. */
static long
first_bad(const unsigned char *s, size_t n)
{
	size_t i = 0, k, j;
	unsigned c;
	unsigned long cp;

	while (i < n) {
		c = s[i];
		if (c < 0x80) {
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
				return (long)i;
			i++;
			continue;
		}
		if (c >= 0xc2 && c < 0xe0) {
			k = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c < 0xf0) {
			k = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c < 0xf5) {
			k = 4;
			cp = c & 0x07;
		} else
			return (long)i;
		if (n - i < k)
			return (long)i;
		for (j = 1; j < k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return (long)i;
			cp = (cp << 6) | (s[i + j] & 0x3f);
		}
		if ((k == 3 && cp < 0x800) || (k == 4 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
		    cp == 0xfffe || cp == 0xffff)
			return (long)i;
		i += k;
	}
	return -1;
}

static size_t
count_lf(const void *p, size_t n)
{
	const char *s = p;
	size_t c = 0, i;

	for (i = 0; i < n; i++)
		c += s[i] == '\n';
	return c;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	report_init("spaceport-extract", "fuzz");
	report_quiet(1);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sanitizer w, c;
	struct strbuf ow = STRBUF_INIT, oc = STRBUF_INIT;
	uint64_t rng = fuzz_hash(data, size);
	size_t off = 0, step;
	long bad;

	if (size > (1 << 20))
		return 0;
	sanitize_init(&w, "entities.xml");
	sanitize_chunk(&w, data, size, 1, &ow);

	sanitize_init(&c, "entities.xml");
	for (;;) {
		step = (size_t)(fuzz_rand(&rng) % 301);
		if (step >= size - off) {
			/* last chunk: sometimes all the rest, sometimes the
			 * rest then an empty final chunk */
			if (fuzz_rand(&rng) & 1) {
				sanitize_chunk(&c, data + off, size - off, 1, &oc);
			} else {
				sanitize_chunk(&c, data + off, size - off, 0, &oc);
				sanitize_chunk(&c, data + size, 0, 1, &oc);
			}
			break;
		}
		sanitize_chunk(&c, data + off, step, 0, &oc);
		off += step;
	}
	FUZZ_CHECK(w.npend == 0 && c.npend == 0, "bytes left pending after "
	    "the final chunk (%zu, %zu)", w.npend, c.npend);
	FUZZ_CHECK(ow.len == oc.len && (ow.len == 0 ||
	    memcmp(ow.buf, oc.buf, ow.len) == 0),
	    "chunked output differs from whole output (%zu vs %zu bytes)",
	    oc.len, ow.len);
	FUZZ_CHECK(w.control == c.control && w.invalid == c.invalid &&
	    w.nonchar == c.nonchar && w.line == c.line &&
	    w.first_control_line == c.first_control_line,
	    "counters differ: whole %llu/%llu/%llu line %ld first %ld, "
	    "chunked %llu/%llu/%llu line %ld first %ld",
	    (unsigned long long)w.control, (unsigned long long)w.invalid,
	    (unsigned long long)w.nonchar, w.line, w.first_control_line,
	    (unsigned long long)c.control, (unsigned long long)c.invalid,
	    (unsigned long long)c.nonchar, c.line, c.first_control_line);
	bad = first_bad((const unsigned char *)(ow.buf ? ow.buf : ""), ow.len);
	FUZZ_CHECK(bad < 0, "output not clean XML 1.0 text at byte %ld", bad);
	FUZZ_CHECK(count_lf(data, size) == count_lf(ow.buf, ow.len),
	    "line breaks changed");
	FUZZ_CHECK(w.line == (long)count_lf(data, size) + 1, "line %ld for "
	    "%zu LFs", w.line, count_lf(data, size));
	if (w.control == 0 && w.invalid == 0 && w.nonchar == 0)
		FUZZ_CHECK(ow.len == size && (size == 0 ||
		    memcmp(ow.buf, data, size) == 0),
		    "nothing counted but the output differs");
	else
		FUZZ_CHECK(ow.len == size - w.control + 2 * w.invalid,
		    "length %zu for input %zu, %llu controls, %llu invalid",
		    ow.len, size, (unsigned long long)w.control,
		    (unsigned long long)w.invalid);
	sb_free(&ow);
	sb_free(&oc);
	/* findings are kept globally: start afresh for the next input */
	report_free();
	report_init("spaceport-extract", "fuzz");
	report_quiet(1);
	return 0;
}
