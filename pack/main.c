/*
 * spaceport-pack - package -> zip that Confluence Cloud can import.
 *
 * Phases (one file each, see pack.h): read the package in stream order;
 * load relations.tsv into SQLite (8.3+ exports); rewrite entities.xml
 * straight into the zip, deflating it as it is rewritten, after the
 * Cloud exportDescriptor.properties; then every other member as it
 * streams past; optionally --verify against the original export.
 *
 * The descriptor comes first in the zip and may need the whole of
 * entities.xml: when the Server descriptor names no space (pack names the
 * only Space object's key, or --space-key must find it first), and for
 * --verify (which counts the output's objects), entities.xml is rewritten
 * into a spool file first and deflated after.  Either way entities.xml is
 * written as a member of unknown size (pack_zip_begin_stream) with the
 * same zip64 choice, so both give the same bytes.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "entities.h"
#include "fe.h"
#include "io.h"
#include "pkg.h"
#include "props.h"
#include "report.h"
#include "strbuf.h"
#include "tinylink.h"
#include "pack.h"
#include "xmlcheck.h"

struct opts {
	int		 quiet, force, jobs;
	const char	*space_key, *verify;
	const char	*timezone;
	int		 personal;	/* space_key: convert's personal-space key */
};

/* ---- the pack ------------------------------------------------------ */

struct state {
	struct opts	*o;
	struct pkg_in	*in;
	const struct manifest *mf;
	size_t		 max_object;	/* the package's limit (pkg_max_object) */
	struct pack_stats st;
	struct pack_rel	*rel;
	struct props	 desc;
	int		 have_desc;
	struct spool	 ents;
	int		 have_ents;
	int		 ents_streamed;	/* rewritten straight into the zip */
	int		 desc_written;
	int		 zip64_ents;	/* entities.xml's zip64 choice */
	struct spool	 ents_in;	/* entities.xml met before the head's
					   end (extract's order), held */
	int		 ents_held;
	long		 ents_at;	/* its index in the member list */
	int		 head_written;
	struct pack_held *held;		/* members inside the head (read.c) */
	struct pack_zip	*zip;
	struct pack_census *census;	/* of the output, for --verify */
	const char	*old_key;
	char		*old_key_buf;
	const char	*tz, *tz_from;	/* timezoneId written, and why */
};

static void
spool_wr(void *ctx, const void *buf, size_t n)
{
	if (n > 0)
		spool_write(ctx, buf, n);
}

static void	write_descriptor(struct state *);

/*
 * entities.xml on its way into the zip, rewritten straight in or read
 * back from its spool: the Cloud descriptor goes first, at the first
 * bytes (the root's datetime is known by then); every byte is fed to the
 * output's well-formedness gate and deflated.
 */
struct zstream {
	struct state	*s;
	struct xmlcheck	*gate;
	uint64_t	 n;
	int		 fd;		/* the spool read back (tee_read) */
};

static void
zstream_init(struct zstream *z, struct state *s, int fd)
{
	z->s = s;
	z->gate = xmlcheck_new("entities.xml (output)");
	z->n = 0;
	z->fd = fd;
}

static void
zstream_wr(void *ctx, const void *buf, size_t n)
{
	struct zstream *z = ctx;

	if (!z->s->desc_written) {
		write_descriptor(z->s);
		pack_zip_begin_stream(z->s->zip, PKG_ENTITIES, z->s->zip64_ents);
	}
	if (n == 0)
		return;
	if (xmlcheck_feed(z->gate, buf, n, 0) != 0)
		xmlcheck_die(z->gate);
	pack_zip_write(z->s->zip, buf, n);
	z->n += n;
}

static void
zstream_end(struct zstream *z)
{
	zstream_wr(z, NULL, 0);		/* an empty file still begins */
	if (xmlcheck_feed(z->gate, NULL, 0, 1) != 0)
		xmlcheck_die(z->gate);
	xmlcheck_free(z->gate);
	pack_zip_end(z->s->zip);
	z->s->st.entities_out = z->n;
}

/* ent_read_fn: read the spool and copy what was read into the zip. */
static ssize_t
tee_read(void *ctx, void *buf, size_t n)
{
	struct zstream *z = ctx;
	size_t r = io_read(z->fd, buf, n, "entities.xml spool");

	zstream_wr(z, buf, r);
	return (ssize_t)r;
}

/* The spooled rewrite into the zip; for --verify, counted on the way. */
static void
write_entities(struct state *s)
{
	char buf[65536];
	struct zstream z;

	spool_finish(&s->ents);
	zstream_init(&z, s, s->ents.fd);
	if (s->census != NULL) {
		struct ent_reader *r;
		const struct xobj *o;
		const char *gap;
		size_t gaplen;
		int rc;

		r = ent_open(tee_read, &z, "entities.xml (output)",
		    s->max_object);
		if (r == NULL)
			diag_die(SP_EXIT_FAIL, "entities.xml", 0,
			    "cannot re-read the output");
		while ((rc = ent_next(r, &o, &gap, &gaplen)) == 1)
			pack_census_add(s->census, o);
		ent_close(r);
		if (rc < 0)
			diag_die(SP_EXIT_FAIL, "entities.xml", 0,
			    "internal error: the output is not readable");
	}
	while (tee_read(&z, buf, sizeof(buf)) > 0)
		;
	zstream_end(&z);
	spool_close(&s->ents);
}

static int
has_member_prefix(const struct manifest *mf, const char *prefix)
{
	size_t i, n = strlen(prefix);

	for (i = 0; i < mf->nmem; i++)
		if (strncmp(mf->mem[i].name, prefix, n) == 0)
			return 1;
	return 0;
}

static int
site_export(struct state *s)
{
	const char *t = s->have_desc ? props_get(&s->desc, "exportType") : NULL;

	return t != NULL && (strcmp(t, "all") == 0 || strcmp(t, "site") == 0);
}

/* The Cloud descriptor: the zip's first member (zstream_wr calls it). */
static void
write_descriptor(struct state *s)
{
	struct pack_desc_in di;
	struct strbuf sb = STRBUF_INIT;

	if (s->o->space_key != NULL)
		s->st.sk[SK_DESCRIPTOR] = 1;
	memset(&di, 0, sizeof(di));
	di.src = s->have_desc ? &s->desc : NULL;
	if (s->o->space_key != NULL)
		di.space_key = s->o->space_key;
	else if (s->old_key != NULL)
		di.space_key = s->old_key;
	else if (s->st.spaces == 1 && !site_export(s))
		di.space_key = s->st.space_key_seen;
	di.datetime = s->st.datetime;
	di.tasks_csv = manifest_member(s->mf, "AO_BAF3AA_AOINLINE_TASK.csv") != NULL;
	di.attachments = has_member_prefix(s->mf, "attachments/");
	di.timezone = s->o->timezone;
	s->tz = pack_desc_timezone(&di, &s->tz_from);
	pack_descriptor(&di, &sb);
	pack_zip_begin(s->zip, PKG_DESCRIPTOR, sb.len,
	    io_crc32(0, sb.buf, sb.len));
	pack_zip_write(s->zip, sb.buf, sb.len);
	pack_zip_end(s->zip);
	sb_free(&sb);
	s->desc_written = 1;
}

/* Descriptor and entities.xml: the first two members of the zip (written
 * already when entities.xml streamed); then the members held inside the
 * head. */
static void
write_head(struct state *s)
{
	if (!s->have_ents)
		diag_die(SP_EXIT_FAIL, pkg_label(s->in), 0,
		    "package has no entities.xml");
	if (s->o->space_key != NULL && s->st.sk[SK_SPACE_KEY] == 0)
		diag_die(SP_EXIT_FAIL, "entities.xml", 0, "--space-key: no "
		    "Space object has the key %s", s->old_key);
	if (!s->ents_streamed)
		write_entities(s);
	s->head_written = 1;
	pack_held_write(&s->held, s->zip, &s->st);
}

/*
 * entities.xml's zip64 choice, from the package alone (the same whether
 * it streams or is spooled): its size in the manifest, or the writer's
 * estimate for a streamed member; zip64 from 2 GiB up (the rewrite adds
 * collections and may grow it), or when neither is given.
 */
static int
zip64_for_entities(const struct state *s, const struct pkg_member *m)
{
	uint64_t in = m->known ? m->size : manifest_getu(s->mf,
	    PKG_FACT_ESTIMATE PKG_ENTITIES);

	return in == 0 || in >= pack_zip_limit() / 2;
}

static void
read_descriptor(struct state *s)
{
	struct strbuf sb = STRBUF_INIT;

	pkg_slurp(s->in, &sb, PROPS_MAX);
	if (props_parse(&s->desc, sb.buf != NULL ? sb.buf : "", sb.len,
	    PKG_DESCRIPTOR) != 0)
		diag_die(SP_EXIT_FAIL, PKG_DESCRIPTOR, 0, "cannot parse");
	s->have_desc = 1;
	sb_free(&sb);
}

static ssize_t
fd_read(void *ctx, void *buf, size_t n)
{
	return (ssize_t)io_read(*(int *)ctx, buf, n, "entities.xml spool");
}

/*
 * --space-key for an export whose descriptor does not name its space:
 * the key is that of its only Space object, known after one pass.  Pass 1
 * (prolog, collections) goes to a first spool, pass 2 (the rename) reads
 * it back into the spool that is written to the zip.
 */
static void
rename_later(struct state *s, ent_read_fn rd, void *rdctx, struct pack_ent *e)
{
	struct spool first;
	struct pack_stats st2;
	int i;

	spool_open(&first);
	pack_entities(e, rd, rdctx, PKG_ENTITIES, spool_wr, &first);
	spool_finish(&first);
	if (s->st.spaces != 1 || s->st.space_key_seen == NULL)
		diag_die(SP_EXIT_FAIL, PKG_ENTITIES, 0, "--space-key: the "
		    "descriptor names no space and the export has %llu Space "
		    "objects", (unsigned long long)s->st.spaces);
	s->old_key_buf = xstrdup(s->st.space_key_seen);
	s->old_key = s->old_key_buf;
	if (s->old_key[0] == '~' && !s->o->personal)
		diag_die(SP_EXIT_FAIL, PKG_ENTITIES, 0, "--space-key: "
		    "%s is a personal space; its key belongs to its "
		    "owner and cannot be renamed", s->old_key);
	memset(&st2, 0, sizeof(st2));
	memset(e, 0, sizeof(*e));
	e->st = &st2;
	e->old_key = s->old_key;
	e->new_key = s->o->space_key;
	spool_open(&s->ents);
	pack_entities(e, fd_read, &first.fd, PKG_ENTITIES, spool_wr, &s->ents);
	spool_close(&first);
	for (i = 0; i < SK_NKINDS; i++)
		s->st.sk[i] += st2.sk[i];
	free(st2.datetime);
	free(st2.space_key_seen);
	s->have_ents = 1;
}

/* The writer (legacy or 8.3+) from the facts read so far: a streamed
 * package gives them after entities.xml in extract's order, so this is
 * asked again when they are needed. */
static void
writer_facts(struct state *s)
{
	s->st.writer = manifest_get(s->mf, "writer");
	s->st.rebuild = s->st.writer != NULL &&
	    strcmp(s->st.writer, "new") == 0;
}

/* entities.xml, read through rd (the package, or the held spool). */
static void
do_entities(struct state *s, ent_read_fn rd, void *rdctx)
{
	struct pack_ent e;
	struct zstream zs;
	const char *k;

	writer_facts(s);
	/* The key --space-key renames: the descriptor's spaceKey. */
	k = s->have_desc ? props_get(&s->desc, "spaceKey") : NULL;
	if (k == NULL || *k == '\0')
		k = manifest_get(s->mf, "descriptor.spaceKey");
	if (k != NULL && *k != '\0') {
		s->old_key_buf = xstrdup(k);
		s->old_key = s->old_key_buf;
	}
	if (k == NULL || *k == '\0') {
		/* 8.3+ writes spaceKeys (comma-joined); one key is enough */
		k = s->have_desc ? props_get(&s->desc, "spaceKeys") : NULL;
		if (k != NULL && (*k == '\0' || strchr(k, ',') != NULL))
			k = NULL;
	}
	if (k != NULL && *k != '\0' && s->old_key == NULL) {
		s->old_key_buf = xstrdup(k);
		s->old_key = s->old_key_buf;
	}
	memset(&e, 0, sizeof(e));
	e.st = &s->st;
	e.max_object = s->max_object;
	e.rel = s->rel;
	if (s->o->space_key != NULL && s->old_key == NULL) {
		rename_later(s, rd, rdctx, &e);
		return;
	}
	if (s->o->space_key != NULL) {
		if (s->old_key[0] == '~' && !s->o->personal)
			diag_die(SP_EXIT_FAIL, PKG_DESCRIPTOR, 0, "--space-key: "
			    "%s is a personal space; its key belongs to its "
			    "owner and cannot be renamed", s->old_key);
		e.old_key = s->old_key;
		e.new_key = s->o->space_key;
	}
	/* Straight into the zip, unless the descriptor needs the whole
	 * file first (it names the only space's key) or --verify counts the
	 * output's objects. */
	if (s->census == NULL && (s->old_key != NULL || site_export(s))) {
		zstream_init(&zs, s, -1);
		pack_entities(&e, rd, rdctx, PKG_ENTITIES, zstream_wr, &zs);
		zstream_end(&zs);
		s->ents_streamed = 1;
	} else {
		spool_open(&s->ents);
		pack_entities(&e, rd, rdctx, PKG_ENTITIES, spool_wr, &s->ents);
	}
	s->have_ents = 1;
}

/* entities.xml from the package, or held until the head is complete. */
static void
entities_member(struct state *s, const struct pkg_member *m, long head_end)
{
	char buf[65536];
	size_t r;

	s->ents_at = m - s->mf->mem;
	s->zip64_ents = zip64_for_entities(s, m);
	if (s->ents_at == head_end) {
		do_entities(s, pkg_read_fn, s->in);
		s->st.entities_in = m->size;	/* checked by now */
		return;
	}
	spool_open(&s->ents_in);
	while ((r = pkg_read(s->in, buf, sizeof(buf))) > 0)
		spool_write(&s->ents_in, buf, r);
	spool_finish(&s->ents_in);
	s->ents_held = 1;
}

/* The head is complete: held entities.xml is read now. */
static void
held_entities(struct state *s)
{
	if (!s->ents_held)
		return;
	do_entities(s, spool_read_fn, &s->ents_in);
	s->st.entities_in = s->ents_in.size;
	spool_close(&s->ents_in);
	s->ents_held = 0;
}

static void
copy_member(struct state *s, const struct pkg_member *m)
{
	char buf[65536];
	size_t n;

	pack_zip_begin(s->zip, m->name, m->size, m->crc);
	while ((n = pkg_read(s->in, buf, sizeof(buf))) > 0)
		pack_zip_write(s->zip, buf, n);
	pack_zip_end(s->zip);
	pack_count_copied(&s->st, m->name, m->size);
}

static struct strbuf pack_json = STRBUF_INIT;

static void
pack_section(struct strbuf *sb, void *arg)
{
	(void)arg;
	sb_add(sb, pack_json.buf, pack_json.len);
}

static void
make_pack_json(struct state *s)
{
	struct pack_stats *st = &s->st;
	struct strbuf *j = &pack_json;
	int i, first = 1;

	sb_adds(j, "{\"writer\":");
	json_str(j, st->writer);
	sb_adds(j, ",\"objects\":");
	json_u64(j, st->objects);
	sb_adds(j, ",\"entities_bytes_in\":");
	json_u64(j, st->entities_in);
	sb_adds(j, ",\"entities_bytes_out\":");
	json_u64(j, st->entities_out);
	sb_adds(j, ",\"prolog_added\":");
	sb_adds(j, st->prolog_added ? "true" : "false");
	sb_adds(j, ",\"collections\":{\"rebuilt\":");
	sb_adds(j, st->rebuild ? "true" : "false");
	sb_adds(j, ",\"relations\":");
	json_u64(j, st->rel_rows);
	sb_adds(j, ",\"elements_added\":");
	json_u64(j, st->rel_added);
	sb_adds(j, ",\"already_present\":");
	json_u64(j, st->rel_present);
	sb_adds(j, ",\"unknown_class\":");
	json_u64(j, st->rel_unknown);
	sb_adds(j, ",\"unmatched_parent\":");
	json_u64(j, st->rel_rows - st->rel_added - st->rel_present -
	    st->rel_unknown);
	sb_adds(j, ",\"objects_changed\":");
	json_u64(j, st->objects_with_added);
	sb_adds(j, ",\"added\":{");
	for (i = 0; i < PACK_NCOLL; i++) {
		if (st->coll_added[i] == 0)
			continue;
		if (!first)
			sb_addc(j, ',');
		first = 0;
		json_str(j, pack_coll_names[i]);
		sb_addc(j, ':');
		json_u64(j, st->coll_added[i]);
	}
	sb_adds(j, "}},\"space_key\":");
	if (s->o->space_key != NULL) {
		sb_adds(j, "{\"old\":");
		json_str(j, s->old_key);
		sb_adds(j, ",\"new\":");
		json_str(j, s->o->space_key);
		sb_adds(j, ",\"changed\":{");
		for (i = 0; i < SK_NKINDS; i++) {
			if (i > 0)
				sb_addc(j, ',');
			json_str(j, pack_sk_names[i]);
			sb_addc(j, ':');
			json_u64(j, st->sk[i]);
		}
		sb_adds(j, "}}");
	} else
		sb_adds(j, "null");
	sb_adds(j, ",\"timezone\":");
	json_str(j, s->tz);
	sb_adds(j, ",\"members\":");
	json_u64(j, st->members);
	sb_adds(j, ",\"attachments\":");
	json_u64(j, st->attachments);
	sb_adds(j, ",\"attachment_bytes\":");
	json_u64(j, st->attachment_bytes);
	sb_adds(j, ",\"zip_bytes\":");
	json_u64(j, st->zip_bytes);
	sb_adds(j, "}");
}

static void
summary(struct state *s)
{
	struct pack_stats *st = &s->st;
	int i;

	report_summary_line("writer", "%s%s", st->writer != NULL ? st->writer :
	    "(unknown)", st->prolog_added ? " (xml prolog added)" : "");
	report_summary_line("objects", "%" PRIu64, st->objects);
	if (st->rebuild) {
		report_summary_line("collections rebuilt", "%" PRIu64
		    " elements in %" PRIu64 " objects (%" PRIu64
		    " relations)", st->rel_added, st->objects_with_added,
		    st->rel_rows);
		for (i = 0; i < PACK_NCOLL; i++)
			if (st->coll_added[i] > 0)
				report_summary_line(pack_coll_names[i],
				    "%" PRIu64, st->coll_added[i]);
	}
	if (s->o->space_key != NULL) {
		report_summary_line("space key", "%s -> %s", s->old_key,
		    s->o->space_key);
		for (i = 0; i < SK_NKINDS; i++)
			report_summary_line(pack_sk_names[i], "%" PRIu64,
			    st->sk[i]);
	}
	report_summary_line("time zone", "%s (%s)", s->tz, s->tz_from);
	report_summary_line("members", "%" PRIu64, st->members);
	report_summary_line("attachments", "%" PRIu64 " (%" PRIu64 " bytes)",
	    st->attachments, st->attachment_bytes);
	report_summary_line("zip bytes", "%" PRIu64, st->zip_bytes);
}

/* Its long options, in the order of prog.longopts in main(). */
enum { OPT_FORCE = FE_LONG, OPT_SPACE_KEY, OPT_TIMEZONE, OPT_VERIFY, OPT_JOBS };


static int
pack_opt(struct fe *fe, int ch, const char *arg)
{
	struct opts *o = fe->prog->ctx;
	const char *why;
	char *end;

	switch (ch) {
	case OPT_FORCE: o->force = 1; break;
	case 'j':
	case OPT_JOBS:
		o->jobs = (int)strtol(arg, &end, 10);
		if (*arg == '\0' || *end != '\0' || o->jobs < 1 ||
		    o->jobs > 64) {
			diag_warn(NULL, 0, "-j %s: not a number of threads from "
			    "1 to 64", arg);
			return -1;
		}
		break;
	case OPT_SPACE_KEY:
		if ((why = pack_space_key_invalid(arg)) != NULL) {
			diag_warn(NULL, 0, "--space-key %s: %s", arg, why);
			return -1;
		}
		o->space_key = arg;
		break;
	case OPT_TIMEZONE:
		if ((why = pack_timezone_invalid(arg)) != NULL) {
			diag_warn(NULL, 0, "--timezone %s: %s", arg, why);
			return -1;
		}
		o->timezone = arg;
		break;
	case OPT_VERIFY:
		o->verify = arg;
		fe_add_input(fe, arg);
		break;
	default:
		return -1;
	}
	return 0;
}

/* The member loop: every member of the package, in stream order. */
static void
pack_members(struct state *s)
{
	const struct pkg_member *m;
	long head_end = pack_head_end(s->mf);

	while (pkg_next(s->in, &m)) {
		if (!s->head_written && m - s->mf->mem > head_end)
			held_entities(s);
		if (strcmp(m->name, PKG_RELATIONS) == 0)
			writer_facts(s);
		if (strcmp(m->name, PKG_RELATIONS) == 0 && s->st.rebuild &&
		    s->rel == NULL)
			s->rel = pack_rel_load(s->in, &s->st);
		else if (strncmp(m->name, "spaceport/", 10) == 0)
			pkg_skip(s->in);
		else if (strcmp(m->name, PKG_DESCRIPTOR) == 0) {
			/* The zip holds one descriptor, the Cloud one, written
			 * first: the Server one is its source when it comes
			 * before the head is written, never a member. */
			if (!s->have_desc && !s->head_written)
				read_descriptor(s);
			else {
				report_finding("descriptor-late", PKG_DESCRIPTOR,
				    0, NULL, "comes after other members; the "
				    "cloud descriptor was written without it");
				pkg_skip(s->in);
			}
		} else if (strcmp(m->name, PKG_ENTITIES) == 0 && !s->have_ents &&
		    !s->ents_held)
			entities_member(s, m, head_end);
		else if (!s->head_written && m - s->mf->mem < head_end)
			pack_hold(&s->held, s->in, m);
		else {
			if (!s->head_written)
				write_head(s);
			copy_member(s, m);
		}
	}
	held_entities(s);
	if (!s->head_written)
		write_head(s);
}

/*
 * A personal space convert gave its Cloud key (convert/rewrite.c,
 * personal_space): renamed here with the machinery of --space-key.  An
 * explicit --space-key wins (and is refused on a personal space, as
 * ever).  The key comes from a package: checked for the Cloud shape.
 */
static void
personal_rename(const struct manifest *mf, struct opts *o)
{
	const char *from = manifest_get(mf, "convert.personal-space.from");
	const char *to = manifest_get(mf, "convert.personal-space.key");

	if (from == NULL || to == NULL || o->space_key != NULL)
		return;
	if (from[0] != '~' || !personal_key_is_cloud(to))
		diag_die(SP_EXIT_FAIL, PKG_MANIFEST, 0, "convert.personal-space: "
		    "%s to %s is not a personal space renamed to a cloud "
		    "personal space key", from, to);
	o->space_key = to;
	o->personal = 1;
}

/* What convert's link normalisation did (its convert.link.* facts), for
 * the --verify table: the body links it rewrote explain bodies that
 * differ from the original's. */
static void
link_facts(const struct manifest *mf, struct pack_stats *st)
{
	const char *k, *dot;
	size_t i;

	st->links_on = manifest_get(mf, "convert.link.server-urls") != NULL;
	for (i = 0; i < mf->nkv; i++) {
		k = mf->key[i];
		if (strncmp(k, "convert.link.", 13) == 0 &&
		    (dot = strrchr(k, '.')) != NULL) {
			if (strcmp(dot, ".rewritten") == 0 ||
			    strcmp(dot, ".cross-space") == 0)
				st->links_rewritten += manifest_getu(mf, k);
			else if (strcmp(dot, ".unresolved") == 0)
				st->links_unresolved += manifest_getu(mf, k);
		} else if (strcmp(k, "convert.outgoing-link.rewritten") == 0 ||
		    strcmp(k, "convert.outgoing-link.cross-space") == 0)
			st->outgoing_rewritten += manifest_getu(mf, k);
	}
}

int
main(int argc, char **argv)
{
	static struct opts o;
	static const struct fe_prog prog = {
		.name = PACK_PROG,
		.synopsis = "[-q] [-j N] [--strict] [--force] [--space-key NEW]\n"
		    "                      [--timezone ZONE] [--verify "
		    "ORIGINAL.zip]\n"
		    "                      [--report FILE] [-o FILE] "
		    "[PACKAGE | DIR | -]\n",
		.about = "Write a zip Confluence Cloud can import from a "
		    "spaceport package.",
		.what = "zip",
		.operand = "package",
		.options =
		    "  -j, --jobs N        deflate on N threads (default: the "
		    "CPUs available)\n"
		    "  --space-key NEW     rename the space to NEW (letters and "
		    "digits)\n"
		    "  --timezone ZONE     the IANA time zone the Server ran in "
		    "(default UTC)\n"
		    "  --verify ORIG.zip   compare the output with the original "
		    "Server export\n"
		    "  --force             pack a package that convert has not "
		    "normalised\n",
		.status = "Exit status: 0 ok, 1 failure, differences under "
		    "--verify, or findings with\n--strict, 2 usage; killed by "
		    "a signal: no output left, the signal's\nstatus "
		    "(128+N).\n",
		.shortopts = "j:",
		.longopts = "force,space-key:,timezone:,verify:,jobs:",
		.opt = pack_opt,
		.ctx = &o,
	};
	struct fe fe;
	struct state s;
	const char *norm;
	struct outfile of;
	const char *self_path;
	int fd, rc = SP_EXIT_OK;
	uint64_t diffs = 0;

	fe_start(&fe, &prog, argc, argv);
	o.quiet = fe.quiet;
	if (o.verify != NULL && strcmp(o.verify, "-") == 0 &&
	    strcmp(fe.input, "-") == 0) {
		diag_warn(NULL, 0, "--verify -: standard input already carries "
		    "the package");
		fe_usage(&fe);
	}
	fe_ready(&fe);

	memset(&s, 0, sizeof(s));
	s.o = &o;
	s.in = pkg_open(strcmp(fe.input, "-") == 0 ? NULL : fe.input);
	s.mf = pkg_manifest(s.in);
	s.max_object = pkg_max_object(s.mf, PACK_MAX_OBJECT);
	norm = manifest_get(s.mf, "normalised");
	if ((norm == NULL || strcmp(norm, "1") != 0) && !o.force)
		diag_die(SP_EXIT_FAIL, pkg_label(s.in), 0, "package not "
		    "normalised by spaceport-convert (stage %s); run "
		    "spaceport-convert first, or --force",
		    manifest_get(s.mf, "stage") != NULL ?
		    manifest_get(s.mf, "stage") : "unknown");
	writer_facts(&s);
	personal_rename(s.mf, &o);
	s.st.new_key = o.space_key;
	s.st.personal = o.personal;
	if (o.verify != NULL)
		s.census = pack_census_new();

	memset(&of, 0, sizeof(of));
	/* a regular file: temporary sibling renamed at the end; a FIFO or
	 * /dev/null: written directly, never replaced */
	if (fe.out != NULL) {
		outfile_open(&of, fe.out);
		fd = of.fd;
	} else
		fd = STDOUT_FILENO;
	s.zip = pack_zip_open(fd, fe.out != NULL ? fe.out : "<stdout>");
	pack_zip_threads(s.zip, o.jobs ? o.jobs : pack_zip_ncpu());
	pack_members(&s);
	/* convert's counts come at the end of a streamed package */
	link_facts(s.mf, &s.st);
	pack_zip_close(s.zip);
	s.st.zip_bytes = pack_zip_bytes(s.zip);
	{
		const struct pack_zentry *ze;

		s.st.members = pack_zip_entries(s.zip, &ze);
	}
	if (s.st.rebuild && s.rel == NULL)
		report_finding("relations-missing", pkg_label(s.in), 0, NULL,
		    "8.3+ export without spaceport/relations.tsv: collections "
		    "not rebuilt");
	/* the self-check re-reads the zip: only a regular file can be */
	self_path = fe.out != NULL ? of.tmp : NULL;
	if (o.verify != NULL)
		diffs = pack_verify(o.verify, s.census, s.zip, self_path,
		    &s.st, o.quiet);
	if (fe.out != NULL)
		outfile_commit(&of);

	make_pack_json(&s);
	report_section("pack", pack_section, NULL);
	summary(&s);
	rc = fe_finish(&fe, diffs > 0 ? SP_EXIT_FAIL : SP_EXIT_OK);

	pack_zip_free(s.zip);
	pack_rel_free(s.rel);
	pack_census_free(s.census);
	props_free(&s.desc);
	free(s.old_key_buf);
	free(s.st.datetime);
	free(s.st.space_key_seen);
	pkg_close(s.in);
	report_free();
	sb_free(&pack_json);
	pack_verify_free();
	return diag_close_stdout(rc);
}
