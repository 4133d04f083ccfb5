/*
 * spaceport-extract - unpack a Confluence Server space export safely into
 * a spaceport package.  See man/spaceport-extract.1.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "extract.h"
#include "fe.h"
#include "inventory.h"
#include "progress.h"
#include "report.h"
#include "strbuf.h"

#define DEFAULT_MAX_OBJECT (64UL << 20)

/* Its long options, in the order of prog.longopts in main(). */
enum { OPT_INVENTORY = FE_LONG, OPT_MAX_MEMBER, OPT_MAX_OBJECT, OPT_MAX_RATIO,
	OPT_MAX_TOTAL, OPT_SPACE, OPT_ATTACHMENTS_FROM };


static int
extract_opt(struct fe *fe, int ch, const char *arg)
{
	struct extract *x = fe->prog->ctx;

	switch (ch) {
	case OPT_INVENTORY:
		x->inventory_path = arg;
		fe_add_output(fe, arg);
		break;
	case OPT_MAX_MEMBER:
		x->lim.max_member = fe_parse_size(fe, "--max-member", arg);
		break;
	case OPT_MAX_TOTAL:
		x->lim.max_total = fe_parse_size(fe, "--max-total", arg);
		break;
	case OPT_MAX_OBJECT:
		x->max_object = (size_t)fe_parse_size(fe, "--max-object", arg);
		if (x->max_object < 4096) {
			diag_warn(NULL, 0, "--max-object must be at least 4K");
			return -1;
		}
		break;
	case OPT_SPACE:
		x->space_key = arg;
		x->graph_pass = 1;
		break;
	case OPT_ATTACHMENTS_FROM:
		x->store_dir = arg;
		break;
	case OPT_MAX_RATIO:
		x->lim.max_ratio = fe_parse_size(fe, "--max-ratio", arg);
		if (x->lim.max_ratio == 0) {
			diag_warn(NULL, 0, "--max-ratio must be at least 1");
			return -1;
		}
		break;
	default:
		return -1;
	}
	return 0;
}

static void
load_descriptor(struct extract *x)
{
	if (props_parse(&x->desc, x->desc_raw.buf != NULL ? x->desc_raw.buf : "",
	    x->desc_raw.len, PKG_DESCRIPTOR) == -1)
		diag_die(SP_EXIT_FAIL, zipin_label(x->zip), 0, "cannot read %s",
		    PKG_DESCRIPTOR);
}

/* Pass 1: the descriptor and entities.xml, wherever they are stored. */
static void
first_pass(struct extract *x)
{
	const char *name;
	uint64_t size;
	int have_desc = 0, have_ent = 0;

	if (zipin_entry(x->zip, PKG_ENTITIES) == NULL)
		diag_die(SP_EXIT_FAIL, zipin_label(x->zip), 0, "no %s: not a "
		    "confluence export", PKG_ENTITIES);
	if (zipin_entry(x->zip, PKG_DESCRIPTOR) == NULL)
		diag_die(SP_EXIT_FAIL, zipin_label(x->zip), 0, "no %s: not a "
		    "confluence export", PKG_DESCRIPTOR);
	while ((!have_desc || !have_ent) && zipin_next(x->zip, &name, &size)) {
		if (strcmp(name, PKG_DESCRIPTOR) == 0) {
			size_t r;

			if (size > PROPS_MAX)
				diag_die(SP_EXIT_FAIL, zipin_label(x->zip), 0,
				    "%s: larger than %d bytes", name, PROPS_MAX);
			sb_grow(&x->desc_raw, (size_t)size);
			while ((r = zipin_read(x->zip, x->desc_raw.buf +
			    x->desc_raw.len, (size_t)size - x->desc_raw.len + 1)) > 0)
				x->desc_raw.len += r;
			load_descriptor(x);
			have_desc = 1;
		} else if (strcmp(name, PKG_ENTITIES) == 0) {
			scan_entities(x);
			have_ent = 1;
		}
	}
}

static void
summary(struct extract *x)
{
	const char *v;
	size_t i;
	uint64_t pages = 0, blogs = 0, comments = 0;
	int k;

	for (i = 0; i < x->ncls; i++) {
		if (strcmp(x->cls[i].cls, "Page") == 0)
			pages = x->cls[i].n;
		else if (strcmp(x->cls[i].cls, "BlogPost") == 0)
			blogs = x->cls[i].n;
		else if (strcmp(x->cls[i].cls, "Comment") == 0)
			comments = x->cls[i].n;
	}
	v = props_get(&x->desc, "exportType");
	report_summary_line("export type:", "%s%s%s", v != NULL ? v : "?",
	    props_get(&x->desc, "spaceKey") != NULL ? ", space " : "",
	    props_get(&x->desc, "spaceKey") != NULL ?
	    props_get(&x->desc, "spaceKey") : "");
	report_summary_line("writer:", "%s", x->legacy_collections ?
	    "legacy (parent and child references)" :
	    "8.3+ (child references only)");
	report_summary_line("objects:", "%" PRIu64 " (%" PRIu64 " pages, %"
	    PRIu64 " blog posts, %" PRIu64 " comments)", x->objects, pages,
	    blogs, comments);
	report_summary_line("users referenced:", "%zu", x->nfinal);
	for (k = 0; k < REF_NKINDS; k++)
		if (x->refs[k] > 0) {
			char label[64];

			snprintf(label, sizeof(label), "  refs %s:",
			    ref_kind_name((enum ref_kind)k));
			report_summary_line(label, "%" PRIu64, x->refs[k]);
		}
	report_summary_line("attachment objects:", "%" PRIu64, x->att_objects);
	report_summary_line("sanitised:", "%" PRIu64 " control chars, %" PRIu64
	    " invalid utf-8, %" PRIu64 " cdata escapes kept", x->san.control,
	    x->san.invalid, x->cdata_escapes);
	xmacros_summary(x->xm);
}

static void
inv_finding(void *arg, const char *code, const char *file, long line,
    const char *subject, const char *msg)
{
	inventory_finding(arg, code, file, line, subject, msg);
}

static void
finish_inventory(struct extract *x)
{
	const struct zipin_entry *e;
	size_t n, i;
	uint64_t t;
	int k;

	n = zipin_entries(x->zip, &e);
	for (i = 0; i < n; i++)
		inventory_member(x->inv, e[i].name, e[i].size, e[i].crc);
	for (i = 0; i < x->desc.n; i++)
		inventory_fact(x->inv, x->desc.key[i], x->desc.val[i]);
	for (i = 0; i < x->nfinal; i++) {
		struct uent *u = x->final[i];

		for (t = 0, k = 0; k < REF_NKINDS; k++)
			t += u->n[k];
		inventory_user(x->inv, u->key, u->username, u->email, t,
		    u->object, u->deleted);
	}
	xmacros_inventory(x->xm, x->inv);
	report_each(inv_finding, x->inv);
	inventory_close(x->inv);
	x->inv = NULL;
}

int
main(int argc, char *argv[])
{
	static struct extract x;
	static const struct fe_prog prog = {
		.name = "spaceport-extract",
		.synopsis = "[-q] [--strict] [--check] [--report FILE] "
		    "[--inventory FILE]\n"
		    "                         [--space KEY] "
		    "[--attachments-from DIR]\n"
		    "                         [--max-member SIZE] "
		    "[--max-total SIZE] [--max-ratio N]\n"
		    "                         [--max-object SIZE] "
		    "[-o FILE | -d DIR] [EXPORT.zip | -]\n",
		.about = "Read a Confluence Server/Data Center space export and "
		    "write a spaceport package.",
		.what = "package",
		.operand = "export",
		.has_dir = 1,
		.nowrite = "check",
		.nowrite_help = "check the export only; write no package",
		.options =
		    "  --inventory FILE    write an SQLite inventory of the "
		    "export to FILE\n"
		    "  --space KEY         keep only space KEY of a site "
		    "backup\n"
		    "  --attachments-from DIR\n"
		    "                      take missing attachment files from "
		    "a copy of\n"
		    "                      the server's attachment store\n"
		    "  --max-member SIZE   largest member, uncompressed "
		    "(default 64G)\n"
		    "  --max-total SIZE    all members together (default 1T)\n"
		    "  --max-ratio N       uncompressed/compressed size "
		    "(default 1000)\n"
		    "  --max-object SIZE   largest object in entities.xml "
		    "(default 64M)\n",
		.status = "Exit status: 0 ok, 1 failure (or findings with "
		    "--strict), 2 usage;\nkilled by a signal: no output "
		    "left, the signal's status (128+N).\n",
		.longopts = "inventory:,max-member:,max-object:,max-ratio:,"
		    "max-total:,space:,attachments-from:",
		.opt = extract_opt,
		.ctx = &x,
	};
	struct fe fe;
	const char *type;
	int rc;

	zipin_default_limits(&x.lim);
	x.max_object = DEFAULT_MAX_OBJECT;
	fe_start(&fe, &prog, argc, argv);
	x.input = fe.input;
	x.quiet = fe.quiet;
	fe_ready(&fe);

	x.zip = zipin_open(x.input, &x.lim);
	if (fe.nowrite)
		progress_total(0);	/* --check: attachments are not read */
	attach_init(&x);
	content_init(&x);
	if (x.inventory_path != NULL)
		x.inv = inventory_open(x.inventory_path);
	x.xm = xmacros_new();
	/* Stream entities.xml into the package while scanning it, unless
	 * the scan decides the members (--space, --attachments-from) or
	 * nothing may be written before the findings are known (--strict
	 * on standard output: a file or directory is only renamed into
	 * place at the end). */
	if (!fe.nowrite && x.space_key == NULL && x.store_dir == NULL &&
	    !(fe.strict && fe.out == NULL && fe.outdir == NULL)) {
		attach_members(&x);
		write_stream_begin(&x, fe.out != NULL ? PKG_OUT_FILE :
		    fe.outdir != NULL ? PKG_OUT_DIR : PKG_OUT_STDOUT,
		    fe.out != NULL ? fe.out : fe.outdir);
	}
	first_pass(&x);
	if (x.space_key != NULL)
		space_cut(&x);
	type = props_get(&x.desc, "exportType");
	if (type != NULL && (strcmp(type, "all") == 0 ||
	    strcmp(type, "site") == 0))
		report_finding("site-backup", PKG_DESCRIPTOR, 0, NULL,
		    "this is a site backup (exportType=%s), not a space export: "
		    "cloud imports spaces one at a time, so cut one out with "
		    "--space KEY (or export each space with space tools > "
		    "export > xml); continuing with everything it holds", type);
	else if (type == NULL || strcmp(type, "space") != 0)
		report_finding("export-type", PKG_DESCRIPTOR, 0, NULL,
		    "unexpected exportType %s", type != NULL ? type : "(none)");
	attach_check(&x);
	xmacros_finish(x.xm);
	x.nfinal = users_final(&x, &x.final);

	if (!fe.nowrite && fe.strict && report_count() > 0) {
		diag_warn(NULL, 0, "findings under --strict: no package written");
		pkg_abandon(x.po);
		x.po = NULL;
	}
	else if (!fe.nowrite)
		write_package(&x, fe.out != NULL ? PKG_OUT_FILE :
		    fe.outdir != NULL ? PKG_OUT_DIR : PKG_OUT_STDOUT,
		    fe.out != NULL ? fe.out : fe.outdir);
	if (x.inv != NULL)
		finish_inventory(&x);
	summary(&x);
	rc = fe_finish(&fe, SP_EXIT_OK);

	xmacros_free(x.xm);
	spool_close(&x.ent);
	db_close(&x.db);
	zipin_close(x.zip);
	props_free(&x.desc);
	sb_free(&x.desc_raw);
	free(x.final);
	users_free(&x);
	attach_free(&x);
	content_free(&x);
	space_free(&x);
	for (size_t i = 0; i < x.ncls; i++)
		free(x.cls[i].cls);
	free(x.cls);
	report_free();
	return diag_close_stdout(rc);
}
