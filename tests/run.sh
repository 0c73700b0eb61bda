#!/usr/bin/env bash
# Runs test suites and prints one closing line: "N passed, N failed, N skipped".
# A suite is a folder under tests/: its unit binaries (build/tests/test_*) or its executable
# *.test.sh scripts. A test passes on exit 0, is skipped on exit 77, fails otherwise.
# Usage: tests/run.sh SUITE...      env: BUILD (default build), LB_TEST_FILTER (substring)
set -u
cd "$(dirname "$0")/.."
export BUILD=${BUILD:-build}
export LIFEBOAT=${LIFEBOAT:-$PWD/$BUILD/lifeboat}
pass=0 fail=0 skip=0 failed=()
logdir=$BUILD/test-logs; mkdir -p "$logdir"
run_one() {  # name, command...
	local name=$1; shift
	[ -n "${LB_TEST_FILTER:-}" ] && [[ $name != *"$LB_TEST_FILTER"* ]] && return
	local log=$logdir/${name//\//_}.log start=$SECONDS
	"$@" >"$log" 2>&1 </dev/null
	local rc=$?
	case $rc in
		0) pass=$((pass+1)); printf 'PASS %-40s %3ss\n' "$name" $((SECONDS-start)) ;;
		77) skip=$((skip+1)); printf 'SKIP %-40s (%s)\n' "$name" "$(tail -n1 "$log")" ;;
		*) fail=$((fail+1)); failed+=("$name"); printf 'FAIL %-40s rc=%s, log %s\n' "$name" $rc "$log"
		   # the failure's own line first: a screen dump in the tail can push it out of view
		   grep -m3 -E '^(FAIL|error|lifeboat:)' "$log" | sed 's/^/     ! /'
		   tail -n 15 "$log" | sed 's/^/     | /' ;;
	esac
}
for suite in "$@"; do
	if [ "$suite" = unit ]; then
		for t in "$BUILD"/tests/test_*; do [ -x "$t" ] && run_one "unit/$(basename "$t")" "$t"; done
	else
		for t in tests/"$suite"/*.test.sh; do [ -x "$t" ] && run_one "$suite/$(basename "$t" .test.sh)" "$t"; done
	fi
done
[ ${#failed[@]} -gt 0 ] && printf 'failed: %s\n' "${failed[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
