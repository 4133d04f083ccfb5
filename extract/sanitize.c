/*
 * sanitize.c - see sanitize.h.
 *
 * Invalid sequences are replaced one byte at a time (each bad byte becomes
 * one U+FFFD), which is simple to state and to count.
 */
#include <stdint.h>
#include <string.h>

#include "report.h"
#include "sanitize.h"
#include "strbuf.h"

static const char REPL[3] = { (char)0xef, (char)0xbf, (char)0xbd };

void
sanitize_init(struct sanitizer *s, const char *fname)
{
	memset(s, 0, sizeof(*s));
	s->fname = fname;
	s->line = 1;
}

/* Length of the valid UTF-8 sequence at p (1..4), 0 if invalid, -1 if
 * it may be valid but is cut off by the end of the buffer. */
static int
utf8_len(const unsigned char *p, size_t avail)
{
	unsigned char c = p[0];
	int len, i;
	unsigned char lo = 0x80, hi = 0xbf;

	if (c < 0xc2)
		return 0;
	if (c < 0xe0)
		len = 2;
	else if (c < 0xf0) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;	/* no surrogates */
	} else if (c < 0xf5) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	for (i = 1; i < len; i++) {
		if ((size_t)i >= avail)
			return -1;
		if (p[i] < (i == 1 ? lo : 0x80) || p[i] > (i == 1 ? hi : 0xbf))
			return 0;
	}
	return len;
}

/*
 * Does the 8-byte word at p hold a byte < 0x20 or >= 0x80?  Exact: with
 * every byte in 0x20..0x7f, w - 0x20.. borrows nowhere and no result byte
 * has its top bit set; a byte < 0x20 borrows and sets it.
 */
static int
word_special(const unsigned char *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));
	return (((w - 0x2020202020202020ULL) | w) & 0x8080808080808080ULL) != 0;
}

static void
filter(struct sanitizer *s, const unsigned char *in, size_t n, int final,
    struct strbuf *out)
{
	size_t i = 0, run = 0;
	int len;

	while (i < n) {
		unsigned char c;

		/* Printable ASCII eight bytes at a time: the byte loop was
		 * 8 % of extract's instructions on XML-heavy input. */
		while (i + 8 <= n && !word_special(in + i))
			i += 8;
		if (i >= n)
			break;
		c = in[i];
		if (c >= 0x20 && c < 0x80) {
			i++;
			continue;
		}
		if (c == '\n') {
			s->line++;
			i++;
			continue;
		}
		if (c == '\t' || c == '\r') {
			i++;
			continue;
		}
		if (c < 0x20) {
			sb_add(out, in + run, i - run);
			if (s->control++ == 0)
				s->first_control_line = s->line;
			run = ++i;
			continue;
		}
		len = utf8_len(in + i, n - i);
		if (len == -1 && !final) {
			/* Keep the start of a sequence for the next chunk. */
			sb_add(out, in + run, i - run);
			memcpy(s->pend, in + i, n - i);
			s->npend = n - i;
			return;
		}
		if (len > 0) {
			if (len == 3 && c == 0xef && in[i + 1] == 0xbf &&
			    in[i + 2] >= 0xbe) {
				sb_add(out, in + run, i - run);
				sb_add(out, REPL, 3);
				s->nonchar++;
				i += 3;
				run = i;
				continue;
			}
			i += (size_t)len;
			continue;
		}
		sb_add(out, in + run, i - run);
		sb_add(out, REPL, 3);
		if (s->invalid++ < 100)
			report_finding("invalid-utf8", s->fname, s->line, NULL,
			    "invalid utf-8 byte 0x%02x replaced by U+FFFD", c);
		run = ++i;
	}
	sb_add(out, in + run, n - run);
}

void
sanitize_chunk(struct sanitizer *s, const unsigned char *in, size_t n,
    int final, struct strbuf *out)
{
	struct strbuf tmp = STRBUF_INIT;

	if (s->npend == 0) {
		filter(s, in, n, final, out);
		return;
	}
	/* A sequence was cut at the previous chunk's end: glue it on.  At
	 * most 3 bytes are pending, and it happens at most once a chunk. */
	sb_add(&tmp, s->pend, s->npend);
	sb_add(&tmp, in, n);
	s->npend = 0;
	filter(s, (const unsigned char *)tmp.buf, tmp.len, final, out);
	sb_free(&tmp);
}
