/*
 * fuzz_users.c - libFuzzer harness for spaceport/users.tsv in
 * spaceport-convert (convert/users.c cu_load_tsv, on common/tsv.c and
 * SQLite).
 *
 * Input: a users.tsv (seeds: those spaceport-extract writes for the
 * fixtures).  A refusal (diag_die) is caught (fuzz_util.h FUZZ_TRY).
 * Property: when the reader accepts the file, the user table holds one
 * row per data line that names a user (a key or a username), with that
 * key and username, recounted here independently with tsv_next.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "convert.h"
#include "db.h"
#include "pkg.h"
#include "strbuf.h"
#include "tsv.h"
#include "fuzz_util.h"

static struct pkg_in *pkg;	/* for convert's messages (pkg_label) */

/* A minimal package to hand to struct conv: only its label is used. */
static void
make_pkg(void)
{
	char path[64];
	struct manifest m;
	struct pkg_out *o;
	int fd;

	snprintf(path, sizeof(path), "/tmp/fuzz_users.XXXXXX");
	FUZZ_CHECK((fd = mkstemp(path)) != -1, "mkstemp");
	close(fd);
	manifest_init(&m);
	manifest_set(&m, PKG_FORMAT, "1");
	o = pkg_create(PKG_OUT_FILE, path);
	pkg_put_manifest(o, &m);
	pkg_commit(o);
	manifest_free(&m);
	pkg = pkg_open(path);
	unlink(path);
}

/* Rows the reader must keep: data lines with >= 7 fields whose key or
 * username column is not empty, given the header's column order. */
static long
expected(const char *buf, size_t len)
{
	static const char *const want[] = { "key", "username" };
	struct tsv t;
	char **f;
	size_t n, i;
	int col[2] = { -1, -1 }, first = 1, k;
	long rows = 0;

	tsv_init(&t, buf, len);
	while (tsv_next(&t, &f, &n) > 0) {
		if (first) {
			for (k = 0; k < 2; k++)
				for (i = 0; i < n; i++)
					if (strcmp(f[i], want[k]) == 0) {
						col[k] = (int)i;
						break;
					}
			first = 0;
			continue;
		}
		if (f[col[0]][0] != '\0' || f[col[1]][0] != '\0')
			rows++;
	}
	tsv_free(&t);
	return rows;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct conv c;
	sqlite3_stmt *st;
	volatile int ok = 0;
	char *copy;
	long want, got;

	if (size > (1u << 20))
		return 0;
	if (pkg == NULL) {
		sqlite3_initialize();
		make_pkg();
	}
	memset(&c, 0, sizeof(c));
	c.in = pkg;
	copy = malloc(size ? size : 1);
	memcpy(copy, data, size);
	if (FUZZ_TRY()) {
		/* opened inside: what the database allocates is freed if
		 * the reader dies */
		db_open(&c.db, NULL);
		cu_load_tsv(&c, copy, size);
		fuzz_try_end();
		ok = 1;
	} else {
		/* the cleanup hooks closed the database; fuzz_try_died
		 * freed what the reader held */
		memset(&c.db, 0, sizeof(c.db));
	}
	if (ok) {
		want = expected(copy, size);
		st = db_prep(&c.db, "SELECT count(*) FROM u");
		FUZZ_CHECK(db_step(&c.db, st), "count");
		got = (long)sqlite3_column_int64(st, 0);
		db_finalize(st);
		FUZZ_CHECK(got == want && (uint64_t)got == c.users_total,
		    "users: %ld rows kept, %ld expected, users_total %llu",
		    got, want, (unsigned long long)c.users_total);
		db_close(&c.db);
	}
	free(copy);
	return 0;
}
