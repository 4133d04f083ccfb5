/*
 * inventory.c - the --inventory SQLite database (see inventory.h and
 * docs/inventory.md for the schema).
 *
 * Everything goes in through prepared statements inside one transaction;
 * indexes are created at close, after the bulk insert.  Bodies are
 * scanned for macros and absolute URLs by the inventory rule over the
 * body toolkit (body.h; inventory_rules[] in body_row() is extract's
 * table); their text is never stored.  Only real markup counts: macros
 * and links shown as text, in code macros or in comments do not.  Per
 * object, the only memory touched is a few reused buffers (macro tally,
 * URL, "]] " unescape scratch, the body's).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "db.h"
#include "diag.h"
#include "entities.h"
#include "inventory.h"
#include "model.h"
#include "strbuf.h"

#define INV_SCHEMA_VERSION	"1"

enum {
	S_META, S_CLASS, S_SPACE, S_CONTENT, S_BODY, S_ATT, S_ATTPROP,
	S_FILESIZE, S_MEMBER, S_USER, S_UREF, S_MACRO, S_LINK, S_LABEL,
	S_LABELLING, S_FINDING, S_NST
};

static const char *const stmt_sql[S_NST] = {
	[S_META] = "INSERT INTO meta VALUES(?,?)",
	[S_CLASS] = "INSERT INTO classes VALUES(?,1)"
	    " ON CONFLICT(class) DO UPDATE SET n = n + 1",
	[S_SPACE] = "INSERT INTO spaces VALUES(?,?,?,?,?,?,?)",
	[S_CONTENT] = "INSERT INTO content VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[S_BODY] = "INSERT INTO bodies VALUES(?,?,?,?,?)",
	[S_ATT] = "INSERT INTO attachments VALUES(?,?,?,?,?,?,?,?)",
	[S_ATTPROP] = "INSERT INTO _att_props VALUES(?,?)",
	[S_FILESIZE] = "INSERT INTO _filesize VALUES(?,?,?)",
	[S_MEMBER] = "INSERT INTO members VALUES(?,?,?)",
	[S_USER] = "INSERT INTO users VALUES(?,?,?,?,?,?)",
	[S_UREF] = "INSERT INTO user_refs VALUES(?,?,?,?,?,?)",
	[S_MACRO] = "INSERT INTO macros VALUES(?,?,?,?)",
	[S_LINK] = "INSERT INTO links VALUES(?,?,?,?,?,?,?)",
	[S_LABEL] = "INSERT INTO label_defs VALUES(?,?,?)",
	[S_LABELLING] = "INSERT INTO labellings VALUES(?,?,?)",
	[S_FINDING] = "INSERT INTO findings VALUES(?,?,?,?,?)",
};

static const char schema[] =
    "CREATE TABLE meta(key TEXT, value TEXT);"
    "CREATE TABLE classes(class TEXT PRIMARY KEY, n INTEGER);"
    "CREATE TABLE spaces(id TEXT, key TEXT, name TEXT, type TEXT,"
    " status TEXT, homepage_id TEXT, description_id TEXT);"
    "CREATE TABLE content(id TEXT, class TEXT, title TEXT, status TEXT,"
    " version INTEGER, space_id TEXT, parent_id TEXT, original_id TEXT,"
    " container_id TEXT, creator_key TEXT, creator_name TEXT,"
    " created TEXT, modified TEXT, live INTEGER);"
    "CREATE TABLE bodies(id TEXT, content_id TEXT, body_type INTEGER,"
    " bytes INTEGER, content_class TEXT);"
    "CREATE TABLE attachments(id TEXT, container_id TEXT, file_id TEXT,"
    " name TEXT, version INTEGER, size INTEGER, status TEXT, path TEXT);"
    "CREATE TABLE members(name TEXT, size INTEGER, crc INTEGER);"
    "CREATE TABLE users(key TEXT, username TEXT COLLATE NOCASE, email TEXT,"
    " refs INTEGER, object INTEGER, deleted INTEGER);"
    "CREATE TABLE user_refs(kind TEXT, user_key TEXT,"
    " username TEXT COLLATE NOCASE, object_class TEXT, object_id TEXT,"
    " property TEXT);"
    "CREATE TABLE macros(content_id TEXT, body_id TEXT, name TEXT,"
    " n INTEGER);"
    "CREATE TABLE links(source_id TEXT, source_class TEXT, kind TEXT,"
    " target_space TEXT, target_title TEXT, url TEXT, host TEXT);"
    "CREATE TABLE label_defs(id TEXT, name TEXT, namespace TEXT);"
    "CREATE TABLE labellings(id TEXT, content_id TEXT, label_id TEXT);"
    "CREATE TABLE findings(code TEXT, file TEXT, line INTEGER,"
    " subject TEXT, message TEXT);"
    /* helpers for the >= 5.9 attachment size (dropped at close) */
    "CREATE TABLE _att_props(att_id TEXT, prop_id TEXT);"
    "CREATE TABLE _filesize(prop_id TEXT, content_id TEXT, size INTEGER);"
    /* views */
    "CREATE VIEW attachment_files AS"
    " SELECT a.id, a.container_id, a.file_id, a.name, a.version, a.status,"
    "  a.path, a.size AS recorded_size, m.size AS file_size, m.crc,"
    "  CASE WHEN a.path IS NULL THEN 'no-container'"
    "   WHEN m.name IS NULL THEN 'missing'"
    "   WHEN m.size = 0 AND coalesce(a.size, -1) <> 0 THEN 'empty'"
    "   WHEN a.size IS NOT NULL AND a.size <> m.size THEN 'size-mismatch'"
    "   ELSE 'ok' END AS state"
    " FROM attachments a LEFT JOIN members m ON m.name = a.path;"
    "CREATE VIEW orphan_files AS"
    " SELECT m.name, m.size, m.crc FROM members m"
    " WHERE m.name LIKE 'attachments/%' AND m.name NOT LIKE '%/'"
    " AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.path = m.name);"
    "CREATE VIEW user_ref_counts AS"
    " SELECT k AS user_key,"
    "  coalesce((SELECT u.username FROM users u WHERE u.key = k LIMIT 1),"
    "   name) AS username, kind, count(*) AS n FROM"
    " (SELECT coalesce(r.user_key, (SELECT u.key FROM users u"
    "    WHERE u.username = r.username AND u.key IS NOT NULL LIMIT 1))"
    "    AS k, r.username AS name, r.kind AS kind FROM user_refs r)"
    " GROUP BY 1, 2, 3;"
    "CREATE VIEW macro_usage AS"
    " SELECT m.name AS name, sum(m.n) AS uses,"
    "  count(DISTINCT m.content_id) AS pages,"
    "  count(DISTINCT CASE WHEN c.live = 1 THEN m.content_id END)"
    "   AS live_pages"
    " FROM macros m LEFT JOIN content c ON c.id = m.content_id"
    " GROUP BY m.name;"
    "CREATE VIEW labels AS"
    " SELECT l.content_id AS content_id, d.name AS label,"
    "  d.namespace AS namespace"
    " FROM labellings l JOIN label_defs d ON d.id = l.label_id;";

static const char indexes[] =
    "CREATE INDEX content_id ON content(id);"
    "CREATE INDEX content_class_status ON content(class, status, live);"
    "CREATE INDEX content_space ON content(space_id);"
    "CREATE INDEX content_parent ON content(parent_id);"
    "CREATE INDEX bodies_content ON bodies(content_id);"
    "CREATE INDEX attachments_path ON attachments(path);"
    "CREATE INDEX attachments_container ON attachments(container_id);"
    "CREATE INDEX members_name ON members(name);"
    "CREATE INDEX users_key ON users(key);"
    "CREATE INDEX users_username ON users(username);"
    "CREATE INDEX user_refs_key ON user_refs(user_key);"
    "CREATE INDEX user_refs_username ON user_refs(username);"
    "CREATE INDEX macros_name ON macros(name);"
    "CREATE INDEX macros_content ON macros(content_id);"
    "CREATE INDEX links_host ON links(host);"
    "CREATE INDEX links_source ON links(source_id);"
    "CREATE INDEX label_defs_id ON label_defs(id);"
    "CREATE INDEX labellings_content ON labellings(content_id);"
    "CREATE INDEX spaces_key ON spaces(key);";

struct mac {
	size_t		 off, len;	/* name in inventory.names */
	int64_t		 n;
};

struct inventory {
	struct db	 d;
	sqlite3_stmt	*st[S_NST];
	struct strbuf	 scratch;	/* "]] " unescape */
	struct strbuf	 url;
	struct strbuf	 host;
	struct strbuf	 names;		/* macro names of the current body */
	struct mac	*mac;
	size_t		 nmac, capmac;
	const char	*src_id;	/* owner of the body being scanned */
	const char	*scan_body;	/* its BodyContent id */
	const char	*src_cls;
	uint64_t	 objects;
};

/* ---- small helpers ------------------------------------------------- */

static int
streq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* Non-null decoded value of member name, or NULL. */
static const struct xmember *
mem(const struct xobj *o, const char *name)
{
	const struct xmember *m = xobj_member(o, name);

	if (m == NULL || m->is_null || m->value == NULL)
		return NULL;
	return m;
}

static const char *
val(const struct xobj *o, const char *name)
{
	const struct xmember *m = mem(o, name);

	return m != NULL ? m->value : NULL;
}

static void
bind_str(struct inventory *inv, sqlite3_stmt *st, int i, const char *s)
{
	db_bind_text(&inv->d, st, i, s, -1);
}

/* Bind a member's text, undoing Confluence's "]] " CDATA escape. */
static void
bind_mtext(struct inventory *inv, sqlite3_stmt *st, int i,
    const struct xmember *m)
{
	size_t n;

	if (m == NULL) {
		db_bind_null(&inv->d, st, i);
		return;
	}
	if (!m->value_cdata || memmem(m->value, m->value_len, "]] ", 3) == NULL) {
		db_bind_text(&inv->d, st, i, m->value, (int)m->value_len);
		return;
	}
	sb_reset(&inv->scratch);
	sb_add(&inv->scratch, m->value, m->value_len);
	n = xt_cdata_unescape(inv->scratch.buf, inv->scratch.len);
	db_bind_text(&inv->d, st, i, inv->scratch.buf, (int)n);
}

/* Integer columns: bind the number when the text is one, else the text. */
static void
bind_num(struct inventory *inv, sqlite3_stmt *st, int i, const char *s)
{
	char *end;
	long long v;

	if (s == NULL) {
		db_bind_null(&inv->d, st, i);
		return;
	}
	v = strtoll(s, &end, 10);
	if (end != s && *end == '\0')
		db_bind_i64(&inv->d, st, i, v);
	else
		bind_str(inv, st, i, s);
}

static const char *
first_val(const struct xobj *o, const char *a, const char *b)
{
	const char *v = val(o, a);

	return v != NULL || b == NULL ? v : val(o, b);
}

static int
is_content_class(const char *cls)
{
	static const char *const names[] = { "Page", "BlogPost", "Comment",
	    "Attachment", "SpaceDescription", "Draft",
	    "CustomContentEntityObject", "PageTemplate" };
	size_t i;

	for (i = 0; cls != NULL && i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(names[i], cls) == 0)
			return 1;
	return 0;
}

/*
 * Live: contentStatus current (or absent) and no originalVersion(Id).
 * Unlike model_is_live(), a NULL <property name="originalVersionId"/>
 * (written on live content by Cloud exports) does not count.
 */
static int
is_live(const struct xobj *o)
{
	const char *st = val(o, "contentStatus");

	if (st != NULL && strcmp(st, "current") != 0)
		return 0;
	return mem(o, "originalVersion") == NULL &&
	    mem(o, "originalVersionId") == NULL;
}

/* ---- body scanning ------------------------------------------------- */

static int
has_prefix(const char *p, const char *e, const char *pfx)
{
	size_t n = strlen(pfx);

	return (size_t)(e - p) >= n && memcmp(p, pfx, n) == 0;
}

static void
macro_add(struct inventory *inv, const char *name, size_t len)
{
	size_t i;

	if (len == 0)
		return;
	for (i = 0; i < inv->nmac; i++)
		if (inv->mac[i].len == len &&
		    memcmp(inv->names.buf + inv->mac[i].off, name, len) == 0) {
			inv->mac[i].n++;
			return;
		}
	if (inv->nmac == inv->capmac) {
		inv->capmac = inv->capmac ? inv->capmac * 2 : 32;
		inv->mac = xreallocarray(inv->mac, inv->capmac,
		    sizeof(*inv->mac));
	}
	inv->mac[inv->nmac].off = inv->names.len;
	inv->mac[inv->nmac].len = len;
	inv->mac[inv->nmac].n = 1;
	inv->nmac++;
	sb_add(&inv->names, name, len);
}

/* scheme://host... : sets inv->host to the lower-cased host; 0 if not
 * absolute. */
static int
url_host(struct inventory *inv, const char *u, size_t n)
{
	const char *e = u + n, *p = u, *h;

	if (p >= e || !isalpha((unsigned char)*p))
		return 0;
	while (p < e && (isalnum((unsigned char)*p) || *p == '+' ||
	    *p == '-' || *p == '.'))
		p++;
	if (!has_prefix(p, e, "://"))
		return 0;
	sb_reset(&inv->host);
	for (h = p + 3; h < e && *h != '/' && *h != '?' && *h != '#'; h++)
		sb_addc(&inv->host, tolower((unsigned char)*h));
	if (inv->host.len == 0)
		return 0;
	return 1;
}

static void
link_row(struct inventory *inv, const char *src, const char *srccls,
    const char *kind, const struct xmember *space, const struct xmember *title,
    const char *url, size_t ulen)
{
	sqlite3_stmt *st = inv->st[S_LINK];

	bind_str(inv, st, 1, src);
	bind_str(inv, st, 2, srccls);
	bind_str(inv, st, 3, kind);
	bind_mtext(inv, st, 4, space);
	bind_mtext(inv, st, 5, title);
	db_bind_text(&inv->d, st, 6, url, (int)ulen);
	if (url != NULL && url_host(inv, url, ulen))
		db_bind_text(&inv->d, st, 7, inv->host.buf, (int)inv->host.len);
	else
		db_bind_null(&inv->d, st, 7);
	db_run(&inv->d, st);
}

/*
 * The inventory rule: ac:name of every macro (<ac:structured-macro>,
 * 4.x <ac:macro>), and absolute URLs in href="..." and ri:value="..."
 * (ri:url) of any element.
 */
static void
inv_token(struct body *b, const struct btok *t, void *arg)
{
	struct inventory *inv = arg;
	const struct battr *a;
	size_t i;

	if ((btok_is(t, "ac:structured-macro") || btok_is(t, "ac:macro")) &&
	    (a = btok_attr(t, "ac:name")) != NULL)
		macro_add(inv, a->val, a->val_len);
	for (i = 0; i < t->nattr; i++) {
		a = &t->attr[i];
		if (!((a->name_len == 4 && memcmp(a->name, "href", 4) == 0) ||
		    (a->name_len == 8 && memcmp(a->name, "ri:value", 8) == 0)))
			continue;
		sb_reset(&inv->url);
		sb_add(&inv->url, a->val, a->val_len);
		if (url_host(inv, inv->url.buf, inv->url.len))
			link_row(inv, inv->src_id, inv->src_cls, "url-in-body",
			    NULL, NULL, inv->url.buf, inv->url.len);
	}
}

static const char *const inv_triggers[] = {
	"ac:macro", "ac:structured-macro", "href", "ri:value", NULL
};

const struct body_rule inventory_rule = {
	.name = "inventory",
	.formats = 1u << BODY_STORAGE,
	.storage_triggers = inv_triggers,
	.want = 1u << BT_START,
	.token = inv_token,
};

/*
 * The bodies row of body (o's member) and, for a storage body, the start
 * of its scan: returns 1 when the inventory rule is to run on it (a row
 * of extract's rule table), then inventory_body_end() writes what it
 * found.
 */
static int
body_row(struct inventory *inv, const struct xobj *o,
    const char *owner_id, const char *owner_cls,
    const struct xmember *body, enum body_format bf)
{
	sqlite3_stmt *st = inv->st[S_BODY];
	const char *h, *p, *e;
	size_t bytes = body->value_len;

	/* Length after undoing the "]] " escape. */
	if (body->value_cdata)
		for (p = body->value, e = p + body->value_len;
		    (h = memmem(p, (size_t)(e - p), "]] ", 3)) != NULL; p = h + 3)
			bytes--;
	bind_str(inv, st, 1, o->id);
	bind_str(inv, st, 2, owner_id);
	if (mem(o, "bodyType") == NULL && streq(o->cls, "PageTemplate"))
		db_bind_i64(&inv->d, st, 3, bf == BODY_WIKI ? 0 : 2);
	else
		bind_num(inv, st, 3, val(o, "bodyType"));
	db_bind_i64(&inv->d, st, 4, (int64_t)bytes);
	bind_str(inv, st, 5, owner_cls);
	db_run(&inv->d, st);
	if (bf != BODY_STORAGE)
		return 0;
	inv->nmac = 0;
	sb_reset(&inv->names);
	inv->src_id = owner_id;
	inv->src_cls = owner_cls;
	inv->scan_body = o->id;
	return 1;
}

int
inventory_body_begin(struct inventory *inv, const struct xobj *o)
{
	const struct xmember *body, *owner;
	enum body_format bf;

	inv->scan_body = NULL;
	if (o->cls == NULL)
		return 0;
	bf = model_body(o, &body);
	if (body == NULL)
		return 0;
	if (streq(o->cls, "PageTemplate"))
		return body_row(inv, o, o->id, o->cls, body, bf);
	owner = mem(o, "content");
	return body_row(inv, o, owner != NULL ? owner->value : NULL,
	    owner != NULL ? owner->cls : NULL, body, bf);
}

void
inventory_body_end(struct inventory *inv)
{
	sqlite3_stmt *st = inv->st[S_MACRO];
	size_t i;

	for (i = 0; i < inv->nmac; i++) {
		bind_str(inv, st, 1, inv->src_id);
		bind_str(inv, st, 2, inv->scan_body);
		db_bind_text(&inv->d, st, 3, inv->names.buf + inv->mac[i].off,
		    (int)inv->mac[i].len);
		db_bind_i64(&inv->d, st, 4, inv->mac[i].n);
		db_run(&inv->d, st);
	}
	inv->nmac = 0;
	inv->scan_body = NULL;
}

/* ---- objects ------------------------------------------------------- */

static void
content_row(struct inventory *inv, const struct xobj *o)
{
	sqlite3_stmt *st = inv->st[S_CONTENT];
	const struct xmember *title;
	const char *ver, *cont;

	title = mem(o, "title");
	if (title == NULL)
		title = mem(o, streq(o->cls, "PageTemplate") ? "name" : "fileName");
	ver = first_val(o, "version", "attachmentVersion");
	if (ver == NULL)
		ver = val(o, "pageVersion");		/* Draft */
	cont = first_val(o, "containerContent", "owner");
	if (cont == NULL && streq(o->cls, "Attachment"))
		cont = val(o, "content");
	bind_str(inv, st, 1, o->id);
	bind_str(inv, st, 2, o->cls);
	bind_mtext(inv, st, 3, title);
	bind_str(inv, st, 4, val(o, "contentStatus"));
	bind_num(inv, st, 5, ver);
	bind_str(inv, st, 6, val(o, "space"));
	bind_str(inv, st, 7, val(o, "parent"));
	bind_str(inv, st, 8, first_val(o, "originalVersion",
	    "originalVersionId"));
	bind_str(inv, st, 9, cont);
	bind_str(inv, st, 10, val(o, "creator"));
	bind_str(inv, st, 11, val(o, "creatorName"));
	bind_str(inv, st, 12, val(o, "creationDate"));
	bind_str(inv, st, 13, val(o, "lastModificationDate"));
	db_bind_i64(&inv->d, st, 14, is_live(o));
	db_run(&inv->d, st);
}

static void
attachment_row(struct inventory *inv, const struct xobj *o)
{
	sqlite3_stmt *st = inv->st[S_ATT];
	const struct xmember *m;
	struct att_info a;
	size_t i;

	if (!model_attachment(o, &a))
		return;
	bind_str(inv, st, 1, o->id);
	bind_str(inv, st, 2, a.container);
	bind_str(inv, st, 3, a.file_id);
	bind_mtext(inv, st, 4, mem(o, "title") != NULL ? mem(o, "title") :
	    mem(o, "fileName"));
	bind_num(inv, st, 5, a.version);
	if (a.size >= 0)
		db_bind_i64(&inv->d, st, 6, a.size);
	else
		db_bind_null(&inv->d, st, 6);
	bind_str(inv, st, 7, a.status);
	if (a.container != NULL) {
		sb_reset(&inv->url);
		sb_addf(&inv->url, "attachments/%s/%s/%s", a.container,
		    a.file_id, a.version);
		db_bind_text(&inv->d, st, 8, inv->url.buf, (int)inv->url.len);
	} else
		db_bind_null(&inv->d, st, 8);
	db_run(&inv->d, st);
	/* Legacy writer: FILESIZE lives in a ContentProperty listed here. */
	if (a.size < 0 && (m = xobj_member(o, "contentProperties")) != NULL &&
	    m->kind == XM_COLL)
		for (i = 0; i < m->nelem; i++) {
			if (m->elem[i].value == NULL)
				continue;
			bind_str(inv, inv->st[S_ATTPROP], 1, o->id);
			bind_str(inv, inv->st[S_ATTPROP], 2, m->elem[i].value);
			db_run(&inv->d, inv->st[S_ATTPROP]);
		}
}

static void
space_row(struct inventory *inv, const struct xobj *o)
{
	sqlite3_stmt *st = inv->st[S_SPACE];

	bind_str(inv, st, 1, o->id);
	bind_str(inv, st, 2, val(o, "key"));
	bind_mtext(inv, st, 3, mem(o, "name"));
	bind_str(inv, st, 4, val(o, "spaceType"));
	bind_str(inv, st, 5, val(o, "spaceStatus"));
	bind_str(inv, st, 6, val(o, "homePage"));
	bind_str(inv, st, 7, val(o, "description"));
	db_run(&inv->d, st);
}

static void
outgoing_link(struct inventory *inv, const struct xobj *o)
{
	const struct xmember *src = mem(o, "sourceContent");
	const struct xmember *sk = mem(o, "destinationSpaceKey");
	const struct xmember *tt = mem(o, "destinationPageTitle");
	const char *p;
	int ext = 0;

	/* External: key is a URL scheme, title "//host/...". */
	if (sk != NULL && tt != NULL && tt->value_len >= 2 &&
	    memcmp(tt->value, "//", 2) == 0 && sk->value_len > 0) {
		ext = 1;
		for (p = sk->value; *p != '\0'; p++)
			if (!isalnum((unsigned char)*p) && *p != '+' &&
			    *p != '-' && *p != '.')
				ext = 0;
	}
	if (ext) {
		sb_reset(&inv->url);
		sb_addf(&inv->url, "%s:%s", sk->value, tt->value);
		link_row(inv, src != NULL ? src->value : NULL,
		    src != NULL ? src->cls : NULL, "external", sk, tt,
		    inv->url.buf, inv->url.len);
	} else
		link_row(inv, src != NULL ? src->value : NULL,
		    src != NULL ? src->cls : NULL, "page", sk, tt, NULL, 0);
}

static void
referral_link(struct inventory *inv, const struct xobj *o)
{
	const struct xmember *src = mem(o, "sourceContent");
	const struct xmember *u = mem(o, "url");

	link_row(inv, src != NULL ? src->value : NULL,
	    src != NULL ? src->cls : NULL, "referral", NULL, NULL,
	    u != NULL ? u->value : NULL, u != NULL ? u->value_len : 0);
}

static void
label_rows(struct inventory *inv, const struct xobj *o)
{
	sqlite3_stmt *st;
	const char *c;

	if (streq(o->cls, "Label")) {
		st = inv->st[S_LABEL];
		bind_str(inv, st, 1, o->id);
		bind_mtext(inv, st, 2, mem(o, "name"));
		bind_str(inv, st, 3, val(o, "namespace"));
		db_run(&inv->d, st);
		return;
	}
	st = inv->st[S_LABELLING];
	c = val(o, "content");
	if (c == NULL)
		c = first_val(o, "pageTemplate", "labelableId");
	bind_str(inv, st, 1, o->id);
	bind_str(inv, st, 2, c);
	bind_str(inv, st, 3, val(o, "label"));
	db_run(&inv->d, st);
}

static void
filesize_prop(struct inventory *inv, const struct xobj *o)
{
	sqlite3_stmt *st = inv->st[S_FILESIZE];
	const char *v;

	if (!streq(val(o, "name"), "FILESIZE") ||
	    (v = val(o, "longValue")) == NULL)
		return;
	bind_str(inv, st, 1, o->id);
	bind_str(inv, st, 2, val(o, "content"));
	db_bind_i64(&inv->d, st, 3, strtoll(v, NULL, 10));
	db_run(&inv->d, st);
}

/* ---- API ----------------------------------------------------------- */

struct inventory *
inventory_open(const char *path)
{
	struct inventory *inv = xcalloc(1, sizeof(*inv));
	int i;

	db_open(&inv->d, path);
	db_exec(&inv->d, "BEGIN;");
	db_exec(&inv->d, schema);
	for (i = 0; i < S_NST; i++)
		inv->st[i] = db_prep(&inv->d, stmt_sql[i]);
	bind_str(inv, inv->st[S_META], 1, "inventory.schema_version");
	bind_str(inv, inv->st[S_META], 2, INV_SCHEMA_VERSION);
	db_run(&inv->d, inv->st[S_META]);
	return inv;
}

void
inventory_object(struct inventory *inv, const struct xobj *o)
{
	inv->objects++;
	bind_str(inv, inv->st[S_CLASS], 1, o->cls != NULL ? o->cls : "(none)");
	db_run(&inv->d, inv->st[S_CLASS]);
	if (o->cls == NULL)
		return;
	if (is_content_class(o->cls)) {
		content_row(inv, o);
		if (streq(o->cls, "Attachment"))
			attachment_row(inv, o);
	} else if (streq(o->cls, "Space"))
		space_row(inv, o);
	else if (streq(o->cls, "OutgoingLink"))
		outgoing_link(inv, o);
	else if (streq(o->cls, "ReferralLink"))
		referral_link(inv, o);
	else if (streq(o->cls, "Label") || streq(o->cls, "Labelling"))
		label_rows(inv, o);
	else if (streq(o->cls, "ContentProperty"))
		filesize_prop(inv, o);
}

void
inventory_user_ref(struct inventory *inv, enum ref_kind kind,
    const char *key, const char *username, const char *where_cls,
    const char *where_id, const char *prop)
{
	sqlite3_stmt *st = inv->st[S_UREF];

	bind_str(inv, st, 1, ref_kind_name(kind));
	bind_str(inv, st, 2, key);
	bind_str(inv, st, 3, username);
	bind_str(inv, st, 4, where_cls);
	bind_str(inv, st, 5, where_id);
	bind_str(inv, st, 6, prop);
	db_run(&inv->d, st);
}

void
inventory_member(struct inventory *inv, const char *name, uint64_t size,
    uint32_t crc)
{
	sqlite3_stmt *st = inv->st[S_MEMBER];

	bind_str(inv, st, 1, name);
	db_bind_i64(&inv->d, st, 2, (int64_t)size);
	db_bind_i64(&inv->d, st, 3, (int64_t)crc);
	db_run(&inv->d, st);
}

void
inventory_fact(struct inventory *inv, const char *key, const char *value)
{
	sqlite3_stmt *st = inv->st[S_META];

	bind_str(inv, st, 1, key);
	bind_str(inv, st, 2, value);
	db_run(&inv->d, st);
}

void
inventory_finding(struct inventory *inv, const char *code,
    const char *file, long line, const char *subject, const char *msg)
{
	sqlite3_stmt *st = inv->st[S_FINDING];

	bind_str(inv, st, 1, code);
	bind_str(inv, st, 2, file);
	if (line > 0)
		db_bind_i64(&inv->d, st, 3, line);
	else
		db_bind_null(&inv->d, st, 3);
	bind_str(inv, st, 4, subject);
	bind_str(inv, st, 5, msg);
	db_run(&inv->d, st);
}

void
inventory_user(struct inventory *inv, const char *key, const char *username,
    const char *email, uint64_t refs, int object, int deleted)
{
	sqlite3_stmt *st = inv->st[S_USER];

	bind_str(inv, st, 1, key);
	bind_str(inv, st, 2, username);
	bind_str(inv, st, 3, email);
	db_bind_i64(&inv->d, st, 4, (int64_t)refs);
	db_bind_i64(&inv->d, st, 5, object != 0);
	db_bind_i64(&inv->d, st, 6, deleted != 0);
	db_run(&inv->d, st);
}

struct db *
inventory_db(struct inventory *inv)
{
	return &inv->d;
}

void
inventory_close(struct inventory *inv)
{
	char num[32];
	int i;

	if (inv == NULL)
		return;
	snprintf(num, sizeof(num), "%llu", (unsigned long long)inv->objects);
	inventory_fact(inv, "inventory.objects", num);
	for (i = 0; i < S_NST; i++)
		db_finalize(inv->st[i]);
	db_exec(&inv->d, indexes);
	db_exec(&inv->d,
	    "CREATE INDEX _filesize_content ON _filesize(content_id);"
	    "CREATE INDEX _filesize_prop ON _filesize(prop_id);"
	    "CREATE INDEX _att_props_att ON _att_props(att_id);"
	    /* >= 5.9: the recorded size is a FILESIZE content property */
	    "UPDATE attachments SET size = coalesce("
	    " (SELECT max(f.size) FROM _filesize f"
	    "   WHERE f.content_id = attachments.id),"
	    " (SELECT max(f.size) FROM _att_props p JOIN _filesize f"
	    "   ON f.prop_id = p.prop_id WHERE p.att_id = attachments.id))"
	    " WHERE size IS NULL;"
	    "DROP TABLE _att_props; DROP TABLE _filesize;"
	    /* key-based creators: their username, for reading convenience */
	    "UPDATE content SET creator_name = (SELECT u.username FROM users u"
	    " WHERE u.key = content.creator_key LIMIT 1)"
	    " WHERE creator_name IS NULL AND creator_key IS NOT NULL;"
	    "COMMIT;");
	db_commit(&inv->d);
	sb_free(&inv->scratch);
	sb_free(&inv->url);
	sb_free(&inv->host);
	sb_free(&inv->names);
	free(inv->mac);
	free(inv);
}
