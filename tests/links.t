#!/usr/bin/env bash
# Link normalisation on the real link fixtures (docs/links.md):
# spaceport-convert --server-url and --site-index.  The expected bodies are
# written here by hand from the fixtures' URLs and the rules of
# docs/links.md (the oracle), never taken from the program's output.
# tests/links-gen.t does the same on generated exports.
. "$(dirname "$0")/lib.sh"

mkzip() {	# mkzip NAME: fixtures/real/NAME/entities.xml -> $T/NAME.zip
	mkdir -p "$T/$1"
	cp "$FIX/real/$1/entities.xml" "$T/$1/"
	printf '#fixture\nexportType=space\nbuildNumber=4517\nbackupAttachments=true\n' \
	    >"$T/$1/exportDescriptor.properties"
	(cd "$T/$1" && zip -qrX "../$1.zip" .)
}
for n in xwiki-links-absolute xwiki-links-baseurls xwiki-links-broken; do
	mkzip $n
	spaceport-extract -q -o "$T/$n.pkg" "$T/$n.zip"
done
conv="spaceport-convert -q --unmapped former"

# bodies FILE.pkg: every BodyContent body of the package's entities.xml,
# decoded, one JSON string a line (python3's XML parser: an independent
# reader).
cat >"$T/bodies.py" <<'PY'
import json, os, sys, xml.etree.ElementTree as ET
sys.path.insert(0, os.environ["TOP"] + "/tests")
import pkgread
root = ET.fromstring(dict(pkgread.read(sys.argv[1])[2])["entities.xml"])
for o in root.iter("object"):
    if o.get("class") == "BodyContent":
        for p in o.findall("property"):
            if p.get("name") == "body":
                print(json.dumps(p.text or ""))
PY
bodies() { python3 "$T/bodies.py" "$1"; }

# --- off by default -----------------------------------------------------
$conv --report "$T/off.json" -o "$T/off.pkg" "$T/xwiki-links-baseurls.pkg"
is "$?" 0 "no --server-url: exit 0"
check "no --server-url: every body as it was" \
    cmp <(bodies "$T/xwiki-links-baseurls.pkg") <(bodies "$T/off.pkg")
is "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["links"])' "$T/off.json")" \
    "{'enabled': False}" "no --server-url: the report says links are off"
check "extract wrote spaceport/content.tsv" \
    sh -c "tar -tf '$T/xwiki-links-baseurls.pkg' | grep -qx spaceport/content.tsv"

# --- every URL form of xwiki-links-baseurls ---------------------------------
# Three spaces in one package: no "own" space, so every link names its key.
# (href as in the body, expected RI or "-" for left as it was, anchor, form,
# outcome).
cat >"$T/expect.py" <<'PY'
import json, sys
P = '<ri:page ri:space-key="OtherSpace" ri:content-title="Other Page" />'
S = '<ri:space ri:space-key="OtherSpace" />'
V = '<ri:page ri:space-key="spacetovalidate" ri:content-title="pagetovalidate" />'
B1, B2, B3, B4, B5 = ("https://baseurl%d.com" % i for i in range(1, 6))
rows = [
    (B1 + "/display/OtherSpace/Other+Page?param=value#anchor", P, "anchor", "page-title", "cross-space"),
    (B1 + "/display/OtherSpace/Other+Page", P, None, "page-title", "cross-space"),
    (B1 + "/display/OtherSpace/Other+Page#OtherSpaceOtherPage-SomeTitle", P,
     "OtherSpaceOtherPage-SomeTitle", "page-title", "cross-space"),
    (B2 + "/pages/viewpage.action?pageId=11&amp;param=value#anchor", P, "anchor", "page-id", "cross-space"),
    (B2 + "/pages/viewpage.action?pageId=11", P, None, "page-id", "cross-space"),
    (B2 + "/pages/viewpage.action?spaceKey=OtherSpace&amp;title=Other+Page&amp;param=value#anchor",
     P, "anchor", "page-title", "cross-space"),
    (B2 + "/pages/viewpage.action?spaceKey=OtherSpace&amp;title=Other+Page", P, None, "page-title",
     "cross-space"),
    (B2 + "/spaces/viewspace.action?key=OtherSpace&amp;param=value#anchor", S, "anchor", "space-home",
     "cross-space"),
    (B2 + "/spaces/viewspace.action?key=OtherSpace", S, None, "space-home", "cross-space"),
    (B2 + "/display/OtherSpace/?&amp;param=value#anchor", S, "anchor", "space-home", "cross-space"),
    (B2 + "/display/OtherSpace/", S, None, "space-home", "cross-space"),
    (B2 + "/display/OtherSpace?&amp;param=value#anchor", S, "anchor", "space-home", "cross-space"),
    (B2 + "/display/OtherSpace", S, None, "space-home", "cross-space"),
    (B2 + "/pages/viewpage.action?spaceKey=NotFound&amp;title=Other+Page&amp;param=value#anchor",
     "-", None, "page-title", "unresolved"),
    (B1 + "/OtherSpace/other-page-11.html", "-", None, "unsupported", "unresolved"),
    (B1 + "/NotFound/other-page-12.html", "-", None, "unsupported", "unresolved"),
    (B3 + "/download/attachments/11/attachment.png?param=value#anchor", "-", None, "attachment",
     "unresolved"),
    (B3 + "/download/attachments/11/attachment.png", "-", None, "attachment", "unresolved"),
    (B3 + "/download/thumbnails/11/attachment.png?version=1&amp;modificationDate=1551265055986"
     "&amp;api=v2#anchor", "-", None, "thumbnail", "unresolved"),
    (B3 + "/download/thumbnails/11/attachment.png", "-", None, "thumbnail", "unresolved"),
    (B4 + "/images/icons/emoticons/icon.png?param=value#anchor", "-", None, "unsupported", "unresolved"),
    (B4 + "/images/icons/emoticons/icon.png", "-", None, "unsupported", "unresolved"),
    (B5 + "/spaces/OtherSpace/pages/11/Other+Page?param=value#anchor", P, "anchor", "page-id",
     "cross-space"),
    (B5 + "/spaces/OtherSpace/pages/11/Other+Page", P, None, "page-id", "cross-space"),
    (B1 + "/spaces/spacetovalidate/pages/12/pagetovalidate", V, None, "page-id", "cross-space"),
    ("https://confluence.atlassian.com/x/2EkGOQ", "-", None, "external", "left-external"),
    ("https://confluence.atlassian.com/x/2yAC", "-", None, "external", "left-external"),
    ("https://confluence.atlassian.com/x/ASEC", "-", None, "external", "left-external"),
    ("https://confluence.atlassian.com/x/liAC", "-", None, "external", "left-external"),
    ("https://confluence.atlassian.com/x/NgszKw", "-", None, "external", "left-external"),
    ("https://confluence.atlassian.com/x/SRwC", "-", None, "external", "left-external"),
    ("https://www.bing.com/images/search?q=icon", "-", None, "external", "left-external"),
    (B1 + "/display/public/OtherSpace/Other+Page?param=value#anchor", P, "anchor", "page-title",
     "cross-space"),
    (B1 + "/fake/path", "-", None, "unsupported", "unresolved"),
    ("https://perdu.com/fake/path", "-", None, "external", "left-external"),
]
json.dump(rows, sys.stdout)
PY
python3 "$T/expect.py" >"$T/expect.json"
urls="--server-url https://baseurl1.com --server-url https://baseurl2.com/ \
    --server-url //baseurl3.com --server-url http://baseurl4.com --server-url https://baseurl5.com"
$conv $urls --report "$T/b.json" -o "$T/b.pkg" "$T/xwiki-links-baseurls.pkg"
is "$?" 0 "baseurls: exit 0 (unresolved links are findings, not failures)"

# The whole body, byte for byte: each <a href="H">BODY</a> of the
# resolvable rows becomes <ac:link[ anchor]>RI<ac:link-body>BODY</ac:link-body></ac:link>.
cat >"$T/check_body.py" <<'PY'
import json, re, sys
rows = json.load(open(sys.argv[1]))
src = json.loads(open(sys.argv[2]).readline())
got = json.loads(open(sys.argv[3]).readline())
want = src
for href, ri, anchor, form, outcome in rows:
    if ri == "-":
        continue
    a = '<ac:link ac:anchor="%s">' % anchor if anchor else "<ac:link>"
    pat = re.compile(r'<a href="%s">(.*?)</a>' % re.escape(href), re.S)
    want, n = pat.subn(lambda m: a + ri + "<ac:link-body>" + m.group(1) +
                       "</ac:link-body></ac:link>", want, count=1)
    assert n == 1, href
if got != want:
    import difflib
    sys.stdout.writelines(difflib.unified_diff(want.splitlines(True), got.splitlines(True)))
    sys.exit(1)
PY
bodies "$T/xwiki-links-baseurls.pkg" >"$T/b-in.txt"
bodies "$T/b.pkg" >"$T/b-out.txt"
check "baseurls: every resolvable link rewritten, every other byte kept" \
    python3 "$T/check_body.py" "$T/expect.json" "$T/b-in.txt" "$T/b-out.txt"
check "baseurls: the other bodies unchanged" \
    cmp <(tail -n +2 "$T/b-in.txt") <(tail -n +2 "$T/b-out.txt")

# counts: the report, the manifest, the findings, against the table
cat >"$T/counts.py" <<'PY'
import collections, json, os, sys
sys.path.insert(0, os.environ["TOP"] + "/tests")
import pkgread
rows = json.load(open(sys.argv[1]))
rep = json.load(open(sys.argv[2]))
want = collections.Counter((r[3], r[4]) for r in rows)
got = collections.Counter()
for form, outs in rep["links"]["forms"].items():
    for o, n in outs.items():
        if n:
            got[(form, o)] = n
ok = want == got
mf = dict(pkgread.read(sys.argv[3])[1])
mgot = collections.Counter()
for k, v in mf.items():
    if k.startswith("convert.link.") and k.count(".") == 3:
        _, _, form, o = k.split(".")
        mgot[(form, o)] = int(v)
ok = ok and mgot == want
unres = sorted(f["subject"] for f in rep["findings"] if f["code"] == "unresolved-link")
wunres = sorted(r[0].replace("&amp;", "&") for r in rows if r[4] == "unresolved")
ok = ok and unres == wunres
if not ok:
    print("want", sorted(want.items()), "\ngot", sorted(got.items()), "\nmanifest",
          sorted(mgot.items()), "\nfindings", unres, "\nwant findings", wunres)
sys.exit(0 if ok else 1)
PY
check "baseurls: counts per form and outcome (report, manifest) and one finding per unresolved URL" \
    python3 "$T/counts.py" "$T/expect.json" "$T/b.json" "$T/b.pkg"
$conv $urls --strict -o "$T/bs.pkg" "$T/xwiki-links-baseurls.pkg" 2>/dev/null
is "$?" 1 "baseurls --strict: unresolved links fail the run"
spaceport-pack -q --verify "$T/xwiki-links-baseurls.zip" -o "$T/b.zip" "$T/b.pkg"
is "$?" 0 "baseurls: pack --verify says lossless"
spaceport-pack --verify "$T/xwiki-links-baseurls.zip" -o "$T/b2.zip" "$T/b.pkg" 2>"$T/verify.txt"
like "$(cat "$T/verify.txt")" 'links to the old server rewritten +0 +17 +rewritten' \
    "pack --verify explains the 17 rewritten links"

# --- xwiki-links-absolute: a /wiki context path; targets in other spaces --
$conv --server-url http://my.wiki.invalid/wiki --report "$T/a0.json" -o "$T/a0.pkg" \
    "$T/xwiki-links-absolute.pkg"
is "$?" 0 "absolute, no site index: exit 0"
check "absolute, no site index: no body changed" \
    cmp <(bodies "$T/xwiki-links-absolute.pkg") <(bodies "$T/a0.pkg")
is "$(python3 -c 'import json,sys; print(sum(1 for f in json.load(open(sys.argv[1]))["findings"] if f["code"] == "unresolved-link"))' "$T/a0.json")" \
    7 "absolute, no site index: the 7 links into other spaces reported, not guessed"

# Two other spaces' exports, written here: TEST (pages by title and id, an
# attachment) and ABDoc.  Page 4242 is in neither: it stays unresolved.
cat >"$T/site.py" <<'PY'
import os, sys, zipfile
def export(path, space_id, key, objs):
    x = ['<?xml version="1.0" encoding="UTF-8"?>\n<hibernate-generic datetime="2023-10-02 11:40:11">']
    x.append('<object class="Space" package="com.atlassian.confluence.spaces"><id name="id">%d</id>'
             '<property name="key"><![CDATA[%s]]></property><property name="name"><![CDATA[%s]]>'
             '</property></object>' % (space_id, key, key))
    for cls, oid, title, extra in objs:
        x.append('<object class="%s" package="com.atlassian.confluence.pages"><id name="id">%d</id>'
                 '<property name="title"><![CDATA[%s]]></property><property name="version">1'
                 '</property><property name="creationDate">2019-02-13 08:05:54.000</property>'
                 '<property name="contentStatus"><![CDATA[current]]></property>%s</object>'
                 % (cls, oid, title, extra))
    x.append("</hibernate-generic>\n")
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("entities.xml", "\n".join(x))
        z.writestr("exportDescriptor.properties", "exportType=space\nspaceKey=%s\n" % key)
sp = lambda i: '<property name="space" class="Space" package="com.atlassian.confluence.spaces"><id name="id">%d</id></property>' % i
d = sys.argv[1]
export(os.path.join(d, "TEST.zip"), 7001, "TEST", [
    ("Page", 18384226, "Maintenance Window (Post Checks)", sp(7001)),
    ("Page", 7100, "Deal Portal", sp(7001)),
    ("Page", 7101, "Archivist - Installation manual", sp(7001)),
    ("Page", 11045169, "Contracts", sp(7001)),
    ("Attachment", 7102, "MyFile.pdf", '<property name="containerContent" class="Page" '
     'package="com.atlassian.confluence.pages"><id name="id">11045169</id></property>'),
])
export(os.path.join(d, "ABDoc.zip"), 7002, "ABDoc", [
    ("Page", 7200, "Maciej_test", sp(7002)),
    ("Page", 134979879, "Data Privacy & Data Protection", sp(7002)),
])
PY
python3 "$T/site.py" "$T"
spaceport-extract -q --check --inventory "$T/TEST.db" "$T/TEST.zip"
spaceport-extract -q --check --inventory "$T/ABDoc.db" "$T/ABDoc.zip"
$conv --server-url http://my.wiki.invalid/wiki --site-index "$T/TEST.db" \
    --site-index "$T/ABDoc.db" --report "$T/a2.json" -o "$T/a2.pkg" "$T/xwiki-links-absolute.pkg"
is "$?" 0 "absolute, two site indexes: exit 0"
cat >"$T/abs_expect.py" <<'PY'
import json, sys
W = "http://my.wiki.invalid/wiki"
def pg(k, t): return '<ri:page ri:space-key="%s" ri:content-title="%s" />' % (k, t)
rows = [
    (W + "/display/TEST/Deal+Portal", pg("TEST", "Deal Portal"), None, "page-title", "cross-space"),
    (W + "/pages/viewpage.action?pageId=18384226", pg("TEST", "Maintenance Window (Post Checks)"),
     None, "page-id", "cross-space"),
    (W + "/pages/viewpage.action?pageId=4242", "-", None, "page-id", "unresolved"),
    (W + "/display/TEST/Archivist+-+Installation+manual",
     pg("TEST", "Archivist - Installation manual"), None, "page-title", "cross-space"),
    (W + "/display/ABDoc/Maciej_test", pg("ABDoc", "Maciej_test"), None, "page-title", "cross-space"),
    (W + "/pages/viewpage.action?pageId=134979879", pg("ABDoc", "Data Privacy &amp; Data Protection"),
     None, "page-id", "cross-space"),
    (W + "/download/attachments/11045169/MyFile.pdf?api=v2",
     '<ri:attachment ri:filename="MyFile.pdf">' + pg("TEST", "Contracts") + "</ri:attachment>",
     None, "attachment", "cross-space"),
]
json.dump(rows, sys.stdout)
PY
python3 "$T/abs_expect.py" >"$T/abs.json"
bodies "$T/xwiki-links-absolute.pkg" >"$T/a-in.txt"
bodies "$T/a2.pkg" >"$T/a-out.txt"
check "absolute: links into both other spaces rewritten with their keys, 4242 left" \
    python3 "$T/check_body.py" "$T/abs.json" "$T/a-in.txt" "$T/a-out.txt"
check "absolute: counts and findings" \
    python3 "$T/counts.py" "$T/abs.json" "$T/a2.json" "$T/a2.pkg"

# one merged site index gives the same package
"$TOP/tools/spaceport-site-index" "$T/site.db" "$T/TEST.db" "$T/ABDoc.db" 2>/dev/null
$conv --server-url http://my.wiki.invalid/wiki --site-index "$T/site.db" \
    -o "$T/a3.pkg" "$T/xwiki-links-absolute.pkg"
check "a merged site index: the same entities.xml" \
    cmp <(tar -xOf "$T/a2.pkg" entities.xml) <(tar -xOf "$T/a3.pkg" entities.xml)

# a site index that is not one: refused, one line, exit 1, nothing written
printf 'not a database' >"$T/bad.db"
$conv --server-url http://my.wiki.invalid/wiki --site-index "$T/bad.db" \
    -o "$T/bad.pkg" "$T/xwiki-links-absolute.pkg" 2>"$T/bad.err"
is "$?" 1 "a bad site index: exit 1"
like "$(head -1 "$T/bad.err")" "bad.db" "a bad site index: named"
check "a bad site index: no package" test ! -e "$T/bad.pkg"

# --- xwiki-links-broken: targets in no export ------------------------------
$conv --server-url http://my.wiki.invalid/wiki --report "$T/k.json" -o "$T/k.pkg" \
    "$T/xwiki-links-broken.pkg"
is "$?" 0 "broken: exit 0"
check "broken: bodies unchanged" \
    cmp <(bodies "$T/xwiki-links-broken.pkg") <(bodies "$T/k.pkg")

# --- bad arguments and packages ------------------------------------------
spaceport-convert --site-index "$T/TEST.db" -o "$T/s.pkg" "$T/xwiki-links-broken.pkg" 2>"$T/s.err"
is "$?" 2 "--site-index without --server-url: usage error"
like "$(head -1 "$T/s.err")" 'needs --server-url' "--site-index without --server-url: says why"
"$TOP/tools/spaceport-site" --site-index "$T/TEST.db" --cloud-users /dev/null -o "$T/so" "$T" 2>"$T/so.err"
is "$?" 2 "spaceport-site --site-index without --server-url: usage error"
spaceport-convert --server-url ftp://x -o "$T/u.pkg" "$T/xwiki-links-broken.pkg" 2>"$T/u.err"
is "$?" 2 "--server-url ftp://x: usage error"
like "$(cat "$T/u.err")" 'server-url ftp://x' "--server-url: says which"
# a package without content.tsv (an older extract): refused, not guessed
# (made as format 1 is: the directory form's manifest, every size known)
mkdir -p "$T/old" && python3 "$TOP/tests/pkgread.py" unpack "$T/xwiki-links-broken.pkg" "$T/old"
python3 - "$T/old" <<'PY'
import sys, os
d = sys.argv[1]
os.remove(os.path.join(d, "spaceport/content.tsv"))
m = os.path.join(d, "spaceport/manifest.tsv")
lines = [l for l in open(m).read().splitlines(True) if "spaceport/content.tsv" not in l]
lines[0] = "spaceport-package\t1\n"
open(m, "w").write("".join(lines))
PY
(cd "$T/old" && tar -cf "$T/old.pkg" spaceport/manifest.tsv $(awk -F'\t' '$1=="member"{print $2}' spaceport/manifest.tsv))
$conv -o "$T/old-off.pkg" "$T/old.pkg"
is "$?" 0 "an older package converts without --server-url"
$conv --server-url http://my.wiki.invalid/wiki -o "$T/old-on.pkg" "$T/old.pkg" 2>"$T/old.err"
is "$?" 1 "an older package with --server-url: refused"
like "$(cat "$T/old.err")" 'no spaceport/content.tsv' "refused: says why"
# a hostile content.tsv: one line naming the file and the line
printf 'class\tid\tspace\ttitle\tcreated\toriginal\tlive\tcontainer\nPage\t12x\t1\tT\t\t\t1\t\n' \
    >"$T/old/spaceport/content.tsv"
python3 - "$T/old" <<'PY'
import sys, os, zlib
d = sys.argv[1]
m = os.path.join(d, "spaceport/manifest.tsv")
b = open(os.path.join(d, "spaceport/content.tsv"), "rb").read()
out = []
for l in open(m).read().splitlines():
    f = l.split("\t")
    if f[0] == "member" and f[1] == "spaceport/relations.tsv":
        out.append(l)
        out.append("member\tspaceport/content.tsv\t%d\t%08x" % (len(b), zlib.crc32(b)))
    else:
        out.append(l)
open(m, "w").write("\n".join(out) + "\n")
PY
(cd "$T/old" && tar -cf "$T/hostile.pkg" spaceport/manifest.tsv $(awk -F'\t' '$1=="member"{print $2}' spaceport/manifest.tsv))
$conv --server-url http://my.wiki.invalid/wiki -o "$T/h.pkg" "$T/hostile.pkg" 2>"$T/h.err"
is "$?" 1 "a malformed content.tsv: exit 1"
like "$(cat "$T/h.err")" 'content.tsv:2: ' "a malformed content.tsv: file and line named"
is "$(wc -l <"$T/h.err" | tr -d ' ')" 1 "a malformed content.tsv: one line"

# --- --space-key and link rewriting agree -----------------------------------
# Links into the package's own space name no key, so a rename of the space
# (pack --space-key) cannot leave them on the old key; links the generator
# writes into its own space GEN are all of that kind.
"$TOP/bench/gen" --out "$T/sk" --pages 5 --seed links-sk --links >/dev/null
set --
while IFS= read -r u; do set -- "$@" --server-url "$u"; done <"$T/sk/server-urls.txt"
spaceport-extract -q "$T/sk/export.zip" | $conv "$@" -o "$T/sk.pkg"
spaceport-pack -q --space-key NEWKEY -o "$T/sk.zip" "$T/sk.pkg"
is "$?" 0 "--server-url, then pack --space-key NEWKEY: exit 0"
is "$(python3 - "$T/sk.zip" <<'PY'
import re, sys, zipfile
x = zipfile.ZipFile(sys.argv[1]).read("entities.xml").decode("utf-8")
old = len(re.findall(r'ri:space-key=(?:"|&quot;)GEN(?:"|&quot;)', x))
own = len(re.findall(r'<ri:page ri:content-title=', x)) + \
    len(re.findall(r'&lt;ri:page ri:content-title=', x))
print("old=%d own>0=%s" % (old, own > 0))
PY
)" "old=0 own>0=True" "after the rename no link names the old key; own-space links name none"

done_testing
