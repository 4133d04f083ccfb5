/*
 * tinylink.h - Confluence tiny links (/x/CODE) and Cloud personal-space keys.
 *
 * Owns: the two small encodings that name content without a title, as
 * ../shared/docs/links-and-macros.md §1.3 and §4.2 establish them:
 *
 *  - a tiny-link code is the content id as 8 bytes little-endian, standard
 *    Base64, then '/' -> '-' and '+' -> '_' (the opposite of RFC 4648's
 *    base64url), then trailing 'A' and '=' stripped;
 *  - a Cloud personal space key is '~' followed by the owner's account id
 *    with every ':' and '-' removed.
 *
 * Pure functions over bytes: no allocation, no diagnostics.
 */
#ifndef SP_TINYLINK_H
#define SP_TINYLINK_H

#include <stddef.h>
#include <stdint.h>

/* Longest code: 8 bytes are 11 Base64 digits (plus '=', always stripped). */
#define TINYLINK_MAX	11

/*
 * Writes the code of content id into out (NUL-terminated, at most
 * TINYLINK_MAX characters) and returns its length.  Id 0 encodes as ""
 * (every digit is a stripped 'A'); Confluence has no content id 0.
 */
size_t	 tinylink_encode(uint64_t id, char out[TINYLINK_MAX + 1]);

/*
 * Decodes the len bytes of code into *id.  Tolerates what real links carry:
 * the stripped trailing 'A's and '=', and one trailing '/' (the Perl
 * generator in Atlassian's KB appends it).  Returns 0 on success, -1 if the
 * bytes are not a tiny-link code (empty, longer than TINYLINK_MAX, a
 * character outside the alphabet, '=' inside, or bits beyond 64 set) or
 * decode to id 0.
 */
int	 tinylink_decode(const char *code, size_t len, uint64_t *id);

/* Size of a buffer that holds any personal space key from an account id of
 * at most SP_ACCOUNT_MAX bytes (the longest account id convert accepts). */
#define SP_ACCOUNT_MAX		128
#define PERSONAL_KEY_MAX	(SP_ACCOUNT_MAX + 2)

/*
 * The Cloud personal space key of account id acct ("~" + acct without ':'
 * and '-'), written NUL-terminated into out.  Returns its length, or 0 if
 * acct is empty, longer than SP_ACCOUNT_MAX, or holds a byte other than
 * ASCII letters, digits, ':' and '-' (out is then "").
 */
size_t	 personal_space_key(const char *acct, char out[PERSONAL_KEY_MAX]);

/* 1 if key has the shape of a Cloud personal space key (§4.2): '~' and 24
 * lower-case hex digits (a 24-hex account id), or '~', a 5- or 6-digit
 * prefix and 32 lower-case hex digits (a "557058:uuid" account id); 0 for
 * anything else, such as a Server "~username" key. */
int	 personal_key_is_cloud(const char *key);

#endif
