/*
 * spacekey.c - --space-key NEW: validation and the names of what it
 * changes.  References in bodies are renamed by the space-key rule over
 * the body toolkit (common/spacekey.c, which says why the rename stays in
 * pack), run from pack/entities.c's rule table.
 *
 * Cloud space keys are letters and digits only (a personal space key,
 * "~" + account id, cannot be chosen), at most 255 characters.  References
 * in storage format are <ri:space ri:space-key="KEY"/> and the ri:space-key
 * attribute of <ri:page>, <ri:blog-post>, <ri:attachment>... containers.
 */
#include <string.h>

#include "pack.h"

const char *const pack_sk_names[SK_NKINDS] = {
	"space-key", "space-lowerkey", "bandana-context", "bandana-settings",
	"body-space-key",
	"link-space-key", "link-lower-space-key", "draft-space-key",
	"descriptor"
};

const char *
pack_space_key_invalid(const char *key)
{
	const char *p;

	if (key == NULL || *key == '\0')
		return "empty";
	if (*key == '~')
		return "personal space keys (~...) cannot be chosen";
	if (strlen(key) > 255)
		return "longer than 255 characters";
	for (p = key; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9')))
			return "only letters A-Z, a-z and digits 0-9 are allowed";
	return NULL;
}
