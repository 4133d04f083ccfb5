#!/usr/bin/env bash
# Package format version 2 (docs/package-format.md): members streamed in
# pieces with a check record after them, facts and end records; version 1
# still read.  The oracle for the bytes of the tar stream is Python's
# tarfile and zlib, not the programs.
. "$(dirname "$0")/lib.sh"

z=$FIX/real/xwiki-4.3.2-site/4.3.2.xml.zip
conv() { spaceport-convert -q --unmapped former "$@"; }

# A generated export whose entities.xml takes several 1 MiB pieces.
big=$T/gen/export.zip
"$TOP/bench/gen" --out "$T/gen" --pages 120 --attachments-per-page 1 \
    --attach-size 2000 --style new >/dev/null 2>&1
check "bench/gen made an export" test -s "$big"

spaceport-extract -q -o "$T/e.tar" "$big"
is "$?" 0 "extract writes a package"

# The layout, read with Python's tarfile: manifest first, entities.xml in
# pieces of at most 1 MiB followed by a check record whose size and CRC-32
# are those of the concatenated pieces, facts before the descriptor, the
# end record last; the manifest says version 2.
cat >"$T/layout.py" <<'PY'
import sys, tarfile, zlib
t = tarfile.open(sys.argv[1])
ents = t.getmembers()
names = [e.name for e in ents]
assert names[0] == "spaceport/manifest.tsv", names[0]
man = t.extractfile(ents[0]).read().decode()
assert man.startswith("spaceport-package\t2\n"), man[:40]
assert "member\tentities.xml\t-\t-\n" in man
assert names[-1] == "spaceport/end.tsv", names[-1]
i, data, pieces = 1, b"", 0
while names[i] == "entities.xml":
    assert ents[i].size <= 1 << 20
    data += t.extractfile(ents[i]).read(); pieces += 1; i += 1
assert pieces >= 2, pieces
assert names[i] == "spaceport/check.tsv", names[i]
rec = t.extractfile(ents[i]).read().decode()
want = "member\tentities.xml\t%d\t%08x\n" % (len(data), zlib.crc32(data))
assert rec == want, (rec, want)
assert names.index("spaceport/facts.tsv") < names.index("exportDescriptor.properties")
print(pieces)
PY
run python3 "$T/layout.py" "$T/e.tar"
is "$rc" 0 "v2 layout: pieces, check record with the pieces' size and crc-32, facts, end record${err:+ ($err)}"

# Round trips: every form in and out of every stage gives the same zip.
spaceport-extract -q -d "$T/e.d" "$big"
spaceport-extract -q "$big" >"$T/e.pipe"
check "extract: file and pipe give the same bytes" cmp "$T/e.tar" "$T/e.pipe"
check "directory form: no records, every size in the manifest" sh -c "
    test ! -e '$T/e.d/spaceport/check.tsv' && test ! -e '$T/e.d/spaceport/end.tsv' &&
    head -1 '$T/e.d/spaceport/manifest.tsv' | grep -q '^spaceport-package	2\$' &&
    ! grep -q '	-	-\$' '$T/e.d/spaceport/manifest.tsv'"
conv -o "$T/c1.tar" "$T/e.tar" && conv -d "$T/c2.d" "$T/e.d" &&
    conv <"$T/e.pipe" >"$T/c3.pipe"
is "$?" 0 "convert reads the file, directory and pipe forms"
spaceport-pack -q -o "$T/z1.zip" "$T/c1.tar" && spaceport-pack -q -o "$T/z2.zip" "$T/c2.d" &&
    spaceport-pack -q <"$T/c3.pipe" >"$T/z3.zip"
is "$?" 0 "pack reads the file, directory and pipe forms"
check "all forms give the same zip" sh -c "cmp '$T/z1.zip' '$T/z2.zip' && cmp '$T/z1.zip' '$T/z3.zip'"
# pack rewrites entities.xml straight into the zip; with --verify (which
# counts the output's objects) it spools it first: the same bytes
spaceport-pack -q --verify "$big" -o "$T/zv.zip" "$T/c1.tar" >/dev/null
check "pack: streamed into the zip and spooled first (--verify) give the same zip" \
    cmp "$T/z1.zip" "$T/zv.zip"
# the stages hand each other entities.xml in pieces while they read it:
# convert's output has it in pieces too, checked like extract's
run python3 "$TOP/tests/pkgread.py" members "$T/c1.tar"
is "$(sed -n 1,5p "$out" | tr '\n' ' ')" \
    "spaceport/relations.tsv spaceport/content.tsv exportDescriptor.properties entities.xml spaceport/users.tsv " \
    "convert's order: the head pack needs, entities.xml, then users.tsv"
spaceport-extract -q "$big" | conv | spaceport-pack -q -o "$T/z4.zip"
is "$?" 0 "the three stages in one pipe"
check "the pipe gives the same zip" cmp "$T/z1.zip" "$T/z4.zip"
# Content survives: entities.xml of the zip has the generator's object count.
run python3 - "$T/z4.zip" "$T/gen/counts.tsv" <<'PY'
import sys, zipfile, re
x = zipfile.ZipFile(sys.argv[1]).read("entities.xml")
n = len(re.findall(rb"<object ", x))
want = [l.split("\t") for l in open(sys.argv[2]).read().splitlines()[1:]]
tot = sum(int(v) for k, v in want if k.startswith("object."))
assert tot > 0 and n >= tot, (n, tot)
print(n)
PY
is "$rc" 0 "the zip's entities.xml holds every generated object${err:+ ($err)}"

# Version 1 packages (made by main before version 2) are still read, and
# give the same zip as the same export through version 2.
gunzip -c "$FIX/package-v1/extract.tar.gz" >"$T/v1e.tar"
gunzip -c "$FIX/package-v1/convert.tar.gz" >"$T/v1c.tar"
run conv -o "$T/v1c-new.tar" "$T/v1e.tar"
is "$rc" 0 "convert reads a version 1 package${err:+ ($err)}"
spaceport-pack -q -o "$T/v1a.zip" "$T/v1c.tar"
is "$?" 0 "pack reads a version 1 package"
spaceport-pack -q -o "$T/v1b.zip" "$T/v1c-new.tar"
spaceport-extract -q "$z" | conv | spaceport-pack -q -o "$T/v2.zip"
check "v1 convert output, v1 extract output and v2 give the same zip" sh -c \
    "cmp '$T/v1a.zip' '$T/v1b.zip' && cmp '$T/v1a.zip' '$T/v2.zip'"

# Damage.  flip.py FILE NAME PIECE OFFSET: flip a byte of the PIECE-th
# entry called NAME (0-based) at OFFSET into its data.
cat >"$T/flip.py" <<'PY'
import sys, tarfile
path, name, piece, off = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
t = tarfile.open(path)
hits = [e for e in t.getmembers() if e.name == name]
pos = hits[piece].offset_data + off
t.close()
with open(path, "r+b") as f:
    f.seek(pos); b = f.read(1); f.seek(pos); f.write(bytes([b[0] ^ 0x20]))
PY
outs() { ls -A "$T/outdir"; }
mkdir -p "$T/outdir"
cp "$T/e.tar" "$T/bad.tar"
python3 "$T/flip.py" "$T/bad.tar" entities.xml 1 100
run conv -o "$T/outdir/c.tar" "$T/bad.tar"
is "$rc" 1 "a byte flipped in the second piece of entities.xml: refused"
like "$err" "entities.xml: crc-32 [0-9a-f]{8} differs from its check record's" "at the end of the member, by its check record"
is "$(outs)" "" "nothing committed, no temporary file left"
run conv -d "$T/outdir/c.d" "$T/bad.tar"
is "$rc:$(outs)" "1:" "the directory form: refused, nothing left"
# In a pipe, the stage after the refusing one refuses a stream with no end.
run sh -c "spaceport-convert -q --unmapped former <'$T/bad.tar' | spaceport-pack -q -o '$T/outdir/z.zip'"
is "$rc" 1 "convert | pack: pack refuses what a refusing convert left"
is "$(outs)" "" "no zip, no temporary file"
cp "$T/c1.tar" "$T/badc.tar"
# (a letter's case inside a body: still well-formed xml, so only the
# check record can tell; a flip that breaks the xml is refused earlier,
# as not well-formed)
off=$(python3 - "$T/badc.tar" <<'PY'
import sys, tarfile
t = tarfile.open(sys.argv[1])
e = [m for m in t.getmembers() if m.name == "entities.xml"][0]
d = t.extractfile(e).read()
i = d.index(b"<![CDATA[", 5000) + 9
while not d[i:i + 1].isalpha():
    i += 1
print(i)
PY
)
python3 "$T/flip.py" "$T/badc.tar" entities.xml 0 "$off"
run spaceport-pack -q -o "$T/outdir/z.zip" "$T/badc.tar"
is "$rc:$(outs)" "1:" "pack refuses a damaged streamed member, no zip left"
like "$err" "differs from its check record" "for the right reason"
# A damaged check record (size) is refused too.
cp "$T/e.tar" "$T/badrec.tar"
python3 - "$T/badrec.tar" <<'PY'
import sys, tarfile
t = tarfile.open(sys.argv[1]); e = [m for m in t.getmembers() if m.name == "spaceport/check.tsv"][0]
pos = e.offset_data + len("member\tentities.xml\t"); t.close()
f = open(sys.argv[1], "r+b"); f.seek(pos); d = f.read(1); f.seek(pos)
f.write(b"9" if d != b"9" else b"8"); f.close()
PY
run conv -o "$T/outdir/c.tar" "$T/badrec.tar"
like "$rc:$err" "^1:.*entities.xml: size [0-9]+ differs from its check record" "a wrong size in the check record: refused"

# Truncation: inside a piece, and exactly at an entry boundary before the
# end record (what a stage that died between two members leaves).
size=$(stat -c %s "$T/e.tar")
head -c $((size / 3)) "$T/e.tar" >"$T/t1.tar"
run conv -o "$T/outdir/c.tar" "$T/t1.tar"
like "$rc:$err" "^1:.*[Tt]runcated" "a stream cut inside entities.xml: refused as truncated"
python3 - "$T/e.tar" "$T/t2.tar" "$T/t3.tar" <<'PY'
import sys, tarfile
t = tarfile.open(sys.argv[1])
ms = t.getmembers()
end = [m for m in ms if m.name == "spaceport/end.tsv"][0].offset
chk = [m for m in ms if m.name == "spaceport/check.tsv"][0].offset
data = open(sys.argv[1], "rb").read()
open(sys.argv[2], "wb").write(data[:end] + b"\0" * 1024)
open(sys.argv[3], "wb").write(data[:chk] + b"\0" * 1024)
PY
run conv -o "$T/outdir/c.tar" "$T/t2.tar"
like "$rc:$err" "^1:.*ends before its end record \(truncated\)" "a stream that stops before its end record: refused"
run conv -o "$T/outdir/c.tar" "$T/t3.tar"
like "$rc:$err" "^1:.*ends inside member entities.xml \(truncated\)" "a streamed member without its check record: refused"
is "$(outs)" "" "nothing committed by any refusal"

# Records in the wrong place.
python3 - "$T/e.tar" "$T/dup.tar" <<'PY'
import sys, tarfile, io
src = tarfile.open(sys.argv[1]); dst = tarfile.open(sys.argv[2], "w", format=tarfile.USTAR_FORMAT)
for m in src.getmembers():
    d = src.extractfile(m).read()
    if m.name == "spaceport/end.tsv":
        d = b"stage\tconvert\n"
    m.size = len(d)
    dst.addfile(m, io.BytesIO(d))
dst.close()
PY
run conv -o "$T/outdir/c.tar" "$T/dup.tar"
like "$rc:$err" "^1:.*fact stage given twice" "a record may not change a fact"

done_testing
