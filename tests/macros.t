#!/usr/bin/env bash
# Macro assessment: the compatibility table (data/macro-compat.tsv: sorted,
# unique, every row sourced, compiled in), the macro verdicts of extract's
# inventory, report and findings, Jira application links, and
# spaceport-convert --jira-server.
. "$(dirname "$0")/lib.sh"

TSV=$TOP/data/macro-compat.tsv
GEN=$TOP/tools/gen-macro-compat

# --- the table ----------------------------------------------------------
grep -v '^#' "$TSV" >"$T/rows"
check "table: rows in C-locale order" sort -c "$T/rows"
is "$(cut -f1 "$T/rows" | sort | uniq -d | tr '\n' ' ')" "" "table: macro names unique"
is "$(awk -F '\t' 'NF != 7' "$T/rows" | wc -l)" 0 "table: 7 tab-separated fields on every row"
is "$(awk -F '\t' '$6 !~ /^https:\/\//' "$T/rows" | cut -f1 | tr '\n' ' ')" "" \
    "table: every row has a source URL"
is "$(awk -F '\t' '$3 !~ /^(same|renamed|needs-app|not-available)$/' "$T/rows" | wc -l)" 0 \
    "table: Cloud status is same|renamed|needs-app|not-available"
is "$(awk -F '\t' '$7 !~ /^(confirmed|likely|uncertain)$/' "$T/rows" | wc -l)" 0 \
    "table: certainty is confirmed|likely|uncertain"
is "$(awk -F '\t' '($3 == "renamed") != ($4 != "")' "$T/rows" | wc -l)" 0 \
    "table: a Cloud name exactly on renamed rows"
is "$(awk -F '\t' '$5 == ""' "$T/rows" | wc -l)" 0 "table: every row has a note"
n=$(wc -l <"$T/rows")
check "table: at least 70 macros ($n)" test "$n" -ge 70
# macros every Server 7.x-9.x ships: all present
for m in anchor attachments children code details detailssummary excerpt excerpt-include \
    expand gadget html html-include include info jira jirachart jiraissues note noformat \
    panel recently-updated roadmap status tasks-report-macro tip toc userlister \
    view-file warning widget; do
	check "table has $m" grep -q "^$m	" "$T/rows"
done
# the generator is what the build runs; it refuses what the test refuses
check "generator accepts the table" sh -c "'$GEN' '$TSV' >'$T/gen.c'"
is "$(grep -c '^	{ "' "$T/gen.c")" "$n" "generator: one C row per table row"
printf 'b\t7\tsame\t\tn\thttps://x\tlikely\na\t7\tsame\t\tn\thttps://x\tlikely\n' >"$T/unsorted.tsv"
printf 'a\t7\tsame\t\tn\thttps://x\tlikely\na\t7\tsame\t\tn\thttps://x\tlikely\n' >"$T/dup.tsv"
printf 'a\t7\tsame\t\tn\t\tlikely\n' >"$T/nosrc.tsv"
printf 'a\t7\tbroken\t\tn\thttps://x\tlikely\n' >"$T/status.tsv"
printf 'a\t7\trenamed\t\tn\thttps://x\tlikely\n' >"$T/noname.tsv"
for f in unsorted dup nosrc status noname; do
	"$GEN" "$T/$f.tsv" >/dev/null 2>"$T/gen.err"
	is "$?" 1 "generator refuses a table: $f"
done
like "$(cat "$T/gen.err")" 'unsorted|noname.tsv:1: cloud_name' "generator says why, with file and line"

# --- a generated export: every kind of macro gets its verdict -------------
python3 "$FIX/macros/genexport.py" "$T/gen"
(cd "$T/gen" && zip -qX "$T/gen.zip" entities.xml exportDescriptor.properties)
run spaceport-extract --check --report "$T/gen.json" --inventory "$T/gen.db" "$T/gen.zip"
is "$rc" 0 "extract --check on the generated export"
run spaceport-extract -q --check --strict "$T/gen.zip"
is "$rc" 1 "--strict fails on macros Cloud will not render"
# what the program said about each row of the generator's truth (one
# python run: its start-up is slow on a loaded machine)
python3 - "$T/gen.json" "$T/gen/truth.tsv" >"$T/gen.got" <<'PY'
import json, re, sys
r = json.load(open(sys.argv[1]))
for line in open(sys.argv[2]):
    kind, a = line.rstrip("\n").split("\t")[:2]
    if kind == "verdict":
        fs = [f for f in r["findings"] if f["subject"] == a]
        codes = [f["code"] for f in fs if f["code"].startswith("macro-")]
        ids = set()
        for f in fs:
            ids |= set(re.findall(r"\((?:Page|BlogPost|Comment) (\d+)\)",
                                  f["message"]))
        m = [x for x in r["macros"]["macros"] if x["macro"] == a]
        print(",".join(codes) or ("none" if m else "absent"),
              ",".join(sorted(ids)) or "-")
    elif kind == "nested":
        print(",".join(f["code"] for f in r["findings"]
                       if f["subject"] == a) or "none")
    elif kind == "legacy":
        print(r["macros"]["jira_legacy_url"])
    else:
        print("-")
print(sorted(r["findings_by_code"].items()))
PY
exec 3<"$T/gen.got"
while IFS='	' read -r kind a b c; do
	IFS= read -r got <&3
	case $kind in
	verdict)
		want_pages=$c
		{ [ "$b" = none ] || [ "$b" = absent ]; } && want_pages=-
		is "$got" "$b $want_pages" "generated: $a -> ${b} (pages $want_pages)"
		;;
	nested)
		is "$got" "$b" "generated: nesting $a -> $b"
		;;
	jira)
		sid=$b; [ "$b" = - ] && sid=
		got=$(sqlite3 "$T/gen.db" "SELECT uses FROM jira_links WHERE server = '$a'
		    AND coalesce(server_id, '') = '$sid'")
		is "$got" "$c" "generated: Jira link $a ${b} used $c times (inventory)"
		;;
	legacy)
		is "$got" "$a" "generated: $a legacy url= Jira macro"
		;;
	esac
done <"$T/gen/truth.tsv"
IFS= read -r got <&3
exec 3<&-
like "$got" \
    "^\[\('jira-legacy-url', 1\), \('macro-nested', 1\), \('macro-unknown', 4\), \('macro-unsupported', 3\)\]$" \
    "generated: exactly these findings"
# the inventory's verdict view agrees
is "$(sqlite3 "$T/gen.db" "SELECT group_concat(macro || '=' || cloud, ' ') FROM
    (SELECT macro, cloud FROM macro_compat WHERE macro IN ('toc', 'jiraissues',
    'html', 'gadget', 'my-user-macro', 'gliffy') ORDER BY macro)")" \
    "gadget=not-available gliffy=unknown html=needs-app jiraissues=renamed my-user-macro=unknown toc=same" \
    "inventory macro_compat: built-in, renamed, needs-app, not-available, user and app macros"
is "$(sqlite3 "$T/gen.db" "SELECT group_concat(DISTINCT title) FROM (SELECT title FROM
    broken_macros WHERE live = 1 ORDER BY title)")" \
    "App macros,Jira,Nested,Renamed,Unsupported,User macro" \
    "inventory broken_macros: the live pages that will show a broken macro"
is "$(sqlite3 "$T/gen.db" "SELECT outer || '>' || inner || '=' || cloud_container FROM macro_nested
    ORDER BY 1" | tr '\n' ' ')" "details>status=1 expand>toc=1 ui-tabs>jira=0 " \
    "inventory macro_nested: containers told apart"
is "$(sqlite3 "$T/gen.db" "SELECT count(*) FROM macro_compat_table")" "$n" \
    "inventory carries the whole compatibility table"
# the recount agrees with the program on the generated export too

# a clean export (built-in macros only): no finding, --strict passes
python3 - "$T/clean" <<'PY'
import os, sys
d = sys.argv[1]
os.makedirs(d)
open(os.path.join(d, "exportDescriptor.properties"), "w").write(
    "exportType=space\nspaceKey=OK\n")
open(os.path.join(d, "entities.xml"), "w").write(
    '<?xml version="1.0" encoding="UTF-8"?><hibernate-generic>'
    '<object class="Page" package="p"><id name="id">1</id>'
    '<property name="title"><![CDATA[A]]></property></object>'
    '<object class="BodyContent" package="p"><id name="id">2</id>'
    '<property name="body"><![CDATA[<ac:structured-macro ac:name="toc"/>'
    '<ac:structured-macro ac:name="info"><ac:rich-text-body>'
    '<ac:structured-macro ac:name="expand"/></ac:rich-text-body>'
    '</ac:structured-macro>]]></property>'
    '<property name="content" class="Page" package="p"><id name="id">1</id>'
    '</property><property name="bodyType">2</property></object>'
    '</hibernate-generic>')
PY
(cd "$T/clean" && zip -qX "$T/clean.zip" entities.xml exportDescriptor.properties)
run spaceport-extract -q --check --strict "$T/clean.zip"
is "$rc" 0 "built-in macros only (info > expand nesting): --strict passes"

# --- real exports (and the generated one): every macro, nesting and Jira
# link against an independent recount ----------------------------------
zips="$(fixture_zips "$T/fx") $T/gen.zip"
mkdir -p "$T/rc" "$T/mine"
python3 "$FIX/macros/recount.py" -d "$T/rc" $zips 2>"$T/rc.err"
for z in $zips; do
	b=$(basename "$z" .zip)
	spaceport-extract -q --check --report "$T/mine/$b.json" --inventory "$T/mine/$b.db" \
	    "$z" 2>/dev/null
done
python3 - "$T/mine" <<'PY'
import glob, json, os, sys
for p in glob.glob(os.path.join(sys.argv[1], "*.json")):
    with open(p[:-5] + ".macros", "w") as f:
        for m in json.load(open(p))["macros"]["macros"]:
            f.write("macro\t%s\t%d\t%d\t%d\n" % (m["macro"], m["uses"],
                    m["pages"], m["live_pages"]))
PY
for z in $zips; do
	b=$(basename "$z" .zip)
	if [ ! -f "$T/rc/$b.txt" ]; then
		skip "$b: the recount cannot read it"
		continue
	fi
	grep '^macro' "$T/rc/$b.txt" >"$T/want" || true
	check "$b: macros, uses, pages, live pages = the recount's" \
	    diff "$T/want" "$T/mine/$b.macros"
	sqlite3 -separator '	' "$T/mine/$b.db" "SELECT 'nest', outer, inner, uses
	    FROM macro_nested ORDER BY outer, inner" >"$T/got"
	grep '^nest' "$T/rc/$b.txt" >"$T/want" || true
	check "$b: nestings = the recount's" diff "$T/want" "$T/got"
	sqlite3 -separator '	' "$T/mine/$b.db" "SELECT 'jira', coalesce(server, '-'),
	    coalesce(server_id, '-'), uses, pages FROM jira_links ORDER BY 2, 3" >"$T/got"
	grep '^jira' "$T/rc/$b.txt" | grep -v '	url	url	' >"$T/want" || true
	check "$b: Jira links = the recount's" diff "$T/want" "$T/got"
done
is "$(cut -f2- "$T/rc/xwiki-jira-macros.txt" | grep -c .)" 4 \
    "the recount sees the Jira fixture (2 macros, 2 links)"

# --- spaceport-convert --jira-server on the real Jira fixture -------------
CU=$FIX/users/cloud-users.csv
OLD=520ce16e-e768-373b-b327-d7568ea882d1
NEW=0f0e0d0c-0b0a-4908-8706-050403020100
NEW2=11112222-3333-4444-5555-666677778888
spaceport-extract -q "$T/fx/xwiki-jira-macros.zip" >"$T/jp.tar"
# jconv NAME ARGS...: convert the Jira fixture's package; sets rc, err,
# $T/NAME.json and $T/NAME.xml (the entities.xml written), and the
# recount of the output in $T/rc/NAME.txt
jconv() {
	local n=$1; shift
	run spaceport-convert --unmapped former --report "$T/$n.json" -o "$T/$n.tar" "$@" "$T/jp.tar"
	tar -xOf "$T/$n.tar" entities.xml >"$T/$n.xml" 2>/dev/null
}
jconv j0
is "$rc" 0 "convert without --jira-server"
jconv j1 --jira-server "$OLD=$NEW"
is "$rc" 0 "convert --jira-server OLD=NEW"
jconv j2 --jira-server "$OLD=$NEW" --jira-server "Jira ID=$NEW2,Cloud Jira"
is "$rc" 0 "convert --jira-server twice (a serverId and a server name)"
python3 "$FIX/macros/recount.py" -d "$T/rc" "$T/j0.xml" "$T/j1.xml" "$T/j2.xml"
python3 - "$T" <<'PY' >"$T/jconv.got"
import json, os, re, sys
t = sys.argv[1]
inp = open(os.path.join(t, "fx/xwiki-jira-macros.d/entities.xml")).read()
strip = lambda s: re.sub(r'<ac:parameter ac:name="server(Id)?">[^<]*'
                         r'</ac:parameter>', "", s)
for n in ("j0", "j1", "j2"):
    r = json.load(open(os.path.join(t, n + ".json")))
    print(n, "findings", sorted((f["code"], f["subject"]) for f in r["findings"]))
    print(n, "rewritten", r["jira"]["rewritten"], "unmapped",
          sorted((u["server"], u["server_id"] or "-", u["macros"])
                 for u in r["jira"]["unmapped"]))
    out = open(os.path.join(t, n + ".xml")).read()
    print(n, "rest", strip(out) == strip(inp))
PY
sed 's/^/# /' "$T/jconv.got" >&2
jl() { grep '^jira' "$T/rc/$1.txt" | cut -f2- | tr '\t\n' '| '; }
is "$(jl j0)" "Jira ID|-|1|1 Jira ID|$OLD|7|1 " "without --jira-server: the Server links are left (recount of the output)"
is "$(jl j1)" "Jira ID|-|1|1 System Jira|$NEW|7|1 " "--jira-server: the 7 macros on $OLD point at the Cloud link, server=System Jira"
is "$(jl j2)" "Cloud Jira|$NEW2|1|1 System Jira|$NEW|7|1 " "a macro without serverId mapped by its server name gets one"
while read -r n what rest; do
	case "$n $what" in
	"j0 findings") is "$rest" "[('jira-unmapped', '$OLD'), ('jira-unmapped', 'Jira ID')]" \
	    "without --jira-server: both links reported as jira-unmapped";;
	"j1 findings") is "$rest" "[('jira-unmapped', 'Jira ID')]" \
	    "--jira-server: the unmapped link is still reported";;
	"j2 findings") is "$rest" "[]" "every link mapped: no finding";;
	"j0 rewritten") is "$rest" "0 unmapped [('Jira ID', '-', 1), ('Jira ID', '$OLD', 7)]" "j0: report";;
	"j1 rewritten") is "$rest" "7 unmapped [('Jira ID', '-', 1)]" "j1: report";;
	"j2 rewritten") is "$rest" "8 unmapped []" "j2: report";;
	"j0 rest") is "$rest" "True" "j0: entities.xml unchanged apart from server/serverId";;
	"j1 rest") is "$rest" "True" "j1: nothing but server/serverId changed";;
	"j2 rest") is "$rest" "True" "j2: nothing but server/serverId changed";;
	esac
done <"$T/jconv.got"
check "j2 output is well-formed" xmllint --noout --nonet "$T/j2.xml"
like "$(grep -c 'Jira macro' <<<"$err")" '^0$' "j2: no Jira warning on stderr"
# unused mapping, usage errors
jconv j3 --jira-server "nosuch=$NEW"
like "$err" "jira-map-unused|--jira-server nosuch=$NEW: no Jira macro uses nosuch" \
    "a mapping no macro uses is reported"
for bad in "$OLD" "$OLD=" "$OLD=not-a-uuid" "=$NEW" "$OLD=$NEW," \
    "$OLD=${NEW}x"; do
	run spaceport-convert --unmapped former --jira-server "$bad" -o "$T/bad.tar" "$T/jp.tar"
	is "$rc" 2 "--jira-server '$bad' is a usage error"
	check "--jira-server '$bad': nothing written" test ! -e "$T/bad.tar"
done
run spaceport-convert --unmapped former --jira-server "$OLD=$NEW" --jira-server "$OLD=$NEW2" \
    -o "$T/bad.tar" "$T/jp.tar"
is "$rc" 2 "the same OLDID twice is a usage error"
run spaceport-convert --unmapped former --strict -o "$T/s.tar" "$T/jp.tar"
is "$rc" 1 "--strict: unmapped Jira links fail convert"
# the whole pipeline: the packed zip carries the Cloud ids
spaceport-convert -q --unmapped former --jira-server "$OLD=$NEW" "$T/jp.tar" |
    spaceport-pack -q >"$T/j.zip"
is "$(unzip -p "$T/j.zip" entities.xml | grep -c "$NEW")" 7 "the packed zip has the 7 Cloud ids"

# the generated export: legacy url= macros are reported, never rewritten
spaceport-extract -q "$T/gen.zip" >"$T/gp.tar"
run spaceport-convert --unmapped former --report "$T/g.json" \
    --jira-server "11111111-2222-3333-4444-555555555555=$NEW" -o "$T/g.tar" "$T/gp.tar"
is "$rc" 0 "convert the generated export"
like "$err" "jira-legacy-url|legacy Jira macro names issues by the Server Jira's URL" \
    "convert reports the legacy url= macro"
tar -xOf "$T/g.tar" entities.xml >"$T/g.xml"
python3 "$FIX/macros/recount.py" -d "$T/rc" "$T/g.xml"
is "$(jl g)" "Old JIRA|-|1|1 Other JIRA|aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee|2|1 System Jira|$NEW|4|2 url|url|1|1 " \
    "generated: the 4 macros on the mapped link rewritten, the others left (recount)"

done_testing
