#!/usr/bin/env bash
# spaceport-pack --timezone ZONE: validated against the system zoneinfo
# (usage error, exit 2, otherwise), written as the descriptor's timezoneId,
# named in the summary and the report; the default stays UTC.
. "$(dirname "$0")/lib.sh"

ZI=/usr/share/zoneinfo
CU=$FIX/users/cloud-users.csv
mkdir -p "$T/e"
cp "$FIX/real/xwiki-8.5.6-newwriter/entities.xml" "$T/e/"
printf '#Tue Apr 23 09:03:14 UTC 2024\nexportType=space\nspaceKey=HT\nsource=server\n' \
    >"$T/e/exportDescriptor.properties"
(cd "$T/e" && zip -qrX "$T/x.zip" .)
spaceport-extract -q "$T/x.zip" | spaceport-convert -q --cloud-users "$CU" \
    --unmapped former >"$T/p.tar"
is "$?" 0 "a converted package to pack"

# desc ZIP: the descriptor of a packed zip
desc() { unzip -p "$1" exportDescriptor.properties; }

# --- default: UTC, and the summary says it was assumed ------------------
run spaceport-pack -o "$T/utc.zip" "$T/p.tar"
is "$rc" 0 "pack without --timezone"
like "$(desc "$T/utc.zip")" '^timezoneId=UTC$' "default timezoneId stays UTC"
like "$err" 'time zone +UTC \(assumed' "the summary says UTC was assumed"

# --- valid zones --------------------------------------------------------
if [ -f "$ZI/Europe/Berlin" ] && [ "$(head -c4 "$ZI/Europe/Berlin")" = TZif ]; then
	run spaceport-pack --timezone Europe/Berlin --report "$T/r.json" \
	    -o "$T/ber.zip" "$T/p.tar"
	is "$rc" 0 "--timezone Europe/Berlin accepted"
	like "$(desc "$T/ber.zip")" '^timezoneId=Europe/Berlin$' \
	    "timezoneId=Europe/Berlin in the descriptor"
	is "$(desc "$T/ber.zip" | grep -c '^timezoneId=')" 1 "exactly one timezoneId"
	like "$err" 'time zone +Europe/Berlin \(--timezone\)' "the summary names the zone"
	is "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pack"]["timezone"])' "$T/r.json")" \
	    Europe/Berlin "the JSON report names the zone"
	# the rest of the descriptor is unchanged
	diff <(desc "$T/utc.zip" | grep -v '^timezoneId=') \
	    <(desc "$T/ber.zip" | grep -v '^timezoneId=') >/dev/null
	is "$?" 0 "only timezoneId differs from the default"
	# no TZ/locale dependence: same bytes under another TZ and locale
	TZ=Asia/Tokyo LC_ALL=C.UTF-8 spaceport-pack -q --timezone Europe/Berlin \
	    -o "$T/ber2.zip" "$T/p.tar"
	check "same zip under another TZ and locale" cmp "$T/ber.zip" "$T/ber2.zip"
else
	skip "no $ZI/Europe/Berlin"
fi
for z in UTC America/Argentina/Buenos_Aires Etc/GMT+5 US/Eastern; do
	if [ -e "$ZI/$z" ]; then
		run spaceport-pack -q --timezone "$z" -o "$T/z.zip" "$T/p.tar"
		is "$rc" 0 "--timezone $z accepted"
		is "$(desc "$T/z.zip" | sed -n 's/^timezoneId=//p')" "$z" "timezoneId=$z"
	else
		skip "no $ZI/$z"
	fi
done

# --- refused: usage error, exit 2, nothing written ----------------------
for z in Mars/Olympus_Mons europe/nowhere '' ../../etc/passwd Europe/../Europe/Berlin \
    /usr/share/zoneinfo/UTC Europe//Berlin Europe/ ./UTC posixrules localtime Factory \
    posix/Europe/Berlin right/UTC zone.tab 'Europe/Ber lin' "$(printf 'A%.0s' $(seq 70))"; do
	rm -f "$T/bad.zip"
	run spaceport-pack --timezone "$z" -o "$T/bad.zip" "$T/p.tar"
	is "$rc" 2 "--timezone '$z' is a usage error"
	like "$err" '^spaceport-pack: --timezone ' "'$z': the diagnostic names the option"
	check "'$z': no output written" test ! -e "$T/bad.zip"
done
# a directory and a non-TZif file inside zoneinfo
run spaceport-pack --timezone Europe -o "$T/bad.zip" "$T/p.tar"
is "$rc" 2 "--timezone Europe (a directory) is a usage error"
if [ -f "$ZI/iso3166.tab" ]; then
	run spaceport-pack --timezone iso3166.tab -o "$T/bad.zip" "$T/p.tar"
	is "$rc" 2 "a zoneinfo file that is not TZif is refused"
else
	skip "no $ZI/iso3166.tab"
fi
# TZ does not make a zone valid
TZ=Mars/Olympus_Mons spaceport-pack -q --timezone Mars/Olympus_Mons -o "$T/bad.zip" \
    "$T/p.tar" 2>/dev/null
is "$?" 2 "TZ= does not make an unknown zone valid"

done_testing
