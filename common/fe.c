/*
 * fe.c - the front end the three programs share (see fe.h).
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "fe.h"
#include "io.h"
#include "progress.h"
#include "report.h"

/* getopt_long codes of the common long-only options (above any char). */
enum { FE_OPT_REPORT = 0x100, FE_OPT_STRICT };

#define FE_MAXOPTS	32

void
fe_usage(const struct fe *fe)
{
	fprintf(stderr, "usage: %s %s", fe->prog->name, fe->prog->synopsis);
	exit(SP_EXIT_USAGE);
}

static void
help(const struct fe *fe)
{
	const struct fe_prog *p = fe->prog;

	printf("usage: %s %s\n%s\n\n", p->name, p->synopsis, p->about);
	printf("  %-19s write the %s to FILE (- for standard output)\n",
	    "-o, --output FILE", p->what);
	if (p->has_dir)
		printf("  %-19s write the %s unpacked into DIR\n", "-d DIR",
		    p->what);
	if (p->nowrite != NULL)
		printf("  -n, --%-13s %s\n", p->nowrite, p->nowrite_help);
	fputs(p->options, stdout);
	printf("  %-19s write the report as JSON to FILE\n"
	    "  %-19s exit 1 if there are findings\n"
	    "  %-19s no summary on standard error\n"
	    "  %-19s this help\n"
	    "  %-19s print the version\n\n",
	    "--report FILE", "--strict", "-q, --quiet", "-h, --help",
	    "-V, --version");
	printf("Without -o%s the %s goes to standard output.\n%s",
	    p->has_dir ? " or -d" : "", p->what, p->status);
}

void
fe_start(struct fe *fe, const struct fe_prog *prog, int argc, char **argv)
{
	static const struct option common[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "report", required_argument, NULL, FE_OPT_REPORT },
		{ "strict", no_argument, NULL, FE_OPT_STRICT },
		{ "version", no_argument, NULL, 'V' },
	};
	struct option lo[FE_MAXOPTS];
	char so[64], names[512], *name, *save = NULL;
	size_t n = 0, i;
	int c;

	memset(fe, 0, sizeof(*fe));
	fe->prog = prog;
	diag_setprog(prog->name);
	diag_catch_signals();

	for (i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		lo[n++] = common[i];
	if (prog->nowrite != NULL)
		lo[n++] = (struct option){ prog->nowrite, no_argument, NULL,
		    'n' };
	if (snprintf(names, sizeof(names), "%s", prog->longopts != NULL ?
	    prog->longopts : "") >= (int)sizeof(names))
		diag_die(SP_EXIT_FAIL, NULL, 0, "internal error: options");
	for (i = 0, name = strtok_r(names, ",", &save); name != NULL;
	    i++, name = strtok_r(NULL, ",", &save)) {
		size_t len = strlen(name);
		int arg = len > 0 && name[len - 1] == ':';

		if (n == FE_MAXOPTS - 1)
			diag_die(SP_EXIT_FAIL, NULL, 0, "internal error: too "
			    "many options");
		if (arg)
			name[len - 1] = '\0';
		lo[n++] = (struct option){ name, arg ? required_argument :
		    no_argument, NULL, FE_LONG + (int)i };
	}
	lo[n] = (struct option){ NULL, 0, NULL, 0 };
	snprintf(so, sizeof(so), "ho:qV%s%s%s", prog->has_dir ? "d:" : "",
	    prog->nowrite != NULL ? "n" : "",
	    prog->shortopts != NULL ? prog->shortopts : "");

	while ((c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		switch (c) {
		case 'h':
			help(fe);
			exit(diag_close_stdout(SP_EXIT_OK));
		case 'V':
			printf("%s %s\n", prog->name, SPACEPORT_VERSION);
			exit(diag_close_stdout(SP_EXIT_OK));
		case 'd': fe->outdir = optarg; break;
		case 'n': fe->nowrite = 1; break;
		case 'o': fe->out = optarg; break;
		case 'q': fe->quiet = 1; break;
		case FE_OPT_REPORT: fe->report = optarg; break;
		case FE_OPT_STRICT: fe->strict = 1; break;
		case '?':
			fe_usage(fe);
		default:
			if (prog->opt(fe, c, optarg) == -1)
				fe_usage(fe);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1) {
		diag_warn(NULL, 0, "one %s at a time", prog->operand);
		fe_usage(fe);
	}
	if ((fe->out != NULL) + (fe->outdir != NULL) + fe->nowrite > 1) {
		diag_warn(NULL, 0, "%s%s%s exclude each other",
		    prog->has_dir ? "-o, -d" : "-o",
		    prog->nowrite != NULL ? " and --" : "",
		    prog->nowrite != NULL ? prog->nowrite : "");
		fe_usage(fe);
	}
	if (fe->report != NULL && strcmp(fe->report, "-") == 0) {
		diag_warn(NULL, 0, "--report -: standard output carries the "
		    "%s; give a file", prog->what);
		fe_usage(fe);
	}
	fe->input = argc == 1 ? argv[0] : "-";
	if (fe->out != NULL && strcmp(fe->out, "-") == 0)
		fe->out = NULL;
	fe->to_stdout = !fe->nowrite && fe->out == NULL && fe->outdir == NULL;
}

static void
add_path(const char **paths, int *n, const char *path)
{
	if (path == NULL)
		return;
	if (*n == FE_MAXPATHS)
		diag_die(SP_EXIT_USAGE, NULL, 0, "too many files named by "
		    "options (at most %d)", FE_MAXPATHS);
	paths[(*n)++] = path;
}

void
fe_add_input(struct fe *fe, const char *path)
{
	add_path(fe->inputs, &fe->ninputs, path);
}

void
fe_add_output(struct fe *fe, const char *path)
{
	add_path(fe->outputs, &fe->noutputs, path);
}

struct fe_file {
	const char	*name;		/* for the diagnostic */
	char		*clean;		/* path without trailing slashes */
	int		 exists;
	struct stat	 st;
};

static void
fe_file(struct fe_file *f, const char *path, int fd)
{
	f->name = path != NULL ? path : fd == 0 ? "<stdin>" : "<stdout>";
	f->clean = path != NULL ? io_path_clean(path) : NULL;
	f->exists = path != NULL ? stat(path, &f->st) == 0 :
	    fstat(fd, &f->st) == 0;
}

/* The same file: the same device and inode.  Special files (a terminal,
 * /dev/null, a pipe) are shared freely and never replaced. */
static int
same_file(const struct fe_file *a, const struct fe_file *b)
{
	if (a->exists && b->exists)
		return a->st.st_dev == b->st.st_dev &&
		    a->st.st_ino == b->st.st_ino &&
		    (S_ISREG(a->st.st_mode) || S_ISDIR(a->st.st_mode));
	return a->clean != NULL && b->clean != NULL &&
	    strcmp(a->clean, b->clean) == 0;
}

static void
check_same(struct fe *fe)
{
	struct fe_file in[FE_MAXPATHS + 1], out[FE_MAXPATHS + 4];
	int nin = 0, nout = 0, i, j;

	fe_file(&in[nin++], strcmp(fe->input, "-") == 0 ? NULL : fe->input,
	    0);
	for (i = 0; i < fe->ninputs; i++)
		fe_file(&in[nin++], strcmp(fe->inputs[i], "-") == 0 ? NULL :
		    fe->inputs[i], 0);
	if (fe->to_stdout)
		fe_file(&out[nout++], NULL, 1);
	if (fe->out != NULL)
		fe_file(&out[nout++], fe->out, -1);
	if (fe->outdir != NULL)
		fe_file(&out[nout++], fe->outdir, -1);
	if (fe->report != NULL)
		fe_file(&out[nout++], fe->report, -1);
	for (i = 0; i < fe->noutputs; i++)
		fe_file(&out[nout++], fe->outputs[i], -1);
	for (i = 0; i < nout; i++) {
		for (j = 0; j < nin; j++)
			if (same_file(&out[i], &in[j]))
				diag_die(SP_EXIT_USAGE, out[i].name, 0, "is the "
				    "same file as the input %s; refusing to "
				    "replace an input", in[j].name);
		for (j = 0; j < i; j++)
			if (same_file(&out[i], &out[j]))
				diag_die(SP_EXIT_USAGE, out[i].name, 0, "named "
				    "for two outputs (%s)", out[j].name);
	}
	for (i = 0; i < nin; i++)
		free(in[i].clean);
	for (i = 0; i < nout; i++)
		free(out[i].clean);
}

void
fe_ready(struct fe *fe)
{
	const struct fe_prog *p = fe->prog;

	if (fe->to_stdout && isatty(STDOUT_FILENO)) {
		diag_warn(NULL, 0, "refusing to write a %s to a terminal (use "
		    "-o FILE%s, or redirect standard output)", p->what,
		    p->has_dir ? " or -d DIR" : "");
		exit(SP_EXIT_USAGE);
	}
	check_same(fe);
	report_init(p->name, strcmp(fe->input, "-") == 0 ? "<stdin>" :
	    fe->input);
	report_quiet(fe->quiet);
	if (fe->report != NULL)
		report_prepare(fe->report);
	progress_start(fe->quiet);
}

int
fe_finish(struct fe *fe, int rc)
{
	if (fe->report != NULL)
		report_write(fe->report);
	if (!fe->quiet)
		report_print_summary(stderr);
	if (rc == SP_EXIT_OK && fe->strict && report_count() > 0)
		rc = SP_EXIT_FAIL;
	return rc;
}

uint64_t
fe_parse_size(const struct fe *fe, const char *opt, const char *s)
{
	const char *p;
	uint64_t v = 0;
	int shift = 0;

	/* Hand-rolled: strtoull() skips white space and takes a sign. */
	for (p = s; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			goto bad;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (p == s)
		goto bad;
	switch (*p) {
	case '\0': break;
	case 'k': case 'K': shift = 10; p++; break;
	case 'm': case 'M': shift = 20; p++; break;
	case 'g': case 'G': shift = 30; p++; break;
	case 't': case 'T': shift = 40; p++; break;
	default: goto bad;
	}
	if (*p != '\0' || v > (UINT64_MAX >> shift))
		goto bad;
	return v << shift;
bad:
	diag_warn(NULL, 0, "%s: bad size %s (digits with an optional K, M, "
	    "G or T)", opt, s);
	fe_usage(fe);
}
