/*
 * zipin.c - reading a Confluence export zip safely (see zipin.h).
 *
 * libarchive's "seekable" zip reader is used: it reads the central
 * directory, so entries written with data descriptors (sizes after the
 * data, as Confluence 8.3+ writes them) and Zip64 entries have their real
 * sizes up front.  A pipe is spooled to an unlinked temporary file first;
 * both paths then run the same code, so they give the same result.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "diag.h"
#include "io.h"
#include "progress.h"
#include "safename.h"
#include "zipin.h"

#define IOBUF (256 * 1024)

struct zipin {
	char		*label;
	int		 fd;
	uint64_t	 fsize;
	struct zipin_limits lim;
	struct archive	*ar;
	struct zipin_entry *ent;	/* sorted regular members */
	size_t		 nent;
	/* current member */
	char		*cur;
	uint64_t	 declared, got;
	int		 inmember;
	unsigned char	*counted;	/* per entry: progress has its bytes */
	size_t		 curidx;
};

void
zipin_default_limits(struct zipin_limits *l)
{
	l->max_member = ZIPIN_DEFAULT_MAX_MEMBER;
	l->max_total = ZIPIN_DEFAULT_MAX_TOTAL;
	l->max_ratio = ZIPIN_DEFAULT_MAX_RATIO;
	l->max_members = ZIPIN_DEFAULT_MAX_MEMBERS;
}

const char *
zipin_label(const struct zipin *z)
{
	return z->label;
}

static void
zdie(struct zipin *z, const char *what)
{
	const char *e = z->ar != NULL ? archive_error_string(z->ar) : NULL;
	char b[512];

	diag_die(SP_EXIT_FAIL, z->label, 0, "%s%s%s", what,
	    e != NULL ? ": " : "", e != NULL ? diag_lib_msg(e, b, sizeof(b)) : "");
}

/* Copy a non-seekable input to an unlinked temporary file. */
static int
spool_input(struct zipin *z, int in)
{
	struct spool s;
	char *buf = xmalloc(IOBUF);
	size_t r;

	spool_open(&s);
	while ((r = io_read(in, buf, IOBUF, z->label)) > 0) {
		io_write_all(s.fd, buf, r, "spool file");
		progress_bytes(r);	/* of an unknown total */
		s.size += r;
		if (s.size > z->lim.max_total)
			diag_die(SP_EXIT_FAIL, z->label, 0, "input larger than "
			    "the total size limit (%" PRIu64 " bytes; raise with "
			    "--max-total)", z->lim.max_total);
	}
	free(buf);
	progress_phase();	/* now the export's members */
	if (lseek(s.fd, 0, SEEK_SET) == -1)
		diag_die(SP_EXIT_FAIL, "spool file", 0, "seek: %s",
		    strerror(errno));
	z->fsize = s.size;
	free(s.buf);
	return s.fd;
}

void
zipin_rewind(struct zipin *z)
{
	if (z->ar != NULL)
		archive_read_free(z->ar);
	if (lseek(z->fd, 0, SEEK_SET) == -1)
		diag_die(SP_EXIT_FAIL, z->label, 0, "seek: %s", strerror(errno));
	z->ar = archive_read_new();
	if (z->ar == NULL)
		diag_die(SP_EXIT_FAIL, NULL, 0, "out of memory");
	/* Confluence (Java) writes names in UTF-8; say so, so that names
	 * are not converted through the C locale (we never call setlocale). */
	if (archive_read_support_format_zip_seekable(z->ar) != ARCHIVE_OK ||
	    archive_read_set_format_option(z->ar, "zip", "hdrcharset",
	    "UTF-8") != ARCHIVE_OK)
		zdie(z, "cannot set up the zip reader");
	if (archive_read_open_fd(z->ar, z->fd, IOBUF) != ARCHIVE_OK)
		zdie(z, "not a readable zip archive (truncated or corrupt?)");
	z->inmember = 0;
	free(z->cur);
	z->cur = NULL;
}


/*
 * CRC-32s from the central directory.
 *
 * Hand-rolled because libarchive checks each entry's CRC-32 while it
 * inflates but does not expose the stored value, and the package manifest
 * must list every member's CRC-32 before the first byte of data is
 * written.  Only what is needed is read: the end-of-central-directory
 * record (and its Zip64 form), then each central header's CRC and name.
 * libarchive remains the reader of the data, and pkg_end() checks the
 * bytes actually copied against these values, so a lie here is caught.
 */
static uint16_t
le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint64_t
le64(const unsigned char *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static void
pread_all(struct zipin *z, void *buf, size_t n, uint64_t off)
{
	ssize_t r;
	size_t got = 0;

	while (got < n) {
		r = pread(z->fd, (char *)buf + got, n - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			diag_die(SP_EXIT_FAIL, z->label, 0, "cannot read the zip "
			    "central directory (truncated?)");
		got += (size_t)r;
	}
}

static int
cmp_ent(const void *a, const void *b)
{
	return strcmp(((const struct zipin_entry *)a)->name,
	    ((const struct zipin_entry *)b)->name);
}

static void
read_crcs(struct zipin *z)
{
	unsigned char tail[65536 + 22], *e = NULL, rec[56], *cd, *p, *end;
	uint64_t cdoff, cdsize, taillen, i;
	struct zipin_entry key, *hit;

	if (z->fsize < 22)
		diag_die(SP_EXIT_FAIL, z->label, 0, "too short to be a zip "
		    "archive");
	taillen = z->fsize < sizeof(tail) ? z->fsize : sizeof(tail);
	pread_all(z, tail, (size_t)taillen, z->fsize - taillen);
	for (i = taillen - 22 + 1; i-- > 0;)
		if (le32(tail + i) == 0x06054b50) {
			e = tail + i;
			break;
		}
	if (e == NULL)
		diag_die(SP_EXIT_FAIL, z->label, 0, "no end of central "
		    "directory record (truncated or not a zip)");
	cdsize = le32(e + 12);
	cdoff = le32(e + 16);
	if ((cdoff == 0xffffffffu || cdsize == 0xffffffffu) && e >= tail + 20 &&
	    le32(e - 20) == 0x07064b50) {
		/* Zip64 locator precedes the EOCD; it points at the record. */
		pread_all(z, rec, 56, le64(e - 20 + 8));
		if (le32(rec) != 0x06064b50)
			diag_die(SP_EXIT_FAIL, z->label, 0, "bad zip64 end of "
			    "central directory record");
		cdsize = le64(rec + 40);
		cdoff = le64(rec + 48);
	}
	if (cdoff > z->fsize || cdsize > z->fsize - cdoff || cdsize > (1ULL << 32))
		diag_die(SP_EXIT_FAIL, z->label, 0, "central directory out of "
		    "bounds (truncated or corrupt zip)");
	/* No member to match (libarchive listed none): nothing to look up,
	 * and bsearch() on a NULL, empty array is undefined behaviour. */
	if (z->nent == 0)
		return;
	cd = xmalloc((size_t)cdsize + 1);
	pread_all(z, cd, (size_t)cdsize, cdoff);
	end = cd + cdsize;
	for (p = cd; p + 46 <= end && le32(p) == 0x02014b50;) {
		size_t nlen = le16(p + 28), xlen = le16(p + 30), clen = le16(p + 32);

		if (p + 46 + nlen > end)
			break;
		key.name = xstrndup((char *)p + 46, nlen);
		hit = bsearch(&key, z->ent, z->nent, sizeof(*z->ent), cmp_ent);
		if (hit != NULL) {
			hit->crc = le32(p + 16);
			hit->crc_found = 1;
		}
		free(key.name);
		p += 46 + nlen + xlen + clen;
	}
	free(cd);
	for (i = 0; i < z->nent; i++)
		if (!z->ent[i].crc_found)
			diag_die(SP_EXIT_FAIL, z->label, 0, "member %s is not in "
			    "the central directory (corrupt zip)", z->ent[i].name);
}

/* Header of the next entry, with every check that does not need data. */
static int
next_header(struct zipin *z, struct archive_entry **ep)
{
	int r;

	for (;;) {
		const char *name;
		size_t n;
		mode_t type;

		r = archive_read_next_header(z->ar, ep);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			zdie(z, "corrupt zip archive");
		name = archive_entry_pathname_utf8(*ep);
		if (name == NULL)
			diag_die(SP_EXIT_FAIL, z->label, 0, "a member name is not "
			    "valid utf-8 (confluence writes utf-8 names)");
		type = archive_entry_filetype(*ep);
		n = strlen(name);
		if (type == AE_IFDIR || (n > 0 && name[n - 1] == '/')) {
			char *d = xstrndup(name, n > 0 ? n - 1 : 0);
			int ok = n == 1 || pkg_name_ok(d);

			free(d);
			if (!ok)
				diag_die(SP_EXIT_FAIL, z->label, 0, "unsafe member "
				    "name %s (absolute, with .. or a control "
				    "character)", name);
			continue;
		}
		if (!pkg_name_ok(name))
			diag_die(SP_EXIT_FAIL, z->label, 0, "unsafe member name "
			    "%s (absolute, with .., a backslash or a control "
			    "character)", name);
		if (type == AE_IFLNK)
			diag_die(SP_EXIT_FAIL, z->label, 0, "member %s is a "
			    "symbolic link; refusing", name);
		if (type != AE_IFREG)
			diag_die(SP_EXIT_FAIL, z->label, 0, "member %s is not a "
			    "regular file; refusing", name);
		if (archive_entry_is_encrypted(*ep))
			diag_die(SP_EXIT_FAIL, z->label, 0, "member %s is "
			    "encrypted; refusing", name);
		if (!archive_entry_size_is_set(*ep))
			diag_die(SP_EXIT_FAIL, z->label, 0, "member %s has no "
			    "recorded size", name);
		return 1;
	}
}

static void	zipin_free(void *);

struct zipin *
zipin_open(const char *path, const struct zipin_limits *lim)
{
	struct zipin *z = xcalloc(1, sizeof(*z));
	struct archive_entry *e;
	struct stat st;
	uint64_t total = 0, size;
	size_t cap = 0, i;
	int fd;

	z->lim = *lim;
	z->fd = -1;
	diag_atexit(zipin_free, z);	/* a refusal below frees it too */
	if (path == NULL || strcmp(path, "-") == 0) {
		z->label = xstrdup("<stdin>");
		fd = 0;
	} else {
		z->label = xstrdup(path);
		fd = open(path, O_RDONLY);
		if (fd == -1)
			diag_die(SP_EXIT_FAIL, path, 0, "%s", strerror(errno));
	}
	if (fstat(fd, &st) == -1)
		diag_die(SP_EXIT_FAIL, z->label, 0, "%s", strerror(errno));
	if (S_ISDIR(st.st_mode))
		diag_die(SP_EXIT_FAIL, z->label, 0, "is a directory, not an "
		    "export zip");
	if (S_ISREG(st.st_mode) && lseek(fd, 0, SEEK_CUR) != -1) {
		z->fd = fd;
		z->fsize = (uint64_t)st.st_size;
	} else {
		z->fd = spool_input(z, fd);
		if (fd != 0)
			close(fd);
	}
	if (z->fsize == 0)
		diag_die(SP_EXIT_FAIL, z->label, 0, "empty input, not a zip "
		    "archive");

	/* Pass over the central directory: names, types, sizes. */
	zipin_rewind(z);
	while (next_header(z, &e)) {
		const char *name = archive_entry_pathname_utf8(e);

		size = (uint64_t)archive_entry_size(e);
		if (size > z->lim.max_member)
			diag_die(SP_EXIT_FAIL, z->label, 0, "member %s is %" PRIu64
			    " bytes, over the member size limit of %" PRIu64
			    " (raise with --max-member)", name, size,
			    z->lim.max_member);
		total += size;
		if (total > z->lim.max_total)
			diag_die(SP_EXIT_FAIL, z->label, 0, "members add up to "
			    "more than the total size limit of %" PRIu64
			    " bytes (raise with --max-total)", z->lim.max_total);
		if (z->nent == cap) {
			cap = cap ? cap * 2 : 256;
			z->ent = xreallocarray(z->ent, cap, sizeof(*z->ent));
		}
		if (z->nent >= z->lim.max_members)
			diag_die(SP_EXIT_FAIL, z->label, 0, "more than %" PRIu64
			    " members", z->lim.max_members);
		z->ent[z->nent].name = xstrdup(name);
		z->ent[z->nent].size = size;
		z->ent[z->nent].crc = 0;
		z->ent[z->nent].crc_found = 0;
		z->nent++;
	}
	/* Whole-archive ratio: libarchive does not expose per-entry
	 * compressed sizes, and actual output is held to the declared sizes
	 * while reading, so the declared total bounds the real cost. */
	if (total / z->fsize > z->lim.max_ratio)
		diag_die(SP_EXIT_FAIL, z->label, 0, "expands %" PRIu64 " times "
		    "(%" PRIu64 " bytes from %" PRIu64 "), over the compression "
		    "ratio limit of %" PRIu64 " (raise with --max-ratio)",
		    total / z->fsize, total, z->fsize, z->lim.max_ratio);
	if (z->nent > 0)
		qsort(z->ent, z->nent, sizeof(*z->ent), cmp_ent);
	for (i = 1; i < z->nent; i++)
		if (strcmp(z->ent[i - 1].name, z->ent[i].name) == 0)
			diag_die(SP_EXIT_FAIL, z->label, 0, "duplicate member "
			    "%s; refusing", z->ent[i].name);
	read_crcs(z);
	z->counted = xcalloc(z->nent ? z->nent : 1, 1);
	if (total > 0)
		progress_total(total);
	zipin_rewind(z);
	return z;
}

int
zipin_next(struct zipin *z, const char **name, uint64_t *size)
{
	struct archive_entry *e;
	char *buf;

	if (z->inmember && z->counted[z->curidx]) {
		/*
		 * Read whole once already (size and CRC-32 checked then): skip
		 * without inflating (libarchive moves past the compressed
		 * bytes when the local header gives their size).  This is
		 * entities.xml again when the package is written.
		 */
		if (archive_read_data_skip(z->ar) != ARCHIVE_OK) {
			char b[512];

			diag_die(SP_EXIT_FAIL, z->label, 0, "%s: cannot skip "
			    "(%s)", z->cur, diag_lib_msg(archive_error_string(
			    z->ar), b, sizeof(b)));
		}
		z->inmember = 0;
	} else if (z->inmember) {
		/* Never read: read through, so that it is checked (size,
		 * CRC-32) like every member the zip holds. */
		buf = xmalloc(IOBUF);
		while (zipin_read(z, buf, IOBUF) > 0)
			;
		free(buf);
	}
	if (!next_header(z, &e))
		return 0;
	free(z->cur);
	z->cur = xstrdup(archive_entry_pathname_utf8(e));
	z->declared = (uint64_t)archive_entry_size(e);
	{
		const struct zipin_entry *hit = zipin_entry(z, z->cur);

		z->curidx = hit != NULL ? (size_t)(hit - z->ent) : 0;
	}
	z->got = 0;
	z->inmember = 1;
	*name = z->cur;
	*size = z->declared;
	return 1;
}

size_t
zipin_read(struct zipin *z, void *buf, size_t n)
{
	la_ssize_t r;

	if (!z->inmember)
		return 0;
	r = archive_read_data(z->ar, buf, n);
	if (r < 0) {
		char b[512];

		diag_die(SP_EXIT_FAIL, z->label, 0, "%s: corrupt data (%s)",
		    z->cur, diag_lib_msg(archive_error_string(z->ar), b,
		    sizeof(b)));
	}
	if (r == 0) {
		z->inmember = 0;
		z->counted[z->curidx] = 1;
		if (z->got != z->declared)
			diag_die(SP_EXIT_FAIL, z->label, 0, "%s: %" PRIu64
			    " bytes where the zip declares %" PRIu64
			    " (truncated or corrupt)", z->cur, z->got,
			    z->declared);
		return 0;
	}
	z->got += (uint64_t)r;
	if (!z->counted[z->curidx])
		progress_bytes((uint64_t)r);	/* each member once */
	if (z->got > z->declared)
		diag_die(SP_EXIT_FAIL, z->label, 0, "%s: inflates beyond its "
		    "declared size of %" PRIu64 " bytes (corrupt or malicious)",
		    z->cur, z->declared);
	return (size_t)r;
}

ssize_t
zipin_read_fn(void *ctx, void *buf, size_t n)
{
	return (ssize_t)zipin_read(ctx, buf, n);
}

size_t
zipin_entries(struct zipin *z, const struct zipin_entry **e)
{
	*e = z->ent;
	return z->nent;
}

const struct zipin_entry *
zipin_entry(struct zipin *z, const char *name)
{
	struct zipin_entry key;

	key.name = (char *)name;
	if (z->nent == 0)
		return NULL;
	return bsearch(&key, z->ent, z->nent, sizeof(*z->ent), cmp_ent);
}

/* Frees everything z holds (zipin_close, and a death before it). */
static void
zipin_free(void *arg)
{
	struct zipin *z = arg;
	size_t i;

	if (z->ar != NULL)
		archive_read_free(z->ar);
	if (z->fd > 0)
		close(z->fd);
	for (i = 0; i < z->nent; i++)
		free(z->ent[i].name);
	free(z->ent);
	free(z->counted);
	free(z->cur);
	free(z->label);
	free(z);
}

void
zipin_close(struct zipin *z)
{
	if (z == NULL)
		return;
	diag_cancel(zipin_free, z);
	zipin_free(z);
}
