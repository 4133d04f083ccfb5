/*
 * output.c - the output package (same members, same order, new
 * users.tsv and entities.xml), the manifest facts, the accounting of
 * references and the report sections.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"
#include "diag.h"
#include "report.h"

#define COPYBUF (256 * 1024)

static void
ref_facts(struct conv *c, struct manifest *m)
{
	char key[128];
	int k, o;

	for (k = 0; k < REF_NKINDS; k++) {
		if (c->seen[k] == 0)
			continue;
		snprintf(key, sizeof(key), "convert.ref.%s",
		    ref_kind_name((enum ref_kind)k));
		manifest_setu(m, key, c->seen[k]);
		for (o = 0; o < OUT_NOUTCOMES; o++) {
			if (c->outc[k][o] == 0)
				continue;
			snprintf(key, sizeof(key), "convert.ref.%s.%s",
			    ref_kind_name((enum ref_kind)k),
			    cv_outcome_name((enum outcome)o));
			manifest_setu(m, key, c->outc[k][o]);
		}
	}
}

/* Every reference extract counted must have been seen here, and every
 * reference seen must have exactly one outcome. */
void
cv_refs_check(struct conv *c)
{
	const struct manifest *mi = pkg_manifest(c->in);
	char key[64];
	uint64_t sum, want;
	int k, o;

	for (k = 0; k < REF_NKINDS; k++) {
		for (sum = 0, o = 0; o < OUT_NOUTCOMES; o++)
			sum += c->outc[k][o];
		if (sum != c->seen[k])
			diag_die(SP_EXIT_FAIL, NULL, 0, "internal error: %s "
			    "references seen %" PRIu64 ", accounted %" PRIu64,
			    ref_kind_name((enum ref_kind)k), c->seen[k], sum);
		snprintf(key, sizeof(key), "ref.%s",
		    ref_kind_name((enum ref_kind)k));
		if (manifest_get(mi, key) == NULL && c->seen[k] == 0)
			continue;
		want = manifest_getu(mi, key);
		if (want != c->seen[k])
			report_finding("reference-count-mismatch", PKG_MANIFEST, 0,
			    ref_kind_name((enum ref_kind)k), "%s references: the "
			    "manifest says %" PRIu64 ", entities.xml has %" PRIu64,
			    ref_kind_name((enum ref_kind)k), want, c->seen[k]);
	}
	for (k = 0; k < REF_NKINDS; k++) {
		uint64_t left = c->outc[k][OUT_LEFT_UNKNOWN] +
		    c->outc[k][OUT_LEFT_NO_KEY_FORM] + c->outc[k][OUT_LEFT_CONFLICT];

		if (left == 0)
			continue;
		report_finding("reference-left", PKG_ENTITIES, 0,
		    ref_kind_name((enum ref_kind)k), "%" PRIu64 " %s reference(s) "
		    "left as they are (%" PRIu64 " unknown user, %" PRIu64
		    " no key-era form, %" PRIu64 " key reference already there)",
		    left, ref_kind_name((enum ref_kind)k),
		    c->outc[k][OUT_LEFT_UNKNOWN], c->outc[k][OUT_LEFT_NO_KEY_FORM],
		    c->outc[k][OUT_LEFT_CONFLICT]);
	}
	if (c->dropped > 0)
		report_finding("dropped-characters", PKG_ENTITIES, 0, NULL,
		    "%" PRIu64 " character(s) xml 1.0 forbids were dropped from "
		    "new values (e-mails, account ids from the csv files)",
		    c->dropped);
}

void
cv_refs_json(struct strbuf *sb, void *arg)
{
	struct conv *c = arg;
	const struct manifest *mi = pkg_manifest(c->in);
	char key[64];
	int k, o, first = 1;

	sb_adds(sb, "{");
	for (k = 0; k < REF_NKINDS; k++) {
		snprintf(key, sizeof(key), "ref.%s",
		    ref_kind_name((enum ref_kind)k));
		sb_adds(sb, first ? "\n  " : ",\n  ");
		first = 0;
		json_str(sb, ref_kind_name((enum ref_kind)k));
		sb_adds(sb, ": {\"extract\": ");
		json_u64(sb, manifest_getu(mi, key));
		sb_adds(sb, ", \"seen\": ");
		json_u64(sb, c->seen[k]);
		for (o = 0; o < OUT_NOUTCOMES; o++) {
			sb_adds(sb, ", ");
			json_str(sb, cv_outcome_name((enum outcome)o));
			sb_adds(sb, ": ");
			json_u64(sb, c->outc[k][o]);
		}
		sb_adds(sb, "}");
	}
	sb_adds(sb, "}");
}

void
cv_refs_summary(struct conv *c)
{
	struct strbuf sb = STRBUF_INIT;
	char label[64];
	int k, o;

	for (k = 0; k < REF_NKINDS; k++) {
		if (c->seen[k] == 0)
			continue;
		sb_reset(&sb);
		for (o = 0; o < OUT_NOUTCOMES; o++)
			if (c->outc[k][o] > 0)
				sb_addf(&sb, "%s%" PRIu64 " %s", sb.len ? ", " : "",
				    c->outc[k][o], cv_outcome_name((enum outcome)o));
		snprintf(label, sizeof(label), "  refs %s:",
		    ref_kind_name((enum ref_kind)k));
		report_summary_line(label, "%" PRIu64 " (%s)", c->seen[k],
		    sb_str(&sb));
	}
	sb_free(&sb);
}

/* Is name one of the head members read before the rewrite? */
static int
in_head(const struct conv *c, const char *name)
{
	size_t i;

	if (strcmp(name, PKG_ENTITIES) == 0)
		return 1;
	for (i = 0; i < c->nhead; i++)
		if (strcmp(c->head[i].name, name) == 0)
			return 1;
	return 0;
}

/* The facts known before the rewrite. */
static void
first_facts(struct conv *c, struct manifest *m)
{
	manifest_copy_facts(m, pkg_manifest(c->in));
	manifest_set(m, "stage", "convert");
	manifest_set(m, "producer", "spaceport-convert " SPACEPORT_VERSION);
	manifest_set(m, "normalised", "1");
	cu_facts(c, m);
	if (c->personal_from != NULL) {
		manifest_set(m, "convert.personal-space.from",
		    c->personal_from);
		manifest_set(m, "convert.personal-space.key", c->personal_to);
	}
}

/* The facts the rewrite learnt. */
static void
last_facts(struct conv *c, struct manifest *m)
{
	manifest_setu(m, "convert.user-objects-rewritten", c->users_rewritten);
	manifest_setu(m, "convert.user-objects-added", c->users_added);
	manifest_setu(m, "convert.objects-changed", c->objects_changed);
	ref_facts(c, m);
	cv_links_facts(&c->links, m);
	manifest_setu(m, "convert.dropped-characters", c->dropped);
	manifest_setu(m, "convert.findings", report_count());
}

/*
 * The output's manifest and the head before entities.xml.  Order: the
 * head members but users.tsv (relations.tsv and the descriptor before
 * entities.xml: pack rebuilds collections while it reads), entities.xml,
 * users.tsv (made after the rewrite), then every other member as it
 * came.  Streaming (c->po set on return), entities.xml and users.tsv are
 * listed without sizes, and a member the input streamed stays streamed.
 */
static struct pkg_out *
output_start(struct conv *c, int streaming)
{
	const struct manifest *mi = pkg_manifest(c->in);
	const struct pkg_member *m;
	struct pkg_out *po;
	size_t i;

	first_facts(c, &c->mo);
	if (!streaming)
		last_facts(c, &c->mo);
	else	/* for pack's progress line: the input's size */
		manifest_setu(&c->mo, PKG_FACT_ESTIMATE PKG_ENTITIES,
		    c->ent_spooled ? c->ent_in.size :
		    manifest_member(mi, PKG_ENTITIES)->size);
	for (i = 0; i < c->nhead; i++)
		if (!c->head[i].is_users)
			manifest_add_member(&c->mo, c->head[i].name,
			    c->head[i].sp.size, c->head[i].sp.crc);
	if (streaming) {
		manifest_add_streamed(&c->mo, PKG_ENTITIES);
		manifest_add_streamed(&c->mo, PKG_USERS);
	} else {
		manifest_add_member(&c->mo, PKG_ENTITIES, c->ent_out.size,
		    c->ent_out.crc);
		manifest_add_member(&c->mo, PKG_USERS, c->users_out.size,
		    c->users_out.crc);
	}
	for (i = 0; i < mi->nmem; i++) {
		m = &mi->mem[i];
		if (in_head(c, m->name))
			continue;
		if (m->known)
			manifest_add_member(&c->mo, m->name, m->size, m->crc);
		else
			manifest_add_streamed(&c->mo, m->name);
	}

	po = pkg_create(c->out != NULL ? PKG_OUT_FILE : c->outdir != NULL ?
	    PKG_OUT_DIR : PKG_OUT_STDOUT, c->out != NULL ? c->out : c->outdir);
	pkg_put_manifest(po, &c->mo);
	for (i = 0; i < c->nhead; i++)
		if (!c->head[i].is_users)
			pkg_put_fd(po, c->head[i].name, c->head[i].sp.fd,
			    c->head[i].sp.size);
	pkg_begin(po, PKG_ENTITIES, streaming ? PKG_SIZE_UNKNOWN :
	    c->ent_out.size);
	return po;
}

void
cv_output_begin(struct conv *c)
{
	c->po = output_start(c, 1);
}

void
cv_output_package(struct conv *c)
{
	const struct manifest *mi;
	struct manifest late;
	struct pkg_out *po = c->po;
	const struct pkg_member *m;
	char *buf;
	size_t i, r;

	buf = xmalloc(COPYBUF);
	if (po == NULL) {
		/* not streamed: entities.xml from its spool */
		po = output_start(c, 0);
		while ((r = io_read(c->ent_out.fd, buf, COPYBUF,
		    "entities.xml spool")) > 0)
			pkg_write(po, buf, r);
		pkg_end(po);
	} else {
		/* streamed (pkg_end done by the rewrite): the facts the
		 * rewrite learnt, and any the input gave since, before
		 * users.tsv */
		manifest_init(&late);
		last_facts(c, &late);
		pkg_facts(po, &late);
		manifest_free(&late);
	}
	pkg_put_fd(po, PKG_USERS, c->users_out.fd, c->users_out.size);
	/* The rest (attachments, plugin data) streams through unchanged. */
	while (pkg_next(c->in, &m)) {
		pkg_begin(po, m->name, m->known ? m->size : PKG_SIZE_UNKNOWN);
		while ((r = pkg_read(c->in, buf, COPYBUF)) > 0)
			pkg_write(po, buf, r);
		pkg_end(po);
	}
	free(buf);
	/* Facts the input gave after the head (its end record). */
	mi = pkg_manifest(c->in);
	for (i = 0; i < mi->nkv; i++)
		if (manifest_get(&c->mo, mi->key[i]) == NULL)
			pkg_fact(po, mi->key[i], mi->val[i]);
	pkg_commit(po);
	c->po = NULL;
}
