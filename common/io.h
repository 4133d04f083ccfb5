/*
 * io.h - checked low-level I/O: full writes, spool files, CRC-32.
 *
 * Owns: the rule that every write is checked and every short read or
 * write is either retried or reported, and the unlinked temporary
 * "spool" files stages use when a member must be complete before it can
 * be written (tar needs the size up front).
 */
#ifndef SP_IO_H
#define SP_IO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Write all n bytes or die naming label. */
void	 io_write_all(int fd, const void *buf, size_t n, const char *label);
/* read(2) retrying EINTR; dies on error naming label. */
size_t	 io_read(int fd, void *buf, size_t n, const char *label);

/* An unlinked temporary file in $TMPDIR (default /tmp).  Dies on error. */
struct spool {
	int		 fd;
	uint64_t	 size;
	uint32_t	 crc;
	char		*buf;		/* write buffer */
	size_t		 blen;
};
/* Creates and at once unlinks the file (nothing to clean up, even on a
 * signal); size 0, crc of nothing.  Dies on error. */
void	 spool_open(struct spool *);
/* An ent_read_fn-style reader over a finished spool (ctx: the spool):
 * its bytes from the current offset. */
ssize_t	 spool_read_fn(void *spool, void *buf, size_t n);
/* Appends n bytes (buffered), updating size and crc.  Dies on error. */
void	 spool_write(struct spool *, const void *, size_t);
/* Flushes and rewinds to offset 0, for reading back fd.  Dies on error. */
void	 spool_finish(struct spool *);
/* Closes fd and frees the buffer; the spool may be opened again. */
void	 spool_close(struct spool *);

uint32_t io_crc32(uint32_t crc, const void *buf, size_t n);	/* zlib crc32 over size_t */

/*
 * An output file that never leaves anything half-written.  A regular (or
 * missing) target is written to a temporary sibling ".NAME.XXXXXX" and
 * renamed over the target by outfile_commit(), after fsync; if the program
 * dies first, a cleanup hook removes the temporary.  Any other existing
 * target (a FIFO, /dev/null, /dev/stdout, a terminal) cannot be replaced
 * atomically and must not be turned into a regular file: it is opened and
 * written directly.  Dies on error.
 */
struct outfile {
	int		 fd;
	char		*path;		/* target, trailing slashes removed */
	char		*tmp;		/* temporary sibling, or NULL (direct) */
	int		 committed;
};
/* Opens path as described above; the temporary is registered with
 * diag_atexit_path, so diag_die and the fatal signals remove it. */
void	 outfile_open(struct outfile *, const char *path);
/* fsync, mode 0666 & ~umask, rename over the target (direct targets are
 * only closed), forget the cleanup; frees path and tmp. */
void	 outfile_commit(struct outfile *);
/* Remove the temporary (a direct target is only closed: what was written
 * to it stays), forget the cleanup; frees path and tmp. */
void	 outfile_abandon(struct outfile *);
/* path without trailing slashes, and "dir/.base.XXXXXX" beside it (caller
 * frees both); used for temporary siblings of files and directories. */
char	*io_path_clean(const char *path);
char	*io_tmp_beside(const char *path);

/* fd a pipe: ask for a 1 MiB buffer (F_SETPIPE_SZ), so that the stages
 * of a pipeline hand each other large pieces, not 64 KiB ones; anything
 * else, or a refusal (a lower pipe-max-size), changes nothing. */
void	 io_pipe_grow(int fd);

/* The process umask (reading it means setting it: set it back at once). */
mode_t	 io_umask(void);

/* Directory for temporary files: $TMPDIR or /tmp. */
const char *io_tmpdir(void);

#endif
