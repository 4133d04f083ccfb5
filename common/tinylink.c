/*
 * tinylink.c - tiny-link codes and Cloud personal space keys (tinylink.h).
 *
 * Base64 is hand-rolled here: none of the libraries spaceport links
 * (libarchive, libxml2, zlib, SQLite) exposes a Base64 codec, and the
 * tiny-link alphabet is not standard Base64 anyway ('-' and '_' stand
 * where RFC 4648 has '/' and '+', crossed), so a library codec would need
 * the same translation around it.  Eight bytes are 64 bits: eleven 6-bit
 * digits, the last carrying 4 bits and two zero bits.
 */
#include <string.h>

#include "tinylink.h"

static const char digits[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

size_t
tinylink_encode(uint64_t id, char out[TINYLINK_MAX + 1])
{
	unsigned char b[9];
	size_t i, n = 0;

	/* 8 bytes little-endian, then a zero byte so that the 11th digit
	 * (the last 4 bits and 2 padding bits) reads from 9 bytes. */
	for (i = 0; i < 8; i++)
		b[i] = (unsigned char)(id >> (8 * i));
	b[8] = 0;
	for (i = 0; i < 9; i += 3) {
		unsigned v = (unsigned)b[i] << 16 | (unsigned)b[i + 1] << 8 |
		    b[i + 2];

		out[n++] = digits[v >> 18 & 63];
		out[n++] = digits[v >> 12 & 63];
		out[n++] = digits[v >> 6 & 63];
		out[n++] = digits[v & 63];
	}
	n = TINYLINK_MAX;		/* the 12th digit is padding */
	while (n > 0 && out[n - 1] == 'A')
		n--;
	out[n] = '\0';
	return n;
}

static int
digit_value(unsigned char c)
{
	const char *p;

	if (c == '\0' || (p = strchr(digits, c)) == NULL)
		return -1;
	return (int)(p - digits);
}

int
tinylink_decode(const char *code, size_t len, uint64_t *id)
{
	uint64_t v = 0;
	size_t i;
	int d;

	if (len > 0 && code[len - 1] == '/')	/* the KB Perl script's tail */
		len--;
	while (len > 0 && code[len - 1] == '=')
		len--;
	if (len == 0 || len > TINYLINK_MAX)
		return -1;
	/* Digit k (0-based) holds bits 6k..6k+5 counted from the first
	 * byte's high bit; byte j of the little-endian id is bits 8j..8j+7
	 * in that order, so the id's byte j has weight 2^(8j). */
	for (i = 0; i < TINYLINK_MAX; i++) {
		d = i < len ? digit_value((unsigned char)code[i]) : 0;
		if (d < 0)
			return -1;
		for (int bit = 5; bit >= 0; bit--) {
			size_t pos = i * 6 + (size_t)(5 - bit);	/* stream bit */
			size_t byte = pos / 8, inbyte = 7 - pos % 8;

			if (!(d >> bit & 1))
				continue;
			if (byte >= 8)
				return -1;	/* bits past the 64th */
			v |= (uint64_t)1 << (8 * byte + inbyte);
		}
	}
	if (v == 0)
		return -1;
	*id = v;
	return 0;
}

size_t
personal_space_key(const char *acct, char out[PERSONAL_KEY_MAX])
{
	size_t i, n = 0;
	unsigned char c;

	out[0] = '\0';
	if (acct[0] == '\0' || strlen(acct) > SP_ACCOUNT_MAX)
		return 0;
	out[n++] = '~';
	for (i = 0; acct[i] != '\0'; i++) {
		c = (unsigned char)acct[i];
		if (c == ':' || c == '-')
			continue;
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z'))) {
			out[0] = '\0';
			return 0;
		}
		out[n++] = (char)c;
	}
	if (n == 1) {
		out[0] = '\0';
		return 0;
	}
	out[n] = '\0';
	return n;
}

static size_t
span_of(const char *s, const char *set)
{
	return strspn(s, set);
}

int
personal_key_is_cloud(const char *key)
{
	static const char hex[] = "0123456789abcdef";
	size_t n, p;

	if (key[0] != '~')
		return 0;
	key++;
	n = strlen(key);
	if (n == 24 && span_of(key, hex) == 24)
		return 1;
	p = span_of(key, "0123456789");
	if (p > 6)
		p = 6;
	for (; p >= 5; p--)
		if (n == p + 32 && span_of(key + p, hex) == 32)
			return 1;
	return 0;
}
