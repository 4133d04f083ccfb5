/*
 * diag.c - diagnostics, cleanup hooks and checked allocation.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <ctype.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "xmltext.h"
#include "progress.h"

static const char *prog = "spaceport";

#define MAXHOOKS 16
/*
 * The hooks, and for each the temporary path a signal removes.  The
 * paths are copied in (the owner may free its own copy at any time), and
 * the table only changes with the fatal signals blocked, so the handler
 * always sees a consistent table and never touches freed memory.
 */
static struct {
	void	(*fn)(void *);
	void	*arg;
	int	 isdir;
	char	 path[PATH_MAX];	/* "" when the hook has no path */
} hooks[MAXHOOKS];
static volatile sig_atomic_t nhooks;

static const int fatal_signals[] = { SIGHUP, SIGINT, SIGPIPE, SIGTERM };
#define NFATAL (sizeof(fatal_signals) / sizeof(fatal_signals[0]))

static void
block_fatal(sigset_t *old)
{
	sigset_t set;
	size_t i;

	sigemptyset(&set);
	for (i = 0; i < NFATAL; i++)
		sigaddset(&set, fatal_signals[i]);
	sigprocmask(SIG_BLOCK, &set, old);
}

static void
unblock_fatal(const sigset_t *old)
{
	sigprocmask(SIG_SETMASK, old, NULL);
}

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
	char msg[2048], vmsg[4 * sizeof(msg)], vfile[4 * PATH_MAX];

	/* Build the line first so it reaches stderr in one write. */
	vsnprintf(msg, sizeof(msg), fmt, ap);
	progress_clear();
	diag_vis(vmsg, sizeof(vmsg), msg);
	if (file != NULL)
		diag_vis(vfile, sizeof(vfile), file);
	if (file != NULL && line > 0)
		fprintf(stderr, "%s: %s:%ld: %s\n", prog, vfile, line, vmsg);
	else if (file != NULL)
		fprintf(stderr, "%s: %s: %s\n", prog, vfile, vmsg);
	else
		fprintf(stderr, "%s: %s\n", prog, vmsg);
}

size_t
diag_utf8_len(const char *s, size_t n, unsigned long *cp)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned long c;
	int len, i;

	/* Which sequences are valid is the XML-text toolkit's rule. */
	if (n == 0 || (len = xt_utf8_seq(p, n)) <= 0)
		return 0;
	c = len == 1 ? p[0] : p[0] & (0xffu >> (len + 1));
	for (i = 1; i < len; i++)
		c = c << 6 | (p[i] & 0x3f);
	*cp = c;
	return (size_t)len;
}

char *
diag_vis(char *dst, size_t size, const char *src)
{
	const unsigned char *p = (const unsigned char *)src;
	char esc[8];
	size_t o = 0, n, k, i, left = strlen(src);
	unsigned long cp = 0;

	while (*p != '\0') {
		n = diag_utf8_len((const char *)p, left, &cp);
		if (n == 0 || cp < 0x20 || cp == 0x7f || cp == '\\' ||
		    (cp >= 0x80 && cp <= 0x9f) ||
		    (cp >= 0x202a && cp <= 0x202e) ||
		    (cp >= 0x2066 && cp <= 0x2069)) {
			if (n == 0)
				n = 1;
			k = 0;
			for (i = 0; i < n; i++) {
				if (p[i] == '\\')
					k += (size_t)snprintf(esc + k,
					    sizeof(esc) - k, "\\\\");
				else if (p[i] == '\n')
					k += (size_t)snprintf(esc + k,
					    sizeof(esc) - k, "\\n");
				else if (p[i] == '\t')
					k += (size_t)snprintf(esc + k,
					    sizeof(esc) - k, "\\t");
				else if (p[i] == '\r')
					k += (size_t)snprintf(esc + k,
					    sizeof(esc) - k, "\\r");
				else
					k += (size_t)snprintf(esc + k,
					    sizeof(esc) - k, "\\%03o", p[i]);
				if (o + k >= size)
					goto out;
				memcpy(dst + o, esc, k);
				o += k;
				k = 0;
			}
		} else {
			if (o + n >= size)
				goto out;
			memcpy(dst + o, p, n);
			o += n;
		}
		p += n;
		left -= n;
	}
out:
	dst[o] = '\0';
	return dst;
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

static void
add_hook(void (*fn)(void *), void *arg, const char *path, int isdir)
{
	sigset_t old;
	int i;

	if (nhooks == MAXHOOKS)
		diag_die(SP_EXIT_FAIL, NULL, 0, "too many cleanup hooks");
	if (path != NULL && strlen(path) >= sizeof(hooks[0].path))
		diag_die(SP_EXIT_FAIL, NULL, 0, "temporary path too long");
	block_fatal(&old);
	i = nhooks;
	hooks[i].fn = fn;
	hooks[i].arg = arg;
	hooks[i].isdir = isdir;
	snprintf(hooks[i].path, sizeof(hooks[i].path), "%s",
	    path != NULL ? path : "");
	nhooks = i + 1;
	unblock_fatal(&old);
}

void
diag_atexit(void (*fn)(void *), void *arg)
{
	add_hook(fn, arg, NULL, 0);
}

void
diag_atexit_path(void (*fn)(void *), void *arg, const char *path, int isdir)
{
	add_hook(fn, arg, path, isdir);
}

void
diag_cancel(void (*fn)(void *), void *arg)
{
	sigset_t old;
	int i;

	block_fatal(&old);
	for (i = 0; i < nhooks; i++)
		if (hooks[i].fn == fn && hooks[i].arg == arg) {
			memmove(&hooks[i], &hooks[i + 1],
			    (nhooks - i - 1) * sizeof(hooks[0]));
			nhooks--;
			break;
		}
	unblock_fatal(&old);
}

void
diag_run_cleanup(void)
{
	sigset_t old;
	int i;

	/* Last registered first; each hook runs once.  A signal now would
	 * find half-removed outputs: it waits until the hooks are done (and
	 * the exit that follows ends the process with our status). */
	block_fatal(&old);
	while (nhooks > 0) {
		i = nhooks - 1;
		nhooks = i;
		hooks[i].fn(hooks[i].arg);
	}
	unblock_fatal(&old);
}

/*
 * Async-signal-safe removal of the directory open as dfd and all below
 * it: getdents64(2) and the *at(2) calls only (no opendir: it allocates).
 * Depth is bounded by the member-name rule (4096 bytes).  Closes dfd.
 */
static void
sig_empty_dir(int dfd)
{
	char buf[1024];
	ssize_t n, off;
	int removed, sub;

	do {
		removed = 0;
		if (lseek(dfd, 0, SEEK_SET) == -1)
			break;
		while ((n = getdents64(dfd, buf, sizeof(buf))) > 0) {
			for (off = 0; off < n;) {
				struct dirent64 *d = (void *)(buf + off);

				off += d->d_reclen;
				if (strcmp(d->d_name, ".") == 0 ||
				    strcmp(d->d_name, "..") == 0)
					continue;
				if (unlinkat(dfd, d->d_name, 0) == 0) {
					removed = 1;
					continue;
				}
				sub = openat(dfd, d->d_name, O_RDONLY |
				    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				if (sub == -1)
					continue;
				sig_empty_dir(sub);
				if (unlinkat(dfd, d->d_name, AT_REMOVEDIR) == 0)
					removed = 1;
			}
		}
	} while (removed);	/* entries removed while reading: read again */
	close(dfd);
}

static void
on_fatal_signal(int sig)
{
	int i, fd, saved = errno;
	sigset_t set;

	for (i = nhooks - 1; i >= 0; i--) {
		if (hooks[i].path[0] == '\0')
			continue;
		if (!hooks[i].isdir) {
			unlink(hooks[i].path);
			continue;
		}
		fd = open(hooks[i].path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (fd != -1)
			sig_empty_dir(fd);
		rmdir(hooks[i].path);
	}
	/* Die by the signal itself: the parent sees how we ended. */
	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	errno = saved;		/* not reached */
}

static sigset_t held_mask;
static int held;

void
diag_hold_signals(void)
{
	sigset_t old;

	block_fatal(&old);
	if (held++ == 0)
		held_mask = old;
}

void
diag_release_signals(void)
{
	if (held > 0 && --held == 0)
		unblock_fatal(&held_mask);
}

int
diag_thread_create(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t old;
	int rc;

	block_fatal(&old);	/* inherited by the new thread */
	rc = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

void
diag_catch_signals(void)
{
	struct sigaction sa, old;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal_signal;
	/* One cleanup at a time: the other fatal signals wait. */
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < NFATAL; i++)
		sigaddset(&sa.sa_mask, fatal_signals[i]);
	for (i = 0; i < NFATAL; i++) {
		if (sigaction(fatal_signals[i], NULL, &old) == 0 &&
		    old.sa_handler == SIG_IGN)
			continue;
		sigaction(fatal_signals[i], &sa, NULL);
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
		diag_warn("<stdout>", 0, "write error: %s", strerror(errno));
		return SP_EXIT_FAIL;
	}
	return code;
}
