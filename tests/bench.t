#!/usr/bin/env bash
# bench/run at the smoke size: the harness works and the outputs it measures
# are correct.  Asserts correctness only, never times.
. "$(dirname "$0")/lib.sh"

missing=
for t in /usr/bin/time zip unzip xmllint python3; do
	command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
done
if [ -n "$missing" ]; then
	echo "1..0 # skip missing:$missing"
	exit 0
fi

# A results file with hand-written text around an old generated block:
# bench/run must replace the block and keep the rest.
res=$T/RESULTS.md
{
	echo "# Results"
	echo "hand-written intro"
	echo "<!-- BEGIN bench/run: generated, do not edit by hand -->"
	echo "stale generated text"
	echo "<!-- END bench/run -->"
	echo "hand-written analysis"
} >"$res"

BENCH_OUT=$T/out BENCH_RESULTS=$res BENCH_REPEAT=1 BENCH_STYLE=legacy \
    SPACEPORT_BIN=$BIN run "$TOP/bench/run" smoke
is "$rc" 0 "bench/run smoke exits 0 (every correctness check passed)"
[ "$rc" = 0 ] || printf '# %s\n' "$(printf '%s' "$err" | tail -20)" >&2

json=$T/out/results.json
check "results.json written" test -s "$json"

# every check bench/run made passed, and the important ones were made
checks=$(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
for c in r["checks"]:
    print("%s\t%s" % ("ok" if c["ok"] else "FAIL", c["name"]))
' "$json" 2>/dev/null)
unlike "$checks" '^FAIL' "no failed check in bench/run's own checks"
for want in 'pipeline exits 0' 'extract alone exits 0' 'convert alone exits 0' \
    'pack alone exits 0' 'convert resolves users as expected.tsv' \
    'out.zip: attachment files = export' 'out.zip: every attachment' \
    'unzip -t out.zip' 'pipeline output byte-identical to stage-by-stage' 'spaceport-pack --verify' \
    'pack output byte-identical with -j 1, -j 2'; do
	like "$checks" "^ok	$want" "bench/run checked: $want"
done

# measurements present for every row of the table
meas=$(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
for k, v in sorted(r["m"].items()):
    print("%s\t%s\t%s" % (k, v.get("rc", 0), v.get("rss_kb", 0)))
' "$json" 2>/dev/null)
for k in 'unzip -p' 'naive repack' 'xmllint --stream' 'pipeline' 'pipeline: extract' \
    'pipeline: convert' 'pipeline: pack' 'extract alone' 'convert alone' 'pack alone' \
    'pack alone -j 1'; do
	like "$meas" "^$k	0	[1-9]" "measured with exit 0 and a peak RSS: $k"
done

# independent checks of the outputs the benchmark produced
run_dir=$T/out/run/smoke-legacy
gen_dir=$T/out/gen/smoke-legacy-s1
out_zip=$run_dir/out.zip
check "pipeline output exists" test -s "$out_zip"
want=$(awk -F'\t' '$1 == "attachment_files" { print $2 }' "$gen_dir/counts.tsv")
got=$(unzip -Z1 "$out_zip" | grep -c '^attachments/')
is "$got" "$want" "out.zip has every attachment file (counts.tsv)"
orig=$(unzip -Z1 "$gen_dir/export.zip" | grep '^attachments/' | sort)
new=$(unzip -Z1 "$out_zip" | grep '^attachments/' | sort)
is "$new" "$orig" "out.zip has the export's attachment names"
crc_in=$(unzip -v "$gen_dir/export.zip" | awk '$NF ~ /^attachments\// { print $1, $7, $NF }' | sort)
crc_out=$(unzip -v "$out_zip" | awk '$NF ~ /^attachments\// { print $1, $7, $NF }' | sort)
is "$crc_out" "$crc_in" "out.zip attachments: same sizes and CRC-32 as the export"
unzip -p "$out_zip" entities.xml | xmllint --stream --noout - 2>/dev/null
is "$?" 0 "out.zip entities.xml is well-formed"
check "out.zip passes unzip -t" unzip -tq "$out_zip"
run spaceport-pack -q --verify "$gen_dir/export.zip" -o "$T/verify.zip" "$run_dir/conv.pkg"
is "$rc" 0 "spaceport-pack --verify export.zip passes on the benchmark's package"
check "pack output is reproducible (verify run = pipeline run)" cmp -s "$T/verify.zip" "$out_zip"
# -j must not change a byte (checked here independently of bench/run)
for j in 1 3; do
	run spaceport-pack -q -j $j -o "$T/j$j.zip" "$run_dir/conv.pkg"
	check "pack -j $j output = pipeline output" cmp -s "$T/j$j.zip" "$out_zip"
done
for j in 0 65 x; do
	run spaceport-pack -q -j $j -o "$T/jbad.zip" "$run_dir/conv.pkg"
	is "$rc" 2 "pack -j $j is a usage error (exit 2)"
done

# the results file: generated block replaced, hand-written text kept
r=$(cat "$res")
like "$r" 'hand-written intro' "RESULTS: text before the block kept"
like "$r" 'hand-written analysis' "RESULTS: text after the block kept"
unlike "$r" 'stale generated text' "RESULTS: old generated block replaced"
is "$(grep -c 'BEGIN bench/run' "$res")" 1 "RESULTS: exactly one generated block"
like "$r" '^\| pipeline \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \|' "RESULTS: pipeline row in the table"
like "$r" 'pipeline / naive repack = \*\*[0-9.]+×\*\*' "RESULTS: pipeline / naive repack ratio"
like "$r" 'pipeline / slowest stage alone \([a-z]+ [0-9.]+ s\) = \*\*[0-9.]+×\*\*' "RESULTS: pipeline / slowest stage ratio"
like "$r" '^\| pack alone -j 1 \| [0-9.]+ \|' "RESULTS: pack -j 1 row"
like "$r" 'extract: [0-9.]+ MB/s of entities.xml = [0-9.]+× xmllint' "RESULTS: stage vs xmllint ratio"
like "$r" '\*\*Machine\*\*: [0-9]+ ×' "RESULTS: machine description"

# usage errors
run "$TOP/bench/run" 12Q
is "$rc" 2 "unknown size is a usage error (exit 2)"

done_testing
