#!/usr/bin/env bash
# Replays every committed seed and crash input (tests/fuzz/corpus/*, tests/fuzz/crashes/*)
# through every fuzz target, built with gcc + ASan + UBSan (build/asan/fuzz-replay/, made by
# `make check` or `make asan`). Fails on any sanitizer report, crash or trap.
set -u
cd "$(dirname "$0")/../.."
bdir=${ASAN_BUILD:-build/asan}/fuzz-replay
targets=$(ls tests/fuzz/fuzz_*.c | sed 's|.*/fuzz_||; s|\.c$||')
inputs=$(find tests/fuzz/corpus tests/fuzz/crashes -type f ! -name 'README*' | sort)
for t in $targets; do
	[ -n "$(ls -A "tests/fuzz/corpus/$t" 2>/dev/null)" ] ||
		{ echo "FAIL: target $t has no seeds in tests/fuzz/corpus/$t"; exit 1; }
done
for t in $targets; do
	[ -x "$bdir/$t" ] || { echo "no $bdir/$t: build it with 'make asan'"; exit 77; }
done
logs=$(mktemp -d); trap 'rm -rf "$logs"' EXIT
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:log_path=$logs/asan
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:log_path=$logs/ubsan
fail=0 n=0
for t in $targets; do
	# shellcheck disable=SC2086
	if ! "$bdir/$t" $inputs 2>"$logs/$t.err"; then
		echo "FAIL: target $t: $(grep '^replay' "$logs/$t.err" | tail -n1)"
		fail=1
	fi
	n=$((n + $(grep -c '^replay' "$logs/$t.err")))
done
if ls "$logs" | grep -q '^[au]'; then
	cat "$logs"/asan* "$logs"/ubsan* 2>/dev/null | head -60
	echo "FAIL: sanitizer reports"
	fail=1
fi
echo "$n replays of $(echo "$inputs" | wc -l) inputs through $(echo $targets | wc -w) targets"
exit $fail
