/*
 * write.c - writing the package (docs/package-format.md §2).
 *
 * Streaming (the usual case): the manifest is written before the scan,
 * listing entities.xml, users.tsv, relations.tsv and content.tsv without
 * sizes (they are made while reading) and the descriptor and every other
 * member with the size and CRC-32 of the zip's central directory; the
 * scan writes entities.xml into the package as it sanitises it; the facts
 * learnt by the scan follow in a facts record, then the three tables and
 * the descriptor.  With --space or --attachments-from the members depend
 * on the scan, and under --strict on standard output nothing may be
 * written before the findings are known: then entities.xml is spooled and
 * the package written after the scan in the version 1 order (users,
 * relations, content, descriptor, entities.xml), every size known.
 *
 * Either way the other members then go out in strcmp order during a
 * second pass over the zip, which meets them in storage order: a member
 * whose turn has come streams straight through, one that comes early
 * waits in a spool file.  An export stored in sorted order (or nearly)
 * therefore streams with no extra copy.
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

/* The facts known before the scan. */
static void
first_facts(struct extract *x, struct manifest *m)
{
	manifest_set(m, "stage", "extract");
	manifest_set(m, "producer", "spaceport-extract " SPACEPORT_VERSION);
	manifest_setu(m, PKG_FACT_MAX_OBJECT, x->max_object);
}

static void
facts(struct extract *x, struct manifest *m, uint64_t nusers)
{
	uint64_t files = 0, bytes = 0;
	size_t i;
	char key[256];
	int k;

	first_facts(x, m);
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
	manifest_setu(m, "count.content-rows", x->content_rows);
	manifest_setu(m, "count.attachment-objects", x->att_objects);
	for (i = 0; i < x->noutm; i++)
		if (strncmp(x->outm[i].name, "attachments/", 12) == 0) {
			files++;
			bytes += x->outm[i].size;
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
    const struct outmem *e, char *buf)
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

/* A file from the attachment store (--attachments-from). */
static void
put_store(struct extract *x, struct pkg_out *o, const struct outmem *e,
    char *buf)
{
	int fd = store_open_file(x->store, e->store);
	uint64_t left = e->size;
	size_t r;

	pkg_begin(o, e->name, e->size);
	while (left > 0 && (r = io_read(fd, buf, left < IOBUF ? (size_t)left :
	    IOBUF, e->store)) > 0) {
		pkg_write(o, buf, r);
		left -= r;
	}
	close(fd);
	if (left > 0)
		diag_die(SP_EXIT_FAIL, x->store_dir, 0, "%s: shrank since it "
		    "was checked", e->store);
	pkg_end(o);	/* the CRC taken at the check is verified here */
}

/* Index of name among x->outm (sorted), or x->noutm. */
static size_t
out_index(struct extract *x, const char *name)
{
	size_t lo = 0, hi = x->noutm, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(name, x->outm[mid].name);
		if (c == 0)
			return mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return x->noutm;
}

/* The members after the fixed ones, from x->outm. */
static void
add_rest(struct extract *x, struct manifest *m)
{
	size_t i;

	for (i = 0; i < x->noutm; i++)
		manifest_add_member(m, x->outm[i].name, x->outm[i].size,
		    x->outm[i].crc);
	manifest_setu(m, "count.members", m->nmem);
}

void
write_stream_begin(struct extract *x, enum pkg_outkind kind, const char *path)
{
	const struct zipin_entry *d = zipin_entry(x->zip, PKG_DESCRIPTOR);
	const struct zipin_entry *en = zipin_entry(x->zip, PKG_ENTITIES);
	struct manifest m;

	if (en == NULL || d == NULL)	/* as first_pass says it */
		diag_die(SP_EXIT_FAIL, zipin_label(x->zip), 0, "no %s: not a "
		    "confluence export", en == NULL ? PKG_ENTITIES :
		    PKG_DESCRIPTOR);
	manifest_init(&m);
	first_facts(x, &m);
	/* for the next stage's progress line: the zip's size before
	 * sanitising (a few bytes off at most) */
	manifest_setu(&m, PKG_FACT_ESTIMATE PKG_ENTITIES, en->size);
	manifest_add_streamed(&m, PKG_ENTITIES);
	manifest_add_streamed(&m, PKG_USERS);
	manifest_add_streamed(&m, PKG_RELATIONS);
	manifest_add_streamed(&m, PKG_CONTENT);
	manifest_add_member(&m, PKG_DESCRIPTOR, d->size, d->crc);
	add_rest(x, &m);
	x->po = pkg_create(kind, path);
	pkg_put_manifest(x->po, &m);
	pkg_begin(x->po, PKG_ENTITIES, PKG_SIZE_UNKNOWN);
	manifest_free(&m);
}

void
write_package(struct extract *x, enum pkg_outkind kind, const char *path)
{
	struct manifest m;
	struct spool users, rel;
	struct uent **u;
	const struct outmem *e;
	struct early ea;
	struct pkg_out *o;
	const char *name;
	uint64_t size;
	size_t nu, n, i, next = 0, idx;
	char *buf;

	u = x->final;
	nu = x->nfinal;
	spool_open(&users);
	users_tsv(u, nu, &users);
	spool_finish(&users);
	spool_open(&rel);
	relations_tsv(x, &rel);
	spool_finish(&rel);
	content_finish(x);

	manifest_init(&m);
	facts(x, &m, nu);
	e = x->outm;
	n = x->noutm;
	if ((o = x->po) != NULL) {
		/* streaming: entities.xml is in, the scan's facts follow
		 * (count.members went out with the manifest) */
		pkg_facts(o, &m);
		pkg_flush_facts(o);
	} else {
		manifest_add_member(&m, PKG_USERS, users.size, users.crc);
		manifest_add_member(&m, PKG_RELATIONS, rel.size, rel.crc);
		manifest_add_member(&m, PKG_CONTENT, x->content.size,
		    x->content.crc);
		manifest_add_member(&m, PKG_DESCRIPTOR, x->desc_raw.len,
		    io_crc32(0, x->desc_raw.buf, x->desc_raw.len));
		manifest_add_member(&m, PKG_ENTITIES, x->ent.size, x->ent.crc);
		add_rest(x, &m);
		o = pkg_create(kind, path);
		pkg_put_manifest(o, &m);
	}
	pkg_put_fd(o, PKG_USERS, users.fd, users.size);
	spool_close(&users);
	pkg_put_fd(o, PKG_RELATIONS, rel.fd, rel.size);
	pkg_put_fd(o, PKG_CONTENT, x->content.fd, x->content.size);
	pkg_put(o, PKG_DESCRIPTOR, x->desc_raw.buf, x->desc_raw.len);
	if (x->po == NULL)
		pkg_put_fd(o, PKG_ENTITIES, x->ent.fd, x->ent.size);
	spool_close(&rel);

	/* The rest, in sorted order (x->outm is sorted).  Zip members come
	 * in storage order: one whose turn has come streams through, one
	 * met early waits in a spool; store files are read when due;
	 * members left out of the package (--space) are skipped. */
	buf = xmalloc(IOBUF);
	memset(&ea, 0, sizeof(ea));
	ea.fd = -1;
	ea.off = xreallocarray(NULL, n + 1, sizeof(*ea.off));
	for (i = 0; i < n; i++)
		ea.off[i] = UINT64_MAX;
	zipin_rewind(x->zip);
	for (;;) {
		/* Members now due that were met early or come from the store. */
		while (next < n && (e[next].store != NULL ||
		    ea.off[next] != UINT64_MAX)) {
			if (e[next].store != NULL)
				put_store(x, o, &e[next], buf);
			else
				put_early(x, o, &ea, next, &e[next], buf);
			next++;
		}
		if (!zipin_next(x->zip, &name, &size))
			break;
		if (is_special(name))
			continue;
		if (next < n && strcmp(name, e[next].name) == 0) {
			copy_member(x, o, name, size, buf);
			next++;
			continue;
		}
		if ((idx = out_index(x, name)) == n)
			continue;		/* not in the package */
		if (idx < next || e[idx].store != NULL ||
		    ea.off[idx] != UINT64_MAX)
			diag_die(SP_EXIT_FAIL, zipin_label(x->zip), 0,
			    "member %s met twice", name);
		{
			struct spool s;
			size_t r;

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
	}
	if (next != n)
		diag_die(SP_EXIT_FAIL, zipin_label(x->zip), 0, "member %s "
		    "missing on the second pass", e[next].name);
	pkg_commit(o);
	x->po = NULL;
	if (ea.fd != -1)
		close(ea.fd);
	free(ea.off);
	free(buf);
	manifest_free(&m);
}
