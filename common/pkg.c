/*
 * pkg.c - reading and writing spaceport packages (see pkg.h and
 * docs/package-format.md).
 *
 * Both directions keep a cursor into the manifest's member list: members
 * must come in exactly that order, and each one's size and CRC-32 are
 * computed as the bytes pass and compared at its end, with the manifest
 * (v1, and v2 members listed with a size) or with the member's check
 * record (v2 members streamed in pieces).
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
#include "manifest.h"
#include "pkg.h"
#include "strbuf.h"
#include "tsv.h"

#define MANIFEST_MAX	(512UL << 20)
#define IOBUF		(256 * 1024)

/* ------------------------------------------------------------------ */
/* shared */

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

size_t
pkg_max_object(const struct manifest *m, size_t dflt)
{
	const char *v = manifest_get(m, PKG_FACT_MAX_OBJECT);
	uint64_t u;

	if (v == NULL)
		return dflt;
	u = manifest_getu(m, PKG_FACT_MAX_OBJECT);
	if (u == 0 && strcmp(v, "0") != 0)
		diag_die(SP_EXIT_FAIL, PKG_MANIFEST, 0, "%s: not a number",
		    PKG_FACT_MAX_OBJECT);
	if (u > PKG_MAX_OBJECT_CEILING)
		u = PKG_MAX_OBJECT_CEILING;
	return u > dflt ? (size_t)u : dflt;
}

/* ------------------------------------------------------------------ */
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
	int		 ended;		/* v2: end record read */
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

/* The whole current tar entry (of header size `size', at most max bytes)
 * into sb, NUL-terminated. */
static void
tar_slurp_entry(struct pkg_in *p, const char *name, uint64_t size,
    uint64_t max, struct strbuf *sb)
{
	la_ssize_t n;

	if (size > max)
		in_die(p, "%s: too large", name);
	sb_reset(sb);
	for (;;) {
		sb_grow(sb, 65536);
		n = archive_read_data(p->ar, sb->buf + sb->len, 65536);
		if (n < 0)
			ar_die(p);
		if (n == 0)
			break;
		sb->len += (size_t)n;
		if (sb->len > size)
			in_die(p, "%s: longer than its header says", name);
	}
	if (sb->len != size)
		in_die(p, "%s: shorter than its header says (truncated)", name);
	sb->buf[sb->len] = '\0';
}

/* A v2 facts or end record: merged into the manifest. */
static void
read_facts(struct pkg_in *p, const char *name, uint64_t size)
{
	struct strbuf sb = STRBUF_INIT;
	char err[512];

	tar_slurp_entry(p, name, size, MANIFEST_MAX, &sb);
	if (manifest_parse_facts(&p->man, sb.buf, sb.len, name, err,
	    sizeof(err)) == -1)
		in_die(p, "%s", err);
	sb_free(&sb);
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

/*
 * A streamed member's piece ended: the next entry is another piece of it
 * or its check record, which is compared with what was read.  Returns 1
 * when another piece follows, 0 when the member is complete and checked.
 */
static int
piece_end(struct pkg_in *p)
{
	struct strbuf sb = STRBUF_INIT;
	const char *name;
	char *cname, err[512];
	uint64_t size, csize;
	uint32_t ccrc;

	if (!tar_next(p, &name, &size))
		in_die(p, "package ends inside member %s (truncated)",
		    p->cur->name);
	if (strcmp(name, p->cur->name) == 0)
		return 1;
	if (strcmp(name, PKG_CHECK) != 0)
		diag_die(SP_EXIT_FAIL, p->label, 0, "%s where the check record "
		    "of %s should be", name, p->cur->name);
	tar_slurp_entry(p, PKG_CHECK, size, 65536, &sb);
	if (manifest_parse_check(sb.buf, sb.len, PKG_CHECK, &cname, &csize,
	    &ccrc, err, sizeof(err)) == -1)
		in_die(p, "%s", err);
	sb_free(&sb);
	if (strcmp(cname, p->cur->name) != 0)
		diag_die(SP_EXIT_FAIL, p->label, 0, "check record for %s after "
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

size_t
pkg_read(struct pkg_in *p, void *buf, size_t n)
{
	la_ssize_t r;
	size_t got;

	if (p->cur == NULL || p->done)
		return 0;
	for (;;) {
		if (p->dir != NULL)
			got = io_read(p->fd, buf, n, p->member_label);
		else {
			r = archive_read_data(p->ar, buf, n);
			if (r < 0)
				ar_die(p);
			got = (size_t)r;
		}
		if (got > 0 || n == 0)
			break;
		if (p->cur->known) {
			member_done(p);
			return 0;
		}
		if (!piece_end(p))
			return 0;
	}
	p->got += got;
	if (p->cur->known && p->got > p->cur->size)
		diag_die(SP_EXIT_FAIL, p->label, 0, "%s: longer than the "
		    "manifest says (package damaged in hand-over)",
		    p->cur->name);
	p->crc = io_crc32(p->crc, buf, got);
	return got;
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
		if (sb->len > max)
			diag_die(SP_EXIT_FAIL, p->label, 0, "%s: larger than "
			    "%zu bytes", p->cur->name, max);
	}
	sb->buf[sb->len] = '\0';
}

/*
 * Open path (relative to the directory fd dir) without following a
 * symbolic link in any component and without blocking on a FIFO: every
 * component is opened with O_NOFOLLOW relative to its parent, the last
 * one O_NONBLOCK (cleared again for a regular file).  Returns the fd, or
 * -1 with errno set (ENOENT, ELOOP/ENOTDIR for a link or non-directory
 * on the way, EFTYPE-like EINVAL for a last component that is not a
 * regular file).
 */
static int
open_beneath(int dir, const char *name)
{
	struct stat st;
	char comp[PATH_MAX];
	const char *s = name, *slash;
	int dfd, nfd, fd, e;

	if (strlen(name) >= sizeof(comp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	dfd = dup(dir);
	if (dfd == -1)
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
	fd = openat(dfd, s, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
	e = errno;
	close(dfd);
	if (fd == -1) {
		errno = e;
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    fcntl(fd, F_SETFL, 0) == -1) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

/* Open a member of a package directory (see open_beneath). */
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
		diag_die(SP_EXIT_FAIL, p->member_label, 0, "%s", errno ==
		    ENOENT ? "cannot open: missing from the package directory" :
		    errno == ELOOP || errno == ENOTDIR ? "cannot open: a "
		    "symbolic link, or a path component that is one or is not "
		    "a directory" : errno == EINVAL ? "not a regular file" :
		    strerror(errno));
	close(dfd);
}

/*
 * Everything in the package directory dir: each entry that is not a
 * directory must be the manifest or a member listed in m (a regular
 * file, not a link).  With all set, every listed member must also be
 * there.  0, or -1 with the reason in err.
 */
static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct walk {
	char		**names;	/* listed members, sorted */
	size_t		  n;
	size_t		  found;
	char		 *err;
	size_t		  errlen;
	int		  depth;
};

static int
walk_dir(struct walk *w, int dfd, struct strbuf *rel)
{
	DIR *d;
	struct dirent *de;
	struct stat st;
	size_t base = rel->len;
	const char *key;
	int fd, rc = 0;

	if (++w->depth > 2100) {	/* names are at most 4096 bytes */
		snprintf(w->err, w->errlen, "directories nested too deep");
		return -1;
	}
	if ((d = fdopendir(dfd)) == NULL) {
		snprintf(w->err, w->errlen, "cannot read: %s", strerror(errno));
		close(dfd);
		return -1;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		rel->len = base;
		if (base > 0)
			sb_addc(rel, '/');
		sb_adds(rel, de->d_name);
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
			snprintf(w->err, w->errlen, "%s: %s", sb_str(rel),
			    strerror(errno));
			rc = -1;
		} else if (S_ISDIR(st.st_mode)) {
			fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW);
			if (fd == -1) {
				snprintf(w->err, w->errlen, "%s: %s", sb_str(rel),
				    strerror(errno));
				rc = -1;
			} else
				rc = walk_dir(w, fd, rel);
		} else if (S_ISLNK(st.st_mode)) {
			snprintf(w->err, w->errlen, "%s: a symbolic link (a "
			    "package directory holds only regular files)",
			    sb_str(rel));
			rc = -1;
		} else if (strcmp(sb_str(rel), PKG_MANIFEST) == 0)
			;
		else {
			key = sb_str(rel);
			if (bsearch(&key, w->names, w->n, sizeof(*w->names),
			    cmp_str) == NULL) {
				snprintf(w->err, w->errlen, "%s: not in the "
				    "manifest (a package directory holds only "
				    "what its manifest lists)", key);
				rc = -1;
			} else if (!S_ISREG(st.st_mode)) {
				snprintf(w->err, w->errlen, "%s: not a regular "
				    "file", key);
				rc = -1;
			} else
				w->found++;
		}
	}
	closedir(d);
	rel->len = base;
	w->depth--;
	return rc;
}

static int
dir_check(const char *dir, const struct manifest *m, int all, char *err,
    size_t errlen)
{
	struct walk w;
	struct strbuf rel = STRBUF_INIT;
	size_t i;
	int fd, rc;

	memset(&w, 0, sizeof(w));
	w.err = err;
	w.errlen = errlen;
	w.n = m->nmem;
	w.names = xreallocarray(NULL, m->nmem + 1, sizeof(*w.names));
	for (i = 0; i < m->nmem; i++)
		w.names[i] = m->mem[i].name;
	qsort(w.names, w.n, sizeof(*w.names), cmp_str);
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd == -1) {
		snprintf(err, errlen, "cannot open: %s", strerror(errno));
		rc = -1;
	} else
		rc = walk_dir(&w, fd, &rel);
	if (rc == 0 && all && w.found != w.n) {
		snprintf(err, errlen, "members listed in the manifest are "
		    "missing");
		rc = -1;
	}
	free(w.names);
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
		goto start;
	}
	for (;;) {
		if (!tar_next(p, &name, &size)) {
			if (p->idx < p->man.nmem)
				in_die(p, "package ends before member %s "
				    "(truncated)", p->man.mem[p->idx].name);
			if (p->man.version >= 2 && !p->ended)
				in_die(p, "%s", "package ends before its end "
				    "record (truncated)");
			return 0;
		}
		if (p->ended)
			in_die(p, "%s after the end record", name);
		if (p->man.version >= 2 && strcmp(name, PKG_FACTS) == 0) {
			read_facts(p, name, size);
			continue;
		}
		if (p->man.version >= 2 && strcmp(name, PKG_END) == 0) {
			if (p->idx < p->man.nmem)
				in_die(p, "end record before member %s",
				    p->man.mem[p->idx].name);
			read_facts(p, name, size);
			p->ended = 1;
			continue;
		}
		break;
	}
	if (p->idx == p->man.nmem || pkg_reserved_name(name))
		in_die(p, "member %s is not in the manifest", name);
	p->cur = &p->man.mem[p->idx++];
	if (strcmp(name, p->cur->name) != 0)
		diag_die(SP_EXIT_FAIL, p->label, 0, "member %s where the "
		    "manifest has %s", name, p->cur->name);
	if (p->cur->known && size != p->cur->size)
		diag_die(SP_EXIT_FAIL, p->label, 0, "%s: size %" PRIu64
		    " differs from the manifest's %" PRIu64, name, size,
		    p->cur->size);
start:
	p->got = 0;
	p->crc = io_crc32(0, NULL, 0);
	p->done = 0;
	*m = p->cur;
	return 1;
}

static void
read_manifest(struct pkg_in *p)
{
	struct strbuf sb = STRBUF_INIT;
	const char *name;
	char err[768];
	uint64_t size;
	size_t r, i;

	if (p->dir != NULL) {
		struct stat st;

		dir_open_member(p, PKG_MANIFEST);
		if (fstat(p->fd, &st) == -1 || (uint64_t)st.st_size > MANIFEST_MAX)
			in_die(p, "%s: too large", PKG_MANIFEST);
		for (;;) {
			sb_grow(&sb, 65536);
			r = io_read(p->fd, sb.buf + sb.len, 65536, p->member_label);
			if (r == 0)
				break;
			sb.len += r;
			if (sb.len > MANIFEST_MAX)
				in_die(p, "%s: too large", PKG_MANIFEST);
		}
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
	if (manifest_parse_msg(&p->man, sb.buf != NULL ? sb.buf : "", sb.len,
	    PKG_MANIFEST, err, sizeof(err)) == -1)
		in_die(p, "%s", err);
	sb_free(&sb);
	for (i = 0; i < p->man.nmem; i++)
		if (pkg_reserved_name(p->man.mem[i].name))
			in_die(p, PKG_MANIFEST ": lists the reserved name %s "
			    "as a member", p->man.mem[i].name);
	if (p->dir != NULL) {
		for (i = 0; i < p->man.nmem; i++)
			if (!p->man.mem[i].known)
				in_die(p, PKG_MANIFEST ": %s has no size (a "
				    "package directory lists every size)",
				    p->man.mem[i].name);
		if (dir_check(p->dir, &p->man, 0, err, sizeof(err)) == -1)
			in_die(p, "%s", err);
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
	size_t		 nfacts_out;	/* facts already in a written record */
	int		 manifest_out;
	size_t		 idx;
	struct pkg_member *cur;
	uint64_t	 got;
	uint32_t	 crc;
	char		*buf;
	char		*piece;		/* streamed member: current piece */
	size_t		 plen;
	int		 pieces;	/* pieces of it written */
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

/*
 * The directory a -d target names, for replacing it: an existing
 * directory by its real path, so that "-d ." inside the package (or any
 * path through "..") gets a temporary sibling beside the real directory
 * and can be renamed; anything else as given.
 */
static char *
dir_target(const char *path)
{
	struct stat st;
	char *r;

	if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode) &&
	    (r = realpath(path, NULL)) != NULL) {
		if (strcmp(r, "/") == 0)
			diag_die(SP_EXIT_FAIL, path, 0, "exists and is not a "
			    "spaceport package directory; not replacing it");
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
	} else if (kind == PKG_OUT_DIR) {
		o->path = dir_target(path);
		o->tmp = io_tmp_beside(o->path);
		if (mkdtemp(o->tmp) == NULL)
			diag_die(SP_EXIT_FAIL, o->path, 0, "cannot create "
			    "temporary directory: %s", strerror(errno));
		diag_atexit_path(out_cleanup, o, o->tmp, 1);
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

/* One tar entry, or (directory form) one file, begun. */
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

/* A whole entry from memory. */
static void
put_raw(struct pkg_out *o, const char *name, const void *buf, size_t n)
{
	begin_raw(o, name, n);
	write_raw(o, buf, n);
	end_raw(o);
}

void
pkg_put_manifest(struct pkg_out *o, const struct manifest *m)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	if (o->manifest_out)
		diag_die(SP_EXIT_FAIL, NULL, 0, "internal error: two manifests");
	manifest_copy_facts(&o->man, m);
	for (i = 0; i < m->nmem; i++) {
		if (pkg_reserved_name(m->mem[i].name))
			diag_die(SP_EXIT_FAIL, NULL, 0, "internal error: "
			    "member %s has a reserved name", m->mem[i].name);
		manifest_add_member(&o->man, m->mem[i].name, m->mem[i].size,
		    m->mem[i].crc);
		o->man.mem[i].known = m->mem[i].known;
	}
	o->man.version = PKG_VERSION;
	o->nfacts_out = o->man.nkv;
	o->manifest_out = 1;
	/* The directory form's manifest is written last, complete. */
	if (o->kind == PKG_OUT_DIR)
		return;
	manifest_format(&o->man, &sb);
	put_raw(o, PKG_MANIFEST, sb.buf, sb.len);
	sb_free(&sb);
}

void
pkg_fact(struct pkg_out *o, const char *key, const char *val)
{
	const char *old = manifest_get(&o->man, key);
	size_t i;

	if (old != NULL && strcmp(old, val) == 0)
		return;
	if (old != NULL)
		for (i = 0; i < o->nfacts_out; i++)
			if (strcmp(o->man.key[i], key) == 0)
				diag_die(SP_EXIT_FAIL, NULL, 0, "internal error: "
				    "fact %s changed after it was written", key);
	manifest_set(&o->man, key, val);
}

void
pkg_facts(struct pkg_out *o, const struct manifest *src)
{
	size_t i;

	for (i = 0; i < src->nkv; i++)
		pkg_fact(o, src->key[i], src->val[i]);
}

/* Facts given since the last record, as a record called name. */
static void
facts_record(struct pkg_out *o, const char *name, int always)
{
	struct strbuf sb = STRBUF_INIT;

	if (o->kind == PKG_OUT_DIR || (!always && o->nfacts_out == o->man.nkv))
		return;
	manifest_format_facts(&o->man, o->nfacts_out, &sb);
	put_raw(o, name, sb.buf, sb.len);
	o->nfacts_out = o->man.nkv;
	sb_free(&sb);
}

void
pkg_flush_facts(struct pkg_out *o)
{
	if (o->cur != NULL)
		diag_die(SP_EXIT_FAIL, NULL, 0, "internal error: facts inside "
		    "member %s", o->cur->name);
	facts_record(o, PKG_FACTS, 0);
}

/* Streamed member (tar forms): the buffered piece out as one entry. */
static void
put_piece(struct pkg_out *o)
{
	put_raw(o, o->cur->name, o->piece, o->plen);
	o->plen = 0;
	o->pieces++;
}

void
pkg_begin(struct pkg_out *o, const char *name, uint64_t size)
{
	struct pkg_member *m;

	if (!o->manifest_out || o->idx >= o->man.nmem)
		diag_die(SP_EXIT_FAIL, NULL, 0, "internal error: member %s is "
		    "not in the manifest", name);
	m = &o->man.mem[o->idx++];
	if (strcmp(m->name, name) != 0 || (m->known && m->size != size))
		diag_die(SP_EXIT_FAIL, NULL, 0, "internal error: member %s "
		    "written where the manifest has %s", name, m->name);
	o->cur = m;
	o->got = 0;
	o->crc = io_crc32(0, NULL, 0);
	o->plen = 0;
	o->pieces = 0;
	if (m->known || o->kind == PKG_OUT_DIR)
		begin_raw(o, name, m->size);
	else if (o->piece == NULL)
		o->piece = xmalloc(PKG_PIECE);
}

void
pkg_write(struct pkg_out *o, const void *buf, size_t n)
{
	const char *p = buf;
	size_t k;

	o->got += n;
	if (o->cur->known && o->got > o->cur->size)
		diag_die(SP_EXIT_FAIL, NULL, 0, "internal error: %s longer "
		    "than declared", o->cur->name);
	o->crc = io_crc32(o->crc, buf, n);
	if (o->cur->known || o->kind == PKG_OUT_DIR) {
		write_raw(o, buf, n);
		return;
	}
	while (n > 0) {
		k = PKG_PIECE - o->plen < n ? PKG_PIECE - o->plen : n;
		memcpy(o->piece + o->plen, p, k);
		o->plen += k;
		p += k;
		n -= k;
		if (o->plen == PKG_PIECE)
			put_piece(o);
	}
}

void
pkg_end(struct pkg_out *o)
{
	struct pkg_member *m = o->cur;
	struct strbuf sb = STRBUF_INIT;

	if (m->known) {
		if (o->got != m->size || o->crc != m->crc)
			diag_die(SP_EXIT_FAIL, NULL, 0, "%s: content changed "
			    "while it was copied (size %" PRIu64 "/%" PRIu64
			    ", crc-32 %08" PRIx32 "/%08" PRIx32 ")", m->name,
			    o->got, m->size, o->crc, m->crc);
		end_raw(o);
		o->cur = NULL;
		return;
	}
	if (o->kind == PKG_OUT_DIR)
		end_raw(o);
	else {
		if (o->plen > 0 || o->pieces == 0)
			put_piece(o);
		sb_adds(&sb, "member\t");
		tsv_add_field(&sb, m->name, strlen(m->name));
		sb_addf(&sb, "\t%" PRIu64 "\t%08" PRIx32 "\n", o->got, o->crc);
		put_raw(o, PKG_CHECK, sb.buf, sb.len);
		sb_free(&sb);
	}
	/* Known now: the directory form's manifest lists it. */
	m->size = o->got;
	m->crc = o->crc;
	m->known = 1;
	o->cur = NULL;
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
 * Is path a directory holding a spaceport package and nothing else (safe
 * to replace)?  Its manifest must parse and the directory must hold
 * exactly the manifest and every member it lists, as regular files.
 */
static int
is_pkg_dir(const char *path, char *err, size_t errlen)
{
	struct manifest m;
	struct strbuf sb = STRBUF_INIT;
	char buf[65536];
	int dfd, fd, rc = -1;
	size_t r;

	manifest_init(&m);
	snprintf(err, errlen, "not a package directory");
	if ((dfd = open(path, O_RDONLY | O_DIRECTORY)) == -1)
		return 0;
	fd = open_beneath(dfd, PKG_MANIFEST);
	close(dfd);
	if (fd == -1)
		return 0;
	for (;;) {
		r = io_read(fd, buf, sizeof(buf), PKG_MANIFEST);
		if (r == 0)
			break;
		sb_add(&sb, buf, r);
		if (sb.len > MANIFEST_MAX)
			goto out;
	}
	if (manifest_parse_msg(&m, sb.buf != NULL ? sb.buf : "", sb.len,
	    PKG_MANIFEST, err, errlen) == 0 &&
	    dir_check(path, &m, 1, err, errlen) == 0)
		rc = 0;
out:
	close(fd);
	sb_free(&sb);
	manifest_free(&m);
	return rc == 0;
}

static void
commit_dir(struct pkg_out *o)
{
	struct strbuf sb = STRBUF_INIT;
	struct stat st;
	char *old, err[512];

	manifest_format(&o->man, &sb);
	put_raw(o, PKG_MANIFEST, sb.buf, sb.len);
	sb_free(&sb);
	if (chmod(o->tmp, 0777 & ~io_umask()) == -1)
		diag_die(SP_EXIT_FAIL, o->tmp, 0, "chmod: %s", strerror(errno));
	if (lstat(o->path, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			diag_die(SP_EXIT_FAIL, o->path, 0, "exists and is not "
			    "a directory");
		if (rmdir(o->path) == 0)
			goto place;
		if (!is_pkg_dir(o->path, err, sizeof(err)))
			diag_die(SP_EXIT_FAIL, o->path, 0, "exists and is not "
			    "a spaceport package directory and nothing else "
			    "(%s); not replacing it", err);
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
pkg_commit(struct pkg_out *o)
{
	if (o->cur != NULL)
		diag_die(SP_EXIT_FAIL, NULL, 0, "internal error: member %s "
		    "not ended", o->cur->name);
	if (o->idx != o->man.nmem)
		diag_die(SP_EXIT_FAIL, NULL, 0, "internal error: member %s "
		    "never written", o->man.mem[o->idx].name);
	if (o->kind != PKG_OUT_DIR) {
		facts_record(o, PKG_END, 1);
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
