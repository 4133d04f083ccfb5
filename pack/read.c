/*
 * read.c - the order in which pack meets the package's members.
 *
 * pack writes the descriptor and entities.xml first in the zip, and
 * entities.xml needs relations.tsv (the collections) and the descriptor
 * (the space key) before it.  Which members that is, is the head: every
 * member up to the last of relations.tsv, the descriptor and
 * entities.xml in the manifest's order.  When entities.xml is the last
 * of them (format 1, and format 2 as convert writes it) it is rewritten
 * as it streams in, while convert is still writing it; otherwise (a
 * format 2 package as extract writes it, packed with --force) it is held
 * in a spool until the head is complete.  Any other member inside the
 * head (a newer writer's addition before the descriptor, which the
 * format allows) is held too and written right after the head.
 */
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "io.h"
#include "pkg.h"
#include "pack.h"

#define COPYBUF (64 * 1024)

long
pack_head_end(const struct manifest *mf)
{
	static const char *const names[] = {
		PKG_RELATIONS, PKG_DESCRIPTOR, PKG_ENTITIES
	};

	return manifest_last_of(mf, names, sizeof(names) / sizeof(names[0]));
}

void
pack_hold(struct pack_held *h, struct pkg_in *in, const struct pkg_member *m)
{
	struct pack_held_member *e;
	char *buf = xmalloc(COPYBUF);
	size_t r;

	h->m = xreallocarray(h->m, h->n + 1, sizeof(*h->m));
	e = &h->m[h->n++];
	e->name = xstrdup(m->name);
	spool_open(&e->sp);
	while ((r = pkg_read(in, buf, COPYBUF)) > 0)
		spool_write(&e->sp, buf, r);
	spool_finish(&e->sp);
	free(buf);
}

void
pack_held_free(struct pack_held *h)
{
	size_t i;

	for (i = 0; i < h->n; i++) {
		free(h->m[i].name);
		spool_close(&h->m[i].sp);
	}
	free(h->m);
	memset(h, 0, sizeof(*h));
}

ssize_t
pack_spool_read(void *ctx, void *buf, size_t n)
{
	struct spool *sp = ctx;

	return (ssize_t)io_read(sp->fd, buf, n, "entities.xml spool");
}
