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

/* Starts the report: program and input (copied) head the JSON and the
 * summary.  Called once, by fe_ready(). */
void	 report_init(const char *program, const char *input);
/* code: stable lowercase-dashed id ("attachment-missing").  subject: what
 * it is about (a member name, a user key) or NULL. file/line may be NULL/0.
 * Also printed to stderr as a warning unless report_quiet(1). */
void	 report_finding(const char *code, const char *file, long line,
	    const char *subject, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));
/* Nonzero: findings are not echoed to stderr (still counted, kept). */
void	 report_quiet(int);
/* Findings so far, all codes, kept or not. */
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
/* Prints that summary (input text escaped with diag_vis) to fp. */
void	 report_print_summary(FILE *fp);
/* Frees everything; report_init may start again. */
void	 report_free(void);
/* Call fn for every kept finding, in order. */
void	 report_each(void (*fn)(void *arg, const char *code, const char *file,
	    long line, const char *subject, const char *msg), void *arg);

/*
 * JSON writing helpers, appending to sb.  json_strn appends s[0..n) as a
 * quoted JSON string that is always valid UTF-8: valid sequences kept,
 * each other byte \ufffd, controls \uXXXX (docs/report-format.md).
 * json_str: the same for a C string, NULL -> null.  json_u64: a number.
 */
void	 json_str(struct strbuf *sb, const char *s);
void	 json_strn(struct strbuf *sb, const char *s, size_t n);
void	 json_u64(struct strbuf *sb, uint64_t);

#endif
