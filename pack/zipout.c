/*
 * zipout.c - the reproducible zip writer (libarchive's zip format).
 *
 * Reproducibility: the same members give the same bytes.
 *  - every member: regular file, mode 0644, uid/gid 0, no owner names,
 *    mtime PACK_ZIP_MTIME (2000-01-01 00:00:00 UTC).  libarchive converts
 *    the mtime to the DOS date/time fields with localtime(), so TZ is set
 *    to UTC in the process before the first header is written; the
 *    extended-timestamp extra field then holds the same fixed mtime.
 *  - names are written as raw bytes (the program never calls setlocale(),
 *    so libarchive neither converts them nor sets the UTF-8 flag based on
 *    the caller's locale); member order is the caller's.
 *  - deflate level fixed (6) so a libarchive default change cannot alter
 *    the output; store vs deflate is decided in one place,
 *    pack_zip_store().
 *  - output goes through our own write callback, so a file and a pipe get
 *    the same bytes (no block padding: bytes_in_last_block = 1).
 * Sizes are always known when a member starts (entities.xml is spooled by
 * the caller), so libarchive uses Zip64 extensions only where they are
 * needed (a member or the archive beyond 4 GiB).  libarchive never knows
 * the CRC in advance, so every member carries a data descriptor (general
 * purpose bit 3), as Commons Compress does for streamed entries.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <archive.h>
#include <archive_entry.h>

#include "diag.h"
#include "io.h"
#include "pack.h"

struct pack_zip {
	struct archive		*a;
	int			 fd;
	const char		*label;
	uint64_t		 bytes;
	struct pack_zentry	*ent;
	size_t			 n, cap;
	int			 in_entry;
	uint64_t		 want, got;
	uint32_t		 crc;
	char			*name;
};

/*
 * Store or deflate?  Everything is deflated: Java's ZipInputStream (which
 * an importer may use) refuses STORED entries that have a data descriptor,
 * and libarchive writes a data descriptor for every entry.  Keep this the
 * single switch if already-compressed media should be stored one day.
 */
int
pack_zip_store(const char *name)
{
	(void)name;
	return 0;
}

static void
zdie(struct pack_zip *z, const char *what)
{
	diag_die(SP_EXIT_FAIL, z->label, 0, "zip: %s: %s", what,
	    archive_error_string(z->a) != NULL ? archive_error_string(z->a) :
	    "error");
}

static la_ssize_t
zwrite(struct archive *a, void *ctx, const void *buf, size_t n)
{
	struct pack_zip *z = ctx;

	(void)a;
	io_write_all(z->fd, buf, n, z->label);
	z->bytes += n;
	return (la_ssize_t)n;
}

struct pack_zip *
pack_zip_open(int fd, const char *label)
{
	struct pack_zip *z = xcalloc(1, sizeof(*z));

	setenv("TZ", "UTC", 1);
	tzset();
	z->fd = fd;
	z->label = label;
	z->a = archive_write_new();
	if (z->a == NULL)
		diag_die(SP_EXIT_FAIL, label, 0, "zip: out of memory");
	if (archive_write_set_format_zip(z->a) != ARCHIVE_OK)
		zdie(z, "format");
	if (archive_write_set_format_option(z->a, "zip", "compression-level",
	    "6") != ARCHIVE_OK)
		zdie(z, "compression-level");
	if (archive_write_set_bytes_per_block(z->a, 65536) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(z->a, 1) != ARCHIVE_OK)
		zdie(z, "blocking");
	if (archive_write_open(z->a, z, NULL, zwrite, NULL) != ARCHIVE_OK)
		zdie(z, "open");
	return z;
}

void
pack_zip_begin(struct pack_zip *z, const char *name, uint64_t size)
{
	struct archive_entry *e;

	if (z->in_entry)
		diag_die(SP_EXIT_FAIL, z->label, 0, "zip: internal error: "
		    "nested member %s", name);
	/* per member; the format options can only be set before open */
	if ((pack_zip_store(name) ?
	    archive_write_zip_set_compression_store(z->a) :
	    archive_write_zip_set_compression_deflate(z->a)) != ARCHIVE_OK)
		zdie(z, "compression");
	e = archive_entry_new();
	archive_entry_copy_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_mtime(e, PACK_ZIP_MTIME, 0);
	if (archive_write_header(z->a, e) != ARCHIVE_OK)
		zdie(z, name);
	archive_entry_free(e);
	z->in_entry = 1;
	z->want = size;
	z->got = 0;
	z->crc = 0;
	z->name = xstrdup(name);
}

void
pack_zip_write(struct pack_zip *z, const void *buf, size_t n)
{
	const char *p = buf;

	if (n == 0)
		return;
	if (z->got + n > z->want)
		diag_die(SP_EXIT_FAIL, z->label, 0, "zip: internal error: "
		    "%s longer than announced", z->name);
	z->crc = io_crc32(z->crc, buf, n);
	z->got += n;
	while (n > 0) {
		la_ssize_t w = archive_write_data(z->a, p, n);

		if (w <= 0)
			zdie(z, z->name);
		p += w;
		n -= (size_t)w;
	}
}

void
pack_zip_end(struct pack_zip *z)
{
	struct pack_zentry *e;

	if (z->got != z->want)
		diag_die(SP_EXIT_FAIL, z->label, 0, "zip: internal error: "
		    "%s: %llu bytes announced, %llu written", z->name,
		    (unsigned long long)z->want, (unsigned long long)z->got);
	if (archive_write_finish_entry(z->a) != ARCHIVE_OK)
		zdie(z, z->name);
	if (z->n == z->cap) {
		z->cap = z->cap ? z->cap * 2 : 64;
		z->ent = xreallocarray(z->ent, z->cap, sizeof(*z->ent));
	}
	e = &z->ent[z->n++];
	e->name = z->name;
	e->size = z->got;
	e->crc = z->crc;
	z->name = NULL;
	z->in_entry = 0;
}

void
pack_zip_close(struct pack_zip *z)
{
	if (archive_write_close(z->a) != ARCHIVE_OK)
		zdie(z, "close");
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
	if (z->a != NULL)
		archive_write_free(z->a);
	for (i = 0; i < z->n; i++)
		free(z->ent[i].name);
	free(z->ent);
	free(z->name);
	free(z);
}
