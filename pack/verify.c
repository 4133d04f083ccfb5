/*
 * verify.c - --verify ORIGINAL.zip: compare what was written with the
 * original Server export and account for every difference.
 *
 * Compared:
 *  - objects per class (count, and an order-independent digest of their
 *    ids: the sum of a 64-bit hash of each id, so a lost object replaced by
 *    a duplicate still shows);
 *  - bodies (BodyContent with a body, by format);
 *  - attachments/ members: name, size and CRC-32, one by one;
 *  - every other carried member (plugin-data/..., AO_*.csv, ...), same;
 *  - users: ConfluenceUserImpl objects and those with an
 *    atlassianAccountId (reported, not a difference).
 * Explained by the documented normalisation (not differences):
 *  - more ConfluenceUserImpl objects in the output: convert adds one per
 *    legacy (username-only) user; the ids of user objects are not compared
 *    for the same reason;
 *  - rebuilt collections and --space-key edits change no object count;
 *  - exportDescriptor.properties and entities.xml are rewritten by design.
 * The output's entities.xml census is taken from the bytes actually
 * written (the caller re-reads its spool while copying it into the zip).
 * With -o FILE the finished zip is also re-opened and its central
 * directory checked against what was written (self-check).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "entities.h"
#include "model.h"
#include "progress.h"
#include "props.h"
#include "report.h"
#include "strbuf.h"
#include "zipin.h"
#include "pack.h"

struct cls_count {
	char		*cls;
	uint64_t	 n;
	uint64_t	 digest;
};

struct pack_census {
	struct cls_count *c;
	size_t		 n, cap;
	size_t		 last;
	uint64_t	 objects;
	uint64_t	 bodies, body_fmt[4];
	uint64_t	 users, users_mapped;
	char		*space_key;	/* key of the first Space object */
};

struct pack_census *
pack_census_new(void)
{
	return xcalloc(1, sizeof(struct pack_census));
}

void
pack_census_free(struct pack_census *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++)
		free(c->c[i].cls);
	free(c->c);
	free(c->space_key);
	free(c);
}

static uint64_t
id_hash(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	/* splitmix64 finaliser: spreads FNV's weak low bits */
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
}

static struct cls_count *
census_class(struct pack_census *c, const char *cls)
{
	size_t i;

	if (cls == NULL)
		cls = "";
	if (c->last < c->n && strcmp(c->c[c->last].cls, cls) == 0)
		return &c->c[c->last];
	for (i = 0; i < c->n; i++)
		if (strcmp(c->c[i].cls, cls) == 0) {
			c->last = i;
			return &c->c[i];
		}
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 32;
		c->c = xreallocarray(c->c, c->cap, sizeof(*c->c));
	}
	c->c[c->n].cls = xstrdup(cls);
	c->c[c->n].n = 0;
	c->c[c->n].digest = 0;
	c->last = c->n;
	return &c->c[c->n++];
}

void
pack_census_add(struct pack_census *c, const struct xobj *o)
{
	struct cls_count *k = census_class(c, o->cls);
	const struct xmember *m;

	c->objects++;
	k->n++;
	if (o->id != NULL)
		k->digest += id_hash(o->id, o->id_len);
	if (o->cls != NULL && strcmp(o->cls, "ConfluenceUserImpl") == 0) {
		c->users++;
		m = xobj_member(o, "atlassianAccountId");
		if (m != NULL && !m->is_null && m->value != NULL &&
		    m->value_len > 0)
			c->users_mapped++;
	} else if (o->cls != NULL && strcmp(o->cls, "Space") == 0) {
		m = xobj_member(o, "key");
		if (c->space_key == NULL && m != NULL && !m->is_null &&
		    m->value != NULL)
			c->space_key = xstrdup(m->value);
	} else {
		enum body_format f = model_body(o, &m);

		if (f != BODY_NONE && o->cls != NULL &&
		    strcmp(o->cls, "BodyContent") == 0) {
			c->bodies++;
			c->body_fmt[f]++;
		}
	}
}

/* ---- comparison ---------------------------------------------------- */

struct vstate {
	int		 quiet;
	uint64_t	 diffs;
	struct strbuf	 table;
	struct strbuf	 json;		/* the report section */
};

static struct strbuf verify_json = STRBUF_INIT;

static void
verify_section(struct strbuf *sb, void *arg)
{
	(void)arg;
	sb_add(sb, verify_json.buf, verify_json.len);
}

static void
row(struct vstate *v, const char *what, const char *in, const char *out,
    const char *status)
{
	char vis[4 * 256];

	/* what may quote the input (a class name): escaped like every
	 * diagnostic */
	sb_addf(&v->table, "  %-40s %12s %12s  %s\n", diag_vis(vis,
	    sizeof(vis), what), in, out, status);
}

static void
rowu(struct vstate *v, const char *what, uint64_t in, uint64_t out,
    const char *status)
{
	char a[32], b[32];

	snprintf(a, sizeof(a), "%" PRIu64, in);
	snprintf(b, sizeof(b), "%" PRIu64, out);
	row(v, what, a, b, status);
}

static void
differ(struct vstate *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
differ(struct vstate *v, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	diag_warn(NULL, 0, "verify: %s", sb_str(&sb));
	sb_free(&sb);
	v->diffs++;
}

static int
cmp_cls(const void *a, const void *b)
{
	return strcmp(((const struct cls_count *)a)->cls,
	    ((const struct cls_count *)b)->cls);
}

static const struct cls_count *
find_cls(const struct pack_census *c, const char *cls)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->c[i].cls, cls) == 0)
			return &c->c[i];
	return NULL;
}

static void
compare_classes(struct vstate *v, struct pack_census *in,
    struct pack_census *out)
{
	struct cls_count *all;
	size_t n = 0, i;
	static const struct cls_count zero = { NULL, 0, 0 };

	all = xreallocarray(NULL, in->n + out->n + 1, sizeof(*all));
	for (i = 0; i < in->n; i++)
		all[n++] = in->c[i];
	for (i = 0; i < out->n; i++)
		if (find_cls(in, out->c[i].cls) == NULL)
			all[n++] = out->c[i];
	qsort(all, n, sizeof(*all), cmp_cls);
	sb_adds(&v->json, "\"classes\":{");
	for (i = 0; i < n; i++) {
		const struct cls_count *a = find_cls(in, all[i].cls);
		const struct cls_count *b = find_cls(out, all[i].cls);
		const char *status = "ok";
		char label[200];
		char note[64];

		if (a == NULL)
			a = &zero;
		if (b == NULL)
			b = &zero;
		snprintf(label, sizeof(label), "  %.190s", all[i].cls);
		if (strcmp(all[i].cls, "ConfluenceUserImpl") == 0) {
			if (b->n < a->n) {
				status = "DIFFERENT";
				differ(v, "%s: %" PRIu64 " objects in the "
				    "original, %" PRIu64 " in the output",
				    all[i].cls, a->n, b->n);
			} else if (b->n > a->n) {
				snprintf(note, sizeof(note), "ok (+%" PRIu64
				    " added by convert)", b->n - a->n);
				status = note;
			}
		} else if (a->n != b->n) {
			status = "DIFFERENT";
			differ(v, "%s: %" PRIu64 " objects in the original, %"
			    PRIu64 " in the output", all[i].cls, a->n, b->n);
		} else if (a->digest != b->digest) {
			status = "DIFFERENT ids";
			differ(v, "%s: same number of objects but different ids",
			    all[i].cls);
		}
		rowu(v, label, a->n, b->n, status);
		if (i > 0)
			sb_addc(&v->json, ',');
		json_str(&v->json, all[i].cls);
		sb_adds(&v->json, ":{\"original\":");
		json_u64(&v->json, a->n);
		sb_adds(&v->json, ",\"output\":");
		json_u64(&v->json, b->n);
		sb_adds(&v->json, "}");
	}
	sb_adds(&v->json, "},");
	free(all);
}

static int
cmp_zentry(const void *a, const void *b)
{
	return strcmp(((const struct pack_zentry *)a)->name,
	    ((const struct pack_zentry *)b)->name);
}

struct mstat {
	uint64_t	 n_in, n_out, bytes_in, bytes_out;
	uint64_t	 missing, extra, mismatch;
};

static int
is_rewritten(const char *name)
{
	return strcmp(name, "entities.xml") == 0 ||
	    strcmp(name, "exportDescriptor.properties") == 0;
}

/* Merge-join the original's members with the output's, sorted by name. */
static void
compare_members(struct vstate *v, struct zipin *zi, const struct pack_zip *z,
    struct mstat *att, struct mstat *oth)
{
	const struct zipin_entry *ie;
	const struct pack_zentry *we;
	struct pack_zentry *oe;
	size_t ni, no, i = 0, j = 0;

	ni = zipin_entries(zi, &ie);
	no = pack_zip_entries(z, &we);
	oe = xreallocarray(NULL, no + 1, sizeof(*oe));
	memcpy(oe, we, no * sizeof(*oe));
	qsort(oe, no, sizeof(*oe), cmp_zentry);
	while (i < ni || j < no) {
		int c;
		const char *name;
		struct mstat *s;

		if (i < ni && j < no)
			c = strcmp(ie[i].name, oe[j].name);
		else
			c = i < ni ? -1 : 1;
		name = c <= 0 ? ie[i].name : oe[j].name;
		if (is_rewritten(name)) {
			if (c <= 0)
				i++;
			if (c >= 0)
				j++;
			continue;
		}
		s = strncmp(name, "attachments/", 12) == 0 ? att : oth;
		if (c <= 0) {
			s->n_in++;
			s->bytes_in += ie[i].size;
		}
		if (c >= 0) {
			s->n_out++;
			s->bytes_out += oe[j].size;
		}
		if (c < 0) {
			s->missing++;
			differ(v, "%s: in the original, not in the output", name);
		} else if (c > 0) {
			s->extra++;
			differ(v, "%s: in the output, not in the original", name);
		} else if (ie[i].size != oe[j].size || ie[i].crc != oe[j].crc) {
			s->mismatch++;
			differ(v, "%s: original %" PRIu64 " bytes crc %08x, "
			    "output %" PRIu64 " bytes crc %08x", name,
			    ie[i].size, (unsigned)ie[i].crc, oe[j].size,
			    (unsigned)oe[j].crc);
		}
		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
	}
	free(oe);
}

static void
json_mstat(struct strbuf *sb, const char *name, const struct mstat *s)
{
	json_str(sb, name);
	sb_adds(sb, ":{\"original\":{\"count\":");
	json_u64(sb, s->n_in);
	sb_adds(sb, ",\"bytes\":");
	json_u64(sb, s->bytes_in);
	sb_adds(sb, "},\"output\":{\"count\":");
	json_u64(sb, s->n_out);
	sb_adds(sb, ",\"bytes\":");
	json_u64(sb, s->bytes_out);
	sb_adds(sb, "},\"missing\":");
	json_u64(sb, s->missing);
	sb_adds(sb, ",\"extra\":");
	json_u64(sb, s->extra);
	sb_adds(sb, ",\"crc_or_size_mismatch\":");
	json_u64(sb, s->mismatch);
	sb_adds(sb, "},");
}

static void
mstat_rows(struct vstate *v, const char *what, const struct mstat *s)
{
	char l[80];

	snprintf(l, sizeof(l), "%s (files)", what);
	rowu(v, l, s->n_in, s->n_out, s->missing + s->extra ? "DIFFERENT" : "ok");
	snprintf(l, sizeof(l), "%s (bytes)", what);
	rowu(v, l, s->bytes_in, s->bytes_out, s->bytes_in != s->bytes_out ?
	    "DIFFERENT" : "ok");
	snprintf(l, sizeof(l), "%s (size/crc-32 mismatches)", what);
	{
		char c[32];

		snprintf(c, sizeof(c), "%" PRIu64, s->mismatch);
		row(v, l, "-", c, s->mismatch > 0 ? "DIFFERENT" : "ok");
	}
}

/* Read the original's entities.xml and descriptor. */
static void
census_original(struct zipin *zi, struct pack_census *in, struct props *desc,
    int *have_desc)
{
	const char *name;
	uint64_t size;
	struct strbuf sb = STRBUF_INIT;
	char buf[65536];
	size_t n;
	int seen = 0;

	zipin_rewind(zi);
	while (zipin_next(zi, &name, &size)) {
		if (strcmp(name, "entities.xml") == 0) {
			struct ent_reader *r;
			const struct xobj *o;
			const char *gap;
			size_t gaplen;
			int rc;

			r = ent_open(zipin_read_fn, zi, "entities.xml",
			    PACK_MAX_OBJECT);
			if (r == NULL)
				diag_die(SP_EXIT_FAIL, zipin_label(zi), 0,
				    "verify: cannot read entities.xml");
			while ((rc = ent_next(r, &o, &gap, &gaplen)) == 1)
				pack_census_add(in, o);
			ent_close(r);
			if (rc < 0)
				diag_die(SP_EXIT_FAIL, zipin_label(zi), 0,
				    "verify: the original's entities.xml "
				    "cannot be read");
			while (zipin_read(zi, buf, sizeof(buf)) > 0)
				;
			seen = 1;
		} else if (strcmp(name, "exportDescriptor.properties") == 0 &&
		    size <= PROPS_MAX) {
			sb_reset(&sb);
			while ((n = zipin_read(zi, buf, sizeof(buf))) > 0)
				sb_add(&sb, buf, n);
			if (props_parse(desc, sb.buf != NULL ? sb.buf : "",
			    sb.len, "exportDescriptor.properties") == 0)
				*have_desc = 1;
		}
	}
	sb_free(&sb);
	if (!seen)
		diag_die(SP_EXIT_FAIL, zipin_label(zi), 0,
		    "verify: the original has no entities.xml");
}

/* Re-open the written zip and check its central directory. */
static int
self_check(struct vstate *v, const char *path, const struct pack_zip *z)
{
	struct zipin_limits lim;
	struct zipin *zi;
	const struct zipin_entry *ie;
	const struct pack_zentry *we;
	struct pack_zentry *oe;
	size_t ni, no, i;
	int bad = 0;

	zipin_default_limits(&lim);
	lim.max_ratio = UINT64_MAX;	/* our own output: no ratio limit */
	zi = zipin_open(path, &lim);
	ni = zipin_entries(zi, &ie);
	no = pack_zip_entries(z, &we);
	oe = xreallocarray(NULL, no + 1, sizeof(*oe));
	memcpy(oe, we, no * sizeof(*oe));
	qsort(oe, no, sizeof(*oe), cmp_zentry);
	if (ni != no) {
		differ(v, "self-check: %zu members written, %zu in the zip",
		    no, ni);
		bad = 1;
	}
	for (i = 0; i < ni && i < no; i++)
		if (strcmp(ie[i].name, oe[i].name) != 0 ||
		    ie[i].size != oe[i].size || ie[i].crc != oe[i].crc) {
			differ(v, "self-check: %s differs in the zip written",
			    oe[i].name);
			bad = 1;
		}
	free(oe);
	zipin_close(zi);
	return bad;
}

uint64_t
pack_verify(const char *orig, struct pack_census *out,
    const struct pack_zip *z, const char *zip_path,
    const struct pack_stats *st, int quiet)
{
	struct vstate v;
	struct zipin_limits lim;
	struct zipin *zi;
	struct pack_census *in = pack_census_new();
	struct props desc;
	struct mstat att, oth;
	int have_desc = 0, sc = -1;
	static const char *const fmt_names[4] = { "none", "storage",
	    "wiki", "other" };
	size_t i;

	memset(&v, 0, sizeof(v));
	memset(&desc, 0, sizeof(desc));
	memset(&att, 0, sizeof(att));
	memset(&oth, 0, sizeof(oth));
	v.quiet = quiet;
	zipin_default_limits(&lim);
	zi = zipin_open(orig, &lim);
	census_original(zi, in, &desc, &have_desc);

	sb_adds(&v.json, "{\"original\":");
	json_str(&v.json, zipin_label(zi));
	sb_adds(&v.json, ",");
	row(&v, "what", "original", "output", "");
	rowu(&v, "objects", in->objects, out->objects,
	    in->objects == out->objects ? "ok" : "see classes");
	compare_classes(&v, in, out);

	rowu(&v, "bodies", in->bodies, out->bodies,
	    in->bodies == out->bodies ? "ok" : "DIFFERENT");
	if (in->bodies != out->bodies)
		differ(&v, "bodies: %" PRIu64 " in the original, %" PRIu64
		    " in the output", in->bodies, out->bodies);
	sb_adds(&v.json, "\"bodies\":{\"original\":");
	json_u64(&v.json, in->bodies);
	sb_adds(&v.json, ",\"output\":");
	json_u64(&v.json, out->bodies);
	for (i = 1; i < 4; i++) {
		char l[64];

		snprintf(l, sizeof(l), "  %s", fmt_names[i]);
		rowu(&v, l, in->body_fmt[i], out->body_fmt[i],
		    in->body_fmt[i] == out->body_fmt[i] ? "ok" : "DIFFERENT");
		if (in->body_fmt[i] != out->body_fmt[i])
			differ(&v, "%s bodies: %" PRIu64 " in the original, %"
			    PRIu64 " in the output", fmt_names[i],
			    in->body_fmt[i], out->body_fmt[i]);
		sb_addf(&v.json, ",\"%s\":{\"original\":", fmt_names[i]);
		json_u64(&v.json, in->body_fmt[i]);
		sb_adds(&v.json, ",\"output\":");
		json_u64(&v.json, out->body_fmt[i]);
		sb_adds(&v.json, "}");
	}
	sb_adds(&v.json, "},");

	compare_members(&v, zi, z, &att, &oth);
	mstat_rows(&v, "attachments", &att);
	mstat_rows(&v, "other members", &oth);
	json_mstat(&v.json, "attachments", &att);
	json_mstat(&v.json, "other_members", &oth);

	rowu(&v, "users (ConfluenceUserImpl)", in->users, out->users, "");
	rowu(&v, "users mapped (atlassianAccountId)", in->users_mapped,
	    out->users_mapped, "");
	sb_adds(&v.json, "\"users\":{\"original\":");
	json_u64(&v.json, in->users);
	sb_adds(&v.json, ",\"output\":");
	json_u64(&v.json, out->users);
	sb_adds(&v.json, ",\"mapped_original\":");
	json_u64(&v.json, in->users_mapped);
	sb_adds(&v.json, ",\"mapped_output\":");
	json_u64(&v.json, out->users_mapped);
	sb_adds(&v.json, "},");

	{
		const char *a = in->space_key != NULL ? in->space_key : "-";
		const char *b = out->space_key != NULL ? out->space_key : "-";
		const char *status = "ok";

		if (st->new_key != NULL) {
			status = st->personal ? "renamed (personal space)" :
			    "renamed (--space-key)";
			if (strcmp(b, st->new_key) != 0) {
				status = "DIFFERENT";
				differ(&v, "space key: %s in the output, --space-key "
				    "asked for %s", b, st->new_key);
			}
		} else if (strcmp(a, b) != 0) {
			status = "DIFFERENT";
			differ(&v, "space key: %s in the original, %s in the "
			    "output", a, b);
		}
		row(&v, "space key", a, b, status);
	}
	rowu(&v, "collections rebuilt (elements)", 0, st->rel_added,
	    st->rebuild ? "added (8.3+ export)" : "");
	if (st->links_on) {
		/* Body bytes differ where convert rewrote links: counted
		 * there (its manifest facts), not recounted here. */
		rowu(&v, "links to the old server rewritten", 0,
		    st->links_rewritten, "rewritten (--server-url)");
		rowu(&v, "links left unresolved (reported)", 0,
		    st->links_unresolved, "");
		rowu(&v, "OutgoingLink objects rewritten", 0,
		    st->outgoing_rewritten, "rewritten (--server-url)");
		sb_adds(&v.json, "\"links\":{\"rewritten\":");
		json_u64(&v.json, st->links_rewritten);
		sb_adds(&v.json, ",\"unresolved\":");
		json_u64(&v.json, st->links_unresolved);
		sb_adds(&v.json, ",\"outgoing_rewritten\":");
		json_u64(&v.json, st->outgoing_rewritten);
		sb_adds(&v.json, "},");
	}

	if (zip_path != NULL) {
		sc = self_check(&v, zip_path, z);
		row(&v, "self-check of the zip written", "", sc ? "FAILED" :
		    "ok", "");
	}
	sb_adds(&v.json, "\"self_check\":");
	json_str(&v.json, sc < 0 ? "skipped" : sc ? "failed" : "ok");
	sb_adds(&v.json, ",\"differences\":");
	json_u64(&v.json, v.diffs);
	sb_adds(&v.json, ",\"result\":");
	json_str(&v.json, v.diffs == 0 ? "lossless" : "different");
	sb_adds(&v.json, "}");

	if (!quiet) {
		char vis[4 * 1024];

		progress_end();
		fprintf(stderr, "%s: verify against %s\n", diag_prog(),
		    diag_vis(vis, sizeof(vis), zipin_label(zi)));
		fputs(sb_str(&v.table), stderr);
		if (v.diffs == 0)
			fprintf(stderr, "  result: lossless: every difference "
			    "is explained by the documented normalisation\n");
		else
			fprintf(stderr, "  result: %" PRIu64 " unexplained "
			    "difference%s\n", v.diffs, v.diffs == 1 ? "" : "s");
	}
	sb_free(&verify_json);
	verify_json = v.json;
	report_section("verify", verify_section, NULL);

	sb_free(&v.table);
	props_free(&desc);
	pack_census_free(in);
	zipin_close(zi);
	return v.diffs;
}

void
pack_verify_free(void)
{
	sb_free(&verify_json);
}
