/*
 * xmltext.c - see xmltext.h.
 */
#include <string.h>

#include "strbuf.h"
#include "xmltext.h"

/* ---- UTF-8 --------------------------------------------------------- */

int
xt_utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	unsigned char lo = 0x80, hi = 0xBF;
	int len, i;

	if (c < 0x80)
		return 1;
	if (c < 0xC2)
		return 0;
	if (c < 0xE0)
		len = 2;
	else if (c < 0xF0) {
		len = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;	/* no surrogates */
	} else if (c < 0xF5) {
		len = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else
		return 0;
	for (i = 1; i < len; i++) {
		if ((size_t)i >= n)
			return -1;
		if (s[i] < (i == 1 ? lo : 0x80) || s[i] > (i == 1 ? hi : 0xBF))
			return 0;
	}
	return len;
}

size_t
xt_utf8_put(char o[4], unsigned long cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

void
xt_utf8_add(struct strbuf *sb, unsigned long cp)
{
	char o[4];

	sb_add(sb, o, xt_utf8_put(o, cp));
}

int
xt_is_xml_char(unsigned long cp)
{
	if (cp < 0x20)
		return cp == 0x9 || cp == 0xA || cp == 0xD;
	if (cp <= 0xD7FF)
		return 1;
	if (cp < 0xE000)
		return 0;
	if (cp <= 0xFFFD)
		return 1;
	return cp >= 0x10000 && cp <= 0x10FFFF;
}

size_t
xt_xml_char_len(const unsigned char *s, size_t n)
{
	int k;

	if (s[0] < 0x20)
		return s[0] == '\t' || s[0] == '\n' || s[0] == '\r';
	if ((k = xt_utf8_seq(s, n)) <= 0)
		return 0;
	/* U+FFFE and U+FFFF: EF BF BE / EF BF BF */
	if (k == 3 && s[0] == 0xEF && s[1] == 0xBF && s[2] >= 0xBE)
		return 0;
	return (size_t)k;
}

/* ---- references ---------------------------------------------------- */

size_t
xt_ref(const char *s, size_t n, char out[4], size_t *olen)
{
	const char *semi;
	unsigned long cp = 0;
	size_t i, len;
	int hex, digits = 0;

	if (n < 3 || s[0] != '&')
		return 0;
	semi = memchr(s, ';', n < 12 ? n : 12);
	if (semi == NULL)
		return 0;
	len = (size_t)(semi - s) + 1;
	if (s[1] == '#') {
		hex = len > 3 && s[2] == 'x';
		for (i = hex ? 3 : 2; i < len - 1; i++, digits++) {
			unsigned c = (unsigned char)s[i], d;

			if (c >= '0' && c <= '9')
				d = c - '0';
			else if (hex && (c | 0x20) >= 'a' && (c | 0x20) <= 'f')
				d = (c | 0x20) - 'a' + 10;
			else
				return 0;
			cp = cp * (hex ? 16 : 10) + d;
			if (cp > 0x10FFFF)
				return 0;
		}
		if (digits == 0 || cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		*olen = xt_utf8_put(out, cp);
		return len;
	}
	*olen = 1;
	if (len == 5 && memcmp(s, "&amp;", 5) == 0)
		*out = '&';
	else if (len == 4 && memcmp(s, "&lt;", 4) == 0)
		*out = '<';
	else if (len == 4 && memcmp(s, "&gt;", 4) == 0)
		*out = '>';
	else if (len == 6 && memcmp(s, "&quot;", 6) == 0)
		*out = '"';
	else if (len == 6 && memcmp(s, "&apos;", 6) == 0)
		*out = '\'';
	else
		return 0;
	return len;
}

size_t
xt_decode(struct strbuf *sb, const char *s, size_t n)
{
	const char *p = s, *e = s + n, *amp;
	char out[4];
	size_t olen, used, nref = 0;

	while (p < e) {
		amp = memchr(p, '&', (size_t)(e - p));
		if (amp == NULL) {
			sb_add(sb, p, (size_t)(e - p));
			break;
		}
		sb_add(sb, p, (size_t)(amp - p));
		used = xt_ref(amp, (size_t)(e - amp), out, &olen);
		if (used == 0) {
			sb_addc(sb, '&');
			p = amp + 1;
		} else {
			sb_add(sb, out, olen);
			p = amp + used;
			nref++;
		}
	}
	if (sb->buf == NULL)
		sb_grow(sb, 0);
	return nref;
}

/* ---- the "]] " quirk ------------------------------------------------ */

size_t
xt_cdata_unescape(char *s, size_t len)
{
	char *w, *p, *e, *hit;

	if (len == 0)
		return 0;
	e = s + len;
	/* find the first "]] ": nothing moves before it */
	for (p = s; (hit = memchr(p, ']', (size_t)(e - p))) != NULL; p = hit + 1)
		if (e - hit >= 3 && hit[1] == ']' && hit[2] == ' ')
			break;
	if (hit == NULL)
		return len;
	/*
	 * Left to right and non-overlapping, like Java's replace():
	 * each "]] " becomes "]]" and scanning resumes after it.
	 */
	w = hit;
	p = hit;
	while (p < e) {
		if (e - p >= 3 && p[0] == ']' && p[1] == ']' && p[2] == ' ') {
			*w++ = ']';
			*w++ = ']';
			p += 3;
		} else
			*w++ = *p++;
	}
	if (w < e)
		*w = '\0';
	return (size_t)(w - s);
}

void
xt_cdata_unescape_add(struct strbuf *sb, const char *s, size_t n)
{
	size_t old = sb->len;

	sb_add(sb, s, n);
	sb->len = old + xt_cdata_unescape(sb->buf + old, n);
	sb->buf[sb->len] = '\0';
}

/* ---- writers -------------------------------------------------------- */

/*
 * Bytes that need a look in the writers: 1 for all (C0 controls other
 * than TAB/LF/CR, and every byte >= 0x80, which starts a UTF-8 sequence to
 * validate), 2 for text and attributes (& < > " '), 4 for ] (CDATA and
 * attributes).  All other bytes are copied in runs.
 */
static const unsigned char wtab[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 2, 0, 0, 0, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 2, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

enum wmode { W_TEXT, W_CDATA, W_ATTR, W_INNER };

/*
 * The writers' common loop.  Forbidden characters are dropped first and
 * the "]]" rule is applied to what remains, so that a dropped byte can
 * never make a "]]>" (as in "]\x01]>").  In CDATA modes a ']' is held back
 * until the next kept character shows whether it starts a "]]".
 *   W_CDATA  "]]" -> "]] "          (Confluence's escapeCDATA)
 *   W_INNER  "]]>" -> "]]]]><![CDATA[>"
 */
static size_t
xml_filter(struct strbuf *sb, const char *s, size_t len, enum wmode mode)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned char mask;
	size_t i = 0, j, k, dropped = 0;
	int pend = 0;

	mask = mode == W_TEXT ? 1 | 2 : mode == W_ATTR ? 1 | 2 | 4 : 1 | 4;
	while (i < len) {
		for (j = i; j < len && !(wtab[u[j]] & mask); j++)
			;
		if (j > i) {
			if (pend) {
				if (mode == W_INNER && pend == 2 && u[i] == '>')
					sb_add(sb, "]]]]><![CDATA[", 14);
				else
					sb_add(sb, "]]", (size_t)pend);
				pend = 0;
			}
			sb_add(sb, s + i, j - i);
			i = j;
			if (i == len)
				break;
		}
		switch (u[i]) {
		case ']':
			if (mode == W_ATTR) {
				sb_add(sb, "&#93;", 5);
				break;
			}
			if (mode == W_CDATA) {
				if (pend)
					sb_add(sb, "]] ", 3);
				pend = !pend;
			} else if (pend == 2)	/* "]]]": one ] is safe */
				sb_addc(sb, ']');
			else
				pend++;
			i++;
			continue;
		case '&':
			sb_add(sb, "&amp;", 5);
			break;
		case '<':
			sb_add(sb, "&lt;", 4);
			break;
		case '>':
			sb_add(sb, "&gt;", 4);
			break;
		case '"':
			sb_add(sb, "&quot;", 6);
			break;
		case '\'':
			sb_add(sb, "&apos;", 6);
			break;
		default:
			if ((k = xt_xml_char_len(u + i, len - i)) == 0) {
				dropped++;
				k = u[i] < 0x80 ? 1 : (size_t)xt_utf8_seq(u + i,
				    len - i);
				i += k > 0 && k <= 4 ? k : 1;
				continue;
			}
			if (pend) {
				sb_add(sb, "]]", (size_t)pend);
				pend = 0;
			}
			sb_add(sb, s + i, k);
			i += k;
			continue;
		}
		/* an escaped character */
		i++;
	}
	if (pend)
		sb_add(sb, "]]", (size_t)pend);
	if (sb->buf == NULL)
		sb_grow(sb, 0);
	return dropped;
}

size_t
xml_add_cdata(struct strbuf *sb, const char *s, size_t len)
{
	size_t d;

	sb_add(sb, "<![CDATA[", 9);
	d = xml_filter(sb, s, len, W_CDATA);
	sb_add(sb, "]]>", 3);
	return d;
}

size_t
xml_add_text(struct strbuf *sb, const char *s, size_t len)
{
	return xml_filter(sb, s, len, W_TEXT);
}

size_t
xt_add_cdata_content(struct strbuf *sb, const char *s, size_t len)
{
	return xml_filter(sb, s, len, W_CDATA);
}

size_t
xt_add_attr(struct strbuf *sb, const char *s, size_t len)
{
	return xml_filter(sb, s, len, W_ATTR);
}

size_t
xt_add_inner_cdata(struct strbuf *sb, const char *s, size_t len)
{
	return xml_filter(sb, s, len, W_INNER);
}
