#!/usr/bin/env bash
# One partition of an image restored into a file standing for a partition, and into
# partition M of another disk; smaller destinations refused.
. "$(dirname "$0")/lib.sh"
build_gpt_disk src.img
lb backup src.img img.lbi --partitions 2,3 --quiet
lb info img.lbi | grep -Eq "^4 .*skipped" || fail "partition 4 not reported as skipped"
size=$(part_size src.img 3)
random_target p3.img $((size / 1048576))
lb restore img.lbi p3.img --partition 3 --yes --quiet
check_ext src.img p3.img $(part_start src.img 3) 0
cmp_ext_used src.img p3.img $(part_start src.img 3) 0
# into partition 5 of a differently laid out disk
random_target other.img 400
sgdisk -Z other.img >/dev/null 2>&1 || true
sgdisk -n1:2048:+20M -n5:0:+170M other.img >/dev/null
lb restore img.lbi other.img --partition 3 --to 5 --yes --quiet
check_ext src.img other.img $(part_start src.img 3) $(part_start other.img 5)
cmp_ext_used src.img other.img $(part_start src.img 3) $(part_start other.img 5)
# too small a partition
truncate -s $((size - 1024 * 1024)) small.img
lb_expect_fail 4 "too small" restore img.lbi small.img --partition 3 --yes
lb_expect_fail 2 "no partition 9" restore img.lbi other.img --partition 9 --yes
lb_expect_fail 2 "not included" restore img.lbi other.img --partition 4 --to 5 --yes
echo ok
