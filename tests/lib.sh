# tests/lib.sh - TAP helpers for the shell tests under tests/*.t
#
# Source it first:   . "$(dirname "$0")/lib.sh"
# Gives: $TOP (repo root), $BIN (built programs), $FIX (fixtures/),
# $T (a fresh temp dir, removed at exit), PATH with $BIN first,
# and TAP functions: ok/not_ok via check, is, like, unlike, plan, skip, done_testing.
# Every assertion prints one "ok N - name" or "not ok N - name" line;
# diagnostics go to stderr prefixed with "# ".
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
export TOP	# for the tests' python helpers (tests/pkgread.py)
BIN=${SPACEPORT_BIN:-$TOP/bin}
FIX=$TOP/fixtures
PATH=$BIN:$PATH
export LC_ALL=C TZ=UTC
T=$(mktemp -d "${TMPDIR:-/tmp}/spaceport-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
_n=0
_failed=0

# check NAME COMMAND...   passes when COMMAND exits 0
check() {
	local name=$1; shift
	_n=$((_n + 1))
	if "$@" >"$T/.out" 2>&1; then
		echo "ok $_n - $name"
	else
		echo "not ok $_n - $name"
		_failed=$((_failed + 1))
		sed 's/^/# /' "$T/.out" | head -20 >&2
	fi
}
# is GOT EXPECTED NAME
is() {
	_n=$((_n + 1))
	if [ "$1" = "$2" ]; then
		echo "ok $_n - $3"
	else
		echo "not ok $_n - $3"
		_failed=$((_failed + 1))
		printf '#   got:      %s\n#   expected: %s\n' "$1" "$2" >&2
	fi
}
# like TEXT REGEX NAME   (grep -E)
like() {
	_n=$((_n + 1))
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		echo "ok $_n - $3"
	else
		echo "not ok $_n - $3"
		_failed=$((_failed + 1))
		printf '#   text:  %s\n#   wanted: /%s/\n' "$(printf '%s' "$1" | head -c 600)" "$2" >&2
	fi
}
unlike() {
	_n=$((_n + 1))
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		echo "not ok $_n - $3"
		_failed=$((_failed + 1))
		printf '#   text:  %s\n#   unwanted: /%s/\n' "$(printf '%s' "$1" | head -c 600)" "$2" >&2
	else
		echo "ok $_n - $3"
	fi
}
skip() { _n=$((_n + 1)); echo "ok $_n # skip $1"; }
# run CMD... : runs, sets $rc, $out (stdout file) and $err (stderr text)
run() {
	"$@" >"$T/.stdout" 2>"$T/.stderr"
	rc=$?
	out=$T/.stdout
	err=$(cat "$T/.stderr")
}
done_testing() {
	echo "1..$_n"
	[ "$_failed" -eq 0 ]
}

# fixture_zips DIR: make DIR/<name>.zip for every real export fixture:
# the zips under fixtures/real as they are, and every loose entities.xml
# (with its exportDescriptor.properties, or a minimal space descriptor,
# and its attachments/ folder) zipped.  Prints the zip paths, one a line.
fixture_zips() {
	local dir=$1 d e n b
	mkdir -p "$dir"
	for e in "$FIX"/real/*/*.zip; do
		cp "$e" "$dir/$(basename "$(dirname "$e")").zip"
		echo "$dir/$(basename "$(dirname "$e")").zip"
	done
	for d in "$FIX"/real/*/; do
		n=$(basename "$d")
		for e in "$d"*entities*.xml; do
			[ -f "$e" ] || continue
			b=$(basename "$e" .xml); b=${b%.entities}; b=${b%entities}; b=${b%_test}
			b=$n${b:+-$b}
			rm -rf "$dir/$b.d"; mkdir -p "$dir/$b.d"
			cp "$e" "$dir/$b.d/entities.xml"
			if [ -f "$d/exportDescriptor.properties" ]; then
				cp "$d/exportDescriptor.properties" "$dir/$b.d/"
			else
				printf '#fixture\nexportType=space\nbuildNumber=4517\nbackupAttachments=true\n' \
				    >"$dir/$b.d/exportDescriptor.properties"
			fi
			[ -d "$d/attachments" ] && cp -r "$d/attachments" "$dir/$b.d/"
			(cd "$dir/$b.d" && zip -qrX "../$b.zip" .)
			echo "$dir/$b.zip"
		done
	done
}

# mval FILE KEY: a fact from a package manifest (directory form).
mval() { awk -F'\t' -v k="$2" '$1 == k { print $2 }' "$1"; }
