/*
 * diag.c - diagnostics, cleanup hooks and checked allocation.
 */
#include <errno.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <ctype.h>
#include <string.h>

#include "diag.h"
#include "progress.h"

static const char *prog = "spaceport";

#define MAXHOOKS 16
static struct {
	void	(*fn)(void *);
	void	*arg;
} hooks[MAXHOOKS];
static int nhooks;

void
diag_setprog(const char *argv0)
{
	const char *p = strrchr(argv0, '/');

	prog = p != NULL ? p + 1 : argv0;
	if (setlocale(LC_CTYPE, "C.UTF-8") == NULL)
		(void)setlocale(LC_CTYPE, "C");
}

const char *
diag_prog(void)
{
	return prog;
}

void
diag_vwarn(const char *file, long line, const char *fmt, va_list ap)
{
	char msg[2048];

	/* Build the line first so it reaches stderr in one write. */
	vsnprintf(msg, sizeof(msg), fmt, ap);
	progress_clear();
	if (file != NULL && line > 0)
		fprintf(stderr, "%s: %s:%ld: %s\n", prog, file, line, msg);
	else if (file != NULL)
		fprintf(stderr, "%s: %s: %s\n", prog, file, msg);
	else
		fprintf(stderr, "%s: %s\n", prog, msg);
}

void
diag_warn(const char *file, long line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vwarn(file, line, fmt, ap);
	va_end(ap);
}

void
diag_die(int code, const char *file, long line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vwarn(file, line, fmt, ap);
	va_end(ap);
	diag_run_cleanup();
	exit(code);
}

void
diag_atexit(void (*fn)(void *), void *arg)
{
	if (nhooks == MAXHOOKS)
		diag_die(SP_EXIT_FAIL, NULL, 0, "too many cleanup hooks");
	hooks[nhooks].fn = fn;
	hooks[nhooks].arg = arg;
	nhooks++;
}

void
diag_cancel(void (*fn)(void *), void *arg)
{
	int i;

	for (i = 0; i < nhooks; i++)
		if (hooks[i].fn == fn && hooks[i].arg == arg) {
			memmove(&hooks[i], &hooks[i + 1],
			    (nhooks - i - 1) * sizeof(hooks[0]));
			nhooks--;
			return;
		}
}

void
diag_run_cleanup(void)
{
	/* Last registered first; each hook runs once. */
	while (nhooks > 0) {
		nhooks--;
		hooks[nhooks].fn(hooks[nhooks].arg);
	}
}

static void
oom(void)
{
	diag_die(SP_EXIT_FAIL, NULL, 0, "out of memory");
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		oom();
	return q;
}

void *
xreallocarray(void *p, size_t n, size_t sz)
{
	if (sz != 0 && n > (size_t)-1 / sz)
		oom();
	return xrealloc(p, n * sz);
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

const char *
diag_lib_msg(const char *msg, char *buf, size_t size)
{
	if (msg == NULL)
		msg = "unknown error";
	snprintf(buf, size, "%s", msg);
	if (isupper((unsigned char)buf[0]) && !isupper((unsigned char)buf[1]))
		buf[0] = (char)tolower((unsigned char)buf[0]);
	return buf;
}

int
diag_close_stdout(int code)
{
	/* EBADF: fd 1 was already closed (and checked) by the writer. */
	if (fclose(stdout) != 0 && errno != EBADF) {
		diag_warn("<stdout>", 0, "write failed: %s", strerror(errno));
		return SP_EXIT_FAIL;
	}
	return code;
}
