/*
 * diag.h - diagnostics, exit codes and checked allocation.
 *
 * Owns: the program name, the one-line diagnostic format
 *   "spaceport-extract: entities.xml:1234: message"  (lowercase, to stderr),
 * the escaping of input text in it (diag_vis), the exit codes, the
 * cleanup of temporary outputs on a failure or a fatal signal (the hooks
 * and the signal handler), and allocation that dies cleanly on
 * exhaustion.  stdout is for data only; nothing here ever writes to it.
 */
#ifndef SP_DIAG_H
#define SP_DIAG_H

#include <pthread.h>
#include <stddef.h>
#include <stdarg.h>

enum {
	SP_EXIT_OK = 0,		/* success, or findings without --strict */
	SP_EXIT_FAIL = 1,	/* failure, or findings under --strict */
	SP_EXIT_USAGE = 2	/* bad command line */
};

/* First call of every main(): sets the program name, and LC_CTYPE to
 * C.UTF-8 (only LC_CTYPE: collation and number formats stay "C"), so that
 * libarchive treats member names as the UTF-8 they are, whatever locale
 * the user runs in; output never depends on the locale. */
void		 diag_setprog(const char *argv0);
/* The name set by diag_setprog (static storage; "spaceport" before). */
const char	*diag_prog(void);

/*
 * "prog: file:line: msg" on stderr in one write; file may be NULL, line
 * <= 0 omits it.  file and msg are escaped with diag_vis(): a message may
 * quote input text (member names, CSV fields), and none of it can break
 * the one-line rule or reach the terminal as a control sequence.
 */
void	 diag_warn(const char *file, long line, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* diag_warn with a va_list. */
void	 diag_vwarn(const char *file, long line, const char *fmt, va_list ap);
/* Prints like diag_warn, runs the cleanup hooks, exits with code. */
void	 diag_die(int code, const char *file, long line, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5), noreturn));

/*
 * Cleanup hooks: fn(arg) is run by diag_die() and diag_run_cleanup(),
 * last registered first, each once.  At most 16 hooks; registering a
 * 17th dies.  diag_cancel() removes the hook registered with the same
 * fn and arg (a no-op if there is none).
 */
void	 diag_atexit(void (*fn)(void *), void *arg);
/*
 * The same, for a hook that removes a temporary output at path: path
 * (copied, at most PATH_MAX bytes) is also what a fatal signal removes
 * (see diag_catch_signals), with unlink(2), or for isdir, with
 * everything below it.  diag_cancel() forgets the path with the hook.
 */
void	 diag_atexit_path(void (*fn)(void *), void *arg, const char *path,
	    int isdir);
void	 diag_cancel(void (*fn)(void *), void *arg);
/* Runs and removes every hook (signals held off meanwhile). */
void	 diag_run_cleanup(void);
/*
 * Installs the handler for SIGINT, SIGTERM, SIGHUP and SIGPIPE (called
 * once, by fe_start, before any output exists).  The handler is
 * async-signal-safe: it only unlinks the precomputed paths of
 * diag_atexit_path (and empties and removes the directories among them
 * with openat/getdents64/unlinkat/rmdir), then restores the default
 * action and re-raises the signal, so the process dies BY that signal:
 * a shell reports exit status 128+N (130 for SIGINT, 143 for SIGTERM,
 * 129 for SIGHUP, 141 for SIGPIPE).  A signal that was ignored when the
 * program started (nohup, a shell's background job) stays ignored.
 */
void	 diag_catch_signals(void);
/*
 * Holds the fatal signals off (they stay pending) until the matching
 * diag_release_signals(); pairs nest.  For the few steps that must not
 * be cut in two, such as moving an old output aside and the new one in.
 */
void	 diag_hold_signals(void);
void	 diag_release_signals(void);
/*
 * pthread_create for a worker thread that never takes a fatal signal (it
 * starts with them blocked): the main thread alone runs the handler, so
 * diag_hold_signals() there holds them off for the whole process.  0, or
 * pthread_create's error.
 */
int	 diag_thread_create(pthread_t *, void *(*fn)(void *), void *arg);
/* Close stdout and check it (a full disk, a closed pipe): returns code,
 * or SP_EXIT_FAIL with a diagnostic if the close failed.  Every exit path
 * that wrote to stdout (--help, --version, data) ends with it. */
int	 diag_close_stdout(int code);
/* A library's error text in our style: first letter lowercased (unless
 * it starts an acronym), copied into buf. */
const char *diag_lib_msg(const char *msg, char *buf, size_t size);

/*
 * vis(3)-style escaping (VIS_CSTYLE | VIS_OCTAL, hand-rolled: libbsd's
 * strvis would be a new build dependency for twenty lines) of the
 * NUL-terminated src into dst (size > 0; always NUL-terminated,
 * truncated at a whole escape).  Printable ASCII and valid UTF-8 pass;
 * a backslash becomes "\\", \n \t \r their C escapes, any other
 * control character, C1 control (U+0080-U+009F), bidirectional override
 * (U+202A-U+202E, U+2066-U+2069) or invalid UTF-8 byte "\ooo" (octal, per
 * byte).  Returns dst.
 */
char	*diag_vis(char *dst, size_t size, const char *src);
/* The valid UTF-8 sequence at s (n bytes available): returns its length
 * (1-4) and sets *cp to its code point, or returns 0 if it is not one
 * (a stray continuation byte, overlong form, surrogate, above U+10FFFF,
 * truncated, n == 0).  Used wherever text leaves the program (the
 * diagnostics, the JSON report). */
size_t	 diag_utf8_len(const char *s, size_t n, unsigned long *cp);

/*
 * malloc(3) and friends that never return NULL: on exhaustion (or an
 * n * size overflow in xreallocarray) they die with "out of memory",
 * running the cleanup hooks.  A size of 0 allocates 1 byte.  The caller
 * owns and frees the result.  xstrndup copies at most n bytes and always
 * NUL-terminates.
 */
void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
void	*xreallocarray(void *, size_t n, size_t size);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t n);

#endif
