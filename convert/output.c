/*
 * output.c - reading the input's head and writing the output package
 * (same members; users.tsv and entities.xml new; the head's other members
 * before entities.xml, so that pack has relations.tsv and the descriptor
 * before it), the manifest facts, the accounting of references and the
 * report sections.
 *
 * Why this order (docs/package-format.md section 2): the rewrite needs
 * every user resolved, and users.tsv only comes after entities.xml from
 * extract (extract learns the users by scanning all of it).  So
 * entities.xml is spooled as it arrives, while extract still reads the
 * zip; at the end of the head the users are resolved, and the rewrite
 * streams straight into the output package, which pack reads as it is
 * written.  Attachments then stream through without a copy.
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

/* Index of the last of the head's four members in the input, or -1. */
static long
head_end(const struct manifest *mi)
{
	static const char *const names[] = {
		PKG_USERS, PKG_RELATIONS, PKG_DESCRIPTOR, PKG_ENTITIES
	};

	return manifest_last_of(mi, names, sizeof(names) / sizeof(names[0]));
}

/*
 * The input's head: every member up to the last of users.tsv,
 * relations.tsv, the descriptor and entities.xml in the input's order
 * (format 1 has entities.xml last of them, format 2 as extract writes it
 * first).  entities.xml is spooled as it streams in (the rewrite needs
 * the whole user table, which comes after it), users.tsv is loaded, the
 * rest is spooled to go out before entities.xml.  Stops at the first
 * member after the head, which stays current (c->pending), or at the end.
 */
void
cv_read_head(struct conv *c)
{
	const struct manifest *mi = pkg_manifest(c->in);
	const struct pkg_member *m;
	long last = head_end(mi);
	size_t r;
	char *buf;

	c->max_object = pkg_max_object(mi, CONV_MAX_OBJECT);
	if (manifest_index(mi, PKG_ENTITIES) < 0)
		diag_die(SP_EXIT_FAIL, pkg_label(c->in), 0, "no %s in the "
		    "package", PKG_ENTITIES);
	if (manifest_index(mi, PKG_USERS) < 0)
		diag_die(SP_EXIT_FAIL, pkg_label(c->in), 0, "no %s in the "
		    "package", PKG_USERS);
	buf = xmalloc(COPYBUF);
	c->in_done = 1;
	while (pkg_next(c->in, &m)) {
		if (m - mi->mem > last) {
			c->pending = m;
			c->in_done = 0;
			break;
		}
		if (strcmp(m->name, PKG_ENTITIES) == 0) {
			spool_open(&c->ent_in);
			while ((r = pkg_read(c->in, buf, COPYBUF)) > 0)
				spool_write(&c->ent_in, buf, r);
			spool_finish(&c->ent_in);
			c->have_entities = 1;
			continue;
		}
		c->head = xreallocarray(c->head, c->nhead + 1, sizeof(*c->head));
		memset(&c->head[c->nhead], 0, sizeof(*c->head));
		c->head[c->nhead].name = xstrdup(m->name);
		c->head[c->nhead].sp.fd = -1;
		if (strcmp(m->name, PKG_USERS) == 0) {
			struct strbuf sb = STRBUF_INIT;

			c->head[c->nhead].is_users = 1;
			pkg_slurp(c->in, &sb, CONV_MAX_USERS_TSV);
			cu_load_tsv(c, sb.buf != NULL ? sb.buf : "", sb.len);
			sb_free(&sb);
		} else {
			spool_open(&c->head[c->nhead].sp);
			while ((r = pkg_read(c->in, buf, COPYBUF)) > 0)
				spool_write(&c->head[c->nhead].sp, buf, r);
			spool_finish(&c->head[c->nhead].sp);
		}
		c->nhead++;
	}
	free(buf);
}

/* An ent_read_fn over the spooled input entities.xml. */
ssize_t
cv_ent_read(void *ctx, void *buf, size_t n)
{
	struct conv *c = ctx;

	return (ssize_t)io_read(c->ent_in.fd, buf, n, "entities.xml spool");
}

void
cv_emit(struct conv *c, const void *p, size_t n)
{
	if (c->po != NULL && n > 0)
		pkg_write(c->po, p, n);
}

/*
 * The output package up to entities.xml: the manifest (every fact of the
 * input read so far, convert's own, the resolution counts; members in the
 * output order), the head members with the new users.tsv, and
 * entities.xml begun, its size unknown: the rewrite streams into it.
 */
void
cv_output_begin(struct conv *c)
{
	const struct manifest *mi = pkg_manifest(c->in);
	struct manifest mo;
	const struct pkg_member *m;
	size_t i;

	spool_open(&c->users_out);
	cu_write_tsv(c, &c->users_out);
	spool_finish(&c->users_out);

	manifest_init(&mo);
	manifest_copy_facts(&mo, mi);
	c->in_facts = mi->nkv;
	manifest_set(&mo, "stage", "convert");
	manifest_set(&mo, "producer", "spaceport-convert " SPACEPORT_VERSION);
	manifest_set(&mo, "normalised", "1");
	cu_facts(c, &mo);
	for (i = 0; i < c->nhead; i++) {
		if (c->head[i].is_users)
			manifest_add_member(&mo, PKG_USERS, c->users_out.size,
			    c->users_out.crc);
		else
			manifest_add_member(&mo, c->head[i].name,
			    c->head[i].sp.size, c->head[i].sp.crc);
	}
	manifest_add_streamed(&mo, PKG_ENTITIES);
	for (i = 0; i < mi->nmem; i++) {
		m = &mi->mem[i];
		if (c->pending == NULL || m < c->pending)
			continue;
		if (m->known)
			manifest_add_member(&mo, m->name, m->size, m->crc);
		else
			manifest_add_streamed(&mo, m->name);
	}

	c->po = pkg_create(c->out != NULL ? PKG_OUT_FILE : c->outdir != NULL ?
	    PKG_OUT_DIR : PKG_OUT_STDOUT, c->out != NULL ? c->out : c->outdir);
	pkg_put_manifest(c->po, &mo);
	manifest_free(&mo);
	for (i = 0; i < c->nhead; i++) {
		if (c->head[i].is_users)
			pkg_put_fd(c->po, PKG_USERS, c->users_out.fd,
			    c->users_out.size);
		else
			pkg_put_fd(c->po, c->head[i].name, c->head[i].sp.fd,
			    c->head[i].sp.size);
	}
	pkg_begin(c->po, PKG_ENTITIES, PKG_SIZE_UNKNOWN);
}

/* One member of the input copied to the output as it streams. */
static void
pass_through(struct conv *c, const struct pkg_member *m, char *buf)
{
	size_t r;

	pkg_begin(c->po, m->name, m->known ? m->size : PKG_SIZE_UNKNOWN);
	while ((r = pkg_read(c->in, buf, COPYBUF)) > 0)
		pkg_write(c->po, buf, r);
	pkg_end(c->po);
}

/*
 * After the rewrite: entities.xml ended, what the rewrite counted as a
 * facts record, the rest of the input (attachments, plugin data) streamed
 * through unchanged, the input's later facts, commit.
 */
void
cv_output_package(struct conv *c)
{
	const struct manifest *mi = pkg_manifest(c->in);
	const struct pkg_member *m;
	struct manifest late;
	char *buf;
	size_t i;

	pkg_end(c->po);
	manifest_init(&late);
	manifest_setu(&late, "convert.user-objects-rewritten",
	    c->users_rewritten);
	manifest_setu(&late, "convert.user-objects-added", c->users_added);
	manifest_setu(&late, "convert.objects-changed", c->objects_changed);
	ref_facts(c, &late);
	manifest_setu(&late, "convert.dropped-characters", c->dropped);
	manifest_setu(&late, "convert.findings", report_count());
	pkg_facts(c->po, &late);
	manifest_free(&late);
	pkg_flush_facts(c->po);
	buf = xmalloc(COPYBUF);
	if (!c->in_done) {
		pass_through(c, c->pending, buf);
		while (pkg_next(c->in, &m))
			pass_through(c, m, buf);
	}
	free(buf);
	/* Facts the input gave after its head (its end record). */
	for (i = c->in_facts; i < mi->nkv; i++)
		pkg_fact(c->po, mi->key[i], mi->val[i]);
	pkg_commit(c->po);
	c->po = NULL;
}
