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

void
cv_output_package(struct conv *c)
{
	const struct manifest *mi = pkg_manifest(c->in);
	struct manifest mo;
	struct pkg_out *po;
	const struct pkg_member *m;
	char *buf;
	size_t i, r;

	manifest_init(&mo);
	manifest_copy_facts(&mo, mi);
	manifest_set(&mo, "stage", "convert");
	manifest_set(&mo, "producer", "spaceport-convert " SPACEPORT_VERSION);
	manifest_set(&mo, "normalised", "1");
	cu_facts(c, &mo);
	manifest_setu(&mo, "convert.user-objects-rewritten", c->users_rewritten);
	manifest_setu(&mo, "convert.user-objects-added", c->users_added);
	manifest_setu(&mo, "convert.objects-changed", c->objects_changed);
	ref_facts(c, &mo);
	cv_links_facts(&c->links, &mo);
	if (c->personal_from != NULL) {
		manifest_set(&mo, "convert.personal-space.from",
		    c->personal_from);
		manifest_set(&mo, "convert.personal-space.key", c->personal_to);
	}
	manifest_setu(&mo, "convert.dropped-characters", c->dropped);
	manifest_setu(&mo, "convert.findings", report_count());
	for (i = 0; i < mi->nmem; i++) {
		m = &mi->mem[i];
		if (strcmp(m->name, PKG_USERS) == 0)
			manifest_add_member(&mo, m->name, c->users_out.size,
			    c->users_out.crc);
		else if (strcmp(m->name, PKG_ENTITIES) == 0)
			manifest_add_member(&mo, m->name, c->ent_out.size,
			    c->ent_out.crc);
		else
			manifest_add_member(&mo, m->name, m->size, m->crc);
	}

	po = pkg_create(c->out != NULL ? PKG_OUT_FILE : c->outdir != NULL ?
	    PKG_OUT_DIR : PKG_OUT_STDOUT, c->out != NULL ? c->out : c->outdir);
	pkg_put_manifest(po, &mo);
	for (i = 0; i < c->nhead; i++) {
		if (c->head[i].is_users)
			pkg_put_fd(po, PKG_USERS, c->users_out.fd,
			    c->users_out.size);
		else
			pkg_put_fd(po, c->head[i].name, c->head[i].sp.fd,
			    c->head[i].sp.size);
	}
	pkg_put_fd(po, PKG_ENTITIES, c->ent_out.fd, c->ent_out.size);
	/* The rest (attachments, plugin data) streams through unchanged. */
	buf = xmalloc(COPYBUF);
	while (pkg_next(c->in, &m)) {
		pkg_begin(po, m->name, m->size);
		while ((r = pkg_read(c->in, buf, COPYBUF)) > 0)
			pkg_write(po, buf, r);
		pkg_end(po);
	}
	free(buf);
	pkg_commit(po);
	manifest_free(&mo);
}
