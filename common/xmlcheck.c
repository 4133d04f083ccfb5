/*
 * xmlcheck.c - the entities.xml well-formedness gate (see xmlcheck.h).
 *
 * libxml2 does the work: its push parser checks well-formedness, the
 * character ranges and the UTF-8 encoding incrementally.  What is ours:
 * refusing any DOCTYPE (the internalSubset callback fires for every
 * <!DOCTYPE ...>, before any entity in it could be used), refusing a
 * declared encoding other than UTF-8 (libxml2 would transcode it, but
 * every other reader in spaceport reads UTF-8 bytes), turning the
 * first error into one line, and checking UTF-8 and the XML 1.0 Char
 * production ourselves as well: libxml2 2.9's push parser lets overlong
 * UTF-8 through in CDATA sections (found by tests/fuzz/fuzz_xmlcheck).
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>

#include "diag.h"
#include "xmlcheck.h"

#define XMLCHECK_PIECE	((size_t)256 << 10)

struct xmlcheck {
	const char	*fname;
	xmlParserCtxtPtr ctxt;
	int		 failed;
	int		 ended;		/* the final chunk was fed */
	long		 line;
	/* our own UTF-8 and Char check, across chunks */
	long		 lf;		/* LFs seen so far */
	uint32_t	 cp, min;	/* code point being decoded */
	int		 need;		/* continuation bytes still due */
	char		 msg[256];
};

static void fail(struct xmlcheck *, long, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
fail(struct xmlcheck *x, long line, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (x->failed)
		return;
	x->failed = 1;
	x->line = line > 0 ? line : 0;
	va_start(ap, fmt);
	vsnprintf(x->msg, sizeof(x->msg), fmt, ap);
	va_end(ap);
	/* libxml2's messages end with a newline and may hold more than
	 * one line: ours are one line, without the trailing blank. */
	for (n = 0; x->msg[n] != '\0'; n++)
		if (x->msg[n] == '\n' || x->msg[n] == '\r' ||
		    x->msg[n] == '\t')
			x->msg[n] = ' ';
	while (n > 0 && x->msg[n - 1] == ' ')
		x->msg[--n] = '\0';
	if (x->ctxt != NULL)
		xmlStopParser(x->ctxt);
}

static long
cur_line(const struct xmlcheck *x)
{
	if (x->ctxt == NULL || x->ctxt->input == NULL)
		return 0;
	return x->ctxt->input->line;
}

static void
on_error(void *ctx, xmlErrorPtr e)
{
	struct xmlcheck *x = ctx;
	char buf[200];

	/* Warnings (e.g. "xmlns: URI is not absolute") do not refuse. */
	if (e == NULL || e->level < XML_ERR_ERROR)
		return;
	fail(x, e->line, "not well-formed xml: %s",
	    diag_lib_msg(e->message, buf, sizeof(buf)));
}

static void
on_doctype(void *ctx, const xmlChar *name, const xmlChar *ext,
    const xmlChar *sys)
{
	struct xmlcheck *x = ctx;

	fail(x, cur_line(x), "has a document type declaration; confluence "
	    "never writes one, refusing");
}

/* An encoding declaration other than UTF-8, or a UTF-16/32 byte order
 * mark, has made libxml2 install a decoder: refuse, naming it. */
static void
check_encoding(struct xmlcheck *x)
{
	xmlParserInputPtr in = x->ctxt->input;
	const char *name;

	if (in == NULL || in->buf == NULL || in->buf->encoder == NULL)
		return;
	name = in->buf->encoder->name;
	if (name == NULL || (strcasecmp(name, "UTF-8") != 0 &&
	    strcasecmp(name, "UTF8") != 0))
		fail(x, 1, "encoding %s is not supported "
		    "(confluence writes utf-8)", name != NULL ? name : "?");
}

static int
char_ok(uint32_t c)
{
	return c == 0x9 || c == 0xa || c == 0xd ||
	    (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) ||
	    (c >= 0x10000 && c <= 0x10ffff);
}

/* Strict UTF-8 (no overlong form, no surrogate, at most U+10FFFF) of
 * XML 1.0 characters; the state carries over between chunks. */
static void
check_chars(struct xmlcheck *x, const unsigned char *p, size_t n, int final)
{
	size_t i;
	unsigned char b;

	for (i = 0; i < n && !x->failed; i++) {
		b = p[i];
		if (x->need > 0) {
			if ((b & 0xc0) != 0x80)
				goto bad;
			x->cp = (x->cp << 6) | (b & 0x3f);
			if (--x->need > 0)
				continue;
			if (x->cp < x->min)
				goto bad;
		} else if (b < 0x80) {
			x->cp = b;
			if (b == '\n')
				x->lf++;
		} else if (b >= 0xc2 && b <= 0xdf) {
			x->cp = b & 0x1f;
			x->need = 1;
			x->min = 0x80;
			continue;
		} else if ((b & 0xf0) == 0xe0) {
			x->cp = b & 0x0f;
			x->need = 2;
			x->min = 0x800;
			continue;
		} else if (b >= 0xf0 && b <= 0xf4) {
			x->cp = b & 0x07;
			x->need = 3;
			x->min = 0x10000;
			continue;
		} else
			goto bad;
		if (!char_ok(x->cp)) {
			fail(x, x->lf + 1, "not well-formed xml: character "
			    "U+%04X is not allowed in xml 1.0", (unsigned)x->cp);
			return;
		}
	}
	if (final && x->need > 0 && !x->failed)
		fail(x, x->lf + 1, "not well-formed xml: invalid utf-8 at the "
		    "end");
	return;
bad:
	fail(x, x->lf + 1, "not well-formed xml: invalid utf-8");
}

struct xmlcheck *
xmlcheck_new(const char *fname)
{
	struct xmlcheck *x = xcalloc(1, sizeof(*x));
	xmlSAXHandler sax;

	x->fname = fname;
	/* No content callbacks: libxml2 checks and builds nothing. */
	memset(&sax, 0, sizeof(sax));
	sax.initialized = XML_SAX2_MAGIC;
	sax.serror = on_error;
	sax.internalSubset = on_doctype;
	x->ctxt = xmlCreatePushParserCtxt(&sax, x, NULL, 0, fname);
	if (x->ctxt == NULL)
		diag_die(SP_EXIT_FAIL, NULL, 0, "cannot create the xml parser");
	/* NONET: never fetch; HUGE: a body may exceed libxml2's 10 MB text
	 * limit (objects are bounded by the readers' max_object).
	 * Deliberately not NOENT and not DTDLOAD. */
	xmlCtxtUseOptions(x->ctxt, XML_PARSE_NONET | XML_PARSE_HUGE);
	return x;
}

int
xmlcheck_feed(struct xmlcheck *x, const void *buf, size_t n, int final)
{
	const char *p = buf;
	size_t k;
	int rc;

	if (x->failed)
		return -1;
	if (x->ended) {
		/* Nothing may follow the end. */
		if (n > 0)
			fail(x, cur_line(x), "not well-formed xml: data "
			    "after the end of the document");
		return x->failed ? -1 : 0;
	}
	x->ended = final;
	/* Bounded pieces: xmlParseChunk takes an int, and libxml2 copies a
	 * whole piece into its input buffer before parsing it (a reader
	 * refilling 16 MiB at a time made that buffer 50 MB). */
	do {
		k = n > XMLCHECK_PIECE ? XMLCHECK_PIECE : n;
		rc = xmlParseChunk(x->ctxt, k > 0 ? p : "", (int)k,
		    final && k == n);
		if (!x->failed)
			check_encoding(x);
		if (rc != 0 && !x->failed)
			fail(x, cur_line(x), "not well-formed xml");
		if (!x->failed)
			check_chars(x, (const unsigned char *)p, k,
			    final && k == n);
		p += k;
		n -= k;
	} while (n > 0 && !x->failed);
	return x->failed ? -1 : 0;
}

const char *
xmlcheck_error(const struct xmlcheck *x, long *line)
{
	if (!x->failed)
		return NULL;
	if (line != NULL)
		*line = x->line;
	return x->msg;
}

void
xmlcheck_die(const struct xmlcheck *x)
{
	diag_die(SP_EXIT_FAIL, x->fname, x->line, "%s",
	    x->failed ? x->msg : "not well-formed xml");
}

void
xmlcheck_free(struct xmlcheck *x)
{
	if (x == NULL)
		return;
	xmlFreeParserCtxt(x->ctxt);
	free(x);
}

void
xmlcheck_rd_init(struct xmlcheck_rd *g, ssize_t (*rd)(void *, void *, size_t),
    void *ctx, const char *fname)
{
	memset(g, 0, sizeof(*g));
	g->rd = rd;
	g->ctx = ctx;
	g->xc = xmlcheck_new(fname);
}

ssize_t
xmlcheck_read_fn(void *ctx, void *buf, size_t n)
{
	struct xmlcheck_rd *g = ctx;
	ssize_t r;

	if (g->eof)
		return 0;
	r = g->rd(g->ctx, buf, n);
	if (r < 0)
		return r;
	if (r == 0)
		g->eof = 1;
	if (xmlcheck_feed(g->xc, buf, (size_t)r, r == 0) != 0)
		xmlcheck_die(g->xc);
	return r;
}

void
xmlcheck_rd_finish(struct xmlcheck_rd *g)
{
	char buf[65536];

	while (xmlcheck_read_fn(g, buf, sizeof(buf)) > 0)
		;
	xmlcheck_free(g->xc);
	g->xc = NULL;
}

/* ---- the gate on its own thread ------------------------------------- */

struct xmlcheck_async {
	struct xmlcheck	*xc;
	pthread_t	 t;
	int		 threaded;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	const void	*buf;		/* the job: one chunk */
	size_t		 n;
	int		 final;
	int		 busy;		/* a job is submitted, not checked yet */
	int		 quit;
};

static void *
async_main(void *arg)
{
	struct xmlcheck_async *a = arg;

	pthread_mutex_lock(&a->mu);
	for (;;) {
		while (!a->busy && !a->quit)
			pthread_cond_wait(&a->cv, &a->mu);
		if (a->quit && !a->busy)
			break;
		pthread_mutex_unlock(&a->mu);
		(void)xmlcheck_feed(a->xc, a->buf, a->n, a->final);
		pthread_mutex_lock(&a->mu);
		a->busy = 0;
		pthread_cond_broadcast(&a->cv);
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

struct xmlcheck_async *
xmlcheck_async_new(const char *fname)
{
	struct xmlcheck_async *a = xcalloc(1, sizeof(*a));

	a->xc = xmlcheck_new(fname);	/* libxml2 initialised here */
	if (pthread_mutex_init(&a->mu, NULL) != 0 ||
	    pthread_cond_init(&a->cv, NULL) != 0)
		diag_die(SP_EXIT_FAIL, NULL, 0, "cannot create a lock");
	a->threaded = diag_thread_create(&a->t, async_main, a) == 0;
	return a;
}

void
xmlcheck_async_wait(struct xmlcheck_async *a)
{
	int failed;

	pthread_mutex_lock(&a->mu);
	while (a->busy)
		pthread_cond_wait(&a->cv, &a->mu);
	failed = a->xc->failed;
	pthread_mutex_unlock(&a->mu);
	if (failed)
		xmlcheck_die(a->xc);
}

void
xmlcheck_async_submit(struct xmlcheck_async *a, const void *buf, size_t n,
    int final)
{
	xmlcheck_async_wait(a);
	if (!a->threaded) {
		(void)xmlcheck_feed(a->xc, buf, n, final);
		return;
	}
	pthread_mutex_lock(&a->mu);
	a->buf = buf;
	a->n = n;
	a->final = final;
	a->busy = 1;
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
}

void
xmlcheck_async_free(struct xmlcheck_async *a)
{
	if (a == NULL)
		return;
	if (a->threaded) {
		pthread_mutex_lock(&a->mu);
		a->quit = 1;
		pthread_cond_broadcast(&a->cv);
		pthread_mutex_unlock(&a->mu);
		pthread_join(a->t, NULL);
	}
	pthread_mutex_destroy(&a->mu);
	pthread_cond_destroy(&a->cv);
	xmlcheck_free(a->xc);
	free(a);
}
