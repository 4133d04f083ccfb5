/*
 * content.c - spaceport/content.tsv: what a link may point at.
 *
 * One row per space, page, blog post and attachment version of the
 * package, in document order (docs/package-format.md).  convert reads it
 * before entities.xml, so that link normalisation (--server-url,
 * docs/links.md) can resolve a link to a page the body meets before the
 * page itself: convert makes one pass over entities.xml, and an index
 * that came from that pass would only know the pages behind it.
 *
 * The columns:
 *   class      Space, Page, BlogPost or Attachment
 *   id         the object's id
 *   space      Page, BlogPost: the space id
 *   title      Space: its key; Page, BlogPost: the title; Attachment:
 *              the file name
 *   created    Page, BlogPost: creationDate as written
 *   original   Page, BlogPost: the current version's id (historical rows)
 *   live       1 current content (model_is_live), else 0
 *   container  Attachment: the content id holding it
 * An absent value is an empty field.  With --space only the space's own
 * objects are written (the scan sees no other).
 */
#include <string.h>

#include "extract.h"
#include "tsv.h"

static const char header[] =
    "class\tid\tspace\ttitle\tcreated\toriginal\tlive\tcontainer\n";

void
content_init(struct extract *x)
{
	spool_open(&x->content);
	spool_write(&x->content, header, sizeof(header) - 1);
}

static const char *
value(const struct xobj *o, const char *name)
{
	const struct xmember *m = xobj_member(o, name);

	return m != NULL && !m->is_null && m->value != NULL ? m->value : "";
}

static void
row(struct extract *x, const char *const f[8])
{
	struct strbuf *sb = &x->content_row;
	int i;

	sb_reset(sb);
	for (i = 0; i < 8; i++) {
		tsv_add_field(sb, f[i], strlen(f[i]));
		sb_addc(sb, i < 7 ? '\t' : '\n');
	}
	spool_write(&x->content, sb->buf, sb->len);
}

void
content_object(struct extract *x, const struct xobj *o)
{
	struct att_info a;
	const char *f[8];
	const char *orig;

	if (o->cls == NULL || o->id == NULL)
		return;
	memset(f, 0, sizeof(f));
	if (strcmp(o->cls, "Space") == 0) {
		f[0] = "Space";
		f[1] = o->id;
		f[2] = "";
		f[3] = value(o, "key");
		f[4] = f[5] = f[7] = "";
		f[6] = "1";
	} else if (strcmp(o->cls, "Page") == 0 ||
	    strcmp(o->cls, "BlogPost") == 0) {
		orig = value(o, "originalVersion");
		if (orig[0] == '\0')
			orig = value(o, "originalVersionId");
		f[0] = o->cls;
		f[1] = o->id;
		f[2] = value(o, "space");
		f[3] = value(o, "title");
		f[4] = value(o, "creationDate");
		f[5] = orig;
		f[6] = model_is_live(o) ? "1" : "0";
		f[7] = "";
	} else if (model_attachment(o, &a) && a.container != NULL &&
	    a.name != NULL) {
		f[0] = "Attachment";
		f[1] = o->id;
		f[2] = f[4] = f[5] = "";
		f[3] = a.name;
		f[6] = model_is_live(o) ? "1" : "0";
		f[7] = a.container;
	} else
		return;
	row(x, f);
	x->content_rows++;
}

void
content_finish(struct extract *x)
{
	spool_finish(&x->content);
}

void
content_free(struct extract *x)
{
	if (x->content.buf != NULL)
		spool_close(&x->content);
	sb_free(&x->content_row);
}
