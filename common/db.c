/*
 * db.c - checked SQLite wrappers (see db.h).
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "diag.h"
#include "io.h"
#include "strbuf.h"

static void
db_die(struct db *d, const char *what)
{
	diag_die(SP_EXIT_FAIL, d->path, 0, "sqlite: %s: %s", what,
	    d->h != NULL ? sqlite3_errmsg(d->h) : "cannot open");
}

static void
db_cleanup(void *arg)
{
	struct db *d = arg;

	/* close_v2: frees the connection even with statements still
	 * prepared (a die() mid-query). */
	if (d->h != NULL)
		sqlite3_close_v2(d->h);
	d->h = NULL;
	if (d->tmp != NULL)
		unlink(d->tmp);
}

void
db_open(struct db *d, const char *path)
{
	memset(d, 0, sizeof(*d));
	if (path != NULL) {
		struct stat st;
		int fd;

		if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
			diag_die(SP_EXIT_FAIL, path, 0, "exists and is not a "
			    "regular file; an sqlite database needs one");
		d->path = io_path_clean(path);
		/* An unpredictable name created by us (mkstemp), opened
		 * without following links: no race on a shared directory. */
		d->tmp = io_tmp_beside(path);
		if ((fd = mkstemp(d->tmp)) == -1)
			diag_die(SP_EXIT_FAIL, path, 0, "cannot create a "
			    "temporary file beside it: %s", strerror(errno));
		close(fd);
	}
	if (sqlite3_open_v2(d->tmp != NULL ? d->tmp : "", &d->h,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW,
	    NULL) != SQLITE_OK)
		db_die(d, "open");
	diag_atexit_path(db_cleanup, d, d->tmp, 0);
	/* Bounded memory: a modest page cache; temp tables spill to disk. */
	db_exec(d, "PRAGMA cache_size=-4096; PRAGMA temp_store=FILE;");
	if (d->tmp != NULL)
		db_exec(d, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;");
	else
		db_exec(d, "PRAGMA journal_mode=OFF;");
}

void
db_exec(struct db *d, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(d->h, sql, NULL, NULL, &err) != SQLITE_OK) {
		diag_warn(d->path, 0, "sqlite: %s", err != NULL ? err : "error");
		sqlite3_free(err);
		db_die(d, "exec");
	}
}

sqlite3_stmt *
db_prep(struct db *d, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(d->h, sql, -1, &st, NULL) != SQLITE_OK)
		db_die(d, sql);
	return st;
}

int
db_step(struct db *d, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	db_die(d, sqlite3_sql(st));
	return -1;
}

void
db_run(struct db *d, sqlite3_stmt *st)
{
	while (db_step(d, st))
		;
	if (sqlite3_reset(st) != SQLITE_OK ||
	    sqlite3_clear_bindings(st) != SQLITE_OK)
		db_die(d, "reset");
}

void
db_bind_text(struct db *d, sqlite3_stmt *st, int i, const char *s, int n)
{
	int rc = s == NULL ? sqlite3_bind_null(st, i) :
	    sqlite3_bind_text(st, i, s, n, SQLITE_TRANSIENT);

	if (rc != SQLITE_OK)
		db_die(d, "bind");
}

void
db_bind_i64(struct db *d, sqlite3_stmt *st, int i, int64_t v)
{
	if (sqlite3_bind_int64(st, i, v) != SQLITE_OK)
		db_die(d, "bind");
}

void
db_bind_null(struct db *d, sqlite3_stmt *st, int i)
{
	if (sqlite3_bind_null(st, i) != SQLITE_OK)
		db_die(d, "bind");
}

void
db_finalize(sqlite3_stmt *st)
{
	sqlite3_finalize(st);
}

void
db_commit(struct db *d)
{
	if (sqlite3_close(d->h) != SQLITE_OK)
		db_die(d, "close");
	d->h = NULL;
	if (d->tmp != NULL) {
		if (chmod(d->tmp, 0666 & ~io_umask()) == -1 ||
		    rename(d->tmp, d->path) == -1)
			diag_die(SP_EXIT_FAIL, d->path, 0, "cannot put in place: "
			    "%s", strerror(errno));
	}
	diag_cancel(db_cleanup, d);
	free(d->tmp);
	free(d->path);
	d->tmp = d->path = NULL;
}

void
db_close(struct db *d)
{
	db_cleanup(d);
	diag_cancel(db_cleanup, d);
	free(d->tmp);
	free(d->path);
	d->tmp = d->path = NULL;
}
