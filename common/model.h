/*
 * model.h - what the Confluence object model means to spaceport.
 *
 * Owns: the tables every stage must agree on: which members reference
 * users (and of which kind), which child-side reference implies which
 * parent collection, where bodies live and what format they are in.
 * See docs/package-format.md §4.1 and §5 and server-export-format.md §3.
 */
#ifndef SP_MODEL_H
#define SP_MODEL_H

#include "entities.h"

enum ref_kind {
	REF_ENTITY_KEY,
	REF_ENTITY_NAME,
	REF_BODY_USERKEY,
	REF_BODY_USERNAME,
	REF_BODY_ACCOUNTID,
	REF_BODY_MACRO_USERNAME,
	REF_WIKI_USERNAME,
	REF_CONTENT_PROPERTY,
	REF_PERSONAL_SPACE,
	REF_NKINDS
};

const char	*ref_kind_name(enum ref_kind);	/* "entity-key", ... */
/* The reference kind of a body reference found by userref.h. */
enum ref_kind	 ref_kind_of_uref(int uref_kind);

/* 1 if m is a reference to a ConfluenceUserImpl (by key). */
int		 model_user_ref(const struct xmember *m);
/* 1 if collection element e is a ConfluenceUserImpl. */
int		 model_user_elem(const struct xelem *e);
/* 1 if property prop of an object of class cls holds a legacy username. */
int		 model_legacy_user_prop(const char *cls, const char *prop);
/* ContentProperty named status-lastmodifier: returns its stringValue member or NULL. */
const struct xmember *model_status_lastmodifier(const struct xobj *);

/* 1 if a collection of this name is one the legacy writer emits on the
 * parent side and the 8.3+ engine omits.  The 8.x engine still writes
 * contentProperties (pages, 8.5.6 sample) and labellings (space categories
 * on SpaceDescription, 8.x labels sample), so those two do not tell the
 * writers apart. */
int		 model_parent_collection(const char *name);
/* Parent collection implied by child-side reference member m of object o
 * (docs/package-format.md §5), or NULL. */
const char	*model_collection_for(const struct xobj *o, const struct xmember *m);

enum body_format {
	BODY_NONE,		/* object has no body */
	BODY_STORAGE,		/* XHTML storage format (bodyType 2, PageTemplate content) */
	BODY_WIKI,		/* wiki markup (bodyType 0, or no bodyType: 3.x) */
	BODY_OTHER		/* bodyType 1 (raw) or unknown */
};
/* For BodyContent (member "body") and PageTemplate (member "content"):
 * the body member and its format. */
enum body_format model_body(const struct xobj *, const struct xmember **body);

/* 1 if o is "live" content: contentStatus current and no originalVersion(Id). */
int		 model_is_live(const struct xobj *);
/* Attachment facts for both shapes (<=5.4 fileName/attachmentVersion/content,
 * >=5.9 title/version/containerContent).  Returns 0 if o is not an Attachment.
 * file_id: the attachment id whose folder holds the file (originalVersion or
 * originalVersionId for historical rows, else the object's id).
 * size: recorded file size (fileSize, or ContentProperty FILESIZE is
 * resolved by the caller) or -1 if not recorded on the object itself. */
struct att_info {
	const char	*container;	/* container content id, or NULL */
	const char	*file_id;
	const char	*version;	/* "1" if absent */
	const char	*name;		/* title / fileName, may be NULL */
	long long	 size;		/* -1 unknown */
	const char	*status;	/* contentStatus or NULL */
};
int		 model_attachment(const struct xobj *, struct att_info *);

#endif
