/*
 * macrocompat.h - what Confluence Cloud does with each macro that ships
 * with Confluence Server/Data Center 7.x-9.x.
 *
 * Owns: the compiled macro compatibility table.  The data is
 * data/macro-compat.tsv (one row per macro, each with its sources and a
 * certainty); tools/gen-macro-compat turns it into a C array at build time
 * ($(BUILD)/gen/macro_compat.c), so the programs carry it and need no data
 * file at run time.  The generator refuses unsorted or repeated rows, which
 * the lookup relies on.  A name in no row is a user or app macro.
 */
#ifndef SP_MACROCOMPAT_H
#define SP_MACROCOMPAT_H

#include <stddef.h>

enum mc_status {
	MC_SAME,		/* Cloud has it under the same name */
	MC_RENAMED,		/* Cloud has it under cloud_name */
	MC_NEEDS_APP,		/* only a Marketplace app renders it in Cloud */
	MC_NOT_AVAILABLE	/* nothing in Cloud renders it */
};

struct macro_compat {
	const char	*name;		/* ac:name */
	const char	*server;	/* Server/DC versions that ship it */
	enum mc_status	 status;
	const char	*cloud_name;	/* "" unless MC_RENAMED */
	const char	*note;
	const char	*sources;	/* comma-separated URLs */
	const char	*certainty;	/* confirmed, likely, uncertain */
};

/* The table, sorted by name (strcmp), and its length. */
extern const struct macro_compat macro_compat_table[];
extern const size_t macro_compat_count;

/* The row of macro name (len bytes, not NUL-terminated), or NULL for a
 * macro in no row (a user or app macro).  Exact, case-sensitive: Confluence
 * stores macro names as written by the editor. */
const struct macro_compat *macro_compat_find(const char *name, size_t len);
/* "same", "renamed", "needs-app", "not-available" (the TSV's words). */
const char	*macro_compat_status(enum mc_status);

#endif
