/*
 * linkurl.c - base URLs of the old server and the parse of content URLs
 * (linkurl.h).
 *
 * Hand-rolled rather than a library: libxml2's xmlParseURI would do the
 * split, but it normalises and re-escapes (and accepts far more than an
 * http URL), while this module must keep the exact forms Confluence writes
 * apart ('+' is a space in a /display path but literal in an attachment
 * name) and refuse anything it does not understand.  The grammar here is
 * only: [scheme:]//authority/path[?query][#fragment] and /path[...].
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "diag.h"
#include "linkurl.h"
#include "tinylink.h"
#include "xmltext.h"

#define LINK_URL_MAXLEN	8192
#define BASE_MAXLEN	2048

struct base {
	char	*host;		/* lower-cased */
	int	 port;		/* 0: a default port (80 or 443) */
	char	*ctx;		/* context path without trailing '/', "" for root */
	size_t	 ctxlen;
};

struct link_bases {
	struct base	*b;
	size_t		 n;
};

static const char *const form_names[LF_NFORMS] = {
	"external", "page-title", "space-home", "blog-post", "page-id",
	"tiny-link", "attachment", "thumbnail", "unsupported"
};

const char *
link_form_name(enum link_form f)
{
	return (unsigned)f < LF_NFORMS ? form_names[f] : "?";
}

struct link_bases *
link_bases_new(void)
{
	return xcalloc(1, sizeof(struct link_bases));
}

size_t
link_bases_count(const struct link_bases *lb)
{
	return lb->n;
}

void
link_bases_free(struct link_bases *lb)
{
	size_t i;

	if (lb == NULL)
		return;
	for (i = 0; i < lb->n; i++) {
		free(lb->b[i].host);
		free(lb->b[i].ctx);
	}
	free(lb->b);
	free(lb);
}

/* The parts of "[scheme:]//authority/rest" or "/rest". */
struct split {
	int		 scheme;	/* -1 none (root-relative), 0 "//", 1 http, 2 https */
	const char	*host;
	size_t		 hostlen;
	int		 port;		/* 0 absent, -1 invalid */
	const char	*path;		/* from the first '/' after the authority */
	size_t		 pathlen;
	const char	*query;		/* after '?', NULL if none */
	size_t		 querylen;
	const char	*frag;		/* after '#', NULL if none */
	size_t		 fraglen;
};

static int
prefix_ci(const char *s, size_t n, const char *p)
{
	size_t k = strlen(p);

	return n >= k && strncasecmp(s, p, k) == 0;
}

/* Returns 0 and fills sp, or -1 if u is not of the grammar above. */
static int
split_url(const char *u, size_t n, struct split *sp)
{
	const char *end = u + n, *a, *p, *h;

	memset(sp, 0, sizeof(*sp));
	if (prefix_ci(u, n, "http://")) {
		sp->scheme = 1;
		u += 5;
	} else if (prefix_ci(u, n, "https://")) {
		sp->scheme = 2;
		u += 6;
	} else if (n >= 2 && u[0] == '/' && u[1] == '/')
		sp->scheme = 0;
	else if (n >= 1 && u[0] == '/')
		sp->scheme = -1;
	else
		return -1;
	if (sp->scheme >= 0) {
		u += 2;				/* the "//" */
		for (a = u; a < end && *a != '/' && *a != '?' && *a != '#'; a++)
			;
		h = u;
		for (p = u; p < a; p++)		/* userinfo@ */
			if (*p == '@')
				h = p + 1;
		sp->host = h;
		for (p = h; p < a && *p != ':'; p++)
			;
		sp->hostlen = (size_t)(p - h);
		if (p < a) {			/* :port */
			long v = 0;

			if (p + 1 == a)
				sp->port = -1;
			for (p++; p < a; p++) {
				if (!isdigit((unsigned char)*p) || v > 65535) {
					sp->port = -1;
					break;
				}
				v = v * 10 + (*p - '0');
			}
			if (sp->port == 0)
				sp->port = v >= 1 && v <= 65535 ? (int)v : -1;
		}
		if (sp->hostlen == 0 || sp->port < 0)
			return -1;
		u = a;
	}
	sp->path = u;
	for (p = u; p < end && *p != '?' && *p != '#'; p++)
		;
	sp->pathlen = (size_t)(p - u);
	if (p < end && *p == '?') {
		sp->query = ++p;
		for (; p < end && *p != '#'; p++)
			;
		sp->querylen = (size_t)(p - sp->query);
	}
	if (p < end && *p == '#') {
		sp->frag = p + 1;
		sp->fraglen = (size_t)(end - sp->frag);
	}
	return 0;
}

/* Ports compare with 80 and 443 taken as "the default" (0) whatever the
 * scheme: a protocol-relative URL inherits either. */
static int
norm_port(int port)
{
	return port == 80 || port == 443 ? 0 : port;
}

int
link_bases_add(struct link_bases *lb, const char *url, const char **why)
{
	struct split sp;
	struct base b;
	size_t n = strlen(url), i;

	if (n > BASE_MAXLEN) {
		*why = "too long";
		return -1;
	}
	if (split_url(url, n, &sp) != 0 || sp.scheme < 0) {
		*why = "not an http, https or //host URL";
		return -1;
	}
	if (sp.query != NULL || sp.frag != NULL) {
		*why = "a base URL has no query or fragment";
		return -1;
	}
	for (i = 0; i < sp.hostlen; i++) {
		unsigned char c = (unsigned char)sp.host[i];

		if (!(isalnum(c) || c == '-' || c == '.' || c == '_' ||
		    c == '[' || c == ']' || c == ':')) {
			*why = "the host has characters a host name cannot have";
			return -1;
		}
	}
	memset(&b, 0, sizeof(b));
	b.host = xstrndup(sp.host, sp.hostlen);
	for (i = 0; b.host[i] != '\0'; i++)
		b.host[i] = (char)tolower((unsigned char)b.host[i]);
	b.port = norm_port(sp.port);
	while (sp.pathlen > 0 && sp.path[sp.pathlen - 1] == '/')
		sp.pathlen--;
	b.ctx = xstrndup(sp.path, sp.pathlen);
	b.ctxlen = sp.pathlen;
	lb->b = xreallocarray(lb->b, lb->n + 1, sizeof(*lb->b));
	lb->b[lb->n++] = b;
	return 0;
}

/* 1 if the parsed URL is on base b. */
static int
on_base(const struct base *b, const struct split *sp)
{
	const char *r;

	if (sp->scheme >= 0) {
		if (sp->hostlen != strlen(b->host) ||
		    strncasecmp(sp->host, b->host, sp->hostlen) != 0)
			return 0;
		if (norm_port(sp->port) != b->port)
			return 0;
	}
	if (sp->pathlen < b->ctxlen || memcmp(sp->path, b->ctx, b->ctxlen) != 0)
		return 0;
	r = sp->path + b->ctxlen;
	return sp->pathlen == b->ctxlen || *r == '/';
}

/* ---- decoding into out->buf ------------------------------------------ */

struct dec {
	struct link_url	*u;
	size_t		 len;
	int		 bad;
};

static size_t
dec_begin(struct dec *d)
{
	return d->len;
}

static void
dec_putc(struct dec *d, char c)
{
	struct link_url *u = d->u;

	if (d->len + 2 > u->cap) {
		u->cap = u->cap < 256 ? 256 : u->cap * 2;
		u->buf = xrealloc(u->buf, u->cap);
	}
	u->buf[d->len++] = c;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* 1 if s[0..n) is UTF-8 (xmltext.h) with no control characters. */
static int
clean_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0;
	int k;

	while (i < n) {
		if (s[i] < 0x20 || s[i] == 0x7f)
			return 0;
		if ((k = xt_utf8_seq(s + i, n - i)) <= 0)
			return 0;
		i += (size_t)k;
	}
	return 1;
}

/* Appends s decoded ('%XX'; '+' as space if plus) and a NUL; returns the
 * offset of the result.  Marks d->bad on a bad escape or bytes that are
 * not clean UTF-8. */
static size_t
dec_add(struct dec *d, const char *s, size_t n, int plus)
{
	size_t off = dec_begin(d), i;
	int h, l;

	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			if (i + 2 >= n) {
				d->bad = 1;
				break;
			}
			h = hexval((unsigned char)s[i + 1]);
			l = hexval((unsigned char)s[i + 2]);
			if (h < 0 || l < 0) {
				d->bad = 1;
				break;
			}
			dec_putc(d, (char)(h << 4 | l));
			i += 2;
		} else if (s[i] == '+' && plus)
			dec_putc(d, ' ');
		else
			dec_putc(d, s[i]);
	}
	dec_putc(d, '\0');
	if (!clean_utf8((const unsigned char *)d->u->buf + off, d->len - 1 - off))
		d->bad = 1;
	return off;
}

/* ---- forms ------------------------------------------------------------ */

/* Finds query parameter name; returns its raw value or NULL. */
static const char *
query_get(const struct split *sp, const char *name, size_t *vlen)
{
	const char *q = sp->query, *end, *amp, *eq;
	size_t nl = strlen(name);

	if (q == NULL)
		return NULL;
	end = q + sp->querylen;
	while (q < end) {
		for (amp = q; amp < end && *amp != '&' && *amp != ';'; amp++)
			;
		for (eq = q; eq < amp && *eq != '='; eq++)
			;
		if ((size_t)(eq - q) == nl && memcmp(q, name, nl) == 0 &&
		    eq < amp) {
			*vlen = (size_t)(amp - eq - 1);
			return eq + 1;
		}
		q = amp + 1;
	}
	return NULL;
}

/* Decimal content id (1..2^63); 0 on anything else. */
static uint64_t
parse_id(const char *s, size_t n)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 19)
		return 0;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return 0;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	return v;
}

/* The next '/'-separated segment of [*p, end); advances *p past it. */
static int
segment(const char **p, const char *end, const char **s, size_t *n)
{
	const char *q;

	if (*p >= end)
		return 0;
	if (**p == '/')
		(*p)++;
	for (q = *p; q < end && *q != '/'; q++)
		;
	*s = *p;
	*n = (size_t)(q - *p);
	*p = q;
	return 1;
}

static int
is_digits(const char *s, size_t n, size_t want)
{
	size_t i;

	if (n != want)
		return 0;
	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

struct offs {
	long	 key, title, day, file, frag;
};

static enum link_form
unsupported(struct link_url *u, const char *why)
{
	u->why = why;
	return LF_UNSUPPORTED;
}

/* /display/... : r points after "/display". */
static enum link_form
display_form(struct dec *d, const char *r, const char *end, struct offs *o)
{
	const char *s, *rest;
	size_t n;

	if (!segment(&r, end, &s, &n) || n == 0)
		return unsupported(d->u, "display URL without a space key");
	/* /display/public/KEY/... is the anonymous-access prefix. */
	if (n == 6 && memcmp(s, "public", 6) == 0 && r < end && r + 1 < end) {
		if (!segment(&r, end, &s, &n) || n == 0)
			return unsupported(d->u, "display URL without a space key");
	}
	o->key = (long)dec_add(d, s, n, 1);
	if (r >= end || r + 1 == end)		/* "/display/KEY" or ".../KEY/" */
		return LF_SPACE_HOME;
	rest = r + 1;
	/* YYYY/MM/DD/Title */
	if (end - rest > 11 && is_digits(rest, 4, 4) && rest[4] == '/' &&
	    is_digits(rest + 5, 2, 2) && rest[7] == '/' &&
	    is_digits(rest + 8, 2, 2) && rest[10] == '/' && rest + 11 < end) {
		o->day = (long)dec_add(d, rest, 10, 0);
		o->title = (long)dec_add(d, rest + 11, (size_t)(end - rest - 11), 1);
		return LF_BLOG;
	}
	if (memchr(rest, '/', (size_t)(end - rest)) != NULL)
		return unsupported(d->u, "display URL with a path below the page");
	o->title = (long)dec_add(d, rest, (size_t)(end - rest), 1);
	return LF_PAGE_TITLE;
}

static enum link_form
classify(struct dec *d, const struct split *sp, const char *r, const char *end,
    struct offs *o)
{
	struct link_url *u = d->u;
	const char *s, *v;
	size_t n, vn;

#define IS(lit)	((size_t)(end - r) >= sizeof(lit) - 1 && \
		    memcmp(r, lit, sizeof(lit) - 1) == 0)
	if (IS("/display/") || (IS("/display") && end - r == 8))
		return display_form(d, r + 8, end, o);
	if ((IS("/pages/viewpage.action") && end - r == 22) ||
	    (IS("/pages/viewblogpost.action") && end - r == 26)) {
		if ((v = query_get(sp, "pageId", &vn)) != NULL) {
			if ((u->id = parse_id(v, vn)) == 0)
				return unsupported(u, "pageId is not a number");
			return LF_PAGE_ID;
		}
		if ((v = query_get(sp, "spaceKey", &vn)) != NULL && vn > 0) {
			o->key = (long)dec_add(d, v, vn, 1);
			if ((v = query_get(sp, "title", &vn)) == NULL || vn == 0)
				return unsupported(u, "viewpage without a title");
			o->title = (long)dec_add(d, v, vn, 1);
			return LF_PAGE_TITLE;
		}
		return unsupported(u, "viewpage without pageId or spaceKey");
	}
	if (IS("/spaces/viewspace.action") && end - r == 24) {
		if ((v = query_get(sp, "key", &vn)) == NULL || vn == 0)
			return unsupported(u, "viewspace without a key");
		o->key = (long)dec_add(d, v, vn, 1);
		return LF_SPACE_HOME;
	}
	if (IS("/x/")) {
		if (tinylink_decode(r + 3, (size_t)(end - r - 3), &u->id) != 0)
			return unsupported(u, "not a tiny-link code");
		return LF_TINY;
	}
	if (IS("/download/attachments/") || IS("/download/thumbnails/")) {
		enum link_form f = r[10] == 'a' ? LF_ATTACHMENT : LF_THUMBNAIL;

		r += f == LF_ATTACHMENT ? 21 : 20;
		if (!segment(&r, end, &s, &n) || (u->id = parse_id(s, n)) == 0)
			return unsupported(u, "download URL without a content id");
		if (r >= end || r + 1 >= end)
			return unsupported(u, "download URL without a file name");
		o->file = (long)dec_add(d, r + 1, (size_t)(end - r - 1), 0);
		if (strchr(u->buf + o->file, '/') != NULL)
			return unsupported(u, "download URL with a path below the file");
		return f;
	}
	/* Data Center's newer page URL shape: /spaces/KEY/pages/N[/Title]. */
	if (IS("/spaces/")) {
		const char *p = r + 7;

		if (segment(&p, end, &s, &n) && n > 0 &&
		    segment(&p, end, &s, &n) && n == 5 &&
		    memcmp(s, "pages", 5) == 0 && segment(&p, end, &s, &n) &&
		    (u->id = parse_id(s, n)) != 0)
			return LF_PAGE_ID;
		return unsupported(u, "spaces URL of no known form");
	}
	if (IS("/label/") || IS("/labels/"))
		return unsupported(u, "label page");
	if (IS("/pages/diffpagesbyversion.action") ||
	    IS("/pages/diffpages.action"))
		return unsupported(u, "page diff");
	if (IS("/pages/viewpageattachments.action"))
		return unsupported(u, "attachment list");
	if (IS("/pages/editpage.action") || IS("/pages/createpage.action"))
		return unsupported(u, "editor URL");
	if (IS("/images/icons/"))
		return unsupported(u, "server icon image");
	if (IS("/users/"))
		return unsupported(u, "user profile");
	return unsupported(u, "server URL of no known form");
#undef IS
}

enum link_form
link_parse(const struct link_bases *lb, const char *url, size_t len,
    struct link_url *u)
{
	struct split sp;
	struct offs o = { -1, -1, -1, -1, -1 };
	struct dec d = { u, 0, 0 };
	const struct base *hit = NULL;
	enum link_form f;
	size_t i;

	u->form = LF_EXTERNAL;
	u->space_key = u->title = u->posting_day = u->filename = NULL;
	u->fragment = u->why = NULL;
	u->id = 0;
	if (split_url(url, len > LINK_URL_MAXLEN ? LINK_URL_MAXLEN : len,
	    &sp) != 0)
		return LF_EXTERNAL;
	for (i = 0; i < lb->n && hit == NULL; i++)
		if (on_base(&lb->b[i], &sp))
			hit = &lb->b[i];
	if (hit == NULL)
		return LF_EXTERNAL;
	if (len > LINK_URL_MAXLEN) {
		u->why = "too long";
		return u->form = LF_UNSUPPORTED;
	}
	f = classify(&d, &sp, sp.path + hit->ctxlen, sp.path + sp.pathlen, &o);
	if (sp.frag != NULL && sp.fraglen > 0)
		o.frag = (long)dec_add(&d, sp.frag, sp.fraglen, 0);
	if (d.bad && f != LF_UNSUPPORTED) {
		u->why = "undecodable %-escape or not UTF-8";
		f = LF_UNSUPPORTED;
	}
	if (f == LF_UNSUPPORTED)
		u->id = 0;
	else {
		u->space_key = o.key >= 0 ? u->buf + o.key : NULL;
		u->title = o.title >= 0 ? u->buf + o.title : NULL;
		u->posting_day = o.day >= 0 ? u->buf + o.day : NULL;
		u->filename = o.file >= 0 ? u->buf + o.file : NULL;
		u->fragment = o.frag >= 0 ? u->buf + o.frag : NULL;
	}
	return u->form = f;
}

void
link_url_free(struct link_url *u)
{
	free(u->buf);
	u->buf = NULL;
	u->cap = 0;
}
