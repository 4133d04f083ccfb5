/*
 * zipout.c - the reproducible zip writer (pack's own, on zlib).
 *
 * Why not libarchive (3.6.2, which pack used before): it cannot
 *  (a) write a STORED member with its CRC-32 and sizes in the local header:
 *      it always sets general purpose bit 3 and writes a data descriptor,
 *      and java.util.zip.ZipInputStream rejects STORED entries with a data
 *      descriptor ("only DEFLATED entries can have EXT descriptor"), so
 *      every member had to be deflated, media included;
 *  (b) vary the compression per member (format options are frozen at the
 *      first header).
 * The profile (bench/RESULTS.md) showed ~86 % of pack's deflate work going
 * to already-compressed media.  Storing them (bench/RESULTS.md, "pack's
 * zip writer"): pack alone 1.88 s -> 0.53 s on the 100 MB benchmark
 * export, pack's CPU in the 1 GB pipeline 20.0 s -> 4.8 s, the pipeline
 * 0.69x -> 0.25x the time of a naive unzip+zip repack.
 *
 * Format references: PKWARE APPNOTE.TXT 6.3.x:
 *   4.3.7  local file header          4.3.9  data descriptor
 *   4.3.12 central directory header   4.3.14 zip64 end of central dir record
 *   4.3.15 zip64 end of central dir locator
 *   4.3.16 end of central directory record
 *   4.4.4  general purpose bit flag (bit 3: descriptor, bit 11: UTF-8)
 *   4.4.5  compression method (0 stored, 8 deflated)
 *   4.4.6  date and time fields (MS-DOS format)
 *   4.5.3  zip64 extended information extra field (0x0001)
 *
 * What is written, member by member:
 *  - STORED (method 0): CRC-32 and both sizes in the local header, bit 3
 *    clear, no data descriptor.  The CRC-32 is the package manifest's
 *    (known before the data); the data's own CRC is computed while copying
 *    and the run dies if they differ (the caller's outfile removes the
 *    partial output).
 *  - DEFLATED (method 8): zlib raw deflate (windowBits -15), level 6
 *    (zlib's default: the text members are small next to the media, and
 *    level 1 costs +17 % on text attachments, +47 % on entities.xml), bit 3
 *    set, CRC and sizes zero in the local header, then a data descriptor
 *    with signature after the data: the compressed size is only known at
 *    the end and the output may be a pipe, so nothing is spooled or
 *    patched.
 *  - Parallel deflate (issue 11), the way pigz does it: the member is cut
 *    into blocks of a FIXED size (BLOCK_SIZE, never the thread count), each
 *    deflated as its own raw stream primed with the previous 32 KiB of
 *    input (deflateSetDictionary) and ended with Z_SYNC_FLUSH (byte
 *    aligned, no final bit), the last one with Z_FINISH; the outputs,
 *    concatenated in order, are one valid deflate stream, and the blocks'
 *    CRC-32s are joined with crc32_combine().  A block's bytes depend only
 *    on its input and its dictionary, so the zip is identical whatever
 *    -j is (and -j 1 runs the same blocks on the calling thread).  A
 *    member of one block is plain deflate.  Memory: at most 2 blocks per
 *    thread in flight (each BLOCK_SIZE in + deflateBound out) plus one
 *    zlib state per thread: bounded whatever the member's size.
 *    Why not a library: Debian 12 has no streaming parallel deflate
 *    library (libdeflate is whole-buffer only and has no dictionary API;
 *    pigz is a program; zlib-ng is not packaged for bookworm), and this
 *    is ~200 lines on zlib's own primitives.
 *  - Store or deflate: pack_zip_store(), the only rule (see there).
 *  - Zip64 (4.5.3) only where needed: a member whose size is >= 0xFFFFFFFF
 *    gets a zip64 extra field in its local header (both sizes), an 8-byte
 *    data descriptor if deflated, and version needed 4.5; the central
 *    header gets a zip64 extra field with exactly those of size,
 *    compressed size and offset that are >= 0xFFFFFFFF; a zip64 end of
 *    central directory record and locator are written when the entry
 *    count is >= 0xFFFF or the directory's size or offset is >=
 *    0xFFFFFFFF.  A member below 4 GiB whose deflated form could reach
 *    4 GiB (deflate can expand incompressible data slightly) is stored, so
 *    that the local header's choice never turns out wrong afterwards.  A
 *    member streamed without its size (pack_zip_begin_stream: entities.xml
 *    while pack rewrites it) is deflated and gets the zip64 field when the
 *    caller says so (pack: from the package's size or estimate); one that
 *    reaches 4 GiB without it dies rather than write a wrong descriptor.
 *  - Names: the package's raw bytes (UTF-8); bit 11 set when a name has a
 *    byte >= 0x80.
 * Reproducibility: the same members give the same bytes, whatever the
 * time zone, locale or umask: DOS date/time of PACK_ZIP_MTIME computed
 * arithmetically (no localtime()), version made by 4.5/UNIX and version
 * needed 2.0 (4.5 with zip64), external attributes regular file 0644, no
 * extra fields but zip64, no comment, member order the caller's.
 * Every write is checked (io_write_all dies).
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "diag.h"
#include "io.h"
#include "pkg.h"
#include "pack.h"

#define HEAD_MAX	((size_t)16 << 10)	/* bytes the store rule looks at */
#define OBUF_SIZE	((size_t)256 << 10)	/* output buffer */
#define BLOCK_SIZE	((size_t)256 << 10)	/* parallel deflate block */
#define DICT_SIZE	((size_t)32 << 10)	/* deflate's window */
#define MAX_THREADS	64

#define VER_MADE_BY	((3 << 8) | 45)		/* UNIX, 4.5 */
#define VER_NEEDED	20			/* 2.0: deflate, stored */
#define VER_ZIP64	45			/* 4.5: zip64 */
#define FLAG_DESC	0x0008
#define FLAG_UTF8	0x0800
#define EXT_ATTR	((uint32_t)0100644 << 16)	/* S_IFREG | 0644 */

/* Thresholds; lowered by the unit tests to force zip64 structures. */
static uint64_t lim_size = 0xFFFFFFFFu;
static uint64_t lim_count = 0xFFFFu;
/* Block size; lowered by the unit tests to test many blocks cheaply. */
static size_t blk_size = BLOCK_SIZE;

void
pack_zip_test_limits(uint64_t size, uint64_t count)
{
	lim_size = size != 0 ? size : 0xFFFFFFFFu;
	lim_count = count != 0 ? count : 0xFFFFu;
}

void
pack_zip_test_block(size_t size)
{
	blk_size = size != 0 ? size : BLOCK_SIZE;
}

/* One block of a deflated member.  Filled by the caller's thread, deflated
 * by a worker (or the caller with one thread), written by the caller. */
enum { J_FREE, J_QUEUED, J_BUSY, J_DONE };
struct zjob {
	unsigned char	*in;		/* blk_size */
	size_t		 inlen;
	unsigned char	*dict;		/* DICT_SIZE: the 32 KiB before in */
	size_t		 dictlen;
	unsigned char	*out;		/* outcap: deflateBound(blk_size) + slack */
	size_t		 outlen, outcap;
	uint32_t	 crc;		/* of in */
	int		 last;		/* Z_FINISH instead of Z_SYNC_FLUSH */
	int		 state;
	int		 failed;
};

/* Worker threads and the ring of jobs.  Jobs are numbered in submission
 * order; job k lives in slot k % njobs.  The caller fills slot "fill",
 * workers take "take" (< "submitted"), the caller writes "head" in order. */
struct zpool {
	pthread_mutex_t	 mu;
	pthread_cond_t	 work;		/* a job was queued, or quit */
	pthread_cond_t	 done;		/* a job finished */
	pthread_t	*th;
	z_stream	*zs;		/* one per thread */
	int		 nth, started, quit;
	struct zjob	*jobs;
	size_t		 njobs;
	uint64_t	 head, take, submitted;
};

struct pack_zip {
	int			 fd;
	const char		*label;
	uint64_t		 bytes;		/* written, buffered included */
	unsigned char		*obuf;
	size_t			 olen;
	struct pack_zentry	*ent;
	size_t			 n, cap;
	uint16_t		 dos_time, dos_date;
	/* the current member */
	int			 in_entry, decided, zip64;
	int			 stream;	/* size unknown (pack_zip_begin_stream) */
	char			*name;
	uint64_t		 want, got, csize, off;
	uint32_t		 crc;		/* of the data seen so far */
	uint32_t		 mcrc;		/* announced (manifest) */
	int			 mcrc_known;
	int			 method;
	unsigned char		*head;
	size_t			 hlen;
	/* zlib */
	z_stream		 zs, trial;
	int			 zs_init, trial_init;
	/* blocks (deflated members) */
	int			 nthreads;	/* -j; 1: no worker threads */
	struct zpool		*pool;		/* started at the first multi-block member */
	struct zjob		 solo;		/* the block being filled, one thread */
	struct zjob		*cur;		/* the block being filled */
	unsigned char		*dict;		/* the last DICT_SIZE bytes fed */
	size_t			 dictlen;
};

/* ---- DOS date/time, arithmetically (APPNOTE 4.4.6) ------------------- */

/* Days since 1970-01-01 -> civil date (H. Hinnant's algorithm). */
static void
civil(int64_t days, int *y, int *m, int *d)
{
	int64_t z = days + 719468, era, yoe, doy, mp, yy;
	int64_t doe;

	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	yy = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yy + (*m <= 2));
}

static void
dos_datetime(int64_t t, uint16_t *dtime, uint16_t *ddate)
{
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	int64_t secs = t - days * 86400;
	int y, m, d;

	civil(days, &y, &m, &d);
	if (y < 1980) {		/* DOS dates start in 1980 */
		y = 1980; m = 1; d = 1; secs = 0;
	}
	*ddate = (uint16_t)(((y - 1980) << 9) | (m << 5) | d);
	*dtime = (uint16_t)(((secs / 3600) << 11) | ((secs / 60 % 60) << 5) |
	    (secs % 60 / 2));
}

/* ---- output ------------------------------------------------------------- */

static void
oflush(struct pack_zip *z)
{
	if (z->olen > 0)
		io_write_all(z->fd, z->obuf, z->olen, z->label);
	z->olen = 0;
}

static void
out(struct pack_zip *z, const void *p, size_t n)
{
	z->bytes += n;
	if (z->olen + n > OBUF_SIZE) {
		oflush(z);
		if (n >= OBUF_SIZE) {
			io_write_all(z->fd, p, n, z->label);
			return;
		}
	}
	memcpy(z->obuf + z->olen, p, n);
	z->olen += n;
}

/* Little-endian field builders over a byte buffer. */
struct rec {
	unsigned char	 b[128];
	size_t		 n;
};

static void
put16(struct rec *r, uint32_t v)
{
	r->b[r->n++] = (unsigned char)(v & 0xff);
	r->b[r->n++] = (unsigned char)((v >> 8) & 0xff);
}

static void
put32(struct rec *r, uint32_t v)
{
	put16(r, v & 0xffff);
	put16(r, v >> 16);
}

static void
put64(struct rec *r, uint64_t v)
{
	put32(r, (uint32_t)(v & 0xffffffffu));
	put32(r, (uint32_t)(v >> 32));
}

static uint32_t
cap32(uint64_t v)
{
	return v >= lim_size ? 0xFFFFFFFFu : (uint32_t)v;
}

/* ---- store or deflate ------------------------------------------------------ */

static void
zinit(struct pack_zip *z, z_stream *s, int *init, int level)
{
	if (*init) {
		if (deflateReset(s) != Z_OK)
			diag_die(SP_EXIT_FAIL, z->label, 0, "zip: deflateReset "
			    "failed");
		return;
	}
	memset(s, 0, sizeof(*s));
	if (deflateInit2(s, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY)
	    != Z_OK)
		diag_die(SP_EXIT_FAIL, z->label, 0, "zip: deflateInit2 failed");
	*init = 1;
}

static int
must_deflate(const char *name)
{
	return strcmp(name, PKG_ENTITIES) == 0 ||
	    strcmp(name, PKG_DESCRIPTOR) == 0;
}

/*
 * The one rule for store vs deflate.  head is the member's first bytes
 * (all of it if shorter than 16 KiB).  entities.xml and the descriptor are
 * always deflated.  Anything else is deflated at level 1 as a trial (the
 * first 16 KiB only, a fixed amount of work); if that gives 97 % of the
 * input or more, the member is already compressed (JPEG, PNG, ZIP/OOXML,
 * PDF streams, ...) and is stored.  Deterministic: depends on the bytes
 * only.  An empty member is stored.
 * Why 16 KiB and not 64 KiB: zlib's level 1 runs at ~64 MB/s over
 * incompressible data, so a 64 KiB trial costs ~1 ms per media member:
 * measured on the 1 GB benchmark (7,200 media members) it was ~7 s of
 * pack's 13 s.  16 KiB gives the same decisions on the benchmark's media
 * and text members for a quarter of that (bench/RESULTS.md).
 */
static int
store_rule(struct pack_zip *z, const char *name, const void *head, size_t n)
{
	unsigned char buf[HEAD_MAX + 1024];	/* > deflateBound(HEAD_MAX) */
	z_stream *s;
	int rc;

	if (must_deflate(name))
		return 0;
	if (n == 0)
		return 1;
	if (n > HEAD_MAX)
		n = HEAD_MAX;
	zinit(z, &z->trial, &z->trial_init, 1);
	s = &z->trial;
	s->next_in = (unsigned char *)(uintptr_t)head;
	s->avail_in = (uInt)n;
	s->next_out = buf;
	s->avail_out = sizeof(buf);
	rc = deflate(s, Z_FINISH);
	if (rc != Z_STREAM_END)		/* cannot happen: buf > deflateBound */
		return 0;
	return (uint64_t)s->total_out * 100 >= (uint64_t)n * 97;
}

int
pack_zip_store(const char *name, const void *head, size_t n)
{
	struct pack_zip tz;
	int r;

	memset(&tz, 0, sizeof(tz));
	tz.label = "zip trial";
	r = store_rule(&tz, name, head, n);
	if (tz.trial_init)
		deflateEnd(&tz.trial);
	return r;
}

/* ---- members ------------------------------------------------------------ */

void
pack_zip_threads(struct pack_zip *z, int n)
{
	if (z->pool != NULL || z->in_entry)
		diag_die(SP_EXIT_FAIL, z->label, 0, "zip: internal error: "
		    "threads set after the first member");
	z->nthreads = n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : n;
}

struct pack_zip *
pack_zip_open(int fd, const char *label)
{
	struct pack_zip *z = xcalloc(1, sizeof(*z));

	z->fd = fd;
	z->label = label;
	z->obuf = xmalloc(OBUF_SIZE);
	z->head = xmalloc(HEAD_MAX);
	z->nthreads = 1;
	z->dict = xmalloc(DICT_SIZE);
	dos_datetime((int64_t)PACK_ZIP_MTIME, &z->dos_time, &z->dos_date);
	return z;
}

static int
ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

static uint16_t
flags_of(const struct pack_zip *z)
{
	return (uint16_t)((z->method == 8 ? FLAG_DESC : 0) |
	    (ascii(z->name) ? 0 : FLAG_UTF8));
}

static void
local_header(struct pack_zip *z)
{
	struct rec r = { .n = 0 };
	size_t nlen = strlen(z->name);

	if (nlen > 0xFFFF)
		diag_die(SP_EXIT_FAIL, z->label, 0, "zip: member name longer "
		    "than 65535 bytes: %.64s...", z->name);
	z->off = z->bytes;
	if (!z->stream)		/* else the caller decided */
		z->zip64 = z->want >= lim_size;
	put32(&r, 0x04034b50);
	put16(&r, z->zip64 || z->off >= lim_size ? VER_ZIP64 : VER_NEEDED);
	put16(&r, flags_of(z));
	put16(&r, (uint32_t)z->method);
	put16(&r, z->dos_time);
	put16(&r, z->dos_date);
	if (z->method == 0) {
		put32(&r, z->mcrc);
		put32(&r, z->zip64 ? 0xFFFFFFFFu : (uint32_t)z->want);
		put32(&r, z->zip64 ? 0xFFFFFFFFu : (uint32_t)z->want);
	} else {
		/* bit 3: CRC and sizes follow the data (4.4.4) */
		put32(&r, 0);
		put32(&r, z->zip64 ? 0xFFFFFFFFu : 0);
		put32(&r, z->zip64 ? 0xFFFFFFFFu : 0);
	}
	put16(&r, (uint32_t)nlen);
	put16(&r, z->zip64 ? 20 : 0);
	out(z, r.b, r.n);
	out(z, z->name, nlen);
	if (z->zip64) {
		r.n = 0;
		put16(&r, 0x0001);
		put16(&r, 16);
		/* the local zip64 field holds both sizes (4.5.3) */
		put64(&r, z->method == 0 ? z->want : 0);
		put64(&r, z->method == 0 ? z->want : 0);
		out(z, r.b, r.n);
	}
}

/* ---- blocks and the worker threads ---------------------------------- */

int
pack_zip_ncpu(void)
{
	cpu_set_t set;
	long n;

	if (sched_getaffinity(0, sizeof(set), &set) == 0 &&
	    CPU_COUNT(&set) > 0)
		return CPU_COUNT(&set);
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)(n < MAX_THREADS ? n : MAX_THREADS) : 1;
}

static void
job_alloc(struct zjob *j)
{
	j->in = xmalloc(blk_size);
	j->dict = xmalloc(DICT_SIZE);
	/* deflateBound() for a raw stream, plus the sync flush marker */
	j->outcap = blk_size + (blk_size >> 12) + (blk_size >> 14) +
	    (blk_size >> 25) + 64;
	j->out = xmalloc(j->outcap);
	j->inlen = j->dictlen = j->outlen = 0;
	j->state = J_FREE;
}

static void
job_free(struct zjob *j)
{
	free(j->in);
	free(j->dict);
	free(j->out);
	memset(j, 0, sizeof(*j));
}

/*
 * Deflate one block with s (level 6, raw, reset here).  Pure: the output
 * depends on dict, in and last only.  Never allocates and never dies (it
 * runs on worker threads): sets failed instead.
 */
static void
job_run(struct zjob *j, z_stream *s)
{
	int rc;

	j->failed = 0;
	j->crc = (uint32_t)crc32_z(0, j->in, j->inlen);
	if (deflateReset(s) != Z_OK || (j->dictlen > 0 &&
	    deflateSetDictionary(s, j->dict, (uInt)j->dictlen) != Z_OK)) {
		j->failed = 1;
		return;
	}
	s->next_in = j->in;
	s->avail_in = (uInt)j->inlen;
	s->next_out = j->out;
	s->avail_out = (uInt)j->outcap;
	rc = deflate(s, j->last ? Z_FINISH : Z_SYNC_FLUSH);
	/* outcap is above deflateBound: everything fits in one call */
	if (j->last ? rc != Z_STREAM_END : (rc != Z_OK || s->avail_out == 0 ||
	    s->avail_in != 0))
		j->failed = 1;
	j->outlen = j->outcap - s->avail_out;
}

static void *
worker(void *arg)
{
	struct zpool *p = arg;
	struct zjob *j;
	z_stream *s;
	int me;

	pthread_mutex_lock(&p->mu);
	me = p->started++;
	s = &p->zs[me];
	for (;;) {
		while (!p->quit && p->take == p->submitted)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->quit)
			break;
		j = &p->jobs[p->take++ % p->njobs];
		j->state = J_BUSY;
		pthread_mutex_unlock(&p->mu);
		job_run(j, s);
		pthread_mutex_lock(&p->mu);
		j->state = J_DONE;
		pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static void
pool_start(struct pack_zip *z)
{
	struct zpool *p = xcalloc(1, sizeof(*p));
	int i;

	p->nth = z->nthreads;
	p->njobs = (size_t)p->nth * 2;
	p->jobs = xcalloc(p->njobs, sizeof(*p->jobs));
	for (i = 0; i < (int)p->njobs; i++)
		job_alloc(&p->jobs[i]);
	p->zs = xcalloc((size_t)p->nth, sizeof(*p->zs));
	p->th = xcalloc((size_t)p->nth, sizeof(*p->th));
	for (i = 0; i < p->nth; i++)
		if (deflateInit2(&p->zs[i], 6, Z_DEFLATED, -15, 8,
		    Z_DEFAULT_STRATEGY) != Z_OK)
			diag_die(SP_EXIT_FAIL, z->label, 0, "zip: "
			    "deflateInit2 failed");
	if (pthread_mutex_init(&p->mu, NULL) != 0 ||
	    pthread_cond_init(&p->work, NULL) != 0 ||
	    pthread_cond_init(&p->done, NULL) != 0)
		diag_die(SP_EXIT_FAIL, z->label, 0, "zip: cannot initialise "
		    "the deflate threads");
	for (i = 0; i < p->nth; i++)
		if (diag_thread_create(&p->th[i], worker, p) != 0)
			diag_die(SP_EXIT_FAIL, z->label, 0, "zip: cannot start "
			    "a deflate thread");
	z->pool = p;
}

static void
pool_stop(struct zpool *p)
{
	int i;
	size_t k;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->quit = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < p->nth; i++)
		pthread_join(p->th[i], NULL);
	for (i = 0; i < p->nth; i++)
		deflateEnd(&p->zs[i]);
	for (k = 0; k < p->njobs; k++)
		job_free(&p->jobs[k]);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	free(p->jobs);
	free(p->zs);
	free(p->th);
	free(p);
}

/* Write a deflated block: its bytes, its size, its CRC-32 joined on. */
static void
job_emit(struct pack_zip *z, struct zjob *j)
{
	if (j->failed)
		diag_die(SP_EXIT_FAIL, z->label, 0, "zip: %s: deflate failed",
		    z->name);
	out(z, j->out, j->outlen);
	z->csize += j->outlen;
	z->crc = (uint32_t)crc32_combine64(z->crc, j->crc, (z_off64_t)j->inlen);
	j->inlen = j->outlen = 0;
	j->state = J_FREE;
}

/* Write the finished blocks in order; with wait, until all are written
 * (all 1) or until the oldest one is (all 0). */
static void
pool_collect(struct pack_zip *z, int wait, int all)
{
	struct zpool *p = z->pool;
	struct zjob *j;

	pthread_mutex_lock(&p->mu);
	while (p->head < p->submitted) {
		j = &p->jobs[p->head % p->njobs];
		if (j->state != J_DONE) {
			if (!wait)
				break;
			pthread_cond_wait(&p->done, &p->mu);
			continue;
		}
		p->head++;
		pthread_mutex_unlock(&p->mu);
		job_emit(z, j);		/* the slot is ours: no lock needed */
		pthread_mutex_lock(&p->mu);
		if (!all)
			wait = 0;
	}
	pthread_mutex_unlock(&p->mu);
}

/* A block to fill: the solo one, or a free slot of the ring (waiting for
 * the oldest block to be written when all are in flight). */
static struct zjob *
next_job(struct pack_zip *z)
{
	struct zpool *p = z->pool;
	struct zjob *j;

	if (p == NULL) {
		if (z->solo.in == NULL)
			job_alloc(&z->solo);
		return &z->solo;
	}
	if (p->submitted - p->head == p->njobs)
		pool_collect(z, 1, 0);
	j = &p->jobs[p->submitted % p->njobs];
	j->inlen = 0;
	return j;
}

/* The block is complete: give it the dictionary, deflate it (queue it, or
 * here with one thread), remember its tail as the next dictionary. */
static void
submit(struct pack_zip *z, int last)
{
	struct zjob *j = z->cur;
	size_t keep;

	if (!last && z->pool == NULL && z->nthreads > 1) {
		/* a member of more than one block: start the threads and
		 * move the block into the ring */
		pool_start(z);
		j = next_job(z);
		memcpy(j->in, z->solo.in, z->solo.inlen);
		j->inlen = z->solo.inlen;
		z->solo.inlen = 0;
	}
	j->last = last;
	j->dictlen = z->dictlen;
	memcpy(j->dict, z->dict, z->dictlen);
	/* the next dictionary: the last 32 KiB of dict + in */
	if (j->inlen >= DICT_SIZE) {
		memcpy(z->dict, j->in + j->inlen - DICT_SIZE, DICT_SIZE);
		z->dictlen = DICT_SIZE;
	} else {
		keep = DICT_SIZE - j->inlen;
		if (keep > z->dictlen)
			keep = z->dictlen;
		memmove(z->dict, z->dict + z->dictlen - keep, keep);
		memcpy(z->dict + keep, j->in, j->inlen);
		z->dictlen = keep + j->inlen;
	}
	if (z->pool == NULL) {
		job_run(j, &z->zs);
		job_emit(z, j);
	} else {
		pthread_mutex_lock(&z->pool->mu);
		j->state = J_QUEUED;
		z->pool->submitted++;
		pthread_cond_signal(&z->pool->work);
		pthread_mutex_unlock(&z->pool->mu);
		pool_collect(z, 0, 0);
	}
	z->cur = last ? NULL : next_job(z);
}

static void
deflate_feed(struct pack_zip *z, const unsigned char *p, size_t n)
{
	size_t k;

	if (z->cur == NULL) {
		z->cur = next_job(z);
		z->dictlen = 0;
	}
	while (n > 0) {
		if (z->cur->inlen == blk_size)
			submit(z, 0);	/* more follows: not the last block */
		k = blk_size - z->cur->inlen;
		if (k > n)
			k = n;
		memcpy(z->cur->in + z->cur->inlen, p, k);
		z->cur->inlen += k;
		p += k;
		n -= k;
	}
}

/* End of a deflated member: the last block, then every block written. */
static void
deflate_finish(struct pack_zip *z)
{
	if (z->cur == NULL) {		/* empty member */
		z->cur = next_job(z);
		z->dictlen = 0;
	}
	submit(z, 1);
	if (z->pool != NULL)
		pool_collect(z, 1, 1);
}

static void
data_out(struct pack_zip *z, const void *p, size_t n)
{
	if (z->method == 0) {
		out(z, p, n);
		z->csize += n;
		return;
	}
	deflate_feed(z, p, n);
}

/* Upper bound of raw deflate's output for n input bytes (zlib's
 * deflateBound for the default memLevel, no wrapper). */
static uint64_t
deflate_bound(uint64_t n)
{
	return n + (n >> 12) + (n >> 14) + (n >> 25) + 13;
}

static void
decide(struct pack_zip *z)
{
	int store = store_rule(z, z->name, z->head, z->hlen);

	/* storing needs the CRC before the data: known from the manifest, or
	 * computed when the whole member is in the head buffer */
	if (store && !z->mcrc_known) {
		if (z->hlen == z->want) {
			z->mcrc = z->crc;
			z->mcrc_known = 1;
		} else
			store = 0;
	}
	/* deflated data that could cross the zip64 limit when the size does
	 * not: store it so the local header stays right (see the top) */
	if (!store && z->want < lim_size && deflate_bound(z->want) >= lim_size &&
	    z->mcrc_known && !must_deflate(z->name))
		store = 1;
	z->method = store ? 0 : 8;
	if (z->method == 8) {
		zinit(z, &z->zs, &z->zs_init, 6);
		z->crc = 0;	/* the blocks compute it, head included */
	}
	local_header(z);
	z->decided = 1;
	if (z->hlen > 0)
		data_out(z, z->head, z->hlen);
	z->hlen = 0;
}

static void
begin(struct pack_zip *z, const char *name, uint64_t size, int64_t crc,
    int stream, int zip64)
{
	if (z->in_entry)
		diag_die(SP_EXIT_FAIL, z->label, 0, "zip: internal error: "
		    "nested member %s", name);
	z->in_entry = 1;
	z->decided = 0;
	z->name = xstrdup(name);
	z->want = size;
	z->got = 0;
	z->csize = 0;
	z->crc = 0;
	z->hlen = 0;
	z->mcrc_known = crc != PACK_CRC_UNKNOWN;
	z->mcrc = z->mcrc_known ? (uint32_t)crc : 0;
	z->stream = stream;
	z->zip64 = zip64;	/* a streamed member's; local_header decides
				   the others' */
	/* no reason to look at the data first: decide now */
	if (must_deflate(name) || (!z->mcrc_known && size > HEAD_MAX))
		decide(z);
}

void
pack_zip_begin(struct pack_zip *z, const char *name, uint64_t size,
    int64_t crc)
{
	begin(z, name, size, crc, 0, 0);
}

uint64_t
pack_zip_limit(void)
{
	return lim_size;
}

void
pack_zip_begin_stream(struct pack_zip *z, const char *name, int zip64)
{
	/* deflated (decided at once, before its header), so the size and
	 * CRC-32 go in the data descriptor */
	if (!must_deflate(name))
		diag_die(SP_EXIT_FAIL, z->label, 0, "zip: internal error: "
		    "%s streamed, not deflated", name);
	begin(z, name, UINT64_MAX, PACK_CRC_UNKNOWN, 1, zip64);
}

void
pack_zip_write(struct pack_zip *z, const void *buf, size_t n)
{
	const char *p = buf;

	if (n == 0)
		return;
	if (!z->in_entry)
		diag_die(SP_EXIT_FAIL, z->label, 0, "zip: internal error: "
		    "data outside a member");
	if (n > z->want - z->got)
		diag_die(SP_EXIT_FAIL, z->label, 0, "zip: internal error: "
		    "%s longer than announced", z->name);
	z->got += n;
	if (!z->decided) {
		uint64_t hmax = z->want < HEAD_MAX ? z->want : HEAD_MAX;
		size_t k = hmax - z->hlen < n ? (size_t)(hmax - z->hlen) : n;

		memcpy(z->head + z->hlen, p, k);
		z->crc = io_crc32(z->crc, p, k);
		z->hlen += k;
		p += k;
		n -= k;
		if (z->hlen < hmax)
			return;
		decide(z);
	}
	/* deflated data: the blocks compute the CRC-32 (on the threads) */
	if (z->method == 0)
		z->crc = io_crc32(z->crc, p, n);
	data_out(z, p, n);
}

void
pack_zip_end(struct pack_zip *z)
{
	struct pack_zentry *e;
	struct rec r = { .n = 0 };

	if (z->got != z->want && !z->stream)
		diag_die(SP_EXIT_FAIL, z->label, 0, "zip: internal error: "
		    "%s: %llu bytes announced, %llu written", z->name,
		    (unsigned long long)z->want, (unsigned long long)z->got);
	if (z->stream && !z->zip64 && z->got >= lim_size)
		diag_die(SP_EXIT_FAIL, z->label, 0, "zip: %s: reached 4 GiB, "
		    "more than its estimate allowed for: cannot write its "
		    "descriptor", z->name);
	if (!z->decided)
		decide(z);
	if (z->method == 8)
		deflate_finish(z);
	if (z->mcrc_known && z->crc != z->mcrc)
		diag_die(SP_EXIT_FAIL, z->label, 0, "zip: %s: the data's "
		    "CRC-32 is %08lx, the package manifest says %08lx: the "
		    "member changed while it was read", z->name,
		    (unsigned long)z->crc, (unsigned long)z->mcrc);
	if (z->method == 8) {
		if (!z->zip64 && z->csize >= lim_size)
			diag_die(SP_EXIT_FAIL, z->label, 0, "zip: %s: deflated "
			    "data reached 4 GiB, its size did not: cannot "
			    "write its descriptor", z->name);
		put32(&r, 0x08074b50);
		put32(&r, z->crc);
		if (z->zip64) {
			put64(&r, z->csize);
			put64(&r, z->got);
		} else {
			put32(&r, (uint32_t)z->csize);
			put32(&r, (uint32_t)z->got);
		}
		out(z, r.b, r.n);
	}
	if (z->n == z->cap) {
		z->cap = z->cap ? z->cap * 2 : 64;
		z->ent = xreallocarray(z->ent, z->cap, sizeof(*z->ent));
	}
	e = &z->ent[z->n++];
	e->name = z->name;
	e->size = z->got;
	e->crc = z->crc;
	e->csize = z->csize;
	e->offset = z->off;
	e->method = (uint16_t)z->method;
	e->flags = flags_of(z);
	e->zip64 = z->zip64;
	z->name = NULL;
	z->in_entry = 0;
}

void
pack_zip_close(struct pack_zip *z)
{
	struct rec r;
	uint64_t cd_off = z->bytes, cd_size, z64_off;
	size_t i, nlen;

	if (z->in_entry)
		diag_die(SP_EXIT_FAIL, z->label, 0, "zip: internal error: "
		    "%s not ended", z->name);
	for (i = 0; i < z->n; i++) {
		const struct pack_zentry *e = &z->ent[i];
		int big = e->zip64 || e->size >= lim_size ||
		    e->csize >= lim_size || e->offset >= lim_size;
		uint16_t xlen = (uint16_t)((e->size >= lim_size ? 8 : 0) +
		    (e->csize >= lim_size ? 8 : 0) +
		    (e->offset >= lim_size ? 8 : 0));

		r.n = 0;
		nlen = strlen(e->name);
		put32(&r, 0x02014b50);
		put16(&r, VER_MADE_BY);
		put16(&r, big ? VER_ZIP64 : VER_NEEDED);
		put16(&r, e->flags);
		put16(&r, e->method);
		put16(&r, z->dos_time);
		put16(&r, z->dos_date);
		put32(&r, e->crc);
		put32(&r, cap32(e->csize));
		put32(&r, cap32(e->size));
		put16(&r, (uint32_t)nlen);
		put16(&r, xlen ? xlen + 4u : 0);
		put16(&r, 0);		/* comment */
		put16(&r, 0);		/* disk */
		put16(&r, 0);		/* internal attributes */
		put32(&r, EXT_ATTR);
		put32(&r, cap32(e->offset));
		out(z, r.b, r.n);
		out(z, e->name, nlen);
		if (xlen) {
			r.n = 0;
			put16(&r, 0x0001);
			put16(&r, xlen);
			if (e->size >= lim_size)
				put64(&r, e->size);
			if (e->csize >= lim_size)
				put64(&r, e->csize);
			if (e->offset >= lim_size)
				put64(&r, e->offset);
			out(z, r.b, r.n);
		}
	}
	cd_size = z->bytes - cd_off;
	if (z->n >= lim_count || cd_size >= lim_size || cd_off >= lim_size) {
		z64_off = z->bytes;
		r.n = 0;
		put32(&r, 0x06064b50);		/* zip64 EOCD record (4.3.14) */
		put64(&r, 44);
		put16(&r, VER_MADE_BY);
		put16(&r, VER_ZIP64);
		put32(&r, 0);
		put32(&r, 0);
		put64(&r, z->n);
		put64(&r, z->n);
		put64(&r, cd_size);
		put64(&r, cd_off);
		put32(&r, 0x07064b50);		/* locator (4.3.15) */
		put32(&r, 0);
		put64(&r, z64_off);
		put32(&r, 1);
		out(z, r.b, r.n);
	}
	r.n = 0;
	put32(&r, 0x06054b50);			/* EOCD (4.3.16) */
	put16(&r, 0);
	put16(&r, 0);
	put16(&r, z->n >= lim_count ? 0xFFFFu : (uint32_t)z->n);
	put16(&r, z->n >= lim_count ? 0xFFFFu : (uint32_t)z->n);
	put32(&r, cap32(cd_size));
	put32(&r, cap32(cd_off));
	put16(&r, 0);
	out(z, r.b, r.n);
	oflush(z);
}

size_t
pack_zip_entries(const struct pack_zip *z, const struct pack_zentry **e)
{
	*e = z->ent;
	return z->n;
}

uint64_t
pack_zip_bytes(const struct pack_zip *z)
{
	return z->bytes;
}

void
pack_zip_free(struct pack_zip *z)
{
	size_t i;

	if (z == NULL)
		return;
	pool_stop(z->pool);
	job_free(&z->solo);
	if (z->zs_init)
		deflateEnd(&z->zs);
	if (z->trial_init)
		deflateEnd(&z->trial);
	for (i = 0; i < z->n; i++)
		free(z->ent[i].name);
	free(z->ent);
	free(z->name);
	free(z->obuf);
	free(z->head);
	free(z->dict);
	free(z);
}
