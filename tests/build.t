#!/usr/bin/env bash
# The build around the programs: install, man pages, --help, --version,
# and the terminal refusal.
. "$(dirname "$0")/lib.sh"

for p in extract convert pack; do
	prog=spaceport-$p
	man=$TOP/man/$prog.1
	check "$prog: man page exists" test -f "$man"
	check "$prog: mandoc -Tlint clean" mandoc -Tlint -W warning "$man"
	"$prog" --help >"$T/help" 2>&1
	is "$?" 0 "$prog --help exits 0"
	like "$(head -1 "$T/help")" "^usage: $prog" "$prog --help starts with usage"
	# every option the man page lists is in --help, and the other way round
	grep '^\.It Fl' "$man" | grep -o 'Fl [-\\A-Za-z]*' | awk '{print $2}' |
	    sed 's/^\\-/-/' | sort -u >"$T/manopts"
	grep -oE '(^|[ [|])-(-[a-z][-a-z]*|[A-Za-z])\b' "$T/help" | sed 's/^[ [|]//; s/^-//' |
	    sort -u >"$T/helpopts"
	check "$prog: --help and the man page list the same options" \
	    diff "$T/manopts" "$T/helpopts"
	like "$("$prog" --version)" "^$prog [0-9]+\.[0-9]+\.[0-9]+$" "$prog --version"
	"$prog" --version >/dev/full 2>/dev/null
	is "$?" 1 "$prog --version: a failed write to stdout exits 1"
	"$prog" --help >/dev/full 2>/dev/null
	is "$?" 1 "$prog --help: a failed write to stdout exits 1"
	"$prog" --no-such-option >/dev/null 2>"$T/err"
	is "$?" 2 "$prog: unknown option exits 2"
	like "$(cat "$T/err")" "^$prog: |^usage: $prog" "$prog: usage error names the program"
done

# One version string for the project (common/version.h): the three agree.
is "$(for p in extract convert pack; do spaceport-$p --version | awk '{print $2}'; done | sort -u | wc -l)" \
    1 "the three programs print one version"

# Refusing to write binary data to a terminal (script(1) gives a tty).
if command -v script >/dev/null 2>&1; then
	script -qec "$BIN/spaceport-extract $FIX/real/xwiki-3.4.7-site/3.4.7.zip" /dev/null \
	    >"$T/tty" 2>&1
	like "$(cat "$T/tty")" "refusing to write a package to a terminal" \
	    "extract refuses a terminal on stdout"
else
	skip "script(1) not available"
fi

make -s -C "$TOP" install DESTDIR="$T/root" PREFIX=/usr >/dev/null 2>&1
is "$?" 0 "make install DESTDIR= PREFIX= works"
for p in extract convert pack; do
	check "installed bin/spaceport-$p" test -x "$T/root/usr/bin/spaceport-$p"
	check "installed man1/spaceport-$p.1" test -f "$T/root/usr/share/man/man1/spaceport-$p.1"
done

done_testing
