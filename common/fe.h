/*
 * fe.h - the front end the three programs share (in the spirit of
 * libarchive's libarchive_fe).
 *
 * Owns: the common options and their --help lines (-o/--output, -d,
 * --report, --strict, -q, -h, -V, and the write-nothing option), "-o -"
 * as standard output, the checks made before any work (one operand,
 * exclusive outputs, no binary data to a terminal, no output that is the
 * same file as an input, a --report path that can be created), the
 * handler for fatal signals (see diag_catch_signals in diag.h), the size
 * parser of every SIZE option, and the end of a run (report, summary,
 * --strict).  A program's main() describes itself in a struct fe_prog,
 * handles its own options in a callback, and does its work between
 * fe_ready() and fe_finish().
 */
#ifndef SP_FE_H
#define SP_FE_H

#include <stdint.h>

#include "version.h"

#define FE_MAXPATHS	256
#define FE_LONG		0x200	/* ch of the program's first long option */

struct fe;

struct fe_prog {
	const char	*name;		/* "spaceport-pack" */
	const char	*synopsis;	/* usage after "usage: NAME ", own newlines */
	const char	*about;		/* --help: what the program does */
	const char	*options;	/* --help: its own option lines */
	const char	*status;	/* --help: exit status paragraph */
	const char	*what;		/* what -o gets: "package", "zip" */
	const char	*operand;	/* what the operand is: "export", "package" */
	int		 has_dir;	/* takes -d DIR */
	const char	*nowrite;	/* long name of -n ("check"), or NULL */
	const char	*nowrite_help;	/* its --help text */
	const char	*shortopts;	/* its own short options (getopt) */
	/* Its own long options, comma-separated, ':' after a name that
	 * takes an argument: "inventory:,max-member:".  The n-th (from 0)
	 * reaches opt() as ch FE_LONG + n. */
	const char	*longopts;
	/* Its own option ch with arg (NULL for a flag).  Returns 0, or -1
	 * after a diagnostic for a usage error (usage, exit 2). */
	int		(*opt)(struct fe *, int ch, const char *arg);
	void		*ctx;		/* the program's state, for opt() */
};

struct fe {
	const struct fe_prog *prog;
	int		 quiet, strict, nowrite;
	const char	*report;	/* --report FILE, or NULL */
	const char	*out;		/* -o FILE (never "-"), or NULL */
	const char	*outdir;	/* -d DIR, or NULL */
	const char	*input;		/* the operand; "-" is standard input */
	int		 to_stdout;	/* the data goes to standard output */
	const char	*inputs[FE_MAXPATHS];	/* more inputs (--verify F) */
	const char	*outputs[FE_MAXPATHS];	/* more outputs (--inventory F) */
	int		 ninputs, noutputs;
};

/*
 * Takes the program's description (must outlive the run) and argv.
 * Sets the program name and the locale (diag_setprog), installs the
 * fatal-signal handler, parses the command line into *fe (zeroed
 * first), calling prog->opt for the program's own options.  --help and
 * --version print to standard output and exit 0 (1 if that write
 * fails); a usage error prints a diagnostic and the usage on stderr and
 * exits 2.  Returns only with a valid command line.
 */
void	 fe_start(struct fe *fe, const struct fe_prog *prog, int argc,
	    char **argv);
/* Prints "usage: ..." to stderr and exits 2. */
void	 fe_usage(const struct fe *fe) __attribute__((noreturn));
/* An extra input or output path named by a program option (not copied:
 * it must outlive the run).  NULL is ignored.  At most FE_MAXPATHS each. */
void	 fe_add_input(struct fe *fe, const char *path);
void	 fe_add_output(struct fe *fe, const char *path);
/*
 * The checks before any work, in this order; each failure exits 2:
 * data to standard output on a terminal (unless nowrite); an output
 * (-o, -d, --report, fe_add_output, or standard output redirected to a
 * file) that is the same file (device and inode) as an input (the
 * operand or standard input, fe_add_input), or the same path as another
 * output.  Then report_init() with the input label, report_quiet(), and
 * for --report, report_prepare(): its temporary file is created now, so
 * an unwritable --report path fails before any output exists (exit 1).
 */
void	 fe_ready(struct fe *fe);
/*
 * The end of a run: writes --report, prints the summary (unless -q),
 * and under --strict turns rc 0 into 1 when there are findings.
 * Returns the exit status; the caller frees and ends with
 * diag_close_stdout(status).
 */
int	 fe_finish(struct fe *fe, int rc);

/*
 * SIZE option: decimal digits with an optional K, M, G or T suffix
 * (binary: K is 1024), "12", "64K", "10M".  No sign, no white space, no
 * other suffix, nothing above UINT64_MAX: strtoull() alone would take
 * " -5" as 2^64-5, i.e. no limit.  opt names the option in the
 * diagnostic.  Returns the value in bytes, or exits 2 via fe_usage.
 */
uint64_t fe_parse_size(const struct fe *fe, const char *opt, const char *s);

#endif
