/*
 * macrocompat.c - lookup in the generated macro compatibility table
 * (see macrocompat.h; the rows are $(BUILD)/gen/macro_compat.c).
 */
#include <string.h>

#include "macrocompat.h"

const struct macro_compat *
macro_compat_find(const char *name, size_t len)
{
	size_t lo = 0, hi = macro_compat_count, mid, n;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		n = strlen(macro_compat_table[mid].name);
		c = memcmp(name, macro_compat_table[mid].name, len < n ? len : n);
		if (c == 0)
			c = len < n ? -1 : len > n;
		if (c == 0)
			return &macro_compat_table[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const char *
macro_compat_status(enum mc_status s)
{
	switch (s) {
	case MC_SAME:		return "same";
	case MC_RENAMED:	return "renamed";
	case MC_NEEDS_APP:	return "needs-app";
	case MC_NOT_AVAILABLE:	return "not-available";
	}
	return "unknown";
}
