/*
 * xmltext.h - the XML-text toolkit: the one copy of every byte-level
 * primitive spaceport needs to read and write XML text.
 *
 * Owns: UTF-8 (validate, encode), the XML 1.0 character rule, character
 * and predefined-entity reference decoding, attribute / text / CDATA
 * encoding, and Confluence's CDATA quirk (its legacy writer wrote every
 * "]]" inside a CDATA section as "]] ", Java's s.replace("]]", "]] ")),
 * both ways.  Nothing here allocates except through a caller's strbuf.
 *
 * Hand-rolled and not libxml2: libxml2 has no entry point that decodes a
 * reference or encodes one value without building a document, and the
 * callers need byte-exact spans and the "]] " quirk, which it knows
 * nothing of.
 */
#ifndef SP_XMLTEXT_H
#define SP_XMLTEXT_H

#include <stddef.h>

struct strbuf;

/* ---- UTF-8 and the XML character rule ---------------------------- */

/*
 * Length (1..4) of the well-formed UTF-8 sequence at s (n > 0 bytes
 * available); 0 if s[0] does not start one (overlong forms, surrogates,
 * code points above U+10FFFF, stray continuation bytes); -1 if s holds
 * the valid start of a sequence cut off by the end of the buffer.
 * Any ASCII byte (controls included) is a sequence of length 1.
 */
int	 xt_utf8_seq(const unsigned char *s, size_t n);

/* Encode code point cp (< 0x110000, not a surrogate) into out; returns
 * the number of bytes written (1..4).  xt_utf8_add appends to a strbuf. */
size_t	 xt_utf8_put(char out[4], unsigned long cp);
void	 xt_utf8_add(struct strbuf *, unsigned long cp);

/* 1 if cp is an XML 1.0 Char: TAB, LF, CR, U+0020-U+D7FF,
 * U+E000-U+FFFD, U+10000-U+10FFFF. */
int	 xt_is_xml_char(unsigned long cp);

/*
 * Length of the character at s (n > 0 bytes) if it is valid UTF-8 AND an
 * XML Char, else 0 (the byte must be dropped or replaced).
 */
size_t	 xt_xml_char_len(const unsigned char *s, size_t n);

/* ---- references ---------------------------------------------------- */

/*
 * Decode the reference starting at s[0] == '&' (n bytes available): the
 * five predefined entities and &#N; / &#xH; (any code point but 0 and
 * the surrogates; the ';' within 12 bytes of the '&').  Returns the bytes
 * consumed and puts the decoded UTF-8 (1..4 bytes) in out and
 * *olen; returns 0 if s does not start such a reference (the '&' is then
 * literal, as &nbsp; in a storage body is).
 */
size_t	 xt_ref(const char *s, size_t n, char out[4], size_t *olen);

/* Append s/n to sb with every reference xt_ref knows decoded, others
 * copied as written.  Returns the number of references decoded. */
size_t	 xt_decode(struct strbuf *sb, const char *s, size_t n);

/* ---- Confluence's CDATA quirk -------------------------------------- */

/* Undo "]]" -> "]] " in place, left to right and non-overlapping like
 * Java's replace(); returns the new length (s[len] = 0 if it shrank). */
size_t	 xt_cdata_unescape(char *s, size_t len);

/* Append s/n to sb with "]] " undone. */
void	 xt_cdata_unescape_add(struct strbuf *sb, const char *s, size_t n);

/* ---- writers for NEW bytes (never used to copy existing bytes) ------ */

/*
 * xml_add_cdata: "<![CDATA[" + s with every "]]" written "]] "
 * (Confluence's convention, which also guarantees no "]]>") + "]]>".
 * xml_add_text: s escaped as element text or attribute value (& < > " ').
 * xt_add_cdata_content: like xml_add_cdata without the markers.
 * All three drop what XML 1.0 forbids (C0 controls other than TAB, LF,
 * CR; U+FFFE, U+FFFF; bytes that are not UTF-8) and return how many
 * characters they dropped.  Dropping happens before the "]]" rule, so a
 * dropped byte can never make a "]]>".
 */
size_t	 xml_add_cdata(struct strbuf *, const char *s, size_t len);
size_t	 xml_add_text(struct strbuf *, const char *s, size_t len);
size_t	 xt_add_cdata_content(struct strbuf *, const char *s, size_t len);

/*
 * xt_add_attr: s as an XHTML attribute value for a storage body (the
 * quotes are the caller's): & < > " ' escaped, and ']' written &#93; so
 * that the value can never close or be mangled by an enclosing CDATA
 * section.  Forbidden characters dropped and counted as above.
 */
size_t	 xt_add_attr(struct strbuf *, const char *s, size_t len);

/*
 * xt_add_inner_cdata: s as the content of a CDATA section that sits
 * inside a storage body (a plain-text macro body): "]]>" is split as
 * "]]]]><![CDATA[>", the standard way.  Forbidden characters dropped.
 */
size_t	 xt_add_inner_cdata(struct strbuf *, const char *s, size_t len);

#endif
