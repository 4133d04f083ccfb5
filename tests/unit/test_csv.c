/*
 * test_csv.c - unit tests for common/csv.c (TAP output).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv.h"
#include "diag.h"
#include "tap.h"
#include "strbuf.h"
#include "userref.h"

static char dir[] = "/tmp/test_csv.XXXXXX";
static char path[256], errpath[256];
static char lasterr[512];	/* "path:line: message" of dump()'s error */
static int saved_stderr = -1;

static void
write_file(const char *data, size_t n)
{
	FILE *fp;

	snprintf(path, sizeof(path), "%s/in.csv", dir);
	if ((fp = fopen(path, "wb")) == NULL ||
	    fwrite(data, 1, n, fp) != n || fclose(fp) != 0) {
		perror(path);
		exit(1);
	}
}

/* stderr to a file while a block runs; returns what was written. */
static void
err_begin(void)
{
	int fd;

	fflush(stderr);
	snprintf(errpath, sizeof(errpath), "%s/err", dir);
	saved_stderr = dup(2);
	fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 2);
	close(fd);
}

static char *
err_end(void)
{
	static char buf[4096];
	FILE *fp;
	size_t n = 0;

	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	if ((fp = fopen(errpath, "r")) != NULL) {
		n = fread(buf, 1, sizeof(buf) - 1, fp);
		fclose(fp);
	}
	buf[n] = '\0';
	return buf;
}

/*
 * Read a whole file into a dump: records separated by '\n', fields by
 * '|', each record prefixed by its line "L:"; the final status appended
 * as "=0" (EOF) or "=-1" (error).
 */
static char *
dump(const char *data, size_t n)
{
	static struct strbuf sb = STRBUF_INIT;
	struct csv *c;
	char **f;
	size_t *l, i;
	int r;

	write_file(data, n);
	sb_reset(&sb);
	if ((c = csv_open(path)) == NULL)
		return NULL;
	while ((r = csv_next(c, &f, &l)) > 0) {
		sb_addf(&sb, "%ld:", csv_line(c));
		for (i = 0; i < (size_t)r; i++) {
			if (i > 0)
				sb_addc(&sb, '|');
			sb_add(&sb, f[i], l[i]);
			if (strlen(f[i]) != l[i] && memchr(f[i], 0, l[i]) ==
			    NULL)
				sb_adds(&sb, "<BADLEN>");
		}
		sb_addc(&sb, '\n');
	}
	sb_addf(&sb, "=%d", r);
	lasterr[0] = '\0';
	if (r < 0) {
		long line = -1;
		const char *m = csv_error(c, &line);

		snprintf(lasterr, sizeof(lasterr), "%s:%ld: %s", csv_path(c),
		    line, m != NULL ? m : "(no message)");
	}
	csv_close(c);
	return sb.buf;
}

static void
cloud_export(void)
{
	static const char data[] =
	    "\xef\xbb\xbf" "email,User name,\"User id\",User status,"
	    "Added to org,Org role,Last seen in Confluence - site\r\n"
	    "\r\n"
	    "alice@example.com,\"Smith, Alice\",712020:aaaa-1111,Active,"
	    "3 Jan 2024,,\"Never accessed\"\r\n"
	    "bob@example.com,\"Bob \"\"the builder\"\"\nJones\","
	    "557058:bbbb,Inactive,,,\r\n"
	    "\n"
	    "carol@example.com,Carol,5b10ac8d82e05b22cc7d4ef5,Suspended,x,,"
	    "\r\n"
	    "dave@example.com,Dave,5b10a,Active,,,12 Feb 2025";
	const char *const want =
	    "1:email|User name|User id|User status|Added to org|Org role|"
	    "Last seen in Confluence - site\n"
	    "3:alice@example.com|Smith, Alice|712020:aaaa-1111|Active|"
	    "3 Jan 2024||Never accessed\n"
	    "4:bob@example.com|Bob \"the builder\"\nJones|557058:bbbb|"
	    "Inactive|||\n"
	    "7:carol@example.com|Carol|5b10ac8d82e05b22cc7d4ef5|Suspended|x||\n"
	    "8:dave@example.com|Dave|5b10a|Active|||12 Feb 2025\n=0";
	static const char *const idn[] = { "account id", "User ID", NULL };
	static const char *const nmn[] = { "username", " user name ", NULL };
	static const char *const non[] = { "full_name", NULL };
	static const char *const stn[] = { "user status", NULL };
	struct csv *c;
	char **f;
	size_t *l;
	int r, id, nm;

	is_str(dump(data, sizeof(data) - 1), want,
	    "cloud export: BOM, CRLF, quotes, embedded comma/newline");
	c = csv_open(path);
	r = csv_next(c, &f, &l);
	ok(r == 7, "header has 7 fields");
	id = csv_find(f, (size_t)r, idn);
	nm = csv_find(f, (size_t)r, nmn);
	ok(id == 2 && nm == 1, "csv_find: case-insensitive, trimmed, "
	    "alternatives, BOM-free first header");
	ok(csv_find(f, (size_t)r, non) == -1, "csv_find: missing -> -1");
	ok(csv_find(f, (size_t)r, stn) == 3, "csv_find: quoted header");
	r = csv_next(c, &f, &l);
	is_str(r > id ? f[id] : "", "712020:aaaa-1111", "lookup by index");
	ok(csv_line(c) == 3, "csv_line after blank line");
	is_str(csv_path(c), path, "csv_path");
	csv_close(c);
	{
		char h0[] = "\xef\xbb\xbf  Email ", h1[] = "x";
		char *hdr[] = { h1, h0 };
		static const char *const en[] = { "email", NULL };

		ok(csv_find(hdr, 2, en) == 1, "csv_find strips a stray BOM");
	}
}

static void
shapes(void)
{
	is_str(dump("", 0), "=0", "empty file");
	is_str(dump("\n\r\n\r\n  \n", 8), "=0", "only blank lines");
	is_str(dump("a,b\rc,d\r\ne,f\ng,h", 16),
	    "1:a|b\n2:c|d\n3:e|f\n4:g|h\n=0", "CR, CRLF, LF mixed, no final "
	    "newline");
	is_str(dump("a,,\n,\n\"\"\n", 9), "1:a||\n2:|\n3:\n=0",
	    "empty fields, trailing empty, quoted empty kept");
	is_str(dump("\"a\r\nb\",\"c\"\"\"\nx,y\n", 17),
	    "1:a\r\nb|c\"\n3:x|y\n=0",
	    "CRLF inside quotes kept, lines counted");
	is_str(dump("a\"b,c\n", 6), "1:a\"b|c\n=0", "bare quote in unquoted "
	    "field kept");
	{
		char want[300];

		/* A NUL would cut the field short wherever it is used as a
		 * C string: refused, with the line. */
		is_str(dump("x\na\0b,c\n", 8), "1:x\n=-1",
		    "NUL in an unquoted field is an error");
		snprintf(want, sizeof(want), "%s:2: a NUL byte in a field", path);
		ok(strncmp(lasterr, want, strlen(want)) == 0,
		    "... with path:line");
		is_str(dump("\"a\nb\0\"\n", 8), "=-1",
		    "NUL in a quoted field is an error");
		snprintf(want, sizeof(want), "%s:2: a NUL byte in a field", path);
		ok(strncmp(lasterr, want, strlen(want)) == 0,
		    "... at the NUL's line");
	}
	is_str(dump("\xef\xbb", 2), "1:\xef\xbb\n=0", "partial BOM is data");
	is_str(dump("\xef\xbb\xbf", 3), "=0", "BOM only");
}

static void
errors(void)
{
	struct strbuf sb = STRBUF_INIT;
	char want[512], *e, *d;
	size_t i;

	err_begin();
	d = dump("a,b\n\"x\"y,z\n", 11);
	e = err_end();
	is_str(e, "", "an error prints nothing (the caller's csv_die does)");
	e = lasterr;
	is_str(d, "1:a|b\n=-1", "text after closing quote is an error");
	snprintf(want, sizeof(want), "%s/in.csv:2: invalid quoting", dir);
	ok(strstr(e, want) != NULL, "... diagnostic with path:line");
	if (strstr(e, want) == NULL)
		printf("# %s", e);

	err_begin();
	d = dump("a\nb\n\"open,\nmore\nlines", 21);
	e = err_end();
	e = lasterr;
	is_str(d, "1:a\n2:b\n=-1", "unterminated quote is an error");
	snprintf(want, sizeof(want), "%s/in.csv:3: unterminated quoted field",
	    dir);
	ok(strstr(e, want) != NULL, "... reported at the opening line");

	/* 64 KiB field is fine, one more byte is not */
	sb_adds(&sb, "h\n");
	for (i = 0; i < 65536; i++)
		sb_addc(&sb, 'x');
	sb_adds(&sb, "\n\"");
	for (i = 0; i < 65537; i++)
		sb_addc(&sb, 'y');
	sb_adds(&sb, "\"\n");
	err_begin();
	d = dump(sb.buf, sb.len);
	e = err_end();
	e = lasterr;
	ok(d != NULL && strncmp(d, "1:h\n2:xxx", 9) == 0 &&
	    strcmp(d + strlen(d) - 3, "=-1") == 0,
	    "field of 65536 bytes ok, 65537 is an error");
	snprintf(want, sizeof(want), "%s/in.csv:3: field too long", dir);
	ok(strstr(e, want) != NULL, "... field too long with path:line");

	sb_reset(&sb);
	for (i = 0; i < 4095; i++)
		sb_addc(&sb, ',');
	sb_addc(&sb, '\n');
	for (i = 0; i < 4096; i++)
		sb_addc(&sb, ',');
	sb_addc(&sb, '\n');
	err_begin();
	d = dump(sb.buf, sb.len);
	e = err_end();
	e = lasterr;
	ok(d != NULL && strcmp(d + strlen(d) - 3, "=-1") == 0 &&
	    strncmp(d, "1:||", 4) == 0,
	    "4096 fields ok, 4097 is an error");
	snprintf(want, sizeof(want), "%s/in.csv:2: too many fields", dir);
	ok(strstr(e, want) != NULL, "... too many fields with path:line");

	errno = 0;
	ok(csv_open("-") == NULL && errno == EINVAL, "stdin refused (EINVAL)");
	snprintf(want, sizeof(want), "%s/nonexistent.csv", dir);
	errno = 0;
	ok(csv_open(want) == NULL && errno == ENOENT,
	    "missing file: NULL, errno ENOENT (the caller says it once)");
	sb_free(&sb);
}

/* Cloud task table (real fixture excerpt) -> bodies -> userref. */
static int
tcb(void *ctx, enum uref_kind k, const char *v, size_t n, long line,
    const char **repl)
{
	struct strbuf *sb = ctx;

	(void)line;
	(void)repl;
	sb_addf(sb, "%s:%.*s;", uref_kind_name(k), (int)n, v);
	return 0;
}

static void
tasks(void)
{
	static const char data[] =
	    "ASSIGNEE_USER_KEY,BODY,COMPLETE_DATE,COMPLETE_USER_KEY,"
	    "CONTENT_ID\n"
	    "6321bed3051efc6985671eed,\"<span class=\"\"placeholder-inline-"
	    "tasks\"\">Some action that, needs to be done asap! <ac:link>"
	    "<ri:user ri:account-id=\"\"6321bed3051efc6985671eed\"\" />"
	    "</ac:link>  <time datetime=\"\"2022-10-10\"\" />  </span>\",,,"
	    "534478858\n"
	    ",,,,534478858\n";
	static const char *const bn[] = { "body", NULL };
	struct strbuf log = STRBUF_INIT, out = STRBUF_INIT;
	struct csv *c;
	char **f;
	size_t *l;
	int r, b, n = 0;

	write_file(data, sizeof(data) - 1);
	c = csv_open(path);
	r = csv_next(c, &f, &l);
	b = csv_find(f, (size_t)r, bn);
	ok(b == 1, "task table: BODY column");
	while ((r = csv_next(c, &f, &l)) > 0) {
		n++;
		if (b < r) {
			sb_reset(&out);
			uref_storage(f[b], l[b], 0, tcb, &log, &out);
			if (out.len != l[b] ||
			    memcmp(out.buf, f[b], l[b]) != 0)
				n = -100;
		}
	}
	ok(r == 0 && n == 2, "task table: two records");
	is_str(sb_str(&log), "body-account-id:6321bed3051efc6985671eed;",
	    "task table: account-id mention found in BODY");
	csv_close(c);
	sb_free(&log);
	sb_free(&out);
}

static void
fuzz(void)
{
	static const char base[] =
	    "\xef\xbb\xbfUser id,\"User name\",email\r\n"
	    "1,\"a,\"\"b\"\"\nc\",x@y\r\n\r\n2,,\n\"3\",\"\",\"z\"";
	static const char flips[] = "\",\r\n x\0\xef";
	char m[sizeof(base)];
	size_t n = sizeof(base) - 1, i, k, runs = 0;
	char *d;
	int bad = 0;

	err_begin();
	for (i = 0; i <= n; i++) {
		if ((d = dump(base, i)) == NULL)
			bad++;
		if ((d = dump(base + i, n - i)) == NULL)
			bad++;
		runs += 2;
	}
	for (i = 0; i < n; i++)
		for (k = 0; k < sizeof(flips) - 1; k++) {
			memcpy(m, base, n);
			m[i] = flips[k];
			if (dump(m, n) == NULL)
				bad++;
			runs++;
		}
	err_end();
	printf("# %zu fuzz runs\n", runs);
	ok(bad == 0, "truncations and byte flips do not crash");
}

int
main(int argc, char *argv[])
{
	(void)argc;
	diag_setprog("test_csv");
	(void)argv;
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	cloud_export();
	shapes();
	errors();
	tasks();
	fuzz();
	unlink(path);
	unlink(errpath);
	rmdir(dir);
	return tap_done();
}
