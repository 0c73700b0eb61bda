#!/usr/bin/env bash
# Images through pipes (backup to stdout, restore from stdin), split into segments, and
# segments concatenated into a pipe. Each restore is compared with the source by content, and
# the two (onto the same old random data) with each other byte for byte.
. "$(dirname "$0")/lib.sh"
build_gpt_disk src.img
random_target a.img 300; cp a.img b.img
lb backup src.img - --quiet | lb restore - a.img --yes --quiet
check_gpt_disk src.img a.img
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
check_gpt_disk src.img b.img
cmp a.img b.img || fail "the split image through a pipe restored differently from the piped one"
# an image on stdout is never split
lb_expect_fail 2 "cannot be split" backup src.img - --split 4M
echo ok
