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

done_testing
