#!/usr/bin/env bash
# Personal spaces (docs/links.md, "Personal spaces"): a Server "~username"
# space whose owner maps to a Cloud account becomes "~" + the account id
# without ':' and '-'; convert decides, pack renames (every place
# --space-key renames, and the space settings).  Links into the space
# follow.  An owner without an account is reported; a key that already has
# the Cloud shape is not a user reference.  Real fixture:
# xwiki-5.4-space-personal-misc (the space ~clemens).
. "$(dirname "$0")/lib.sh"

ZIP=$FIX/real/xwiki-5.4-space-personal-misc/misc.xml.zip
ACC=557058:0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c99
# the oracle: the rule of the shared doc, applied here by hand
NEWKEY="~$(printf '%s' "$ACC" | tr -d ':-')"

# the export, with one more body link into the space by its old key
mkdir -p "$T/x" && (cd "$T/x" && unzip -q "$ZIP")
python3 - "$T/x/entities.xml" <<'PY'
import sys
p = sys.argv[1]
s = open(p, encoding="utf-8").read()
old = '<property name="body"><![CDATA[<p>body of the blog post.</p>]]>'
assert old in s
s = s.replace(old, '<property name="body"><![CDATA[<p>body of the blog post.</p>'
              '<p><a href="http://old.invalid/display/~clemens/empty">see</a></p>]]>', 1)
open(p, "w", encoding="utf-8").write(s)
PY
(cd "$T/x" && zip -qrX ../misc.zip .)
printf 'User id,User name,email,User status,Added to org,Org role,Last seen in Confluence\n%s,Clemens,clemens@example.com,Active,22 Apr 2024,,23 Apr 2024\n' \
    "$ACC" >"$T/cloud.csv"
printf 'username,email\nclemens,clemens@example.com\n' >"$T/srv.csv"

spaceport-extract -q -o "$T/p.pkg" "$T/misc.zip"
spaceport-convert -q --cloud-users "$T/cloud.csv" --server-users "$T/srv.csv" \
    --unmapped former --server-url http://old.invalid --report "$T/c.json" \
    -o "$T/c.pkg" "$T/p.pkg"
is "$?" 0 "convert: exit 0"
python3 "$TOP/tests/pkgread.py" facts "$T/c.pkg" >"$T/c.tsv"
is "$(mval "$T/c.tsv" convert.personal-space.from) $(mval "$T/c.tsv" convert.personal-space.key)" \
    "~clemens $NEWKEY" "convert: decides the Cloud key from the owner's account id"
is "$(mval "$T/c.tsv" convert.ref.personal-space.rewritten)" 1 \
    "convert: the personal-space reference is accounted as rewritten"
unlike "$(python3 -c 'import json,sys; print([f["code"] for f in json.load(open(sys.argv[1]))["findings"]])' "$T/c.json")" \
    'personal-space' "convert: no personal-space finding"
like "$(tar -xOf "$T/c.pkg" entities.xml)" '<ac:link><ri:page ri:content-title="empty" /><ac:link-body>see</ac:link-body></ac:link>' \
    "a /display/~clemens link: an own-space link, no key (it follows the rename)"

spaceport-pack -q --verify "$T/misc.zip" --report "$T/k.json" -o "$T/out.zip" "$T/c.pkg"
is "$?" 0 "pack --verify: lossless"
unzip -p "$T/out.zip" entities.xml >"$T/out.xml"
unzip -p "$T/out.zip" exportDescriptor.properties >"$T/out.props"
is "$(grep -c '~clemens' "$T/out.xml" "$T/out.props" | awk -F: '{s += $2} END {print s}')" 0 \
    "pack: ~clemens is gone from entities.xml and the descriptor"
is "$(python3 - "$T/out.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
for o in r.iter("object"):
    if o.get("class") == "Space":
        v = {p.get("name"): p.text for p in o.findall("property")}
        print(v["key"], v.get("lowerKey", v["key"].lower()))
PY
)" "$NEWKEY $(printf '%s' "$NEWKEY" | tr 'A-Z' 'a-z')" "pack: Space key (and lowerKey, when there is one) renamed"
is "$(grep -c "^spaceKey=$NEWKEY\$" "$T/out.props")" 1 "pack: the descriptor names the new key"
is "$(grep -c "<spaceKey>$NEWKEY</spaceKey>" "$T/out.xml")" 1 \
    "pack: the space settings (bandana value) renamed"
is "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pack"]["space_key"]["new"])' "$T/k.json")" \
    "$NEWKEY" "pack report: the new key"

# an explicit --space-key on a personal space is still refused
spaceport-pack -q --space-key OTHER -o "$T/o2.zip" "$T/c.pkg" 2>"$T/o2.err"
is "$?" 1 "pack --space-key on a personal space: refused"
check "refused: nothing written" test ! -e "$T/o2.zip"

# the owner has no account: kept and reported
spaceport-convert -q --unmapped former --report "$T/f.json" -o "$T/f.pkg" "$T/p.pkg"
is "$(python3 "$TOP/tests/pkgread.py" facts "$T/f.pkg" | grep -c personal-space.key)" 0 \
    "no account: no rename decided"
like "$(python3 -c 'import json,sys; print([f["subject"] for f in json.load(open(sys.argv[1]))["findings"] if f["code"] == "personal-space"])' "$T/f.json")" \
    '~clemens' "no account: a personal-space finding"
spaceport-pack -q -o "$T/f.zip" "$T/f.pkg"
is "$(unzip -p "$T/f.zip" entities.xml | grep -c '<property name="key"><!\[CDATA\[~clemens\]\]>')" 1 \
    "no account: the key stays"

# a Cloud export as input: its key has the Cloud shape, no user behind it
sed "s/~clemens/$NEWKEY/g" "$T/x/entities.xml" >"$T/cloudkey.xml"
mkdir -p "$T/y" && cp "$T/cloudkey.xml" "$T/y/entities.xml" && cp "$T/x/exportDescriptor.properties" "$T/y/"
sed -i "s/~clemens/$NEWKEY/g" "$T/y/exportDescriptor.properties"
(cd "$T/y" && zip -qrX ../cloudkey.zip .)
spaceport-extract -q -o "$T/y.pkg" "$T/cloudkey.zip"
is "$(python3 "$TOP/tests/pkgread.py" facts "$T/y.pkg" | awk -F'\t' '$1 == "ref.personal-space" {print $2}')" 0 \
    "a Cloud-shaped key: extract counts no personal-space reference"
spaceport-convert -q --unmapped former --report "$T/y.json" -o "$T/y2.pkg" "$T/y.pkg"
is "$(python3 -c 'import json,sys; print(sum(1 for f in json.load(open(sys.argv[1]))["findings"] if f["code"] == "personal-space"))' "$T/y.json")" \
    0 "a Cloud-shaped key: no personal-space finding"

done_testing
