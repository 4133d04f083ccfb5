#!/bin/sh
# make demo: the whole pipeline on a bundled real export.
#
# The export is the Confluence 8.5.6 space in fixtures/real/xwiki-8.5.6-newwriter
# (written by the 8.3+ backup engine: child-side references only), zipped
# here with a space descriptor; the users CSVs in fixtures/users map its four
# users to made-up Cloud account IDs.  Output goes to demo-out/.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$top/bin
out=$top/demo-out
fx=$top/fixtures/real/xwiki-8.5.6-newwriter
rm -rf "$out"
mkdir -p "$out/export"
cp "$fx/entities.xml" "$out/export/"
cat >"$out/export/exportDescriptor.properties" <<'DESC'
#Tue Apr 23 09:03:14 UTC 2024
exportType=space
spaceKey=HT
buildNumber=8703
createdByBuildNumber=8703
createdByVersionNumber=8.5.6
source=server
backupAttachments=true
defaultUsersGroup=confluence-users
DESC
(cd "$out/export" && zip -qrX ../server-export.zip .)

echo "== demo input: a real Confluence 8.5.6 space export (6 pages, 4 users)."
echo "   Its upstream publisher kept entities.xml but not the attachment files,"
echo "   so spaceport-extract reports the 11 attachments as missing: that is the"
echo "   check working, and pack's verify table shows nothing else was lost."
echo
echo "== spaceport-extract < server-export.zip | spaceport-convert | spaceport-pack --verify"
"$bin/spaceport-extract" --report "$out/extract.json" <"$out/server-export.zip" |
    "$bin/spaceport-convert" --cloud-users "$top/fixtures/users/cloud-users.csv" \
	--server-users "$top/fixtures/users/server-users.csv" \
	--report "$out/convert.json" |
    "$bin/spaceport-pack" --verify "$out/server-export.zip" \
	--report "$out/pack.json" -o "$out/cloud-export.zip"
echo
echo "== the Cloud-importable zip: $out/cloud-export.zip"
unzip -l "$out/cloud-export.zip" | tail -n +2
echo "== users in it (key -> atlassianAccountId)"
unzip -p "$out/cloud-export.zip" entities.xml |
    python3 -c '
import re, sys
x = sys.stdin.read()
for o in re.findall(r"<object class=\"ConfluenceUserImpl\".*?</object>", x, re.S):
    k = re.search(r"<id name=\"key\">(?:<!\[CDATA\[)?([^<\]]*)", o).group(1)
    a = re.search(r"<property name=\"atlassianAccountId\">(?:<!\[CDATA\[)?([^<\]]*)", o)
    print("  %s -> %s" % (k, a.group(1) if a else "(former user)"))
'
echo "== reports: $out/extract.json $out/convert.json $out/pack.json"
