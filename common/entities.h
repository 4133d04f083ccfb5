/*
 * entities.h - lossless, object-at-a-time reader of entities.xml.
 *
 * Owns: splitting the Hibernate dump into <object> elements and giving a
 * parsed view of each one WITHOUT losing a byte: the concatenation, in
 * order, of every gap and every object's raw bytes returned by ent_next()
 * is exactly the input.  convert and pack depend on that to rewrite only
 * the bytes they mean to and copy every other byte through untouched.
 *
 * Why hand-rolled and not libxml2: libxml2's readers normalise line ends,
 * decode entities and drop the CDATA/escaped distinction, so the original
 * bytes cannot be reproduced from them.  spaceport-extract runs libxml2 over
 * the same (sanitised) stream as the well-formedness gatekeeper, so the
 * input this reader sees downstream is known to be well-formed XML; this
 * reader still checks everything it relies on and fails cleanly.
 *
 * Grammar handled: see docs/package-format.md and
 * ../shared/docs/server-export-format.md §2.1: <object> with <id>,
 * <composite-id>, <property> (plain, null, reference, enum), <collection>
 * (class attribute may be missing or role-qualified "java.util.Set(role)"),
 * <component>, and any unknown element (kept, reported as XM_OTHER).
 * Comments, PIs and whitespace between objects are part of the gaps.
 *
 * Memory: one object is held at a time; an object larger than max_object
 * bytes is an error ("object too large"), so memory is bounded whatever
 * the size of the file.
 */
#ifndef SP_ENTITIES_H
#define SP_ENTITIES_H

#include <stddef.h>
#include <sys/types.h>

enum xm_kind {
	XM_PROP,	/* <property name="n">value</property>, or null <property name="n"/> */
	XM_REF,		/* <property name="n" class="C" package="P"><id name="id|key">V</id></property> */
	XM_ENUM,	/* <property name="n" enum-class="E" package="P">NAME</property> (or null) */
	XM_COLL,	/* <collection name="n" class="...">elements</collection> */
	XM_COMPONENT,	/* <component name="n">properties</component> */
	XM_OTHER	/* any other child element of <object>, kept verbatim */
};

/* An element of a collection. */
struct xelem {
	const char	*cls;		/* class= or enum-class=; NULL if absent */
	const char	*pkg;		/* package=; NULL if absent */
	const char	*idname;	/* "id"/"key" for entity elements, else NULL */
	const char	*value;		/* decoded id value, enum NAME, or map value */
	size_t		 value_len;
	const char	*name;		/* name= of a Map entry (<element name="k" type="string">) else NULL */
	int		 is_enum;
	size_t		 raw_off, raw_len;	/* the whole <element> in xobj.raw */
};

struct xmember {
	enum xm_kind	 kind;
	const char	*name;		/* name= attribute; element name for XM_OTHER */
	const char	*cls;		/* class= (ref, collection) or enum-class= (enum); NULL if absent */
	const char	*pkg;		/* package=; NULL if absent */
	const char	*idname;	/* XM_REF: "id" or "key" (the <id name=>) */
	/*
	 * Decoded value, NUL-terminated (may also contain NULs: use value_len).
	 * XM_PROP/XM_ENUM: the text with CDATA unwrapped and character/entity
	 * references decoded (only the five predefined ones and &#...;).
	 * Confluence's "]] " escape is NOT undone here (see xt_cdata_unescape).
	 * XM_REF: the decoded id.  NULL when is_null.
	 */
	const char	*value;
	size_t		 value_len;
	int		 is_null;	/* self-closing <property .../> */
	int		 value_cdata;	/* value was written as one or more CDATA sections */
	/* Spans in xobj.raw. raw_*: the whole member element, from '<' of the
	 * start tag to '>' of the end tag (or of the empty tag). val_*: the raw
	 * bytes of the value as written: for CDATA the bytes between
	 * "<![CDATA[" and "]]>" (single section), for plain text the escaped
	 * text; for XM_REF the raw bytes of the id value; 0/0 when null.
	 * When a value spans several CDATA sections or mixes text and CDATA,
	 * val_* covers everything between the start and end tags and
	 * value_multi is set. */
	size_t		 raw_off, raw_len;
	size_t		 val_off, val_len;
	int		 value_multi;
	/* XM_COLL */
	struct xelem	*elem;
	size_t		 nelem;
	/* XM_COMPONENT: its properties, flattened (kind XM_PROP) */
	struct xmember	*sub;
	size_t		 nsub;
	long		 line;		/* line of the member's start tag (1-based) */
};

struct xobj {
	const char	*cls;		/* class= of <object> */
	const char	*pkg;		/* package= of <object> */
	const char	*idname;	/* "id" or "key"; NULL for <composite-id> */
	const char	*id;		/* decoded id; for composite-id the parts
					   joined with '/' in document order */
	size_t		 id_len;
	struct xmember	*mem;		/* members in document order (id excluded) */
	size_t		 nmem;
	const char	*raw;		/* "<object" ... "</object>" inclusive */
	size_t		 raw_len;
	size_t		 id_off, id_len_raw;	/* raw span of the id element(s) */
	size_t		 close_off;	/* offset of "</object>" in raw: insert new members here */
	long		 line;		/* line of "<object" (1-based) */
	long		 end_line;	/* line of "</object>" */
};

/* Source of bytes; returns bytes read, 0 at end, -1 on error (it reports). */
typedef ssize_t	(*ent_read_fn)(void *ctx, void *buf, size_t n);

struct ent_reader;

struct ent_reader *ent_open(ent_read_fn rd, void *ctx, const char *fname,
		    size_t max_object);
/*
 * Next object.  Returns 1 and sets *o (valid until the next call), 0 at end
 * of input, -1 on error after printing "prog: fname:line: message".
 * gap and gaplen receive the raw bytes that came before this object (since
 * the previous object, or the start of the file): prolog, root start tag,
 * whitespace, comments.  On the 0 return they hold the trailing bytes
 * (whitespace and "</hibernate-generic>" and anything after).
 * Root element must be <hibernate-generic>; its start tag is in the first gap.
 */
int	 ent_next(struct ent_reader *, const struct xobj **o,
	    const char **gap, size_t *gaplen);
long	 ent_line(const struct ent_reader *);	/* current line, for messages */
void	 ent_close(struct ent_reader *);

/* Member lookup by name (first match), NULL if absent. */
const struct xmember *xobj_member(const struct xobj *, const char *name);

/* Writers for new values (xml_add_cdata, xml_add_text) and the "]] "
 * quirk (xt_cdata_unescape) are in xmltext.h. */
#include "xmltext.h"

#endif
