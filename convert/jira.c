/*
 * jira.c - --jira-server OLDID=NEWID[,NAME]: point the Jira macros (jira,
 * jiraissues, jirachart) at the Cloud site's Jira.
 *
 * A rule on the body toolkit (cv_jira_rule, one row of convert's rule
 * table).  For each Jira macro whose serverId is a mapped OLDID (or, for a
 * macro without serverId, whose server name is), the serverId value
 * becomes NEWID and the server value NAME (default "System Jira", the
 * name Cloud gives its own Jira link: links-and-macros.md section 6.1);
 * a missing parameter is added.  Nothing else of the macro changes (key,
 * jqlQuery, columns stay: issue keys survive a Jira migration).
 *
 * Never guessed: a Cloud serverId is only ever one the user gave.  Every
 * Jira macro left pointing at a Server link is reported (jira-unmapped,
 * one finding per link, with its pages), legacy macros that name their
 * issues by the Server Jira's URL (url=) are reported (jira-legacy-url),
 * and a mapping that matched nothing is reported (jira-map-unused).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "convert.h"
#include "diag.h"
#include "jiramacro.h"
#include "report.h"
#include "strbuf.h"
#include "xmltext.h"

#define JIRA_DEFAULT_NAME	"System Jira"
#define JIRA_ARG_MAX		255	/* longest OLDID or NAME accepted */
#define JIRA_MAX_LINKS		1000	/* distinct unmapped links tracked */

/* ---- the option ------------------------------------------------------ */

static int
is_uuid(const char *s)
{
	size_t i;

	if (strlen(s) != 36)
		return 0;
	for (i = 0; i < 36; i++)
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f') || (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	return 1;
}

static int
plain(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > JIRA_ARG_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

const char *
cv_jira_map_add(struct cv_jira *j, const char *arg)
{
	const char *eq, *comma;
	struct cv_jmap *m;
	size_t i;
	char *old, *id;

	if ((eq = strchr(arg, '=')) == NULL)
		return "expected OLDID=NEWID[,NAME]";
	if (!plain(arg, (size_t)(eq - arg)))
		return "OLDID must be 1 to 255 printable characters";
	comma = strchr(eq + 1, ',');
	id = comma != NULL ? xstrndup(eq + 1, (size_t)(comma - eq - 1)) :
	    xstrdup(eq + 1);
	if (!is_uuid(id)) {
		free(id);
		return "NEWID must be the Cloud site's Jira link id, a UUID "
		    "(8-4-4-4-12 hex digits)";
	}
	if (comma != NULL && !plain(comma + 1, strlen(comma + 1))) {
		free(id);
		return "NAME must be 1 to 255 printable characters";
	}
	old = xstrndup(arg, (size_t)(eq - arg));
	for (i = 0; i < j->nmap; i++)
		if (strcmp(j->map[i].old, old) == 0) {
			free(old);
			free(id);
			return "OLDID given twice";
		}
	j->map = xreallocarray(j->map, j->nmap + 1, sizeof(*j->map));
	m = &j->map[j->nmap++];
	m->old = old;
	m->new_id = id;
	m->name = xstrdup(comma != NULL ? comma + 1 : JIRA_DEFAULT_NAME);
	m->used = 0;
	return NULL;
}

/* ---- the rule -------------------------------------------------------- */

static const struct cv_jmap *
lookup(struct cv_jira *j, const struct jira_macro *m)
{
	const struct jira_param *id = &m->p[JP_SERVER_ID];
	const struct jira_param *sv = &m->p[JP_SERVER];
	const char *k;
	size_t i;

	if (id->have && id->val.len > 0)
		k = id->val.buf;
	else if (sv->have && sv->val.len > 0)
		k = sv->val.buf;
	else
		return NULL;
	for (i = 0; i < j->nmap; i++)
		if (strcmp(j->map[i].old, k) == 0) {
			j->map[i].used++;
			return &j->map[i];
		}
	return NULL;
}

static char *
dup_param(const struct jira_param *p)
{
	return p->have ? xstrdup(p->val.buf != NULL ? p->val.buf : "") : NULL;
}

static int
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void
note_page(struct cv_jlink *l, const char *content)
{
	size_t i;

	if (content == NULL)
		return;
	for (i = 0; i < l->npages; i++)
		if (strcmp(l->pages[i], content) == 0)
			return;
	if (l->npages < JIRA_MAX_PAGES)
		l->pages[l->npages++] = xstrdup(content);
	else
		l->more++;
}

/* Count a macro left pointing at the Server (unmapped or legacy url). */
static void
unmapped(struct cv_jira *j, const struct jira_macro *m, int legacy)
{
	const struct jira_param *sv = &m->p[JP_SERVER], *id = &m->p[JP_SERVER_ID];
	struct cv_jlink *l;
	char *s, *i;
	size_t k;

	if (legacy) {
		j->legacy++;
		note_page(&j->legacy_pages, j->content);
		return;
	}
	s = dup_param(sv);
	i = dup_param(id);
	for (k = 0; k < j->nlinks; k++)
		if (same(j->links[k].server, s) && same(j->links[k].server_id, i))
			break;
	if (k == j->nlinks) {
		if (j->nlinks == JIRA_MAX_LINKS) {
			j->links_dropped++;
			free(s);
			free(i);
			return;
		}
		j->links = xreallocarray(j->links, j->nlinks + 1,
		    sizeof(*j->links));
		l = &j->links[j->nlinks++];
		memset(l, 0, sizeof(*l));
		l->server = s;
		l->server_id = i;
	} else {
		free(s);
		free(i);
	}
	l = &j->links[k];
	l->macros++;
	note_page(l, j->content);
}

/* Replace a parameter's value, or add the parameter before the end tag. */
static int
set_param(struct body *b, const struct jira_macro *m,
    const struct jira_param *p, const char *pname, const char *v,
    struct strbuf *tmp)
{
	if (p->have && p->editable)
		return body_edit(b, p->voff, p->vlen, v, strlen(v), BE_TEXT);
	if (p->have)
		return -1;	/* <ac:parameter .../>: no span to edit */
	sb_reset(tmp);
	sb_addf(tmp, "<ac:parameter ac:name=\"%s\">", pname);
	xml_add_text(tmp, v, strlen(v));
	sb_adds(tmp, "</ac:parameter>");
	return body_edit(b, m->end_off, 0, tmp->buf, tmp->len, BE_MARKUP);
}

static void
jira_found(struct body *b, const struct jira_macro *m, void *arg)
{
	struct cv_jira *j = arg;
	const struct cv_jmap *map;

	j->macros++;
	if (m->p[JP_URL].have && !m->p[JP_SERVER_ID].have) {
		unmapped(j, m, 1);
		return;
	}
	if ((map = lookup(j, m)) == NULL) {
		unmapped(j, m, 0);
		return;
	}
	if (m->end_off <= m->off ||
	    set_param(b, m, &m->p[JP_SERVER_ID], "serverId", map->new_id,
	    &j->tmp) != 0 ||
	    set_param(b, m, &m->p[JP_SERVER], "server", map->name,
	    &j->tmp) != 0) {
		/* self-closed macro or parameter, or an overlapping edit */
		j->not_rewritten++;
		unmapped(j, m, 0);
		return;
	}
	j->rewritten++;
}

static void
jr_begin(struct body *b, void *ctx)
{
	(void)b;
	jira_scan_begin(&((struct cv_jira *)ctx)->js);
}

static void
jr_token(struct body *b, const struct btok *t, void *ctx)
{
	jira_scan_token(&((struct cv_jira *)ctx)->js, b, t);
}

const struct body_rule cv_jira_rule = {
	.name = "jira",
	.formats = 1u << BODY_STORAGE,
	.storage_triggers = jira_triggers,
	.want = (1u << BT_START) | (1u << BT_END),
	.begin = jr_begin,
	.token = jr_token,
};

void
cv_jira_init(struct cv_jira *j)
{
	j->js.fn = jira_found;
	j->js.arg = j;
}

void
cv_jira_object(struct cv_jira *j, const struct xobj *o)
{
	const struct xmember *owner;

	if (o->cls != NULL && strcmp(o->cls, "PageTemplate") == 0)
		j->content = o->id;
	else if ((owner = xobj_member(o, "content")) != NULL &&
	    !owner->is_null)
		j->content = owner->value;
	else
		j->content = o->id;
}

/* ---- after the pass -------------------------------------------------- */

static void
pages(struct strbuf *sb, char *const *p, size_t n, uint64_t more)
{
	size_t i;

	sb_adds(sb, "content ");
	for (i = 0; i < n; i++)
		sb_addf(sb, "%s%s", i > 0 ? ", " : "", p[i]);
	if (more > 0)
		sb_addf(sb, " and %" PRIu64 " more", more);
}

void
cv_jira_report(struct cv_jira *j)
{
	struct strbuf sb = STRBUF_INIT;
	struct cv_jlink *l;
	size_t i;

	for (i = 0; i < j->nlinks; i++) {
		l = &j->links[i];
		sb_reset(&sb);
		sb_addf(&sb, "%" PRIu64 " Jira macro%s point%s at the Server's "
		    "application link", l->macros, l->macros == 1 ? "" : "s",
		    l->macros == 1 ? "s" : "");
		if (l->server != NULL)
			sb_addf(&sb, " \"%s\"", l->server);
		sb_addf(&sb, " %s: no --jira-server mapping, so Cloud cannot "
		    "show the issues; give the Cloud site's Jira link id with "
		    "--jira-server '%s=NEWID'; ", l->server_id != NULL ?
		    l->server_id : "(no serverId)", l->server_id != NULL ?
		    l->server_id : l->server != NULL ? l->server : "OLDID");
		pages(&sb, l->pages, l->npages, l->more);
		report_finding("jira-unmapped", "entities.xml", 0,
		    l->server_id != NULL ? l->server_id : l->server, "%s",
		    sb_str(&sb));
	}
	if (j->links_dropped > 0)
		report_finding("jira-unmapped", "entities.xml", 0, NULL,
		    "%" PRIu64 " more Jira macros on links beyond the first %d "
		    "(not listed)", j->links_dropped, JIRA_MAX_LINKS);
	if (j->legacy > 0) {
		sb_reset(&sb);
		sb_addf(&sb, "%" PRIu64 " legacy Jira macro%s name%s issues by "
		    "the Server Jira's URL (url=), which Cloud cannot use and "
		    "--jira-server cannot map: replace with a Jira macro; ",
		    j->legacy, j->legacy == 1 ? "" : "s",
		    j->legacy == 1 ? "s" : "");
		pages(&sb, j->legacy_pages.pages, j->legacy_pages.npages,
		    j->legacy_pages.more);
		report_finding("jira-legacy-url", "entities.xml", 0, NULL, "%s",
		    sb_str(&sb));
	}
	for (i = 0; i < j->nmap; i++)
		if (j->map[i].used == 0)
			report_finding("jira-map-unused", NULL, 0, j->map[i].old,
			    "--jira-server %s=%s: no Jira macro uses %s",
			    j->map[i].old, j->map[i].new_id, j->map[i].old);
	sb_free(&sb);
	if (j->macros > 0 || j->nmap > 0)
		report_summary_line("jira macros", "%" PRIu64 " (%" PRIu64
		    " pointed at the Cloud site's Jira, %" PRIu64 " left on "
		    "Server links, %" PRIu64 " legacy url=)", j->macros,
		    j->rewritten, j->macros - j->rewritten - j->legacy,
		    j->legacy);
}

void
cv_jira_json(struct strbuf *sb, void *arg)
{
	struct cv_jira *j = arg;
	struct cv_jlink *l;
	size_t i;

	sb_addf(sb, "{\"macros\":%" PRIu64 ",\"rewritten\":%" PRIu64
	    ",\"legacy_url\":%" PRIu64 ",\"mappings\":[", j->macros,
	    j->rewritten, j->legacy);
	for (i = 0; i < j->nmap; i++) {
		sb_adds(sb, i > 0 ? ",{\"old\":" : "{\"old\":");
		json_str(sb, j->map[i].old);
		sb_adds(sb, ",\"new\":");
		json_str(sb, j->map[i].new_id);
		sb_adds(sb, ",\"name\":");
		json_str(sb, j->map[i].name);
		sb_addf(sb, ",\"macros\":%" PRIu64 "}", j->map[i].used);
	}
	sb_adds(sb, "],\"unmapped\":[");
	for (i = 0; i < j->nlinks; i++) {
		l = &j->links[i];
		sb_adds(sb, i > 0 ? ",{\"server\":" : "{\"server\":");
		json_str(sb, l->server);
		sb_adds(sb, ",\"server_id\":");
		json_str(sb, l->server_id);
		sb_addf(sb, ",\"macros\":%" PRIu64 "}", l->macros);
	}
	sb_adds(sb, "]}");
}

void
cv_jira_free(struct cv_jira *j)
{
	size_t i, k;

	for (i = 0; i < j->nmap; i++) {
		free(j->map[i].old);
		free(j->map[i].new_id);
		free(j->map[i].name);
	}
	free(j->map);
	for (i = 0; i < j->nlinks; i++) {
		free(j->links[i].server);
		free(j->links[i].server_id);
		for (k = 0; k < j->links[i].npages; k++)
			free(j->links[i].pages[k]);
	}
	free(j->links);
	for (k = 0; k < j->legacy_pages.npages; k++)
		free(j->legacy_pages.pages[k]);
	jira_scan_free(&j->js);
	sb_free(&j->tmp);
}
