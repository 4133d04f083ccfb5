/*
 * safename.c - the safe member-name rule (see safename.h).
 */
#include <string.h>

#include "safename.h"

int
pkg_name_ok(const char *name)
{
	const char *p = name, *q;
	size_t n = strlen(name);

	if (n == 0 || n > 4096 || *name == '/' || strchr(name, '\\') != NULL)
		return 0;
	for (q = name; *q != '\0'; q++)
		if ((unsigned char)*q < 0x20 || *q == 0x7f)
			return 0;
	for (;;) {
		q = strchr(p, '/');
		n = q != NULL ? (size_t)(q - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		if (q == NULL)
			return 1;
		p = q + 1;
	}
}
