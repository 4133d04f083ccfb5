/*
 * linkrun.c - link normalisation in convert (--server-url, --site-index;
 * docs/links.md): the index, the findings, the OutgoingLink objects and
 * the accounting.  The rule itself is links.c; this file feeds it.
 *
 * The index.  convert makes one pass over entities.xml, and a body may
 * link to a page that comes after it, so the package's own content comes
 * from spaceport/content.tsv (extract/content.c), which precedes
 * entities.xml in the package: its rows go into the index before the
 * first body is read, then the rows of every --site-index.  A package
 * from a spaceport-extract without content.tsv cannot be normalised:
 * refused with a one-line message (extract it again), never guessed.
 *
 * OutgoingLink objects.  Confluence keeps one per link of a page (the
 * "links to this page" and rename-following machinery).  An absolute link
 * is stored split at its scheme: destinationSpaceKey "https",
 * destinationPageTitle "//host/path".  When the body's link becomes a
 * storage link, the object is rewritten the same way, through the same
 * resolver, to name the target's space key and title, as Confluence
 * writes it for a page link; a link the resolver leaves alone leaves its
 * object alone.  Counted apart from body links (they are not links a
 * reader follows).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"
#include "diag.h"
#include "linkindex.h"
#include "links.h"
#include "report.h"
#include "tsv.h"


const char *
cv_links_server_url(struct cv_links *l, const char *arg)
{
	const char *why;

	if (l->bases == NULL)
		l->bases = link_bases_new();
	if (link_bases_add(l->bases, arg, &why) != 0)
		return why;
	return NULL;
}

void
cv_links_site(struct cv_links *l, const char *path)
{
	l->sites = xreallocarray(l->sites, l->nsites + 1, sizeof(*l->sites));
	l->sites[l->nsites++] = path;
}

int
cv_links_on(const struct cv_links *l)
{
	return l->bases != NULL;
}

/* A content id: 1 to 19 digits (the index refuses the rest too). */
static int
is_id(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= 19 && strspn(s, "0123456789") == n;
}

void
cv_links_content(struct cv_links *l, const char *buf, size_t len)
{
	static const char *const cols[] = {
		"class", "id", "space", "title", "created", "original", "live",
		"container"
	};
	struct tsv t;
	char **f;
	size_t n, need = 0, i;
	int rc, ci[8];
	long line;
	const char *cls, *self = NULL;

	l->have_content = 1;
	if (!cv_links_on(l))
		return;
	if (l->idx == NULL)
		l->idx = linkidx_open();
	tsv_init(&t, buf, len);
	if ((rc = tsv_next(&t, &f, &n)) <= 0) {
		tsv_free(&t);
		diag_die(SP_EXIT_FAIL, PKG_CONTENT, 1, "no header line");
	}
	for (i = 0; i < 8; i++) {
		if ((ci[i] = tsv_column(f, n, cols[i])) < 0) {
			tsv_free(&t);
			diag_die(SP_EXIT_FAIL, PKG_CONTENT, 1, "header lacks "
			    "the column %s", cols[i]);
		}
		if ((size_t)ci[i] > need)
			need = (size_t)ci[i];
	}
	linkidx_batch(l->idx, 1);
	while ((rc = tsv_next(&t, &f, &n)) > 0) {
		line = t.line;
		cls = (size_t)ci[0] < n ? f[ci[0]] : "";
		if (strcmp(cls, "Space") != 0 && strcmp(cls, "Page") != 0 &&
		    strcmp(cls, "BlogPost") != 0 &&
		    strcmp(cls, "Attachment") != 0)
			continue;	/* a later version's class: not ours */
		if (n <= need) {
			tsv_free(&t);
			diag_die(SP_EXIT_FAIL, PKG_CONTENT, line, "%zu fields, "
			    "expected at least %zu", n, need + 1);
		}
		if (!is_id(f[ci[1]]) ||
		    (strcmp(cls, "Attachment") == 0 && !is_id(f[ci[7]])) ||
		    (strcmp(f[ci[6]], "0") != 0 && strcmp(f[ci[6]], "1") != 0)) {
			char what[16];	/* cls lives in t: copied first */

			snprintf(what, sizeof(what), "%s", cls);
			tsv_free(&t);
			diag_die(SP_EXIT_FAIL, PKG_CONTENT, line, "not a %s row "
			    "(ids are digits, live is 0 or 1)", what);
		}
		l->rows++;
		if (strcmp(cls, "Space") == 0) {
			linkidx_space(l->idx, f[ci[1]], f[ci[3]]);
			l->spaces++;
			if (self == NULL) {
				free(l->self_key);
				l->self_key = xstrdup(f[ci[3]]);
				self = l->self_key;
			}
		} else if (strcmp(cls, "Attachment") == 0)
			linkidx_attachment(l->idx, f[ci[7]], f[ci[3]],
			    f[ci[6]][0] == '1');
		else
			linkidx_content(l->idx, f[ci[1]], cls, f[ci[2]],
			    f[ci[3]], f[ci[4]], f[ci[5]][0] != '\0' ?
			    f[ci[5]] : NULL, f[ci[6]][0] == '1');
	}
	line = t.line;
	tsv_free(&t);
	linkidx_batch(l->idx, 0);
	if (rc < 0)
		diag_die(SP_EXIT_FAIL, PKG_CONTENT, line, "bad escape");
}

/* The unresolved-link finding: content, URL, why. */
static void
unresolved(void *arg, struct body *b, const char *url, size_t n,
    const char *why, size_t off)
{
	struct cv_links *l = arg;
	char *u = xstrndup(url, n);

	report_finding("unresolved-link", PKG_ENTITIES, body_line(b, off), u,
	    "%s %s: link %s left as it was: %s", l->owner_cls != NULL ?
	    l->owner_cls : "content", l->owner != NULL ? l->owner : "?",
	    n > 0 ? u : "(element)", why);
	free(u);
}

void
cv_links_ready(struct cv_links *l, const char *label)
{
	size_t i;

	if (!cv_links_on(l))
		return;
	if (!l->have_content)
		diag_die(SP_EXIT_FAIL, label, 0, "no %s in the package (made "
		    "by an older spaceport-extract): extract the export again "
		    "to normalise links", PKG_CONTENT);
	/* Own-space links name no key only when the package is one space:
	 * in a site backup "the current space" is each page's own. */
	if (l->spaces != 1) {
		free(l->self_key);
		l->self_key = NULL;
	}
	for (i = 0; i < l->nsites; i++)
		if (linkidx_add_site(l->idx, l->sites[i]) != 0)
			diag_die(SP_EXIT_FAIL, l->sites[i], 0, "cannot use this "
			    "site index");
	l->rule.bases = l->bases;
	l->rule.idx = l->idx;
	l->rule.self_key = l->self_key;
	l->rule.unresolved = unresolved;
	l->rule.uctx = l;
}

void
cv_links_object(struct cv_links *l, const struct xobj *o)
{
	const struct xmember *m;

	l->owner = o->id;
	l->owner_cls = o->cls;
	/* A body's content is the object that owns the BodyContent. */
	if (o->cls != NULL && strcmp(o->cls, "BodyContent") == 0 &&
	    (m = xobj_member(o, "content")) != NULL && m->value != NULL) {
		l->owner = m->value;
		l->owner_cls = m->cls != NULL ? m->cls : "content";
	}
}

int
cv_links_outgoing(struct cv_links *l, const struct xobj *o,
    const char **key, const char **title)
{
	const struct xmember *sk, *tt;
	enum link_outcome r;
	const char *why;

	if (!cv_links_on(l) || (sk = xobj_member(o, "destinationSpaceKey")) ==
	    NULL || (tt = xobj_member(o, "destinationPageTitle")) == NULL ||
	    sk->is_null || tt->is_null || tt->value_len < 2 ||
	    memcmp(tt->value, "//", 2) != 0 || sk->value_len == 0 ||
	    sk->value_len > 16)
		return 0;
	sb_reset(&l->url);
	sb_add(&l->url, sk->value, sk->value_len);
	sb_addc(&l->url, ':');
	sb_add(&l->url, tt->value, tt->value_len);
	r = link_resolve_url(&l->rule, l->url.buf, l->url.len, key, title,
	    &why);
	l->outgoing[r]++;
	if ((r != LO_REWRITTEN && r != LO_CROSS_SPACE) || *title == NULL) {
		if (r == LO_REWRITTEN || r == LO_CROSS_SPACE) {
			l->outgoing[r]--;	/* a space home: no page to name */
			l->outgoing[LO_UNRESOLVED]++;
		}
		return 0;
	}
	return 1;
}

void
cv_links_facts(struct cv_links *l, struct manifest *m)
{
	char key[96];
	int f, o;

	if (!cv_links_on(l))
		return;
	manifest_setu(m, "convert.link.server-urls", link_bases_count(l->bases));
	manifest_setu(m, "convert.link.site-indexes", l->nsites);
	for (f = 0; f < LINK_NFORMS; f++)
		for (o = 0; o < LO_NOUTCOMES; o++) {
			if (l->rule.n[f][o] == 0)
				continue;
			snprintf(key, sizeof(key), "convert.link.%s.%s",
			    link_count_form_name(f),
			    link_outcome_name((enum link_outcome)o));
			manifest_setu(m, key, l->rule.n[f][o]);
		}
	for (o = 0; o < LO_NOUTCOMES; o++) {
		if (l->outgoing[o] == 0)
			continue;
		snprintf(key, sizeof(key), "convert.outgoing-link.%s",
		    link_outcome_name((enum link_outcome)o));
		manifest_setu(m, key, l->outgoing[o]);
	}
}

/* Total of outcome o over every form (o < 0: every outcome). */
static uint64_t
total(const struct cv_links *l, int o)
{
	uint64_t n = 0;
	int f, k;

	for (f = 0; f < LINK_NFORMS; f++)
		for (k = 0; k < LO_NOUTCOMES; k++)
			if (o < 0 || k == o)
				n += l->rule.n[f][k];
	return n;
}

void
cv_links_json(struct strbuf *sb, void *arg)
{
	struct cv_links *l = arg;
	int f, o, first = 1;

	sb_adds(sb, "{\"enabled\": ");
	sb_adds(sb, cv_links_on(l) ? "true" : "false");
	if (!cv_links_on(l)) {
		sb_adds(sb, "}");
		return;
	}
	sb_adds(sb, ", \"site_indexes\": ");
	json_u64(sb, l->nsites);
	sb_adds(sb, ", \"total\": ");
	json_u64(sb, total(l, -1));
	sb_adds(sb, ", \"forms\": {");
	for (f = 0; f < LINK_NFORMS; f++) {
		sb_adds(sb, first ? "\n    " : ",\n    ");
		first = 0;
		json_str(sb, link_count_form_name(f));
		sb_adds(sb, ": {");
		for (o = 0; o < LO_NOUTCOMES; o++) {
			sb_adds(sb, o > 0 ? ", " : "");
			json_str(sb, link_outcome_name((enum link_outcome)o));
			sb_adds(sb, ": ");
			json_u64(sb, l->rule.n[f][o]);
		}
		sb_adds(sb, "}");
	}
	sb_adds(sb, "}, \"outgoing_link_objects\": {");
	for (o = 0; o < LO_NOUTCOMES; o++) {
		sb_adds(sb, o > 0 ? ", " : "");
		json_str(sb, link_outcome_name((enum link_outcome)o));
		sb_adds(sb, ": ");
		json_u64(sb, l->outgoing[o]);
	}
	sb_adds(sb, "}}");
}

void
cv_links_summary(struct cv_links *l)
{
	struct strbuf sb = STRBUF_INIT;
	char label[64];
	uint64_t n;
	int f, o;

	if (!cv_links_on(l))
		return;
	report_summary_line("links:", "%" PRIu64 " found (%" PRIu64 " rewritten, %" PRIu64 " cross-space, %"
	    PRIu64 " left external, %" PRIu64 " unresolved)", total(l, -1),
	    total(l, LO_REWRITTEN), total(l, LO_CROSS_SPACE),
	    total(l, LO_EXTERNAL), total(l, LO_UNRESOLVED));
	for (f = 0; f < LINK_NFORMS; f++) {
		sb_reset(&sb);
		for (n = 0, o = 0; o < LO_NOUTCOMES; o++)
			if (l->rule.n[f][o] > 0) {
				sb_addf(&sb, "%s%" PRIu64 " %s", sb.len ? ", " :
				    "", l->rule.n[f][o],
				    link_outcome_name((enum link_outcome)o));
				n += l->rule.n[f][o];
			}
		if (n == 0)
			continue;
		snprintf(label, sizeof(label), "  links %s:",
		    link_count_form_name(f));
		report_summary_line(label, "%" PRIu64 " (%s)", n, sb_str(&sb));
	}
	sb_free(&sb);
}

void
cv_links_free(struct cv_links *l)
{
	link_rule_free(&l->rule);
	linkidx_close(l->idx);
	if (l->bases != NULL)
		link_bases_free(l->bases);
	free(l->sites);
	free(l->self_key);
	sb_free(&l->url);
	memset(l, 0, sizeof(*l));
}
