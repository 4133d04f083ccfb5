#!/bin/bash
# spaceport-convert: resolution, every policy, rewriting, accounting,
# lossless bodies, CSV quirks, real fixtures.
. "$(dirname "$0")/lib.sh"

CV=$FIX/convert
GEN=$TOP/bench/gen

# ---- helpers ------------------------------------------------------------

# check.py IN_ENTITIES OUT_ENTITIES OUT_USERS_TSV: prints "name value" lines
# about the output: user objects vs users.tsv, leftover references, key
# references that resolve, and the body round trip.
cat >"$T/check.py" <<'EOF'
import re, sys
inp = open(sys.argv[1], 'rb').read()
out = open(sys.argv[2], 'rb').read()
users = [l.split(b'\t') for l in open(sys.argv[3], 'rb').read().split(b'\n')[1:] if l]
acct_by_key = {u[0]: u[7] for u in users if u[0]}
acct_by_name = {u[1].lower(): u[7] for u in users if u[1]}
mapped_keys = {k for k, a in acct_by_key.items() if a}
accounts = {u[7] for u in users if u[7]}
objre = re.compile(rb'<object class="([A-Za-z0-9]+)"[^>]*>.*?</object>', re.S)
def objects(b):
    return [(m.group(1), m.group(0)) for m in objre.finditer(b)]
oi, oo = objects(inp), objects(out)
res = {}
# user objects: key -> atlassianAccountId
uo = {}
for cls, raw in oo:
    if cls != b'ConfluenceUserImpl':
        continue
    k = re.search(rb'<id name="key">(?:<!\[CDATA\[)?(.*?)(?:\]\]>)?</id>', raw).group(1)
    a = re.search(rb'<property name="atlassianAccountId">(?:<!\[CDATA\[)?(.*?)(?:\]\]>)?</property>', raw)
    n = re.search(rb'<property name="name">(?:<!\[CDATA\[)?(.*?)(?:\]\]>)?</property>', raw)
    uo[k] = (a.group(1) if a else None, n.group(1) if n else None)
bad = 0
for k, (a, n) in uo.items():
    if k in acct_by_key and a is not None and a != acct_by_key[k]:
        bad += 1
    if a is None:
        bad += 1
res['user-objects'] = len(uo)
res['user-objects-wrong-account'] = bad
# every entity key reference resolves to a user object in the file
refs = re.findall(rb'class="ConfluenceUserImpl" package="[^"]*">\s*<id name="key">(?:<!\[CDATA\[)?(.*?)(?:\]\]>)?</id>', out)
res['key-refs'] = len(refs)
res['key-refs-dangling'] = sum(1 for r in refs if r not in uo)
res['userkey-of-mapped-left'] = sum(1 for k in re.findall(rb'ri:userkey="([^"]*)"', out) if k in mapped_keys)
res['username-of-mapped-left'] = sum(1 for n in re.findall(rb'ri:username="([^"]*)"', out) if acct_by_name.get(n.lower()))
ids = re.findall(rb'ri:account-id="([^"]*)"', out)
res['account-id-refs'] = len(ids)
res['account-id-unknown'] = sum(1 for i in ids if i not in accounts) - len(re.findall(rb'ri:account-id="', inp))
wiki = re.findall(rb'~accountid:([^\]|]*)\]', out)
res['wiki-accountid'] = len(wiki)
res['wiki-accountid-unknown'] = sum(1 for i in wiki if i not in accounts)
res['legacy-strings-left'] = len(re.findall(rb'<property name="(?:creatorName|lastModifierName)"><', out))
# bodies: same count; no-reference bodies byte-identical; the others
# identical once the user references are blanked out.
bodyre = re.compile(rb'<property name="body">(.*?)</property>', re.S)
def bodies(objs):
    return [bodyre.search(raw).group(1) for cls, raw in objs
            if cls == b'BodyContent' and bodyre.search(raw)]
bi, bo = bodies(oi), bodies(oo)
refre = re.compile(rb'ri:user |\[~|\|~|ac:name="(?:profile|profile-picture|status-list|content-by-user|network)"|\{profile')
def blank(b):
    b = re.sub(rb'ri:(?:userkey|username|account-id)="[^"]*"', b'ri:X', b)
    b = re.sub(rb'(ac:name="(?:user|User|username)">)(?:<ri:user ri:X ?/>|[^<]*)(</ac:parameter>)', rb'\1U\2', b)
    b = re.sub(rb'(<ac:default-parameter>)(?:<ri:user ri:X ?/>|[^<]*)(</ac:default-parameter>)', rb'\1U\2', b)
    b = re.sub(rb'~[^\]|\s]*\]', b'~U]', b)
    return b
res['bodies'] = len(bi)
res['bodies-count-differs'] = int(len(bi) != len(bo))
same = plain = 0
for a, b in zip(bi, bo):
    if not refre.search(a):
        plain += 1
        same += a == b
res['bodies-without-refs'] = plain
res['bodies-without-refs-changed'] = plain - same
res['bodies-changed-outside-refs'] = sum(1 for a, b in zip(bi, bo) if blank(a) != blank(b))
# objects other than users and bodies: identical outside user references
res['objects-count-differs'] = int(len(oi) != len(oo) - (len(uo) - sum(1 for c, r in oi if c == b'ConfluenceUserImpl')))
for k in sorted(res):
    print(k.replace('-', '_'), res[k])
EOF

# chk IN OUT_DIR: run check.py, set variables c_<name>
chk() {
	local line
	unset "${!c_@}"
	while read -r k v; do
		eval "c_$k=\$v"
	done < <(python3 "$T/check.py" "$1" "$2/entities.xml" "$2/spaceport/users.tsv")
}

# expected_diff GENDIR OUTDIR POLICY: lines where users.tsv disagrees with
# expected.tsv (empty when all agree); POLICY is former or an account id.
expected_diff() {
	awk -F'\t' -v pol="$3" '
	FNR == NR { if (FNR > 1) { id = $1 != "" ? $1 : tolower($2)
		want[id] = $3; why[id] = $4; n++ } next }
	FNR == 1 { next }
	{ id = $1 != "" ? $1 : tolower($2); seen++
	  if (!(id in want)) { print "extra row " id; next }
	  w = want[id]; r = why[id]; got = $8; res = $10
	  if (w == "unmapped") {
		if (pol == "former") { w = ""; r = "unmapped-former" }
		else { w = pol; r = "unmapped-account" }
	  } else if (w == "former") w = ""
	  if (got != w || res != r)
		print id ": got " got "/" res ", want " w "/" r
	  delete want[id] }
	END { for (i in want) print "missing row " i }' \
	    "$1/expected.tsv" "$2/spaceport/users.tsv"
}

# accounting OUTDIR: kinds where extract's count, convert's count and the
# sum of convert's outcomes disagree (empty when all agree).
accounting() {
	awk -F'\t' '
	$1 ~ /^ref\./ { k = substr($1, 5); ext[k] = $2 }
	$1 ~ /^convert\.ref\./ { s = substr($1, 13); n = split(s, p, ".")
		if (n == 1) conv[s] = $2; else sum[p[1]] += $2 }
	END { for (k in ext) if (ext[k] + 0 != conv[k] + 0 || ext[k] + 0 != sum[k] + 0)
		print k ": extract " ext[k] ", convert " conv[k] ", outcomes " sum[k] }' \
	    "$1/spaceport/manifest.tsv"
}

# gen_counts GENDIR OUTDIR: kinds where the generator's count differs from
# what convert saw.
gen_counts() {
	awk -F'\t' 'FNR == NR { if ($1 ~ /^ref\./) want[substr($1, 5)] = $2; next }
	$1 ~ /^convert\.ref\.[a-z-]+$/ { got[substr($1, 13)] = $2 }
	END { for (k in want) if (want[k] + 0 != got[k] + 0)
		print k ": generator " want[k] ", convert " got[k] + 0 }' \
	    "$1/counts.tsv" "$2/spaceport/manifest.tsv" | sort
}

# ---- usage ----------------------------------------------------------------

run spaceport-convert --help
is "$rc" 0 "--help exits 0"
like "$(cat "$out")" 'usage: spaceport-convert \[-q\] \[--strict\] \[--dry-run\]' "--help shows the usage"
man_opts=$(mandoc -Tascii "$TOP/man/spaceport-convert.1" 2>/dev/null | col -b | grep -oE -- '--[a-z-]+' | sort -u | tr '\n' ' ')
help_opts=$(grep -oE -- '--[a-z-]+' "$out" | sort -u | tr '\n' ' ')
is "$help_opts" "$man_opts" "--help and the man page list the same long options"
check "man page is mandoc -Tlint clean" sh -c "[ -z \"\$(mandoc -Tlint -W warning '$TOP/man/spaceport-convert.1' 2>&1)\" ]"
run spaceport-convert -V
like "$(cat "$out")" '^spaceport-convert [0-9]' "-V prints the version"
run spaceport-convert --unmapped maybe x.pkg
is "$rc" 2 "--unmapped with a bad value is a usage error"
run spaceport-convert -o a -d b x.pkg
is "$rc" 2 "-o and -d together is a usage error"
run spaceport-convert --dry-run -o a x.pkg
is "$rc" 2 "--dry-run with -o is a usage error"
run spaceport-convert --bogus
is "$rc" 2 "an unknown option is a usage error"

# ---- generated exports ----------------------------------------------------

gen() {	# gen NAME ARGS...: export + package in $T/NAME
	local n=$1; shift
	"$GEN" --out "$T/$n" --pages 8 --users 20 "$@" >/dev/null &&
	    spaceport-extract -q -d "$T/$n/pkg" "$T/$n/export.zip"
}
check "generate legacy 5.x export" gen l5 --style legacy --seed 7
check "generate new-writer 5.x export" gen n5 --style new --seed 8
check "generate legacy 4.x export" gen l4 --style legacy --era 4x --seed 9
check "generate 5.x export with csv quirks" gen q5 --style legacy --seed 7 --csv-quirks

srcs() { echo --cloud-users "$T/$1/cloud-users.csv" --server-users "$T/$1/server-users.csv" --map "$T/$1/map.csv"; }

# -- default policy: fail, nothing written
G=$T/l5
run spaceport-convert $(srcs l5) --report "$T/fail.json" -d "$T/l5/out-fail" "$G/pkg"
is "$rc" 1 "unmapped users under --unmapped fail: exit 1"
check "unmapped users under fail: no package written" test ! -e "$T/l5/out-fail"
unm=$(awk -F'\t' 'NR > 1 && $3 == "unmapped"' "$G/expected.tsv" | wc -l)
is "$(printf '%s\n' "$err" | grep -c 'references (')" "$unm" "fail lists every unmapped user ($unm) on stderr"
like "$err" 'contractor \(key [0-9a-f]+\): [0-9]+ references \(entity-key=[0-9]+,body-userkey=[0-9]+\)' "fail gives each unmapped user's reference counts"
is "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["users"]["unmapped"]))' "$T/fail.json")" "$unm" "fail: the report lists the unmapped users"
run spaceport-convert $(srcs l5) --dry-run "$G/pkg"
is "$rc" 1 "--dry-run under --unmapped fail still exits 1"

# -- former
run spaceport-convert $(srcs l5) --unmapped former --report "$G/r.json" -d "$G/out" "$G/pkg"
is "$rc" 0 "legacy 5.x, --unmapped former: exit 0"
is "$(expected_diff "$G" "$G/out" former)" "" "legacy 5.x: every user resolved as expected.tsv says"
is "$(accounting "$G/out")" "" "legacy 5.x: every reference accounted for, count for count"
check "legacy 5.x: output is well-formed" xmllint --noout "$G/out/entities.xml"
chk "$G/pkg/entities.xml" "$G/out"
is "$c_user_objects_wrong_account" 0 "legacy 5.x: every user object carries its account id"
is "$c_key_refs_dangling" 0 "legacy 5.x: every key reference has a user object"
is "$c_userkey_of_mapped_left" 0 "legacy 5.x: no ri:userkey of a mapped user left"
is "$(gen_counts "$G" "$G/out")" "" "legacy 5.x: convert saw every reference the generator wrote"
is "$c_username_of_mapped_left" 0 "legacy 5.x: no ri:username of a mapped user left"
is "$c_account_id_unknown" 0 "legacy 5.x: every ri:account-id is a resolved account"
rw=$(( $(mval "$G/out/spaceport/manifest.tsv" convert.ref.body-userkey.rewritten) + \
    $(mval "$G/out/spaceport/manifest.tsv" convert.ref.body-username.rewritten) + \
    0$(mval "$G/out/spaceport/manifest.tsv" convert.ref.body-macro-username.rewritten) ))
is "$c_account_id_refs" "$rw" "legacy 5.x: ri:account-id count equals the rewritten count ($rw)"
is "$c_wiki_accountid" "$(mval "$G/out/spaceport/manifest.tsv" convert.ref.wiki-username.rewritten)" "legacy 5.x: wiki mentions rewritten to [~accountid:]"
is "$c_wiki_accountid_unknown" 0 "legacy 5.x: wiki account ids are resolved accounts"
is "$c_bodies_count_differs" 0 "legacy 5.x: same bodies in and out"
is "$c_bodies_without_refs_changed" 0 "legacy 5.x: $c_bodies_without_refs bodies without user references byte-identical"
is "$c_bodies_changed_outside_refs" 0 "legacy 5.x: bodies with references change only in the references"
is "$(mval "$G/out/spaceport/manifest.tsv" stage)" convert "manifest: stage=convert"
is "$(mval "$G/out/spaceport/manifest.tsv" normalised)" 1 "manifest: normalised=1"
is "$(mval "$G/out/spaceport/manifest.tsv" convert.users.duplicate-email)" 2 "duplicates: both users counted duplicate-email"
is "$(mval "$G/out/spaceport/manifest.tsv" convert.users.deleted)" 1 "the deleted user is a former user"
is "$(mval "$G/out/spaceport/manifest.tsv" convert.users.tombstone)" 1 "the tombstoned user is a former user"
dupkey=$(awk -F'\t' '$2 == "alice2" { print $8 }' "$G/out/spaceport/users.tsv")
is "$(awk -F'\t' '$2 == "alice" { print $8 }' "$G/out/spaceport/users.tsv")" "$dupkey" "duplicates: alice and alice2 share one account"
like "$(grep -o '"duplicate-email": [0-9]*' "$G/r.json" | head -1)" '"duplicate-email": 1' "duplicates: one duplicate-email finding"
deleted=$(awk -F'\t' '$6 == 1 { print $1 }' "$G/out/spaceport/users.tsv")
like "$(grep -A4 "<id name=\"key\"><!\[CDATA\[$deleted\]\]></id>" "$G/out/entities.xml")" '<property name="atlassianAccountId"><!\[CDATA\[\]\]></property>' "the deleted user's object gets an empty atlassianAccountId"
like "$(grep -A4 '<property name="name"><!\[CDATA\[john.smith@example.com\]\]>' "$G/out/entities.xml")" 'lowerName"><!\[CDATA\[john.smith@example.com\]\]>' "name and lowerName become the lower-cased e-mail"
cp_in=$(grep -c 'status-lastmodifier' "$G/pkg/entities.xml")
is "$(mval "$G/out/spaceport/manifest.tsv" convert.ref.content-property.kept-former)" 1 "status-lastmodifier of the tombstoned user is kept (former)"
cmp -s <(sed -n '/^member\tattachments/p' "$G/pkg/spaceport/manifest.tsv") <(sed -n '/^member\tattachments/p' "$G/out/spaceport/manifest.tsv")
is "$?" 0 "attachments listed with the same sizes and CRCs"
is "$(cd "$G/pkg" && find . -type f | sort | tr '\n' ' ')" "$(cd "$G/out" && find . -type f | sort | tr '\n' ' ')" "same members in and out"
check "attachments byte-identical" diff -r "$G/pkg/attachments" "$G/out/attachments"
check "relations.tsv byte-identical" cmp "$G/pkg/spaceport/relations.tsv" "$G/out/spaceport/relations.tsv"
check "descriptor byte-identical" cmp "$G/pkg/exportDescriptor.properties" "$G/out/exportDescriptor.properties"

# -- strict: the duplicate is a finding
run spaceport-convert -q --strict $(srcs l5) --unmapped former -o "$T/strict.pkg" "$G/pkg"
is "$rc" 1 "--strict: findings (duplicates, unmapped) exit 1"

# -- account id policy
ACC=557058:99999999-9999-4999-8999-999999999999
run spaceport-convert -q $(srcs l5) --unmapped "$ACC" -d "$G/out-acc" "$G/pkg"
is "$rc" 0 "--unmapped ACCOUNT_ID: exit 0"
is "$(expected_diff "$G" "$G/out-acc" "$ACC")" "" "--unmapped ACCOUNT_ID: unmapped users get that account"
chk "$G/pkg/entities.xml" "$G/out-acc"
is "$c_user_objects_wrong_account" 0 "--unmapped ACCOUNT_ID: user objects carry it"
is "$c_userkey_of_mapped_left" 0 "--unmapped ACCOUNT_ID: no ri:userkey of a mapped user left"
is "$(grep -o "ri:account-id=\"$ACC\"" "$G/out-acc/entities.xml" | wc -l)" \
    "$(awk -F'\t' '$10 == "unmapped-account" { split($7, k, ","); for (i in k) if (k[i] ~ /^body-/) { split(k[i], p, "="); n += p[2] } } END { print n + 0 }' "$G/out-acc/spaceport/users.tsv")" \
    "--unmapped ACCOUNT_ID: every body reference of an unmapped user names it"

# -- dry run
run spaceport-convert $(srcs l5) --unmapped former --dry-run --report "$T/dry.json" "$G/pkg"
is "$rc" 0 "--dry-run: exit 0"
is "$(cat "$out" | wc -c)" 0 "--dry-run: nothing on stdout"
like "$(cat "$T/dry.json")" '"references": \{' "--dry-run: the report has the references section"
like "$err" 'none written \(--dry-run\)' "--dry-run: the summary says no package was written"

# -- tar stream in, tar stream out; deterministic
spaceport-convert -q $(srcs l5) --unmapped former -o "$T/a.pkg" "$G/pkg"
spaceport-extract -q "$G/export.zip" | spaceport-convert -q $(srcs l5) --unmapped former >"$T/b.pkg"
check "a pipe and a directory give the same package" cmp "$T/a.pkg" "$T/b.pkg"
check "the output is a tar stream" tar tf "$T/a.pkg"
spaceport-convert -q $(srcs l5) --unmapped former -o "$T/c.pkg" "$T/b.pkg" 2>/dev/null
is "$?" 1 "a converted package is refused"

# -- the new writer
G=$T/n5
run spaceport-convert -q $(srcs n5) --unmapped former -d "$G/out" "$G/pkg"
is "$rc" 0 "new writer: exit 0"
is "$(expected_diff "$G" "$G/out" former)" "" "new writer: every user resolved as expected"
is "$(accounting "$G/out")" "" "new writer: every reference accounted for"
check "new writer: output is well-formed" xmllint --noout "$G/out/entities.xml"
chk "$G/pkg/entities.xml" "$G/out"
is "$c_user_objects_wrong_account" 0 "new writer: user objects carry their account ids"
is "$c_userkey_of_mapped_left" 0 "new writer: no ri:userkey of a mapped user left"
is "$(gen_counts "$G" "$G/out")" "" "new writer: convert saw every reference the generator wrote"
is "$c_bodies_without_refs_changed" 0 "new writer: bodies without references byte-identical"
is "$c_bodies_changed_outside_refs" 0 "new writer: bodies change only in the references"
like "$(grep -B1 -A1 'name="atlassianAccountId">557058' "$G/out/entities.xml" | head -3)" '^    <property name="[a-zA-Z]+">[^<]*</property>
    <property name="atlassianAccountId">557058:[0-9a-f-]+</property>
</object>$' "new writer: atlassianAccountId written without CDATA, indented like its neighbours"

# -- 4.x: legacy strings become key references, user objects added
G=$T/l4
run spaceport-convert -q $(srcs l4) --unmapped former -d "$G/out" "$G/pkg"
is "$rc" 0 "4.x: exit 0"
is "$(expected_diff "$G" "$G/out" former)" "" "4.x: every user resolved as expected"
is "$(accounting "$G/out")" "" "4.x: every reference accounted for"
check "4.x: output is well-formed" xmllint --noout "$G/out/entities.xml"
chk "$G/pkg/entities.xml" "$G/out"
is "$c_legacy_strings_left" 0 "4.x: no creatorName/lastModifierName left"
is "$(gen_counts "$G" "$G/out")" "" "4.x: convert saw every reference the generator wrote"
is "$(mval "$G/out/spaceport/manifest.tsv" convert.ref.entity-name.rewritten)" "$(mval "$G/pkg/spaceport/manifest.tsv" ref.entity-name)" "4.x: every legacy username string rewritten"
is "$c_key_refs_dangling" 0 "4.x: every new key reference has a user object"
is "$c_user_objects" "$(mval "$G/out/spaceport/manifest.tsv" convert.user-objects-added)" "4.x: user objects added"
is "$c_username_of_mapped_left" 0 "4.x: no ri:username of a mapped user left"
is "$c_bodies_changed_outside_refs" 0 "4.x: bodies change only in the references"
for p in userSubject receiver owningUser; do
	like "$(grep -c "<property name=\"$p\" class=\"ConfluenceUserImpl\"" "$G/out/entities.xml")" '^[1-9]' "4.x: legacy strings become $p references"
done
like "$(grep -o '<ac:parameter ac:name="user"><ri:user ri:account-id="[^"]*" */></ac:parameter>' "$G/out/entities.xml" | head -1)" 'account-id="557058:' "4.x: profile macro usernames become ri:user account ids"

# -- CSV quirks: BOM, CRLF, reordered and quoted columns read the same
G=$T/q5
is "$(head -c3 "$G/cloud-users.csv" | od -An -tx1 | tr -d ' ')/$(grep -c $'\r$' "$G/cloud-users.csv")" "efbbbf/$(wc -l <"$G/cloud-users.csv")" "quirky csv has a BOM and CRLF"
run spaceport-convert -q $(srcs q5) --unmapped former -d "$G/out" "$G/pkg"
is "$rc" 0 "csv quirks: exit 0"
is "$(expected_diff "$G" "$G/out" former)" "" "csv quirks: every user resolved as expected"
check "csv quirks: users.tsv identical to the plain csv run" cmp "$G/out/spaceport/users.tsv" "$T/l5/out/spaceport/users.tsv"

# ---- hand-made export: exact output ----------------------------------------

H=$CV/handmade
mkdir -p "$T/hm"
(cd "$H" && zip -qX "$T/hm/hm.zip" entities.xml exportDescriptor.properties)
spaceport-extract -q -d "$T/hm/pkg" "$T/hm/hm.zip"
run spaceport-convert --cloud-users "$H/cloud-users.csv" --server-users "$H/server-users.csv" --report "$T/hm/r.json" -d "$T/hm/out" "$T/hm/pkg"
is "$rc" 0 "hand-made: converts"
check "hand-made: entities.xml exactly as reviewed" cmp "$H/expected-entities.xml" "$T/hm/out/entities.xml"
check "hand-made: users.tsv exactly as reviewed" cmp "$H/expected-users.tsv" "$T/hm/out/spaceport/users.tsv"
is "$(accounting "$T/hm/out")" "" "hand-made: every reference accounted for"
is "$(grep -E '^convert\.ref\.entity-name\.' "$T/hm/out/spaceport/manifest.tsv" | tr '\t\n' '= ')" \
    "convert.ref.entity-name.rewritten=3 convert.ref.entity-name.left-no-key-form=1 convert.ref.entity-name.left-conflict=1 " \
    "hand-made: legacy strings rewritten, remember-me token and conflict left"
like "$err" '2 entity-name reference\(s\) left as they are \(0 unknown user, 1 no key-era form, 1 key reference already there\)' "hand-made: references left are reported with why"
is "$(mval "$T/hm/out/spaceport/manifest.tsv" convert.users.account-key)" 1 "hand-made: a cloud user whose key is an account id keeps it"
run spaceport-convert -q --strict --cloud-users "$H/cloud-users.csv" --server-users "$H/server-users.csv" --dry-run "$T/hm/pkg"
is "$rc" 1 "hand-made: --strict fails on the left references"

# ---- a body in several CDATA sections: only the rewritten attributes change
# The expectation is the input with the two user keys replaced by sed, so
# every other byte (section boundaries, the "]]]]><![CDATA[>" split, the
# text between sections, quotes) must come out as it went in.
M=$T/mc
mkdir -p "$M"
KA=8a7f808a00000000000000000000aaaa; AA=557058:aaaaaaaa-0000-4000-8000-00000000000a
KB=8a7f808a00000000000000000000bbbb; AB=557058:aaaaaaaa-0000-4000-8000-00000000000b
MBODY='<![CDATA[<p>1 <ri:user ri:userkey="'$KB'"/> x]]]]><![CDATA[>y</p>]]>&lt;p&gt;&amp;nbsp;&lt;/p&gt;
<![CDATA[<p>2 <ac:link><ri:user ri:userkey='"'$KA'"'/></ac:link>]]><![CDATA[ <ri:user ri:userkey="'$KB'" /></p>]] ]]>'
awk -v body="$MBODY" '/<\/hibernate-generic>/ { print "<object class=\"BodyContent\" package=\"com.atlassian.confluence.core\">"; print "<id name=\"id\">299</id>"; print "<property name=\"body\">" body "</property>"; print "<property name=\"content\" class=\"Page\" package=\"com.atlassian.confluence.pages\"><id name=\"id\">100</id>"; print "</property>"; print "<property name=\"bodyType\">2</property>"; print "</object>" } { print }' "$H/entities.xml" >"$M/entities.xml"
cp "$H/exportDescriptor.properties" "$M/"
(cd "$M" && zip -qX mc.zip entities.xml exportDescriptor.properties)
spaceport-extract -q -d "$M/pkg" "$M/mc.zip"
run spaceport-convert -q --cloud-users "$H/cloud-users.csv" --server-users "$H/server-users.csv" -d "$M/out" "$M/pkg"
is "$rc" 0 "multi-CDATA body: converts"
sed -n '/<id name="id">299<\/id>/,/<\/object>/p' "$M/entities.xml" |
    sed -e "s/ri:userkey=\"$KB\"/ri:account-id=\"$AB\"/g" \
        -e "s/ri:userkey='$KA'/ri:account-id='$AA'/g" >"$M/want"
sed -n '/<id name="id">299<\/id>/,/<\/object>/p' "$M/out/entities.xml" >"$M/got"
is "$(grep -o '<!\[CDATA\[' "$M/want" | wc -l | tr -d ' ')/$(grep -c userkey "$M/want")" "4/0" "multi-CDATA body: expectation has its sections and no key left"
check "multi-CDATA body: every byte outside the rewritten attributes unchanged" cmp "$M/want" "$M/got"

# ---- real fixtures ----------------------------------------------------------

mkdir -p "$T/rf"
fixture_zips "$T/zips" >"$T/zips.txt"
while read -r z; do
	n=$(basename "$z" .zip)
	spaceport-extract -q -d "$T/rf/$n.pkg" "$z" 2>/dev/null || continue
	run spaceport-convert -q --unmapped former --report "$T/rf/$n.json" -d "$T/rf/$n.out" "$T/rf/$n.pkg"
	is "$rc" 0 "$n: converts"
	is "$(accounting "$T/rf/$n.out")" "" "$n: every reference accounted for, count for count"
	unlike "$(cat "$T/rf/$n.json")" 'reference-count-mismatch' "$n: no count mismatch"
	check "$n: output is well-formed" xmllint --noout --huge "$T/rf/$n.out/entities.xml"
	chk "$T/rf/$n.pkg/entities.xml" "$T/rf/$n.out"
	is "$c_bodies_without_refs_changed" 0 "$n: $c_bodies_without_refs bodies without user references byte-identical"
	is "$c_bodies_changed_outside_refs" 0 "$n: bodies change only in the references"
done <"$T/zips.txt"

# 8.5.6: every user to an account, via e-mail and the server list,
# with a Cloud CSV with reordered quoted columns, a BOM, CRLF, an embedded
# newline and a suspended account.
R=$T/rf/xwiki-8.5.6-newwriter
run spaceport-convert --cloud-users "$CV/8.5.6-cloud-quirks.csv" --server-users "$FIX/users/server-users.csv" --report "$R.q.json" -d "$R.q" "$R.pkg"
is "$rc" 0 "8.5.6: all users map (no --unmapped needed)"
is "$(cut -f2,8,10 "$R.q/spaceport/users.tsv" | tail -n +2 | tr '\t\n' ' |')" \
    "admin 557058:aaaaaaaa-0000-4000-8000-000000000001 email|exporter 5b70c8b80fd0ac05d389f5e9 server-list|normaluser 557058:aaaaaaaa-0000-4000-8000-000000000002 email|visitor 557058:aaaaaaaa-0000-4000-8000-000000000003 email|" \
    "8.5.6: quirky cloud csv read right (e-mail case, quotes, BOM, CRLF)"
is "$(mval "$R.q/spaceport/manifest.tsv" convert.ref.entity-key.resolved)" 230 "8.5.6: all 230 key references resolve to accounts"
like "$err" 'visitor is mapped to account 557058:aaaaaaaa-0000-4000-8000-000000000003, whose cloud status is Suspended' "8.5.6: a suspended cloud account is reported"
chk "$R.pkg/entities.xml" "$R.q"
is "$c_user_objects_wrong_account" 0 "8.5.6: user objects carry their account ids"
like "$(grep -A3 '<id name="key">402816d68f060145018f0604aefd0001</id>' "$R.q/entities.xml")" '<property name="name">exporter@mail.com</property>' "8.5.6: name is the cloud e-mail, 8.3+ style (no CDATA)"

# 4.3.2: ri:username, 4.x macros and legacy strings.
R=$T/rf/xwiki-4.3.2-site
run spaceport-convert -q --cloud-users "$CV/4.3.2-cloud-users.csv" --server-users "$CV/4.3.2-server-users.csv" -d "$R.u" "$R.pkg"
is "$rc" 0 "4.3.2: all users map through the server list"
is "$(cut -f2,8,10 "$R.u/spaceport/users.tsv" | tail -n +2 | tr '\t\n' ' |')" \
    "admin 557058:bbbbbbbb-0000-4000-8000-000000000001 server-list|user1 557058:bbbbbbbb-0000-4000-8000-000000000002 server-list|user2 712020:bbbbbbbb-0000-4000-8000-000000000003 server-list|" \
    "4.3.2: usernames and e-mails compared case-insensitively"
is "$(grep -Ec '^convert\.ref\.(entity-name\.rewritten	279|entity-name\.left-no-key-form	1|body-username\.rewritten	13|body-macro-username\.rewritten	24)$' "$R.u/spaceport/manifest.tsv")" 4 \
    "4.3.2: 279+1 legacy strings, 13 ri:username, 24 macro usernames accounted"
is "$(grep -c 'ri:username=' "$R.u/entities.xml")" 0 "4.3.2: no ri:username left"
is "$(mval "$R.u/spaceport/manifest.tsv" convert.user-objects-added)" 3 "4.3.2: three user objects added"
chk "$R.pkg/entities.xml" "$R.u"
is "$c_key_refs_dangling" 0 "4.3.2: every new key reference resolves"
is "$c_account_id_refs" 37 "4.3.2: 37 ri:account-id in bodies"

# 5.9: overrides by key (account id) and by name (tombstone, other case).
R=$T/rf/xwiki-5.9-site
run spaceport-convert -q --map "$CV/5.9-map.csv" -d "$R.m" "$R.pkg"
is "$rc" 0 "5.9: the map resolves everyone"
is "$(cut -f2,8,10 "$R.m/spaceport/users.tsv" | tail -n +2 | tr '\t\n' ' |')" \
    "admin 557058:dddddddd-0000-4000-8000-000000000001 override-key|sysadmin  tombstone|" \
    "5.9: map by key to an account id, by username to a tombstone"
is "$(mval "$R.m/spaceport/manifest.tsv" convert.ref.entity-key.resolved)/$(mval "$R.m/spaceport/manifest.tsv" convert.ref.entity-key.kept-former)" "9/1" "5.9: 9 references resolved, 1 kept as former"

# permissions: 65 users, 50 sharing one e-mail.
R=$T/rf/xwiki-server-permissions
run spaceport-convert -q --cloud-users "$CV/permissions-cloud-users.csv" --unmapped former --report "$R.p.json" -d "$R.p" "$R.pkg"
is "$rc" 0 "permissions: converts"
is "$(mval "$R.p/spaceport/manifest.tsv" convert.users)" 65 "permissions: 65 users"
is "$(mval "$R.p/spaceport/manifest.tsv" convert.users.duplicate-email)" 50 "permissions: 50 users share one e-mail and one account"
is "$(mval "$R.p/spaceport/manifest.tsv" convert.users.unmapped-former)" 15 "permissions: 15 former users"
want=$(awk -F'\t' 'NR > 1 && $10 == "duplicate-email" { n += $4 } END { print n }' "$R.p/spaceport/users.tsv")
is "$(mval "$R.p/spaceport/manifest.tsv" convert.ref.entity-key.resolved)" "$want" "permissions: references of mapped users resolved ($want)"
is "$(( $(mval "$R.p/spaceport/manifest.tsv" convert.ref.entity-key.resolved) + $(mval "$R.p/spaceport/manifest.tsv" convert.ref.entity-key.kept-former) ))" 1620 "permissions: all 1620 key references accounted"
chk "$R.pkg/entities.xml" "$R.p"
is "$c_user_objects_wrong_account" 0 "permissions: user objects carry their account ids"
is "$c_user_objects" 65 "permissions: 65 user objects"

# personal space: reported, not rewritten
R=$T/rf/xwiki-5.4-space-personal-misc
like "$(cat "$R.json")" '"personal-space": 1' "personal space key reported"
check "personal space key kept" grep -q '<property name="key"><!\[CDATA\[~clemens\]\]>' "$R.out/entities.xml"

# ---- 100,000 users --------------------------------------------------------

if [ "${SPACEPORT_SKIP_BIG:-0}" = 1 ]; then
	skip "100,000 users (SPACEPORT_SKIP_BIG=1)"
else
	B=$T/big
	"$GEN" --out "$B" --style legacy --pages 20 --users 100000 --seed 5 >/dev/null &&
	    spaceport-extract -q -o "$B/pkg" "$B/export.zip"
	run spaceport-convert -q $(srcs big) --unmapped former -d "$B/out" "$B/pkg"
	is "$rc" 0 "100,000 users: converts"
	is "$(expected_diff "$B" "$B/out" former | head -5)" "" "100,000 users: every user resolved as expected"
	is "$(accounting "$B/out")" "" "100,000 users: every reference accounted for"
fi

# Account ids are validated wherever they come from: one ending in ']'
# could otherwise close a CDATA body ("x]" + "]>" = "]]>"; found by fuzzing).
spaceport-extract -q -o "$T/v347.tar" "$FIX/real/xwiki-3.4.7-site/3.4.7.zip"
printf 'UserName,AccountId\nadmin,x]\n' >"$T/badmap.csv"
run spaceport-convert -q --map "$T/badmap.csv" --unmapped former -o "$T/vout.tar" "$T/v347.tar"
is "$rc" 1 "--map: an AccountId that is not an account id is refused"
like "$err" 'badmap.csv:2: AccountId "x\]" is not an atlassian account id' "with file, line and value"
check "and nothing is written" test ! -e "$T/vout.tar"
printf 'User id,email\nnot-an-id],admin@example.com\n' >"$T/badcloud.csv"
run spaceport-convert --cloud-users "$T/badcloud.csv" --unmapped former -o "$T/vout2.tar" "$T/v347.tar"
is "$rc" 0 "--cloud-users: a bad user id row is skipped"
like "$err" 'badcloud.csv:2: user id "not-an-id\]" is not an atlassian account id, row ignored' "and reported"

done_testing
