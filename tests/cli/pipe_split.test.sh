#!/usr/bin/env bash
# Images through pipes (backup to stdout, restore from stdin), split into segments, and
# segments concatenated into a pipe.
. "$(dirname "$0")/lib.sh"
build_gpt_disk src.img
truncate -s 300M a.img b.img
lb backup src.img - --quiet | lb restore - a.img --yes --quiet
check_ext src.img a.img $(part_start src.img 3)
check_fat src.img a.img $(part_start src.img 2)
gpt_ok a.img
# split into 2 MiB segments: IMAGE, IMAGE.002, ...
lb backup src.img s.lbi --split 2M --quiet
n=$(ls s.lbi s.lbi.[0-9][0-9][0-9] | wc -l)
[ "$n" -ge 3 ] || fail "expected several segments, got $n"
for f in s.lbi s.lbi.[0-9][0-9][0-9]; do
	[ "$(stat -c %s "$f")" -le $((2 * 1024 * 1024)) ] || fail "$f is larger than the split size"
done
lb info s.lbi --json | grep -q "\"segments\":$n" || fail "info does not count $n segments"
lb verify s.lbi --quiet >/dev/null
cat s.lbi s.lbi.[0-9][0-9][0-9] | lb restore - b.img --yes --quiet
check_ext src.img b.img $(part_start src.img 3)
cmp a.img b.img >/dev/null || { lb verify s.lbi --against a.img --quiet; }
# an image on stdout is never split
lb_expect_fail 2 "cannot be split" backup src.img - --split 4M
echo ok
