/*
 * csv.h - RFC 4180 CSV reader for the user lists admins really have.
 *
 * Owns: reading CSV as exported by admin.atlassian.com, spreadsheets and
 * scripts: optional UTF-8 BOM, CRLF or LF, quoted fields with "" escapes
 * and embedded newlines, a header row matched case-insensitively with
 * surrounding whitespace ignored.  Every field and record is bounded.
 */
#ifndef SP_CSV_H
#define SP_CSV_H

#include <stdio.h>
#include <stddef.h>

struct csv;

/* Opens path ("-" is not allowed: stdin carries the package).  NULL on
 * error, with errno set (EINVAL for "-"); nothing is printed. */
struct csv	*csv_open(const char *path);
/* Next record: returns number of fields (>=1), 0 at EOF, -1 on error
 * (nothing printed: csv_error() has the message, csv_die() prints it as
 * the refusal's one line).  Fields valid until next call, each
 * NUL-terminated at its length.  Blank lines are skipped.  A NUL byte in
 * a field is an error (a CSV file is text; silently cutting the field at
 * the NUL would change its meaning), as are a field over 64 KiB, a record
 * over 16 MiB or 4096 fields, an unterminated quoted field and text
 * after a closing quote.  Errors are sticky. */
int		 csv_next(struct csv *, char ***fields, size_t **lens);
/* After -1: the message (lowercase, one line; owned by c) and its line. */
const char	*csv_error(const struct csv *, long *line);
/* Print "prog: path:line: message" for the error and die (exit 1). */
void		 csv_die(const struct csv *) __attribute__((noreturn));
long		 csv_line(const struct csv *);	/* line where the record began */
const char	*csv_path(const struct csv *);
void		 csv_close(struct csv *);
/* Index of a header name in a header record (case-insensitive, trimmed),
 * trying each alternative in the NULL-terminated list; -1 if none. */
int		 csv_find(char **hdr, size_t nhdr, const char *const *names);

#endif
