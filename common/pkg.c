/*
 * pkg.c - reading and writing spaceport packages (see pkg.h and
 * docs/package-format.md).
 *
 * Both directions keep a cursor into the manifest's member list: members
 * must come in exactly that order, and each one's size and CRC-32 are
 * computed as the bytes pass and compared at its end: with the manifest
 * (version 1, and version 2 members listed with a size), or with the
 * member's check record (version 2 members streamed in pieces).
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "diag.h"
#include "io.h"
#include "pkg.h"
#include "progress.h"
#include "strbuf.h"
#include "tsv.h"

#define MANIFEST_MAX	(512UL << 20)
#define IOBUF		(256 * 1024)

/* ------------------------------------------------------------------ */

size_t
pkg_max_object(const struct manifest *m, size_t dflt)
{
	const char *v = manifest_get(m, PKG_FACT_MAX_OBJECT);
	uint64_t u;

	if (v == NULL)
		return dflt;
	/* Digits only: no sign, no blank, no suffix, no overflow. */
	if (manifest_parse_u64(v, &u) == -1)
		diag_die(SP_EXIT_FAIL, PKG_MANIFEST, 0, "%s: not a number",
		    PKG_FACT_MAX_OBJECT);
	if (u > PKG_MAX_OBJECT_CEILING)
		u = PKG_MAX_OBJECT_CEILING;
	return u > dflt ? (size_t)u : dflt;
}

static const char *const reserved[] = {
	PKG_MANIFEST, PKG_CHECK, PKG_FACTS, PKG_END
};

int
pkg_reserved_name(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strcmp(name, reserved[i]) == 0)
			return 1;
	return 0;
}

/* reading */

struct pkg_in {
	char		*label;
	struct manifest	 man;
	struct archive	*ar;		/* tar forms */
	char		*dir;		/* directory form */
	int		 fd;		/* current member file (dir form), or input fd */
	size_t		 idx;		/* members consumed so far */
	struct pkg_member *cur;
	uint64_t	 got;
	uint32_t	 crc;
	int		 done;		/* current member fully read and checked */
	int		 ended;		/* v2 tar: the end record was read */
	char		 member_label[PATH_MAX];
};

static void
in_die(struct pkg_in *p, const char *fmt, const char *arg)
{
	diag_die(SP_EXIT_FAIL, p->label, 0, fmt, arg);
}

static void
ar_die(struct pkg_in *p)
{
	char b[512];

	diag_die(SP_EXIT_FAIL, p->label, 0, "%s",
	    diag_lib_msg(archive_error_string(p->ar), b, sizeof(b)));
}

const struct manifest *
pkg_manifest(const struct pkg_in *p)
{
	return &p->man;
}

const char *
pkg_label(const struct pkg_in *p)
{
	return p->label;
}

/* Raw read from the current tar entry or member file, no checking. */
static size_t
raw_read(struct pkg_in *p, void *buf, size_t n)
{
	la_ssize_t r;

	if (p->dir != NULL)
		return io_read(p->fd, buf, n, p->member_label);
	r = archive_read_data(p->ar, buf, n);
	if (r < 0)
		ar_die(p);
	return (size_t)r;
}

static int	tar_next(struct pkg_in *, const char **, uint64_t *);

/* The whole current tar entry (a record of header size `size', at most
 * max bytes) into sb, NUL-terminated. */
static void
tar_slurp_entry(struct pkg_in *p, const char *name, uint64_t size,
    uint64_t max, struct strbuf *sb)
{
	size_t n;

	if (size > max)
		in_die(p, "%s: too large", name);
	sb_reset(sb);
	for (;;) {
		sb_grow(sb, 65536);
		n = raw_read(p, sb->buf + sb->len, 65536);
		if (n == 0)
			break;
		sb->len += n;
		if (sb->len > size)
			in_die(p, "%s: longer than its header says", name);
	}
	if (sb->len != size)
		in_die(p, "%s: shorter than its header says (truncated)", name);
	sb->buf[sb->len] = '\0';
}

/* A v2 facts or end record: its facts join the manifest's. */
static void
read_facts(struct pkg_in *p, const char *name, uint64_t size)
{
	struct strbuf sb = STRBUF_INIT;
	char err[1024];

	tar_slurp_entry(p, name, size, MANIFEST_MAX, &sb);
	if (manifest_parse_facts(&p->man, sb.buf, sb.len, name, err,
	    sizeof(err)) == -1)
		in_die(p, "%s", err);
	sb_free(&sb);
}

/*
 * A piece of a streamed member ended: the next entry is another piece of
 * it (1), or its check record, compared with what was read (0: the
 * member is complete and checked).
 */
static int
piece_end(struct pkg_in *p)
{
	struct strbuf sb = STRBUF_INIT;
	const char *name;
	char *cname, err[1024];
	uint64_t size, csize;
	uint32_t ccrc;

	if (!tar_next(p, &name, &size))
		in_die(p, "package ends inside member %s (truncated)",
		    p->cur->name);
	if (strcmp(name, p->cur->name) == 0)
		return 1;
	if (strcmp(name, PKG_CHECK) != 0)
		diag_die(SP_EXIT_FAIL, p->label, 0, "%s where the check record "
		    "of %s should be (package damaged in hand-over)", name,
		    p->cur->name);
	tar_slurp_entry(p, PKG_CHECK, size, 65536, &sb);
	if (manifest_parse_check(sb.buf, sb.len, PKG_CHECK, &cname, &csize,
	    &ccrc, err, sizeof(err)) == -1)
		in_die(p, "%s", err);
	sb_free(&sb);
	if (strcmp(cname, p->cur->name) != 0)
		diag_die(SP_EXIT_FAIL, p->label, 0, "check record of %s after "
		    "member %s", cname, p->cur->name);
	free(cname);
	if (p->got != csize)
		diag_die(SP_EXIT_FAIL, p->label, 0, "%s: size %" PRIu64
		    " differs from its check record's %" PRIu64
		    " (package damaged in hand-over)", p->cur->name, p->got,
		    csize);
	if (p->crc != ccrc)
		diag_die(SP_EXIT_FAIL, p->label, 0, "%s: crc-32 %08" PRIx32
		    " differs from its check record's %08" PRIx32
		    " (package damaged in hand-over)", p->cur->name, p->crc,
		    ccrc);
	p->cur->size = csize;
	p->cur->crc = ccrc;
	p->cur->known = 1;
	p->done = 1;
	return 0;
}

static void
member_done(struct pkg_in *p)
{
	if (p->got != p->cur->size)
		diag_die(SP_EXIT_FAIL, p->label, 0, "%s: size %" PRIu64
		    " differs from the manifest's %" PRIu64
		    " (package damaged in hand-over)", p->cur->name, p->got,
		    p->cur->size);
	if (p->crc != p->cur->crc)
		diag_die(SP_EXIT_FAIL, p->label, 0, "%s: crc-32 %08" PRIx32
		    " differs from the manifest's %08" PRIx32
		    " (package damaged in hand-over)", p->cur->name, p->crc,
		    p->cur->crc);
	p->done = 1;
	if (p->dir != NULL && p->fd != -1) {
		close(p->fd);
		p->fd = -1;
	}
}

size_t
pkg_read(struct pkg_in *p, void *buf, size_t n)
{
	size_t r;

	if (p->cur == NULL || p->done)
		return 0;
	for (;;) {
		r = raw_read(p, buf, n);
		if (r > 0 || n == 0)
			break;
		if (p->cur->known) {
			member_done(p);
			return 0;
		}
		if (!piece_end(p))	/* else the next piece follows */
			return 0;
	}
	p->got += r;
	progress_bytes(r);
	if (p->cur->known && p->got > p->cur->size)
		diag_die(SP_EXIT_FAIL, p->label, 0, "%s: longer than the "
		    "manifest says (package damaged in hand-over)",
		    p->cur->name);
	p->crc = io_crc32(p->crc, buf, r);
	return r;
}

ssize_t
pkg_read_fn(void *ctx, void *buf, size_t n)
{
	return (ssize_t)pkg_read(ctx, buf, n);
}

void
pkg_skip(struct pkg_in *p)
{
	char *buf = xmalloc(IOBUF);

	while (pkg_read(p, buf, IOBUF) > 0)
		;
	free(buf);
}

void
pkg_slurp(struct pkg_in *p, struct strbuf *sb, size_t max)
{
	size_t r;

	if (p->cur != NULL && p->cur->known && p->cur->size > max)
		diag_die(SP_EXIT_FAIL, p->label, 0, "%s: larger than %zu bytes",
		    p->cur->name, max);
	sb_reset(sb);
	for (;;) {
		sb_grow(sb, 65536);
		r = pkg_read(p, sb->buf + sb->len, 65536);
		if (r == 0)
			break;
		sb->len += r;
		if (sb->len > max)	/* a streamed member: no size before */
			diag_die(SP_EXIT_FAIL, p->label, 0, "%s: larger than "
			    "%zu bytes", p->cur->name, max);
	}
	sb->buf[sb->len] = '\0';
}

/* Next tar header; returns 0 at EOF. Checks type and name. */
static int
tar_next(struct pkg_in *p, const char **name, uint64_t *size)
{
	struct archive_entry *e;
	int r;

	r = archive_read_next_header(p->ar, &e);
	if (r == ARCHIVE_EOF)
		return 0;
	if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
		ar_die(p);
	*name = archive_entry_pathname_utf8(e);
	if (*name == NULL || !pkg_name_ok(*name))
		in_die(p, "unsafe member name %s",
		    *name != NULL ? *name : "(none)");
	if (archive_entry_filetype(e) != AE_IFREG)
		in_die(p, "%s: not a regular file", *name);
	*size = (uint64_t)archive_entry_size(e);
	return 1;
}

/*
 * Open name (a member path) relative to the directory fd dir, for
 * reading, without following a symbolic link in any component and
 * without blocking: every component is opened with O_NOFOLLOW relative to
 * its parent, so a link anywhere on the path cannot lead outside the
 * package; the last one is looked at (fstatat) before it is opened, and
 * opened O_NONBLOCK, so a FIFO or device is refused, never opened and
 * waited on (O_NONBLOCK covers one swapped in between the two).  Returns
 * the fd, or -1 with errno: ENOENT, ELOOP/ENOTDIR (a link or a
 * non-directory on the way), EINVAL (not a regular file), or another.
 */
static int
open_beneath(int dir, const char *name)
{
	struct stat st;
	char comp[PATH_MAX];
	const char *s = name, *slash;
	int dfd, nfd, fd = -1, e;

	if (strlen(name) >= sizeof(comp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((dfd = dup(dir)) == -1)
		return -1;
	while ((slash = strchr(s, '/')) != NULL) {
		memcpy(comp, s, (size_t)(slash - s));
		comp[slash - s] = '\0';
		nfd = openat(dfd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
		e = errno;
		close(dfd);
		if (nfd == -1) {
			errno = e;
			return -1;
		}
		dfd = nfd;
		s = slash + 1;
	}
	if (fstatat(dfd, s, &st, AT_SYMLINK_NOFOLLOW) == -1)
		e = errno;
	else if (S_ISLNK(st.st_mode))
		e = ELOOP;
	else if (!S_ISREG(st.st_mode))
		e = EINVAL;
	else if ((fd = openat(dfd, s, O_RDONLY | O_NOFOLLOW | O_NONBLOCK)) == -1)
		e = errno;
	else if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    fcntl(fd, F_SETFL, 0) == -1) {
		close(fd);
		fd = -1;
		e = EINVAL;
	}
	close(dfd);
	if (fd == -1)
		errno = e;
	return fd;
}

/* Open a member of a package directory (open_beneath) or die saying why. */
static void
dir_open_member(struct pkg_in *p, const char *name)
{
	int dfd;

	if (snprintf(p->member_label, sizeof(p->member_label), "%s/%s",
	    p->dir, name) >= (int)sizeof(p->member_label))
		in_die(p, "%s: path too long", name);
	dfd = open(p->dir, O_RDONLY | O_DIRECTORY);
	if (dfd == -1)
		diag_die(SP_EXIT_FAIL, p->dir, 0, "cannot open: %s",
		    strerror(errno));
	p->fd = open_beneath(dfd, name);
	if (p->fd == -1)
		diag_die(SP_EXIT_FAIL, p->member_label, 0, "%s",
		    errno == ENOENT ? "cannot open: missing from the package "
		    "directory" : errno == ELOOP || errno == ENOTDIR ?
		    "cannot open: a symbolic link, or a path component that "
		    "is one or is not a directory" : errno == EINVAL ?
		    "not a regular file" : strerror(errno));
	close(dfd);
}

/*
 * The whole package directory against its manifest m: every entry that
 * is not a directory must be the manifest or a member m lists, a regular
 * file (not a link, FIFO, device or socket).  For replacing (whole set),
 * also every listed member must be there, and every directory must hold
 * some member: a directory that holds anything else is not only a
 * package.  0, or -1 with the reason in err.
 */
struct walk {
	char		**names;	/* listed members, sorted */
	char		 *seen;		/* per sorted name: found */
	size_t		  n;
	int		  whole;
	int		  depth;
	char		 *err;
	size_t		  errlen;
};

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Does w list a member under the directory rel ("rel/...")? */
static int
lists_under(const struct walk *w, const char *rel)
{
	size_t lo = 0, hi = w->n, mid, n = strlen(rel);

	while (lo < hi) {	/* the first name not below rel */
		mid = lo + (hi - lo) / 2;
		if (strcmp(w->names[mid], rel) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < w->n && strncmp(w->names[lo], rel, n) == 0; lo++)
		if (w->names[lo][n] == '/')
			return 1;
		else if (w->names[lo][n] > '/')
			break;
	return 0;
}

static int
walk_dir(struct walk *w, int dfd, struct strbuf *rel)
{
	DIR *d;
	struct dirent *de;
	struct stat st;
	size_t base = rel->len;
	const char *key;
	char **hit;
	int fd, rc = 0;

	if ((d = fdopendir(dfd)) == NULL) {
		snprintf(w->err, w->errlen, "%s: cannot read: %s",
		    base > 0 ? sb_str(rel) : ".", strerror(errno));
		close(dfd);
		return -1;
	}
	/* A member name is at most 4096 bytes: at most 2048 levels. */
	if (++w->depth > 2048) {
		snprintf(w->err, w->errlen, "directories nested too deep");
		rc = -1;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		rel->len = base;
		if (base > 0)
			sb_addc(rel, '/');
		sb_adds(rel, de->d_name);
		key = sb_str(rel);
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
			snprintf(w->err, w->errlen, "%s: %s", key,
			    strerror(errno));
			rc = -1;
		} else if (S_ISLNK(st.st_mode)) {
			snprintf(w->err, w->errlen, "%s: a symbolic link (a "
			    "package directory holds only regular files)", key);
			rc = -1;
		} else if (S_ISDIR(st.st_mode)) {
			if (w->whole && !lists_under(w, key) &&
			    strcmp(key, "spaceport") != 0) {
				snprintf(w->err, w->errlen, "%s: a directory the "
				    "manifest lists nothing in", key);
				rc = -1;
			} else if ((fd = openat(dirfd(d), de->d_name, O_RDONLY |
			    O_DIRECTORY | O_NOFOLLOW)) == -1) {
				snprintf(w->err, w->errlen, "%s: %s", key,
				    strerror(errno));
				rc = -1;
			} else
				rc = walk_dir(w, fd, rel);
		} else if (strcmp(key, PKG_MANIFEST) == 0)
			;
		else if ((hit = bsearch(&key, w->names, w->n, sizeof(*w->names),
		    cmp_str)) == NULL) {
			snprintf(w->err, w->errlen, "%s: not in the manifest (a "
			    "package directory holds only what its manifest "
			    "lists)", key);
			rc = -1;
		} else if (!S_ISREG(st.st_mode)) {
			snprintf(w->err, w->errlen, "%s: not a regular file", key);
			rc = -1;
		} else
			w->seen[hit - w->names] = 1;
	}
	closedir(d);
	rel->len = base;
	w->depth--;
	return rc;
}

static int
dir_check(const char *dir, const struct manifest *m, int whole, char *err,
    size_t errlen)
{
	struct walk w;
	struct strbuf rel = STRBUF_INIT;
	size_t i;
	int fd, rc;

	memset(&w, 0, sizeof(w));
	w.err = err;
	w.errlen = errlen;
	w.whole = whole;
	w.n = m->nmem;
	w.names = xreallocarray(NULL, m->nmem + 1, sizeof(*w.names));
	w.seen = xcalloc(m->nmem + 1, 1);
	for (i = 0; i < m->nmem; i++)
		w.names[i] = m->mem[i].name;
	qsort(w.names, w.n, sizeof(*w.names), cmp_str);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY)) == -1) {
		snprintf(err, errlen, "cannot open: %s", strerror(errno));
		rc = -1;
	} else
		rc = walk_dir(&w, fd, &rel);
	for (i = 0; rc == 0 && whole && i < w.n; i++)
		if (!w.seen[i]) {
			snprintf(err, errlen, "%s: listed in the manifest, "
			    "missing", w.names[i]);
			rc = -1;
		}
	free(w.names);
	free(w.seen);
	sb_free(&rel);
	return rc;
}

int
pkg_next(struct pkg_in *p, const struct pkg_member **m)
{
	const char *name;
	uint64_t size;

	if (p->cur != NULL && !p->done)
		pkg_skip(p);
	if (p->dir != NULL) {
		if (p->idx == p->man.nmem)
			return 0;
		p->cur = &p->man.mem[p->idx++];
		dir_open_member(p, p->cur->name);
	} else {
		for (;;) {
			if (p->ended) {
				/* nothing may follow the end record */
				if (tar_next(p, &name, &size))
					in_die(p, "%s after the end record "
					    "(package damaged in hand-over)",
					    name);
				break;
			}
			if (!tar_next(p, &name, &size)) {
				name = NULL;
				break;
			}
			if (p->man.version < 2 || !pkg_reserved_name(name))
				break;
			if (strcmp(name, PKG_FACTS) == 0)
				read_facts(p, name, size);
			else if (strcmp(name, PKG_END) == 0) {
				read_facts(p, name, size);
				p->ended = 1;
			} else
				in_die(p, "%s without a member streamed before "
				    "it (package damaged in hand-over)", name);
		}
		if (p->ended || name == NULL) {
			if (p->idx < p->man.nmem)
				in_die(p, "package ends before member %s "
				    "(truncated)", p->man.mem[p->idx].name);
			if (p->man.version >= 2 && !p->ended)
				in_die(p, "%s", "package ends before its end "
				    "record (truncated)");
			return 0;
		}
		if (p->idx == p->man.nmem)
			in_die(p, "member %s is not in the manifest", name);
		p->cur = &p->man.mem[p->idx++];
		if (strcmp(name, p->cur->name) != 0)
			diag_die(SP_EXIT_FAIL, p->label, 0, "member %s where the "
			    "manifest has %s", name, p->cur->name);
		if (p->cur->known && size != p->cur->size)
			diag_die(SP_EXIT_FAIL, p->label, 0, "%s: size %" PRIu64
			    " differs from the manifest's %" PRIu64, name, size,
			    p->cur->size);
	}
	p->got = 0;
	p->crc = io_crc32(0, NULL, 0);
	p->done = 0;
	*m = p->cur;
	return 1;
}

/* All of fd (at most max bytes) into sb: 0, or -1 if it is larger. */
static int
slurp_fd(int fd, struct strbuf *sb, size_t max, const char *label)
{
	size_t r;

	for (;;) {
		sb_grow(sb, 65536);
		r = io_read(fd, sb->buf + sb->len, 65536, label);
		if (r == 0)
			return 0;
		sb->len += r;
		if (sb->len > max)
			return -1;
	}
}

static void
read_manifest(struct pkg_in *p)
{
	struct strbuf sb = STRBUF_INIT;
	char err[1024];
	const char *name;
	uint64_t size;

	if (p->dir != NULL) {
		dir_open_member(p, PKG_MANIFEST);
		if (slurp_fd(p->fd, &sb, MANIFEST_MAX, p->member_label) == -1)
			in_die(p, "%s: too large", PKG_MANIFEST);
		close(p->fd);
		p->fd = -1;
	} else {
		if (!tar_next(p, &name, &size))
			in_die(p, "%s", "empty input: not a spaceport package");
		if (strcmp(name, PKG_MANIFEST) != 0)
			in_die(p, "first member is %s, not a spaceport package "
			    "manifest", name);
		tar_slurp_entry(p, PKG_MANIFEST, size, MANIFEST_MAX, &sb);
	}
	/* One line: "LABEL: spaceport/manifest.tsv:LINE: why". */
	if (manifest_parse_msg(&p->man, sb.buf != NULL ? sb.buf : "", sb.len,
	    PKG_MANIFEST, err, sizeof(err)) == -1)
		in_die(p, "%s", err);
	sb_free(&sb);
	/* The directory form holds what the manifest lists and nothing
	 * else, as the tar form must: checked here, before any member is
	 * read (members are still checked, and missing ones found, as
	 * they are opened). */
	if (p->dir != NULL && dir_check(p->dir, &p->man, 0, err,
	    sizeof(err)) == -1)
		in_die(p, "%s", err);
	/* A directory's manifest is written last, knowing everything. */
	for (size_t i = 0; p->dir != NULL && i < p->man.nmem; i++)
		if (!p->man.mem[i].known)
			in_die(p, "%s: a package directory lists every size and "
			    "crc-32", p->man.mem[i].name);
	for (size_t i = 0; i < p->man.nmem; i++)	/* progress: bytes to read */
		if (p->man.mem[i].known)
			progress_total(p->man.mem[i].size);
		else {
			/* streamed: its estimate, if the writer gave one (the
			 * small tables have none: they count for nothing) */
			char key[PATH_MAX + 16];
			uint64_t est;

			snprintf(key, sizeof(key), "%s%s", PKG_FACT_ESTIMATE,
			    p->man.mem[i].name);
			if ((est = manifest_getu(&p->man, key)) > 0)
				progress_total(est);
		}
}

struct pkg_in *
pkg_open(const char *path)
{
	struct pkg_in *p = xcalloc(1, sizeof(*p));
	struct stat st;
	int fd;

	p->fd = -1;
	manifest_init(&p->man);
	if (path == NULL || strcmp(path, "-") == 0) {
		p->label = xstrdup("<stdin>");
		fd = 0;
		io_pipe_grow(fd);
	} else {
		p->label = xstrdup(path);
		if (stat(path, &st) == -1)
			diag_die(SP_EXIT_FAIL, path, 0, "%s", strerror(errno));
		if (S_ISDIR(st.st_mode)) {
			p->dir = xstrdup(path);
			read_manifest(p);
			return p;
		}
		fd = open(path, O_RDONLY);
		if (fd == -1)
			diag_die(SP_EXIT_FAIL, path, 0, "%s", strerror(errno));
	}
	p->fd = fd;
	p->ar = archive_read_new();
	if (p->ar == NULL)
		diag_die(SP_EXIT_FAIL, NULL, 0, "out of memory");
	/* Only tar: a package is never compressed or in another format. */
	if (archive_read_support_format_tar(p->ar) != ARCHIVE_OK ||
	    archive_read_open_fd(p->ar, fd, IOBUF) != ARCHIVE_OK) {
		char b[512];

		diag_die(SP_EXIT_FAIL, p->label, 0, "not a spaceport package "
		    "(%s)", diag_lib_msg(archive_error_string(p->ar), b,
		    sizeof(b)));
	}
	read_manifest(p);
	return p;
}

void
pkg_close(struct pkg_in *p)
{
	if (p == NULL)
		return;
	if (p->ar != NULL) {
		archive_read_free(p->ar);
		if (p->fd > 0)
			close(p->fd);
	} else if (p->fd != -1)
		close(p->fd);
	manifest_free(&p->man);
	free(p->label);
	free(p->dir);
	free(p);
}

/* ------------------------------------------------------------------ */
/* writing */

struct pkg_out {
	enum pkg_outkind kind;
	char		*path;		/* final name */
	char		*tmp;		/* temporary file or directory */
	struct archive	*ar;
	struct archive_entry *ent;
	int		 fd;		/* tar file / current dir member */
	struct manifest	 man;		/* what must be written */
	size_t		 idx;
	struct pkg_member *cur;
	uint64_t	 want, got;
	uint32_t	 crc, wantcrc;
	int		 streamed;	/* current member: pieces + check record */
	int		 pieces;	/* pieces of it written so far */
	char		*piece;		/* its unwritten bytes (PKG_PIECE) */
	size_t		 npiece;
	size_t		 factsout;	/* man's facts already written */
	char		*buf;
	int		 committed;
	struct outfile	 of;		/* PKG_OUT_FILE */
};

static int
rm_rf(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	char *sub;
	size_t n;
	int rc = 0;

	if (lstat(path, &st) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlink(path);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		n = strlen(path) + strlen(de->d_name) + 2;
		sub = xmalloc(n);
		snprintf(sub, n, "%s/%s", path, de->d_name);
		if (rm_rf(sub) == -1)
			rc = -1;
		free(sub);
	}
	closedir(d);
	if (rmdir(path) == -1)
		rc = -1;
	return rc;
}

static void
out_cleanup(void *arg)
{
	struct pkg_out *o = arg;

	if (o->committed || o->tmp == NULL)
		return;
	if (o->fd != -1)
		close(o->fd);
	rm_rf(o->tmp);
}


static void
out_ar_die(struct pkg_out *o)
{
	char b[512];

	diag_die(SP_EXIT_FAIL, o->path != NULL ? o->path : "<stdout>", 0,
	    "write failed: %s", diag_lib_msg(archive_error_string(o->ar), b,
	    sizeof(b)));
}

static void	check_dir_target(const char *);

/*
 * The directory -d names: an existing directory by its real path, so that
 * "-d ." (or a path through "..") gets its temporary sibling beside the
 * real directory, in its parent, where the two can be swapped by rename;
 * anything else as given.  "/" is never a target.
 */
static char *
dir_target(const char *path)
{
	struct stat st;
	char *r;

	if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode) &&
	    (r = realpath(path, NULL)) != NULL) {
		if (strcmp(r, "/") == 0)
			diag_die(SP_EXIT_FAIL, path, 0, "is the root directory; "
			    "not replacing it");
		return r;
	}
	return io_path_clean(path);
}

struct pkg_out *
pkg_create(enum pkg_outkind kind, const char *path)
{
	struct pkg_out *o = xcalloc(1, sizeof(*o));
	int fd = 1;

	o->kind = kind;
	o->fd = -1;
	manifest_init(&o->man);
	o->buf = xmalloc(IOBUF);
	if (kind == PKG_OUT_STDOUT) {
		if (isatty(1))
			diag_die(SP_EXIT_USAGE, NULL, 0, "refusing to write a "
			    "package to a terminal (use -o FILE or -d DIR, or "
			    "redirect standard output)");
		io_pipe_grow(STDOUT_FILENO);
	} else if (kind == PKG_OUT_DIR) {
		/* Refused before any work; checked again at the swap. */
		o->path = io_path_clean(path);
		check_dir_target(o->path);
		free(o->path);
		o->path = dir_target(path);
		o->tmp = io_tmp_beside(o->path);
		/* Created and registered as one step (see outfile_open). */
		diag_hold_signals();
		if (mkdtemp(o->tmp) == NULL)
			diag_die(SP_EXIT_FAIL, o->path, 0, "cannot create "
			    "temporary directory: %s", strerror(errno));
		diag_atexit_path(out_cleanup, o, o->tmp, 1);
		diag_release_signals();
		return o;
	} else {
		outfile_open(&o->of, path);
		o->path = xstrdup(o->of.path);
		fd = o->of.fd;
	}
	o->ar = archive_write_new();
	o->ent = archive_entry_new();
	if (o->ar == NULL || o->ent == NULL)
		diag_die(SP_EXIT_FAIL, NULL, 0, "out of memory");
	/* libarchive pads the last block only for non-regular outputs
	 * unless told: fix it so a file and a pipe get the same bytes. */
	if (archive_write_set_format_pax_restricted(o->ar) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(o->ar, 1) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(o->ar, IOBUF) != ARCHIVE_OK ||
	    archive_write_open_fd(o->ar, fd) != ARCHIVE_OK)
		out_ar_die(o);
	return o;
}

static void
mkdirs_for(struct pkg_out *o, const char *name)
{
	char path[PATH_MAX];
	char *s;

	if (snprintf(path, sizeof(path), "%s/%s", o->tmp, name) >=
	    (int)sizeof(path))
		diag_die(SP_EXIT_FAIL, o->path, 0, "%s: path too long", name);
	for (s = path + strlen(o->tmp) + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		if (mkdir(path, 0777) == -1 && errno != EEXIST)
			diag_die(SP_EXIT_FAIL, path, 0, "cannot create "
			    "directory: %s", strerror(errno));
		*s = '/';
	}
	o->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0666);
	if (o->fd == -1)
		diag_die(SP_EXIT_FAIL, path, 0, "cannot create: %s",
		    strerror(errno));
}

static void
begin_raw(struct pkg_out *o, const char *name, uint64_t size)
{
	if (!pkg_name_ok(name))
		diag_die(SP_EXIT_FAIL, NULL, 0, "unsafe member name %s", name);
	if (o->kind == PKG_OUT_DIR) {
		mkdirs_for(o, name);
		return;
	}
	archive_entry_clear(o->ent);
	/* Names are UTF-8 bytes whatever the locale (we never call
	 * setlocale): hand them to libarchive as UTF-8. */
	archive_entry_update_pathname_utf8(o->ent, name);
	archive_entry_set_size(o->ent, (la_int64_t)size);
	archive_entry_set_filetype(o->ent, AE_IFREG);
	archive_entry_set_perm(o->ent, 0644);
	archive_entry_set_mtime(o->ent, 0, 0);
	archive_entry_set_uid(o->ent, 0);
	archive_entry_set_gid(o->ent, 0);
	if (archive_write_header(o->ar, o->ent) != ARCHIVE_OK)
		out_ar_die(o);
}

static void
write_raw(struct pkg_out *o, const void *buf, size_t n)
{
	la_ssize_t w;

	if (n == 0)
		return;
	if (o->kind == PKG_OUT_DIR) {
		io_write_all(o->fd, buf, n, o->path);
		return;
	}
	w = archive_write_data(o->ar, buf, n);
	if (w < 0 || (size_t)w != n)
		out_ar_die(o);
}

static void
end_raw(struct pkg_out *o)
{
	if (o->kind == PKG_OUT_DIR) {
		if (close(o->fd) == -1)
			diag_die(SP_EXIT_FAIL, o->path, 0, "close failed: %s",
			    strerror(errno));
		o->fd = -1;
	} else if (archive_write_finish_entry(o->ar) != ARCHIVE_OK)
		out_ar_die(o);
}

/* A whole record or manifest entry: name, bytes. */
static void
put_raw(struct pkg_out *o, const char *name, const struct strbuf *sb)
{
	begin_raw(o, name, sb->len);
	write_raw(o, sb->buf, sb->len);
	end_raw(o);
}

void
pkg_put_manifest(struct pkg_out *o, const struct manifest *m)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	manifest_copy_facts(&o->man, m);
	for (i = 0; i < m->nmem; i++)
		if (m->mem[i].known)
			manifest_add_member(&o->man, m->mem[i].name,
			    m->mem[i].size, m->mem[i].crc);
		else
			manifest_add_streamed(&o->man, m->mem[i].name);
	o->man.version = PKG_VERSION;
	o->factsout = o->man.nkv;
	/* A directory's manifest is written at pkg_commit, with every
	 * fact and every size known by then. */
	if (o->kind == PKG_OUT_DIR)
		return;
	manifest_format(&o->man, &sb);
	put_raw(o, PKG_MANIFEST, &sb);
	sb_free(&sb);
}

void
pkg_fact(struct pkg_out *o, const char *key, const char *val)
{
	const char *had = manifest_get(&o->man, key);
	size_t i;

	if (had != NULL && strcmp(had, val) == 0)
		return;
	/* one not written yet is replaced where it is */
	for (i = 0; had != NULL && i < o->factsout; i++)
		if (strcmp(o->man.key[i], key) == 0)
			diag_die(SP_EXIT_FAIL, NULL, 0, "internal error: fact %s "
			    "changed after it was written", key);
	manifest_set(&o->man, key, val);
}

void
pkg_facts(struct pkg_out *o, const struct manifest *src)
{
	size_t i;

	for (i = 0; i < src->nkv; i++)
		pkg_fact(o, src->key[i], src->val[i]);
}

/* A facts or end record: the facts given since the last one. */
static void
put_facts(struct pkg_out *o, const char *name)
{
	struct strbuf sb = STRBUF_INIT;

	manifest_format_facts(&o->man, o->factsout, &sb);
	o->factsout = o->man.nkv;
	put_raw(o, name, &sb);
	sb_free(&sb);
}

void
pkg_flush_facts(struct pkg_out *o)
{
	if (o->kind != PKG_OUT_DIR && o->factsout < o->man.nkv)
		put_facts(o, PKG_FACTS);
}

void
pkg_begin(struct pkg_out *o, const char *name, uint64_t size)
{
	struct pkg_member *m;

	if (o->idx >= o->man.nmem)
		diag_die(SP_EXIT_FAIL, NULL, 0, "internal error: member %s is "
		    "not in the manifest", name);
	m = &o->man.mem[o->idx++];
	if (strcmp(m->name, name) != 0 || (m->known && m->size != size))
		diag_die(SP_EXIT_FAIL, NULL, 0, "internal error: member %s "
		    "written where the manifest has %s", name, m->name);
	o->cur = m;
	o->want = m->known ? size : UINT64_MAX;
	o->wantcrc = m->crc;
	o->got = 0;
	o->crc = io_crc32(0, NULL, 0);
	o->streamed = !m->known && o->kind != PKG_OUT_DIR;
	o->pieces = 0;
	o->npiece = 0;
	if (o->streamed) {
		if (o->piece == NULL)
			o->piece = xmalloc(PKG_PIECE);
		return;
	}
	begin_raw(o, name, m->known ? size : 0);
}

/* The buffered bytes of a streamed member as one piece (a tar entry of
 * the member's name). */
static void
put_piece(struct pkg_out *o)
{
	begin_raw(o, o->cur->name, o->npiece);
	write_raw(o, o->piece, o->npiece);
	end_raw(o);
	o->npiece = 0;
	o->pieces++;
}

void
pkg_write(struct pkg_out *o, const void *buf, size_t n)
{
	const char *b = buf;
	size_t k;

	o->got += n;
	if (o->got > o->want)
		diag_die(SP_EXIT_FAIL, NULL, 0, "internal error: %s longer "
		    "than declared", o->cur->name);
	o->crc = io_crc32(o->crc, buf, n);
	if (!o->streamed) {
		write_raw(o, buf, n);
		return;
	}
	while (n > 0) {
		k = PKG_PIECE - o->npiece < n ? PKG_PIECE - o->npiece : n;
		memcpy(o->piece + o->npiece, b, k);
		o->npiece += k;
		b += k;
		n -= k;
		if (o->npiece == PKG_PIECE)
			put_piece(o);
	}
}

void
pkg_end(struct pkg_out *o)
{
	struct strbuf sb = STRBUF_INIT;

	if (!o->cur->known) {
		/* learnt now: the directory's manifest, the check record */
		o->cur->size = o->got;
		o->cur->crc = o->crc;
		o->cur->known = 1;
		if (!o->streamed) {
			end_raw(o);
			return;
		}
		if (o->npiece > 0 || o->pieces == 0)
			put_piece(o);
		sb_adds(&sb, "member\t");
		tsv_add_field(&sb, o->cur->name, strlen(o->cur->name));
		sb_addf(&sb, "\t%" PRIu64 "\t%08" PRIx32 "\n", o->got, o->crc);
		put_raw(o, PKG_CHECK, &sb);
		sb_free(&sb);
		o->streamed = 0;
		return;
	}
	if (o->got != o->want || o->crc != o->wantcrc)
		diag_die(SP_EXIT_FAIL, NULL, 0, "%s: content changed while "
		    "it was copied (size %" PRIu64 "/%" PRIu64 ", crc-32 %08"
		    PRIx32 "/%08" PRIx32 ")", o->cur->name, o->got, o->want,
		    o->crc, o->wantcrc);
	end_raw(o);
}

void
pkg_put(struct pkg_out *o, const char *name, const void *buf, size_t n)
{
	pkg_begin(o, name, n);
	pkg_write(o, buf, n);
	pkg_end(o);
}

void
pkg_put_fd(struct pkg_out *o, const char *name, int fd, uint64_t size)
{
	uint64_t left = size;
	size_t r;

	pkg_begin(o, name, size);
	while (left > 0) {
		r = io_read(fd, o->buf, left < IOBUF ? (size_t)left : IOBUF,
		    name);
		if (r == 0)
			diag_die(SP_EXIT_FAIL, name, 0, "spool file ended early");
		pkg_write(o, o->buf, r);
		left -= r;
	}
	pkg_end(o);
}

/*
 * May the existing directory path be replaced by a package?  Only if it
 * is empty, or a spaceport package and nothing else: its manifest parses
 * and the directory holds exactly the manifest and every member it lists,
 * as regular files (dir_check, whole).  0 yes, -1 no with why in err.
 */
static int
replaceable_dir(const char *path, char *err, size_t errlen)
{
	struct manifest m;
	struct strbuf sb = STRBUF_INIT;
	int dfd, fd, rc = -1;

	if ((dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)) == -1) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	fd = open_beneath(dfd, PKG_MANIFEST);
	close(dfd);
	if (fd == -1) {
		manifest_init(&m);	/* empty: nothing to lose */
		rc = dir_check(path, &m, 1, err, errlen);
		if (rc == -1)
			snprintf(err, errlen, "no %s", PKG_MANIFEST);
		return rc;
	}
	manifest_init(&m);
	if (slurp_fd(fd, &sb, MANIFEST_MAX, PKG_MANIFEST) == -1)
		snprintf(err, errlen, "%s: too large", PKG_MANIFEST);
	else if (manifest_parse_msg(&m, sb.buf != NULL ? sb.buf : "", sb.len,
	    PKG_MANIFEST, err, errlen) == 0)
		rc = dir_check(path, &m, 1, err, errlen);
	close(fd);
	sb_free(&sb);
	manifest_free(&m);
	return rc;
}

/* Die unless the existing target of -d (if any) may be replaced. */
static void
check_dir_target(const char *path)
{
	struct stat st;
	char err[1024];

	if (lstat(path, &st) == -1)
		return;
	if (!S_ISDIR(st.st_mode))
		diag_die(SP_EXIT_FAIL, path, 0, "exists and is not a directory");
	if (replaceable_dir(path, err, sizeof(err)) == -1)
		diag_die(SP_EXIT_FAIL, path, 0, "exists and is not a spaceport "
		    "package directory and nothing else (%s); not replacing it",
		    err);
}

static void
commit_dir(struct pkg_out *o)
{
	struct stat st;
	char *old;

	if (chmod(o->tmp, 0777 & ~io_umask()) == -1)
		diag_die(SP_EXIT_FAIL, o->tmp, 0, "chmod: %s", strerror(errno));
	if (lstat(o->path, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			diag_die(SP_EXIT_FAIL, o->path, 0, "exists and is not "
			    "a directory");
		if (rmdir(o->path) == 0)
			goto place;
		check_dir_target(o->path);	/* again: it may have changed */
		/* Swap: old package aside, new one in, old one removed. */
		old = io_tmp_beside(o->path);
		if (mkdtemp(old) == NULL)
			diag_die(SP_EXIT_FAIL, o->path, 0, "cannot move the old "
			    "package aside: %s", strerror(errno));
		if (rename(o->path, old) == -1) {
			int e = errno;

			rmdir(old);
			diag_die(SP_EXIT_FAIL, o->path, 0, "cannot move the old "
			    "package aside: %s", strerror(e));
		}
		if (rename(o->tmp, o->path) == -1) {
			int e = errno;

			if (rename(old, o->path) == -1)
				diag_warn(old, 0, "the old package is here");
			diag_die(SP_EXIT_FAIL, o->path, 0, "rename failed: %s",
			    strerror(e));
		}
		o->committed = 1;
		if (rm_rf(old) == -1)
			diag_warn(old, 0, "cannot remove the old package");
		free(old);
		return;
	}
place:
	if (rename(o->tmp, o->path) == -1)
		diag_die(SP_EXIT_FAIL, o->path, 0, "rename failed: %s",
		    strerror(errno));
	o->committed = 1;
}

void
pkg_abandon(struct pkg_out *o)
{
	if (o == NULL)
		return;
	if (o->ar != NULL) {
		/* Closed, not failed (libarchive 3.6 then keeps its buffer):
		 * the tar trailer may go out, but never the end record, so no
		 * reader takes what was written; a file is removed below. */
		(void)archive_write_close(o->ar);
		archive_write_free(o->ar);
		archive_entry_free(o->ent);
	}
	if (o->kind == PKG_OUT_FILE)
		outfile_abandon(&o->of);
	else if (o->kind == PKG_OUT_DIR) {
		diag_hold_signals();
		out_cleanup(o);
		diag_cancel(out_cleanup, o);
		diag_release_signals();
	}
	manifest_free(&o->man);
	free(o->path);
	free(o->tmp);
	free(o->buf);
	free(o->piece);
	free(o);
}

void
pkg_commit(struct pkg_out *o)
{
	struct strbuf sb = STRBUF_INIT;

	if (o->idx != o->man.nmem)
		diag_die(SP_EXIT_FAIL, NULL, 0, "internal error: member %s "
		    "never written", o->man.mem[o->idx].name);
	if (o->kind == PKG_OUT_DIR) {
		manifest_format(&o->man, &sb);
		put_raw(o, PKG_MANIFEST, &sb);
		sb_free(&sb);
	} else
		put_facts(o, PKG_END);	/* always: a stream's last entry */
	if (o->kind != PKG_OUT_DIR) {
		if (archive_write_close(o->ar) != ARCHIVE_OK)
			out_ar_die(o);
		archive_write_free(o->ar);
		archive_entry_free(o->ent);
		o->ar = NULL;
	}
	if (o->kind == PKG_OUT_FILE) {
		outfile_commit(&o->of);
		o->committed = 1;
	} else if (o->kind == PKG_OUT_DIR) {
		diag_hold_signals();	/* no signal between its two renames */
		commit_dir(o);
		diag_release_signals();
	} else if (close(1) == -1)
		diag_die(SP_EXIT_FAIL, "<stdout>", 0, "close failed: %s",
		    strerror(errno));
	diag_cancel(out_cleanup, o);
	manifest_free(&o->man);
	free(o->path);
	free(o->tmp);
	free(o->buf);
	free(o->piece);
	free(o);
}
