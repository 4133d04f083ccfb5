/*
 * model.c - the Confluence object model tables (see model.h).
 * Sources for every rule: ../shared/docs/server-export-format.md §2.4, §3
 * and docs/package-format.md §4.1, §5.
 */
#include <stdlib.h>
#include <string.h>

#include "entities.h"
#include "model.h"
#include "userref.h"

static const char *const kind_names[REF_NKINDS] = {
	"entity-key", "entity-name", "body-userkey", "body-username",
	"body-accountid", "body-macro-username", "wiki-username",
	"content-property", "personal-space"
};

const char *
ref_kind_name(enum ref_kind k)
{
	return (unsigned)k < REF_NKINDS ? kind_names[k] : "unknown";
}

enum ref_kind
ref_kind_of_uref(int k)
{
	static const enum ref_kind map[UREF_NKINDS] = {
		[UREF_USERKEY] = REF_BODY_USERKEY,
		[UREF_USERNAME] = REF_BODY_USERNAME,
		[UREF_ACCOUNTID] = REF_BODY_ACCOUNTID,
		[UREF_MACRO_USERNAME] = REF_BODY_MACRO_USERNAME,
		[UREF_WIKI_USERNAME] = REF_WIKI_USERNAME,
	};

	return k >= 0 && k < UREF_NKINDS ? map[k] : REF_NKINDS;
}


static int
streq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

int
model_user_ref(const struct xmember *m)
{
	return m->kind == XM_REF && streq(m->cls, "ConfluenceUserImpl") &&
	    m->value != NULL;
}

int
model_user_elem(const struct xelem *e)
{
	return streq(e->cls, "ConfluenceUserImpl") && e->value != NULL &&
	    e->idname != NULL;
}

/* Legacy (<= 5.1) username strings, §3.3 of the format notes. */
static const struct {
	const char *cls;	/* NULL: any class */
	const char *prop;
} legacy_props[] = {
	{ NULL, "creatorName" },
	{ NULL, "lastModifierName" },
	{ "SpacePermission", "userName" },
	{ "ContentPermission", "userName" },
	{ "Notification", "userName" },
	{ "Labelling", "user" },
	{ "Label", "owner" },
	{ "PersonalInformation", "username" },
	{ "ConfluenceRememberMeToken", "username" },
};

int
model_legacy_user_prop(const char *cls, const char *prop)
{
	size_t i;

	if (prop == NULL)
		return 0;
	for (i = 0; i < sizeof(legacy_props) / sizeof(legacy_props[0]); i++)
		if (strcmp(legacy_props[i].prop, prop) == 0 &&
		    (legacy_props[i].cls == NULL ||
		    streq(legacy_props[i].cls, cls)))
			return 1;
	return 0;
}

const struct xmember *
model_status_lastmodifier(const struct xobj *o)
{
	const struct xmember *n, *v;

	if (!streq(o->cls, "ContentProperty"))
		return NULL;
	n = xobj_member(o, "name");
	if (n == NULL || n->value == NULL ||
	    strcmp(n->value, "status-lastmodifier") != 0)
		return NULL;
	v = xobj_member(o, "stringValue");
	if (v == NULL || v->is_null || v->value == NULL || v->value_len == 0)
		return NULL;
	return v;
}

/* docs/package-format.md §5.  cls NULL: any class. */
static const struct {
	const char *cls, *prop, *coll;
} coll_rules[] = {
	{ "BodyContent", "content", "bodyContents" },
	{ "Attachment", "containerContent", "attachments" },
	{ "Attachment", "content", "attachments" },
	{ "Comment", "containerContent", "comments" },
	{ "Comment", "owner", "comments" },
	{ "Comment", "parent", "children" },
	{ "Page", "parent", "children" },
	{ "Labelling", "content", "labellings" },
	{ "ContentProperty", "content", "contentProperties" },
	{ "SpacePermission", "space", "permissions" },
	{ "ContentPermissionSet", "owningContent", "contentPermissionSets" },
	{ "ContentPermission", "owningSet", "contentPermissions" },
	{ "OutgoingLink", "sourceContent", "outgoingLinks" },
	{ "ReferralLink", "sourceContent", "referralLinks" },
	{ "PageTemplate", "space", "pageTemplates" },
	{ "CustomContentEntityObject", "containerContent", "customContent" },
	{ NULL, "originalVersion", "historicalVersions" },
};

int
model_parent_collection(const char *name)
{
	size_t i;

	if (name == NULL || strcmp(name, "contentProperties") == 0 ||
	    strcmp(name, "labellings") == 0)
		return 0;
	for (i = 0; i < sizeof(coll_rules) / sizeof(coll_rules[0]); i++)
		if (strcmp(coll_rules[i].coll, name) == 0)
			return 1;
	return 0;
}

const char *
model_collection_for(const struct xobj *o, const struct xmember *m)
{
	size_t i;

	if (m->kind != XM_REF || m->value == NULL)
		return NULL;
	for (i = 0; i < sizeof(coll_rules) / sizeof(coll_rules[0]); i++) {
		if (strcmp(coll_rules[i].prop, m->name) != 0)
			continue;
		if (coll_rules[i].cls != NULL && !streq(coll_rules[i].cls, o->cls))
			continue;
		if (coll_rules[i].cls == NULL) {
			/* Drafts point at their page with originalVersion
			 * but are not among its historical versions. */
			const struct xmember *st = xobj_member(o, "contentStatus");

			if (st != NULL && streq(st->value, "draft"))
				return NULL;
		}
		return coll_rules[i].coll;
	}
	return NULL;
}

enum body_format
model_body(const struct xobj *o, const struct xmember **body)
{
	const struct xmember *b, *t;

	*body = NULL;
	if (streq(o->cls, "BodyContent")) {
		b = xobj_member(o, "body");
		if (b == NULL || b->is_null || b->kind != XM_PROP)
			return BODY_NONE;
		*body = b;
		t = xobj_member(o, "bodyType");
		if (t == NULL || t->is_null || t->value == NULL)
			return BODY_WIKI;	/* 3.x: no bodyType, wiki markup */
		if (strcmp(t->value, "2") == 0)
			return BODY_STORAGE;
		if (strcmp(t->value, "0") == 0)
			return BODY_WIKI;
		return BODY_OTHER;
	}
	if (streq(o->cls, "PageTemplate")) {
		b = xobj_member(o, "content");
		if (b == NULL || b->is_null || b->kind != XM_PROP)
			return BODY_NONE;
		*body = b;
		t = xobj_member(o, "bodyType");
		if (t != NULL && !t->is_null && t->value != NULL &&
		    strcmp(t->value, "0") == 0)
			return BODY_WIKI;
		return BODY_STORAGE;
	}
	return BODY_NONE;
}

int
model_is_live(const struct xobj *o)
{
	const struct xmember *st = xobj_member(o, "contentStatus");

	const struct xmember *ov = xobj_member(o, "originalVersion");
	const struct xmember *ovi = xobj_member(o, "originalVersionId");

	if (st != NULL && st->value != NULL && strcmp(st->value, "current") != 0)
		return 0;
	/* Cloud writes an empty <property name="originalVersionId"/> on
	 * live content: only a value makes a row historical. */
	return (ov == NULL || ov->is_null) && (ovi == NULL || ovi->is_null ||
	    ovi->value_len == 0);
}

static const char *
val(const struct xobj *o, const char *name)
{
	const struct xmember *m = xobj_member(o, name);

	return m != NULL && !m->is_null ? m->value : NULL;
}

int
model_attachment(const struct xobj *o, struct att_info *a)
{
	const char *s;

	if (!streq(o->cls, "Attachment"))
		return 0;
	memset(a, 0, sizeof(*a));
	a->container = val(o, "containerContent");
	if (a->container == NULL)
		a->container = val(o, "content");
	a->file_id = val(o, "originalVersion");
	if (a->file_id == NULL || *a->file_id == '\0')
		a->file_id = val(o, "originalVersionId");
	if (a->file_id == NULL || *a->file_id == '\0')
		a->file_id = o->id;
	a->version = val(o, "version");
	if (a->version == NULL)
		a->version = val(o, "attachmentVersion");
	if (a->version == NULL)
		a->version = "1";
	a->name = val(o, "title");
	if (a->name == NULL)
		a->name = val(o, "fileName");
	s = val(o, "fileSize");
	a->size = s != NULL ? strtoll(s, NULL, 10) : -1;
	a->status = val(o, "contentStatus");
	return 1;
}
