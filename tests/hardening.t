#!/usr/bin/env bash
# Hostile input to the later stages (issue 12): entities.xml that passes
# the hand-over check but is not what extract lets through (DOCTYPE,
# external entity, forbidden characters), relations.tsv ids that are not
# ids, users.tsv rows too short, CSV fields holding NUL.  Each refusal is
# exit 1, one "prog: file:line: message" line, and no output left behind.
. "$(dirname "$0")/lib.sh"

CU=$FIX/users/cloud-users.csv

# tamper PKGDIR MEMBER PYEXPR: replace MEMBER's bytes b (a bytes object)
# by the value of PYEXPR and fix its size and CRC-32 in the manifest, so
# the change passes the hand-over check and reaches the parsers.
tamper() {
	python3 - "$@" <<'EOF'
import sys, zlib
d, member, expr = sys.argv[1:4]
p = d + '/' + member
b = open(p, 'rb').read()
b = eval(expr)
open(p, 'wb').write(b)
m = d + '/spaceport/manifest.tsv'
out = []
for line in open(m, 'rb').read().split(b'\n'):
    f = line.split(b'\t')
    if len(f) == 4 and f[0] == b'member' and f[1] == member.encode():
        line = b'\t'.join([f[0], f[1], str(len(b)).encode(),
                           b'%08x' % (zlib.crc32(b) & 0xffffffff)])
    out.append(line)
open(m, 'wb').write(b'\n'.join(out))
EOF
}

# A small 8.5.6 space export, its package, and the converted package.
mkdir -p "$T/e"
cp "$FIX/real/xwiki-8.5.6-newwriter/entities.xml" "$T/e/"
printf 'exportType=space\nspaceKey=HT\n' >"$T/e/exportDescriptor.properties"
(cd "$T/e" && zip -qrX "$T/x.zip" .)
spaceport-extract -q -d "$T/pk" "$T/x.zip"
spaceport-convert -q --cloud-users "$CU" --unmapped former -d "$T/cv" "$T/pk"
check "base: converted package packs" spaceport-pack -q -o "$T/base.zip" "$T/cv"

# fresh COPY: a new copy of the package directory $T/SRC at $T/COPY
fresh() { rm -rf "${T:?}/$2"; cp -r "$T/$1" "$T/$2"; }

# --- entities.xml: every stage holds the line extract holds ----------
# (name, python expression over the bytes b, expected message, line)
PRE='b.replace(b"<hibernate-generic", '
cases=(
"doctype-external|${PRE}b\"<!DOCTYPE hibernate-generic [<!ENTITY x SYSTEM \\\"file:///etc/passwd\\\">]>\\n<hibernate-generic\", 1)|has a document type declaration|"
"doctype-plain|${PRE}b\"<!DOCTYPE hibernate-generic>\\n<hibernate-generic\", 1)|has a document type declaration|"
"control-u0001|b.replace(b\"<![CDATA[\", b\"<![CDATA[\\x01\", 1)|not well-formed xml|"
"nonchar-uffff|b.replace(b\"<![CDATA[\", b\"<![CDATA[\\xef\\xbf\\xbf\", 1)|not well-formed xml|"
"undeclared-entity|b.replace(b\"<![CDATA[\", b\"&ent;<![CDATA[\", 1)|not well-formed xml: entity .ent. not defined|"
"bad-utf8|b.replace(b\"<![CDATA[\", b\"<![CDATA[\\xc3(\", 1)|not well-formed xml|"
"charref-u0001|b.replace(b\"<![CDATA[\", b\"&#1;<![CDATA[\", 1)|not well-formed xml|"
"latin1|b\"<?xml version=\\\"1.0\\\" encoding=\\\"ISO-8859-1\\\"?>\\n\" + b|encoding ISO-8859-1 is not supported|"
"truncated|b[:len(b) // 2]|not well-formed xml|"
)
for c in "${cases[@]}"; do
	IFS='|' read -r name expr msg _ <<<"$c"
	line=$(python3 -c 'import sys
b = open(sys.argv[1], "rb").read()
n = b.find(b"<![CDATA[")
print(b[:n].count(b"\n") + 1)' "$T/pk/entities.xml")
	# convert, on the extracted package
	fresh pk "pk-$name"
	tamper "$T/pk-$name" entities.xml "$expr"
	run spaceport-convert -q --cloud-users "$CU" --unmapped former \
	    -o "$T/cv-$name.tar" "$T/pk-$name"
	is "$rc" 1 "convert $name: exit 1"
	like "$err" "^spaceport-convert: entities\\.xml:[0-9]+: $msg" \
	    "convert $name: says why, with the line"
	is "$(printf '%s\n' "$err" | wc -l)" 1 "convert $name: one line"
	is "$(ls "$T" | grep -c "cv-$name")" 0 "convert $name: nothing written"
	# pack, on the converted package
	fresh cv "cvt-$name"
	tamper "$T/cvt-$name" entities.xml "$expr"
	run spaceport-pack -q -o "$T/z-$name.zip" "$T/cvt-$name"
	is "$rc" 1 "pack $name: exit 1"
	like "$err" "^spaceport-pack: entities\\.xml:[0-9]+: $msg" \
	    "pack $name: says why, with the line"
	is "$(printf '%s\n' "$err" | wc -l)" 1 "pack $name: one line"
	is "$(ls "$T" | grep -c "z-$name")" 0 "pack $name: no zip written"
	case $name in control-u0001|nonchar-uffff|bad-utf8)
		like "$err" "^spaceport-pack: entities\\.xml:$line:" \
		    "pack $name: the line is the character's"
	esac
done
# --verify must not call a DOCTYPE lossless: it never gets that far
fresh cv cvt-verify
tamper "$T/cvt-verify" entities.xml "${PRE}b\"<!DOCTYPE hibernate-generic [<!ENTITY x SYSTEM \\\"file:///etc/passwd\\\">]>\\n<hibernate-generic\", 1)"
run spaceport-pack -q --verify "$T/x.zip" -o "$T/zv.zip" "$T/cvt-verify"
is "$rc" 1 "pack --verify on a DOCTYPE: exit 1"
unlike "$err" "lossless" "pack --verify on a DOCTYPE: not called lossless"
[ -e "$T/zv.zip" ]; is "$?" 1 "pack --verify on a DOCTYPE: no zip"
# the gate leaves good input alone: same zip as before
spaceport-pack -q -o "$T/base2.zip" "$T/cv"
check "gate: a good package packs to the same bytes" cmp "$T/base.zip" "$T/base2.zip"

# --- relations.tsv: ids are ids (digits or a user key) -----------------
# The first row's child_id replaced; pack would copy it into <id>.
relrow() {
	# relrow NAME FIELD PYBYTES: field FIELD (0-4) of the first row
	fresh cv "rel-$1"
	tamper "$T/rel-$1" spaceport/relations.tsv "(lambda L: b'\\n'.join([L[0], b'\\t'.join([(${3} if i == $2 else x) for i, x in enumerate(L[1].split(b'\\t'))])] + L[2:]))(b.split(b'\\n'))"
	run spaceport-pack -q -o "$T/zr-$1.zip" "$T/rel-$1"
}
for v in 'c0:b"262285\x01"' 'utf8:b"2622\xff85"' 'markup:b"1</id><x/><id>"' 'empty:b""' 'space:b"262 285"'; do
	name=${v%%:*}; val=${v#*:}
	relrow "child-$name" 4 "$val"
	is "$rc" 1 "relations.tsv child_id $name: pack refuses"
	like "$err" '^spaceport-pack: spaceport/relations\.tsv:2: bad child_id' \
	    "relations.tsv child_id $name: file:line and why"
	is "$(printf '%s\n' "$err" | wc -l)" 1 "relations.tsv child_id $name: one line"
	[ -e "$T/zr-child-$name.zip" ]; is "$?" 1 "relations.tsv child_id $name: no zip"
done
relrow parent-c0 1 'b"98363\x02"'
is "$rc" 1 "relations.tsv parent_id with a control: refused"
like "$err" 'relations\.tsv:2: bad parent_id' "... says parent_id"
relrow pclass 0 'b"Attachment\x01"'
is "$rc" 1 "relations.tsv parent_class with a control: refused"
like "$err" 'relations\.tsv:2: bad class or collection name' "... says why"
relrow userkey 4 'b"402816d68f060145018f0602bd350000"'
is "$rc" 0 "relations.tsv child_id shaped like a user key: accepted"
check "... and the zip's entities.xml is well-formed" sh -c \
    "unzip -p '$T/zr-userkey.zip' entities.xml | xmllint --noout --nonet --huge -"

# --- users.tsv: a short row is refused without a leak (issue 12 #18) ----
R=$TOP/tests/fuzz/repro/files/convert-leak-short-users-row.pkg
run spaceport-convert -q --cloud-users "$CU" --unmapped former -o "$T/short.tar" "$R"
is "$rc" 1 "users.tsv short row: exit 1"
like "$err" '^spaceport-convert: spaceport/users\.tsv:[0-9]+: 4 fields, expected at least' \
    "users.tsv short row: file:line and why"
if command -v valgrind >/dev/null 2>&1 && ! ldd "$BIN/spaceport-convert" | grep -q libasan; then
	run valgrind -q --error-exitcode=99 --leak-check=full \
	    --errors-for-leak-kinds=definite,possible spaceport-convert -q \
	    --cloud-users "$CU" --unmapped former -o "$T/short.tar" "$R"
	is "$rc" 1 "users.tsv short row: no leak under valgrind (exit 1, not 99)"
else
	skip "valgrind not installed or an ASan build (LeakSanitizer checks it)"
fi

# --- CSV: a NUL is refused, every CSV refusal is one line --------------
python3 -c 'import sys
b = open(sys.argv[1], "rb").read().split(b"\n")
b[2] = b[2].replace(b"Normal User", b"Normal\x00User", 1)
open(sys.argv[2], "wb").write(b"\n".join(b))' "$CU" "$T/cu-nul.csv"
run spaceport-convert -q --cloud-users "$T/cu-nul.csv" --unmapped former -o "$T/nul.tar" "$T/pk"
is "$rc" 1 "cloud users CSV with a NUL: exit 1"
is "$err" "spaceport-convert: $T/cu-nul.csv:3: a NUL byte in a field: not a utf-8 text file (utf-16?)" \
    "cloud users CSV with a NUL: one line, file:line and why"
[ -e "$T/nul.tar" ]; is "$?" 1 "cloud users CSV with a NUL: nothing written"
{ head -2 "$CU"; printf '"unterminated,x\n'; } >"$T/cu-q.csv"
run spaceport-convert -q --cloud-users "$T/cu-q.csv" --unmapped former -o "$T/q.tar" "$T/pk"
is "$rc" 1 "cloud users CSV unterminated quote: exit 1"
is "$err" "spaceport-convert: $T/cu-q.csv:3: unterminated quoted field" \
    "cloud users CSV error: exactly one line"
printf 'UserKey,NewEmail\n"a"b,x@y\n' >"$T/map-q.csv"
run spaceport-convert -q --cloud-users "$CU" --map "$T/map-q.csv" --unmapped former -o "$T/q.tar" "$T/pk"
is "$err" "spaceport-convert: $T/map-q.csv:2: invalid quoting: text after closing quote" \
    "--map CSV error: exactly one line"
printf 'username,email\na,b\n"x\0",y\n' >"$T/srv-q.csv"
run spaceport-convert -q --cloud-users "$CU" --server-users "$T/srv-q.csv" --unmapped former -o "$T/q.tar" "$T/pk"
is "$err" "spaceport-convert: $T/srv-q.csv:3: a NUL byte in a field: not a utf-8 text file (utf-16?)" \
    "--server-users CSV error: exactly one line"
run spaceport-convert -q --cloud-users "$T/missing.csv" --unmapped former -o "$T/q.tar" "$T/pk"
is "$(printf '%s\n' "$err" | wc -l)" 1 "missing CSV: one line"
like "$err" "^spaceport-convert: --cloud-users: cannot read $T/missing.csv: No such file" \
    "missing CSV: says which option, file and why"

done_testing
