/*
 * io.c - checked low-level I/O, spool files, CRC-32.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "diag.h"
#include "io.h"

#define SPOOL_BUF (256 * 1024)

void
io_write_all(int fd, const void *buf, size_t n, const char *label)
{
	const char *p = buf;
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n > (size_t)SSIZE_MAX ? (size_t)SSIZE_MAX : n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			diag_die(SP_EXIT_FAIL, label, 0, "write failed: %s",
			    strerror(errno));
		}
		p += w;
		n -= (size_t)w;
	}
}

size_t
io_read(int fd, void *buf, size_t n, const char *label)
{
	ssize_t r;

	for (;;) {
		r = read(fd, buf, n);
		if (r >= 0)
			return (size_t)r;
		if (errno != EINTR)
			diag_die(SP_EXIT_FAIL, label, 0, "read failed: %s",
			    strerror(errno));
	}
}

uint32_t
io_crc32(uint32_t crc, const void *buf, size_t n)
{
	const unsigned char *p = buf;

	/* zlib's crc32() takes a uInt length; feed it in pieces. */
	while (n > 0) {
		uInt chunk = n > 0x40000000u ? 0x40000000u : (uInt)n;
		crc = (uint32_t)crc32(crc, p, chunk);
		p += chunk;
		n -= chunk;
	}
	return crc;
}

const char *
io_tmpdir(void)
{
	const char *t = getenv("TMPDIR");

	return t != NULL && *t != '\0' ? t : "/tmp";
}

void
spool_open(struct spool *s)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/spaceport-spool.XXXXXX",
	    io_tmpdir()) >= (int)sizeof(path))
		diag_die(SP_EXIT_FAIL, NULL, 0, "temporary directory name too long");
	/* Unlinked at once, no signal in between: the space comes back
	 * however the program ends. */
	diag_hold_signals();
	s->fd = mkstemp(path);
	if (s->fd == -1)
		diag_die(SP_EXIT_FAIL, path, 0, "cannot create spool file: %s",
		    strerror(errno));
	if (unlink(path) == -1)
		diag_die(SP_EXIT_FAIL, path, 0, "cannot unlink spool file: %s",
		    strerror(errno));
	diag_release_signals();
	s->size = 0;
	s->crc = (uint32_t)crc32(0L, Z_NULL, 0);
	s->buf = xmalloc(SPOOL_BUF);
	s->blen = 0;
}

static void
spool_flush(struct spool *s)
{
	io_write_all(s->fd, s->buf, s->blen, "spool file");
	s->blen = 0;
}

ssize_t
spool_read_fn(void *ctx, void *buf, size_t n)
{
	struct spool *sp = ctx;

	return (ssize_t)io_read(sp->fd, buf, n, "spool file");
}

void
spool_write(struct spool *s, const void *p, size_t n)
{
	s->crc = io_crc32(s->crc, p, n);
	s->size += n;
	if (n >= SPOOL_BUF) {
		spool_flush(s);
		io_write_all(s->fd, p, n, "spool file");
		return;
	}
	if (s->blen + n > SPOOL_BUF)
		spool_flush(s);
	memcpy(s->buf + s->blen, p, n);
	s->blen += n;
}

void
spool_finish(struct spool *s)
{
	spool_flush(s);
	if (lseek(s->fd, 0, SEEK_SET) == -1)
		diag_die(SP_EXIT_FAIL, "spool file", 0, "seek failed: %s",
		    strerror(errno));
}

void
spool_close(struct spool *s)
{
	if (s->fd != -1)
		close(s->fd);
	s->fd = -1;
	free(s->buf);
	s->buf = NULL;
}

char *
io_path_clean(const char *path)
{
	size_t n = strlen(path);

	while (n > 1 && path[n - 1] == '/')
		n--;
	return xstrndup(path, n);
}

char *
io_tmp_beside(const char *path)
{
	char *clean = io_path_clean(path), *slash = strrchr(clean, '/');
	size_t n = strlen(clean) + 16;
	char *t = xmalloc(n);

	if (slash != NULL) {
		*slash = '\0';
		snprintf(t, n, "%s/.%s.XXXXXX", clean, slash + 1);
	} else
		snprintf(t, n, ".%s.XXXXXX", clean);
	free(clean);
	return t;
}

static void
outfile_cleanup(void *arg)
{
	struct outfile *o = arg;

	if (!o->committed && o->tmp != NULL)
		unlink(o->tmp);
}

void
outfile_open(struct outfile *o, const char *path)
{
	struct stat st;

	memset(o, 0, sizeof(*o));
	o->path = io_path_clean(path);
	if (stat(o->path, &st) == 0 && !S_ISREG(st.st_mode)) {
		if (S_ISDIR(st.st_mode))
			diag_die(SP_EXIT_FAIL, o->path, 0, "is a directory");
		o->fd = open(o->path, O_WRONLY);
		if (o->fd == -1)
			diag_die(SP_EXIT_FAIL, o->path, 0, "cannot open: %s",
			    strerror(errno));
		return;
	}
	o->tmp = io_tmp_beside(o->path);
	/* Created and registered as one step: a signal in between would
	 * leave a temporary no hook knows about. */
	diag_hold_signals();
	o->fd = mkstemp(o->tmp);
	if (o->fd == -1)
		diag_die(SP_EXIT_FAIL, o->path, 0, "cannot create a temporary "
		    "file beside it: %s", strerror(errno));
	diag_atexit_path(outfile_cleanup, o, o->tmp, 0);
	diag_release_signals();
}

void
outfile_commit(struct outfile *o)
{
	if (o->tmp != NULL) {
		if (fchmod(o->fd, 0666 & ~io_umask()) == -1 || fsync(o->fd) == -1)
			diag_die(SP_EXIT_FAIL, o->path, 0, "cannot finish: %s",
			    strerror(errno));
	}
	if (close(o->fd) == -1)
		diag_die(SP_EXIT_FAIL, o->path, 0, "close failed: %s",
		    strerror(errno));
	o->fd = -1;
	if (o->tmp != NULL) {
		diag_hold_signals();	/* renamed and forgotten as one step */
		if (rename(o->tmp, o->path) == -1)
			diag_die(SP_EXIT_FAIL, o->path, 0, "rename failed: %s",
			    strerror(errno));
		o->committed = 1;
		diag_cancel(outfile_cleanup, o);
		diag_release_signals();
	}
	free(o->tmp);
	free(o->path);
	o->tmp = o->path = NULL;
}

void
io_pipe_grow(int fd)
{
	struct stat st;

	if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode))
		(void)fcntl(fd, F_SETPIPE_SZ, 1 << 20);	/* a hint only */
}

void
outfile_abandon(struct outfile *o)
{
	diag_hold_signals();
	outfile_cleanup(o);
	diag_cancel(outfile_cleanup, o);
	diag_release_signals();
	if (o->fd != -1 && close(o->fd) == -1 && o->tmp == NULL)
		diag_warn(o->path, 0, "close failed: %s", strerror(errno));
	o->fd = -1;
	free(o->tmp);
	free(o->path);
	o->tmp = o->path = NULL;
}

mode_t
io_umask(void)
{
	mode_t m = umask(0);

	umask(m);
	return m;
}
