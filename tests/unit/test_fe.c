/*
 * test_fe.c - unit tests for the text that leaves the programs: diag_vis
 * (stderr), json_strn (the report) and the member-name rule.  The
 * expected strings are written out by hand from vis(3)'s C-style/octal
 * rules and RFC 8259, not copied from the output.
 */
#include <stdio.h>
#include <string.h>

#include "diag.h"
#include "report.h"
#include "safename.h"
#include "strbuf.h"
#include "tap.h"

static void
vis_is(const char *in, const char *want, const char *name)
{
	char buf[256];

	is_str(diag_vis(buf, sizeof(buf), in), want, name);
}

static void
json_is(const char *in, size_t n, const char *want, const char *name)
{
	struct strbuf sb = STRBUF_INIT;

	json_strn(&sb, in, n);
	is_str(sb_str(&sb), want, name);
	sb_free(&sb);
}

int
main(void)
{
	char small[8];

	diag_setprog("test_fe");

	vis_is("plain text: a/b.png", "plain text: a/b.png", "vis: ascii kept");
	vis_is("caf\xc3\xa9 \xe2\x82\xac", "caf\xc3\xa9 \xe2\x82\xac",
	    "vis: valid UTF-8 kept");
	vis_is("a\nb\tc\rd", "a\\nb\\tc\\rd", "vis: newline, tab, CR");
	vis_is("back\\slash", "back\\\\slash", "vis: backslash doubled");
	vis_is("\x1b[31mred", "\\033[31mred", "vis: ESC octal");
	vis_is("\x7f\x01", "\\177\\001", "vis: DEL and C0 octal");
	vis_is("x\xc2\x9b" "2J", "x\\302\\2332J", "vis: C1 CSI (U+009B) octal per byte");
	vis_is("\xe2\x80\xae" "abc", "\\342\\200\\256abc",
	    "vis: bidi override U+202E escaped");
	vis_is("bad\xff\xfe", "bad\\377\\376", "vis: invalid bytes octal");
	vis_is("\xc3", "\\303", "vis: truncated sequence octal");
	vis_is("\xc0\xaf", "\\300\\257", "vis: overlong form octal");
	vis_is("\xed\xa0\x80", "\\355\\240\\200", "vis: surrogate octal");
	diag_vis(small, sizeof(small), "abcd\x1b");
	is_str(small, "abcd", "vis: truncates at a whole escape");

	json_is("a\"b\\c", 5, "\"a\\\"b\\\\c\"", "json: quote and backslash");
	json_is("\n\x01", 2, "\"\\n\\u0001\"", "json: controls");
	json_is("caf\xc3\xa9", 5, "\"caf\xc3\xa9\"", "json: UTF-8 kept");
	json_is("x\xffy", 3, "\"x\\ufffdy\"", "json: invalid byte -> U+FFFD");
	json_is("\xe2\x82", 2, "\"\\ufffd\\ufffd\"",
	    "json: truncated sequence -> one U+FFFD per byte");
	json_is("\xf4\x90\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\"",
	    "json: above U+10FFFF -> U+FFFD");
	json_is("\xf0\x9f\x98\x80", 4, "\"\xf0\x9f\x98\x80\"",
	    "json: 4-byte sequence kept");

	ok(pkg_name_ok("attachments/1/2/3"), "name: plain path ok");
	ok(pkg_name_ok("caf\xc3\xa9.png"), "name: UTF-8 ok");
	ok(!pkg_name_ok("a\nb"), "name: newline refused");
	ok(!pkg_name_ok("a\x1b[2Jb"), "name: ESC refused");
	ok(!pkg_name_ok("a\x7f"), "name: DEL refused");
	ok(!pkg_name_ok("../x") && !pkg_name_ok("/x") && !pkg_name_ok("a//b") &&
	    !pkg_name_ok("a/./b") && !pkg_name_ok("a\\b") && !pkg_name_ok(""),
	    "name: traversal, absolute, empty components, backslash refused");
	return tap_done();
}
