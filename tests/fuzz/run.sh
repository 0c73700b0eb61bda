#!/usr/bin/env bash
# Runs the libFuzzer targets for FUZZ_SECONDS each, FUZZ_JOBS at a time (default: all at once,
# so `make fuzz` takes FUZZ_SECONDS of wall time whatever the number of cores), from their
# committed seeds (tests/fuzz/corpus/T), growing a working corpus under $FUZZ_BUILD/corpus/T
# (not committed). A crashing, leaking or hanging input is written to tests/fuzz/crashes/T/ for
# commit; `make check` replays it. Prints one line per target: executions (and per second),
# corpus size, crashes. Exit 1 when any target crashed or has no committed seeds (a fuzzer
# that starts from nothing tests next to nothing).
# Usage (make fuzz): tests/fuzz/run.sh TARGET...    env: FUZZ_BUILD, FUZZ_SECONDS, FUZZ_JOBS
set -u
cd "$(dirname "$0")/../.."
FUZZ_BUILD=${FUZZ_BUILD:-build/fuzz} FUZZ_SECONDS=${FUZZ_SECONDS:-600}
logdir=$FUZZ_BUILD/logs; mkdir -p "$logdir"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
summary=() failed=0
for t in "$@"; do
	if [ -z "$(ls -A "tests/fuzz/corpus/$t" 2>/dev/null)" ]; then
		echo "FAIL: target $t has no seeds in tests/fuzz/corpus/$t (tests/fuzz/mkcorpus.sh makes them)"
		exit 1
	fi
done
njobs=${FUZZ_JOBS:-$#}
rm -f "$logdir"/*.pid "$logdir"/*.rc
# each target in the background; an interrupted run stops the fuzzers it started, by pid
trap 'kill $(cat "$logdir"/*.pid 2>/dev/null) 2>/dev/null; exit 130' INT TERM
fuzz_one() {
	local t=$1 bin=$FUZZ_BUILD/fuzz_$1 work=$FUZZ_BUILD/corpus/$1 crashes=tests/fuzz/crashes/$1
	# -timeout: one input may take 10 s (a hang is a finding); -rss_limit_mb: 2 GiB
	"$bin" "$work" tests/fuzz/corpus/$t -max_total_time="$FUZZ_SECONDS" -timeout=10 \
		-rss_limit_mb=2048 -max_len=262144 -print_final_stats=1 \
		-artifact_prefix="$crashes/" >"$logdir/$t.log" 2>&1 &
	echo $! >"$logdir/$t.pid"
	wait $!
	echo $? >"$logdir/$t.rc"
	rm -f "$logdir/$t.pid"
}
running=0
for t in "$@"; do
	mkdir -p "$FUZZ_BUILD/corpus/$t" "tests/fuzz/crashes/$t"
	ls "tests/fuzz/crashes/$t" | wc -l >"$logdir/$t.before"
	fuzz_one "$t" &
	running=$((running + 1))
	if [ "$running" -ge "$njobs" ]; then
		wait -n
		running=$((running - 1))
	fi
done
wait
for t in "$@"; do
	work=$FUZZ_BUILD/corpus/$t crashes=tests/fuzz/crashes/$t
	rc=$(cat "$logdir/$t.rc" 2>/dev/null || echo 1)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logdir/$t.log" | tail -n1)
	[ -n "$execs" ] || execs=$(grep -Eo '^#[0-9]+' "$logdir/$t.log" | tail -n1 | tr -d '#')
	new=$(( $(ls "$crashes" | wc -l) - $(cat "$logdir/$t.before") ))
	line=$(printf '%-8s %10s execs in %ss (%s/s), corpus %s inputs, %d new crash input(s)%s' \
	       "$t" "${execs:-?}" "$FUZZ_SECONDS" "$(( ${execs:-0} / FUZZ_SECONDS ))" "$(ls "$work" | wc -l)" "$new" \
	       "$([ "$rc" -ne 0 ] && echo " (exit $rc, log $logdir/$t.log)")")
	summary+=("$line")
	[ "$rc" -ne 0 ] && { failed=1; echo "$line"; grep -A12 '^==[0-9]*==ERROR\|runtime error' "$logdir/$t.log" | head -20; }
done
printf '%s\n' "--- fuzz summary ($njobs at a time, $(nproc) cores)" "${summary[@]}"
exit $failed
