#!/usr/bin/env bash
# tools/spaceport-rehearsal-diff on two exports of one space: the
# rehearsal (bench/gen) and a "final" export made from it by known edits
# (tests/rehearsal-edit.py below: a page edited, a blog post edited, a
# page removed, a page added by a new user without e-mail, an attachment
# replaced by a new version, a stray file that becomes a finding).  The
# expected differences are written by the edit itself, from what it
# changed; the tool must report every one of them and nothing else.
. "$(dirname "$0")/lib.sh"

DIFF=$TOP/tools/spaceport-rehearsal-diff
"$TOP/bench/gen" --out "$T/g" --pages 10 --seed rehearsal >/dev/null

python3 - "$T/g/export.zip" "$T/final.zip" "$T/expected" <<'PY'
import re, sys, zipfile
src, dst, exp = sys.argv[1:4]
zin = zipfile.ZipFile(src)
ents = zin.read("entities.xml").decode("utf-8")
OBJ = re.compile(r'<object class="(\w+)"[^>]*>\n<id name="(\w+)">(?:<!\[CDATA\[)?([^<\]]*)(?:\]\]>)?</id>\n.*?</object>\n', re.S)

def prop(o, name):
    m = re.search(r'<property name="%s"[^>]*>(?:<!\[CDATA\[)?(.*?)(?:\]\]>)?</property>' % name, o, re.S)
    return m.group(1) if m else None

def ref(o, name):
    m = re.search(r'<property name="%s"[^>]*><id name="\w+">(?:<!\[CDATA\[)?([^<\]]*)(?:\]\]>)?</id>' % name, o)
    return m.group(1) if m else None

objs = [(m.group(1), m.group(3), m.group(0)) for m in OBJ.finditer(ents)]
def live(cls, o):
    return prop(o, "contentStatus") == "current" and ref(o, "originalVersion") is None
pages = [(i, o) for c, i, o in objs if c == "Page" and live(c, o)]
blogs = [(i, o) for c, i, o in objs if c == "BlogPost" and live(c, o)]
atts = [(i, o) for c, i, o in objs if c == "Attachment"]
parents = {ref(o, "parent") for _, o in pages}
containers = {ref(o, "containerContent") for _, o in atts}
historical_of = {ref(o, "originalVersion") for _, o in atts}
home = pages[0][0]
expected = []

def replace_obj(old, new):
    global ents
    assert ents.count(old) == 1
    ents = ents.replace(old, new)

def bump(kind, i, o):
    v = int(prop(o, "version"))
    replace_obj(o, o.replace('<property name="version">%d</property>' % v,
                             '<property name="version">%d</property>' % (v + 1)))
    expected.append("%s-edited\t%s\t%s\tv%d -> v%d" % (kind, i, prop(o, "title"), v, v + 1))

# 1. a page edited (not the home page), 2. a blog post edited
edited = next((i, o) for i, o in pages if i != home)
bump("page", *edited)
bump("blogpost", *blogs[0])

# 3. a page removed: a leaf page, with its attachments (objects and files)
gone = next((i, o) for i, o in pages if i not in (home, edited[0])
            and i not in parents and i in containers)
replace_obj(gone[1], "")
expected.append("page-removed\t%s\t%s\tv%s" % (gone[0], prop(gone[1], "title"), prop(gone[1], "version")))
for i, o in atts:
    if ref(o, "containerContent") == gone[0]:
        replace_obj(o, "")
        if ref(o, "originalVersion") is None:
            expected.append("attachment-removed\t%s\t%s/%s\tv%s" % (i, prop(gone[1], "title"), prop(o, "title"), prop(o, "version")))
dropped = "attachments/%s/" % gone[0]

# 4. a new user without e-mail, 5. a page added by that user (a copy of the
#    home page without its collections, parent and body: a top-level page)
nk = "ffffffffffffffff0000000000000001"
user = ('<object class="ConfluenceUserImpl" package="com.atlassian.confluence.user">\n'
        '<id name="key"><![CDATA[%s]]></id>\n<property name="name"><![CDATA[newhire]]></property>\n'
        '<property name="lowerName"><![CDATA[newhire]]></property>\n</object>\n' % nk)
newid = str(max(int(i) for c, i, o in objs if i.isdigit()) + 1000)
hp = dict(pages)[home]
np_ = re.sub(r'<collection name="\w+"[^>]*>.*?</collection>\n', "", hp, flags=re.S)
np_ = re.sub(r'<property name="parent"[^>]*><id name="id">\d+</id>\n</property>\n', "", np_)
np_ = np_.replace('<id name="id">%s</id>' % home, '<id name="id">%s</id>' % newid, 1)
np_ = re.sub(r'(<property name="title">)<!\[CDATA\[.*?\]\]>', r'\1<![CDATA[Added in final]]>', np_)
np_ = re.sub(r'(<property name="lowerTitle">)<!\[CDATA\[.*?\]\]>', r'\1<![CDATA[added in final]]>', np_)
np_ = re.sub(r'<property name="version">\d+</property>', '<property name="version">1</property>', np_)
np_ = re.sub(r'(<property name="(?:creator|lastModifier)"[^>]*><id name="key">)<!\[CDATA\[\w+\]\]>',
             r'\g<1><![CDATA[%s]]>' % nk, np_)
assert np_.count(nk) == 2
ents = ents.replace("</hibernate-generic>", user + np_ + "</hibernate-generic>")
expected.append("page-added\t%s\tAdded in final\tv1" % newid)
expected.append("user-referenced\t%s\tnewhire\t2 references" % nk)
expected.append("user-unmapped\t%s\tnewhire\tno e-mail in the export" % nk)

# 6. an attachment replaced: a current version-1 attachment with no history
#    on a page that stays becomes version 2 with other bytes (same size, so
#    the recorded FILESIZE still holds)
att = next((i, o) for i, o in atts if prop(o, "version") == "1" and i not in historical_of
           and ref(o, "originalVersion") is None and ref(o, "containerContent") not in (gone[0],))
cont = ref(att[1], "containerContent")
replace_obj(att[1], att[1].replace('<property name="version">1</property>', '<property name="version">2</property>'))
oldpath = "attachments/%s/%s/1" % (cont, att[0])
newpath = "attachments/%s/%s/2" % (cont, att[0])
data = zin.read(oldpath)
newdata = bytes(b ^ 0x5A for b in data)
ctitle = prop(dict(pages + blogs)[cont], "title")
if cont == edited[0]:
    ctitle = prop(edited[1], "title")
expected.append("attachment-changed\t%s\t%s/%s\tv1 -> v2, size %d -> %d, content"
                % (att[0], ctitle, prop(att[1], "title"), len(data), len(newdata)))

# 7. a stray file under attachments/: an attachment-orphan finding
stray = "attachments/999999/999998/1"
expected.append("finding\tattachment-orphan\t%s" % stray)

zout = zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED)
for info in zin.infolist():
    if info.filename == "entities.xml":
        zout.writestr("entities.xml", ents.encode("utf-8"))
    elif info.filename.startswith(dropped):
        continue
    elif info.filename == oldpath:
        zout.writestr(newpath, newdata)
    else:
        zout.writestr(info.filename, zin.read(info.filename))
zout.writestr(stray, b"left behind\n")
zout.close()
order = ["blogpost-added", "page-added", "blogpost-removed", "page-removed",
         "blogpost-edited", "page-edited", "attachment-added", "attachment-removed",
         "attachment-changed", "user-referenced", "user-unmapped", "finding"]
with open(exp, "w") as f:
    for line in sorted(expected, key=lambda l: (order.index(l.split("\t")[0]), len(l.split("\t")[1]), l)):
        f.write(line + "\n")
PY
check "the edited export was written" test -s "$T/final.zip"
check "with its expected differences" test -s "$T/expected"

spaceport-extract -q --check --inventory "$T/r.db" "$T/g/export.zip"
spaceport-extract -q --check --inventory "$T/f.db" "$T/final.zip"

# --- the inventories alone ------------------------------------------------
run "$DIFF" "$T/r.db" "$T/f.db"
is "$rc" 1 "differences: exit 1"
# The finding's message is extract's: compare what, id and name for it.
got=$(awk -F'\t' -v OFS='\t' '$1 == "finding" { print $1, $2, $3; next } { print }' "$out")
is "$got" "$(cat "$T/expected")" "every edit reported, in order, nothing else"
like "$err" '^spaceport-rehearsal-diff: 9 difference\(s\) \(unmapped = no e-mail in the export\)$' \
    "count and the unmapped rule on stderr"
run "$DIFF" "$T/r.db" "$T/f.db"
cp "$out" "$T/again"
run "$DIFF" "$T/r.db" "$T/f.db"
check "output is stable" cmp "$T/again" "$out"

run "$DIFF" "$T/r.db" "$T/r.db"
is "$rc" 0 "the same inventory twice: exit 0"
is "$(cat "$out")" "" "and no output"
run "$DIFF" -q "$T/f.db" "$T/r.db"
is "$rc" 1 "-q: exit 1 the other way round too"
is "$err" "" "-q: nothing on stderr"
like "$(cat "$out")" "^page-removed	[0-9]+	Added in final	v1" "reversed: the added page is removed"

# --- with the convert reports ---------------------------------------------
for s in r f; do
	if [ $s = r ]; then z=$T/g/export.zip; else z=$T/final.zip; fi
	spaceport-extract -q "$z" | spaceport-convert -q --dry-run \
	    --cloud-users "$T/g/cloud-users.csv" --server-users "$T/g/server-users.csv" \
	    --map "$T/g/map.csv" --report "$T/$s.json" 2>"$T/convert.err"
done
run "$DIFF" --reports "$T/r.json" "$T/f.json" "$T/r.db" "$T/f.db"
is "$rc" 1 "with reports: exit 1"
is "$(awk -F'\t' '$1 == "user-unmapped" { print $2 "\t" $3 }' "$out")" \
    "ffffffffffffffff0000000000000001	newhire" \
    "with reports: the one newly unmapped user is the new one"
like "$err" 'unmapped per the convert reports' "with reports: says which rule"
is "$(grep -vc '^user-unmapped' "$out")" "$(grep -vc '^user-unmapped' "$T/expected")" \
    "with reports: the other differences are the same"

# Space folders of tools/spaceport-site: inventory.db and convert.json.
mkdir -p "$T/sr" "$T/sf"
cp "$T/r.db" "$T/sr/inventory.db"; cp "$T/r.json" "$T/sr/convert.json"
cp "$T/f.db" "$T/sf/inventory.db"; cp "$T/f.json" "$T/sf/convert.json"
run "$DIFF" -q "$T/sr" "$T/sf"
cp "$out" "$T/dirs"
run "$DIFF" -q --reports "$T/r.json" "$T/f.json" "$T/r.db" "$T/f.db"
check "space folders: the same as the files with --reports" cmp "$T/dirs" "$out"

# --- trouble: exit 2 -------------------------------------------------------
run "$DIFF" "$T/r.db"
is "$rc" 2 "one argument: usage, exit 2"
run "$DIFF" "$T/r.db" "$T/g/export.zip"
is "$rc" 2 "not an inventory: exit 2"
like "$err" 'not a spaceport inventory' "and says so"
run "$DIFF" --reports "$T/r.json" "$T/g/expected.tsv" "$T/r.db" "$T/f.db"
is "$rc" 2 "a report that is not JSON: exit 2"

done_testing
