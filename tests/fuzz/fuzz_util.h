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

/* Occurrences of pat in s[0..n), overlapping ones included. */
static inline size_t
fuzz_count(const char *s, size_t n, const char *pat)
{
	size_t k = 0, m = strlen(pat);
	const char *p = s, *e = s + n, *h;

	while (p < e && (h = memmem(p, (size_t)(e - p), pat, m)) != NULL) {
		k++;
		p = h + 1;
	}
	return k;
}

/*
 * Catching diag_die() for code that dies on refusal (zipin_open,
 * pkg_open, the relations and users.tsv readers).  libFuzzer counts an
 * exit() as a crash, so the harness registers a cleanup hook (diag.h)
 * that longjmp()s back into the harness:
 *
 *	if (FUZZ_TRY()) {
 *		... code that may die ...
 *		fuzz_try_end();
 *	} else
 *		... it died (the refusal was printed) ...
 *
 * The code that died leaves behind what it allocated and opened (an
 * archive with a 256 KiB block, a database, descriptors), which would
 * exhaust memory and descriptors in a long run: under ASan, every
 * allocation made inside FUZZ_TRY is tracked through the sanitizer's
 * malloc hooks and freed after a die, and every descriptor opened since
 * is closed.  Library globals initialised lazily must be set up before
 * (fuzz_try_init's warm-up argument) so that they are not freed.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FUZZ_HAVE_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(FUZZ_HAVE_ASAN)
#define FUZZ_HAVE_ASAN 1
#endif

#ifdef FUZZ_HAVE_ASAN
/* From <sanitizer/allocator_interface.h>, which gcc does not install. */
int __sanitizer_install_malloc_and_free_hooks(
    void (*)(const volatile void *, size_t), void (*)(const volatile void *));
#endif

#define FUZZ_TRACK_SLOTS (1u << 17)
#define FUZZ_TOMB ((const volatile void *)1)
static struct {
	jmp_buf		 jb;
	int		 tracking, overflow, inited;
	size_t		 n;
	const volatile void *slot[FUZZ_TRACK_SLOTS];
	unsigned char	 fdopen[256];	/* open when FUZZ_TRY began */
} fuzz_try_state;

static inline size_t
fuzz_slot_of(const volatile void *p)
{
	uintptr_t h = (uintptr_t)p;

	h ^= h >> 17;
	h *= 0x9e3779b97f4a7c15ULL;
	return (size_t)(h >> 40) & (FUZZ_TRACK_SLOTS - 1);
}

static void
fuzz_malloc_hook(const volatile void *p, size_t n)
{
	size_t i, k;

	(void)n;
	if (!fuzz_try_state.tracking || p == NULL)
		return;
	if (fuzz_try_state.n >= FUZZ_TRACK_SLOTS / 2) {
		fuzz_try_state.overflow = 1;
		return;
	}
	for (i = fuzz_slot_of(p), k = 0; k < FUZZ_TRACK_SLOTS;
	    i = (i + 1) & (FUZZ_TRACK_SLOTS - 1), k++)
		if (fuzz_try_state.slot[i] == NULL ||
		    fuzz_try_state.slot[i] == FUZZ_TOMB) {
			fuzz_try_state.slot[i] = p;
			fuzz_try_state.n++;
			return;
		}
}

static void
fuzz_free_hook(const volatile void *p)
{
	size_t i, k;

	if (!fuzz_try_state.tracking || p == NULL)
		return;
	for (i = fuzz_slot_of(p), k = 0; k < FUZZ_TRACK_SLOTS &&
	    fuzz_try_state.slot[i] != NULL;
	    i = (i + 1) & (FUZZ_TRACK_SLOTS - 1), k++)
		if (fuzz_try_state.slot[i] == p) {
			fuzz_try_state.slot[i] = FUZZ_TOMB;
			fuzz_try_state.n--;
			return;
		}
}

/* Once, before the first FUZZ_TRY: install the hooks. */
static inline void
fuzz_try_init(void)
{
	if (fuzz_try_state.inited)
		return;
	fuzz_try_state.inited = 1;
	/* glibc's tzset() frees and reallocates its copy of TZ on every
	 * call (mktime, from libarchive) while TZ is unset: set it */
	setenv("TZ", "UTC", 1);
	tzset();
#ifdef FUZZ_HAVE_ASAN
	__sanitizer_install_malloc_and_free_hooks(fuzz_malloc_hook,
	    fuzz_free_hook);
#endif
}

static void
fuzz_die_hook(void *arg)
{
	(void)arg;
	longjmp(fuzz_try_state.jb, 1);
}

static inline void
fuzz_try_begin(void)
{
	int fd;

	fuzz_try_init();
	/* descriptors open now stay open (the sanitizer's symbolizer pipe
	 * among them); those opened after are the dead code's */
	for (fd = 0; fd < 256; fd++)
		fuzz_try_state.fdopen[fd] = fcntl(fd, F_GETFD) != -1;
	memset((void *)fuzz_try_state.slot, 0, sizeof(fuzz_try_state.slot));
	fuzz_try_state.n = 0;
	fuzz_try_state.overflow = 0;
	diag_atexit(fuzz_die_hook, NULL);
	fuzz_try_state.tracking = 1;
}

/* The code returned: keep what it allocated (the harness frees it). */
static inline void
fuzz_try_end(void)
{
	fuzz_try_state.tracking = 0;
	diag_cancel(fuzz_die_hook, NULL);
}

/* After a die: free what the dead code allocated, close what it opened. */
static inline void
fuzz_try_died(void)
{
	size_t i;
	int fd;

	fuzz_try_state.tracking = 0;
	if (!fuzz_try_state.overflow)
		for (i = 0; i < FUZZ_TRACK_SLOTS; i++)
			if (fuzz_try_state.slot[i] != NULL &&
			    fuzz_try_state.slot[i] != FUZZ_TOMB)
				free((void *)fuzz_try_state.slot[i]);
	for (fd = 3; fd < 256; fd++)
		if (!fuzz_try_state.fdopen[fd])
			(void)close(fd);
	diag_run_cleanup();	/* hooks registered before ours, if any */
}

/* 1 on the way in, 0 when the code died (after cleaning up). */
#define FUZZ_TRY() (fuzz_try_begin(), setjmp(fuzz_try_state.jb) == 0 ? 1 : \
	(fuzz_try_died(), 0))

#endif
