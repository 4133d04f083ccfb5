#!/usr/bin/env bash
# A stage killed mid-run (SIGTERM, SIGINT, SIGHUP; SIGPIPE from a reader of
# standard output that goes away) leaves no temporary file or directory
# beside any of its outputs (-o, -d, --inventory, --report), no partial
# output, and dies by that signal (exit status 128+N, as documented in the
# man pages).  Issue 12, defect 1.
#
# The signal lands mid-run deterministically: convert and pack read their
# package from a FIFO that is fed all but its last 2 MB and never closed
# (they block in read with every output open); extract blocks writing to a
# standard output nobody reads, or reading an export from a FIFO.  Only
# extract -o and -d (input and output both files) cannot block: the test
# waits for the temporary output, stops the process (SIGSTOP), sends the
# signal, and continues it.
. "$(dirname "$0")/lib.sh"

GEN=$TOP/bench/gen
python3 "$GEN" --out "$T/g" --pages 60 --attachments-per-page 2 \
    --attach-size 150000 --users 10 >/dev/null || { echo "Bail out! bench/gen"; exit 1; }
Z=$T/g/export.zip
spaceport-extract -q -o "$T/p.tar" "$Z" || { echo "Bail out! extract"; exit 1; }
spaceport-convert -q --unmapped former -o "$T/c.tar" "$T/p.tar" ||
    { echo "Bail out! convert"; exit 1; }

signo() { kill -l "$1"; }

# ntemps DIR: how many temporaries (.NAME.XXXXXX) DIR holds
ntemps() { ls -A "$1" | grep -c '^\.'; }

# wait_temps DIR N: until DIR holds N temporaries (30 s at most)
wait_temps() {
	local i=0
	while [ "$(ntemps "$1")" -lt "$2" ] && [ $i -lt 3000 ]; do
		sleep 0.01
		i=$((i + 1))
	done
	[ "$(ntemps "$1")" -ge "$2" ]
}

# verdict NAME SIG RC DIR: the exit status, and nothing left in DIR
verdict() {
	[ -z "$(ls -A "$4")" ] || diag "$1: left: $(ls -A "$4" | tr '\n' ' ')"
	is "$3" $((128 + $(signo "$2"))) "$1: SIG$2 ends it with status 128+$(signo "$2")"
	is "$(ls -A "$4" | tr '\n' ' ')" "" "$1: SIG$2 leaves nothing in the output directory"
}

# The programs run under env --default-signal: a script's background jobs
# start with SIGINT ignored, and an ignored signal stays ignored.
DEF="env --default-signal=INT,TERM,HUP,PIPE"

# fifo_run NAME SIG NTMP DIR PKG CMD...: CMD reads PKG from a FIFO fed all
# but its last 2 MB; once DIR holds NTMP temporaries, SIG.
fifo_run() {
	local name=$1 sig=$2 ntmp=$3 dir=$4 pkg=$5 n pid feeder
	shift 5
	rm -f "$T/in.fifo"
	mkfifo "$T/in.fifo"
	exec 5<>"$T/in.fifo"
	n=$(( $(stat -c %s "$pkg") - 2 * 1024 * 1024 ))
	head -c "$n" "$pkg" >&5 &
	feeder=$!
	$DEF "$@" <"$T/in.fifo" >/dev/null 2>"$T/err" &
	pid=$!
	wait_temps "$dir" "$ntmp" || diag "$name: no temporary appeared"
	kill -"$sig" "$pid"
	wait "$pid" 2>/dev/null
	rc=$?
	exec 5>&-
	kill "$feeder" 2>/dev/null
	wait "$feeder" 2>/dev/null
	verdict "$name" "$sig" "$rc" "$dir"
}
diag() { echo "# $*" >&2; }
# stopped PID: until PID is in state T (kill -STOP is asynchronous)
stopped() {
	local n=0
	while [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" != T ] &&
	    [ -e "/proc/$1" ] && [ $n -lt 1000 ]; do
		n=$((n + 1))
	done
}

for sig in TERM INT HUP; do
	# convert: -o, -d, standard output; each with --report
	d=$T/cv-o-$sig; mkdir "$d"
	fifo_run "convert -o --report" "$sig" 2 "$d" "$T/p.tar" \
	    spaceport-convert -q --unmapped former --report "$d/r.json" -o "$d/out.tar"
	d=$T/cv-d-$sig; mkdir "$d"
	fifo_run "convert -d --report" "$sig" 2 "$d" "$T/p.tar" \
	    spaceport-convert -q --unmapped former --report "$d/r.json" -d "$d/pkg"
	# pack: -o and standard output, with --report
	d=$T/pk-o-$sig; mkdir "$d"
	fifo_run "pack -o --report" "$sig" 2 "$d" "$T/c.tar" \
	    spaceport-pack -q --report "$d/r.json" -o "$d/out.zip"
	d=$T/pk-s-$sig; mkdir "$d"
	fifo_run "pack to stdout --report" "$sig" 1 "$d" "$T/c.tar" \
	    spaceport-pack -q --report "$d/r.json"

	# extract reading its export from a FIFO (spooling stdin): --report
	d=$T/ex-in-$sig; mkdir "$d"
	fifo_run "extract <fifo --report" "$sig" 1 "$d" "$Z" \
	    spaceport-extract -q --report "$d/r.json" -o "$d/p.tar"

	# extract blocked on a full standard output: --inventory, --report
	d=$T/ex-s-$sig; mkdir "$d"
	rm -f "$T/out.fifo"; mkfifo "$T/out.fifo"
	exec 6<>"$T/out.fifo"
	$DEF spaceport-extract -q --inventory "$d/inv.db" --report "$d/r.json" \
	    "$Z" >"$T/out.fifo" 2>"$T/err" &
	pid=$!
	wait_temps "$d" 2 || diag "no temporary appeared"
	sleep 0.2	# let it fill the pipe
	kill -"$sig" "$pid"
	wait "$pid" 2>/dev/null
	rc=$?
	exec 6>&-
	verdict "extract to stdout --inventory --report" "$sig" "$rc" "$d"

	# extract -o and -d: both files.  Stop it, look: with its three
	# temporaries there, signal it while it is stopped (it cannot finish
	# in between); otherwise let it run a little and look again.
	for form in o d; do
		d=$T/ex-$form-$sig; mkdir "$d"
		if [ $form = o ]; then tgt=$d/p.tar; else tgt=$d/pkg; fi
		$DEF spaceport-extract -q --inventory "$d/inv.db" --report "$d/r.json" \
		    -$form "$tgt" "$Z" >/dev/null 2>"$T/err" &
		pid=$!
		i=0
		while kill -STOP "$pid" 2>/dev/null; do
			stopped "$pid"
			if [ "$(ntemps "$d")" -ge 3 ]; then
				kill -"$sig" "$pid"
				kill -CONT "$pid"
				break
			fi
			kill -CONT "$pid"
			sleep 0.005
			i=$((i + 1))
			[ $i -lt 6000 ] || { diag "extract -$form: no temporaries"; break; }
		done
		wait "$pid" 2>/dev/null
		rc=$?
		verdict "extract -$form --inventory --report" "$sig" "$rc" "$d"
	done
done

# SIGPIPE: the reader of the package goes away.
d=$T/ex-pipe; mkdir "$d"
$DEF spaceport-extract -q --inventory "$d/inv.db" --report "$d/r.json" "$Z" |
    head -c 100 >/dev/null
rc=${PIPESTATUS[0]}
verdict "extract --inventory F | head" PIPE "$rc" "$d"
d=$T/cv-pipe; mkdir "$d"
$DEF spaceport-convert -q --unmapped former --report "$d/r.json" "$T/p.tar" |
    head -c 100 >/dev/null
rc=${PIPESTATUS[0]}
verdict "convert --report F | head" PIPE "$rc" "$d"

# The outputs of a run that is not killed are all there (the waits above
# looked for the right names).
d=$T/ok; mkdir "$d"
spaceport-extract -q --inventory "$d/inv.db" --report "$d/r.json" -o "$d/p.tar" "$Z"
is "$(ls -A "$d" | tr '\n' ' ')" "inv.db p.tar r.json " "an uninterrupted run leaves its three outputs only"

done_testing
