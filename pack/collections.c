/*
 * collections.c - rebuild parent->child collections from relations.tsv.
 *
 * An 8.3+ export writes every relationship on the child side only; Cloud
 * exports (legacy writer) have both sides.  extract records each
 * child-side reference in spaceport/relations.tsv (docs/package-format.md
 * section 5).  We load those rows into a private temporary SQLite database
 * (SQLite's "" file: pages spill to disk, so memory does not grow with the
 * export) indexed on (parent class, parent id), then for each object of
 * entities.xml append the collections it lacks, exactly as the legacy
 * writer writes them:
 *
 *   <collection name="bodyContents" class="java.util.Collection"><element
 *   class="BodyContent" package="com.atlassian.confluence.core"><id
 *   name="id">N</id>\n</element>\n</collection>\n
 *
 * (one line per element as in the Server 5.9 sample; contentPermissions is
 * a java.util.SortedSet as in every real sample).
 */
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "diag.h"
#include "entities.h"
#include "pkg.h"
#include "report.h"
#include "strbuf.h"
#include "tsv.h"
#include "pack.h"

const char *const pack_coll_names[PACK_NCOLL] = {
	"bodyContents", "historicalVersions", "attachments", "comments",
	"children", "labellings", "contentProperties", "permissions",
	"contentPermissionSets", "contentPermissions", "outgoingLinks",
	"referralLinks", "pageTemplates", "customContent"
};

int
pack_coll_index(const char *name)
{
	int i;

	for (i = 0; i < PACK_NCOLL; i++)
		if (strcmp(pack_coll_names[i], name) == 0)
			return i;
	return -1;
}

/*
 * Java package of every class that can be a child in section 5 (and a few
 * more), as written in real exports (server-export-format.md section 2.4,
 * checked against every fixture under fixtures/real/).
 */
static const struct {
	const char *cls, *pkg;
} packages[] = {
	{ "Attachment",			"com.atlassian.confluence.pages" },
	{ "BlogPost",			"com.atlassian.confluence.pages" },
	{ "BodyContent",		"com.atlassian.confluence.core" },
	{ "Comment",			"com.atlassian.confluence.pages" },
	{ "ConfluenceUserImpl",		"com.atlassian.confluence.user" },
	{ "ContentPermission",		"com.atlassian.confluence.security" },
	{ "ContentPermissionSet",	"com.atlassian.confluence.security" },
	{ "ContentProperty",		"com.atlassian.confluence.content" },
	{ "CustomContentEntityObject",	"com.atlassian.confluence.content" },
	{ "Draft",			"com.atlassian.confluence.pages" },
	{ "GlobalDescription",		"com.atlassian.confluence.setup.settings" },
	{ "Label",			"com.atlassian.confluence.labels" },
	{ "Labelling",			"com.atlassian.confluence.labels" },
	{ "OutgoingLink",		"com.atlassian.confluence.links" },
	{ "Page",			"com.atlassian.confluence.pages" },
	{ "PageTemplate",		"com.atlassian.confluence.pages.templates" },
	{ "PersonalInformation",	"com.atlassian.confluence.user" },
	{ "ReferralLink",		"com.atlassian.confluence.links" },
	{ "Space",			"com.atlassian.confluence.spaces" },
	{ "SpaceDescription",		"com.atlassian.confluence.spaces" },
	{ "SpacePermission",		"com.atlassian.confluence.security" },
};

/* Classes seen in the stream that the table does not know (few). */
static struct {
	char	**cls, **pkg;
	size_t	  n;
} learned;

static int
xml_name_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' ||
		    *s == '$'))
			return 0;
	return 1;
}

/*
 * An object id as relations.tsv may hold one: the decimal digits of a
 * Hibernate id, or a user key (hex digits in every Confluence, letters
 * and digits allowed).  It is written into <id> as it is, so nothing
 * else may pass: no markup, no control character, no invalid UTF-8.
 */
static int
id_ok(const char *s)
{
	size_t n;

	for (n = 0; s[n] != '\0'; n++)
		if (!((s[n] >= '0' && s[n] <= '9') ||
		    (s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z')))
			return 0;
	return n > 0 && n <= 255;
}

const char *
pack_class_package(const char *cls)
{
	size_t i;

	if (cls == NULL)
		return NULL;
	for (i = 0; i < sizeof(packages) / sizeof(packages[0]); i++)
		if (strcmp(packages[i].cls, cls) == 0)
			return packages[i].pkg;
	for (i = 0; i < learned.n; i++)
		if (strcmp(learned.cls[i], cls) == 0)
			return learned.pkg[i];
	return NULL;
}

void
pack_learn_package(const char *cls, const char *pkg)
{
	/* Both go into attributes of the elements pack writes. */
	if (cls == NULL || pkg == NULL || !xml_name_ok(cls) ||
	    !xml_name_ok(pkg) || pack_class_package(cls) != NULL ||
	    learned.n >= 1000)
		return;
	learned.cls = xreallocarray(learned.cls, learned.n + 1, sizeof(char *));
	learned.pkg = xreallocarray(learned.pkg, learned.n + 1, sizeof(char *));
	learned.cls[learned.n] = xstrdup(cls);
	learned.pkg[learned.n] = xstrdup(pkg);
	learned.n++;
}

static void
learned_free(void)
{
	size_t i;

	for (i = 0; i < learned.n; i++) {
		free(learned.cls[i]);
		free(learned.pkg[i]);
	}
	free(learned.cls);
	free(learned.pkg);
	memset(&learned, 0, sizeof(learned));
}

struct pack_rel {
	struct db	 db;
	sqlite3_stmt	*ins;
	sqlite3_stmt	*q;
	const char	*fname;
	long		 line;
	int		 header_seen;
};

static const char *const rel_header[5] = {
	"parent_class", "parent_id", "collection", "child_class", "child_id"
};

/* One line (without its LF). */
static void
rel_line(struct pack_rel *r, const char *line, size_t len, struct pack_stats *st)
{
	struct tsv t;
	char **f;
	size_t nf;
	int i, rc;

	r->line++;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len == 0)
		return;
	tsv_init(&t, line, len);
	rc = tsv_next(&t, &f, &nf);
	if (rc < 0)
		diag_die(SP_EXIT_FAIL, r->fname, r->line, "bad escape");
	if (!r->header_seen) {
		if (nf < 5)
			diag_die(SP_EXIT_FAIL, r->fname, r->line, "bad header");
		for (i = 0; i < 5; i++)
			if (strcmp(f[i], rel_header[i]) != 0)
				diag_die(SP_EXIT_FAIL, r->fname, r->line,
				    "bad header: expected %s", rel_header[i]);
		r->header_seen = 1;
		tsv_free(&t);
		return;
	}
	if (nf < 5)
		diag_die(SP_EXIT_FAIL, r->fname, r->line,
		    "expected 5 fields, got %zu", nf);
	if (!xml_name_ok(f[0]) || !xml_name_ok(f[2]) || !xml_name_ok(f[3]))
		diag_die(SP_EXIT_FAIL, r->fname, r->line,
		    "bad class or collection name (letters, digits, _ . $)");
	if (!id_ok(f[1]) || !id_ok(f[4]))
		diag_die(SP_EXIT_FAIL, r->fname, r->line, "bad %s: an id is "
		    "digits or a user key (letters and digits)",
		    id_ok(f[1]) ? "child_id" : "parent_id");
	for (i = 0; i < 5; i++)
		db_bind_text(&r->db, r->ins, i + 1, f[i], -1);
	db_run(&r->db, r->ins);
	st->rel_rows++;
	tsv_free(&t);
}

static struct pack_rel *
rel_new(const char *fname)
{
	struct pack_rel *r = xcalloc(1, sizeof(*r));

	r->fname = fname;
	db_open(&r->db, NULL);
	db_exec(&r->db, "CREATE TABLE rel(pc TEXT, pid TEXT, coll TEXT,"
	    " cc TEXT, cid TEXT); BEGIN;");
	r->ins = db_prep(&r->db, "INSERT INTO rel VALUES(?1,?2,?3,?4,?5)");
	return r;
}

static void
rel_done(struct pack_rel *r)
{
	if (!r->header_seen)
		diag_die(SP_EXIT_FAIL, r->fname, 0, "empty file (no header)");
	db_finalize(r->ins);
	r->ins = NULL;
	db_exec(&r->db, "COMMIT; CREATE INDEX rel_parent ON rel(pc, pid);");
	r->q = db_prep(&r->db, "SELECT coll, cc, cid FROM rel"
	    " WHERE pc = ?1 AND pid = ?2 ORDER BY coll, rowid");
}

struct pack_rel *
pack_rel_load_buf(const char *buf, size_t len, const char *fname,
    struct pack_stats *st)
{
	struct pack_rel *r = rel_new(fname);
	const char *p = buf, *end = buf + len, *nl;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		rel_line(r, p, (size_t)(nl - p), st);
		p = nl + 1;
	}
	rel_done(r);
	return r;
}

struct pack_rel *
pack_rel_load(struct pkg_in *in, struct pack_stats *st)
{
	struct pack_rel *r = rel_new(PKG_RELATIONS);
	struct strbuf line = STRBUF_INIT;
	char buf[65536];
	size_t n, i, start;

	while ((n = pkg_read(in, buf, sizeof(buf))) > 0) {
		start = 0;
		for (i = 0; i < n; i++) {
			if (buf[i] != '\n')
				continue;
			if (line.len > 0) {
				sb_add(&line, buf + start, i - start);
				rel_line(r, line.buf, line.len, st);
				sb_reset(&line);
			} else
				rel_line(r, buf + start, i - start, st);
			start = i + 1;
		}
		if (start < n) {
			if (line.len + (n - start) > (1u << 20))
				diag_die(SP_EXIT_FAIL, r->fname, r->line + 1,
				    "line too long");
			sb_add(&line, buf + start, n - start);
		}
	}
	if (line.len > 0)
		rel_line(r, line.buf, line.len, st);
	sb_free(&line);
	rel_done(r);
	return r;
}

static const struct xmember *
find_collection(const struct xobj *o, const char *name)
{
	size_t i;

	for (i = 0; i < o->nmem; i++)
		if (o->mem[i].kind == XM_COLL && o->mem[i].name != NULL &&
		    strcmp(o->mem[i].name, name) == 0)
			return &o->mem[i];
	return NULL;
}

static int
has_element(const struct xmember *m, const char *id)
{
	size_t i;

	for (i = 0; i < m->nelem; i++)
		if (m->elem[i].value != NULL && strcmp(m->elem[i].value, id) == 0)
			return 1;
	return 0;
}

/*
 * Offset of the "</collection>" that ends member m in o->raw, or SIZE_MAX
 * (a self-closing empty collection has none: nothing can be inserted).
 */
static size_t
collection_end(const struct xobj *o, const struct xmember *m)
{
	static const char tag[] = "</collection";
	size_t end = m->raw_off + m->raw_len, i;

	if (m->raw_len < sizeof(tag) || o->raw[end - 2] == '/')
		return SIZE_MAX;
	for (i = end - (sizeof(tag) - 1); i > m->raw_off; i--)
		if (memcmp(o->raw + i, tag, sizeof(tag) - 1) == 0)
			return i;
	return SIZE_MAX;
}

/* Hand the elements gathered for an existing collection to insert(). */
static void
flush_merge(const struct xobj *o, const struct xmember *have,
    struct strbuf *merge, pack_insert_fn insert, void *ctx,
    struct pack_stats *st)
{
	size_t at;

	if (have == NULL || merge->len == 0)
		return;
	at = collection_end(o, have);
	if (at == SIZE_MAX)
		report_finding("collection-incomplete", PKG_ENTITIES, o->line,
		    have->name, "%s %s: collection %s is empty and self-closing;"
		    " its recorded elements were not added", o->cls, o->id,
		    have->name);
	else
		insert(ctx, at, merge->buf, merge->len);
	sb_reset(merge);
	(void)st;
}

static void
add_escaped(struct strbuf *sb, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&': sb_adds(sb, "&amp;"); break;
		case '<': sb_adds(sb, "&lt;"); break;
		case '>': sb_adds(sb, "&gt;"); break;
		default: sb_addc(sb, *s);
		}
	}
}

size_t
pack_rel_append(struct pack_rel *r, const struct xobj *o, struct strbuf *out,
    struct pack_stats *st, pack_insert_fn insert, void *ctx)
{
	struct db *db = &r->db;
	struct strbuf merge = STRBUF_INIT;	/* elements for an existing one */
	struct strbuf *dst;
	const struct xmember *have = NULL;	/* o's own collection, if any */
	char *open = NULL;	/* collection currently open */
	int skip = 0;
	size_t added = 0;

	if (o->cls == NULL || o->id == NULL || o->idname == NULL)
		return 0;
	db_bind_text(db, r->q, 1, o->cls, -1);
	db_bind_text(db, r->q, 2, o->id, (int)o->id_len);
	while (db_step(db, r->q)) {
		const char *coll = (const char *)sqlite3_column_text(r->q, 0);
		const char *cc = (const char *)sqlite3_column_text(r->q, 1);
		const char *cid = (const char *)sqlite3_column_text(r->q, 2);
		const char *pkg;
		int ci;

		if (coll == NULL || cc == NULL || cid == NULL)
			continue;
		if (open == NULL || strcmp(open, coll) != 0) {
			if (open != NULL && !skip)
				sb_adds(out, "</collection>\n");
			flush_merge(o, have, &merge, insert, ctx, st);
			free(open);
			open = xstrdup(coll);
			have = find_collection(o, coll);
			skip = have != NULL;
			if (!skip) {
				const char *jcls = strcmp(coll,
				    "contentPermissions") == 0 ?
				    "java.util.SortedSet" : "java.util.Collection";

				sb_addf(out, "<collection name=\"%s\" class=\"%s\">",
				    coll, jcls);
				added++;
				ci = pack_coll_index(coll);
				if (ci >= 0)
					st->coll_added[ci]++;
			}
		}
		/* The parent has this collection: add only what it lacks
		 * (an 8.x SpaceDescription keeps labellings, for one). */
		if (skip && has_element(have, cid)) {
			st->rel_present++;
			continue;
		}
		dst = skip ? &merge : out;
		pkg = pack_class_package(cc);
		if (pkg == NULL) {
			st->rel_unknown++;
			report_finding("relation-unknown-class", PKG_RELATIONS, 0,
			    cc, "child class %s has no known package: "
			    "element %s of %s %s.%s not rebuilt", cc, cid,
			    o->cls, o->id, coll);
			continue;
		}
		sb_addf(dst, "<element class=\"%s\" package=\"%s\"><id name=\"id\">",
		    cc, pkg);
		add_escaped(dst, cid);
		sb_adds(dst, "</id>\n</element>\n");
		st->rel_added++;
	}
	if (open != NULL && !skip)
		sb_adds(out, "</collection>\n");
	flush_merge(o, have, &merge, insert, ctx, st);
	sb_free(&merge);
	free(open);
	sqlite3_reset(r->q);
	sqlite3_clear_bindings(r->q);
	if (added > 0)
		st->objects_with_added++;
	return added;
}

void
pack_rel_free(struct pack_rel *r)
{
	if (r == NULL)
		return;
	if (r->ins != NULL)
		db_finalize(r->ins);
	if (r->q != NULL)
		db_finalize(r->q);
	db_close(&r->db);
	free(r);
	learned_free();
}
