#!/usr/bin/env bash
# Link normalisation (issue 9) on generated exports: bench/gen --links writes
# every link form to the old server, and its truth in links.tsv (one row
# per link: where it is, its form, the expected outcome without and with
# the site indexes, the expected target).  The oracle is that file, the
# generator's own model, never spaceport's output.
#
# A Python checker reads the original and the converted entities.xml and,
# body by body, walks the links in order:
#  * a link expected resolved became the expected ac:link / ri:page /
#    ri:blog-post (posting day) / ri:attachment (file, container) /
#    ri:space, with ri:space-key only for another space, the anchor as
#    ac:anchor, and the link body's bytes kept; wiki [alias|URL] became
#    [alias|KEY:Title^file#anchor] as docs/links.md says;
#  * every other link is byte-for-byte as it was, and each unresolved one
#    has an unresolved-link finding with the URL as subject (count for
#    count), external ones none;
#  * every byte between the links is unchanged, and bodies without links
#    are unchanged;
#  * the report's links.forms and the manifest's convert.link.* facts
#    equal a recount of links.tsv.
# The checker is shown to fail on a corrupted truth (a title, an outcome,
# a link body), so its checks can fail.
# Site: converting one space's own export leaves links into the next space
# unresolved (not guessed); with that space's inventory (alone, or merged
# by tools/spaceport-site-index) they name its key.  --strict exits 1 with
# unresolved links; pack --verify still says lossless.
. "$(dirname "$0")/lib.sh"

GEN=$TOP/bench/gen
CHK=$T/check.py
cat >"$CHK" <<'PY'
import collections, csv, html, io, json, os, re, sys, zipfile
import xml.etree.ElementTree as ET
sys.path.insert(0, os.environ["TOP"] + "/tests")
import pkgread

tsv, orig_zip, pkg, report, mode, own = sys.argv[1:7]
col = "outcome_site" if mode == "site" else "outcome"
rows = list(csv.DictReader(open(tsv, encoding="utf-8", newline=""), delimiter="\t",
                           quoting=csv.QUOTE_NONE))

def bodies(data):
    out = {}
    for o in ET.fromstring(data).iter("object"):
        if o.get("class") != "BodyContent":
            continue
        oid = o.find("id").text
        for p in o.findall("property"):
            if p.get("name") == "body":
                out[oid] = p.text or ""
    return out

with zipfile.ZipFile(orig_zip) as z:
    orig = bodies(z.read("entities.xml"))
_, facts, members = pkgread.read(pkg)
conv = bodies(dict(members)["entities.xml"])
manifest = "".join("%s\t%s\n" % kv for kv in facts)
rep = json.load(open(report))

ATTRS = r'((?:\s+[\w:-]+="[^"]*")*)'
RI = re.compile(r'(?:<ri:attachment' + ATTRS + r'\s*>)?<ri:(page|blog-post|space)' + ATTRS +
                r'\s*/>(</ri:attachment>)?')
LINK = re.compile(r'<ac:link' + ATTRS + r'\s*>')

def attrs(s):
    return {k: html.unescape(v) for k, v in re.findall(r'([\w:-]+)="([^"]*)"', s or "")}

def want_ri(r):
    """(outer attachment attrs or None, kind, attrs) the row expects."""
    if r["target"] == "space":
        return None, "space", {"ri:space-key": r["space_key"]}
    a = {"ri:content-title": r["title"]}
    if r["space_key"]:
        a["ri:space-key"] = r["space_key"]
    kind = "page"
    if r["target"] == "blog-post":
        kind = "blog-post"
        a["ri:posting-day"] = r["posting_day"]
    outer = {"ri:filename": r["file"]} if r["target"] == "attachment" else None
    return outer, kind, a

def wiki_target(r):
    key = r["space_key"]
    if not key and ":" in r["title"]:
        key = own
    s = key + ":" if key else ""
    if r["target"] == "blog-post":
        s += "/%s/%s" % (r["posting_day"], r["title"])
    elif r["target"] in ("page", "attachment"):
        s += r["title"]
    if r["file"]:
        s += "^" + r["file"]
    if r["anchor"]:
        s += "#" + r["anchor"]
    return s

def match_ri(c, pos, r):
    m = RI.match(c, pos)
    if not m:
        return None, "no resource identifier at %r" % c[pos:pos + 120]
    outer, kind, a = want_ri(r)
    got = (attrs(m.group(1)) if m.group(1) is not None else None, m.group(2), attrs(m.group(3)))
    if (m.group(1) is None) != (m.group(4) is None):
        return None, "ri:attachment not closed: %r" % m.group(0)
    if got != (outer, kind, a):
        return None, "RI %r, expected %r" % (got, (outer, kind, a))
    return m.end(), None

def match_rewritten(c, pos, r, site):
    shape = r["shape"]
    if shape.startswith("wiki"):
        pre = site[:site.index("|") + 1] if shape == "wiki-alias" else "["
        want = pre + wiki_target(r) + "]"
        if not c.startswith(want, pos):
            return None, "wiki %r, expected %r" % (c[pos:pos + len(want) + 20], want)
        return pos + len(want), None
    if shape == "image-url":
        pre = site[:site.index(">") + 1]
        if not c.startswith(pre, pos):
            return None, "image start changed"
        end, why = match_ri(c, pos + len(pre), r)
        if why:
            return None, why
        return (end + 11, None) if c.startswith("</ac:image>", end) else (None, "no </ac:image>")
    m = LINK.match(c, pos)
    if not m:
        return None, "no ac:link at %r" % c[pos:pos + 80]
    la = attrs(m.group(1))
    if la != ({"ac:anchor": r["anchor"]} if r["anchor"] else {}):
        return None, "ac:link attributes %r, anchor %r" % (la, r["anchor"])
    end, why = match_ri(c, m.end(), r)
    if why:
        return None, why
    if shape == "a-body":
        rest = "<ac:link-body>" + site[site.index(">") + 1:-len("</a>")] + \
            "</ac:link-body></ac:link>"
    elif shape == "ac-link-url":
        rest = site[site.index("/>") + 2:]
    else:                       # a-empty, content-entity
        rest = "</ac:link>"
    if not c.startswith(rest, end):
        return None, "after the RI %r, expected %r" % (c[end:end + len(rest)], rest)
    return end + len(rest), None

byb = collections.OrderedDict()
for r in rows:
    byb.setdefault(r["body_id"], []).append(r)
res = collections.Counter()
bad = collections.defaultdict(list)
for bid, rs in byb.items():
    o, c = orig.get(bid), conv.get(bid)
    if o is None or c is None:
        bad["bodies"].append("body %s missing" % bid)
        continue
    po = pc = 0
    for r in rs:
        site = r["site"].replace("]]", "]] ")       # the writer's CDATA escape
        i = o.find(site, po)
        if i < 0:
            bad["truth"].append("body %s: site %r not in the export" % (bid, site))
            break
        gap = o[po:i]
        if not c.startswith(gap, pc):
            bad["between"].append("body %s: bytes before %r changed" % (bid, r["url"]))
            break
        pc += len(gap)
        po = i + len(site)
        outcome = r[col]
        if outcome in ("rewritten", "cross-space"):
            end, why = match_rewritten(c, pc, r, site)
            if why:
                bad["resolved"].append("body %s: %s: %s" % (bid, r["url"], why))
                break
            res["resolved"] += 1
            pc = end
        else:
            if not c.startswith(site, pc):
                bad["kept"].append("body %s: %s (%s) changed: %r" % (
                    bid, r["url"], outcome, c[pc:pc + len(site) + 40]))
                break
            res["kept"] += 1
            pc += len(site)
    else:
        if o[po:] != c[pc:]:
            bad["between"].append("body %s: bytes after the last link changed" % bid)
for bid in orig:
    if bid not in byb and orig[bid] != conv.get(bid):
        bad["others"].append("body %s (no links) changed" % bid)

def show(k, n):
    print("%s\t%s" % (k, "ok %d" % n if not bad[k] else "; ".join(bad[k][:3])))

show("resolved", res["resolved"])
show("kept", res["kept"])
show("between", len(byb))
show("others", len(orig) - len(byb))
show("truth", len(rows))

# findings: one unresolved-link per unresolved row, subject = the URL
want = collections.Counter(r["url"] for r in rows if r[col] == "unresolved")
got = collections.Counter(f["subject"] for f in rep["findings"] if f["code"] == "unresolved-link")
ext = set(r["url"] for r in rows if r[col] == "left-external")
bad["findings"] = ["missing %r x%d" % (k, n) for k, n in (want - got).items()] + \
    ["extra %r x%d" % (k, n) for k, n in (got - want).items()] + \
    ["external reported: %r" % u for u in ext & set(got)]
show("findings", sum(want.values()))

# counts: report and manifest against a recount of the truth
recount = collections.Counter((r["form"], r[col]) for r in rows)
rc = collections.Counter()
for form, d in rep["links"]["forms"].items():
    for oc, n in d.items():
        if n:
            rc[(form, oc)] = n
bad["report"] = ["%s/%s: report %d, truth %d" % (k + (rc[k], recount[k]))
                 for k in sorted(set(rc) | set(recount)) if rc[k] != recount[k]]
show("report", sum(recount.values()))
mc = collections.Counter()
for line in manifest.splitlines():
    k, _, v = line.partition("\t")
    p = k.split(".")
    if len(p) == 4 and p[:2] == ["convert", "link"] and \
            p[3] in ("rewritten", "cross-space", "left-external", "unresolved"):
        mc[(p[2], p[3])] = int(v)
bad["manifest"] = ["%s/%s: manifest %d, truth %d" % (k + (mc[k], recount[k]))
                   for k in sorted(set(mc) | set(recount)) if mc[k] != recount[k]]
show("manifest", sum(recount.values()))
for k in ("rewritten", "cross-space", "unresolved", "left-external"):
    print("n-%s\t%d" % (k, sum(1 for r in rows if r[col] == k)))
PY

# checkall LABEL TSV ORIG.zip PKG REPORT MODE KEY: one TAP line per check
checkall() {
	local label=$1 k v
	python3 "$CHK" "${@:2}" >"$T/chk.out" 2>"$T/chk.err" ||
	    { cat "$T/chk.err" >&2; echo "checker crashed" >"$T/chk.out"; }
	for k in resolved kept between others truth findings report manifest; do
		v=$(awk -F'\t' -v k="$k" '$1 == k { print $2 }' "$T/chk.out")
		like "$v" '^ok [0-9]+$' "$label: $k"
	done
}
nval() { awk -F'\t' -v k="n-$1" '$1 == k { print $2 }' "$T/chk.out"; }

urls() { sed 's/^/--server-url /' "$1"; }

# convcheck LABEL PKG KEY MODE DIR OUT [OPTION...]: convert PKG (space KEY)
# with DIR/server-urls.txt and the options to $T/OUT.pkg; it exits 0 and
# passes every check against DIR/links.tsv (MODE nosite or site)
convcheck() {
	local label=$1 pkg=$2 key=$3 mode=$4 d=$5 o=$6
	shift 6
	run spaceport-convert -q --unmapped former $(urls "$d/server-urls.txt") "$@" \
	    --report "$T/$o.json" -o "$T/$o.pkg" "$pkg"
	is "$rc" 0 "$label: convert exits 0"
	checkall "$label" "$d/links.tsv" "$d/export.zip" "$T/$o.pkg" "$T/$o.json" "$mode" "$key"
}

# --- one space: both writer styles; 4.x data without attachments ------------------------------------------
for style in legacy new 4x; do
	g=$T/g-$style
	case $style in
	4x) opts="--era 4x --style new --attachments-per-page 0" ;;
	*) opts="--style $style" ;;
	esac
	"$GEN" --out "$g" --pages 20 $opts --links >/dev/null
	check "$style: gen --links writes links.tsv and server-urls.txt" \
	    test -s "$g/links.tsv" -a -s "$g/server-urls.txt"
	spaceport-extract -q -o "$T/x-$style.pkg" "$g/export.zip"
	convcheck "$style" "$T/x-$style.pkg" GEN nosite "$g" "y-$style"
	for k in rewritten unresolved left-external; do
		like "$(nval $k)" '^[1-9][0-9]*$' "$style: the truth has $k links"
	done
done
g=$T/g-legacy

# --- the checker can fail ----------------------------------------------------
# a wrong title, a wrong outcome, a wrong link body, a wrong count
python3 - "$g/links.tsv" "$T/bad" <<'PY'
import sys
src, out = sys.argv[1], sys.argv[2]
lines = open(src, encoding="utf-8").read().split("\n")
h = lines[0].split("\t")
def mutate(name, fn):
    done = False
    res = [lines[0]]
    for l in lines[1:]:
        if l and not done:
            r = dict(zip(h, l.split("\t")))
            nl = fn(r)
            if nl is not None:
                done = True
                l = "\t".join(nl[k] for k in h)
        res.append(l)
    open(out + "-" + name + ".tsv", "w", encoding="utf-8").write("\n".join(res))
def title(r):
    if r["outcome"] == "rewritten" and r["target"] == "page" and r["shape"] == "a-body":
        r["title"] += "x"; return r
def outcome(r):
    if r["outcome"] == "unresolved" and r["form"] == "page-id":
        r["outcome"] = r["outcome_site"] = "rewritten"; r["target"] = "page"; r["title"] = "X"
        return r
def day(r):
    if r["target"] == "blog-post" and r["shape"] == "wiki-alias":
        r["posting_day"] = "2001/01/01"; return r
def anchor(r):
    if r["outcome"] == "rewritten" and r["shape"] == "ac-link-url":
        r["anchor"] = ""; return r
mutate("title", title); mutate("outcome", outcome); mutate("day", day); mutate("anchor", anchor)
PY
for m in title outcome day anchor; do
	python3 "$CHK" "$T/bad-$m.tsv" "$g/export.zip" "$T/y-legacy.pkg" "$T/y-legacy.json" \
	    nosite GEN >"$T/chk.out" 2>&1
	# it ran to the end (the truth's sites were all found) and said no
	is "$(awk -F'\t' '$1 == "manifest" { m = 1 } $1 == "truth" { t = $2 }
	    $1 !~ /^n-/ && $2 !~ /^ok / { n++ } END { print m, (t ~ /^ok / ? "ran" : t), (n > 0) }' \
	    "$T/chk.out")" "1 ran 1" "the checker fails on a corrupted truth ($m)"
done

# --- --strict, pack --verify ---------------------------------------------------
run spaceport-convert --strict --unmapped former $(urls "$g/server-urls.txt") \
    -o "$T/strict.pkg" "$T/x-legacy.pkg"
is "$rc" 1 "--strict exits 1 when links are unresolved"
like "$err" "unresolved-link +$(awk -F'\t' '$7 == "unresolved"' "$g/links.tsv" | wc -l)\$" \
    "--strict: the summary counts every unresolved link of the truth"
run spaceport-pack --verify "$g/export.zip" -o "$T/cloud.zip" "$T/y-legacy.pkg"
is "$rc" 0 "pack --verify on the converted package exits 0"
like "$err" 'result: lossless' "pack --verify still says lossless"
n=$(awk -F'\t' '$7 == "rewritten" || $7 == "cross-space"' "$g/links.tsv" | wc -l)
like "$err" "links to the old server rewritten +0 +$n +rewritten" \
    "pack --verify explains the $n rewrites of the truth"

# --- two generated spaces of one site ------------------------------------------
s=$T/site
"$GEN" --out "$s" --site 3 --pages 6 --links --store v4 >/dev/null
for k in GEN OPS DOC; do
	spaceport-extract -q --inventory "$T/$k.db" -o "$T/$k.pkg" "$s/space-$k/export.zip"
done
check "the site's links.tsv is the spaces' rows" test "$(tail -qn +2 \
    "$s"/space-*/links.tsv | sort | md5sum)" = "$(tail -n +2 "$s/links.tsv" | sort | md5sum)"
x=$(awk -F'\t' '$7 == "unresolved" && $8 == "cross-space"' "$s/space-GEN/links.tsv" | wc -l)
like "$x" '^[1-9][0-9]*$' "GEN links into OPS ($x), resolvable only with OPS's index"

convcheck "GEN without index" "$T/GEN.pkg" GEN nosite "$s/space-GEN" gen0
is "$(nval cross-space)" 0 "without an index nothing is expected cross-space"

convcheck "GEN with OPS index" "$T/GEN.pkg" GEN site "$s/space-GEN" gen1 \
    --site-index "$T/OPS.db"
is "$(nval cross-space)" "$x" "with OPS's index every link into OPS is cross-space"

run "$TOP/tools/spaceport-site-index" "$T/merged.db" "$T/GEN.db" "$T/OPS.db" "$T/DOC.db"
is "$rc" 0 "spaceport-site-index merges the three inventories"
convcheck "OPS with merged index" "$T/OPS.pkg" OPS site "$s/space-OPS" ops \
    --site-index "$T/merged.db"
run spaceport-pack --verify "$s/space-OPS/export.zip" -o "$T/ops.zip" "$T/ops.pkg"
is "$rc" 0 "pack --verify on OPS with cross-space rewrites exits 0"
like "$err" 'result: lossless' "pack --verify on OPS says lossless"

done_testing
