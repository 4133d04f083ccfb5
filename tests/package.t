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

# ---- issue 12: defects in the package reader and writer ----------------
# 2: a FIFO in a package directory (as a member, as the manifest, or
# beside them) is refused at once by convert and pack: it used to be
# opened first, which blocks until a writer comes, forever.
for prog in convert pack; do
	if [ $prog = convert ]; then
		st() { timeout 60 spaceport-convert -q --unmapped former -o "$T/fifo.out" "$@"; }
	else
		st() { timeout 60 spaceport-pack -q --force -o "$T/fifo.out" "$@"; }
	fi
	fresh; rm "$T/p/config/ehcache.xml"; mkfifo "$T/p/config/ehcache.xml"
	run st "$T/p"
	like "$rc:$err" "^1:.*config/ehcache.xml: not a regular file" "$prog: a FIFO member is refused, not waited on"
	fresh; rm "$T/p/spaceport/manifest.tsv"; mkfifo "$T/p/spaceport/manifest.tsv"
	run st "$T/p"
	like "$rc:$err" "^1:.*manifest.tsv: not a regular file" "$prog: a FIFO manifest is refused, not waited on"
	fresh; mkfifo "$T/p/attachments/fifo"
	run st "$T/p"
	like "$rc:$err" "^1:.*attachments/fifo: not in the manifest" "$prog: an unlisted FIFO is refused, not waited on"
	check "$prog: nothing written" test ! -e "$T/fifo.out"
done
fresh; rm "$T/p/spaceport/manifest.tsv"; mkfifo "$T/p/spaceport/manifest.tsv"
run timeout 60 spaceport-convert -q --unmapped former -d "$T/p" "$T/pkg.tar"
like "$rc:$err" "^1:.*not a spaceport package directory" "-d onto a directory whose manifest is a FIFO: refused, not waited on"

# 7: -d replaces only a directory that is a package and nothing else;
# anything else is refused before any work, and left as it was.
snap() { (cd "$1" && find . | LC_ALL=C sort && cat $(find . -type f | LC_ALL=C sort)) | cksum; }
fresh; echo precious >"$T/p/notes.txt"; before=$(snap "$T/p")
run conv -d "$T/p" "$T/pkg.tar"
is "$rc" 1 "-d onto a package directory holding another file: refused"
like "$err" "not a spaceport package directory and nothing else.*notes.txt" "says why"
is "$(snap "$T/p")" "$before" "the directory is untouched"
mkdir -p "$T/junk/spaceport" "$T/junk/photos"; : >"$T/junk/spaceport/manifest.tsv"
echo x >"$T/junk/photos/a.jpg"
run conv -d "$T/junk" "$T/pkg.tar"
is "$rc" 1 "-d onto a directory that only has a spaceport/manifest.tsv: refused"
check "its files are still there" test -s "$T/junk/photos/a.jpg"
fresh; mkdir "$T/p/keep"; before=$(snap "$T/p")
run conv -d "$T/p" "$T/pkg.tar"
is "$rc:$(snap "$T/p")" "1:$before" "-d onto a package holding an extra empty directory: refused, untouched"
fresh; rm "$T/p/config/ehcache.xml"; before=$(snap "$T/p")
run conv -d "$T/p" "$T/pkg.tar"
like "$rc:$err" "^1:.*config/ehcache.xml: listed in the manifest, missing" "-d onto a package missing a member: refused"
is "$(snap "$T/p")" "$before" "and untouched"
is "$(ls -A "$T" | grep -Ec '^\.p\.')" 0 "no temporary left beside it"
fresh
run conv -d "$T/p" "$T/pkg.tar"
is "$rc" 0 "-d onto a real package directory replaces it"
check "with the converted package" grep -q "^stage	convert\$" "$T/p/spaceport/manifest.tsv"

# 10: -d . from inside a package directory.
fresh
run sh -c "cd '$T/p' && spaceport-convert -q --unmapped former -d . '$T/pkg.tar'"
is "$rc" 0 "-d . inside a package directory works${err:+ ($err)}"
check "the directory now holds the converted package" sh -c \
    "grep -q '^stage	convert\$' '$T/p/spaceport/manifest.tsv'"
is "$(ls -A "$T" | grep -Ec '^\.(p|\.)')" 0 "no temporary directory left beside it"
is "$(ls -A "$T/p" | grep -c '^\.')" 0 "nor inside it"
rm -rf "$T/q"; mkdir "$T/q"
run sh -c "cd '$T/q' && spaceport-convert -q --unmapped former -d . '$T/pkg.tar'"
is "$rc:$(ls -A "$T" | grep -Ec '^\.(q|\.)')" "0:0" "-d . inside an empty directory works, nothing left beside it"
check "and fills it" test -s "$T/q/spaceport/manifest.tsv"

# 11: a manifest refusal is one line; a CRLF manifest is called that.
fresh; sed -i '2s/.*/broken line with no tab/' "$T/p/spaceport/manifest.tsv"
run conv -o "$T/x.tar" "$T/p"
is "$rc:$(printf '%s\n' "$err" | wc -l)" "1:1" "a malformed manifest: one line on stderr"
like "$err" "manifest.tsv:2: malformed manifest line" "naming the line"
fresh; sed -i 's/$/\r/' "$T/p/spaceport/manifest.tsv"
run conv -o "$T/x.tar" "$T/p"
like "$rc:$err" "^1:.*manifest.tsv:1: line ends in CR" "a CRLF manifest is refused as such"
unlike "$err" "version 1.* is not supported" "not as an unsupported version 1"
is "$(printf '%s\n' "$err" | wc -l)" 1 "in one line"
fresh; sed -i '2s/.*/x\tone\rtwo/' "$T/p/spaceport/manifest.tsv"
run conv -o "$T/x.tar" "$T/p"
like "$rc:$err" "^1:.*manifest.tsv:2: a raw CR" "a raw CR inside a fact is refused"

# 12: the directory form refuses a file its manifest does not list, like
# the tar form (and the doc) does.
fresh; echo stray >"$T/p/attachments/stray.txt"
refuse unlisted 'attachments/stray.txt: not in the manifest' "$T/p"
fresh; echo stray >"$T/p/.hidden"
refuse unlisted-hidden '\.hidden: not in the manifest' "$T/p"
python3 - "$T/pkg.tar" "$T/unlisted.tar" <<'PY'
import sys, tarfile, io
s = tarfile.open(sys.argv[1]); d = tarfile.open(sys.argv[2], "w", format=tarfile.USTAR_FORMAT)
for m in s.getmembers():
    d.addfile(m, s.extractfile(m))
    if m.name == "exportDescriptor.properties":
        i = tarfile.TarInfo("attachments/stray.txt"); i.size = 6
        d.addfile(i, io.BytesIO(b"stray\n"))
d.close()
PY
refuse unlisted-tar 'member attachments/stray.txt where the manifest has' "$T/unlisted.tar"

# 14: pack takes a package with a new member (not under spaceport/)
# placed before the descriptor, which docs/package-format.md section 7
# calls a compatible change, and carries it into the zip after the head,
# in the directory form and in the tar form.
conv -d "$T/conv.d" "$T/pkg.tar"
python3 - "$T/conv.d" "$T/newer.tar" <<'PY'
import sys, zlib, os, tarfile
d = sys.argv[1]; data = b"a newer writer's member\n"
open(os.path.join(d, "newer.txt"), "wb").write(data)
p = os.path.join(d, "spaceport/manifest.tsv")
lines = open(p).read().split("\n")
i = [k for k, l in enumerate(lines) if l.startswith("member\texportDescriptor.properties\t")][0]
lines.insert(i, "member\tnewer.txt\t%d\t%08x" % (len(data), zlib.crc32(data)))
open(p, "w").write("\n".join(lines))
# the same package as a tar stream, in manifest order, ended (format 2)
# by an empty end record
t = tarfile.open(sys.argv[2], "w", format=tarfile.USTAR_FORMAT)
names = ["spaceport/manifest.tsv"] + [l.split("\t")[1] for l in lines if l.startswith("member\t")]
for n in names:
    t.add(os.path.join(d, n), arcname=n)
assert lines[0] == "spaceport-package\t2", lines[0]
t.addfile(tarfile.TarInfo("spaceport/end.tsv"))
t.close()
PY
zipcheck() {	# the zip: descriptor, entities.xml, then newer.txt with its bytes
	python3 - "$1" <<'PY'
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1]); n = z.namelist()
assert n[:3] == ["exportDescriptor.properties", "entities.xml", "newer.txt"], n[:4]
assert z.read("newer.txt") == b"a newer writer's member\n"
assert len(n) == len(set(n))
PY
}
run spaceport-pack -q -o "$T/newer.zip" "$T/conv.d"
is "$rc" 0 "pack: a new member before the descriptor is accepted${err:+ ($err)}"
unlike "$err" "has no entities.xml" "no false 'no entities.xml'"
check "it is in the zip, right after the head, byte for byte" zipcheck "$T/newer.zip"
run sh -c "spaceport-pack -q -o '$T/newer2.zip' - <'$T/newer.tar'"
is "$rc" 0 "pack: the same package as a tar stream is accepted${err:+ ($err)}"
check "the same zip from both forms" cmp "$T/newer.zip" "$T/newer2.zip"
sed -i '/^member\tentities.xml\t/d' "$T/conv.d/spaceport/manifest.tsv"; rm "$T/conv.d/entities.xml"
run spaceport-pack -q -o "$T/noent.zip" "$T/conv.d"
like "$rc:$err" "^1:.*package has no entities.xml" "'no entities.xml' is said when it is true"

# 19: a size is plain decimal digits: "+173", " 173", "0x..." are refused
# (strtoull took them).
for sz in '+%d' ' %d' '%d ' '0x%x'; do
	fresh; python3 - "$T/p/spaceport/manifest.tsv" "$sz" <<'PY'
import sys
p, fmt = sys.argv[1], sys.argv[2]; out = []
for l in open(p).read().split("\n"):
    f = l.split("\t")
    if f[:2] == ["member", "spaceport/users.tsv"]:
        f[2] = fmt % int(f[2])
    out.append("\t".join(f))
open(p, "w").write("\n".join(out))
PY
	refuse "size '$sz'" 'manifest.tsv:[0-9]+: malformed manifest line' "$T/p"
done

done_testing
