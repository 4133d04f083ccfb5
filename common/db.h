/*
 * db.h - thin checked wrappers over SQLite.
 *
 * Owns: opening databases (a file written to a temp name and renamed on
 * db_commit, or a private temporary database), and the rule that every
 * sqlite3_* return value is checked: failures die with the SQL error.
 */
#ifndef SP_DB_H
#define SP_DB_H

#include <sqlite3.h>
#include <stdint.h>

struct db {
	sqlite3	*h;
	char	*path;		/* final path, or NULL for a temporary db */
	char	*tmp;		/* temp path being written */
};

/* path NULL: a temporary on-disk database (SQLite's "" filename: private,
 * deleted on close, pages spill to disk so memory stays bounded). */
void		 db_open(struct db *, const char *path);
void		 db_exec(struct db *, const char *sql);
sqlite3_stmt	*db_prep(struct db *, const char *sql);
/* sqlite3_step: returns 1 for SQLITE_ROW, 0 for SQLITE_DONE, dies otherwise. */
int		 db_step(struct db *, sqlite3_stmt *);
/* step to DONE then reset + clear bindings */
void		 db_run(struct db *, sqlite3_stmt *);
void		 db_bind_text(struct db *, sqlite3_stmt *, int i, const char *s, int n);
void		 db_bind_i64(struct db *, sqlite3_stmt *, int i, int64_t v);
void		 db_bind_null(struct db *, sqlite3_stmt *, int i);
void		 db_finalize(sqlite3_stmt *);
/* Close; for a file database rename the temp file into place. */
void		 db_commit(struct db *);
void		 db_close(struct db *);	/* discard (removes temp file) */

#endif
