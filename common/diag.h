/*
 * diag.h - diagnostics, exit codes and checked allocation.
 *
 * Owns: the program name, the one-line diagnostic format
 *   "spaceport-extract: entities.xml:1234: message"  (lowercase, to stderr),
 * the exit codes, and allocation that dies cleanly on exhaustion.
 * stdout is for data only; nothing here ever writes to it.
 */
#ifndef SP_DIAG_H
#define SP_DIAG_H

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
const char	*diag_prog(void);

/* "prog: file:line: msg" ; file may be NULL, line <= 0 omits it. */
void	 diag_warn(const char *file, long line, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	 diag_vwarn(const char *file, long line, const char *fmt, va_list ap);
/* Prints like diag_warn, runs the cleanup hooks, exits with code. */
void	 diag_die(int code, const char *file, long line, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5), noreturn));

/* Cleanup hooks run by diag_die (and by signal exits): remove temp files. */
void	 diag_atexit(void (*fn)(void *), void *arg);
void	 diag_cancel(void (*fn)(void *), void *arg);
void	 diag_run_cleanup(void);
/* Close stdout and check it (a full disk, a closed pipe): returns code,
 * or SP_EXIT_FAIL with a diagnostic if the close failed.  Every exit path
 * that wrote to stdout (--help, --version, data) ends with it. */
int	 diag_close_stdout(int code);
/* A library's error text in our style: first letter lowercased (unless
 * it starts an acronym), copied into buf. */
const char *diag_lib_msg(const char *msg, char *buf, size_t size);

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);

#endif
