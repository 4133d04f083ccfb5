/*
 * rewrite.c - the one pass over entities.xml.
 *
 * The lossless reader hands over gaps and objects; gaps and objects with
 * nothing to change are copied verbatim.  An object with changes is
 * copied with a list of splices (body.h: offset, length, new bytes)
 * applied to its raw bytes: member values, whole legacy members, inserted
 * atlassianAccountId properties, and the edits of the body rules.
 * Nothing is re-serialised.  New values go through xml_add_cdata /
 * xml_add_text, in the style of the file: CDATA in legacy-writer files,
 * text (CDATA only when needed) in 8.3+ files.
 *
 * Bodies are handed to the body toolkit with convert's rule table,
 * convert_rules[] below: one row per rewrite.  The edits come back as
 * splices of the object, so every byte of a body outside an edit is
 * copied as it was (several CDATA sections stay several sections).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "body.h"
#include "convert.h"
#include "diag.h"
#include "entities.h"
#include "report.h"
#include "tinylink.h"
#include "userref.h"
#include "xmlcheck.h"

#define USER_PKG "com.atlassian.confluence.user"

struct rw {
	struct conv	*c;
	int		 legacy;	/* legacy writer style: CDATA everywhere */
	const struct xobj *o;
	struct splices	 sp;		/* edits of the current object */
	struct body	*body;
	struct uref_rule_ctx uctx;	/* the user rule's context */
	struct strbuf	 tmp;
	char		 memsep[64];	/* white space before a member */
	char		 objsep[64];	/* white space before an object */
	char		*bodyrepl;	/* callback replacement, freed per call */
	int		 in_body;
};

const char *
cv_outcome_name(enum outcome o)
{
	static const char *const n[OUT_NOUTCOMES] = {
		"rewritten", "resolved", "kept-former", "kept-cloud",
		"reported", "left-unmapped", "left-unknown-user",
		"left-no-key-form", "left-conflict"
	};

	return (unsigned)o < OUT_NOUTCOMES ? n[o] : "?";
}

static void
count(struct rw *rw, enum ref_kind k, enum outcome o)
{
	rw->c->seen[k]++;
	rw->c->outc[k][o]++;
}

static enum outcome
state_outcome(int st, enum outcome if_account)
{
	switch (st) {
	case US_ACCOUNT: return if_account;
	case US_FORMER: return OUT_KEPT_FORMER;
	case US_UNMAPPED: return OUT_LEFT_UNMAPPED;
	default: return OUT_LEFT_UNKNOWN;
	}
}

/* ---- splices ------------------------------------------------------ */

static void
emit(struct conv *c, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (c->po != NULL)	/* streaming into the output package */
		pkg_write(c->po, p, n);
	else
		spool_write(&c->ent_out, p, n);
}

static void
emit_fn(void *ctx, const void *p, size_t n)
{
	emit(ctx, p, n);
}

static void
flush_object(struct rw *rw)
{
	const struct xobj *o = rw->o;

	if (rw->sp.n == 0) {
		emit(rw->c, o->raw, o->raw_len);
		return;
	}
	if (splice_apply(&rw->sp, o->raw, o->raw_len, emit_fn, rw->c) < 0)
		diag_die(SP_EXIT_FAIL, PKG_ENTITIES, o->line, "internal "
		    "error: overlapping edits in a %s object", o->cls);
	rw->c->objects_changed++;
}

/* ---- values in the file's style ----------------------------------- */

static int
needs_cdata(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++, n++)
		if ((unsigned char)*s >= 0x80 || strchr("<>'\"&", *s) != NULL)
			return 1;
	return n > 100;
}

static void
add_value(struct rw *rw, struct strbuf *sb, const char *v, int cdata)
{
	if (cdata || rw->legacy || needs_cdata(v))
		rw->c->dropped += xml_add_cdata(sb, v, strlen(v));
	else
		rw->c->dropped += xml_add_text(sb, v, strlen(v));
}

/* Replace the value of plain property m with v (keeping CDATA if the
 * value was CDATA). */
static void
set_value(struct rw *rw, const struct xmember *m, const char *v)
{
	const struct xobj *o = rw->o;
	struct strbuf *sb = splice_text(&rw->sp);
	size_t off, len;

	if (m->is_null) {
		sb_addf(sb, "<property name=\"%s\">", m->name);
		add_value(rw, sb, v, 0);
		sb_adds(sb, "</property>");
		splice_end(&rw->sp, m->raw_off, m->raw_len);
		return;
	}
	if (m->value_cdata && !m->value_multi) {
		off = m->val_off - 9;
		len = m->val_len + 12;
		if (m->val_off < 9 || memcmp(o->raw + off, "<![CDATA[", 9) != 0)
			diag_die(SP_EXIT_FAIL, PKG_ENTITIES, m->line, "internal "
			    "error: cdata span of %s", m->name);
	} else {
		off = m->val_off;
		len = m->val_len;
	}
	add_value(rw, sb, v, m->value_cdata);
	splice_end(&rw->sp, off, len);
}

/* White space run ending at off in raw. */
static size_t
ws_before(const char *raw, size_t off)
{
	size_t n = 0;

	while (n < off && strchr(" \t\r\n", raw[off - n - 1]) != NULL)
		n++;
	return n;
}

/* Insert a new member before </object>, formatted like the others. */
static void
insert_member(struct rw *rw, const char *xml)
{
	const struct xobj *o = rw->o;
	struct strbuf *sb = splice_text(&rw->sp);
	size_t w = ws_before(o->raw, o->close_off);

	sb_adds(sb, rw->memsep);
	sb_adds(sb, xml);
	splice_end(&rw->sp, o->close_off - w, 0);
}

static void
learn_style(struct rw *rw, const struct xobj *o, const char *gap, size_t glen)
{
	const char *gt = memchr(o->raw, '>', o->raw_len);
	size_t n, w;

	if (gt != NULL && (size_t)(gt + 1 - o->raw) <= o->id_off) {
		n = o->id_off - (size_t)(gt + 1 - o->raw);
		if (n < sizeof(rw->memsep) &&
		    strspn(gt + 1, " \t\r\n") >= n) {
			memcpy(rw->memsep, gt + 1, n);
			rw->memsep[n] = '\0';
		}
	}
	w = ws_before(gap, glen);
	/* Only the indentation after the last line end. */
	n = 0;
	while (n < w && gap[glen - n - 1] != '\n')
		n++;
	if (n < sizeof(rw->objsep)) {
		memcpy(rw->objsep, gap + glen - n, n);
		rw->objsep[n] = '\0';
	}
}

/* ---- ConfluenceUserImpl -------------------------------------------- */

static void
user_object(struct rw *rw, const struct xobj *o)
{
	struct conv *c = rw->c;
	const struct xmember *aid = xobj_member(o, "atlassianAccountId");
	const struct xmember *name, *lname;
	struct uinfo *u;
	struct strbuf prop = STRBUF_INIT;
	int st;

	if (o->id == NULL)
		return;
	if (aid != NULL && !aid->is_null && aid->value_len > 0) {
		c->users_already_cloud++;	/* a Cloud export: keep it */
		return;
	}
	st = cu_lookup(c, o->id, NULL, &u);
	if (st != US_ACCOUNT && st != US_FORMER)
		return;
	if (st == US_ACCOUNT && u->cloud_email != NULL) {
		char *e = xstrdup(u->cloud_email);

		cu_lower(e);
		if ((name = xobj_member(o, "name")) != NULL)
			set_value(rw, name, e);
		if ((lname = xobj_member(o, "lowerName")) != NULL)
			set_value(rw, lname, e);
		free(e);
	}
	if (aid != NULL)
		set_value(rw, aid, st == US_ACCOUNT ? u->account : "");
	else {
		sb_adds(&prop, "<property name=\"atlassianAccountId\">");
		add_value(rw, &prop, st == US_ACCOUNT ? u->account : "", 0);
		sb_adds(&prop, "</property>");
		insert_member(rw, prop.buf);
	}
	sb_free(&prop);
	c->users_rewritten++;
}

/* ---- references by key -------------------------------------------- */

static void
key_ref(struct rw *rw, const char *key)
{
	struct uinfo *u;

	count(rw, REF_ENTITY_KEY, state_outcome(cu_lookup(rw->c, key, NULL,
	    &u), OUT_RESOLVED));
}

/* ---- legacy username strings ---------------------------------------- */

static const char *
key_era_name(const char *cls, const char *prop)
{
	if (strcmp(prop, "creatorName") == 0)
		return "creator";
	if (strcmp(prop, "lastModifierName") == 0)
		return "lastModifier";
	if (cls == NULL)
		return NULL;
	if (strcmp(prop, "userName") == 0 && (strcmp(cls, "SpacePermission") == 0
	    || strcmp(cls, "ContentPermission") == 0))
		return "userSubject";
	if (strcmp(prop, "userName") == 0 && strcmp(cls, "Notification") == 0)
		return "receiver";
	if ((strcmp(prop, "user") == 0 && strcmp(cls, "Labelling") == 0) ||
	    (strcmp(prop, "owner") == 0 && strcmp(cls, "Label") == 0))
		return "owningUser";
	if (strcmp(prop, "username") == 0 &&
	    strcmp(cls, "PersonalInformation") == 0)
		return "user";
	return NULL;	/* ConfluenceRememberMeToken.username: no key form */
}

static void
legacy_ref(struct rw *rw, const struct xmember *m)
{
	const struct xobj *o = rw->o;
	const char *to = key_era_name(o->cls, m->name);
	struct uinfo *u;
	struct strbuf *sb;
	int st;

	if (to == NULL) {
		count(rw, REF_ENTITY_NAME, OUT_LEFT_NO_KEY_FORM);
		return;
	}
	if (xobj_member(o, to) != NULL) {
		count(rw, REF_ENTITY_NAME, OUT_LEFT_CONFLICT);
		return;
	}
	st = cu_lookup(rw->c, NULL, m->value, &u);
	if ((st != US_ACCOUNT && st != US_FORMER) || u->key == NULL) {
		count(rw, REF_ENTITY_NAME, state_outcome(st, OUT_REWRITTEN));
		return;
	}
	sb = splice_text(&rw->sp);
	sb_addf(sb, "<property name=\"%s\" class=\"ConfluenceUserImpl\" "
	    "package=\"" USER_PKG "\"><id name=\"key\">", to);
	add_value(rw, sb, u->key, 0);
	sb_adds(sb, "</id>\n</property>");
	splice_end(&rw->sp, m->raw_off, m->raw_len);
	count(rw, REF_ENTITY_NAME, OUT_REWRITTEN);
}

/* ---- bodies --------------------------------------------------------- */

static int
body_ref(void *ctx, enum uref_kind kind, const char *value, size_t len,
    long line, const char **repl)
{
	struct rw *rw = ctx;
	enum ref_kind k = ref_kind_of_uref(kind);
	struct uinfo *u;
	char *v;
	int st;

	if (kind == UREF_ACCOUNTID) {
		count(rw, k, OUT_KEPT_CLOUD);
		return 0;
	}
	v = xstrndup(value, len);
	st = kind == UREF_USERKEY ? cu_lookup(rw->c, v, NULL, &u) :
	    cu_lookup(rw->c, NULL, v, &u);
	free(v);
	count(rw, k, state_outcome(st, OUT_REWRITTEN));
	if (st != US_ACCOUNT)
		return 0;
	free(rw->bodyrepl);
	if (kind == UREF_WIKI_USERNAME) {
		size_t n = strlen(u->account) + 11;

		rw->bodyrepl = xmalloc(n);
		snprintf(rw->bodyrepl, n, "accountid:%s", u->account);
	} else
		rw->bodyrepl = xstrdup(u->account);
	*repl = rw->bodyrepl;
	return 1;
}

/*
 * convert's rule table: one row per body rewrite, run in this order
 * (an earlier row's edit wins where two overlap).  Contexts live in
 * struct rw.
 */
static void
body(struct rw *rw, const struct xmember *m, enum body_format bf)
{
	const struct body_rules convert_rules[] = {
		{ &uref_rule, &rw->uctx },
		{ &cv_jira_rule, &rw->c->jira },	/* jira.c */
		{ &link_rule, &rw->c->links.rule },	/* links.c, linkrun.c */
	};
	size_t nrules = sizeof(convert_rules) / sizeof(convert_rules[0]);

	if (!cv_links_on(&rw->c->links))
		nrules--;			/* no --server-url: the last row */
	if (body_load(rw->body, rw->o, m, bf) < 0)
		return;
	if (body_run(rw->body, convert_rules, nrules) == 0)
		return;
	body_commit(rw->body, &rw->sp);
	rw->c->dropped += body_dropped(rw->body);
}

/* ---- personal spaces -------------------------------------------------- */

/*
 * A Server personal space "~username".  On Cloud its key is "~" and the
 * owner's account id without ':' and '-' (tinylink.h).  When the owner
 * maps to an account, convert decides the new key and records it in the
 * manifest (convert.personal-space.from / .key); pack renames the space
 * with the machinery of --space-key (Space.key, lowerKey, ri:space-key
 * in bodies, OutgoingLink, the descriptor).  Links into the space carry
 * no key (links.c), so they follow.  One personal space per package: a
 * site backup with several is reported, not renamed.  A key that already
 * has the Cloud shape (a Cloud export as input) is not a user reference
 * at all (extract does not count it either).
 */
static void
personal_space(struct rw *rw, const struct xmember *m)
{
	struct conv *c = rw->c;
	struct uinfo *u;
	char key[PERSONAL_KEY_MAX];
	int st;

	st = cu_lookup(c, NULL, m->value + 1, &u);
	if (c->have_space_rows) {
		/* decided before the rewrite (cv_personal_decide) */
		if (c->personal_from != NULL &&
		    strcmp(c->personal_from, m->value) == 0) {
			count(rw, REF_PERSONAL_SPACE, OUT_REWRITTEN);
			return;
		}
	} else if (st == US_ACCOUNT && c->personal_from == NULL &&
	    personal_space_key(u->account, key) > 0) {
		c->personal_from = xstrdup(m->value);
		c->personal_to = xstrdup(key);
		count(rw, REF_PERSONAL_SPACE, OUT_REWRITTEN);
		return;
	}
	count(rw, REF_PERSONAL_SPACE, OUT_REPORTED);
	report_finding("personal-space", PKG_ENTITIES, m->line, m->value,
	    "personal space %s keeps its key: %s; import it as a global space "
	    "or recreate it", m->value, st != US_ACCOUNT ? "its owner has no "
	    "cloud account" : c->personal_from != NULL ? "the package has "
	    "another personal space (one is renamed per package)" :
	    "the owner's account id makes no key");
}

/*
 * The same decision before the rewrite, so that it can be in the output's
 * manifest ahead of entities.xml (pack renames while it reads): the first
 * personal space, in document order, whose owner maps to an account and
 * makes a key.  content.tsv lists every Space object in document order,
 * so the decision is the one personal_space() would make object by
 * object.
 */
int
cv_personal_decide(struct conv *c)
{
	struct uinfo *u;
	char key[PERSONAL_KEY_MAX];
	const char *k;
	size_t i;

	if (!c->have_space_rows)
		return 0;
	for (i = 0; i < c->nspace_keys && c->personal_from == NULL; i++) {
		k = c->space_keys[i];
		if (k[0] != '~' || personal_key_is_cloud(k))
			continue;
		if (cu_lookup(c, NULL, k + 1, &u) == US_ACCOUNT &&
		    personal_space_key(u->account, key) > 0) {
			c->personal_from = xstrdup(k);
			c->personal_to = xstrdup(key);
		}
	}
	return 1;
}

/* ---- OutgoingLink ---------------------------------------------------- */

/* An absolute link the body rule rewrote: its object names the target as
 * a page link does (linkrun.c says why). */
static void
outgoing_link(struct rw *rw, const struct xobj *o)
{
	const char *key, *title;

	if (!cv_links_outgoing(&rw->c->links, o, &key, &title))
		return;
	set_value(rw, xobj_member(o, "destinationSpaceKey"), key);
	set_value(rw, xobj_member(o, "destinationPageTitle"), title);
}

/* ---- one object ------------------------------------------------------ */

static void
object(struct rw *rw, const struct xobj *o)
{
	struct conv *c = rw->c;
	const struct xmember *m, *b;
	enum body_format bf;
	struct uinfo *u;
	size_t i, j;
	int st;

	rw->o = o;
	splice_reset(&rw->sp);
	c->objects++;
	cv_jira_object(&c->jira, o);
	cv_links_object(&c->links, o);

	if (o->cls != NULL && strcmp(o->cls, "ConfluenceUserImpl") == 0)
		user_object(rw, o);
	for (i = 0; i < o->nmem; i++) {
		m = &o->mem[i];
		if (model_user_ref(m))
			key_ref(rw, m->value);
		else if (m->kind == XM_PROP && !m->is_null && m->value_len > 0 &&
		    model_legacy_user_prop(o->cls, m->name))
			legacy_ref(rw, m);
		else if (m->kind == XM_COLL)
			for (j = 0; j < m->nelem; j++)
				if (model_user_elem(&m->elem[j]))
					key_ref(rw, m->elem[j].value);
	}
	if ((m = model_status_lastmodifier(o)) != NULL) {
		st = cu_lookup(c, m->value, NULL, &u);
		count(rw, REF_CONTENT_PROPERTY, state_outcome(st, OUT_REWRITTEN));
		if (st == US_ACCOUNT)
			set_value(rw, m, u->account);
	}
	if (o->cls != NULL && strcmp(o->cls, "Space") == 0 &&
	    (m = xobj_member(o, "key")) != NULL && m->value != NULL &&
	    m->value[0] == '~' && !personal_key_is_cloud(m->value))
		personal_space(rw, m);
	if (o->cls != NULL && strcmp(o->cls, "OutgoingLink") == 0)
		outgoing_link(rw, o);
	bf = model_body(o, &b);
	if ((bf == BODY_STORAGE || bf == BODY_WIKI) && b != NULL)
		body(rw, b, bf);
	flush_object(rw);
}

/* ---- user objects added at the end ----------------------------------- */

static void
add_user(void *arg, const char *key, const char *name, const char *account)
{
	struct rw *rw = arg;
	struct strbuf sb = STRBUF_INIT;
	char *lname = xstrdup(name);
	const char *sep = rw->memsep[0] != '\0' ? rw->memsep : "\n";

	cu_lower(lname);
	sb_adds(&sb, rw->objsep);
	sb_adds(&sb, "<object class=\"ConfluenceUserImpl\" package=\""
	    USER_PKG "\">");
	sb_adds(&sb, sep);
	sb_adds(&sb, "<id name=\"key\">");
	add_value(rw, &sb, key, 0);
	sb_adds(&sb, "</id>");
	sb_adds(&sb, sep);
	sb_adds(&sb, "<property name=\"name\">");
	add_value(rw, &sb, name, 0);
	sb_adds(&sb, "</property>");
	sb_adds(&sb, sep);
	sb_adds(&sb, "<property name=\"lowerName\">");
	add_value(rw, &sb, lname, 0);
	sb_adds(&sb, "</property>");
	sb_adds(&sb, sep);
	sb_adds(&sb, "<property name=\"atlassianAccountId\">");
	add_value(rw, &sb, account != NULL ? account : "", 0);
	sb_adds(&sb, "</property>");
	/* </object> on its own line, indented like the object. */
	sb_adds(&sb, "\n");
	sb_adds(&sb, rw->objsep);
	sb_adds(&sb, "</object>");
	sb_adds(&sb, rw->tmp.buf != NULL ? rw->tmp.buf : "\n");
	emit(rw->c, sb.buf, sb.len);
	rw->c->users_added++;
	sb_free(&sb);
	free(lname);
}

static void
trailer(struct rw *rw, const char *gap, size_t glen)
{
	const char *end = NULL, *p;
	size_t pre;

	for (p = gap; p + 20 <= gap + glen; p++)
		if (memcmp(p, "</hibernate-generic", 19) == 0)
			end = p;
	if (end == NULL)
		diag_die(SP_EXIT_FAIL, PKG_ENTITIES, 0, "no </hibernate-generic>");
	pre = (size_t)(end - gap);
	emit(rw->c, gap, pre);
	/* Each added object is followed by the white space that followed
	 * the last object (one line end, or a blank line in 8.3+ files). */
	sb_reset(&rw->tmp);
	sb_add(&rw->tmp, gap, ws_before(gap, pre) == pre ? pre : 0);
	if (rw->tmp.len == 0)
		sb_adds(&rw->tmp, "\n");
	/* The first object continues after the last one's separator. */
	cu_each_missing(rw->c, add_user, rw);
	emit(rw->c, end, glen - pre);
}

void
cv_rewrite_entities(struct conv *c)
{
	struct rw rw;
	struct ent_reader *r;
	struct xmlcheck_rd gate;
	const struct xobj *o;
	const char *gap;
	size_t gaplen;
	int rc, first = 1;

	memset(&rw, 0, sizeof(rw));
	rw.c = c;
	rw.body = body_new();
	rw.uctx.fn = body_ref;
	rw.uctx.ctx = &rw;
	strcpy(rw.memsep, "\n");
	if (c->po == NULL)
		spool_open(&c->ent_out);
	if (c->ent_spooled)	/* met before the head's end: read back */
		xmlcheck_rd_init(&gate, spool_read_fn, &c->ent_in,
		    PKG_ENTITIES);
	else
		xmlcheck_rd_init(&gate, pkg_read_fn, c->in, PKG_ENTITIES);
	r = ent_open(xmlcheck_read_fn, &gate, PKG_ENTITIES,
	    pkg_max_object(pkg_manifest(c->in), CONV_MAX_OBJECT));
	if (r == NULL)
		diag_die(SP_EXIT_FAIL, NULL, 0, "%s: cannot read", PKG_ENTITIES);
	while ((rc = ent_next(r, &o, &gap, &gaplen)) == 1) {
		if (first) {
			rw.legacy = gaplen >= 5 && memcmp(gap, "<?xml", 5) == 0;
			first = 0;
		}
		emit(c, gap, gaplen);
		learn_style(&rw, o, gap, gaplen);
		object(&rw, o);
	}
	if (rc < 0)
		diag_die(SP_EXIT_FAIL, NULL, 0, "%s: cannot read the object "
		    "stream", PKG_ENTITIES);
	trailer(&rw, gap, gaplen);
	ent_close(r);
	xmlcheck_rd_finish(&gate);
	if (c->po != NULL)
		pkg_end(c->po);		/* its check record */
	else
		spool_finish(&c->ent_out);
	splice_free(&rw.sp);
	body_free(rw.body);
	free(rw.bodyrepl);
	sb_free(&rw.tmp);
}
