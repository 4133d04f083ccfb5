#!/usr/bin/env bash
# The front end the three programs share (common/fe.c) and the hardening
# defects of issue 12 that live in it or beside it:
#   -o - is standard output in all three; a terminal is refused before any
#   work; an output that is the same file as an input is refused (6); an
#   unwritable --report fails the run before anything is committed (17);
#   size options refuse signs, white space and overflow (19); input text in
#   diagnostics is escaped and member names with control characters are
#   refused (8); the JSON report is valid UTF-8 (9); pack writes one
#   exportDescriptor.properties (5); a zip without a regular member is
#   refused cleanly (15: undefined behaviour, caught by make sanitize).
. "$(dirname "$0")/lib.sh"

# Work in $T: a program that wrongly takes "-o -" for a file name, or
# writes over an input, must not touch the tree.  The CSVs are copies.
cd "$T" || exit 1
mkdir "$T/hm"
cp "$FIX"/convert/handmade/*.csv "$T/hm/"
HM=$T/hm
ESC=$(printf '\033')

# A small export: the hand-made entities.xml and descriptor, zipped.
python3 - "$FIX/convert/handmade" "$T/in.zip" <<'PY'
import sys, zipfile
d, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for n in ("exportDescriptor.properties", "entities.xml"):
        z.write(d + "/" + n, n)
PY
CU="--cloud-users $HM/cloud-users.csv --server-users $HM/server-users.csv --unmapped former"
spaceport-extract -q -o "$T/p.tar" "$T/in.zip" || { echo "Bail out! extract"; exit 1; }
spaceport-convert -q $CU -o "$T/c.tar" "$T/p.tar" || { echo "Bail out! convert"; exit 1; }

# ---- -o - is standard output ----------------------------------------------
spaceport-extract -q -o "$T/p2.tar" "$T/in.zip"
spaceport-extract -q -o - "$T/in.zip" >"$T/p3.tar"
check "extract -o - writes the package to stdout" cmp "$T/p2.tar" "$T/p3.tar"
spaceport-convert -q $CU -o - "$T/p.tar" >"$T/c3.tar"
check "convert -o - writes the package to stdout" cmp "$T/c.tar" "$T/c3.tar"
spaceport-pack -q -o "$T/z1.zip" "$T/c.tar"
spaceport-pack -q -o - "$T/c.tar" >"$T/z2.zip"
check "pack -o - writes the zip to stdout" cmp "$T/z1.zip" "$T/z2.zip"
check "nothing named - was created" test ! -e "$T/-"

# ---- a terminal is refused before any work -----------------------------------
if command -v script >/dev/null 2>&1; then
	for p in extract convert pack; do
		script -qec "$BIN/spaceport-$p $T/no-such-input" /dev/null >"$T/tty" 2>&1
		like "$(cat "$T/tty")" "refusing to write a (package|zip) to a terminal" \
		    "$p refuses a terminal before it opens its input"
		script -qec "$BIN/spaceport-$p -o - $T/no-such-input" /dev/null >"$T/tty" 2>&1
		like "$(cat "$T/tty")" "refusing to write" "$p -o - refuses a terminal too"
	done
else
	for i in 1 2 3 4 5 6; do skip "script(1) not available"; done
fi

# ---- 6: an output that is an input ---------------------------------------------
cp "$T/in.zip" "$T/orig.zip"
run spaceport-pack -q --verify "$T/orig.zip" -o "$T/orig.zip" "$T/c.tar"
is "$rc" 2 "pack --verify X -o X: exit 2"
like "$err" "same file as the input" "and says why"
check "the original export is untouched" cmp "$T/orig.zip" "$T/in.zip"
cp "$T/p.tar" "$T/pp.tar"
run spaceport-convert -q $CU -o "$T/pp.tar" "$T/pp.tar"
is "$rc" 2 "convert -o P P: exit 2"
check "the package is untouched" cmp "$T/pp.tar" "$T/p.tar"
ln "$T/pp.tar" "$T/pp-link.tar"
run spaceport-convert -q $CU -o "$T/pp-link.tar" "$T/pp.tar"
is "$rc" 2 "convert -o HARDLINK P: exit 2 (device and inode, not names)"
run spaceport-extract -q -o "$T/orig.zip" "$T/orig.zip"
is "$rc" 2 "extract -o X X: exit 2"
run spaceport-extract -q --inventory "$T/orig.zip" "$T/orig.zip"
is "$rc" 2 "extract --inventory X X: exit 2"
cp "$HM/cloud-users.csv" "$T/cu.csv"
run spaceport-convert -q $CU --report "$HM/cloud-users.csv" -o "$T/x.tar" "$T/p.tar"
is "$rc" 2 "convert --report onto its --cloud-users: exit 2"
check "the user list is untouched" cmp "$T/cu.csv" "$HM/cloud-users.csv"
cp "$T/cu.csv" "$HM/cloud-users.csv"
run sh -c "spaceport-convert -q $CU '$T/pp.tar' >>'$T/pp.tar'"
is "$rc" 2 "convert P >>P: standard output is the input: exit 2"
check "the package is still untouched" cmp "$T/pp.tar" "$T/p.tar"
run spaceport-pack -q --report "$T/r.json" -o "$T/r.json" "$T/c.tar"
is "$rc" 2 "one file for two outputs: exit 2"
check "nothing written" test ! -e "$T/r.json"

# ---- 17: an unwritable --report fails before anything is committed ------------
for p in extract convert pack; do
	case $p in
	extract) args="$T/in.zip" ;;
	convert) args="$CU $T/p.tar" ;;
	pack) args="$T/c.tar" ;;
	esac
	mkdir "$T/r17-$p"
	run spaceport-$p -q --report "$T/no-such-dir/r.json" -o "$T/r17-$p/out" $args
	is "$rc" 1 "$p: unwritable --report: exit 1"
	is "$(ls -A "$T/r17-$p")" "" "$p: unwritable --report: no output committed"
	mkdir "$T/r17-$p/isdir"
	run spaceport-$p -q --report "$T/r17-$p/isdir" -o "$T/r17-$p/out" $args
	is "$rc" 1 "$p: --report naming a directory: exit 1"
	check "$p: --report naming a directory: no output committed" test ! -e "$T/r17-$p/out"
done

# ---- 19: sizes --------------------------------------------------------------------
for bad in ' -5' '-5' '+5' '5 ' ' 5' '' 'K' '5X' '5KB' '0x10' \
    '18446744073709551616' '16777216T' '99999999999999999999999'; do
	run spaceport-extract -q --check --max-member "$bad" "$T/in.zip"
	is "$rc" 2 "--max-member '$bad' is a usage error"
done
like "$(spaceport-extract -q --check --max-member ' -5' "$T/in.zip" 2>&1)" \
    "bad size" "and says it is a bad size"
run spaceport-extract -q --check --max-member 16777215T "$T/in.zip"
is "$rc" 0 "--max-member 16777215T (the largest in T) is accepted"
run spaceport-extract -q --check --max-member 100 "$T/in.zip"
is "$rc" 1 "--max-member 100 is a limit, not wrapped around"

# ---- 8: input text in diagnostics -------------------------------------------------
# A Cloud user list whose user id forges a line and carries a terminal escape.
{
	head -1 "$HM/cloud-users.csv"
	printf '"x\nspaceport-convert: forged\033[31m",Eve,eve@example.com,Active\n'
	tail -n +2 "$HM/cloud-users.csv"
} >"$T/forge.csv"
run spaceport-convert --cloud-users "$T/forge.csv" --server-users "$HM/server-users.csv" \
    --unmapped former -o "$T/f.tar" "$T/p.tar"
like "$err" 'x\\nspaceport-convert: forged\\033\[31m' "a CSV field reaches stderr escaped"
unlike "$err" "^spaceport-convert: forged" "it cannot forge a diagnostic line"
is "$(printf '%s' "$err" | grep -c "$ESC")" 0 "no terminal escape reaches stderr"

# A zip member name with an escape: refused, and named escaped.
python3 - "$T/in.zip" "$T/esc.zip" <<'PY'
import sys, zipfile
src, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(src) as a, zipfile.ZipFile(out, "w") as z:
    for i in a.infolist():
        z.writestr(i, a.read(i))
    z.writestr("attachments/1/2/x\x1b[2Jy", b"data")
PY
run spaceport-extract -q -o "$T/esc.tar" "$T/esc.zip"
is "$rc" 1 "extract refuses a member name with a control character"
like "$err" 'x\\033\[2Jy' "and names it escaped"
is "$(printf '%s' "$err" | grep -c "$ESC")" 0 "no terminal escape reaches stderr"
run spaceport-pack -q --verify "$T/esc.zip" -o "$T/v.zip" "$T/c.tar"
is "$rc" 1 "pack --verify refuses an original with such a name"
is "$(printf '%s' "$err" | grep -c "$ESC")" 0 "and prints no terminal escape"
check "no zip written" test ! -e "$T/v.zip"

# A package member with an escape in its name, listed in the manifest with
# its true size and CRC: pack must refuse it, not put it into the zip.
mkdir "$T/ctl"
spaceport-convert -q $CU -d "$T/ctl/pkg" "$T/p.tar"
python3 - "$T/ctl/pkg" <<'PY'
import sys, os, zlib
d = sys.argv[1]
name = "zz\x1b[31mred"
data = b"hello"
open(os.path.join(d, name), "wb").write(data)
m = os.path.join(d, "spaceport/manifest.tsv")
t = open(m, "rb").read()
t += b"member\t%s\t%d\t%08x\n" % (name.encode(), len(data), zlib.crc32(data))
open(m, "wb").write(t)
PY
run spaceport-pack -q -o "$T/ctl/out.zip" "$T/ctl/pkg"
is "$rc" 1 "pack refuses a package member name with a control character"
check "no zip written" test ! -e "$T/ctl/out.zip"
is "$(printf '%s' "$err" | grep -c "$ESC")" 0 "no terminal escape reaches stderr"

# ---- 9: the JSON report is valid UTF-8 --------------------------------------------
{
	echo "Type,UserKey,UserName,OldEmail,NewEmail,Tombstone,Account id"
	printf 'USER,,bad\377user,,not-an-\377address,,\n'
} >"$T/map.csv"
run spaceport-convert -q $CU --map "$T/map.csv" --report "$T/r9.json" -o "$T/m.tar" "$T/p.tar"
is "$rc" 0 "convert with a --map holding \\xff"
check "--report is strict UTF-8 JSON" python3 -c '
import json, sys
j = json.loads(open(sys.argv[1], "rb").read().decode("utf-8", "strict"))
assert any("\ufffd" in (f["message"] or "") for f in j["findings"]), "no U+FFFD"
' "$T/r9.json"

# ---- 5: one descriptor in the zip ---------------------------------------------------
mkdir "$T/d5"
spaceport-convert -q $CU -d "$T/d5/pkg" "$T/p.tar"
python3 - "$T/d5/pkg/spaceport/manifest.tsv" <<'PY'
import sys
p = sys.argv[1]
lines = open(p, "rb").read().split(b"\n")
i = next(k for k, l in enumerate(lines) if l.startswith(b"member\texportDescriptor.properties\t"))
j = next(k for k, l in enumerate(lines) if l.startswith(b"member\tentities.xml\t"))
lines[i], lines[j] = lines[j], lines[i]
open(p, "wb").write(b"\n".join(lines))
PY
run spaceport-pack -q -o "$T/d5/out.zip" "$T/d5/pkg"
is "$rc" 0 "pack: descriptor after entities.xml is packed"
is "$(python3 -c '
import sys, zipfile
n = [i.filename for i in zipfile.ZipFile(sys.argv[1]).infolist()]
print(n.count("exportDescriptor.properties"), len(n) == len(set(n)), n[0])
' "$T/d5/out.zip")" "1 True exportDescriptor.properties" \
    "one exportDescriptor.properties, no duplicate member, written first"

# ---- 15: a zip without a regular member -----------------------------------------------
python3 - "$T/empty.zip" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr(zipfile.ZipInfo("attachments/"), b"")
PY
run spaceport-extract -q --check "$T/empty.zip"
is "$rc" 1 "extract: a zip with only a directory entry: exit 1 (no abort)"
like "$err" "no entities.xml" "and says it is not an export"
unlike "$err" "runtime error" "no undefined behaviour (seen under make sanitize)"
run spaceport-pack -q --verify "$T/empty.zip" -o "$T/e.zip" "$T/c.tar"
is "$rc" 1 "pack --verify against it: exit 1 (no abort)"
unlike "$err" "runtime error" "no undefined behaviour there either"

done_testing
