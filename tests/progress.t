#!/usr/bin/env bash
# The progress line (common/progress.c): drawn on a terminal, never in
# the data, not under -q, not when standard error is a file, and in a
# pipe only by the last stage.
#
# The programs run with standard error on a pseudo-terminal (python3's
# pty module) and their input fed through a pipe at about 2.5 MB/s (a second or so), so that
# each run lasts well over the half second before the first draw.  A
# progress line is "\r<program>: <n> <unit>..." (the format of
# progress.h); the line discipline turns "\n" into "\r\n", so summaries
# and messages never match it.
. "$(dirname "$0")/lib.sh"

cat >"$T/ptyrun.py" <<'PY'
# ptyrun.py [--slow FILE] [--out FILE] [--err-file FILE] -- ARGV...
# Runs ARGV with stderr on a pty (or --err-file), stdin fed slowly from
# FILE, stdout to --out; prints what reached the terminal, as bytes.
import fcntl, os, pty, struct, subprocess, sys, termios, threading, time
args = sys.argv[1:]
slow = out = errf = None
while args[0] != "--":
    if args[0] == "--slow": slow = args[1]
    elif args[0] == "--out": out = args[1]
    elif args[0] == "--err-file": errf = args[1]
    args = args[2:]
argv = args[1:]
master, slave = pty.openpty()
fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))
stdin = subprocess.PIPE if slow else subprocess.DEVNULL
stdout = open(out, "wb") if out else subprocess.DEVNULL
stderr = open(errf, "wb") if errf else slave
p = subprocess.Popen(argv, stdin=stdin, stdout=stdout, stderr=stderr)
os.close(slave)
def feed():
    with open(slow, "rb") as f:
        while True:
            b = f.read(131072)
            if not b:
                break
            try:
                p.stdin.write(b); p.stdin.flush()
            except BrokenPipeError:
                break
            time.sleep(0.05)
    try:
        p.stdin.close()
    except BrokenPipeError:
        pass
if slow:
    t = threading.Thread(target=feed); t.start()
got = b""
while True:
    try:
        b = os.read(master, 65536)
    except OSError:
        break
    if not b:
        break
    got += b
rc = p.wait()
if slow:
    t.join()
sys.stdout.buffer.write(got)
sys.exit(rc)
PY
pty() { python3 "$T/ptyrun.py" "$@"; }
# progress_lines FILE PROG: how many progress lines of PROG FILE holds.
progress_lines() {
	python3 - "$1" "$2" <<'PY'
import re, sys
data = open(sys.argv[1], "rb").read()
print(len(re.findall(rb"\r" + sys.argv[2].encode() + rb": [0-9.]+ (?:B|KiB|MiB|GiB)", data)))
PY
}
# bare_cr FILE: carriage returns not ending a line (a drawn or erased line).
bare_cr() { python3 -c 'import re,sys; print(len(re.findall(rb"\r(?!\n)", open(sys.argv[1],"rb").read())))' "$1"; }

# 100 pages make a 3 MB export: fed at 128 KiB per 50 ms, every run below
# lasts over a second, so the half-second first draw never races the end
# however fast the machine (with 30 pages, 1 MB, a quiet CI machine ended
# the pipeline before pack's first draw).
"$TOP/bench/gen" --out "$T/g" --pages 100 --seed progress >/dev/null
spaceport-extract -q -o "$T/x.pkg" "$T/g/export.zip"
conv="spaceport-convert --cloud-users $T/g/cloud-users.csv --unmapped former"

# --- one program on a terminal -------------------------------------------
pty --slow "$T/x.pkg" --out "$T/c.pkg" -- $conv >"$T/tty" 2>"$T/pty.err"
is "$?" 0 "convert with stderr on a terminal: exit 0"
n=$(progress_lines "$T/tty" spaceport-convert)
check "progress drawn ($n lines)" test "$n" -ge 1
# (the total: the package's sizes, and for entities.xml, which extract
# streams without one, its estimate.entities.xml fact; objects appear once
# the rewrite starts: convert first spools entities.xml as it comes)
like "$(tr '\r' '\n' <"$T/tty")" '^spaceport-convert: [0-9.]+ (KiB|MiB) of [0-9.]+ (KiB|MiB) \([0-9]+%\)(, [0-9]+ objects)?, [0-9.]+ (KiB|MiB)/s' \
    "the line: bytes of the total, rate"
like "$(tr '\r' '\n' <"$T/tty")" '^spaceport-convert: [0-9.]+ (KiB|MiB) of [0-9.]+ (KiB|MiB) \([0-9]+%\), [0-9]+ objects, [0-9.]+ (KiB|MiB)/s' \
    "  and objects once it rewrites"
check "cleared before the summary" python3 -c '
import re, sys
d = open(sys.argv[1], "rb").read()
i = d.index(b"spaceport-convert: summary of")
sys.exit(0 if re.search(rb"\r *\r$", d[:i]) else 1)' "$T/tty"
$conv "$T/x.pkg" -o "$T/c-file.pkg" 2>"$T/file.err"
check "the data on stdout is the same as without a terminal" cmp "$T/c.pkg" "$T/c-file.pkg"
is "$(bare_cr "$T/file.err")" 0 "stderr a file: no progress"
unlike "$(cat "$T/file.err")" 'objects,' "stderr a file: no progress text"

pty --slow "$T/x.pkg" --out "$T/cq.pkg" -- $conv -q >"$T/ttyq" 2>"$T/pty.err"
is "$(wc -c <"$T/ttyq" | tr -d ' ')" 0 "-q: nothing on the terminal"
check "-q: same data" cmp "$T/cq.pkg" "$T/c-file.pkg"
SPACEPORT_PROGRESS=never pty --slow "$T/x.pkg" --out "$T/cn.pkg" -- $conv >"$T/ttyn" 2>"$T/pty.err"
is "$(bare_cr "$T/ttyn")" 0 "SPACEPORT_PROGRESS=never: no progress"

# extract reads a zip: the line counts the export's bytes, each member once.
# From a pipe it first spools standard input (counted, of no known total),
# so an export fed for more than a second (about 3 MB at 128 KiB per 50 ms)
# is drawn however fast the machine is.
pty --slow "$T/g/export.zip" --out "$T/e.pkg" -- spaceport-extract >"$T/ttye" 2>"$T/pty.err"
is "$?" 0 "extract on a terminal: exit 0"
check "extract draws" test "$(progress_lines "$T/ttye" spaceport-extract)" -ge 1
unlike "$(tr '\r' '\n' <"$T/ttye")" '\(([2-9][0-9][0-9]|1[0-9][1-9])%\)' "never more than 100%"
check "extract's data is unchanged" cmp "$T/e.pkg" "$T/x.pkg"

# --- a pipe: only the last stage draws -------------------------------------
cat >"$T/pipe.sh" <<EOF
spaceport-extract | $conv | spaceport-pack -o "$T/out.zip"
EOF
pty --slow "$T/g/export.zip" -- sh "$T/pipe.sh" >"$T/ttyp" 2>"$T/pty.err"
is "$?" 0 "pipeline on a terminal: exit 0"
check "pack draws" test "$(progress_lines "$T/ttyp" spaceport-pack)" -ge 1
is "$(progress_lines "$T/ttyp" spaceport-extract)/$(progress_lines "$T/ttyp" spaceport-convert)" \
    0/0 "extract and convert, feeding a pipe, do not"
spaceport-extract -q "$T/g/export.zip" | $conv -q | spaceport-pack -q -o "$T/out-file.zip"
check "the zip is the same as without a terminal" cmp "$T/out.zip" "$T/out-file.zip"
SPACEPORT_PROGRESS=always pty --slow "$T/x.pkg" -- sh -c "$conv | cat >/dev/null" >"$T/ttya" 2>"$T/pty.err"
check "SPACEPORT_PROGRESS=always: drawn even into a pipe" \
    test "$(progress_lines "$T/ttya" spaceport-convert)" -ge 1

done_testing
