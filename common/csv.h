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

/* Opens path ("-" is not allowed: stdin carries the package).  NULL and a
 * diagnostic on error. */
struct csv	*csv_open(const char *path);
/* Next record: returns number of fields (>=1), 0 at EOF, -1 on error
 * (diagnostic "prog: path:line: message" printed).  Fields valid until next
 * call.  Blank lines are skipped. */
int		 csv_next(struct csv *, char ***fields, size_t **lens);
long		 csv_line(const struct csv *);	/* line where the record began */
const char	*csv_path(const struct csv *);
void		 csv_close(struct csv *);
/* Index of a header name in a header record (case-insensitive, trimmed),
 * trying each alternative in the NULL-terminated list; -1 if none. */
int		 csv_find(char **hdr, size_t nhdr, const char *const *names);

#endif
