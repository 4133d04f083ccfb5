#!/usr/bin/env bash
# spaceport-pack: usage, refusals (unconverted, tampered), the zip's shape,
# the Cloud descriptor, rebuilt collections (8.5.6 object by object),
# reproducibility (TZ, umask, locale, file vs pipe), --space-key, --verify
# catching real differences, the JSON report, and extract reading the
# output back.  The whole pipeline on every fixture is tests/pipeline.t.
. "$(dirname "$0")/lib.sh"

CU=$FIX/users/cloud-users.csv
# convert is optional while it is being written: without it packages are
# packed with --force (the refusal test below needs only extract).
if [ -x "$BIN/spaceport-convert" ]; then have_convert=1; FORCE=; else have_convert=0; FORCE=--force; fi
# topkg ZIP OUT: extract (and convert) an export into a package file.
topkg() {
	if [ "$have_convert" = 1 ]; then
		spaceport-extract -q "$1" 2>>"$T/topkg.err" |
		    spaceport-convert --cloud-users "$CU" --unmapped former 2>>"$T/topkg.err" >"$2"
	else
		spaceport-extract -q -o "$2" "$1" 2>>"$T/topkg.err"
	fi
}
zips=$(fixture_zips "$T/fx")
X856=$T/fx/xwiki-8.5.6-newwriter.zip
# the demo's descriptor for 8.5.6, so that it names its space
mkdir -p "$T/e856"
cp "$FIX/real/xwiki-8.5.6-newwriter/entities.xml" "$T/e856/"
printf '#Tue Apr 23 09:03:14 UTC 2024\nexportType=space\nspaceKey=HT\nbuildNumber=8703\ncreatedByBuildNumber=8703\ncreatedByVersionNumber=8.5.6\nsource=server\nbackupAttachments=true\ndefaultUsersGroup=confluence-users\n' \
    >"$T/e856/exportDescriptor.properties"
(cd "$T/e856" && zip -qrX "$T/x856.zip" .)

# --- usage -------------------------------------------------------------
run spaceport-pack --help
is "$rc" 0 "--help exits 0"
like "$(cat "$out")" '^usage: spaceport-pack' "--help prints the usage on stdout"
for opt in --space-key --verify --report --force --strict -o -q; do
	like "$(cat "$out")" " $opt" "--help lists $opt"
	like "$(tr -d '\\' <"$TOP/man/spaceport-pack.1")" "Fl ${opt#-}( |$)" "man page documents $opt"
done
run spaceport-pack -V
like "$(cat "$out")" '^spaceport-pack [0-9]' "-V prints the version"
run spaceport-pack --bogus
is "$rc" 2 "unknown option: exit 2"
run spaceport-pack a b
is "$rc" 2 "two inputs: exit 2"
run spaceport-pack --space-key 'BAD-KEY' /dev/null
is "$rc" 2 "--space-key with a dash: exit 2"
like "$err" '^spaceport-pack: --space-key BAD-KEY: ' "bad key message"
run spaceport-pack --space-key '~alice' /dev/null
is "$rc" 2 "--space-key ~personal: exit 2"
if command -v mandoc >/dev/null; then
	check "man page is mandoc -Tlint clean" mandoc -Tlint -W warning "$TOP/man/spaceport-pack.1"
else
	skip "mandoc not installed"
fi

# --- refusals ----------------------------------------------------------
spaceport-extract -q -o "$T/raw856.tar" "$T/x856.zip"
run spaceport-pack -o "$T/r.zip" "$T/raw856.tar"
is "$rc" 1 "unconverted package refused (exit 1)"
like "$err" 'not normalised by spaceport-convert' "refusal says why"
check "refused: no output file" test ! -e "$T/r.zip"
check "refused: no temporary left" sh -c "! ls -A '$T' | grep -q '^\.r\.zip\.'"
run spaceport-pack --force -o "$T/r.zip" "$T/raw856.tar"
is "$rc" 0 "--force packs it"

topkg "$T/x856.zip" "$T/p856.tar"
rm -rf "$T/pd"; python3 "$TOP/tests/pkgread.py" unpack "$T/p856.tar" "$T/pd"
run spaceport-pack $FORCE -o "$T/d.zip" "$T/pd"
is "$rc" 0 "a package directory packs"
cmp -s "$T/d.zip" <(spaceport-pack -q $FORCE "$T/p856.tar")
is "$?" 0 "directory and tar packages give the same zip"
# flip one byte in the middle of entities.xml
python3 - "$T/pd/entities.xml" <<'PY'
import sys
p = sys.argv[1]; b = bytearray(open(p, 'rb').read()); i = len(b) // 2
b[i] = ord('x') if b[i] != ord('x') else ord('y'); open(p, 'wb').write(b)
PY
run spaceport-pack $FORCE -o "$T/t.zip" "$T/pd"
is "$rc" 1 "tampered package refused (exit 1)"
like "$err" 'entities.xml.*(crc|checksum|CRC)' "tampering reported as a checksum error"
check "tampered: no output file" test ! -e "$T/t.zip"
check "tampered: no temporary left" sh -c "! ls -A '$T' | grep -q '^\.t\.zip\.'"
run spaceport-pack $FORCE "$T/nonexistent"
is "$rc" 1 "missing input: exit 1"

# a finding: a relation whose child class pack does not know (the package
# edited consistently: relations.tsv and its manifest line)
rm -rf "$T/pf"; python3 "$TOP/tests/pkgread.py" unpack "$T/p856.tar" "$T/pf"
python3 - "$T/pf" <<'PY'
import sys, zlib, os
d = sys.argv[1]
rp = os.path.join(d, 'spaceport/relations.tsv')
rows = open(rp, 'rb').read().split(b'\n')
i = next(i for i, r in enumerate(rows) if b'\tbodyContents\t' in r)
rows[i] = b'\t'.join(rows[i].split(b'\t')[:3] + [b'MysteryClass'] + rows[i].split(b'\t')[4:])
data = b'\n'.join(rows); open(rp, 'wb').write(data)
mp = os.path.join(d, 'spaceport/manifest.tsv')
out = []
for l in open(mp, 'rb').read().split(b'\n'):
    f = l.split(b'\t')
    if len(f) == 4 and f[0] == b'member' and f[1] == b'spaceport/relations.tsv':
        l = b'member\tspaceport/relations.tsv\t%d\t%08x' % (len(data), zlib.crc32(data) & 0xffffffff)
    out.append(l)
open(mp, 'wb').write(b'\n'.join(out))
PY
run spaceport-pack $FORCE --report "$T/f.json" -o "$T/f.zip" "$T/pf"
is "$rc" 0 "a finding without --strict: exit 0"
like "$err" 'relation-unknown-class|MysteryClass has no known package' "the finding is reported"
is "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["findings_by_code"].get("relation-unknown-class"))' "$T/f.json")" 1 \
    "report: findings_by_code relation-unknown-class 1"
run spaceport-pack -q --strict $FORCE -o "$T/f2.zip" "$T/pf"
is "$rc" 1 "the same with --strict: exit 1"
is "$err" "" "-q: no warning, no summary"
if command -v script >/dev/null; then
	script -qec "$BIN/spaceport-pack $FORCE '$T/p856.tar'" /dev/null >"$T/tty.out" 2>&1
	is "$?" 2 "standard output a terminal: refused (exit 2)"
	like "$(cat "$T/tty.out")" 'refusing to write a zip to a terminal' "and says so"
else
	skip "script(1) not installed"; skip "script(1) not installed"
fi

# --- the zip's shape ---------------------------------------------------
spaceport-pack -q $FORCE -o "$T/o856.zip" "$T/p856.tar"
first=$(unzip -Z1 "$T/o856.zip" | head -2 | tr '\n' ' ')
is "$first" "exportDescriptor.properties entities.xml " "descriptor then entities.xml first"
spaceport-extract -q "$T/fx/xwiki-5.9-site.zip" >"$T/p59x.tar"
spaceport-pack -q --force -o "$T/o59.zip" "$T/p59x.tar"
rest=$(unzip -Z1 "$T/o59.zip" | tail -n +3)
is "$rest" "$(printf '%s\n' "$rest" | LC_ALL=C sort)" "other members in strcmp order"
is "$(unzip -Z1 "$T/o59.zip" | grep -c '/$')" 0 "no directory entries"
zi=$(zipinfo "$T/o59.zip" | grep -v '^Archive\|^Zip file\|files,')
is "$(printf '%s\n' "$zi" | awk '{print $1}' | sort -u)" "-rw-r--r--" "every member mode 0644"
is "$(printf '%s\n' "$zi" | awk '{print $7}' | sort -u)" "00-Jan-01" "every member dated 2000-01-01"
is "$(printf '%s\n' "$zi" | awk '$9 == "entities.xml" || $9 == "exportDescriptor.properties" {print $6}' | sort -u)" "defN" \
    "entities.xml and the descriptor deflated"
is "$(printf '%s\n' "$zi" | awk '{print $6}' | grep -cv '^defN$\|^stor$')" 0 "every member stored or deflated"
# (the store rule and the readers: tests/zip.t)
check "unzip -t passes" unzip -tq "$T/o59.zip"
python3 -c 'import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None' "$T/o59.zip"
is "$?" 0 "python zipfile reads it"
bad=0
for f in $(unzip -Z1 "$T/fx/xwiki-5.9-site.zip" | grep '^attachments/.*[^/]$'); do
	cmp -s <(unzip -p "$T/fx/xwiki-5.9-site.zip" "$f") <(unzip -p "$T/o59.zip" "$f") || bad=$((bad + 1))
done
is "$bad" 0 "5.9: every attachment byte-identical"

# --- entities.xml and the descriptor ------------------------------------
unzip -p "$T/o856.zip" entities.xml >"$T/o856.xml"
is "$(head -c 38 "$T/o856.xml")" '<?xml version="1.0" encoding="UTF-8"?>' "8.5.6 output gains the XML prolog"
check "8.5.6 output is well-formed" xmllint --noout --nonet "$T/o856.xml"
# everything but the prolog and the inserted collections is the input
unzip -p "$T/x856.zip" entities.xml >"$T/i856.xml"
sed -e '1d' -e '/^<collection name=/,/^<\/collection>$/d' "$T/o856.xml" >"$T/o856.stripped"
tar -xOf "$T/p856.tar" entities.xml >"$T/pk856.xml"
check "8.5.6: nothing else changed (prolog and collections removed = the package's entities.xml)" \
    cmp "$T/o856.stripped" "$T/pk856.xml"
spaceport-extract -q -d "$T/x856d" "$T/x856.zip"
check "8.5.6: collections rebuilt, checked object by object against relations.tsv" \
    python3 "$FIX/pack/checkcoll.py" --min 170 "$T/x856d/spaceport/relations.tsv" "$T/o856.xml"
check "checkcoll.py fails on the input (no collections): the check can fail" \
    sh -c "! python3 '$FIX/pack/checkcoll.py' '$T/x856d/spaceport/relations.tsv' '$T/i856.xml' >/dev/null"
d=$(unzip -p "$T/o856.zip" exportDescriptor.properties)
like "$d" '^#Tue Apr 23 09:03:14 UTC 2024' "descriptor date is the export's, not the clock"
for kv in source=cloud exportType=space spaceKey=HT buildNumber=4515 createdByBuildNumber=8703 \
    backupAttachments=true defaultUsersGroup=confluence-users timezoneId=UTC; do
	like "$d" "^$kv\$" "descriptor: $kv"
done
unlike "$d" 'createdByVersionNumber=8\.5\.6|source=server' "no Server values left"
unlike "$d" 'inlineTasksFileIncluded' "no inlineTasksFileIncluded without the tasks CSV"
mkdir -p "$T/etask"
cp "$FIX/real/xwiki-cloud-taskscsv/"* "$T/etask/"
printf '#fixture\nexportType=space\nspaceKey=TT\nbackupAttachments=true\n' >"$T/etask/exportDescriptor.properties"
(cd "$T/etask" && zip -qrX "$T/xtask.zip" .)
topkg "$T/xtask.zip" "$T/ptask.tar"
d=$(spaceport-pack -q $FORCE "$T/ptask.tar" | python3 -c 'import sys,zipfile,io; print(zipfile.ZipFile(io.BytesIO(sys.stdin.buffer.read())).read("exportDescriptor.properties").decode())')
like "$d" '^inlineTasksFileIncluded=true$' "tasks CSV carried: inlineTasksFileIncluded=true"
d=$(unzip -p "$T/o59.zip" exportDescriptor.properties)
like "$d" '^exportType=all$' "site backup stays exportType=all"
unlike "$d" '^spaceKey=' "site backup: no spaceKey"

# --- reproducible --------------------------------------------------------
(export TZ=Pacific/Chatham LC_ALL=C.UTF-8; umask 077; spaceport-pack -q $FORCE -o "$T/r1.zip" "$T/p856.tar")
(export TZ=America/Los_Angeles; umask 022; cat "$T/p856.tar" | spaceport-pack -q $FORCE | cat >"$T/r2.zip")
(export TZ=Asia/Kolkata; umask 002; spaceport-pack -q $FORCE <"$T/p856.tar" >"$T/r3.zip")
check "8.5.6: file (TZ=Pacific/Chatham, umask 077) = pipe (TZ=America/Los_Angeles)" cmp "$T/r1.zip" "$T/r2.zip"
check "8.5.6: redirect (TZ=Asia/Kolkata) = file" cmp "$T/r1.zip" "$T/r3.zip"
(export TZ=Australia/Lord_Howe; umask 077; spaceport-pack -q --force -o "$T/r4.zip" "$T/p59x.tar")
(export TZ=UTC; spaceport-pack -q --force <"$T/p59x.tar" | cat >"$T/r5.zip")
check "5.9 with attachments: file = pipe across TZ/umask" cmp "$T/r4.zip" "$T/r5.zip"
check "5.9: and equal to the earlier run" cmp "$T/r4.zip" "$T/o59.zip"

# --- read back by extract --------------------------------------------------
for z in "$T/x856.zip" "$T/fx/xwiki-5.9-site.zip"; do
	n=$(basename "$z" .zip)
	spaceport-extract -q --report "$T/a.json" -o /dev/null "$z"
	if [ "$n" = x856 ]; then o=$T/o856.zip; else o=$T/o59.zip; fi
	spaceport-extract -q --report "$T/b.json" -d "$T/back-$n" "$o"
	codes() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(" ".join("%s=%d" % kv for kv in sorted(r["findings_by_code"].items())))' "$1"; }
	is "$(codes "$T/b.json")" "$(codes "$T/a.json")" "$n: extract reads the output back with no new findings"
	is "$(mval "$T/back-$n/spaceport/manifest.tsv" writer)" legacy "$n: the output reads as a legacy-writer (Cloud-shaped) export"
done

# --- --space-key ---------------------------------------------------------------
topkg "$T/fx/xwiki-cloud-attachhist.zip" "$T/pca.tar"
run spaceport-pack $FORCE --space-key NEWKEY --report "$T/sk.json" -o "$T/sk.zip" "$T/pca.tar"
is "$rc" 0 "--space-key NEWKEY: exit 0"
unzip -p "$T/sk.zip" entities.xml >"$T/sk.xml"
like "$(unzip -p "$T/sk.zip" exportDescriptor.properties)" '^spaceKey=NEWKEY$' "descriptor spaceKey renamed"
like "$(grep -A3 '<object class="Space"' "$T/sk.xml")" 'name="key"><!\[CDATA\[NEWKEY\]\]>' "Space key renamed"
like "$(grep -A4 '<object class="Space"' "$T/sk.xml")" 'name="lowerKey"><!\[CDATA\[newkey\]\]>' "Space lowerKey renamed"
sk=$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["pack"]["space_key"]; print(c["old"], c["new"], c["changed"]["space-key"], c["changed"]["space-lowerkey"], c["changed"]["descriptor"])' "$T/sk.json")
is "$sk" "attachhist NEWKEY 1 1 1" "report: old, new and what changed"
# a body reference and a bandana context, on the 8.5.6 export (key HT)
python3 - "$T/e856/entities.xml" <<'PY'
import sys
p = sys.argv[1]; s = open(p, encoding='utf-8').read()
i = s.index('<property name="body"><![CDATA[') + len('<property name="body"><![CDATA[')
# real references, and look-alikes that are text: a code macro (its inner
# CDATA split the 8.3+ way, "]]]]><![CDATA[>"), a noformat body, a comment
s = s[:i] + ('<ac:link><ri:page ri:space-key="HT" ri:content-title="x"/></ac:link><ri:page ri:space-key="HTX"/>'
    '<ac:structured-macro ac:name="code"><ac:plain-text-body><![CDATA[<ri:space ri:space-key="HT" a="code"/>]]]]><![CDATA[>'
    '</ac:plain-text-body></ac:structured-macro><ac:structured-macro ac:name="noformat"><ac:plain-text-body>'
    '<![CDATA[ri:space-key="HT" noformat]]]]><![CDATA[></ac:plain-text-body></ac:structured-macro>'
    '<!-- <ri:space ri:space-key="HT" a="comment"/> -->') + s[i:]
open(p, 'w', encoding='utf-8').write(s)
PY
rm -f "$T/x856b.zip"; (cd "$T/e856" && zip -qrX "$T/x856b.zip" .)
topkg "$T/x856b.zip" "$T/p856b.tar"
run spaceport-pack $FORCE --space-key NK --report "$T/sk2.json" -o "$T/sk2.zip" "$T/p856b.tar"
is "$rc" 0 "8.5.6 --space-key NK: exit 0"
unzip -p "$T/sk2.zip" entities.xml >"$T/sk2.xml"
like "$(cat "$T/sk2.xml")" 'ri:space-key="NK" ri:content-title="x"' "ri:space-key reference rewritten"
like "$(cat "$T/sk2.xml")" 'ri:space-key="HTX"' "a longer key is not touched"
like "$(cat "$T/sk2.xml")" '<ri:space ri:space-key="HT" a="code"/>' "code macro CDATA untouched"
like "$(cat "$T/sk2.xml")" 'ri:space-key="HT" noformat' "plain-text macro body untouched"
like "$(cat "$T/sk2.xml")" '<!-- <ri:space ri:space-key="HT" a="comment"/> -->' "XML comment untouched"
like "$(grep -A3 'ConfluenceBandanaRecord' "$T/sk2.xml")" '<property name="context">NK</property>' "bandana context rewritten"
unlike "$(grep -A3 '<object class="Space"' "$T/sk2.xml")" '>HT<' "no old key left in the Space object"
sk=$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["pack"]["space_key"]["changed"]; print(c["body-space-key"], c["bandana-context"])' "$T/sk2.json")
is "$sk" "1 1" "report counts the body reference and the bandana record"
check "renamed output is well-formed" xmllint --noout --nonet "$T/sk2.xml"
# a descriptor that names no space: the key of the only Space object
topkg "$X856" "$T/p856n.tar"
run spaceport-pack $FORCE --space-key NK --report "$T/sk3.json" -o "$T/sk3.zip" "$T/p856n.tar"
is "$rc" 0 "descriptor without spaceKey: --space-key still renames (exit 0)"
sk=$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["pack"]["space_key"]; print(c["old"], c["new"], c["changed"]["space-key"], c["changed"]["link-space-key"])' "$T/sk3.json")
is "$sk" "HT NK 1 3" "the old key found in the export; outgoing links renamed too"
like "$(unzip -p "$T/sk3.zip" exportDescriptor.properties)" '^spaceKey=NK$' "descriptor gains spaceKey=NK"
check "renamed output is well-formed" sh -c "unzip -p '$T/sk3.zip' entities.xml | xmllint --noout --nonet -"
spaceport-extract -q "$T/fx/xwiki-5.4-space-personal-misc.zip" >"$T/pmisc.tar"
run spaceport-pack --force --space-key NEWKEY -o "$T/pm.zip" "$T/pmisc.tar"
is "$rc" 1 "renaming a personal space (~key) refused"
like "$err" 'personal space' "and says why"

# --- --verify ------------------------------------------------------------------
run spaceport-pack $FORCE --verify "$T/x856.zip" --report "$T/v.json" -o "$T/v.zip" "$T/p856.tar"
is "$rc" 0 "--verify against the original: exit 0"
like "$err" 'result: lossless' "verify table ends with the result"
like "$err" 'BodyContent +9 +9 +ok' "table: bodies per class"
like "$err" 'self-check of the zip written +ok' "self-check of the written zip"
v=$(python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))["verify"]; print(v["result"], v["differences"], v["classes"]["Page"]["original"], v["classes"]["Page"]["output"], v["self_check"])' "$T/v.json")
is "$v" "lossless 0 6 6 ok" "report: verify section"
check "--verify output equals the plain output" cmp "$T/v.zip" "$T/o856.zip"
# an original with one attachment changed and one object removed: both caught
python3 - "$T/fx/xwiki-5.9-site.zip" "$T/x59bad.zip" <<'PY'
import sys, zipfile, re
src, dst = sys.argv[1:]
zi = zipfile.ZipFile(src); zo = zipfile.ZipFile(dst, 'w', zipfile.ZIP_DEFLATED)
done = False
for i in zi.infolist():
    b = zi.read(i)
    if i.filename.startswith('attachments/') and not i.filename.endswith('/') and not done:
        b = b[:-1] + bytes([b[-1] ^ 1]); done = True
    if i.filename == 'entities.xml':
        b = re.sub(rb'<object class="Label" .*?</object>\n', b'', b, count=1, flags=re.S)
    zo.writestr(i, b)
zo.close()
PY
run spaceport-pack --force -q --verify "$T/x59bad.zip" -o "$T/vb.zip" "$T/p59x.tar"
is "$rc" 1 "--verify against a different original: exit 1"
like "$err" 'verify: attachments/.*crc' "the changed attachment is named"
like "$err" 'verify: Label: [0-9]+ objects in the original' "the object count difference is named"

done_testing
