#!/usr/bin/env bash
# Reading packages: the hand-over checks every later stage relies on.
# spaceport-convert is the reader here (pack reads with the same code).
. "$(dirname "$0")/lib.sh"

z=$FIX/real/xwiki-4.3.2-site/4.3.2.xml.zip
spaceport-extract -q -d "$T/pkg" "$z"
spaceport-extract -q -o "$T/pkg.tar" "$z"
conv() { spaceport-convert -q --unmapped former "$@"; }
fresh() { rm -rf "$T/p"; cp -r "$T/pkg" "$T/p"; }

run conv -o "$T/ok.tar" "$T/pkg"
is "$rc" 0 "a package directory is read"
run conv -o "$T/ok2.tar" "$T/pkg.tar"
is "$rc" 0 "a package file is read"
conv <"$T/pkg.tar" >"$T/ok3.tar"
is "$?" 0 "a package on stdin is read"
check "all three forms give the same output" sh -c "cmp '$T/ok.tar' '$T/ok2.tar' && cmp '$T/ok.tar' '$T/ok3.tar'"

refuse() {	# refuse NAME REGEX INPUT
	run conv -o "$T/out-$1.tar" "$3"
	is "$rc" 1 "$1: refused"
	like "$err" "$2" "$1: says why"
	check "$1: no output left" test ! -e "$T/out-$1.tar"
}
fresh; printf 'X' | dd of="$T/p/entities.xml" bs=1 seek=100 conv=notrunc 2>/dev/null
refuse flipped 'entities.xml: crc-32 [0-9a-f]+ differs from the manifest' "$T/p"
fresh; echo extra >>"$T/p/exportDescriptor.properties"
refuse longer 'exportDescriptor.properties: (longer than|size [0-9]+ differs)' "$T/p"
fresh; rm "$T/p/config/ehcache.xml"
refuse missing 'config/ehcache.xml: cannot open: missing from the package directory' "$T/p"
fresh; mkdir -p "$T/outside"; cp -r "$T/p/attachments/753668" "$T/outside/"
rm -rf "$T/p/attachments/753668"; ln -s "$T/outside/753668" "$T/p/attachments/753668"
refuse symlinkdir 'symbolic link' "$T/p"
fresh; ln -sf /etc/passwd "$T/p/config/ehcache.xml"
refuse symlinkfile 'symbolic link' "$T/p"
fresh; sed -i '2i member\tentities.xml\t1\t00000000' "$T/p/spaceport/manifest.tsv"
refuse dupmember 'member entities.xml listed twice' "$T/p"
fresh; sed -i '1s/.*/spaceport-package\t9/' "$T/p/spaceport/manifest.tsv"
refuse version 'package format version 9 is not supported' "$T/p"
fresh; printf 'member\t../evil\t1\t00000000\n' >>"$T/p/spaceport/manifest.tsv"
refuse unsafe 'malformed manifest line' "$T/p"
head -c 30000 "$T/pkg.tar" >"$T/trunc.tar"
refuse truncated 'truncated' "$T/trunc.tar"
refuse notpkg 'not a spaceport package' "$z"
run sh -c "spaceport-convert -q --unmapped former </dev/null >'$T/empty.out'"
is "$rc" 1 "empty input refused"

# Many members: parsing stays fast (no quadratic check).
python3 - "$T/many" <<'PY'
import sys, os, zlib
d = sys.argv[1]
os.makedirs(d + "/spaceport")
lines = ["spaceport-package\t1", "stage\textract"]
for i in range(400000):
    lines.append("member\tattachments/1/%d/1\t0\t00000000" % i)
open(d + "/spaceport/manifest.tsv", "w").write("\n".join(lines) + "\n")
PY
start=$(date +%s)
run conv -o "$T/many.tar" "$T/many"
is "$rc" 1 "a 400,000-member manifest with missing members is refused"
like "$err" "missing from the package directory" "for the right reason"
is "$(( $(date +%s) - start < 60 ))" 1 "within a minute: the duplicate check is not quadratic (it would take many minutes)"

done_testing
