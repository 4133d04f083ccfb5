/*
 * fuzz_util.h - small helpers shared by the libFuzzer harnesses.
 *
 * A harness checks a property and calls FUZZ_CHECK(cond, ...) which prints
 * what went wrong and abort()s, so libFuzzer records the input as a crash.
 */
#ifndef SP_FUZZ_UTIL_H
#define SP_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(cond, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "FUZZ CHECK FAILED %s:%d: %s: ",	\
		    __FILE__, __LINE__, #cond);				\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		abort();						\
	}								\
} while (0)

/* FNV-1a: a deterministic seed derived from the input itself, so that a
 * crashing input reproduces exactly (no global state, no time). */
static inline uint64_t
fuzz_hash(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h ^ n;
}

/* xorshift64*: chunk sizes and other choices. */
static inline uint64_t
fuzz_rand(uint64_t *s)
{
	uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ULL;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* Random read size: mostly tiny (1..8), sometimes medium, sometimes large,
 * so that reads straddle every kind of token boundary. */
static inline size_t
fuzz_step(uint64_t *s)
{
	uint64_t r = fuzz_rand(s);

	switch (r & 3) {
	case 0:
	case 1:
		return 1 + (size_t)((r >> 8) % 8);
	case 2:
		return 1 + (size_t)((r >> 8) % 300);
	default:
		return 1 + (size_t)((r >> 8) % 70000);
	}
}

static inline const void *
fuzz_memmem(const void *h, size_t hn, const void *n, size_t nn)
{
	const char *p = h, *e = p + hn;

	if (nn == 0)
		return h;
	for (; (size_t)(e - p) >= nn; p++)
		if (*p == *(const char *)n && memcmp(p, n, nn) == 0)
			return p;
	return NULL;
}

/*
 * Known, reported bugs a long run may step over so that it can find the
 * next one: SP_FUZZ_KNOWN="id1,id2" in the environment (see README.md).
 * Without it every check is strict, so the saved reproducers fail until
 * the bug is fixed.
 */
static inline int
fuzz_known(const char *id)
{
	const char *e = getenv("SP_FUZZ_KNOWN");

	return e != NULL && strstr(e, id) != NULL;
}

#endif
