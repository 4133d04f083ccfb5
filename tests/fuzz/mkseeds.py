#!/usr/bin/env python3
"""tests/fuzz/mkseeds.py - (re)build the small seed corpora in seeds/ from fixtures/.

  python3 mkseeds.py [--extract BIN] [--out seeds]

Every seed is at most MAX bytes and deterministic (same fixtures, same seeds).

  seeds/entities/   entities.xml documents: the prolog, root and a window of
                    consecutive objects of each real fixture, plus tests/mkbad
                    exports' entities.xml
  seeds/userref/    flags byte + replacement length + replacement + a body
                    (BodyContent bodies of the fixtures holding <ri:user>,
                    ac:macro / ac:structured-macro, [~name] or {profile...},
                    both as CDATA (escaped=0) and as escaped text (escaped=1))
  seeds/csv/        fixtures/users/*.csv and fixtures/convert/*.csv (first lines)
  seeds/sanitize/   windows of the control-character / bad UTF-8 fixtures
  seeds/props/      every fixtures/real/*/exportDescriptor.properties
  seeds/manifest/   spaceport/*.tsv of packages made by spaceport-extract from
                    the fixture zips (needs --extract; skipped without it)
  seeds/xmlcheck/   the entities seeds plus DOCTYPE, entity, forbidden
                    character and encoding cases
  seeds/zipin/      small zips (stored and deflated) of fixture windows, and
                    the small tests/mkbad zips
  seeds/pkg/        packages (tar) spaceport-extract makes of those zips
  seeds/relations/  spaceport/relations.tsv, seeds/users/ spaceport/users.tsv
                    of those packages and of the fixture zips' (--extract)
  seeds/descriptor/ a flags byte + each props seed
Standard library only.
"""

import argparse
import glob
import hashlib
import html
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
MAX = 4000


def put(outdir, name, data):
    os.makedirs(outdir, exist_ok=True)
    h = hashlib.sha1(data).hexdigest()[:10]
    with open(os.path.join(outdir, "%s-%s" % (name, h)), "wb") as f:
        f.write(data)


def real_entities():
    """(label, bytes) of every real entities.xml, loose or in a zip."""
    out = []
    for p in sorted(glob.glob(os.path.join(ROOT, "fixtures/real/*/*.xml"))):
        out.append((os.path.basename(os.path.dirname(p)), open(p, "rb").read()))
    for p in sorted(glob.glob(os.path.join(ROOT, "fixtures/real/*/*.zip"))):
        with zipfile.ZipFile(p) as z:
            if "entities.xml" in z.namelist():
                out.append((os.path.basename(os.path.dirname(p)),
                            z.read("entities.xml")))
    return out


def mkbad_zips(tmp):
    d = os.path.join(tmp, "mkbad")
    os.makedirs(d, exist_ok=True)
    try:
        subprocess.run([sys.executable, os.path.join(ROOT, "tests/mkbad"), d],
                       check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    except (OSError, subprocess.CalledProcessError):
        return []
    zs = []
    for p in sorted(glob.glob(os.path.join(d, "*.zip"))):
        if os.path.basename(p) in ("bomb.zip", "truncated.zip", "corrupt.zip"):
            continue
        zs.append(p)
    return zs


OBJ_RE = re.compile(rb"<object\b.*?</object>", re.S)


def windows(doc, label, n=2):
    """Prolog + root start tag + up to n windows of objects + root end."""
    m = re.search(rb"<hibernate-generic[^>]*>", doc)
    if not m:
        return []
    head = doc[:m.end()] + b"\n"
    objs = [o.group(0) for o in OBJ_RE.finditer(doc, m.end())]
    out = []
    if not objs:
        return [doc[:MAX]]
    step = max(1, len(objs) // n)
    for start in range(0, len(objs), step):
        body = b""
        for o in objs[start:]:
            if len(head) + len(body) + len(o) + 30 > MAX:
                break
            body += o + b"\n"
        if body:
            out.append(head + body + b"</hibernate-generic>\n")
        if len(out) >= n:
            break
    return out


def seeds_entities(out, tmp):
    for label, doc in real_entities():
        for i, w in enumerate(windows(doc, label)):
            put(out, "%s-%d" % (label, i), w)
    for z in mkbad_zips(tmp):
        with zipfile.ZipFile(z) as zz:
            if "entities.xml" in zz.namelist():
                put(out, "mkbad-" + os.path.basename(z)[:-4],
                    zz.read("entities.xml")[:MAX])


BODY_RE = re.compile(rb'<property name="body">(<!\[CDATA\[(.*?)\]\]>|([^<]*))</property>', re.S)
INTERESTING = (b"ri:user", b"ac:macro", b"ac:structured-macro", b"[~", b"{profile",
               b"{status-list", b"{network", b"{content-by-user")


def seeds_userref(out):
    seen = 0
    for label, doc in real_entities():
        for m in BODY_RE.finditer(doc):
            cdata, text = m.group(2), m.group(3)
            body = cdata if cdata is not None else text
            if body is None or not any(k in body for k in INTERESTING):
                continue
            body = body[:MAX - 40]
            esc = 0 if cdata is not None else 1
            for safe in (0, 1):
                repl = b"557058:acct-1" if safe else b'a]]>"&<x'
                put(out, "%s-e%d-s%d" % (label, esc, safe),
                    bytes([esc | (safe << 1), len(repl)]) + repl + body)
            if esc == 0:
                # the same body as escaped element text
                t = html.escape(body.decode("utf-8", "replace"),
                                quote=False).encode()
                put(out, "%s-asescaped" % label,
                    bytes([1 | 2, 9]) + b"acct:1234" + t[:MAX - 40])
            seen += 1
            if seen > 24:
                return
    # hand-made bodies for constructs the fixtures may lack
    hand = [
        (0, b'<p><ac:link><ri:user ri:userkey="8a7f808a4f0b1c2d" /></ac:link></p>'),
        (0, b'<ac:structured-macro ac:name="profile"><ac:parameter ac:name="user">'
            b'admin</ac:parameter></ac:structured-macro>'),
        (0, b'<ac:macro ac:name="content-by-user"><ac:default-parameter>jdoe'
            b'</ac:default-parameter></ac:macro>'),
        (0, b'<ac:structured-macro ac:name="code"><ac:plain-text-body><![CDATA[<ri:user '
            b'ri:username="x"/>]] ></ac:plain-text-body></ac:structured-macro>'),
        (1, b'&lt;ri:user ri:username=&quot;a&amp;amp;b&quot; /&gt;'),
        (1, b"&lt;ac:macro ac:name=&quot;network&quot;&gt;&lt;ac:parameter "
            b"ac:name=&quot;username&quot;&gt;bob&lt;/ac:parameter&gt;&lt;/ac:macro&gt;"),
        (0, b"Hello [~admin] and [Joe|~jdoe|tip] {profile:user=admin} "
            b"{code}[~notme]{code}"),
        (1, b"[~a&amp;b] {status-list:username=x|other=y}"),
    ]
    for i, (esc, body) in enumerate(hand):
        put(out, "hand%d" % i, bytes([esc | 2, 7]) + b"acct:77" + body)
        put(out, "hand%d-raw" % i, bytes([esc, 5]) + b"]]>&'" + body)


def seeds_csv(out):
    for p in sorted(glob.glob(os.path.join(ROOT, "fixtures/users/*.csv")) +
                    glob.glob(os.path.join(ROOT, "fixtures/convert/*.csv")) +
                    glob.glob(os.path.join(ROOT, "fixtures/convert/handmade/*.csv"))):
        data = open(p, "rb").read()
        lines = data.splitlines(keepends=True)[:25]
        put(out, os.path.basename(p)[:-4], b"".join(lines)[:MAX])
    put(out, "quoted", b'\xef\xbb\xbf"User id","email"\r\n"a""b","x\r\ny"\r\n,\n \t\n"\n"')


def seeds_sanitize(out):
    for p in sorted(glob.glob(os.path.join(ROOT, "fixtures/real/xwiki-quirk-*/*.xml"))):
        data = open(p, "rb").read()
        bad = [m.start() for m in re.finditer(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x80-\xff]", data)]
        at = max(0, (bad[0] if bad else 0) - 200)
        put(out, os.path.basename(p), data[at:at + 2000])
    put(out, "soup", b"a\x01b\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xef\xbf\xbe\xef\xbf\xbf"
        b"\xed\xa0\x80\xc0\xaf\xf4\x90\x80\x80\xe0\x80\n\r\t\x1c\xff")


def seeds_props(out):
    for p in sorted(glob.glob(os.path.join(ROOT, "fixtures/real/*/exportDescriptor.properties"))):
        put(out, os.path.basename(os.path.dirname(p)), open(p, "rb").read()[:MAX])
    put(out, "escapes", b"#c\r\n! other\nkey\\ with\\:sep = v\\u00e9\\\n   continued\n"
        b"a:b\nc d\n\\#notcomment=1\nempty=\n")


def seeds_manifest(out, extract, tmp):
    if extract is None or not os.access(extract, os.X_OK):
        print("mkseeds: no spaceport-extract; seeds/manifest left as is",
              file=sys.stderr)
        return
    zips = sorted(glob.glob(os.path.join(ROOT, "fixtures/real/*/*.zip")))
    zips += [z for z in mkbad_zips(tmp) if os.path.basename(z) in ("ok.zip", "cdata.zip")]
    for z in zips:
        d = os.path.join(tmp, "pkg-" + os.path.basename(z))
        r = subprocess.run([extract, "-q", "-d", d, z], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        if r.returncode != 0:
            continue
        for m in ("manifest.tsv", "users.tsv", "relations.tsv"):
            p = os.path.join(d, "spaceport", m)
            if os.path.exists(p):
                data = open(p, "rb").read()
                lines = data.splitlines(keepends=True)
                put(out, "%s-%s" % (os.path.basename(z), m[:-4]),
                    b"".join(lines[:60])[:MAX])


XMLCHECK_CASES = {
    "doctype-external": b'<?xml version="1.0"?>\n<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<a>&x;</a>\n',
    "doctype-plain": b'<!DOCTYPE a>\n<a/>\n',
    "entity-undeclared": b'<a>&x;</a>',
    "charrefs": b'<a b="&#9;&#x10FFFF;">&#1;&#xFFFE;&lt;&amp;</a>',
    "control": b'<a>\x01</a>',
    "noncharacter": b'<a>\xef\xbf\xbe</a>',
    "latin1": b'<?xml version="1.0" encoding="ISO-8859-1"?>\n<a>\xe9</a>',
    "utf16": b'\xff\xfe<\x00a\x00/\x00>\x00',
    "bom": b'\xef\xbb\xbf<a><![CDATA[x]]]]><![CDATA[>]]><!--c--><?pi x?></a>\n',
    "trailing": b'<a/>\n<!--after-->\n<b/>',
}


def seeds_xmlcheck(out, entities_dir):
    for f in sorted(os.listdir(entities_dir)):
        put(out, f.rsplit("-", 1)[0], open(os.path.join(entities_dir, f), "rb").read())
    for k, v in XMLCHECK_CASES.items():
        put(out, k, v)


ZMAX = 16000


def small_zips(tmp):
    """(label, path) of small export zips: a window of each real fixture
    with a descriptor and an attachment, stored and deflated."""
    out = []
    for label, doc in real_entities():
        w = windows(doc, label, 1)
        if not w:
            continue
        for comp in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            p = os.path.join(tmp, "%s-%d.zip" % (label, comp))
            with zipfile.ZipFile(p, "w", comp) as z:
                z.writestr(zipfile.ZipInfo("exportDescriptor.properties",
                                           (2000, 1, 1, 0, 0, 0)),
                           b"exportType=space\nspaceKey=K\n", comp)
                z.writestr(zipfile.ZipInfo("entities.xml", (2000, 1, 1, 0, 0, 0)),
                           w[0], comp)
                z.writestr(zipfile.ZipInfo("attachments/1/2/1", (2000, 1, 1, 0, 0, 0)),
                           b"attachment bytes\n", comp)
            if os.path.getsize(p) <= ZMAX:
                out.append(("%s-%s" % (label, "stored" if comp == 0 else "deflated"), p))
    return out


def seeds_zipin(out, tmp):
    for label, p in small_zips(tmp):
        put(out, label, open(p, "rb").read())
    for z in mkbad_zips(tmp):
        if os.path.getsize(z) <= ZMAX:
            put(out, "mkbad-" + os.path.basename(z)[:-4], open(z, "rb").read())


def seeds_packages(out_pkg, out_rel, out_users, extract, tmp):
    if extract is None or not os.access(extract, os.X_OK):
        print("mkseeds: no spaceport-extract; seeds/pkg, relations, users "
              "left as is", file=sys.stderr)
        return
    for label, z in small_zips(tmp):
        if not label.endswith("-deflated"):
            continue
        t = os.path.join(tmp, label + ".tar")
        r = subprocess.run([extract, "-q", "-o", t, z], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        if r.returncode != 0:
            continue
        if os.path.getsize(t) <= ZMAX:
            put(out_pkg, label[:-9], open(t, "rb").read())
    zips = sorted(glob.glob(os.path.join(ROOT, "fixtures/real/*/*.zip")))
    zips += [p for _, p in small_zips(tmp) if p.endswith("-8.zip")]
    for z in zips:
        d = os.path.join(tmp, "pkgd-" + os.path.basename(z))
        r = subprocess.run([extract, "-q", "-d", d, z], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        if r.returncode != 0:
            continue
        for m, o in (("relations.tsv", out_rel), ("users.tsv", out_users)):
            data = open(os.path.join(d, "spaceport", m), "rb").read()
            lines = data.splitlines(keepends=True)
            put(o, os.path.basename(z)[:-4], b"".join(lines[:60])[:MAX])


def seeds_descriptor(out, props_dir):
    for i, f in enumerate(sorted(os.listdir(props_dir))):
        data = open(os.path.join(props_dir, f), "rb").read()
        put(out, f.rsplit("-", 1)[0], bytes([i % 16]) + data)
    put(out, "renamed", b"\x0f#Mon Jan 01 00:00:00 UTC 2024\nexportType=space\n"
        b"spaceKey=OLD\nfuzz.spaceKey=NEW\nfuzz.datetime=2024-02-29 23:59:60\n"
        b"ao.data.version.x.y=3\nao.data.list=a,b\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--extract", default=os.path.join(ROOT, "bin/spaceport-extract"))
    ap.add_argument("--out", default=os.path.join(HERE, "seeds"))
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="sp-mkseeds.")
    try:
        for sub in ("entities", "userref", "csv", "sanitize", "props",
                    "xmlcheck", "zipin", "descriptor"):
            shutil.rmtree(os.path.join(a.out, sub), ignore_errors=True)
        seeds_entities(os.path.join(a.out, "entities"), tmp)
        seeds_userref(os.path.join(a.out, "userref"))
        seeds_csv(os.path.join(a.out, "csv"))
        seeds_sanitize(os.path.join(a.out, "sanitize"))
        seeds_props(os.path.join(a.out, "props"))
        if a.extract and os.access(a.extract, os.X_OK):
            shutil.rmtree(os.path.join(a.out, "manifest"), ignore_errors=True)
        seeds_manifest(os.path.join(a.out, "manifest"), a.extract, tmp)
        seeds_xmlcheck(os.path.join(a.out, "xmlcheck"), os.path.join(a.out, "entities"))
        seeds_zipin(os.path.join(a.out, "zipin"), tmp)
        if a.extract and os.access(a.extract, os.X_OK):
            for sub in ("pkg", "relations", "users"):
                shutil.rmtree(os.path.join(a.out, sub), ignore_errors=True)
        seeds_packages(os.path.join(a.out, "pkg"), os.path.join(a.out, "relations"),
                       os.path.join(a.out, "users"), a.extract, tmp)
        seeds_descriptor(os.path.join(a.out, "descriptor"), os.path.join(a.out, "props"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for sub in sorted(os.listdir(a.out)):
        files = os.listdir(os.path.join(a.out, sub))
        size = sum(os.path.getsize(os.path.join(a.out, sub, f)) for f in files)
        print("seeds/%-10s %3d files %7d bytes" % (sub, len(files), size))


if __name__ == "__main__":
    main()
