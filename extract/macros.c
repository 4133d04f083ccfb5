/*
 * macros.c - the macro verdict: which macros of the export Confluence
 * Cloud will not render, which Jira application links the Jira macros use,
 * and which macros sit inside other macros.
 *
 * One rule on the body toolkit (xmacros_rule) sees every storage-format
 * body: it counts macros by name, records nestings (a macro inside another
 * macro's body) and reads Jira macros through jiramacro.h.  Rows go to a
 * private temporary SQLite database together with the title and liveness
 * of every content object, so memory stays bounded whatever the export's
 * size.  At the end of the pass (xmacros_finish) the compiled
 * compatibility table (macrocompat.h, from data/macro-compat.tsv) turns
 * the counts into findings; with --inventory the same rows and the table
 * itself go into the inventory (xmacros_inventory: docs/inventory.md).
 *
 * Findings (one per macro, nesting or link; the pages listed are live
 * content, at most MAX_LIST of them, titles first):
 *   macro-unsupported  a Server macro Cloud does not render as is
 *                      (not-available, needs-app, renamed)
 *   macro-unknown      a macro in no row: a user macro or an app macro
 *   macro-nested       a macro inside a macro that is not one of the
 *                      Cloud editor's containers (see NEST_OK)
 *   jira-legacy-url    a legacy Jira macro that names its issues by the
 *                      Server Jira's URL (url=), which has no Cloud form
 * Macros used only in historical versions, drafts or the trash are counted
 * in the views but raise no finding: nobody sees them render.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "db.h"
#include "diag.h"
#include "extract.h"
#include "inventory.h"
#include "jiramacro.h"
#include "macrocompat.h"
#include "report.h"
#include "strbuf.h"

#define MAX_LIST	"10"	/* pages named in one finding (SQL LIMIT) */
#define MAX_NAME	255	/* longest macro name recorded */

/*
 * Outer macros whose body Cloud renders with other macros inside: the Cloud
 * editor's own containers (panels, expand, page properties, excerpt, and
 * section/column which it turns into layouts).  Everything else counts as
 * a nesting Cloud does not render: "Confluence Cloud currently does not
 * support nested macro (CONFCLOUD-68323)" (ServiceRocket), "nested macros
 * are generally not supported in Confluence Cloud" (Appfire).  Which
 * macros each container renders inside it is not documented: this list is
 * the uncertain part (data/macro-compat.tsv header).
 */
static const char *const nest_ok[] = { "column", "details", "excerpt",
    "expand", "info", "note", "panel", "section", "tip", "warning" };

struct tally {
	size_t		 off, len;	/* name in names (outer NUL inner for nestings) */
	int64_t		 n;
};

struct tallies {
	struct tally	*v;
	size_t		 n, cap;
	struct strbuf	 names;
};

struct xmacros {
	struct db	 d;
	sqlite3_stmt	*ins_use, *ins_nest, *ins_jira, *ins_content;
	struct body	*b;
	struct jira_scan js;
	/* the body being scanned */
	const char	*content_id, *body_id;
	struct tallies	 use, nest;
	/* totals */
	uint64_t	 bodies, macros, jira;
	uint64_t	 unsupported, unknown;	/* kinds with a finding */
	struct strbuf	 json;
};

/* ---- per-body tallies ------------------------------------------------ */

static void
tally(struct tallies *t, const char *a, size_t alen, const char *b2,
    size_t blen)
{
	size_t i, len = b2 != NULL ? alen + 1 + blen : alen;
	const char *p;

	for (i = 0; i < t->n; i++) {
		p = t->names.buf + t->v[i].off;
		if (t->v[i].len == len && memcmp(p, a, alen) == 0 &&
		    (b2 == NULL || (p[alen] == '\0' &&
		    memcmp(p + alen + 1, b2, blen) == 0))) {
			t->v[i].n++;
			return;
		}
	}
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->v = xreallocarray(t->v, t->cap, sizeof(*t->v));
	}
	t->v[t->n].off = t->names.len;
	t->v[t->n].len = len;
	t->v[t->n].n = 1;
	t->n++;
	sb_add(&t->names, a, alen);
	if (b2 != NULL) {
		sb_addc(&t->names, '\0');
		sb_add(&t->names, b2, blen);
	}
}

static void
tallies_reset(struct tallies *t)
{
	t->n = 0;
	sb_reset(&t->names);
}

static void
tallies_free(struct tallies *t)
{
	free(t->v);
	sb_free(&t->names);
}

static int
nest_renders(const char *outer)
{
	size_t i;

	for (i = 0; i < sizeof(nest_ok) / sizeof(nest_ok[0]); i++)
		if (strcmp(nest_ok[i], outer) == 0)
			return 1;
	return 0;
}

/* ---- the rule ---------------------------------------------------------- */

static void
bind_opt(struct xmacros *xm, sqlite3_stmt *st, int i, const char *s)
{
	if (s != NULL)
		db_bind_text(&xm->d, st, i, s, -1);
	else
		db_bind_null(&xm->d, st, i);
}

static void
param_bind(struct xmacros *xm, sqlite3_stmt *st, int i,
    const struct jira_param *p)
{
	if (p->have)
		db_bind_text(&xm->d, st, i, p->val.buf != NULL ? p->val.buf : "",
		    (int)p->val.len);
	else
		db_bind_null(&xm->d, st, i);
}

static void
jira_found(struct body *b, const struct jira_macro *m, void *arg)
{
	struct xmacros *xm = arg;
	sqlite3_stmt *st = xm->ins_jira;

	(void)b;
	xm->jira++;
	bind_opt(xm, st, 1, xm->content_id);
	bind_opt(xm, st, 2, xm->body_id);
	db_bind_text(&xm->d, st, 3, m->name, -1);
	param_bind(xm, st, 4, &m->p[JP_SERVER]);
	param_bind(xm, st, 5, &m->p[JP_SERVER_ID]);
	param_bind(xm, st, 6, &m->p[JP_URL]);
	param_bind(xm, st, 7, &m->p[JP_KEY]);
	param_bind(xm, st, 8, &m->p[JP_JQL]);
	db_run(&xm->d, st);
}

static void
rule_begin(struct body *b, void *ctx)
{
	struct xmacros *xm = ctx;

	(void)b;
	tallies_reset(&xm->use);
	tallies_reset(&xm->nest);
	jira_scan_begin(&xm->js);
}

static void
rule_token(struct body *b, const struct btok *t, void *ctx)
{
	struct xmacros *xm = ctx;
	const struct bframe *outer;
	const struct battr *a;

	if ((t->flags & (BT_IN_CODE | BT_IN_WIKI)) != 0)
		return;
	if (t->kind == BT_START && (btok_is(t, "ac:structured-macro") ||
	    btok_is(t, "ac:macro")) && (a = btok_attr(t, "ac:name")) != NULL &&
	    a->val_len > 0 && a->val_len <= MAX_NAME &&
	    memchr(a->val, '\0', a->val_len) == NULL) {
		tally(&xm->use, a->val, a->val_len, NULL, 0);
		/* for a start tag the frames are its ancestors */
		if ((outer = body_macro(b)) != NULL && outer->acname != NULL &&
		    outer->acname_len > 0 && outer->acname_len <= MAX_NAME &&
		    memchr(outer->acname, '\0', outer->acname_len) == NULL)
			tally(&xm->nest, outer->acname, outer->acname_len,
			    a->val, a->val_len);
	}
	jira_scan_token(&xm->js, b, t);
}

static void
rule_end(struct body *b, void *ctx)
{
	struct xmacros *xm = ctx;
	const char *p;
	size_t i;

	(void)b;
	xm->bodies++;
	for (i = 0; i < xm->use.n; i++) {
		bind_opt(xm, xm->ins_use, 1, xm->content_id);
		bind_opt(xm, xm->ins_use, 2, xm->body_id);
		db_bind_text(&xm->d, xm->ins_use, 3, xm->use.names.buf +
		    xm->use.v[i].off, (int)xm->use.v[i].len);
		db_bind_i64(&xm->d, xm->ins_use, 4, xm->use.v[i].n);
		db_run(&xm->d, xm->ins_use);
		xm->macros += (uint64_t)xm->use.v[i].n;
	}
	for (i = 0; i < xm->nest.n; i++) {
		p = xm->nest.names.buf + xm->nest.v[i].off;
		bind_opt(xm, xm->ins_nest, 1, xm->content_id);
		bind_opt(xm, xm->ins_nest, 2, xm->body_id);
		db_bind_text(&xm->d, xm->ins_nest, 3, p, -1);
		db_bind_text(&xm->d, xm->ins_nest, 4, p + strlen(p) + 1,
		    (int)(xm->nest.v[i].len - strlen(p) - 1));
		db_bind_i64(&xm->d, xm->ins_nest, 5, xm->nest.v[i].n);
		db_bind_i64(&xm->d, xm->ins_nest, 6, nest_renders(p));
		db_run(&xm->d, xm->ins_nest);
	}
}

static const char *const macro_triggers[] = { "ac:structured-macro",
    "ac:macro", NULL };

const struct body_rule xmacros_rule = {
	.name = "macro verdicts",
	.formats = 1u << BODY_STORAGE,
	.storage_triggers = macro_triggers,
	.wiki_triggers = NULL,
	.want = (1u << BT_START) | (1u << BT_END),
	.want_code = 0,
	.begin = rule_begin,
	.token = rule_token,
	.end = rule_end,
};

/* ---- objects ----------------------------------------------------------- */

static int
is_content(const char *cls)
{
	static const char *const names[] = { "Page", "BlogPost", "Comment",
	    "SpaceDescription", "Draft", "CustomContentEntityObject",
	    "PageTemplate" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(names[i], cls) == 0)
			return 1;
	return 0;
}

struct xmacros *
xmacros_new(void)
{
	struct xmacros *xm = xcalloc(1, sizeof(*xm));

	db_open(&xm->d, NULL);
	db_exec(&xm->d, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
	    "BEGIN;"
	    "CREATE TABLE use(content_id TEXT, body_id TEXT, name TEXT,"
	    " n INTEGER);"
	    "CREATE TABLE nest(content_id TEXT, body_id TEXT, outer TEXT,"
	    " inner TEXT, n INTEGER, cloud_container INTEGER);"
	    "CREATE TABLE jira(content_id TEXT, body_id TEXT, macro TEXT,"
	    " server TEXT, server_id TEXT, url TEXT, issue_key TEXT,"
	    " jql TEXT);"
	    "CREATE TABLE content(id TEXT, class TEXT, title TEXT,"
	    " live INTEGER);");
	xm->ins_use = db_prep(&xm->d, "INSERT INTO use VALUES(?,?,?,?)");
	xm->ins_nest = db_prep(&xm->d, "INSERT INTO nest VALUES(?,?,?,?,?,?)");
	xm->ins_jira = db_prep(&xm->d,
	    "INSERT INTO jira VALUES(?,?,?,?,?,?,?,?)");
	xm->ins_content = db_prep(&xm->d,
	    "INSERT INTO content VALUES(?,?,?,?)");
	xm->b = body_new();
	xm->js.fn = jira_found;
	xm->js.arg = xm;
	return xm;
}

/*
 * The body's owner is set for the rule (xmacros_rule's ctx is xm): the
 * extract pass calls xmacros_object for every object before running its
 * rule table on the object's body.
 */
void
xmacros_object(struct xmacros *xm, const struct xobj *o)
{
	const struct xmember *owner, *t;

	xm->content_id = xm->body_id = NULL;
	if (o->cls == NULL || o->id == NULL)
		return;
	if (is_content(o->cls)) {
		t = xobj_member(o, strcmp(o->cls, "PageTemplate") == 0 ?
		    "name" : "title");
		bind_opt(xm, xm->ins_content, 1, o->id);
		bind_opt(xm, xm->ins_content, 2, o->cls);
		if (t != NULL && !t->is_null && t->value != NULL)
			db_bind_text(&xm->d, xm->ins_content, 3, t->value,
			    (int)t->value_len);
		else
			db_bind_null(&xm->d, xm->ins_content, 3);
		db_bind_i64(&xm->d, xm->ins_content, 4, model_is_live(o));
		db_run(&xm->d, xm->ins_content);
	}
	if (strcmp(o->cls, "PageTemplate") == 0)
		xm->content_id = o->id;
	else if ((owner = xobj_member(o, "content")) != NULL &&
	    !owner->is_null)
		xm->content_id = owner->value;
	xm->body_id = o->id;
}

/* ---- the verdict ------------------------------------------------------- */

static const char *
col(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s != NULL ? (const char *)s : NULL;
}

/* ", on N live pages: "T" (Page 1), ..." from the rows of st (id, class,
 * title), bound and ready; total = live pages. */
static void
page_list(struct xmacros *xm, sqlite3_stmt *st, int64_t total,
    struct strbuf *sb)
{
	int64_t k = 0;

	sb_addf(sb, " on %" PRId64 " live page%s: ", total,
	    total == 1 ? "" : "s");
	while (db_step(&xm->d, st)) {
		if (k > 0)
			sb_adds(sb, ", ");
		if (col(st, 2) != NULL)
			sb_addf(sb, "\"%s\" (%s %s)", col(st, 2),
			    col(st, 1) != NULL ? col(st, 1) : "content",
			    col(st, 0));
		else
			sb_addf(sb, "%s %s", col(st, 1) != NULL ? col(st, 1) :
			    "content", col(st, 0) != NULL ? col(st, 0) : "?");
		k++;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (total > k)
		sb_addf(sb, " and %" PRId64 " more", total - k);
}

static void
json_row(struct strbuf *j, int *first, const char *name, int64_t uses,
    int64_t pages, int64_t live, const struct macro_compat *mc)
{
	if (!*first)
		sb_addc(j, ',');
	*first = 0;
	sb_adds(j, "{\"macro\":");
	json_str(j, name);
	sb_addf(j, ",\"uses\":%" PRId64 ",\"pages\":%" PRId64
	    ",\"live_pages\":%" PRId64 ",\"cloud\":", uses, pages, live);
	json_str(j, mc != NULL ? macro_compat_status(mc->status) : "unknown");
	sb_adds(j, ",\"cloud_name\":");
	json_str(j, mc != NULL && mc->cloud_name[0] != '\0' ? mc->cloud_name :
	    NULL);
	sb_adds(j, ",\"note\":");
	json_str(j, mc != NULL ? mc->note : "not a Confluence Server/DC macro: "
	    "a user macro or an app macro");
	sb_adds(j, ",\"certainty\":");
	json_str(j, mc != NULL ? mc->certainty : NULL);
	sb_addc(j, '}');
}

static void
verdict_macros(struct xmacros *xm, struct strbuf *j)
{
	sqlite3_stmt *st, *pl;
	struct strbuf msg = STRBUF_INIT;
	const struct macro_compat *mc;
	const char *name;
	int64_t uses, pages, live;
	int first = 1;

	st = db_prep(&xm->d, "SELECT u.name, sum(u.n),"
	    " count(DISTINCT u.content_id),"
	    " count(DISTINCT CASE WHEN c.live = 1 THEN u.content_id END)"
	    " FROM use u LEFT JOIN content c ON c.id = u.content_id"
	    " GROUP BY u.name ORDER BY u.name");
	pl = db_prep(&xm->d, "SELECT DISTINCT u.content_id, c.class, c.title"
	    " FROM use u JOIN content c ON c.id = u.content_id"
	    " WHERE u.name = ?1 AND c.live = 1"
	    " ORDER BY c.title, c.id LIMIT " MAX_LIST);
	sb_adds(j, "\"macros\":[");
	while (db_step(&xm->d, st)) {
		name = col(st, 0);
		uses = sqlite3_column_int64(st, 1);
		pages = sqlite3_column_int64(st, 2);
		live = sqlite3_column_int64(st, 3);
		mc = macro_compat_find(name, strlen(name));
		json_row(j, &first, name, uses, pages, live, mc);
		if (live == 0 || (mc != NULL && mc->status == MC_SAME))
			continue;
		sb_reset(&msg);
		if (mc == NULL)
			sb_addf(&msg, "macro %s is not a Confluence Server/DC "
			    "macro (a user macro or an app macro): Cloud "
			    "renders it only if an app with that macro key is "
			    "installed; %" PRId64 " use%s", name, uses,
			    uses == 1 ? "" : "s");
		else
			sb_addf(&msg, "macro %s: %s in Cloud%s%s (%s, %s); %"
			    PRId64 " use%s", name,
			    mc->status == MC_RENAMED ? "renamed" :
			    mc->status == MC_NEEDS_APP ? "needs an app" :
			    "not available", mc->status == MC_RENAMED ?
			    " to " : "", mc->cloud_name, mc->note,
			    mc->certainty, uses, uses == 1 ? "" : "s");
		db_bind_text(&xm->d, pl, 1, name, -1);
		page_list(xm, pl, live, &msg);
		report_finding(mc == NULL ? "macro-unknown" : "macro-unsupported",
		    "entities.xml", 0, name, "%s", sb_str(&msg));
		if (mc == NULL)
			xm->unknown++;
		else
			xm->unsupported++;
	}
	sb_addc(j, ']');
	db_finalize(st);
	db_finalize(pl);
	sb_free(&msg);
}

static void
verdict_nesting(struct xmacros *xm, struct strbuf *j)
{
	sqlite3_stmt *st, *pl;
	struct strbuf msg = STRBUF_INIT, subj = STRBUF_INIT;
	const char *outer, *inner;
	int64_t uses, live;
	int first = 1, renders;

	st = db_prep(&xm->d, "SELECT n.outer, n.inner, sum(n.n),"
	    " count(DISTINCT n.content_id),"
	    " count(DISTINCT CASE WHEN c.live = 1 THEN n.content_id END)"
	    " FROM nest n LEFT JOIN content c ON c.id = n.content_id"
	    " GROUP BY n.outer, n.inner ORDER BY n.outer, n.inner");
	pl = db_prep(&xm->d, "SELECT DISTINCT n.content_id, c.class, c.title"
	    " FROM nest n JOIN content c ON c.id = n.content_id"
	    " WHERE n.outer = ?1 AND n.inner = ?2 AND c.live = 1"
	    " ORDER BY c.title, c.id LIMIT " MAX_LIST);
	sb_adds(j, ",\"nested\":[");
	while (db_step(&xm->d, st)) {
		outer = col(st, 0);
		inner = col(st, 1);
		uses = sqlite3_column_int64(st, 2);
		live = sqlite3_column_int64(st, 4);
		renders = nest_renders(outer);
		if (!first)
			sb_addc(j, ',');
		first = 0;
		sb_adds(j, "{\"outer\":");
		json_str(j, outer);
		sb_adds(j, ",\"inner\":");
		json_str(j, inner);
		sb_addf(j, ",\"uses\":%" PRId64 ",\"pages\":%" PRId64
		    ",\"live_pages\":%" PRId64 ",\"cloud_container\":%s}", uses,
		    (int64_t)sqlite3_column_int64(st, 3), live,
		    renders ? "true" : "false");
		if (renders || live == 0)
			continue;
		sb_reset(&msg);
		sb_addf(&msg, "macro %s inside macro %s: Cloud does not "
		    "render macros nested in other macros (CONFCLOUD-68323), "
		    "only inside its own containers; %" PRId64 " use%s", inner,
		    outer, uses, uses == 1 ? "" : "s");
		db_bind_text(&xm->d, pl, 1, outer, -1);
		db_bind_text(&xm->d, pl, 2, inner, -1);
		page_list(xm, pl, live, &msg);
		sb_reset(&subj);
		sb_addf(&subj, "%s>%s", outer, inner);
		report_finding("macro-nested", "entities.xml", 0,
		    sb_str(&subj), "%s", sb_str(&msg));
	}
	sb_addc(j, ']');
	db_finalize(st);
	db_finalize(pl);
	sb_free(&msg);
	sb_free(&subj);
}

static void
verdict_jira(struct xmacros *xm, struct strbuf *j)
{
	sqlite3_stmt *st, *pl;
	struct strbuf msg = STRBUF_INIT;
	int first = 1;
	int64_t legacy;

	st = db_prep(&xm->d, "SELECT j.server, j.server_id, count(*),"
	    " count(DISTINCT j.content_id),"
	    " count(DISTINCT CASE WHEN c.live = 1 THEN j.content_id END),"
	    " group_concat(DISTINCT j.macro)"
	    " FROM jira j LEFT JOIN content c ON c.id = j.content_id"
	    " WHERE j.url IS NULL OR j.server_id IS NOT NULL"
	    " GROUP BY j.server, j.server_id ORDER BY 3 DESC, 1, 2");
	sb_adds(j, ",\"jira_links\":[");
	while (db_step(&xm->d, st)) {
		if (!first)
			sb_addc(j, ',');
		first = 0;
		sb_adds(j, "{\"server\":");
		json_str(j, col(st, 0));
		sb_adds(j, ",\"server_id\":");
		json_str(j, col(st, 1));
		sb_addf(j, ",\"uses\":%" PRId64 ",\"pages\":%" PRId64
		    ",\"live_pages\":%" PRId64 ",\"macros\":",
		    (int64_t)sqlite3_column_int64(st, 2),
		    (int64_t)sqlite3_column_int64(st, 3),
		    (int64_t)sqlite3_column_int64(st, 4));
		json_str(j, col(st, 5));
		sb_addc(j, '}');
	}
	sb_addc(j, ']');
	db_finalize(st);

	/* legacy jiraissues url=: the Server Jira's XML view */
	st = db_prep(&xm->d, "SELECT count(*),"
	    " count(DISTINCT CASE WHEN c.live = 1 THEN j.content_id END)"
	    " FROM jira j LEFT JOIN content c ON c.id = j.content_id"
	    " WHERE j.url IS NOT NULL AND j.server_id IS NULL");
	pl = db_prep(&xm->d, "SELECT DISTINCT j.content_id, c.class, c.title"
	    " FROM jira j JOIN content c ON c.id = j.content_id"
	    " WHERE j.url IS NOT NULL AND j.server_id IS NULL AND c.live = 1"
	    " ORDER BY c.title, c.id LIMIT " MAX_LIST);
	legacy = db_step(&xm->d, st) ? sqlite3_column_int64(st, 0) : 0;
	sb_addf(j, ",\"jira_legacy_url\":%" PRId64, legacy);
	if (legacy > 0 && sqlite3_column_int64(st, 1) > 0) {
		sb_addf(&msg, "%" PRId64 " legacy Jira macro%s name%s issues by "
		    "the Server Jira's URL (url=), which Cloud cannot use: "
		    "replace it with a Jira macro; found",
		    legacy, legacy == 1 ? "" : "s", legacy == 1 ? "s" : "");
		page_list(xm, pl, sqlite3_column_int64(st, 1), &msg);
		report_finding("jira-legacy-url", "entities.xml", 0, NULL, "%s",
		    sb_str(&msg));
	}
	sqlite3_reset(st);
	db_finalize(st);
	db_finalize(pl);
	sb_free(&msg);
}

static void
report_fn(struct strbuf *sb, void *arg)
{
	struct xmacros *xm = arg;

	sb_add(sb, xm->json.buf, xm->json.len);
}

void
xmacros_finish(struct xmacros *xm)
{
	db_exec(&xm->d, "COMMIT;"
	    "CREATE INDEX use_name ON use(name);"
	    "CREATE INDEX content_id ON content(id);"
	    "CREATE INDEX nest_pair ON nest(outer, inner);");
	sb_reset(&xm->json);
	sb_addc(&xm->json, '{');
	verdict_macros(xm, &xm->json);
	verdict_nesting(xm, &xm->json);
	verdict_jira(xm, &xm->json);
	sb_addc(&xm->json, '}');
	report_section("macros", report_fn, xm);
}

/* The summary lines: macros, then one per Jira application link. */
void
xmacros_summary(struct xmacros *xm)
{
	sqlite3_stmt *st;

	report_summary_line("macros:", "%" PRIu64 " in %" PRIu64 " bodies; %"
	    PRIu64 " kinds Cloud will not render, %" PRIu64 " user/app",
	    xm->macros, xm->bodies, xm->unsupported, xm->unknown);
	st = db_prep(&xm->d, "SELECT j.server, j.server_id, count(*),"
	    " count(DISTINCT j.content_id) FROM jira j"
	    " WHERE j.url IS NULL OR j.server_id IS NOT NULL"
	    " GROUP BY j.server, j.server_id ORDER BY 3 DESC, 1, 2");
	while (db_step(&xm->d, st))
		report_summary_line("  jira link:", "%s %s: %" PRId64
		    " macros, %" PRId64 " pages", col(st, 0) != NULL ?
		    col(st, 0) : "(no server)", col(st, 1) != NULL ?
		    col(st, 1) : "(no serverId)",
		    (int64_t)sqlite3_column_int64(st, 2),
		    (int64_t)sqlite3_column_int64(st, 3));
	db_finalize(st);
}

/* ---- the inventory ----------------------------------------------------- */

static const char inv_schema[] =
    "CREATE TABLE macro_compat_table(name TEXT PRIMARY KEY, server TEXT,"
    " cloud TEXT, cloud_name TEXT, note TEXT, sources TEXT,"
    " certainty TEXT);"
    "CREATE TABLE macro_nesting(content_id TEXT, body_id TEXT, outer TEXT,"
    " inner TEXT, n INTEGER, cloud_container INTEGER);"
    "CREATE TABLE jira_macros(content_id TEXT, body_id TEXT, macro TEXT,"
    " server TEXT, server_id TEXT, url TEXT, issue_key TEXT, jql TEXT);"
    "CREATE VIEW macro_compat AS"
    " SELECT u.name AS macro, u.uses, u.pages, u.live_pages,"
    "  coalesce(t.cloud, 'unknown') AS cloud, t.cloud_name,"
    "  coalesce(t.note, 'not a Confluence Server/DC macro:"
    " a user macro or an app macro') AS note, t.certainty"
    " FROM macro_usage u LEFT JOIN macro_compat_table t ON t.name = u.name;"
    "CREATE VIEW broken_macros AS"
    " SELECT m.name AS macro, coalesce(t.cloud, 'unknown') AS cloud,"
    "  c.id AS content_id, c.class, c.title, c.live, m.n"
    " FROM macros m JOIN content c ON c.id = m.content_id"
    " LEFT JOIN macro_compat_table t ON t.name = m.name"
    " WHERE coalesce(t.cloud, 'unknown') <> 'same';"
    "CREATE VIEW jira_links AS"
    " SELECT j.server, j.server_id, count(*) AS uses,"
    "  count(DISTINCT j.content_id) AS pages,"
    "  count(DISTINCT CASE WHEN c.live = 1 THEN j.content_id END)"
    "   AS live_pages,"
    "  group_concat(DISTINCT j.macro) AS macros"
    " FROM jira_macros j LEFT JOIN content c ON c.id = j.content_id"
    " WHERE j.url IS NULL OR j.server_id IS NOT NULL"
    " GROUP BY j.server, j.server_id;"
    "CREATE VIEW macro_nested AS"
    " SELECT n.outer, n.inner, sum(n.n) AS uses,"
    "  count(DISTINCT n.content_id) AS pages,"
    "  count(DISTINCT CASE WHEN c.live = 1 THEN n.content_id END)"
    "   AS live_pages, max(n.cloud_container) AS cloud_container"
    " FROM macro_nesting n LEFT JOIN content c ON c.id = n.content_id"
    " GROUP BY n.outer, n.inner;"
    "CREATE INDEX jira_macros_server ON jira_macros(server_id);"
    "CREATE INDEX macro_nesting_pair ON macro_nesting(outer, inner);";

/* Every row of query q (private database) into d through insert ins. */
static void
copy_rows(struct xmacros *xm, struct db *d, const char *q, const char *ins)
{
	sqlite3_stmt *qs = db_prep(&xm->d, q), *st = db_prep(d, ins);
	int k, n = sqlite3_column_count(qs);

	while (db_step(&xm->d, qs)) {
		for (k = 0; k < n; k++)
			switch (sqlite3_column_type(qs, k)) {
			case SQLITE_INTEGER:
				db_bind_i64(d, st, k + 1,
				    sqlite3_column_int64(qs, k));
				break;
			case SQLITE_NULL:
				db_bind_null(d, st, k + 1);
				break;
			default:
				db_bind_text(d, st, k + 1, col(qs, k), -1);
				break;
			}
		db_run(d, st);
	}
	db_finalize(qs);
	db_finalize(st);
}

void
xmacros_inventory(struct xmacros *xm, struct inventory *inv)
{
	struct db *d = inventory_db(inv);
	sqlite3_stmt *st;
	const struct macro_compat *mc;
	size_t i;

	db_exec(d, inv_schema);
	st = db_prep(d, "INSERT INTO macro_compat_table VALUES(?,?,?,?,?,?,?)");
	for (i = 0; i < macro_compat_count; i++) {
		mc = &macro_compat_table[i];
		db_bind_text(d, st, 1, mc->name, -1);
		db_bind_text(d, st, 2, mc->server, -1);
		db_bind_text(d, st, 3, macro_compat_status(mc->status), -1);
		if (mc->cloud_name[0] != '\0')
			db_bind_text(d, st, 4, mc->cloud_name, -1);
		else
			db_bind_null(d, st, 4);
		db_bind_text(d, st, 5, mc->note, -1);
		db_bind_text(d, st, 6, mc->sources, -1);
		db_bind_text(d, st, 7, mc->certainty, -1);
		db_run(d, st);
	}
	db_finalize(st);

	/* rows of the private database, copied over */
	copy_rows(xm, d, "SELECT * FROM nest ORDER BY rowid",
	    "INSERT INTO macro_nesting VALUES(?,?,?,?,?,?)");
	copy_rows(xm, d, "SELECT * FROM jira ORDER BY rowid",
	    "INSERT INTO jira_macros VALUES(?,?,?,?,?,?,?,?)");
}

void
xmacros_free(struct xmacros *xm)
{
	if (xm == NULL)
		return;
	db_finalize(xm->ins_use);
	db_finalize(xm->ins_nest);
	db_finalize(xm->ins_jira);
	db_finalize(xm->ins_content);
	db_close(&xm->d);
	body_free(xm->b);
	jira_scan_free(&xm->js);
	tallies_free(&xm->use);
	tallies_free(&xm->nest);
	sb_free(&xm->json);
	free(xm);
}
