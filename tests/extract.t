#!/usr/bin/env bash
# spaceport-extract: real fixtures, pipe vs file, refusals, sanitising,
# inventory, reports and exit codes.
. "$(dirname "$0")/lib.sh"

zips=$(fixture_zips "$T/fx")

# --- every real fixture extracts, counts checked against the fixture ----
for z in $zips; do
	n=$(basename "$z" .zip)
	run spaceport-extract -q -d "$T/pk-$n" "$z"
	is "$rc" 0 "$n: extracts (exit 0)"
	m=$T/pk-$n/spaceport/manifest.tsv
	unzip -p "$z" entities.xml >"$T/ent-$n.xml"
	objs=$(grep -ao '<object ' "$T/ent-$n.xml" | wc -l)
	is "$(mval "$m" count.objects)" "$objs" "$n: object count matches entities.xml"
	pages=$(grep -ao '<object class="Page"' "$T/ent-$n.xml" | wc -l)
	is "$(mval "$m" count.object.Page)" "${pages/#0/}" "$n: page count matches"
	files=$(unzip -Z1 "$z" | grep -v '/$' | grep -c '^attachments/')
	is "$(mval "$m" count.attachment-files)" "$files" "$n: attachment file count matches the zip"
	members=$(unzip -Z1 "$z" | grep -vc '/$')
	# + users.tsv, relations.tsv, content.tsv
	is "$(mval "$m" count.members)" "$((members + 3))" "$n: every zip member is in the package"
	# every attachment byte-identical
	bad=0
	for f in $(unzip -Z1 "$z" | grep -v '/$' | grep '^attachments/'); do
		unzip -p "$z" "$f" | cmp -s - "$T/pk-$n/$f" || bad=$((bad + 1))
	done
	is "$bad" 0 "$n: attachments byte-identical"
	cmp -s <(unzip -p "$z" exportDescriptor.properties) "$T/pk-$n/exportDescriptor.properties"
	is "$?" 0 "$n: descriptor byte-identical"
	# entities.xml differs from the original only by removed control chars
	ctl=$(mval "$m" sanitize.control-chars)
	if [ "$ctl" = 0 ] && [ "$(mval "$m" sanitize.invalid-utf8)" = 0 ]; then
		cmp -s "$T/ent-$n.xml" "$T/pk-$n/entities.xml"
		is "$?" 0 "$n: entities.xml byte-identical"
	fi
	xmllint --noout --nonet "$T/pk-$n/entities.xml" 2>/dev/null
	is "$?" 0 "$n: package entities.xml is well-formed"
done

# --- which writer produced it: decides whether pack rebuilds collections --
for nw in xwiki-8.5.6-newwriter:new xwiki-8.x-labels:new xwiki-server-permissions:legacy \
    xwiki-4.3.2-site:legacy xwiki-5.9-site:legacy pandoc-3x-space:legacy; do
	is "$(mval "$T/pk-${nw%%:*}/spaceport/manifest.tsv" writer)" "${nw#*:}" "${nw%%:*}: writer ${nw#*:}"
done

# --- same package from a path, a pipe and a redirect, and -d equals tar ----
for n in xwiki-5.9-site xwiki-8.5.6-newwriter xwiki-quirk-controlchars-asciichar28; do
	z=$T/fx/$n.zip
	spaceport-extract -q -o "$T/a.tar" "$z"
	cat "$z" | spaceport-extract -q >"$T/b.tar"
	spaceport-extract -q <"$z" >"$T/c.tar"
	check "$n: path and pipe give the same package" cmp "$T/a.tar" "$T/b.tar"
	check "$n: path and redirect give the same package" cmp "$T/a.tar" "$T/c.tar"
	# tests/pkgread.py reads the tar (records, pieces) and writes the
	# directory form the format defines: -d must be exactly that
	rm -rf "$T/untar"; mkdir "$T/untar"
	python3 "$TOP/tests/pkgread.py" unpack "$T/a.tar" "$T/untar"
	check "$n: -d holds the same members and facts as the tar" diff -r "$T/untar" "$T/pk-$n"
done
members=$(tar -tf "$T/a.tar" | grep -Ev '^spaceport/(check|facts|end)\.tsv$')
first=$(printf '%s\n' "$members" | head -3 | tr '\n' ' ')
is "$first" "spaceport/manifest.tsv entities.xml spaceport/users.tsv " \
    "manifest, entities.xml (streamed while scanned), users come first"
is "$(printf '%s\n' "$members" | sed -n 4,6p | tr '\n' ' ')" \
    "spaceport/relations.tsv spaceport/content.tsv exportDescriptor.properties " \
    "then relations, content and the descriptor"
is "$(tar -tf "$T/a.tar" | tail -1)" "spaceport/end.tsv" "the end record last"
rest=$(printf '%s\n' "$members" | tail -n +7)
is "$rest" "$(printf '%s\n' "$rest" | LC_ALL=C sort)" "other members in sorted order"
is "$(tar -tvf "$T/a.tar" | awk '{print $1, $2, $4, $5}' | sort -u | wc -l)" 1 \
    "every member has the same mode, owner and time"

# --- sanitising: control characters and ]] > ---------------------------
n=xwiki-quirk-controlchars-asciichar28
orig=$(tr -dc '\000-\010\013\014\016-\037' <"$T/ent-$n.xml" | wc -c)
is "$(mval "$T/pk-$n/spaceport/manifest.tsv" sanitize.control-chars)" "$orig" \
    "control characters counted ($orig)"
is "$(tr -dc '\000-\010\013\014\016-\037' <"$T/pk-$n/entities.xml" | wc -c)" 0 \
    "no control characters left"
is "$(( $(wc -c <"$T/ent-$n.xml") - orig ))" "$(wc -c <"$T/pk-$n/entities.xml")" \
    "only the control characters were removed"
run spaceport-extract -d "$T/cc" "$T/fx/$n.zip"
like "$err" "entities.xml:[0-9]+: [0-9]+ control character\(s\) removed" "control characters reported with a line"
n=xwiki-quirk-fixcdata-synthetic
esc=$(grep -o ']] ' "$T/ent-$n.xml" | wc -l)
is "$(mval "$T/pk-$n/spaceport/manifest.tsv" sanitize.cdata-escapes)" "$esc" "]] escapes counted ($esc)"
check "]] > escapes kept as written" cmp "$T/ent-$n.xml" "$T/pk-$n/entities.xml"
n=xwiki-5.9-site
like "$(grep -c ']] >' "$T/pk-$n/entities.xml")" '^[1-9]' "5.9 bodies keep their ]] > escapes"

# --- crafted inputs: refusals --------------------------------------------
"$TOP/tests/mkbad" "$T/bad" >/dev/null
python3 - "$T/bad" <<'PY'
import sys, zipfile
d = sys.argv[1]
desc = "#x\nexportType=space\nspaceKey=X\nbackupAttachments=true\n"
cases = {
    "notxml": '<?xml version="1.0" encoding="UTF-8"?>\n<hibernate-generic>\n<object class="Page" package="p"><id name="id">1</id>\n<property name="title">a & b</property></object>\n</hibernate-generic>\n',
    "doctype": '<?xml version="1.0"?>\n<!DOCTYPE hibernate-generic [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>\n<hibernate-generic><object class="Page" package="p"><id name="id">1</id><property name="title">&b;</property></object></hibernate-generic>\n',
}
for name, ent in cases.items():
    with zipfile.ZipFile(f"{d}/{name}.zip", "w") as z:
        z.writestr(zipfile.ZipInfo("exportDescriptor.properties", (2024, 1, 1, 0, 0, 0)), desc)
        z.writestr(zipfile.ZipInfo("entities.xml", (2024, 1, 1, 0, 0, 0)), ent)
PY
mkdir -p "$T/work"
refuse() {	# refuse NAME REGEX [extract options...]
	local name=$1 re=$2; shift 2
	(cd "$T/work" && spaceport-extract "$@" -d "$T/work/out-$name" "$T/bad/$name.zip") \
	    >"$T/.so" 2>"$T/.se"
	local code=$?
	is "$code" 1 "$name: refused with exit 1"
	like "$(cat "$T/.se")" "$re" "$name: says why"
	is "$(wc -l <"$T/.se")" 1 "$name: one line"
	is "$(ls -A "$T/work")" "" "$name: nothing written, no temp left"
	is "$(find "$T" -name 'evil*' | wc -l)" 0 "$name: nothing escaped"
}
refuse traversal 'spaceport-extract: .*traversal.zip: unsafe member name \.\./evil'
refuse absolute 'unsafe member name /.*evil'
refuse symlink 'symbolic link'
refuse dup 'duplicate member entities.xml'
refuse noentities 'no entities.xml'
refuse nodescriptor 'no exportDescriptor.properties'
refuse truncated 'truncated|not a readable zip|end of central directory'
refuse corrupt 'corrupt|crc'
refuse bomb 'compression ratio limit' --max-ratio 100
refuse bomb 'member size limit' --max-member 10M
refuse bomb 'total size limit' --max-total 10M
refuse notxml 'not well-formed xml'
refuse doctype 'document type declaration'
run spaceport-extract -q --max-ratio 100000 -o "$T/bomb.tar" "$T/bad/bomb.zip"
is "$rc" 0 "bomb: accepted when the limits are raised"
run spaceport-extract -q -d "$T/ok64" "$T/bad/zip64.zip"
is "$rc" 0 "zip64 entries extract"
run spaceport-extract -q -d "$T/okdd" "$T/bad/datadesc.zip"
is "$rc" 0 "data-descriptor entries extract"
cat "$T/bad/datadesc.zip" | spaceport-extract -q >"$T/dd.tar"
is "$?" 0 "data-descriptor entries extract from a pipe"
check "data descriptor entities.xml intact" cmp <(unzip -p "$T/bad/datadesc.zip" entities.xml) "$T/okdd/entities.xml"
run spaceport-extract -d "$T/site" "$T/bad/sitebackup.zip"
like "$err" 'site backup \(exportType=all\)' "site backups get a clear message"
run spaceport-extract -d "$T/u8" "$T/bad/badutf8.zip"
is "$rc" 0 "invalid utf-8 is repaired, not fatal"
like "$(cat "$T/.stderr")" 'entities.xml:[0-9]+: invalid utf-8' "invalid utf-8 reported with a location"
check "repaired file is well-formed" xmllint --noout "$T/u8/entities.xml"

# member names are UTF-8 whatever the locale; an invalid name is refused
python3 - "$T/bad" <<'PY'
import sys, shutil, zipfile
d = sys.argv[1]
shutil.copy(f"{d}/ok.zip", f"{d}/utf8name.zip")
with zipfile.ZipFile(f"{d}/utf8name.zip", "a") as z:
    z.writestr(zipfile.ZipInfo("plugin-data/caf\u00e9.txt", (2024, 1, 1, 0, 0, 0)), "hello")
shutil.copy(f"{d}/ok.zip", f"{d}/latin1name.zip")
with zipfile.ZipFile(f"{d}/latin1name.zip", "a") as z:
    z.writestr(zipfile.ZipInfo("plugin-data/x.txt", (2024, 1, 1, 0, 0, 0)), "hello")
b = open(f"{d}/latin1name.zip", "rb").read().replace(b"plugin-data/x.txt", b"plugin-data/\xe9.txt")
open(f"{d}/latin1name.zip", "wb").write(b)
PY
for loc in C C.UTF-8; do
	LC_ALL=$loc spaceport-extract -q -d "$T/u8n-$loc" "$T/bad/utf8name.zip"
	is "$?" 0 "a utf-8 member name extracts (LC_ALL=$loc)"
	is "$(cat "$T/u8n-$loc/plugin-data/café.txt" 2>/dev/null)" hello "and keeps its name and bytes (LC_ALL=$loc)"
done
LC_ALL=C spaceport-extract -q -o "$T/u8n.tar" "$T/bad/utf8name.zip"
check "a utf-8 name goes through a tar package and convert" \
    sh -c "LC_ALL=C spaceport-convert -q --unmapped former -d '$T/u8n-c' '$T/u8n.tar' && test -f '$T/u8n-c/plugin-data/café.txt'"
run spaceport-extract -q --check "$T/bad/latin1name.zip"
is "$rc" 1 "a member name that is not utf-8 is refused"
like "$err" 'member name is not valid utf-8' "and the message says so"

# -o onto a FIFO writes into it and leaves it a FIFO; -d DIR/ works
mkfifo "$T/fifo"
cat "$T/fifo" >"$T/fromfifo.tar" &
spaceport-extract -q -o "$T/fifo" "$T/bad/ok.zip"
is "$?" 0 "-o onto a fifo"
wait
check "the fifo is still a fifo" test -p "$T/fifo"
spaceport-extract -q -o "$T/okfile.tar" "$T/bad/ok.zip"
check "what went through the fifo is the package" cmp "$T/okfile.tar" "$T/fromfifo.tar"
spaceport-extract -q -d "$T/slash/" "$T/bad/ok.zip"
is "$?" 0 "-d DIR/ with a trailing slash"
check "the package is at DIR" test -f "$T/slash/spaceport/manifest.tsv"
is "$(ls -A "$T" | grep -c '^\.slash')" 0 "no temporary directory left beside it"
spaceport-extract -q -d "$T/slash" "$T/bad/ok.zip"
is "$?" 0 "-d replaces an existing package directory"
mkdir -p "$T/notpkg" && touch "$T/notpkg/precious"
run spaceport-extract -q -d "$T/notpkg" "$T/bad/ok.zip"
is "$rc" 1 "-d refuses a directory that is not a package"
check "and leaves it alone" test -f "$T/notpkg/precious"

# an existing output is not touched by a failed run
echo precious >"$T/keep.tar"
run spaceport-extract -o "$T/keep.tar" "$T/bad/truncated.zip"
is "$(cat "$T/keep.tar")" precious "failed run leaves an existing -o file alone"
is "$(ls -A "$T" | grep -c '^\.keep')" 0 "and leaves no temp file"

# --- reports, --strict, --check, usage --------------------------------------
z=$T/fx/xwiki-server-brokenattach.zip
run spaceport-extract -q --check --report "$T/r.json" "$z"
is "$rc" 0 "findings without --strict: exit 0"
is "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["status"], d["findings_by_code"]["attachment-empty"], d["findings_by_code"]["attachment-missing"])' "$T/r.json")" \
    "findings 3 2" "json report counts findings by code"
run spaceport-extract -q --strict --check "$z"
is "$rc" 1 "--strict: findings give exit 1"
run spaceport-extract -q --strict --check "$T/fx/xwiki-server-permissions.zip"
is "$rc" 0 "--strict on a clean export: exit 0"
is "$(wc -c <"$out")" 0 "--check writes nothing to stdout"
run spaceport-extract --bogus
is "$rc" 2 "unknown option: exit 2"
run spaceport-extract -o a -d b x.zip
is "$rc" 2 "-o with -d: exit 2"
run spaceport-extract -q --check /nonexistent.zip
is "$rc" 1 "missing input: exit 1"
like "$err" '^spaceport-extract: /nonexistent.zip: No such file' "missing input named in the message"
# --- inventory: who is referenced and how often ---------------------------
z=$T/fx/xwiki-server-permissions.zip
run spaceport-extract -q --check --inventory "$T/inv.db" "$z"
is "$rc" 0 "--inventory runs"
unzip -p "$z" entities.xml >"$T/perm.xml"
# Independent count: every user-key reference in the XML, by key.
python3 - "$T/perm.xml" >"$T/expect.txt" <<'PY'
import re, sys, collections
x = open(sys.argv[1], encoding='utf-8').read()
c = collections.Counter(re.findall(
    r'<(?:property|element)\b[^>]*class="ConfluenceUserImpl" package="[^"]*">\s*<id name="key">(?:<!\[CDATA\[)?([^<\]]*)', x))
for k, n in sorted(c.items()):
    print(f"{k}|{n}")
PY
sqlite3 "$T/inv.db" "SELECT user_key, sum(n) FROM user_ref_counts WHERE kind = 'entity-key' GROUP BY user_key ORDER BY user_key" >"$T/got.txt"
check "inventory: references per user match an independent count" diff "$T/expect.txt" "$T/got.txt"
is "$(sqlite3 "$T/inv.db" 'SELECT count(*) FROM users')" 65 "inventory: 65 users"

done_testing
