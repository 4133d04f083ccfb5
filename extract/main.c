/*
 * spaceport-extract - unpack a Confluence Server space export safely into
 * a spaceport package.  See man/spaceport-extract.1.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "extract.h"
#include "inventory.h"
#include "report.h"
#include "strbuf.h"

#ifndef SPACEPORT_VERSION
#define SPACEPORT_VERSION "0.1.0"
#endif

#define DEFAULT_MAX_OBJECT (64UL << 20)

static void
usage(FILE *fp)
{
	fputs("usage: spaceport-extract [-q] [--strict] [--check] "
	    "[--report FILE] [--inventory FILE]\n"
	    "                         [--max-member SIZE] [--max-total SIZE] "
	    "[--max-ratio N]\n"
	    "                         [--max-object SIZE] [-o FILE | -d DIR] "
	    "[EXPORT.zip | -]\n", fp);
}

static void
help(void)
{
	usage(stdout);
	fputs("\nRead a Confluence Server/Data Center space export and write a "
	    "spaceport package.\n\n"
	    "  -o FILE            write the package to FILE (tar)\n"
	    "  -d DIR             write the package unpacked into DIR\n"
	    "  -n, --check        check the export only; write no package\n"
	    "  --report FILE      write the findings as JSON to FILE\n"
	    "  --inventory FILE   write an SQLite inventory of the export to FILE\n"
	    "  --strict           exit 1 if there are findings\n"
	    "  --max-member SIZE  largest member, uncompressed (default 64G)\n"
	    "  --max-total SIZE   all members together (default 1T)\n"
	    "  --max-ratio N      uncompressed/compressed size (default 1000)\n"
	    "  --max-object SIZE  largest object in entities.xml (default 64M)\n"
	    "  -q, --quiet        no summary on standard error\n"
	    "  -h, --help         this help\n"
	    "  -V, --version      print the version\n\n"
	    "Without -o or -d the package goes to standard output. "
	    "Exit status: 0 ok,\n1 failure (or findings with --strict), "
	    "2 usage.\n", stdout);
}

/* "12", "64K", "10M", "2G", "1T" -> bytes. */
static uint64_t
parse_size(const char *opt, const char *s)
{
	char *end;
	unsigned long long v;
	int shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (end == s || errno != 0 || *s == '-')
		goto bad;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	default: goto bad;
	}
	if (*end != '\0' || v > (UINT64_MAX >> shift))
		goto bad;
	return (uint64_t)v << shift;
bad:
	diag_warn(NULL, 0, "%s: bad size %s", opt, s);
	usage(stderr);
	exit(SP_EXIT_USAGE);
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
	report_each(inv_finding, x->inv);
	inventory_close(x->inv);
	x->inv = NULL;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "check", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "inventory", required_argument, NULL, 'I' },
		{ "max-member", required_argument, NULL, 'M' },
		{ "max-object", required_argument, NULL, 'O' },
		{ "max-ratio", required_argument, NULL, 'R' },
		{ "max-total", required_argument, NULL, 'T' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "report", required_argument, NULL, 'r' },
		{ "strict", no_argument, NULL, 's' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct extract x;
	const char *out = NULL, *outdir = NULL, *report = NULL;
	int c, strict = 0, check = 0;
	const char *type;

	diag_setprog(argv[0]);
	memset(&x, 0, sizeof(x));
	zipin_default_limits(&x.lim);
	x.max_object = DEFAULT_MAX_OBJECT;
	while ((c = getopt_long(argc, argv, "d:hno:qV", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': outdir = optarg; break;
		case 'h': help(); return diag_close_stdout(SP_EXIT_OK);
		case 'n': check = 1; break;
		case 'o': out = optarg; break;
		case 'q': x.quiet = 1; break;
		case 'r': report = optarg; break;
		case 's': strict = 1; break;
		case 'I': x.inventory_path = optarg; break;
		case 'M': x.lim.max_member = parse_size("--max-member", optarg); break;
		case 'T': x.lim.max_total = parse_size("--max-total", optarg); break;
		case 'O':
			x.max_object = (size_t)parse_size("--max-object", optarg);
			if (x.max_object < 4096) {
				diag_warn(NULL, 0, "--max-object must be at least 4K");
				return SP_EXIT_USAGE;
			}
			break;
		case 'R':
			x.lim.max_ratio = parse_size("--max-ratio", optarg);
			if (x.lim.max_ratio == 0) {
				diag_warn(NULL, 0, "--max-ratio must be at least 1");
				return SP_EXIT_USAGE;
			}
			break;
		case 'V':
			printf("spaceport-extract %s\n", SPACEPORT_VERSION);
			return diag_close_stdout(SP_EXIT_OK);
		default:
			usage(stderr);
			return SP_EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1 || (out != NULL && outdir != NULL) ||
	    (check && (out != NULL || outdir != NULL))) {
		if (argc > 1)
			diag_warn(NULL, 0, "one export at a time");
		else
			diag_warn(NULL, 0, "-o, -d and --check exclude each other");
		usage(stderr);
		return SP_EXIT_USAGE;
	}
	x.input = argc == 1 ? argv[0] : "-";

	report_init("spaceport-extract", strcmp(x.input, "-") == 0 ?
	    "<stdin>" : x.input);
	report_quiet(x.quiet);
	x.zip = zipin_open(x.input, &x.lim);
	attach_init(&x);
	if (x.inventory_path != NULL)
		x.inv = inventory_open(x.inventory_path);
	if (!check)
		write_begin(&x, out != NULL ? PKG_OUT_FILE : outdir != NULL ?
		    PKG_OUT_DIR : PKG_OUT_STDOUT, out != NULL ? out : outdir);
	first_pass(&x);
	type = props_get(&x.desc, "exportType");
	if (type != NULL && (strcmp(type, "all") == 0 ||
	    strcmp(type, "site") == 0))
		report_finding("site-backup", PKG_DESCRIPTOR, 0, NULL,
		    "this is a site backup (exportType=%s), not a space export: "
		    "cloud imports spaces one at a time, so export each space "
		    "with space tools > export > xml; continuing with "
		    "everything it holds", type);
	else if (type == NULL || strcmp(type, "space") != 0)
		report_finding("export-type", PKG_DESCRIPTOR, 0, NULL,
		    "unexpected exportType %s", type != NULL ? type : "(none)");
	attach_check(&x);
	x.nfinal = users_final(&x, &x.final);

	if (!check)
		write_package(&x);
	if (x.inv != NULL)
		finish_inventory(&x);
	if (report != NULL)
		report_write(report);
	if (!x.quiet) {
		summary(&x);
		report_print_summary(stderr);
	}
	c = strict && report_count() > 0 ? SP_EXIT_FAIL : SP_EXIT_OK;

	db_close(&x.db);
	zipin_close(x.zip);
	props_free(&x.desc);
	sb_free(&x.desc_raw);
	free(x.final);
	users_free(&x);
	for (size_t i = 0; i < x.ncls; i++)
		free(x.cls[i].cls);
	free(x.cls);
	report_free();
	return diag_close_stdout(c);
}
