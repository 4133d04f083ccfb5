/*
 * tap.h - the one TAP helper for tests/unit/ (header only: every unit
 * test is a single translation unit).
 *
 * Owns: the test counter, the "ok N - name" / "not ok N - name" lines,
 * the diagnostics of a failed string comparison, the closing plan, and a
 * byte source that hands out input in small chunks (so that readers are
 * tested across every refill boundary).
 *
 *	ok(cond, "printf-style %s", name);
 *	is_str(got, want, "name");	NULL equals only NULL
 *	return tap_done();		prints "1..N", returns the exit code
 */
#ifndef SP_TAP_H
#define SP_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "strbuf.h"

static int tap_ntest, tap_nfail;

static void ok(int cond, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), unused));

/* "ok N - " or "not ok N - " (or "ok N # skip "), then fmt/ap. */
static void
tap_vline(const char *head, const char *fmt, va_list ap)
{
	printf(head, ++tap_ntest);
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
}

/* One test line. */
static void
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	if (!cond)
		tap_nfail++;
	va_start(ap, fmt);
	tap_vline(cond ? "ok %d - " : "not ok %d - ", fmt, ap);
	va_end(ap);
}

/* String equality; on failure prints both sides as TAP comments. */
static __attribute__((unused)) void
is_str(const char *got, const char *want, const char *name)
{
	int good = (got == NULL && want == NULL) ||
	    (got != NULL && want != NULL && strcmp(got, want) == 0);

	ok(good, "%s", name);
	if (!good)
		printf("#   got:      [%s]\n#   expected: [%s]\n",
		    got != NULL ? got : "(null)", want != NULL ? want : "(null)");
}

static void tap_skip(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), unused));

/* A skipped test: "ok N # skip reason". */
static void
tap_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vline("ok %d # skip ", fmt, ap);
	va_end(ap);
}

/* A write callback appending to the struct strbuf ctx. */
static __attribute__((unused)) void
tap_sb_write(void *ctx, const void *p, size_t n)
{
	sb_add(ctx, p, n);
}

/* Counts a failure that has no test line of its own (a setup step). */
static __attribute__((unused)) void
tap_fail(void)
{
	tap_nfail++;
}

/* The plan line; the process exit code (0 when every test passed). */
static __attribute__((unused)) int
tap_done(void)
{
	printf("1..%d\n", tap_ntest);
	return tap_nfail != 0;
}

/*
 * A read source over a buffer handing out at most step bytes per call
 * (step 0: no limit), with the ent_read_fn signature.
 */
struct tap_src {
	const char	*p;
	size_t		 n, off, step;
};

static __attribute__((unused)) ssize_t
tap_src_read(void *ctx, void *buf, size_t n)
{
	struct tap_src *s = ctx;
	size_t k = s->n - s->off;

	if (k > n)
		k = n;
	if (s->step != 0 && k > s->step)
		k = s->step;
	if (k > 0)
		memcpy(buf, s->p + s->off, k);
	s->off += k;
	return (ssize_t)k;
}

#endif
