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
#include "xmltext.h"

static const char REPL[3] = { (char)0xef, (char)0xbf, (char)0xbd };

void
sanitize_init(struct sanitizer *s, const char *fname)
{
	memset(s, 0, sizeof(*s));
	s->fname = fname;
	s->line = 1;
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
		len = xt_utf8_seq(in + i, n - i);	/* c >= 0x80 here */
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
