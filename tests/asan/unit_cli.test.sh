#!/usr/bin/env bash
# The unit and command-line suites again, against the ASan+UBSan build ($ASAN_BUILD, default
# build/asan; `make check` and `make check-asan` build it). Sanitizer reports go to files and
# are counted at the end, so a report fails this run even from a command whose failure the
# test expected (lb_expect_fail) or ignored. LB_ASAN_FILTER selects tests as LB_TEST_FILTER.
set -u
cd "$(dirname "$0")/../.."
ASAN_BUILD=${ASAN_BUILD:-build/asan}
[ -x "$ASAN_BUILD/lifeboat" ] || { echo "no $ASAN_BUILD/lifeboat: run 'make asan' first"; exit 77; }
logs=$PWD/$ASAN_BUILD/sanitizer-logs
rm -rf "$logs"; mkdir -p "$logs"
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:log_path=$logs/asan
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:log_path=$logs/ubsan
rc=0
# the outer runner's LIFEBOAT (the plain build) and filter must not leak into the inner one
env -u LIFEBOAT LB_TEST_FILTER="${LB_ASAN_FILTER:-}" BUILD="$ASAN_BUILD" tests/run.sh unit cli || rc=1
reports=$(find "$logs" -type f | wc -l)
if [ "$reports" -gt 0 ]; then
	for f in "$logs"/*; do echo "--- $f"; head -n 40 "$f"; done
	rc=1
fi
echo "sanitizer reports: $reports (logs in $logs)"
exit $rc
