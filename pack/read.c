/*
 * read.c - the order in which pack meets the package's members.
 *
 * The zip begins with the descriptor and entities.xml, and entities.xml
 * is rewritten with relations.tsv and the descriptor in hand: those
 * three are the head, every member up to the last of them in the
 * manifest's order.  Any other member inside the head (a newer writer's
 * member before the descriptor, which docs/package-format.md section 7
 * calls a compatible change) cannot go into the zip yet: it is held in
 * an unlinked spool file, checked as it is read like every member, and
 * written right after the head, in the order it came.  A package in
 * extract's or convert's order holds nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "io.h"
#include "pkg.h"
#include "pack.h"

#define COPYBUF	(64 * 1024)

struct pack_held {
	const struct pkg_member **m;	/* in the order they came */
	size_t		 n;
	struct spool	 sp;		/* their bytes, one after another */
};

long
pack_head_end(const struct manifest *mf)
{
	static const char *const head[] = {
		PKG_RELATIONS, PKG_DESCRIPTOR, PKG_ENTITIES
	};

	return manifest_last_of(mf, head, sizeof(head) / sizeof(head[0]));
}

void
pack_hold(struct pack_held **hp, struct pkg_in *in, const struct pkg_member *m)
{
	struct pack_held *h = *hp;
	char *buf = xmalloc(COPYBUF);
	size_t r;

	if (h == NULL) {
		h = *hp = xcalloc(1, sizeof(*h));
		spool_open(&h->sp);
	}
	h->m = xreallocarray(h->m, h->n + 1, sizeof(*h->m));
	h->m[h->n++] = m;
	while ((r = pkg_read(in, buf, COPYBUF)) > 0)	/* checked at its end */
		spool_write(&h->sp, buf, r);
	free(buf);
}

void
pack_held_write(struct pack_held **hp, struct pack_zip *zip,
    struct pack_stats *st)
{
	struct pack_held *h = *hp;
	char *buf;
	uint64_t left;
	size_t i, r;

	if (h == NULL)
		return;
	buf = xmalloc(COPYBUF);
	spool_finish(&h->sp);
	for (i = 0; i < h->n; i++) {
		pack_zip_begin(zip, h->m[i]->name, h->m[i]->size, h->m[i]->crc);
		for (left = h->m[i]->size; left > 0; left -= r) {
			r = io_read(h->sp.fd, buf, left < COPYBUF ?
			    (size_t)left : COPYBUF, "held member spool");
			if (r == 0)
				diag_die(SP_EXIT_FAIL, h->m[i]->name, 0,
				    "spool file ended early");
			pack_zip_write(zip, buf, r);
		}
		pack_zip_end(zip);	/* checks the CRC-32 again */
		pack_count_copied(st, h->m[i]->name, h->m[i]->size);
	}
	free(buf);
	spool_close(&h->sp);
	free(h->m);
	free(h);
	*hp = NULL;
}

void
pack_count_copied(struct pack_stats *st, const char *name, uint64_t size)
{
	if (strncmp(name, "attachments/", 12) == 0) {
		st->attachments++;
		st->attachment_bytes += size;
	}
}
