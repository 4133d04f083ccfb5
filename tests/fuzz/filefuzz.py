#!/usr/bin/env python3
"""tests/fuzz/filefuzz.py - file-level mutation fuzzing of the three programs.

  python3 filefuzz.py --bin DIR [--time SECONDS] [--jobs N] [--work DIR] [--seed S]
  python3 filefuzz.py --bin DIR --replay CASE_DIR      (re-run one saved case)

DIR holds spaceport-extract, -convert and -pack built with ASan+UBSan (make -C
tests/fuzz files builds them).  Bases, made once in WORK/bases/:

  export zips   fixtures/real/*/*.zip, tests/mkbad output (not bomb.zip), and
                three tiny bench/gen exports (legacy 5.x, new writer, legacy 4.x)
  packages      each zip that extracts, as a tar (-o) and as a directory (-d),
                and converted (--unmapped former) for pack

Every iteration mutates one base and runs one program on it:

  extract  the zip's raw bytes (bit flips, interesting bytes, truncation,
           splicing, range insert/delete/duplicate), or one member's content
           (entities.xml mostly: byte mutations, dictionary tokens from dict/,
           object duplicate/delete/swap, line splices) rewritten into a fresh
           zip, sometimes with renamed/duplicated members; run with -o, -d or
           stdout, sometimes --inventory, --report, a small --max-object
  convert  an extract package: raw tar bytes, or one member mutated (entities.xml,
           users.tsv, relations.tsv, the descriptor, the manifest's facts) with the
           manifest's size and CRC-32 fixed up so the hand-over check passes and
           the mutated bytes reach the parsers; tar or directory form; sometimes a
           mutated --cloud-users CSV
  pack     a converted package, mutated the same way; sometimes --verify

Reported (saved to WORK/findings/KIND-N/: input, command, stderr):
  sanitizer  an ASan / UBSan / LeakSanitizer report
  crash      an exit status other than 0, 1, 2 (signals included)
  hang       no exit within --timeout seconds (10)
  leftover   a failed run (status != 0) that left its output (or a temporary
             file/directory beside it) behind
  nooutput   status 0 without the output file/directory
Standard library only.
"""

import argparse
import hashlib
import io
import os
import random
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))

SAN_PATTERNS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                "SUMMARY: UndefinedBehaviorSanitizer", "AddressSanitizer:DEADLYSIGNAL",
                "ERROR: libFuzzer")
ENV = dict(os.environ,
           ASAN_OPTIONS="detect_leaks=1:exitcode=86:abort_on_error=0:"
                        "allocator_may_return_null=0:malloc_limit_mb=4096",
           UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=87",
           TZ="UTC", LC_ALL="C")

INTERESTING = [b"\x00", b"\x01", b"\x1c", b"\x7f", b"\x80", b"\xc0", b"\xef\xbf\xbe", b"\xff",
               b"<", b">", b"&", b"]", b"\"", b"'", b"\n", b"\r", b"\t", b"\\", b"/", b"..",
               b"9" * 20, b"-1", b"0"]


def load_dict():
    toks = []
    for p in sorted(os.listdir(os.path.join(HERE, "dict"))):
        for line in open(os.path.join(HERE, "dict", p), "rb"):
            line = line.strip()
            if line.startswith(b'"') and line.endswith(b'"'):
                s = line[1:-1]
                s = re.sub(rb"\\x([0-9a-fA-F]{2})", lambda m: bytes([int(m.group(1), 16)]), s)
                s = s.replace(b'\\"', b'"').replace(b"\\n", b"\n").replace(b"\\r", b"\r")
                s = s.replace(b"\\\\", b"\\")
                toks.append(s)
    return toks or [b"<object>"]


TOKENS = load_dict()

# ---------------------------------------------------------------- mutators


def mut_bytes(rng, data, others=()):
    """One to four byte-level mutations."""
    b = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        n = len(b)
        op = rng.randrange(10)
        if n == 0:
            b += rng.choice(TOKENS)
            continue
        i = rng.randrange(n)
        if op == 0:
            b[i] ^= 1 << rng.randrange(8)
        elif op == 1:
            b[i:i + 1] = rng.choice(INTERESTING)
        elif op == 2:
            del b[i:i + rng.randint(1, min(64, n - i))]
        elif op == 3:
            j = rng.randrange(n)
            k = rng.randint(1, min(256, n - j))
            b[i:i] = b[j:j + k]
        elif op == 4:
            b[i:i] = rng.choice(TOKENS)
        elif op == 5:
            del b[rng.randrange(n):]
        elif op == 6 and others:
            o = rng.choice(others)
            if o:
                j = rng.randrange(len(o))
                b[i:i] = o[j:j + rng.randint(1, min(512, len(o) - j))]
        elif op == 7:
            b[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
        elif op == 8:
            b[i:i] = rng.choice(TOKENS) * rng.randint(2, 200)
        else:
            for _ in range(rng.randint(1, 8)):
                b[rng.randrange(n)] = rng.randrange(256)
    return bytes(b)


OBJ = re.compile(rb"<object\b.*?</object>\s*", re.S)


def mut_entities(rng, data, others=()):
    objs = [m.span() for m in OBJ.finditer(data)] if rng.random() < 0.4 else []
    if objs:
        s, e = rng.choice(objs)
        op = rng.randrange(4)
        if op == 0:            # duplicate an object (same id twice)
            return data[:e] + data[s:e] + data[e:]
        if op == 1:            # delete an object (dangling references)
            return data[:s] + data[e:]
        if op == 2:            # mutate inside one object only
            return data[:s] + mut_bytes(rng, data[s:e]) + data[e:]
        s2, e2 = rng.choice(objs)   # move an object
        if s2 >= e:
            return data[:s] + data[e:s2] + data[s:e] + data[s2:]
    return mut_bytes(rng, data, others)


def mut_lines(rng, data, others=()):
    lines = data.split(b"\n")
    if len(lines) > 1 and rng.random() < 0.5:
        i = rng.randrange(len(lines))
        op = rng.randrange(5)
        if op == 0:
            del lines[i]
        elif op == 1:
            lines.insert(i, lines[rng.randrange(len(lines))])
        elif op == 2:
            f = lines[i].split(b"\t")
            rng.shuffle(f)
            lines[i] = b"\t".join(f)
        elif op == 3:
            f = lines[i].split(b"\t")
            f[rng.randrange(len(f))] = rng.choice(INTERESTING + TOKENS)
            lines[i] = b"\t".join(f)
        else:
            lines[i] = mut_bytes(rng, lines[i])
        return b"\n".join(lines)
    return mut_bytes(rng, data, others)


def mutate_member(rng, name, data, others=()):
    if name == "entities.xml":
        return mut_entities(rng, data, others)
    if name.endswith(".tsv") or name.endswith(".properties") or name.endswith(".csv"):
        return mut_lines(rng, data, others)
    return mut_bytes(rng, data, others)

# ---------------------------------------------------------------- bases


def run(cmd, stdin=None, timeout=60, cwd=None):
    return subprocess.run(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=timeout, env=ENV, cwd=cwd)


def make_bases(args, bases):
    os.makedirs(bases, exist_ok=True)
    zips = []
    for d, _, fs in sorted(os.walk(os.path.join(ROOT, "fixtures/real"))):
        zips += [os.path.join(d, f) for f in sorted(fs) if f.endswith(".zip")]
    mk = os.path.join(bases, "mkbad")
    os.makedirs(mk, exist_ok=True)
    subprocess.run([sys.executable, os.path.join(ROOT, "tests/mkbad"), mk],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    zips += [os.path.join(mk, f) for f in sorted(os.listdir(mk))
             if f.endswith(".zip") and f != "bomb.zip"]
    users = os.path.join(ROOT, "fixtures/users/cloud-users.csv")
    userof = {}
    for name, extra in (("gen-legacy", []), ("gen-new", ["--style", "new"]),
                        ("gen-4x", ["--era", "4x"])):
        d = os.path.join(bases, name)
        r = subprocess.run([sys.executable, os.path.join(ROOT, "bench/gen"), "--out", d,
                            "--pages", "6", "--users", "6", "--attach-size", "300",
                            "--attachments-per-page", "1", "--csv-quirks"] + extra,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if r.returncode == 0 and os.path.exists(os.path.join(d, "export.zip")):
            zips.append(os.path.join(d, "export.zip"))
            userof[zips[-1]] = os.path.join(d, "cloud-users.csv")
    out = []
    for i, z in enumerate(zips):
        u = userof.get(z, users)
        ent = {"zip": z, "users": u, "pkg": None, "dir": None, "conv": None}
        p = os.path.join(bases, "b%02d.pkg" % i)
        if run([os.path.join(args.bin, "spaceport-extract"), "-q", "-o", p, z]).returncode == 0:
            ent["pkg"] = p
            dd = os.path.join(bases, "b%02d.dir" % i)
            run([os.path.join(args.bin, "spaceport-extract"), "-q", "-d", dd, z])
            ent["dir"] = dd if os.path.isdir(dd) else None
            c = os.path.join(bases, "b%02d.conv" % i)
            if run([os.path.join(args.bin, "spaceport-convert"), "-q", "--cloud-users", u,
                    "--unmapped", "former", "-o", c, p]).returncode == 0:
                ent["conv"] = c
        out.append(ent)
    return out


def read_tar(path):
    """[(name, bytes)] in stream order."""
    with tarfile.open(path, "r:") as t:
        return [(m.name, t.extractfile(m).read()) for m in t.getmembers() if m.isfile()]


def write_tar(path, members, rng):
    fmt = rng.choice([tarfile.PAX_FORMAT, tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT])
    with tarfile.open(path, "w:", format=fmt) as t:
        for name, data in members:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mode = 0o644
            t.addfile(ti, io.BytesIO(data))


def write_dir(path, members):
    for name, data in members:
        p = os.path.join(path, name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)


def fix_manifest(members, mutate_facts, rng):
    """Rebuild the manifest's member lines from the members' real bytes."""
    man = members[0][1].split(b"\n")
    facts = [l for l in man if l and not l.startswith(b"member\t")]
    if mutate_facts:
        body = mut_lines(rng, b"\n".join(facts[1:]))
        facts = facts[:1] + body.split(b"\n")
    lines = facts[:]
    for name, data in members[1:]:
        lines.append(b"member\t%s\t%d\t%08x" % (name.encode(), len(data),
                                                 zlib.crc32(data) & 0xffffffff))
    members[0] = (members[0][0], b"\n".join(lines) + b"\n")
    return members

# ---------------------------------------------------------------- one case


def check(kind_cmd, r, outpath, elapsed):
    """Returns (kind, detail) or None."""
    err = r["stderr"]
    for p in SAN_PATTERNS:
        if p in err:
            return "sanitizer", p
    if r["timeout"]:
        return "hang", "no exit after %.0f s" % elapsed
    rc = r["rc"]
    if rc not in (0, 1, 2):
        return "crash", "exit status %d" % rc
    if outpath is not None:
        # Documented: --strict exits 1 on findings after writing, and
        # pack --verify writes the output even when verify finds a difference.
        if rc == 1 and ("--strict" in kind_cmd or
                        ("--verify" in kind_cmd and "verify:" in err)):
            return None
        d = os.path.dirname(outpath)
        left = sorted(f for f in os.listdir(d) if f not in ("report.json",))
        if rc != 0 and left:
            return "leftover", "status %d, left %s" % (rc, left)
        if rc == 0 and not os.path.exists(outpath):
            return "nooutput", "status 0 without %s" % outpath
    return None


def one_case(args, bases, rng, wdir):
    """Build one mutated input in wdir, run it, return (kind, detail, cmd, r)."""
    b = os.path.join(args.bin, "spaceport-")
    os.makedirs(wdir)
    out = os.path.join(wdir, "out")
    os.makedirs(out)
    prog = rng.choices(["extract", "convert", "pack"], [5, 3, 2])[0]
    have = [x for x in bases if (prog == "extract" or
                                 (prog == "convert" and x["pkg"]) or
                                 (prog == "pack" and x["conv"]))]
    base = rng.choice(have)
    stdin = None
    extra = []
    if prog == "extract":
        data = open(base["zip"], "rb").read()
        inp = os.path.join(wdir, "in.zip")
        if rng.random() < 0.35:
            new = mut_bytes(rng, data, [open(rng.choice(bases)["zip"], "rb").read()])
        else:
            try:
                with zipfile.ZipFile(io.BytesIO(data)) as z:
                    mem = [(i, z.read(i.filename)) for i in z.infolist()]
            except Exception:
                mem = []
            if not mem:
                new = mut_bytes(rng, data)
            else:
                k = rng.randrange(len(mem))
                ents = [m for m in range(len(mem)) if mem[m][0].filename == "entities.xml"]
                if ents and rng.random() < 0.7:
                    k = ents[0]
                info, content = mem[k]
                mem[k] = (info, mutate_member(rng, info.filename, content))
                if rng.random() < 0.1:    # names: duplicate / traversal / odd
                    j = rng.randrange(len(mem))
                    nm = rng.choice([mem[j][0].filename, "../" + mem[j][0].filename,
                                     mem[j][0].filename + "/", "attachments//x",
                                     "attachments/1/2/" + "\u00e9" * 3, "a\\b"])
                    ni = zipfile.ZipInfo(nm, mem[j][0].date_time)
                    mem.append((ni, mem[j][1]))
                bio = io.BytesIO()
                with zipfile.ZipFile(bio, "w") as z:
                    for info, content in mem:
                        ni = zipfile.ZipInfo(info.filename, info.date_time)
                        ni.compress_type = rng.choice([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
                        ni.external_attr = info.external_attr
                        with __import__("warnings").catch_warnings():
                            __import__("warnings").simplefilter("ignore")
                            z.writestr(ni, content)
                new = bio.getvalue()
        open(inp, "wb").write(new)
        if rng.random() < 0.15:
            extra += ["--inventory", "out/inv.db"]
        if rng.random() < 0.2:
            extra += ["--report", "out/report.json"]
        if rng.random() < 0.1:
            extra += ["--max-object", str(rng.choice([4096, 5000, 8192, 65536]))]
        if rng.random() < 0.1:
            extra += ["--strict"]
        form = rng.choice(["o", "o", "d", "stdout"])
        src = [os.path.basename(inp)]
        if rng.random() < 0.2:
            stdin = inp
            src = ["-"]
    else:
        pkgsrc = base["pkg"] if prog == "convert" else base["conv"]
        members = read_tar(pkgsrc)
        if rng.random() < 0.2:
            inp = os.path.join(wdir, "in.pkg")
            open(inp, "wb").write(mut_bytes(rng, open(pkgsrc, "rb").read()))
        else:
            names = [n for n, _ in members]
            weights = [6 if n == "entities.xml" else 3 if n.startswith("spaceport/") else 1
                       for n in names]
            k = rng.choices(range(len(members)), weights)[0]
            mutate_facts = k == 0 or rng.random() < 0.1
            if k != 0:
                members[k] = (members[k][0], mutate_member(rng, members[k][0], members[k][1]))
            members = fix_manifest(members, mutate_facts, rng)
            if rng.random() < 0.3:
                inp = os.path.join(wdir, "in.dir")
                write_dir(inp, members)
            else:
                inp = os.path.join(wdir, "in.pkg")
                write_tar(inp, members, rng)
        src = [os.path.basename(inp)]
        if rng.random() < 0.1 and not os.path.isdir(inp):
            stdin = inp
            src = ["-"]
        if prog == "convert":
            u = base["users"]
            if rng.random() < 0.15:
                u = os.path.join(wdir, "users.csv")
                open(u, "wb").write(mut_lines(rng, open(base["users"], "rb").read()))
            extra += ["--cloud-users", os.path.relpath(u, wdir) if u.startswith(wdir) else u,
                      "--unmapped",
                      rng.choice(["former", "former", "fail",
                                 "557058:0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c01"])]
            if rng.random() < 0.1:
                extra += ["--dry-run"]
            form = rng.choice(["o", "o", "d", "stdout"])
        else:
            if rng.random() < 0.3:
                extra += ["--verify", base["zip"]]
            if rng.random() < 0.2:
                extra += ["--force"]
            if rng.random() < 0.1:
                extra += ["--space-key", rng.choice(["NEW", "NEW", "X" * 300, "a b"])]
            form = rng.choice(["o", "o", "stdout"])
        if rng.random() < 0.2:
            extra += ["--report", "out/report.json"]
    cmd = [b + prog, "-q"] + extra
    outpath = None
    if form in ("o", "d"):
        outpath = os.path.join(out, "result")
        cmd += ["-" + form, "out/result"]
    cmd += src
    t0 = time.time()
    res = {"timeout": False, "rc": None, "stderr": ""}
    try:
        with open(stdin, "rb") if stdin else open(os.devnull, "rb") as fin:
            p = subprocess.run(cmd, stdin=fin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=args.timeout, env=ENV, cwd=wdir)
        res["rc"] = p.returncode
        res["stderr"] = p.stderr.decode("utf-8", "replace")
    except subprocess.TimeoutExpired as e:
        res["timeout"] = True
        res["stderr"] = (e.stderr or b"").decode("utf-8", "replace")
    verdict = check(cmd, res, outpath, time.time() - t0)
    return verdict, cmd, res, stdin, prog


def signature(kind, res, prog):
    err = res["stderr"]
    if kind in ("leftover", "nooutput", "hang", "crash"):
        last = (err.strip().splitlines() or [""])[-1]
        last = re.sub(r"[0-9a-f]{8}", "H", re.sub(r"\d+", "N", last))
        return "%s:%s:%s" % (kind, prog, last[:140])
    m = re.search(r"(runtime error: .*)", err)
    if m:
        return kind + ":" + re.sub(r"\d+", "N", m.group(1))[:160]
    frames = re.findall(r"#\d+ 0x[0-9a-f]+ in (\S+) (\S+)", err)
    frames = [f for f in frames
              if re.match(r"(.*/)?(common|extract|convert|pack)/\w+\.c:", f[1])]
    if frames:
        return kind + ":" + frames[0][0] + "@" + frames[0][1]
    return kind + ":" + (err.strip().splitlines() or [""])[-1][:120]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--time", type=float, default=600)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=10)
    ap.add_argument("--work", default=os.path.join(HERE, "build", "files"))
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--replay", default=None)
    args = ap.parse_args()
    args.bin = os.path.abspath(args.bin)
    args.work = os.path.abspath(args.work)

    if args.replay:
        cmd = open(os.path.join(args.replay, "cmd")).read().split("\0")
        stdin = os.path.join(args.replay, "stdin")
        shutil.rmtree(os.path.join(args.replay, "out"), ignore_errors=True)
        os.makedirs(os.path.join(args.replay, "out"))
        with open(stdin, "rb") if os.path.exists(stdin) else open(os.devnull, "rb") as f:
            p = subprocess.run(cmd, stdin=f, env=ENV, cwd=args.replay)
        print("exit status", p.returncode)
        return

    bases_dir = os.path.join(args.work, "bases")
    print("filefuzz: building bases in", bases_dir, flush=True)
    shutil.rmtree(bases_dir, ignore_errors=True)
    bases = make_bases(args, bases_dir)
    print("filefuzz: %d zips, %d packages, %d converted" % (
        len(bases), sum(1 for x in bases if x["pkg"]), sum(1 for x in bases if x["conv"])),
        flush=True)
    finddir = os.path.join(args.work, "findings")
    os.makedirs(finddir, exist_ok=True)
    seed = args.seed if args.seed is not None else int(time.time())
    deadline = time.time() + args.time
    stats = {"runs": 0, "extract": 0, "convert": 0, "pack": 0, "rc": {}}
    seen = {}
    lock = __import__("threading").Lock()

    def worker(wid):
        rng = random.Random(seed * 1000 + wid)
        n = 0
        while time.time() < deadline:
            n += 1
            wdir = tempfile.mkdtemp(prefix="case.", dir=args.work)
            shutil.rmtree(wdir)
            try:
                verdict, cmd, res, stdin, prog = one_case(args, bases, rng, wdir)
            except Exception as e:   # a bug in the mutator, not in spaceport
                print("filefuzz: mutator error:", repr(e), flush=True)
                shutil.rmtree(wdir, ignore_errors=True)
                continue
            with lock:
                stats["runs"] += 1
                stats[prog] += 1
                key = "%s:%s" % (prog, res["rc"])
                stats["rc"][key] = stats["rc"].get(key, 0) + 1
                if verdict:
                    sig = signature(verdict[0], res, prog)
                    seen[sig] = seen.get(sig, 0) + 1
                    keep = seen[sig] <= 3
                    if seen[sig] == 1:
                        print("filefuzz: NEW %s (%s) %s\n    %s" % (verdict[0], verdict[1], sig,
                                                            " ".join(cmd)), flush=True)
                else:
                    keep = False
            if keep:
                dst = os.path.join(finddir, "%s-%d-%d" % (verdict[0], wid, n))
                shutil.move(wdir, dst)
                with open(os.path.join(dst, "cmd"), "w") as f:
                    f.write("\0".join(cmd))
                with open(os.path.join(dst, "stderr"), "w") as f:
                    f.write(res["stderr"])
                with open(os.path.join(dst, "verdict"), "w") as f:
                    f.write("%s: %s\n%s\n" % (verdict[0], verdict[1], sig))
                if stdin:
                    shutil.copy(os.path.join(dst, os.path.basename(stdin)),
                                os.path.join(dst, "stdin"))
            else:
                shutil.rmtree(wdir, ignore_errors=True)

    with ThreadPoolExecutor(args.jobs) as ex:
        list(ex.map(worker, range(args.jobs)))
    print("filefuzz: seed %d, %d runs (extract %d, convert %d, pack %d)" % (
        seed, stats["runs"], stats["extract"], stats["convert"], stats["pack"]))
    print("filefuzz: exit statuses:", " ".join("%s=%d" % kv for kv in sorted(stats["rc"].items())))
    print("filefuzz: %d distinct findings" % len(seen))
    for sig, n in sorted(seen.items()):
        print("  %5d  %s" % (n, sig))
    sys.exit(1 if seen else 0)


if __name__ == "__main__":
    main()
