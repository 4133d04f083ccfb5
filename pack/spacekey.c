/*
 * spacekey.c - --space-key NEW: validation and the byte-level rewrite of
 * ri:space-key references in bodies.
 *
 * Cloud space keys are letters and digits only (a personal space key,
 * "~" + account id, cannot be chosen), at most 255 characters.  References
 * in storage format are <ri:space ri:space-key="KEY"/> and the ri:space-key
 * attribute of <ri:page>, <ri:blog-post>, <ri:attachment>... containers.
 * Only the attribute value changes; every other byte is copied.
 */
#include <string.h>

#include "strbuf.h"
#include "pack.h"

const char *const pack_sk_names[SK_NKINDS] = {
	"space-key", "space-lowerkey", "bandana-context", "body-space-key",
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

static int
lc(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int
ieq(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (lc((unsigned char)a[i]) != lc((unsigned char)b[i]))
			return 0;
	return 1;
}

static const char *const quotes[] = { "\"", "'", "&quot;", "&apos;", "&#34;", "&#39;" };

size_t
pack_sk_body(const char *raw, size_t len, const char *old_key,
    const char *new_key, struct strbuf *out)
{
	static const char attr[] = "ri:space-key";
	const size_t alen = sizeof(attr) - 1;
	size_t olen = strlen(old_key), i = 0, copied = 0, n = 0;

	while (i + alen < len) {
		const char *p = memchr(raw + i, 'r', len - i);
		size_t j, q, ql;

		if (p == NULL)
			break;
		i = (size_t)(p - raw);
		if (i + alen >= len || memcmp(raw + i, attr, alen) != 0 ||
		    (i > 0 && raw[i - 1] != ' ' && raw[i - 1] != '\t' &&
		    raw[i - 1] != '\n' && raw[i - 1] != '\r')) {
			i++;
			continue;
		}
		j = i + alen;
		while (j < len && (raw[j] == ' ' || raw[j] == '\t' ||
		    raw[j] == '\n' || raw[j] == '\r'))
			j++;
		if (j >= len || raw[j] != '=') {
			i = j;
			continue;
		}
		j++;
		while (j < len && (raw[j] == ' ' || raw[j] == '\t' ||
		    raw[j] == '\n' || raw[j] == '\r'))
			j++;
		for (q = 0; q < sizeof(quotes) / sizeof(quotes[0]); q++) {
			ql = strlen(quotes[q]);
			if (j + ql <= len && memcmp(raw + j, quotes[q], ql) == 0)
				break;
		}
		if (q == sizeof(quotes) / sizeof(quotes[0])) {
			i = j;
			continue;
		}
		j += ql;
		/* value must be exactly old_key followed by the same quote */
		if (j + olen + ql <= len && ieq(raw + j, old_key, olen) &&
		    memcmp(raw + j + olen, quotes[q], ql) == 0) {
			sb_add(out, raw + copied, j - copied);
			sb_adds(out, new_key);
			copied = j + olen;
			n++;
			i = copied + ql;
		} else
			i = j;
	}
	sb_add(out, raw + copied, len - copied);
	return n;
}
