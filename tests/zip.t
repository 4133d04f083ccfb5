#!/usr/bin/env bash
# spaceport-pack's zip writer against independent readers: unzip -t,
# Python's zipfile (testzip, plus fixtures/pack/zipwalk.py checking every
# local header, data descriptor and end record), and the JDK's
# java.util.zip.ZipInputStream and ZipFile (fixtures/pack/ZipCheck.java,
# skipped without java).  The zips: every real fixture, and generated
# exports with media (stored members) next to text (deflated members).
# Also: the store rule on the generated media, -o to /dev/null and to a
# FIFO (written directly, never replaced), and write errors on stdout.
. "$(dirname "$0")/lib.sh"

CU=$FIX/users/cloud-users.csv
GEN=$TOP/bench/gen
if [ -x "$BIN/spaceport-convert" ]; then have_convert=1; FORCE=; else have_convert=0; FORCE=--force; fi
# topkg ZIP USERS OUT: extract (and convert) an export into a package file.
topkg() {
	if [ "$have_convert" = 1 ]; then
		spaceport-extract -q "$1" 2>>"$T/topkg.err" |
		    spaceport-convert --cloud-users "$2" --unmapped former 2>>"$T/topkg.err" >"$3"
	else
		spaceport-extract -q -o "$3" "$1" 2>>"$T/topkg.err"
	fi
}
have_java=0
command -v java >/dev/null 2>&1 && have_java=1

# readers NAME ZIP: every reader accepts it; zipwalk's table in $T/walk-NAME
readers() {
	local n=$1 z=$2
	check "$n: unzip -t" unzip -tq "$z"
	check "$n: Python zipfile testzip + zipwalk.py (headers, descriptors, end records)" \
	    sh -c "python3 '$FIX/pack/zipwalk.py' '$z' >'$T/walk-$n'"
	if [ "$have_java" = 1 ]; then
		check "$n: Java ZipInputStream and ZipFile read every member (CRC-32 checked)" \
		    java "$FIX/pack/ZipCheck.java" "$z"
	else
		skip "java not installed"
	fi
}

# --- every real fixture -------------------------------------------------------
for z in $(fixture_zips "$T/fx"); do
	n=$(basename "$z" .zip)
	topkg "$z" "$CU" "$T/$n.pkg"
	spaceport-pack -q $FORCE -o "$T/$n.out.zip" "$T/$n.pkg" 2>"$T/pack.err"
	is "$?" 0 "$n: pack exits 0"
	readers "$n" "$T/$n.out.zip"
done

# --- generated exports: media stored, text deflated -------------------------
if [ -x "$GEN" ]; then
	for style in legacy new; do
		g=$T/gen-$style
		"$GEN" --out "$g" --style "$style" --size 3M --seed zip >/dev/null
		topkg "$g/export.zip" "$g/cloud-users.csv" "$g/p.pkg"
		spaceport-pack -q $FORCE --verify "$g/export.zip" -o "$g/out.zip" "$g/p.pkg" 2>"$T/pack.err"
		is "$?" 0 "gen-$style: pack --verify exits 0"
		readers "gen-$style" "$g/out.zip"
		w=$T/walk-gen-$style
		ns=$(grep -c ' stor nodesc ' "$w"); nd=$(grep -c ' defl desc ' "$w")
		check "gen-$style: mixed archive ($ns stored, $nd deflated)" test "$ns" -gt 10 -a "$nd" -gt 2
		is "$(grep -c ' stor desc \| defl nodesc ' "$w")" 0 \
		    "gen-$style: stored members never have a data descriptor, deflated ones always"
		is "$(grep -E '^(entities\.xml|exportDescriptor\.properties) ' "$w" | awk '{print $2}' | sort -u)" defl \
		    "gen-$style: entities.xml and the descriptor deflated"
		# the rule on the generator's members: media (magic + random
		# bytes) stored, CSV-like text deflated
		bad=$(python3 - "$g/out.zip" <<'PY'
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1]); bad = 0
for i in z.infolist():
    if not i.filename.startswith('attachments/') or i.file_size < 256:
        continue
    head = z.read(i)[:4096]
    text = all(b in b'\t\n\r' or 32 <= b < 127 for b in head)
    want = zipfile.ZIP_DEFLATED if text else zipfile.ZIP_STORED
    if i.compress_type != want:
        bad += 1
        print(i.filename, i.compress_type, file=sys.stderr)
print(bad)
PY
)
		is "$bad" 0 "gen-$style: media stored, text attachments deflated"
		spaceport-extract -q --report "$T/a.json" -o /dev/null "$g/export.zip" 2>/dev/null
		spaceport-extract -q --report "$T/b.json" -o /dev/null "$g/out.zip" 2>/dev/null
		is "$?" 0 "gen-$style: extract reads the mixed output back"
	done
	o=$T/gen-legacy/out.zip
	spaceport-pack -q $FORCE <"$T/gen-legacy/p.pkg" | cat >"$T/pipe.zip"
	check "stdout through a pipe = file output" cmp "$o" "$T/pipe.zip"
else
	skip "bench/gen not available"
	o=$T/xwiki-5.9-site.out.zip
fi

# --- -o targets that are not regular files --------------------------------------
p=$T/xwiki-5.9-site.pkg
if [ -c /dev/null ]; then
	run spaceport-pack -q --force -o /dev/null "$p"
	is "$rc" 0 "-o /dev/null: exit 0"
	check "-o /dev/null: still a character device" test -c /dev/null
else
	skip "/dev/null is not a character device here"; skip "/dev/null"
fi
mkfifo "$T/fifo"
cat "$T/fifo" >"$T/from-fifo.zip" &
cpid=$!
run spaceport-pack -q --force -o "$T/fifo" "$p"
wait "$cpid"
is "$rc" 0 "-o FIFO: exit 0"
check "-o FIFO: still a FIFO" test -p "$T/fifo"
check "-o FIFO: the reader got the same zip as a file" cmp "$T/from-fifo.zip" "$T/xwiki-5.9-site.out.zip"
is "$(ls -A "$T" | grep -c '^\.fifo\.')" 0 "-o FIFO: no temporary sibling left"
run spaceport-pack -q --force --verify "$T/fx/xwiki-5.9-site.zip" -o /dev/null "$p"
is "$rc" 0 "--verify -o /dev/null: exit 0 (self-check skipped)"

# --- write errors ---------------------------------------------------------------
if [ -w /dev/full ]; then
	spaceport-pack -q --force "$p" >/dev/full 2>"$T/full.err"
	is "$?" 1 "zip to a full stdout: exit 1"
	like "$(cat "$T/full.err")" 'No space left' "and says why"
	spaceport-pack --help >/dev/full 2>"$T/full.err"
	is "$?" 1 "--help to a full stdout: exit 1"
	spaceport-pack -V >/dev/full 2>"$T/full.err"
	is "$?" 1 "-V to a full stdout: exit 1"
	like "$(cat "$T/full.err")" 'write error' "-V says why"
else
	for i in 1 2 3 4 5; do skip "/dev/full not available"; done
fi
spaceport-pack -q --force -o "$T/closed.zip" "$p" >&-
is "$?" 0 "-o FILE with stdout closed: exit 0 (nothing to flush)"

done_testing
