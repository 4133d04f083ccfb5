#!/usr/bin/env python3
"""Read a spaceport package with Python's tarfile, independently of the
programs: the tests' oracle for docs/package-format.md.

    pkgread.py facts PKG          every fact, KEY<TAB>VALUE, in order
    pkgread.py member PKG NAME    a member's bytes (pieces joined)
    pkgread.py members PKG        member names in stream order
    pkgread.py unpack PKG DIR     the directory form of PKG

PKG is a tar file (format 1 or 2) or a package directory.  Format 2's
records (spaceport/check.tsv, facts.tsv, end.tsv) are not members: the
facts of the manifest, then of every facts record and the end record, in
stream order, are the package's facts; a member listed with "-" is the
concatenation of its pieces, whose size and CRC-32 the check record after
them must give.  The directory form `unpack` writes is the one the
programs write: every member as a file, and a manifest of version 2 with
every fact and every size and CRC-32.  As a module: read(PKG) returns
(version, facts, members) with members a list of (name, bytes).
"""
import os
import sys
import tarfile
import zlib

RECORDS = ("spaceport/check.tsv", "spaceport/facts.tsv", "spaceport/end.tsv")


def unesc(s):
    out, i = [], 0
    while i < len(s):
        if s[i] == "\\" and i + 1 < len(s):
            out.append({"t": "\t", "n": "\n", "r": "\r", "\\": "\\"}[s[i + 1]])
            i += 2
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def esc(s):
    return (s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
            .replace("\r", "\\r"))


def parse_lines(text):
    return [[unesc(f) for f in l.split("\t")] for l in text.split("\n") if l]


def read(path):
    if os.path.isdir(path):
        lines = parse_lines(open(os.path.join(path, "spaceport/manifest.tsv"),
                                 encoding="utf-8").read())
        version = int(lines[0][1])
        facts = [(f[0], f[1]) for f in lines[1:] if f[0] != "member"]
        members = [(f[1], open(os.path.join(path, f[1]), "rb").read())
                   for f in lines[1:] if f[0] == "member"]
        return version, facts, members
    t = tarfile.open(path)
    ents = t.getmembers()
    data = lambda e: t.extractfile(e).read()
    assert ents[0].name == "spaceport/manifest.tsv", ents[0].name
    lines = parse_lines(data(ents[0]).decode())
    version = int(lines[0][1])
    facts = [(f[0], f[1]) for f in lines[1:] if f[0] != "member"]
    listed = [f[1:] for f in lines[1:] if f[0] == "member"]
    members, i, ended = [], 1, False
    for name, size, crc in listed:
        while version >= 2 and ents[i].name in ("spaceport/facts.tsv",):
            facts += [tuple(f) for f in parse_lines(data(ents[i]).decode())]
            i += 1
        assert ents[i].name == name, (ents[i].name, name)
        if size != "-":
            b = data(ents[i])
            assert len(b) == int(size) and zlib.crc32(b) == int(crc, 16), name
            i += 1
        else:
            b = b""
            while ents[i].name == name:
                b += data(ents[i])
                i += 1
            assert ents[i].name == "spaceport/check.tsv", ents[i].name
            chk = parse_lines(data(ents[i]).decode())
            assert chk == [["member", name, str(len(b)),
                            "%08x" % zlib.crc32(b)]], (chk, name)
            i += 1
        members.append((name, b))
    if version >= 2:
        while ents[i].name == "spaceport/facts.tsv":
            facts += [tuple(f) for f in parse_lines(data(ents[i]).decode())]
            i += 1
        assert ents[i].name == "spaceport/end.tsv", ents[i].name
        facts += [tuple(f) for f in parse_lines(data(ents[i]).decode())]
        ended = True
        i += 1
    assert i == len(ents), "entries after the end: %s" % ents[i].name
    assert version < 2 or ended
    return version, facts, members


def main():
    cmd, path = sys.argv[1], sys.argv[2]
    version, facts, members = read(path)
    out = sys.stdout.buffer
    if cmd == "facts":
        for k, v in facts:
            out.write(("%s\t%s\n" % (esc(k), esc(v))).encode())
    elif cmd == "members":
        for name, _ in members:
            out.write((name + "\n").encode())
    elif cmd == "member":
        out.write(dict(members)[sys.argv[3]])
    elif cmd == "unpack":
        d = sys.argv[3]
        for name, b in members:
            p = os.path.join(d, name)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            open(p, "wb").write(b)
        m = "spaceport-package\t2\n"
        m += "".join("%s\t%s\n" % (esc(k), esc(v)) for k, v in facts)
        m += "".join("member\t%s\t%d\t%08x\n" % (esc(n), len(b), zlib.crc32(b))
                     for n, b in members)
        os.makedirs(os.path.join(d, "spaceport"), exist_ok=True)
        open(os.path.join(d, "spaceport/manifest.tsv"), "w",
             encoding="utf-8").write(m)
    else:
        sys.exit("pkgread.py: unknown command %s" % cmd)


if __name__ == "__main__":
    main()
