#!/bin/sh
# make valgrind: the pipeline under valgrind on real fixtures, in every
# input/output form.  Any memory error or definite leak fails.
set -eu
VG=$1
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$top/bin
t=$(mktemp -d "${TMPDIR:-/tmp}/spaceport-vg.XXXXXX")
trap 'rm -rf "$t"' EXIT
users=$top/fixtures/users/cloud-users.csv
for z in "$top"/fixtures/real/xwiki-4.3.2-site/4.3.2.xml.zip \
    "$top"/fixtures/real/xwiki-5.9-site/5.9.zip; do
	n=$(basename "$z")
	echo "valgrind: $n"
	$VG "$bin/spaceport-extract" -q --inventory "$t/inv.db" -o "$t/a.tar" "$z"
	$VG "$bin/spaceport-extract" -q -d "$t/a.d" <"$z"
	$VG "$bin/spaceport-convert" -q --cloud-users "$users" --unmapped former \
	    --report "$t/c.json" -o "$t/b.tar" "$t/a.tar"
	$VG "$bin/spaceport-convert" -q --unmapped former -d "$t/b.d" "$t/a.d"
	$VG "$bin/spaceport-pack" -q --verify "$z" --report "$t/p.json" \
	    -o "$t/out.zip" "$t/b.tar"
	$VG "$bin/spaceport-pack" -q "$t/b.d" >"$t/out2.zip"
	rm -rf "$t"/*
done
echo "valgrind: clean"
