#!/usr/bin/env bash
# The whole pipeline, standard input to standard output, on every real
# export fixture and on generated exports in both writer styles:
#
#   spaceport-extract < x.zip | spaceport-convert --cloud-users u.csv \
#       --unmapped former | spaceport-pack --verify x.zip > out.zip
#
# Checked: exit 0 (so --verify found nothing unexplained), a valid zip,
# well-formed entities.xml, every attachment and carried member identical
# to the original, collections rebuilt for 8.3+ exports (object by object,
# fixtures/pack/checkcoll.py), extract reading the output back with no new
# findings, and identical bytes across TZ/umask/file-vs-pipe.
. "$(dirname "$0")/lib.sh"
set -o pipefail

if [ -x "$BIN/spaceport-convert" ]; then have_convert=1; else have_convert=0; fi
GEN=$TOP/bench/gen

# pipeline ZIP USERS.csv OUT.zip [pack options]: the three stages in a pipe.
# Without spaceport-convert (while it is being written) extract's package
# goes to pack with --force.  Sets rc; stderr in $T/pipe.err.
pipeline() {
	local z=$1 u=$2 o=$3
	shift 3
	if [ "$have_convert" = 1 ]; then
		spaceport-extract -q <"$z" 2>"$T/pipe.err" |
		    spaceport-convert --cloud-users "$u" --unmapped former 2>>"$T/pipe.err" |
		    spaceport-pack -q --verify "$z" "$@" >"$o" 2>>"$T/pipe.err"
	else
		spaceport-extract -q <"$z" 2>"$T/pipe.err" |
		    spaceport-pack -q --force --verify "$z" "$@" >"$o" 2>>"$T/pipe.err"
	fi
	rc=$?
}

# findings_not_more A.json B.json: every finding code of B is at most as
# frequent as in A (the output adds no finding to the input's).
findings_not_more() {
	python3 - "$1" "$2" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))["findings_by_code"]
b = json.load(open(sys.argv[2]))["findings_by_code"]
bad = {k: (a.get(k, 0), v) for k, v in b.items() if v > a.get(k, 0)}
if bad:
    print("new findings (original, output):", bad)
    sys.exit(1)
PY
}

# check_one NAME ZIP USERS.csv: the checks on one export.
check_one() {
	local n=$1 z=$2 u=$3 o=$T/out-$1.zip bad f w rows got
	pipeline "$z" "$u" "$o" --report "$T/rep-$n.json"
	is "$rc" 0 "$n: extract | convert | pack --verify exits 0"
	[ "$rc" = 0 ] || sed 's/^/# /' "$T/pipe.err" | head -20 >&2
	check "$n: output is a valid zip" unzip -tq "$o"
	unzip -p "$o" entities.xml >"$T/o-$n.xml"
	check "$n: entities.xml well-formed" xmllint --noout --nonet --huge "$T/o-$n.xml"
	is "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["verify"]["result"])' "$T/rep-$n.json" 2>/dev/null)" \
	    lossless "$n: report says lossless"
	bad=0
	for f in $(unzip -Z1 "$z" | grep -v '/$' | grep -v '^entities.xml$\|^exportDescriptor.properties$'); do
		cmp -s <(unzip -p "$z" "$f") <(unzip -p "$o" "$f") || bad=$((bad + 1))
	done
	is "$bad" 0 "$n: attachments and other members identical (unzip -p)"
	is "$(unzip -Z1 "$o" | grep -c '^attachments/')" "$(unzip -Z1 "$z" | grep -v '/$' | grep -c '^attachments/')" \
	    "$n: same number of attachment files"
	# pipeline eats its own output
	spaceport-extract -q --report "$T/fa-$n.json" -o /dev/null "$z" 2>/dev/null
	rm -rf "$T/back"
	spaceport-extract -q --report "$T/fb-$n.json" -d "$T/back" "$o" 2>/dev/null
	check "$n: extract reads the output back with no new findings" findings_not_more "$T/fa-$n.json" "$T/fb-$n.json"
	rm -rf "$T/in"
	spaceport-extract -q -d "$T/in" "$z" 2>/dev/null
	w=$(mval "$T/in/spaceport/manifest.tsv" writer)
	rows=$(($(wc -l <"$T/in/spaceport/relations.tsv") - 1))
	# extract calls an export "legacy" when it has parent->child
	# collections; one with no relation at all has nothing to rebuild
	if [ "$w" = new ] && [ "$rows" = 0 ]; then w=none; else w=legacy; fi
	got=$(mval "$T/back/spaceport/manifest.tsv" writer)
	[ "$got" = new ] && [ "$w" = none ] && got=none
	is "$got" "$w" "$n: output reads as a legacy-writer export (unless nothing to rebuild)"
	# 8.3+ exports: collections rebuilt, object by object
	if [ "$(mval "$T/in/spaceport/manifest.tsv" writer)" = new ]; then
		check "$n: 8.3+ export: collections rebuilt from relations.tsv (checked object by object)" \
		    python3 "$FIX/pack/checkcoll.py" --min "$((rows > 0))" "$T/in/spaceport/relations.tsv" "$T/o-$n.xml"
	fi
}

# --- every real fixture ----------------------------------------------------
for z in $(fixture_zips "$T/fx"); do
	n=$(basename "$z" .zip)
	check_one "$n" "$z" "$FIX/users/cloud-users.csv"
done

# the 8.5.6 export with the users it was written for: all four mapped
mkdir -p "$T/e856"
cp "$FIX/real/xwiki-8.5.6-newwriter/entities.xml" "$T/e856/"
printf '#Tue Apr 23 09:03:14 UTC 2024\nexportType=space\nspaceKey=HT\nbuildNumber=8703\ncreatedByBuildNumber=8703\ncreatedByVersionNumber=8.5.6\nsource=server\nbackupAttachments=true\ndefaultUsersGroup=confluence-users\n' \
    >"$T/e856/exportDescriptor.properties"
(cd "$T/e856" && zip -qrX "$T/x856.zip" .)
if [ "$have_convert" = 1 ]; then
	spaceport-extract -q <"$T/x856.zip" |
	    spaceport-convert --cloud-users "$FIX/users/cloud-users.csv" \
		--server-users "$FIX/users/server-users.csv" --unmapped former 2>"$T/c.err" |
	    spaceport-pack -q --verify "$T/x856.zip" --report "$T/r856.json" >"$T/o856.zip" 2>"$T/p.err"
	is "$?" 0 "8.5.6 with its users: pipeline exits 0"
	is "$(python3 -c 'import json,sys; u=json.load(open(sys.argv[1]))["verify"]["users"]; print(u["output"], u["mapped_output"])' "$T/r856.json")" \
	    "4 4" "8.5.6: all four users carry an atlassianAccountId"
else
	skip "spaceport-convert not built: users not mapped"
	skip "spaceport-convert not built"
fi

# --- generated exports, both writer styles -----------------------------------
if [ -x "$GEN" ] && command -v python3 >/dev/null; then
	for style in legacy new; do
		for seed in 1 7; do
			g=$T/gen-$style-$seed
			"$GEN" --out "$g" --style "$style" --pages 25 --users 14 --seed "$seed" >/dev/null
			check_one "gen-$style-$seed" "$g/export.zip" "$g/cloud-users.csv"
		done
	done
	g=$T/gen-new-7
	# reproducible through the whole pipeline: TZ, umask, locale, file vs pipe
	(export TZ=Pacific/Chatham LC_ALL=C.UTF-8; umask 077; pipeline "$g/export.zip" "$g/cloud-users.csv" "$T/rA.zip")
	(export TZ=America/St_Johns; umask 022
	 spaceport-extract -q -o "$T/gA.tar" "$g/export.zip"
	 if [ "$have_convert" = 1 ]; then
		spaceport-convert --cloud-users "$g/cloud-users.csv" --unmapped former -o "$T/gB.tar" "$T/gA.tar" 2>/dev/null
		spaceport-pack -q -o "$T/rB.zip" "$T/gB.tar"
	 else
		spaceport-pack -q --force -o "$T/rB.zip" "$T/gA.tar"
	 fi)
	check "generated 8.3+ export: pipe (TZ=Pacific/Chatham, umask 077) = files (TZ=America/St_Johns)" \
	    cmp "$T/rA.zip" "$T/rB.zip"
	check "and equal to the first run" cmp "$T/rA.zip" "$T/out-gen-new-7.zip"
	# a bigger legacy export with several versions per attachment
	g=$T/gen-big
	"$GEN" --out "$g" --style legacy --pages 200 --users 40 --seed big --attachments-per-page 2 >/dev/null
	check_one gen-legacy-200 "$g/export.zip" "$g/cloud-users.csv"
else
	skip "bench/gen not available"
fi

done_testing
