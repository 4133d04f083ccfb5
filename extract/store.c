/*
 * store.c - reading a copy of the Server's attachment store
 * (--attachments-from DIR), read-only, treated as hostile.
 *
 * Layouts (../shared/docs/attachment-store.md §2, §3.2), for attachment
 * id A (the current attachment's id), version V, container C, space S:
 *   v4 (8.1+):        v4/{(A%65535)%256}/{(A%65535)/256}/A/A.V
 *   ver003 (3.0-8.0): ver003/{(S%1000)%250}/{(S/1000%1000)%250}/S/
 *                     {(C%1000)%250}/{(C/1000%1000)%250}/C/A/V
 *                     (ver003/nonspaced/... when C has no space)
 * Both may be present (a migration between them).  A computed path that
 * is missing (a page or space moved after the copy, a half-done
 * migration, "_moved_out_of_the_way" folders) sends us to an index of the
 * whole store by attachment id, built once, in SQLite (bounded memory).
 * Text extracts (V.extracted_text, A.V.extracted_text) and any other name
 * are ignored.
 *
 * Safety: every path component is opened with openat(O_NOFOLLOW) from the
 * root's descriptor: no symlink is ever followed, nothing outside DIR can
 * be reached, only regular files are read (O_NONBLOCK: a FIFO cannot hang
 * us), and nothing is ever written.  Ids from entities.xml go into a path
 * only when they are all digits.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "extract.h"
#include "report.h"
#include "strbuf.h"

#define STORE_DEPTH	16	/* deeper than any layout: not walked */
#define IOBUF		(256 * 1024)

struct store {
	int		 root;
	char		*label;
	struct db	 idx;
	int		 indexed;
	sqlite3_stmt	*q;
	char		*buf;
};

static int	open_rel_dir(struct store *, const char *);

static int
has_layout(int dfd)
{
	struct stat st;

	return (fstatat(dfd, "v4", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(st.st_mode)) || (fstatat(dfd, "ver003", &st,
	    AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode));
}

struct store *
store_open(const char *dir)
{
	static const char *const below[] = {
		"attachments", "confluence/attachments"
	};
	struct store *s = xcalloc(1, sizeof(*s));
	size_t i;
	int fd;

	s->root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->root == -1)
		diag_die(SP_EXIT_FAIL, dir, 0, "cannot open the attachment "
		    "store: %s", strerror(errno));
	s->label = xstrdup(dir);
	s->buf = xmalloc(IOBUF);
	/* The Confluence home or a copy of the whole S3 bucket given
	 * instead of the store itself: use the store inside it. */
	for (i = 0; !has_layout(s->root) && i < sizeof(below) / sizeof(below[0]);
	    i++) {
		fd = open_rel_dir(s, below[i]);
		if (fd == -1)
			continue;
		if (has_layout(fd)) {
			close(s->root);
			s->root = fd;
			report_summary_line("store:", "%s/%s", dir, below[i]);
		} else
			close(fd);
	}
	if (!has_layout(s->root))
		report_finding("store-no-layout", NULL, 0, dir, "%s: no v4/ or "
		    "ver003/ folder: not a confluence attachment store? (files "
		    "are still looked for by attachment id)", dir);
	return s;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	close(s->root);
	if (s->q != NULL)
		db_finalize(s->q);
	if (s->indexed)
		db_close(&s->idx);
	free(s->label);
	free(s->buf);
	free(s);
}

static int
digits(const char *s)
{
	if (s == NULL || *s == '\0' || strlen(s) > 19)
		return 0;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* Open a path relative to the root, following no symlink; a regular
 * file only.  -1 if it is not there (or not a regular file). */
static int
open_rel(struct store *s, const char *rel)
{
	char comp[256];
	const char *p = rel, *slash;
	int dfd = s->root, fd;
	size_t n;
	struct stat st;

	for (;;) {
		slash = strchr(p, '/');
		n = slash != NULL ? (size_t)(slash - p) : strlen(p);
		if (n == 0 || n >= sizeof(comp) ||
		    (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.')) {
			fd = -1;
			break;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		if (slash == NULL) {
			fd = openat(dfd, comp, O_RDONLY | O_NOFOLLOW |
			    O_NONBLOCK | O_CLOEXEC);
			if (fd != -1 && (fstat(fd, &st) == -1 ||
			    !S_ISREG(st.st_mode))) {
				close(fd);
				fd = -1;
			}
			break;
		}
		fd = openat(dfd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (dfd != s->root)
			close(dfd);
		if (fd == -1)
			return -1;
		dfd = fd;
		p = slash + 1;
	}
	if (dfd != s->root)
		close(dfd);
	return fd;
}

/* A folder relative to the root, following no symlink; -1 if absent. */
static int
open_rel_dir(struct store *s, const char *rel)
{
	char comp[256];
	const char *p = rel, *slash;
	int dfd = s->root, fd;
	size_t n;

	for (;;) {
		slash = strchr(p, '/');
		n = slash != NULL ? (size_t)(slash - p) : strlen(p);
		if (n == 0 || n >= sizeof(comp))
			return -1;
		memcpy(comp, p, n);
		comp[n] = '\0';
		fd = openat(dfd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (dfd != s->root)
			close(dfd);
		if (fd == -1 || slash == NULL)
			return fd;
		dfd = fd;
		p = slash + 1;
	}
}

int
store_open_file(struct store *s, const char *rel)
{
	int fd = open_rel(s, rel);

	if (fd == -1)
		diag_die(SP_EXIT_FAIL, s->label, 0, "%s: gone from the store "
		    "since it was checked", rel);
	return fd;
}

/* ---- the index ------------------------------------------------------- */

static void
index_dir(struct store *s, int dfd, const char *rel, const char *dname,
    int depth, sqlite3_stmt *ins)
{
	DIR *d;
	struct dirent *de;
	struct stat st;
	struct strbuf path = STRBUF_INIT;

	if (depth > STORE_DEPTH)
		return;
	if ((d = fdopendir(dfd)) == NULL) {
		close(dfd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		const char *nm = de->d_name, *dot;

		if (strcmp(nm, ".") == 0 || strcmp(nm, "..") == 0)
			continue;
		if (fstatat(dirfd(d), nm, &st, AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		sb_reset(&path);
		if (*rel != '\0')
			sb_addf(&path, "%s/", rel);
		sb_adds(&path, nm);
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd(d), nm, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);

			if (sub != -1)
				index_dir(s, sub, path.buf, nm, depth + 1, ins);
			continue;
		}
		if (!S_ISREG(st.st_mode) || !digits(dname))
			continue;
		/* ver003: A/V; v4: A/A.V; anything else (A.V.extracted_text,
		 * V.extracted_text, stray files) is not an attachment file. */
		if (digits(nm)) {
			db_bind_text(&s->idx, ins, 2, nm, -1);
		} else if ((dot = strchr(nm, '.')) != NULL &&
		    (size_t)(dot - nm) == strlen(dname) &&
		    memcmp(nm, dname, strlen(dname)) == 0 && digits(dot + 1)) {
			db_bind_text(&s->idx, ins, 2, dot + 1, -1);
		} else
			continue;
		db_bind_text(&s->idx, ins, 1, dname, -1);
		db_bind_text(&s->idx, ins, 3, path.buf, (int)path.len);
		db_run(&s->idx, ins);
	}
	closedir(d);
	sb_free(&path);
}

static void
build_index(struct store *s)
{
	sqlite3_stmt *ins;
	int fd;

	db_open(&s->idx, NULL);
	s->indexed = 1;
	db_exec(&s->idx, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
	    "CREATE TABLE f(id TEXT, ver TEXT, rel TEXT); BEGIN;");
	ins = db_prep(&s->idx, "INSERT INTO f VALUES(?,?,?)");
	if ((fd = openat(s->root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1)
		index_dir(s, fd, "", "", 0, ins);
	db_finalize(ins);
	db_exec(&s->idx, "COMMIT; CREATE INDEX f_id ON f(id, ver);");
	s->q = db_prep(&s->idx, "SELECT rel FROM f WHERE id = ? AND ver = ?"
	    " ORDER BY rel");
	report_summary_line("store index:", "%lld file(s)", (long long)
	    sqlite3_last_insert_rowid(s->idx.h));
}

/* ---- lookups ----------------------------------------------------------- */

/* Try one candidate: 1 if it is there with the recorded size (then *size
 * and *crc are set), 0 otherwise (*got: its size, if it was there). */
static int
try_file(struct store *s, const char *rel, long long rec, uint64_t *size,
    uint32_t *crc, long long *got)
{
	struct stat st;
	int fd;
	size_t r;
	uint64_t n = 0;
	uint32_t c = 0;

	if ((fd = open_rel(s, rel)) == -1)
		return 0;
	if (fstat(fd, &st) == -1) {
		close(fd);
		return 0;
	}
	if (rec >= 0 && (long long)st.st_size != rec) {
		if (*got < 0)
			*got = (long long)st.st_size;
		close(fd);
		return 0;
	}
	while ((r = io_read(fd, s->buf, IOBUF, rel)) > 0) {
		c = io_crc32(c, s->buf, r);
		n += r;
	}
	close(fd);
	if (n != (uint64_t)st.st_size) {
		if (*got < 0)
			*got = (long long)n;
		return 0;
	}
	*size = n;
	*crc = c;
	return 1;
}

static unsigned long long
num(const char *s)
{
	return strtoull(s, NULL, 10);
}

int
store_find(struct store *s, const char *space, const char *container,
    const char *file_id, const char *version, long long rec, char **rel,
    uint64_t *size, uint32_t *crc, char **tried, long long *got)
{
	struct strbuf p = STRBUF_INIT, t = STRBUF_INIT;
	unsigned long long a, c, sp, d;
	int found = 0, step;

	*rel = NULL;
	*got = -1;
	if (!digits(file_id) || !digits(version)) {
		sb_adds(&t, "(no path: the attachment id or version is not a "
		    "number)");
		*tried = sb_detach(&t);
		return 0;
	}
	a = num(file_id);
	for (step = 0; step < 2 && !found; step++) {
		sb_reset(&p);
		if (step == 0) {
			d = a % 65535;
			sb_addf(&p, "v4/%llu/%llu/%s/%s.%s", d % 256, d / 256,
			    file_id, file_id, version);
		} else {
			if (!digits(container))
				continue;
			c = num(container);
			sb_adds(&p, "ver003/");
			if (digits(space)) {
				sp = num(space);
				sb_addf(&p, "%llu/%llu/%s/", sp % 1000 % 250,
				    sp / 1000 % 1000 % 250, space);
			} else
				sb_adds(&p, "nonspaced/");
			sb_addf(&p, "%llu/%llu/%s/%s/%s", c % 1000 % 250,
			    c / 1000 % 1000 % 250, container, file_id, version);
		}
		sb_addf(&t, "%s%s", t.len ? ", " : "", p.buf);
		if (try_file(s, p.buf, rec, size, crc, got)) {
			found = 1;
			*rel = sb_detach(&p);
		}
	}
	if (!found) {
		int any = 0;

		if (!s->indexed)
			build_index(s);
		db_bind_text(&s->idx, s->q, 1, file_id, -1);
		db_bind_text(&s->idx, s->q, 2, version, -1);
		while (!found && db_step(&s->idx, s->q)) {
			const char *r = (const char *)sqlite3_column_text(s->q, 0);

			any = 1;
			sb_addf(&t, ", %s (index)", r);
			if (try_file(s, r, rec, size, crc, got)) {
				found = 1;
				*rel = xstrdup(r);
			}
		}
		sqlite3_reset(s->q);
		if (!any)
			sb_adds(&t, ", no other file of that id and version");
	}
	sb_free(&p);
	*tried = sb_detach(&t);
	return found;
}
