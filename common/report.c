/*
 * report.c - findings, the JSON report, the stderr summary (see report.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "io.h"
#include "report.h"
#include "strbuf.h"

#include "version.h"

struct finding {
	char	*code, *file, *subject, *msg;
	long	 line;
};

struct codecount {
	char		*code;
	uint64_t	 n;
};

struct section {
	char	*name;
	void	(*fn)(struct strbuf *, void *);
	void	*arg;
};

static struct {
	char		*program, *input;
	struct finding	*f;
	size_t		 nf;
	uint64_t	 total;
	struct codecount *cc;
	size_t		 ncc;
	struct section	*sec;
	size_t		 nsec;
	struct strbuf	 summary;
	int		 quiet;
	struct outfile	 of;		/* report_prepare()d output */
	int		 prepared;
} R;

void
report_init(const char *program, const char *input)
{
	R.program = xstrdup(program);
	R.input = xstrdup(input != NULL ? input : "<stdin>");
}

void
report_quiet(int q)
{
	R.quiet = q;
}

static struct codecount *
code_slot(const char *code)
{
	size_t i;

	for (i = 0; i < R.ncc; i++)
		if (strcmp(R.cc[i].code, code) == 0)
			return &R.cc[i];
	R.cc = xreallocarray(R.cc, R.ncc + 1, sizeof(*R.cc));
	R.cc[R.ncc].code = xstrdup(code);
	R.cc[R.ncc].n = 0;
	return &R.cc[R.ncc++];
}

void
report_finding(const char *code, const char *file, long line,
    const char *subject, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	struct codecount *c;
	va_list ap;

	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	R.total++;
	c = code_slot(code);
	c->n++;
	/* Only the first few of each code reach stderr: the summary counts the rest. */
	if (!R.quiet && c->n <= 20)
		diag_warn(file, line, "%s", sb_str(&sb));
	if (R.nf < REPORT_KEEP) {
		if ((R.nf & (R.nf - 1)) == 0)	/* 0, 1, 2, 4, ...: double */
			R.f = xreallocarray(R.f, R.nf ? R.nf * 2 : 1,
			    sizeof(*R.f));
		R.f[R.nf].code = xstrdup(code);
		R.f[R.nf].file = file != NULL ? xstrdup(file) : NULL;
		R.f[R.nf].subject = subject != NULL ? xstrdup(subject) : NULL;
		R.f[R.nf].line = line;
		R.f[R.nf].msg = sb_detach(&sb);
		R.nf++;
	}
	sb_free(&sb);
}

uint64_t
report_count(void)
{
	return R.total;
}


void
report_section(const char *name, void (*fn)(struct strbuf *, void *), void *arg)
{
	R.sec = xreallocarray(R.sec, R.nsec + 1, sizeof(*R.sec));
	R.sec[R.nsec].name = xstrdup(name);
	R.sec[R.nsec].fn = fn;
	R.sec[R.nsec].arg = arg;
	R.nsec++;
}

void
json_strn(struct strbuf *sb, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, k;
	unsigned long cp;
	unsigned char c;

	sb_addc(sb, '"');
	for (i = 0; i < n; i++) {
		c = u[i];
		switch (c) {
		case '"': sb_adds(sb, "\\\""); break;
		case '\\': sb_adds(sb, "\\\\"); break;
		case '\n': sb_adds(sb, "\\n"); break;
		case '\r': sb_adds(sb, "\\r"); break;
		case '\t': sb_adds(sb, "\\t"); break;
		default:
			if (c < 0x20 || c == 0x7f)
				sb_addf(sb, "\\u%04x", c);
			else if (c < 0x80)
				sb_addc(sb, c);
			else if ((k = diag_utf8_len(s + i, n - i, &cp)) > 0) {
				sb_add(sb, s + i, k);
				i += k - 1;
			} else
				/* not UTF-8: U+FFFD, one per byte (RFC 8259
				 * wants UTF-8; docs/report-format.md) */
				sb_adds(sb, "\\ufffd");
		}
	}
	sb_addc(sb, '"');
}

void
json_str(struct strbuf *sb, const char *s)
{
	if (s == NULL)
		sb_adds(sb, "null");
	else
		json_strn(sb, s, strlen(s));
}

void
json_u64(struct strbuf *sb, uint64_t v)
{
	sb_addf(sb, "%" PRIu64, v);
}

static void
format_json(struct strbuf *sb)
{
	size_t i;

	sb_adds(sb, "{\n  \"program\": ");
	json_str(sb, R.program);
	sb_adds(sb, ",\n  \"version\": ");
	json_str(sb, SPACEPORT_VERSION);
	sb_adds(sb, ",\n  \"input\": ");
	json_str(sb, R.input);
	sb_adds(sb, ",\n  \"status\": ");
	json_str(sb, R.total > 0 ? "findings" : "ok");
	sb_adds(sb, ",\n  \"findings_total\": ");
	json_u64(sb, R.total);
	sb_adds(sb, ",\n  \"findings_by_code\": {");
	for (i = 0; i < R.ncc; i++) {
		sb_adds(sb, i ? ", " : "");
		json_str(sb, R.cc[i].code);
		sb_adds(sb, ": ");
		json_u64(sb, R.cc[i].n);
	}
	sb_adds(sb, "},\n  \"findings\": [");
	for (i = 0; i < R.nf; i++) {
		sb_adds(sb, i ? ",\n    " : "\n    ");
		sb_adds(sb, "{\"code\": ");
		json_str(sb, R.f[i].code);
		sb_adds(sb, ", \"file\": ");
		json_str(sb, R.f[i].file);
		sb_adds(sb, ", \"line\": ");
		if (R.f[i].line > 0)
			sb_addf(sb, "%ld", R.f[i].line);
		else
			sb_adds(sb, "null");
		sb_adds(sb, ", \"subject\": ");
		json_str(sb, R.f[i].subject);
		sb_adds(sb, ", \"message\": ");
		json_str(sb, R.f[i].msg);
		sb_addc(sb, '}');
	}
	sb_adds(sb, R.nf ? "\n  ],\n" : "],\n");
	sb_adds(sb, "  \"findings_truncated\": ");
	sb_adds(sb, R.total > R.nf ? "true" : "false");
	for (i = 0; i < R.nsec; i++) {
		sb_adds(sb, ",\n  ");
		json_str(sb, R.sec[i].name);
		sb_adds(sb, ": ");
		R.sec[i].fn(sb, R.sec[i].arg);
	}
	sb_adds(sb, "\n}\n");
}

void
report_prepare(const char *path)
{
	if (R.prepared)
		diag_die(SP_EXIT_FAIL, path, 0, "internal error: report "
		    "prepared twice");
	outfile_open(&R.of, path);
	R.prepared = 1;
}

void
report_write(const char *path)
{
	struct strbuf sb = STRBUF_INIT;

	format_json(&sb);
	if (!R.prepared)
		report_prepare(path);
	io_write_all(R.of.fd, sb.buf, sb.len, path);
	outfile_commit(&R.of);
	R.prepared = 0;
	sb_free(&sb);
}

void
report_summary_line(const char *label, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	char *vis;

	/* Values quote the input (a space key, a writer): escaped like
	 * every diagnostic. */
	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	vis = xmalloc(4 * sb.len + 1);
	sb_addf(&R.summary, "  %-28s %s\n", label, diag_vis(vis, 4 * sb.len + 1,
	    sb_str(&sb)));
	free(vis);
	sb_free(&sb);
}

void
report_print_summary(FILE *fp)
{
	size_t i, n = 4 * strlen(R.input) + 1;
	char *vis = xmalloc(n);

	fprintf(fp, "%s: summary of %s\n", R.program,
	    diag_vis(vis, n, R.input));
	free(vis);
	fputs(sb_str(&R.summary), fp);
	if (R.total == 0) {
		fprintf(fp, "  %-28s none\n", "findings:");
		return;
	}
	fprintf(fp, "  %-28s %" PRIu64 "\n", "findings:", R.total);
	for (i = 0; i < R.ncc; i++)
		fprintf(fp, "    %-26s %" PRIu64 "\n", R.cc[i].code, R.cc[i].n);
}

void
report_free(void)
{
	size_t i;

	for (i = 0; i < R.nf; i++) {
		free(R.f[i].code);
		free(R.f[i].file);
		free(R.f[i].subject);
		free(R.f[i].msg);
	}
	for (i = 0; i < R.ncc; i++)
		free(R.cc[i].code);
	for (i = 0; i < R.nsec; i++)
		free(R.sec[i].name);
	free(R.f);
	free(R.cc);
	free(R.sec);
	free(R.program);
	free(R.input);
	sb_free(&R.summary);
	memset(&R, 0, sizeof(R));
}

void
report_each(void (*fn)(void *, const char *, const char *, long, const char *,
    const char *), void *arg)
{
	size_t i;

	for (i = 0; i < R.nf; i++)
		fn(arg, R.f[i].code, R.f[i].file, R.f[i].line, R.f[i].subject,
		    R.f[i].msg);
}
