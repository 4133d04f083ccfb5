/*
 * report.h - findings, the JSON report and the stderr summary.
 *
 * Owns: how every program tells the user what it found.  A finding is
 * something wrong with the INPUT that the program could work around
 * (a missing attachment file, an unmapped user...).  Failures (bad usage,
 * unreadable or unsafe input) are not findings: they die.
 * Memory is bounded: the first REPORT_KEEP findings are kept in detail,
 * the rest only counted per code.
 *
 * JSON shape (stable, documented in docs/report-format.md):
 * { "program": "...", "version": "...", "input": "...",
 *   "status": "ok" | "findings",
 *   "findings_total": N, "findings_by_code": { code: N, ... },
 *   "findings": [ { "code": "...", "file": "...", "line": N,
 *                   "subject": "...", "message": "..." }, ... ],
 *   "findings_truncated": bool,
 *   <sections added with report_section()> }
 */
#ifndef SP_REPORT_H
#define SP_REPORT_H

#include <stdint.h>
#include <stdio.h>

#define REPORT_KEEP 10000

struct strbuf;

void	 report_init(const char *program, const char *input);
/* code: stable lowercase-dashed id ("attachment-missing").  subject: what
 * it is about (a member name, a user key) or NULL. file/line may be NULL/0.
 * Also printed to stderr as a warning unless report_quiet(1). */
void	 report_finding(const char *code, const char *file, long line,
	    const char *subject, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));
void	 report_quiet(int);
uint64_t report_count(void);

/* Extra top-level JSON members: the callback appends JSON text for the
 * value (an object) to sb.  Called at report_write time in order added. */
void	 report_section(const char *name, void (*fn)(struct strbuf *, void *), void *arg);

/* Creates the report's temporary file beside path now (an outfile, see
 * io.h), so that an unwritable path fails the run before any other
 * output exists.  Dies on error.  Optional: report_write() prepares
 * itself when this was not called. */
void	 report_prepare(const char *path);
/* Write the JSON report to path (the prepared temporary, or a new one;
 * then fsync + rename).  Dies on error. */
void	 report_write(const char *path);
/* The one-screen summary on stderr: title line, then "  label: value" lines
 * added with report_summary_line, then findings by code. */
void	 report_summary_line(const char *label, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	 report_print_summary(FILE *);
void	 report_free(void);
/* Call fn for every kept finding, in order. */
void	 report_each(void (*fn)(void *arg, const char *code, const char *file,
	    long line, const char *subject, const char *msg), void *arg);

/* JSON writing helpers (append to a strbuf). */
void	 json_str(struct strbuf *, const char *s);		/* quoted, escaped; NULL -> null */
void	 json_strn(struct strbuf *, const char *s, size_t n);
void	 json_u64(struct strbuf *, uint64_t);

#endif
