/*
 * space.c - --space KEY: one space out of a site backup.
 *
 * The rules are in docs/space-cut.md.  In short: pass 1 (the normal scan
 * with x->graph_pass set) records every object of entities.xml as a row
 * of an SQLite graph: its class and id, the space it names directly (a
 * "space" reference, a Draft's draftSpaceKey, a bandana record's context),
 * its references to other objects and the elements of its collections,
 * and the user keys it mentions.  SQL then places each object in a space
 * (directly, or through what it references or what holds it, to a fixed
 * point), and pass 2 reads the spooled entities.xml again, hands only the
 * objects of the space (plus the labels and user objects they reference)
 * to the normal scan, which builds the package from them as from a space
 * export.  Memory stays bounded: the graph lives in SQLite on disk, one
 * object is held at a time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "diag.h"
#include "entities.h"
#include "extract.h"
#include "report.h"
#include "strbuf.h"
#include "userref.h"

static sqlite3_stmt *ins_obj, *ins_edge, *ins_redge, *ins_ukey;
static int64_t seq;
static char *key_buf;		/* the key as the export spells it */

/* Hibernate keeps every content class in one table: a reference may name
 * a superclass, so content ids are matched as one family. */
static const char *const content_classes[] = {
	"AbstractPage", "Attachment", "BlogPost", "Comment",
	"ContentEntityObject", "CustomContentEntityObject", "Draft",
	"GlobalDescription", "Page", "PersonalInformation",
	"SpaceContentEntityObject", "SpaceDescription",
};

static const char *
family(const char *cls)
{
	size_t i;

	if (cls == NULL)
		return "";
	for (i = 0; i < sizeof(content_classes) / sizeof(content_classes[0]);
	    i++)
		if (strcmp(cls, content_classes[i]) == 0)
			return "content";
	return cls;
}

/* Classes that belong to no space: the site's configuration, its user
 * directory, and the shared objects (labels, users) that are taken along
 * only when the space references them.  Never reported as unplaced. */
static int
global_class(const char *cls)
{
	static const char *const g[] = {
		"AliasedKey", "ApplicationImpl", "BucketPropertySetItem",
		"ConfluenceBandanaRecord", "ConfluenceRememberMeToken",
		"ConfluenceUserImpl", "DefaultHibernateGroup",
		"DefaultHibernateUser", "DirectoryImpl", "DirectoryMapping",
		"GlobalDescription", "HibernateMembership", "InternalGroup",
		"InternalGroupAttribute", "InternalUser",
		"InternalUserAttribute", "KeyStore", "Label",
		"PersonalInformation", "SchedulerClusteredJob",
		"SpacePermission", "TrustedApplication", "UserLoginInfo",
	};
	size_t i;

	if (cls == NULL)
		return 0;
	for (i = 0; i < sizeof(g) / sizeof(g[0]); i++)
		if (strcmp(cls, g[i]) == 0)
			return 1;
	return 0;
}

/* Shared objects: placed by nobody, kept when a kept object points at
 * them; references to them never carry a space. */
static int
shared_class(const char *cls)
{
	return cls != NULL && (strcmp(cls, "Label") == 0 ||
	    strcmp(cls, "ConfluenceUserImpl") == 0);
}

static void
graph_init(struct extract *x)
{
	db_open(&x->cut, NULL);
	db_exec(&x->cut,
	    "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
	    "CREATE TABLE obj(seq INTEGER PRIMARY KEY, cls TEXT, fam TEXT,"
	    " id TEXT, skey TEXT, dspace TEXT, dkey TEXT, shared INTEGER,"
	    " global INTEGER, sp INTEGER, keep INTEGER DEFAULT 0);"
	    "CREATE TABLE edge(src INTEGER, tfam TEXT, tid TEXT);"
	    "CREATE TABLE redge(src INTEGER, tfam TEXT, tid TEXT);"
	    "CREATE TABLE ukey(src INTEGER, key TEXT);"
	    "BEGIN;");
	ins_obj = db_prep(&x->cut, "INSERT INTO obj(seq, cls, fam, id, skey,"
	    " dspace, dkey, shared, global) VALUES(?,?,?,?,?,?,?,?,?)");
	ins_edge = db_prep(&x->cut, "INSERT INTO edge VALUES(?,?,?)");
	ins_redge = db_prep(&x->cut, "INSERT INTO redge VALUES(?,?,?)");
	ins_ukey = db_prep(&x->cut, "INSERT INTO ukey VALUES(?,?)");
	seq = 0;
}

static void
add_ukey(struct extract *x, const char *key, size_t len)
{
	db_bind_i64(&x->cut, ins_ukey, 1, seq);
	db_bind_text(&x->cut, ins_ukey, 2, key, (int)len);
	db_run(&x->cut, ins_ukey);
}

static int
body_key(void *ctx, enum uref_kind kind, const char *value, size_t len,
    long line, const char **repl)
{
	if (kind == UREF_USERKEY)
		add_ukey(ctx, value, len);
	return 0;
}

static void
add_edge(struct extract *x, sqlite3_stmt *st, const char *cls,
    const char *id)
{
	/* Edges to labels are kept (they say which labels go along);
	 * labels are never placed, so nothing is placed through them. */
	if (id == NULL || *id == '\0' || (cls != NULL &&
	    strcmp(cls, "ConfluenceUserImpl") == 0))
		return;
	db_bind_i64(&x->cut, st, 1, seq);
	db_bind_text(&x->cut, st, 2, family(cls), -1);
	db_bind_text(&x->cut, st, 3, id, -1);
	db_run(&x->cut, st);
}

static const char *
str(const struct xobj *o, const char *name)
{
	const struct xmember *m = xobj_member(o, name);

	return m != NULL && m->kind == XM_PROP && !m->is_null &&
	    m->value_len > 0 ? m->value : NULL;
}

void
space_graph(struct extract *x, const struct xobj *o)
{
	const struct xmember *m, *body;
	const char *dspace = NULL, *dkey = NULL, *skey = NULL;
	enum body_format bf;
	size_t i, j;

	if (x->cut.h == NULL)
		graph_init(x);
	seq++;
	if (o->cls != NULL && strcmp(o->cls, "Space") == 0)
		skey = str(o, "key");
	else if (o->cls != NULL && strcmp(o->cls, "Draft") == 0)
		dkey = str(o, "draftSpaceKey");
	else if (o->cls != NULL &&
	    strcmp(o->cls, "ConfluenceBandanaRecord") == 0)
		dkey = str(o, "context");
	for (i = 0; i < o->nmem; i++) {
		m = &o->mem[i];
		if (model_user_ref(m)) {
			add_ukey(x, m->value, m->value_len);
			continue;
		}
		if (m->kind == XM_REF && m->value != NULL) {
			if (strcmp(m->name, "space") == 0 && m->cls != NULL &&
			    strcmp(m->cls, "Space") == 0)
				dspace = m->value;
			else if (o->cls == NULL ||
			    strcmp(o->cls, "Space") != 0)
				/* A Space points at its home page and
				 * description; they name it themselves. */
				add_edge(x, ins_edge, m->cls, m->value);
		} else if (m->kind == XM_PROP && !m->is_null &&
		    m->value_len > 0 && m->name != NULL &&
		    (strcmp(m->name, "originalVersionId") == 0 ||
		    strcmp(m->name, "pageId") == 0)) {
			/* Plain-number references to content: a historical
			 * version's current one (5.9+, Cloud), a Draft's
			 * page. */
			add_edge(x, ins_edge, "ContentEntityObject", m->value);
		} else if (m->kind == XM_COLL) {
			for (j = 0; j < m->nelem; j++) {
				const struct xelem *e = &m->elem[j];

				if (model_user_elem(e))
					add_ukey(x, e->value, e->value_len);
				else if (e->idname != NULL)
					add_edge(x, ins_redge, e->cls, e->value);
			}
		}
	}
	if ((m = model_status_lastmodifier(o)) != NULL)
		add_ukey(x, m->value, m->value_len);
	bf = model_body(o, &body);
	if (bf == BODY_STORAGE)
		uref_storage(body->value, body->value_len, 0, body_key, x, NULL);

	db_bind_i64(&x->cut, ins_obj, 1, seq);
	db_bind_text(&x->cut, ins_obj, 2, o->cls, -1);
	db_bind_text(&x->cut, ins_obj, 3, family(o->cls), -1);
	db_bind_text(&x->cut, ins_obj, 4, o->id, -1);
	db_bind_text(&x->cut, ins_obj, 5, skey, -1);
	db_bind_text(&x->cut, ins_obj, 6, dspace, -1);
	db_bind_text(&x->cut, ins_obj, 7, dkey, -1);
	db_bind_i64(&x->cut, ins_obj, 8, shared_class(o->cls));
	/* A space permission without a space is a global permission. */
	db_bind_i64(&x->cut, ins_obj, 9, global_class(o->cls) &&
	    !(dspace != NULL && o->cls != NULL &&
	    strcmp(o->cls, "SpacePermission") == 0));
	db_run(&x->cut, ins_obj);
}

static int64_t
one_int(struct db *d, const char *sql)
{
	sqlite3_stmt *st = db_prep(d, sql);
	int64_t v = -1;

	if (db_step(d, st) && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	db_finalize(st);
	return v;
}

/* Place every object; returns the seq of the space's Space object. */
static int64_t
place(struct extract *x)
{
	sqlite3_stmt *st;
	int64_t sp;
	int changed;

	db_finalize(ins_obj);
	db_finalize(ins_edge);
	db_finalize(ins_redge);
	db_finalize(ins_ukey);
	ins_obj = ins_edge = ins_redge = ins_ukey = NULL;
	db_exec(&x->cut, "COMMIT;"
	    "CREATE INDEX obj_id ON obj(fam, id);"
	    "CREATE INDEX obj_skey ON obj(skey);"
	    "CREATE INDEX edge_src ON edge(src);"
	    "CREATE INDEX redge_t ON redge(tfam, tid);"
	    "CREATE INDEX ukey_src ON ukey(src);"
	    "BEGIN;");

	/* The space itself: the key as given, else the one key that
	 * matches it case-insensitively (Confluence keys compare so). */
	st = db_prep(&x->cut, "SELECT min(seq), count(*) FROM obj"
	    " WHERE cls = 'Space' AND skey = ?");
	db_bind_text(&x->cut, st, 1, x->space_key, -1);
	sp = db_step(&x->cut, st) && sqlite3_column_int64(st, 1) > 0 ?
	    sqlite3_column_int64(st, 0) : -1;
	db_finalize(st);
	if (sp == -1) {
		st = db_prep(&x->cut, "SELECT min(seq), count(*) FROM obj"
		    " WHERE cls = 'Space' AND skey = ? COLLATE NOCASE");
		db_bind_text(&x->cut, st, 1, x->space_key, -1);
		if (db_step(&x->cut, st) && sqlite3_column_int64(st, 1) == 1)
			sp = sqlite3_column_int64(st, 0);
		db_finalize(st);
	}
	if (sp == -1) {
		struct strbuf keys = STRBUF_INIT;

		st = db_prep(&x->cut, "SELECT skey FROM obj WHERE cls = 'Space'"
		    " AND skey IS NOT NULL ORDER BY skey LIMIT 20");
		while (db_step(&x->cut, st))
			sb_addf(&keys, "%s%s", keys.len ? ", " : "",
			    sqlite3_column_text(st, 0));
		db_finalize(st);
		diag_die(SP_EXIT_FAIL, PKG_ENTITIES, 0, "no space %s in this "
		    "export (spaces: %s)", x->space_key,
		    keys.len ? keys.buf : "none");
	}

	/* Rule 1-3 (docs/space-cut.md): named directly. */
	db_exec(&x->cut,
	    "UPDATE obj SET sp = seq WHERE cls = 'Space';"
	    "UPDATE obj SET sp = (SELECT min(s.seq) FROM obj s WHERE"
	    " s.fam = 'Space' AND s.id = obj.dspace) WHERE dspace IS NOT NULL"
	    " AND sp IS NULL;"
	    "UPDATE obj SET sp = (SELECT min(s.seq) FROM obj s WHERE"
	    " s.cls = 'Space' AND s.skey = obj.dkey) WHERE dkey IS NOT NULL"
	    " AND sp IS NULL;");
	/* Rule 4: through references and holding collections, to a
	 * fixed point (each round places at least one object or ends). */
	do {
		changed = 0;
		db_exec(&x->cut,
		    "UPDATE obj SET sp = (SELECT min(t.sp) FROM edge e JOIN obj t"
		    "  ON t.fam = e.tfam AND t.id = e.tid"
		    "  WHERE e.src = obj.seq AND t.sp IS NOT NULL)"
		    " WHERE sp IS NULL AND shared = 0 AND dspace IS NULL"
		    " AND dkey IS NULL AND EXISTS (SELECT 1 FROM edge e"
		    "  JOIN obj t ON t.fam = e.tfam AND t.id = e.tid"
		    "  WHERE e.src = obj.seq AND t.sp IS NOT NULL)");
		changed += sqlite3_changes(x->cut.h);
		db_exec(&x->cut,
		    "UPDATE obj SET sp = (SELECT min(p.sp) FROM redge r JOIN obj p"
		    "  ON p.seq = r.src WHERE r.tfam = obj.fam AND r.tid = obj.id"
		    "  AND p.sp IS NOT NULL)"
		    " WHERE sp IS NULL AND shared = 0 AND dspace IS NULL"
		    " AND dkey IS NULL AND EXISTS (SELECT 1 FROM redge r"
		    "  JOIN obj p ON p.seq = r.src WHERE r.tfam = obj.fam"
		    "  AND r.tid = obj.id AND p.sp IS NOT NULL)");
		changed += sqlite3_changes(x->cut.h);
	} while (changed > 0);
	return sp;
}

static void
report_unplaced(struct extract *x, int64_t sp)
{
	sqlite3_stmt *st;

	/* Objects of no space (and not site configuration): left out. */
	st = db_prep(&x->cut, "SELECT cls, count(*), min(id) FROM obj"
	    " WHERE sp IS NULL AND shared = 0 AND global = 0"
	    " GROUP BY cls ORDER BY cls");
	while (db_step(&x->cut, st))
		report_finding("space-cut-unplaced", PKG_ENTITIES, 0,
		    (const char *)sqlite3_column_text(st, 0),
		    "%lld %s object(s) belong to no space (first id %s): "
		    "left out", (long long)sqlite3_column_int64(st, 1),
		    sqlite3_column_text(st, 0) != NULL ?
		    (const char *)sqlite3_column_text(st, 0) : "(no class)",
		    sqlite3_column_text(st, 2) != NULL ?
		    (const char *)sqlite3_column_text(st, 2) : "(none)");
	db_finalize(st);
	/* Objects placed through references that lead to this space and
	 * another one: placed in one of them, said so. */
	st = db_prep(&x->cut, "SELECT o.cls, o.id, o.sp FROM obj o"
	    " WHERE o.dspace IS NULL AND o.dkey IS NULL AND o.sp IS NOT NULL"
	    " AND o.cls <> 'Space' AND EXISTS (SELECT 1 FROM edge e JOIN obj t"
	    "  ON t.fam = e.tfam AND t.id = e.tid WHERE e.src = o.seq"
	    "  AND t.sp = ?1) AND EXISTS (SELECT 1 FROM edge e JOIN obj t"
	    "  ON t.fam = e.tfam AND t.id = e.tid WHERE e.src = o.seq"
	    "  AND t.sp IS NOT NULL AND t.sp <> ?1) ORDER BY o.seq");
	db_bind_i64(&x->cut, st, 1, sp);
	while (db_step(&x->cut, st))
		report_finding("space-cut-ambiguous", PKG_ENTITIES, 0,
		    (const char *)sqlite3_column_text(st, 1),
		    "%s %s references content of %s and of another space: "
		    "%s", sqlite3_column_text(st, 0), sqlite3_column_text(st, 1),
		    x->space_key, sqlite3_column_int64(st, 2) == sp ?
		    "kept" : "left out");
	db_finalize(st);
}

static void
mark_keep(struct extract *x, int64_t sp)
{
	sqlite3_stmt *st;

	st = db_prep(&x->cut, "UPDATE obj SET keep = 1 WHERE sp = ?");
	db_bind_i64(&x->cut, st, 1, sp);
	db_run(&x->cut, st);
	db_finalize(st);
	/* Labels the kept objects use (Labelling.label), then every user
	 * object a kept object (a label too) names by key. */
	db_exec(&x->cut,
	    "CREATE TEMP TABLE used(fam TEXT, id TEXT);"
	    "INSERT INTO used SELECT DISTINCT 'Label', l.id FROM obj l"
	    " WHERE l.cls = 'Label' AND l.id IN (SELECT tid FROM edge_all"
	    "  WHERE kept = 1 AND tfam = 'Label');");
	db_exec(&x->cut,
	    "UPDATE obj SET keep = 1 WHERE cls = 'Label' AND id IN"
	    " (SELECT id FROM used);"
	    "UPDATE obj SET keep = 1 WHERE cls = 'ConfluenceUserImpl' AND id IN"
	    " (SELECT u.key FROM ukey u JOIN obj o ON o.seq = u.src"
	    "  WHERE o.keep = 1);"
	    "COMMIT;");
}

/* ---- pass 2 ---------------------------------------------------------- */

struct cutsrc {
	struct extract	*x;
	int		 fd;
	struct ent_reader *r;
	struct strbuf	 out;
	size_t		 pos;
	int		 first, done;
	int64_t		 n;
	sqlite3_stmt	*q;
};

static ssize_t
full_read(void *ctx, void *buf, size_t n)
{
	struct cutsrc *c = ctx;

	return (ssize_t)io_read(c->fd, buf, n, "spool file");
}

static ssize_t
cut_read(void *ctx, void *buf, size_t n)
{
	struct cutsrc *c = ctx;
	const struct xobj *o;
	const char *gap;
	size_t gaplen;
	int rc, keep;

	while (c->pos == c->out.len) {
		if (c->done)
			return 0;
		sb_reset(&c->out);
		c->pos = 0;
		rc = ent_next(c->r, &o, &gap, &gaplen);
		if (rc < 0)
			return -1;
		if (rc == 0) {
			sb_add(&c->out, gap, gaplen);
			c->done = 1;
			continue;
		}
		c->n++;
		db_bind_i64(&c->x->cut, c->q, 1, c->n);
		keep = db_step(&c->x->cut, c->q) &&
		    sqlite3_column_int(c->q, 0) == 1;
		sqlite3_reset(c->q);
		/* The first gap holds the prolog and the root tag. */
		if (keep || c->first)
			sb_add(&c->out, gap, gaplen);
		c->first = 0;
		if (keep)
			sb_add(&c->out, o->raw, o->raw_len);
	}
	if (n > c->out.len - c->pos)
		n = c->out.len - c->pos;
	memcpy(buf, c->out.buf + c->pos, n);
	c->pos += n;
	return (ssize_t)n;
}

/* The descriptor of a space export of the key: exportType=space and
 * spaceKey; the 8.3+ site-only facts go. */
static void
space_descriptor(struct extract *x)
{
	desc_set(x, "exportType", "space");
	desc_set(x, "spaceKey", x->space_key);
	desc_set(x, "spaceKeys", NULL);
	desc_set(x, "totalObjectsCount", NULL);
}

void
space_cut(struct extract *x)
{
	struct cutsrc c;
	struct spool full;
	int64_t sp;
	size_t i;

	if (x->cut.h == NULL)
		graph_init(x);
	sp = place(x);
	/* The key as the export spells it. */
	{
		sqlite3_stmt *st = db_prep(&x->cut,
		    "SELECT skey FROM obj WHERE seq = ?");

		db_bind_i64(&x->cut, st, 1, sp);
		if (db_step(&x->cut, st)) {
			free(key_buf);
			x->space_key = key_buf = xstrdup((const char *)
			    sqlite3_column_text(st, 0));
		}
		db_finalize(st);
	}
	report_unplaced(x, sp);
	db_exec(&x->cut, "CREATE TEMP VIEW edge_all AS SELECT e.tfam, e.tid,"
	    " o.keep AS kept FROM edge e JOIN obj o ON o.seq = e.src;");
	mark_keep(x, sp);

	/* Pass 2 over the sanitised site entities.xml. */
	full = x->ent;
	memset(&x->ent, 0, sizeof(x->ent));
	memset(&c, 0, sizeof(c));
	c.x = x;
	c.fd = full.fd;
	c.first = 1;
	c.r = ent_open(full_read, &c, PKG_ENTITIES, x->max_object);
	c.q = db_prep(&x->cut, "SELECT keep FROM obj WHERE seq = ?");
	x->graph_pass = 0;
	x->src = cut_read;
	x->srcctx = &c;
	x->objects = 0;
	for (i = 0; i < x->ncls; i++)
		free(x->cls[i].cls);
	free(x->cls);
	x->cls = NULL;
	x->ncls = 0;
	x->cdata_escapes = 0;
	{
		/* Keep what pass 1 removed from the whole file. */
		struct sanitizer keep_san = x->san;

		scan_entities(x);
		x->san.control = keep_san.control;
		x->san.invalid = keep_san.invalid;
		x->san.nonchar = keep_san.nonchar;
	}
	x->src = NULL;
	db_finalize(c.q);
	ent_close(c.r);
	sb_free(&c.out);
	spool_close(&full);
	if (c.n != seq)
		diag_die(SP_EXIT_FAIL, PKG_ENTITIES, 0, "changed between the "
		    "two passes (%lld objects, then %lld)", (long long)seq,
		    (long long)c.n);
	space_descriptor(x);
	if (!x->quiet)
		report_summary_line("space cut:", "%s: %lld of %lld objects "
		    "kept", x->space_key, (long long)one_int(&x->cut,
		    "SELECT count(*) FROM obj WHERE keep = 1"), (long long)seq);
}

/* ---- descriptor ------------------------------------------------------ */

void
desc_set(struct extract *x, const char *key, const char *val)
{
	struct strbuf nb = STRBUF_INIT;
	const char *p = x->desc_raw.buf != NULL ? x->desc_raw.buf : "";
	const char *end = p + x->desc_raw.len, *nl, *q;
	size_t klen = strlen(key);
	int done = 0;

	/* Line by line: a "key=..." or "key:..." or "key ..." line is
	 * replaced (the first) or dropped (later ones); comments and
	 * everything else stay as they are. */
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		nl = nl != NULL ? nl + 1 : end;
		q = p;
		while (q < nl && (*q == ' ' || *q == '\t'))
			q++;
		if ((size_t)(nl - q) > klen && memcmp(q, key, klen) == 0 &&
		    (q[klen] == '=' || q[klen] == ':' || q[klen] == ' ' ||
		    q[klen] == '\t') && *q != '#' && *q != '!') {
			if (!done && val != NULL)
				sb_addf(&nb, "%s=%s\n", key, val);
			done = 1;
		} else
			sb_add(&nb, p, (size_t)(nl - p));
		p = nl;
	}
	if (!done && val != NULL) {
		if (nb.len > 0 && nb.buf[nb.len - 1] != '\n')
			sb_addc(&nb, '\n');
		sb_addf(&nb, "%s=%s\n", key, val);
	}
	sb_free(&x->desc_raw);
	x->desc_raw = nb;
	props_free(&x->desc);
	memset(&x->desc, 0, sizeof(x->desc));
	if (props_parse(&x->desc, x->desc_raw.buf != NULL ? x->desc_raw.buf :
	    "", x->desc_raw.len, PKG_DESCRIPTOR) == -1)
		diag_die(SP_EXIT_FAIL, PKG_DESCRIPTOR, 0, "cannot read it back "
		    "after setting %s", key);
}

void
space_free(struct extract *x)
{
	if (x->cut.h != NULL)
		db_close(&x->cut);
	free(key_buf);
	key_buf = NULL;
}
