#!/usr/bin/env bash
# Restore to a larger disk (backup GPT moves to the new end), to a smaller disk that still
# holds every partition, and refusal on a disk that is too small, naming the bytes missing.
. "$(dirname "$0")/lib.sh"
build_gpt_disk src.img
lb backup src.img img.lbi --quiet
need=$(lb info img.lbi --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["min_size"])')
# larger
truncate -s 1G big.img
lb restore img.lbi big.img --yes --quiet
gpt_ok big.img
check_ext src.img big.img $(part_start src.img 3)
check_fat src.img big.img $(part_start src.img 2)
[ "$(sgdisk -i 3 big.img | grep 'Partition unique GUID')" = "$(sgdisk -i 3 src.img | grep 'Partition unique GUID')" ] || fail "partition GUIDs changed"
# smaller, but every partition fits (the source's last partition ends at 258 MiB)
truncate -s $((need)) small.img
lb restore img.lbi small.img --yes --quiet
gpt_ok small.img
check_ext src.img small.img $(part_start src.img 3)
cmp_range src.img small.img $(part_start src.img 4) 4096
# too small by one sector: refused, target untouched
truncate -s $((need - 512)) tiny.img
before=$(sum tiny.img)
lb_expect_fail 4 "too small.*512 bytes .* missing" restore img.lbi tiny.img --yes
[ "$(sum tiny.img)" = "$before" ] || fail "a refused restore wrote to the target"
# MBR disks shrink too
random_disk m.img 120
printf 'label: dos\nstart=2048, size=60MiB, type=83\n' | sfdisk -q m.img
mk_ext m.img 1 ext4 ""
lb backup m.img m.lbi --quiet
truncate -s 62M m2.img
lb restore m.lbi m2.img --yes --quiet
check_ext m.img m2.img 1048576
echo ok
