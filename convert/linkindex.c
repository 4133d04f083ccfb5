/*
 * linkindex.c - pages, blog posts and attachments by id and by title, in a
 * private SQLite database (linkindex.h).
 *
 * Ids are stored as integers (a Confluence content id is a positive 64-bit
 * number; a row whose id is not one is skipped), so an id from a URL and
 * an id from entities.xml compare whatever leading zeros or spelling.  A
 * site index is hostile input like any other: it is opened read-only with
 * its own connection, its rows are read through fixed queries, and only
 * values of the expected shape are copied in.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db.h"
#include "diag.h"
#include "linkindex.h"
#include "strbuf.h"

enum {
	Q_SPACE, Q_CONTENT, Q_ATT,
	Q_BYID, Q_TITLE, Q_TITLE_CI, Q_BLOG, Q_SPKEY, Q_HASATT,
	Q_N
};

static const char *const sql[Q_N] = {
	[Q_SPACE] = "INSERT OR IGNORE INTO sp VALUES(?1, ?2, ?3)",
	[Q_CONTENT] = "INSERT OR IGNORE INTO ct VALUES(?1,?2,?3,?4,?5,?6,?7,?8)",
	[Q_ATT] = "INSERT INTO at VALUES(?1, ?2, ?3)",
	/* A historical version resolves to its current version. */
	[Q_BYID] = "SELECT c.blog, s.key, c.title, c.day, c.src FROM ct c0"
	    " JOIN ct c ON c.id = coalesce(c0.orig, c0.id)"
	    " JOIN sp s ON s.id = c.space_id"
	    " WHERE c0.id = ?1 AND c.live = 1",
	[Q_TITLE] = "SELECT c.blog, s.key, c.title, c.day, c.src FROM sp s"
	    " JOIN ct c ON c.space_id = s.id"
	    " WHERE s.key = ?1 COLLATE NOCASE AND c.title = ?2 AND c.blog = 0"
	    " AND c.live = 1 AND c.orig IS NULL LIMIT 2",
	[Q_TITLE_CI] = "SELECT c.blog, s.key, c.title, c.day, c.src FROM sp s"
	    " JOIN ct c ON c.space_id = s.id"
	    " WHERE s.key = ?1 COLLATE NOCASE AND c.title = ?2 COLLATE NOCASE"
	    " AND c.blog = 0 AND c.live = 1 AND c.orig IS NULL LIMIT 2",
	[Q_BLOG] = "SELECT c.blog, s.key, c.title, c.day, c.src FROM sp s"
	    " JOIN ct c ON c.space_id = s.id"
	    " WHERE s.key = ?1 COLLATE NOCASE AND c.title = ?2 AND c.day = ?3"
	    " AND c.blog = 1 AND c.live = 1 AND c.orig IS NULL LIMIT 2",
	[Q_SPKEY] = "SELECT key, src FROM sp WHERE key = ?1 COLLATE NOCASE"
	    " ORDER BY key = ?1 DESC LIMIT 1",
	[Q_HASATT] = "SELECT 1 FROM at WHERE container = ?1 AND name = ?2"
	    " LIMIT 1",
};

struct linkidx {
	struct db	 d;
	sqlite3_stmt	*q[Q_N];
	const char	*src;		/* source of rows being added (NULL: self) */
	struct strbuf	 s[4];		/* strings of the last lookup */
	struct strbuf	 srcname;
};

struct linkidx *
linkidx_open(void)
{
	struct linkidx *li = xcalloc(1, sizeof(*li));
	int i;

	db_open(&li->d, NULL);
	db_exec(&li->d,
	    "CREATE TABLE sp(id INTEGER PRIMARY KEY, key TEXT, src TEXT);"
	    "CREATE INDEX sp_key ON sp(key COLLATE NOCASE);"
	    "CREATE TABLE ct(id INTEGER PRIMARY KEY, blog INTEGER,"
	    " space_id INTEGER, title TEXT, day TEXT, orig INTEGER,"
	    " live INTEGER, src TEXT);"
	    /* Partial: titles are looked up among current content only,
	     * and most rows of a long-lived wiki are historical versions
	     * (found by id); those cost no title index entry. */
	    "CREATE INDEX ct_title ON ct(space_id, title)"
	    " WHERE orig IS NULL AND live = 1;"
	    "CREATE INDEX ct_title_ci ON ct(space_id, title COLLATE NOCASE)"
	    " WHERE orig IS NULL AND live = 1;"
	    "CREATE TABLE at(container INTEGER, name TEXT, src TEXT);"
	    "CREATE INDEX at_c ON at(container, name);");
	for (i = 0; i < Q_N; i++)
		li->q[i] = db_prep(&li->d, sql[i]);
	return li;
}

void
linkidx_close(struct linkidx *li)
{
	int i;

	if (li == NULL)
		return;
	for (i = 0; i < Q_N; i++)
		db_finalize(li->q[i]);
	db_close(&li->d);
	for (i = 0; i < 4; i++)
		sb_free(&li->s[i]);
	sb_free(&li->srcname);
	free(li);
}

/* A content or space id: 1..19 decimal digits, no sign, value > 0. */
static int
parse_id(const char *s, int64_t *v)
{
	uint64_t n = 0;
	size_t i;

	if (s == NULL || s[0] == '\0' || strlen(s) > 19)
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (!isdigit((unsigned char)s[i]))
			return 0;
		n = n * 10 + (uint64_t)(s[i] - '0');
	}
	if (n == 0 || n > INT64_MAX)
		return 0;
	*v = (int64_t)n;
	return 1;
}

static void
bind_src(struct linkidx *li, sqlite3_stmt *st, int i)
{
	if (li->src != NULL)
		db_bind_text(&li->d, st, i, li->src, -1);
	else
		db_bind_null(&li->d, st, i);
}

void
linkidx_space(struct linkidx *li, const char *space_id, const char *key)
{
	sqlite3_stmt *st = li->q[Q_SPACE];
	int64_t id;

	if (!parse_id(space_id, &id) || key == NULL || key[0] == '\0')
		return;
	db_bind_i64(&li->d, st, 1, id);
	db_bind_text(&li->d, st, 2, key, -1);
	bind_src(li, st, 3);
	db_run(&li->d, st);
}

/* "YYYY-MM-DD..." -> "YYYY/MM/DD" in out[11]; 0 if not that shape. */
static int
posting_day(const char *created, char out[11])
{
	int i;

	if (created == NULL || strlen(created) < 10)
		return 0;
	for (i = 0; i < 10; i++) {
		if (i == 4 || i == 7) {
			if (created[i] != '-')
				return 0;
			out[i] = '/';
		} else if (!isdigit((unsigned char)created[i]))
			return 0;
		else
			out[i] = created[i];
	}
	out[10] = '\0';
	return 1;
}

void
linkidx_content(struct linkidx *li, const char *id, const char *cls,
    const char *space_id, const char *title, const char *created,
    const char *original_id, int live)
{
	sqlite3_stmt *st = li->q[Q_CONTENT];
	int64_t v, sp, orig;
	char day[11];
	int blog;

	if (cls == NULL || !parse_id(id, &v))
		return;
	if (strcmp(cls, "Page") == 0)
		blog = 0;
	else if (strcmp(cls, "BlogPost") == 0)
		blog = 1;
	else
		return;
	db_bind_i64(&li->d, st, 1, v);
	db_bind_i64(&li->d, st, 2, blog);
	if (parse_id(space_id, &sp))
		db_bind_i64(&li->d, st, 3, sp);
	else
		db_bind_null(&li->d, st, 3);
	if (title != NULL)
		db_bind_text(&li->d, st, 4, title, -1);
	else
		db_bind_null(&li->d, st, 4);
	if (blog && posting_day(created, day))
		db_bind_text(&li->d, st, 5, day, 10);
	else
		db_bind_null(&li->d, st, 5);
	if (parse_id(original_id, &orig))
		db_bind_i64(&li->d, st, 6, orig);
	else
		db_bind_null(&li->d, st, 6);
	db_bind_i64(&li->d, st, 7, live != 0);
	bind_src(li, st, 8);
	db_run(&li->d, st);
}

void
linkidx_attachment(struct linkidx *li, const char *container_id,
    const char *filename, int live)
{
	sqlite3_stmt *st = li->q[Q_ATT];
	int64_t c;

	if (!live || filename == NULL || !parse_id(container_id, &c))
		return;
	db_bind_i64(&li->d, st, 1, c);
	db_bind_text(&li->d, st, 2, filename, -1);
	bind_src(li, st, 3);
	db_run(&li->d, st);
}

/* Column i of a site-index row as text, NULL if NULL. */
static const char *
col(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

void
linkidx_batch(struct linkidx *li, int begin)
{
	db_exec(&li->d, begin ? "BEGIN" : "COMMIT");
}

/* Runs q on the site index h and hands each row to add(). */
static int
copy_rows(struct linkidx *li, sqlite3 *h, const char *path, const char *q,
    int kind)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(h, q, -1, &st, NULL) != SQLITE_OK) {
		diag_warn(path, 0, "not a spaceport inventory database (%s)",
		    sqlite3_errmsg(h));
		sqlite3_finalize(st);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (kind == 0)
			linkidx_space(li, col(st, 0), col(st, 1));
		else if (kind == 1)
			linkidx_content(li, col(st, 0), col(st, 1), col(st, 2),
			    col(st, 3), col(st, 4), col(st, 5),
			    sqlite3_column_int(st, 6));
		else
			linkidx_attachment(li, col(st, 0), col(st, 1), 1);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		diag_warn(path, 0, "cannot read the inventory: %s",
		    sqlite3_errmsg(h));
		return -1;
	}
	return 0;
}

int
linkidx_add_site(struct linkidx *li, const char *path)
{
	sqlite3 *h = NULL;
	int rc = -1;

	if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
		diag_warn(path, 0, "cannot open the site index: %s",
		    h != NULL ? sqlite3_errmsg(h) : "out of memory");
		sqlite3_close(h);
		return -1;
	}
	/* A hostile file must not make SQLite run for ever or load code. */
	sqlite3_limit(h, SQLITE_LIMIT_LENGTH, 1 << 20);
	sb_reset(&li->srcname);
	sb_adds(&li->srcname, path);
	db_exec(&li->d, "BEGIN");
	li->src = li->srcname.buf;
	if (copy_rows(li, h, path, "SELECT id, key FROM spaces", 0) == 0 &&
	    copy_rows(li, h, path, "SELECT id, class, space_id, title, created,"
	    " original_id, live FROM content WHERE class IN ('Page',"
	    " 'BlogPost')", 1) == 0 &&
	    copy_rows(li, h, path, "SELECT a.container_id, a.name FROM"
	    " attachments a JOIN content c ON c.id = a.id WHERE c.live = 1",
	    2) == 0)
		rc = 0;
	li->src = NULL;
	db_exec(&li->d, rc == 0 ? "COMMIT" : "ROLLBACK");
	sqlite3_close(h);
	return rc;
}

/* Fills t from the current row of st (blog, key, title, day, src). */
static void
target(struct linkidx *li, sqlite3_stmt *st, struct link_target *t)
{
	int i;

	for (i = 0; i < 4; i++) {
		const char *v = col(st, i + 1);

		sb_reset(&li->s[i]);
		if (v != NULL)
			sb_adds(&li->s[i], v);
	}
	t->blog = sqlite3_column_int(st, 0);
	t->space_key = sb_str(&li->s[0]);
	t->title = sb_str(&li->s[1]);
	t->posting_day = li->s[2].len > 0 ? li->s[2].buf : NULL;
	t->source = li->s[3].len > 0 ? li->s[3].buf : NULL;
}

/* Steps st: 1 and fills t if it yields exactly one row, else 0. */
static int
one_row(struct linkidx *li, sqlite3_stmt *st, struct link_target *t)
{
	int found = 0;

	if (db_step(&li->d, st)) {
		target(li, st, t);
		found = !db_step(&li->d, st);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return found;
}

int
linkidx_by_id(struct linkidx *li, uint64_t id, struct link_target *t)
{
	if (id == 0 || id > INT64_MAX)
		return 0;
	db_bind_i64(&li->d, li->q[Q_BYID], 1, (int64_t)id);
	return one_row(li, li->q[Q_BYID], t);
}

int
linkidx_by_title(struct linkidx *li, const char *key, const char *title,
    struct link_target *t)
{
	db_bind_text(&li->d, li->q[Q_TITLE], 1, key, -1);
	db_bind_text(&li->d, li->q[Q_TITLE], 2, title, -1);
	if (one_row(li, li->q[Q_TITLE], t))
		return 1;
	db_bind_text(&li->d, li->q[Q_TITLE_CI], 1, key, -1);
	db_bind_text(&li->d, li->q[Q_TITLE_CI], 2, title, -1);
	return one_row(li, li->q[Q_TITLE_CI], t);
}

int
linkidx_blog(struct linkidx *li, const char *key, const char *title,
    const char *day, struct link_target *t)
{
	db_bind_text(&li->d, li->q[Q_BLOG], 1, key, -1);
	db_bind_text(&li->d, li->q[Q_BLOG], 2, title, -1);
	db_bind_text(&li->d, li->q[Q_BLOG], 3, day, -1);
	return one_row(li, li->q[Q_BLOG], t);
}

const char *
linkidx_space_key(struct linkidx *li, const char *key, const char **source)
{
	sqlite3_stmt *st = li->q[Q_SPKEY];
	const char *r = NULL;

	db_bind_text(&li->d, st, 1, key, -1);
	if (db_step(&li->d, st)) {
		sb_reset(&li->s[0]);
		sb_adds(&li->s[0], col(st, 0) != NULL ? col(st, 0) : "");
		sb_reset(&li->s[3]);
		if (col(st, 1) != NULL)
			sb_adds(&li->s[3], col(st, 1));
		r = li->s[0].buf;
		if (source != NULL)
			*source = li->s[3].len > 0 ? li->s[3].buf : NULL;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return r;
}

int
linkidx_has_attachment(struct linkidx *li, uint64_t container,
    const char *filename)
{
	sqlite3_stmt *st = li->q[Q_HASATT];
	int found;

	if (container == 0 || container > INT64_MAX)
		return 0;
	db_bind_i64(&li->d, st, 1, (int64_t)container);
	db_bind_text(&li->d, st, 2, filename, -1);
	found = db_step(&li->d, st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return found;
}
