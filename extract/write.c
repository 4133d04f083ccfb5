/*
 * write.c - writing the package (docs/package-format.md section 2).
 *
 * The package is begun before the scan (write_begin): the manifest gives
 * the facts known then and every member's name, with the size and CRC-32
 * of those the zip's central directory describes; entities.xml streams
 * out as the scan sanitises it, so that the next stage starts on it while
 * this one is still reading the zip.  What only the whole scan tells (the
 * user table, the relations, the counts) follows it: users.tsv,
 * relations.tsv, a facts record, the descriptor.  The other members then
 * go out in strcmp
 * order during a second pass over the zip, which meets them in storage
 * order: a member whose turn has come streams straight through, one that
 * comes early waits in a spool file.  An export stored in sorted order
 * (or nearly) therefore streams with no extra copy.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "extract.h"
#include "report.h"
#include "strbuf.h"

#include "version.h"
#define IOBUF (256 * 1024)

static int
is_special(const char *name)
{
	return strcmp(name, PKG_ENTITIES) == 0 ||
	    strcmp(name, PKG_DESCRIPTOR) == 0;
}

static void
facts(struct extract *x, struct manifest *m, uint64_t nusers)
{
	const struct zipin_entry *e;
	uint64_t files = 0, bytes = 0;
	size_t n, i;
	char key[256];
	int k;

	manifest_set(m, "writer", x->legacy_collections ? "legacy" : "new");
	for (i = 0; i < x->desc.n; i++) {
		snprintf(key, sizeof(key), "descriptor.%s", x->desc.key[i]);
		manifest_set(m, key, x->desc.val[i]);
	}
	manifest_setu(m, "count.objects", x->objects);
	for (i = 0; i < x->ncls; i++) {
		snprintf(key, sizeof(key), "count.object.%s", x->cls[i].cls);
		manifest_setu(m, key, x->cls[i].n);
	}
	manifest_setu(m, "count.users", nusers);
	manifest_setu(m, "count.attachment-objects", x->att_objects);
	n = zipin_entries(x->zip, &e);
	for (i = 0; i < n; i++)
		if (strncmp(e[i].name, "attachments/", 12) == 0) {
			files++;
			bytes += e[i].size;
		}
	manifest_setu(m, "count.attachment-files", files);
	manifest_setu(m, "count.attachment-bytes", bytes);
	for (k = 0; k < REF_NKINDS; k++) {
		snprintf(key, sizeof(key), "ref.%s",
		    ref_kind_name((enum ref_kind)k));
		manifest_setu(m, key, x->refs[k]);
	}
	manifest_setu(m, "sanitize.control-chars", x->san.control);
	manifest_setu(m, "sanitize.invalid-utf8", x->san.invalid);
	manifest_setu(m, "sanitize.noncharacters", x->san.nonchar);
	manifest_setu(m, "sanitize.cdata-escapes", x->cdata_escapes);
	manifest_setu(m, "findings", report_count());
}

static void
copy_member(struct extract *x, struct pkg_out *o, const char *name,
    uint64_t size, char *buf)
{
	size_t r;

	pkg_begin(o, name, size);
	while ((r = zipin_read(x->zip, buf, IOBUF)) > 0)
		pkg_write(o, buf, r);
	pkg_end(o);
}

struct early {
	int		 fd;		/* spool for members met before their turn */
	uint64_t	 end;
	uint64_t	*off;		/* per sorted member: offset, or UINT64_MAX */
};

static void
put_early(struct extract *x, struct pkg_out *o, struct early *ea, size_t i,
    const struct zipin_entry *e, char *buf)
{
	uint64_t left = e->size, at = ea->off[i];
	ssize_t r;

	pkg_begin(o, e->name, e->size);
	while (left > 0) {
		r = pread(ea->fd, buf, left < IOBUF ? (size_t)left : IOBUF,
		    (off_t)at);
		if (r <= 0)
			diag_die(SP_EXIT_FAIL, "spool file", 0, "read failed: %s",
			    r < 0 ? strerror(errno) : "short file");
		pkg_write(o, buf, (size_t)r);
		at += (uint64_t)r;
		left -= (uint64_t)r;
	}
	pkg_end(o);
}

void
write_begin(struct extract *x, enum pkg_outkind kind, const char *path)
{
	struct manifest m;
	const struct zipin_entry *e, *d;
	size_t n, i;

	d = zipin_entry(x->zip, PKG_DESCRIPTOR);
	if (d == NULL || zipin_entry(x->zip, PKG_ENTITIES) == NULL)
		return;		/* not an export: first_pass says so */
	manifest_init(&m);
	manifest_set(&m, "stage", "extract");
	manifest_set(&m, "producer", "spaceport-extract " SPACEPORT_VERSION);
	manifest_setu(&m, PKG_FACT_MAX_OBJECT, x->max_object);
	manifest_add_streamed(&m, PKG_ENTITIES);
	manifest_add_streamed(&m, PKG_USERS);
	manifest_add_streamed(&m, PKG_RELATIONS);
	manifest_add_member(&m, PKG_DESCRIPTOR, d->size, d->crc);
	n = zipin_entries(x->zip, &e);
	for (i = 0; i < n; i++)
		if (!is_special(e[i].name))
			manifest_add_member(&m, e[i].name, e[i].size, e[i].crc);
	manifest_setu(&m, "count.members", m.nmem);
	x->out = pkg_create(kind, path);
	pkg_put_manifest(x->out, &m);
	pkg_begin(x->out, PKG_ENTITIES, PKG_SIZE_UNKNOWN);
	manifest_free(&m);
}

void
write_entities_data(struct extract *x, const void *buf, size_t n)
{
	if (x->out != NULL)
		pkg_write(x->out, buf, n);
}

void
write_package(struct extract *x)
{
	struct manifest m;
	struct strbuf users = STRBUF_INIT;
	struct spool rel;
	const struct zipin_entry *e;
	struct early ea;
	struct pkg_out *o = x->out;
	const char *name;
	uint64_t size;
	size_t n, i, next = 0, idx;
	char *buf;

	pkg_end(o);
	users_tsv(x->final, x->nfinal, &users);
	pkg_put(o, PKG_USERS, users.buf, users.len);
	sb_free(&users);
	spool_open(&rel);
	relations_tsv(x, &rel);
	spool_finish(&rel);
	pkg_put_fd(o, PKG_RELATIONS, rel.fd, rel.size);
	spool_close(&rel);
	/* What the scan learned, before the members that follow. */
	manifest_init(&m);
	facts(x, &m, x->nfinal);
	pkg_facts(o, &m);
	manifest_free(&m);
	pkg_flush_facts(o);
	pkg_put(o, PKG_DESCRIPTOR, x->desc_raw.buf, x->desc_raw.len);
	n = zipin_entries(x->zip, &e);
	/* The rest, in sorted order (e[] is sorted). */
	buf = xmalloc(IOBUF);
	memset(&ea, 0, sizeof(ea));
	ea.fd = -1;
	ea.off = xreallocarray(NULL, n + 1, sizeof(*ea.off));
	for (i = 0; i < n; i++)
		ea.off[i] = UINT64_MAX;
	while (next < n && is_special(e[next].name))
		next++;
	zipin_rewind(x->zip);
	while (zipin_next(x->zip, &name, &size)) {
		if (is_special(name))
			continue;
		if (next < n && strcmp(name, e[next].name) == 0) {
			copy_member(x, o, name, size, buf);
			next++;
		} else {
			const struct zipin_entry *hit = zipin_entry(x->zip, name);
			struct spool s;
			size_t r;

			if (hit == NULL)
				diag_die(SP_EXIT_FAIL, zipin_label(x->zip), 0,
				    "member %s appeared on the second pass only",
				    name);
			idx = (size_t)(hit - e);
			if (ea.fd == -1) {
				spool_open(&s);
				ea.fd = s.fd;
				free(s.buf);
			}
			ea.off[idx] = ea.end;
			while ((r = zipin_read(x->zip, buf, IOBUF)) > 0) {
				io_write_all(ea.fd, buf, r, "spool file");
				ea.end += r;
			}
		}
		/* Members now due that were met early. */
		while (next < n && (is_special(e[next].name) ||
		    ea.off[next] != UINT64_MAX)) {
			if (!is_special(e[next].name))
				put_early(x, o, &ea, next, &e[next], buf);
			next++;
		}
	}
	if (next != n)
		diag_die(SP_EXIT_FAIL, zipin_label(x->zip), 0, "member %s "
		    "missing on the second pass", e[next].name);
	pkg_commit(o);
	x->out = NULL;
	if (ea.fd != -1)
		close(ea.fd);
	free(ea.off);
	free(buf);
}
