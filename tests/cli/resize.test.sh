#!/usr/bin/env bash
# Restore to a larger disk (backup GPT moves to the new end), to a smaller disk that still
# holds every partition, and refusal on a disk that is too small, naming the bytes missing.
. "$(dirname "$0")/lib.sh"
build_gpt_disk src.img
lb backup src.img img.lbi --quiet
need=$(lb info img.lbi --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["min_size"])')
# larger (old random data where the image lands, then an empty stretch)
random_target big.img 400; truncate -s 1G big.img
lb restore img.lbi big.img --yes --quiet
gpt_ok big.img
check_ext src.img big.img $(part_start src.img 3)
cmp_ext_used src.img big.img $(part_start src.img 3)
check_fat src.img big.img $(part_start src.img 2)
[ "$(sgdisk -i 3 big.img | grep 'Partition unique GUID')" = "$(sgdisk -i 3 src.img | grep 'Partition unique GUID')" ] || fail "partition GUIDs changed"
# verify --against compares what the restore promised: the protective MBR's size, the primary
# header and the moved backup GPT by meaning, everything else byte for byte
lb verify img.lbi --against big.img --quiet >/dev/null || { lb verify img.lbi --against big.img; fail "verify --against the larger restored disk"; }
# ... and still finds real differences (each made on big.img, then undone)
last=$(( $(stat -c %s big.img) / 512 - 33 ))
dd if=big.img of=head.bin bs=512 count=34 status=none
dd if=big.img of=tail.bin bs=512 skip=$last status=none
undo() { dd if=head.bin of=big.img conv=notrunc status=none; dd if=tail.bin of=big.img bs=512 seek=$last conv=notrunc status=none; }
sgdisk -c 3:renamed big.img >/dev/null
lb_expect_fail 7 "differs from the image at offset" verify img.lbi --against big.img; undo
sgdisk -U 11111111-2222-3333-4444-555555555555 big.img >/dev/null
lb_expect_fail 7 "another disk GUID" verify img.lbi --against big.img; undo
printf '\x01' | dd of=big.img bs=1 seek=459 conv=notrunc status=none
lb_expect_fail 7 "offset 458 .*protective MBR" verify img.lbi --against big.img; undo
at=$(($(part_start src.img 1) + 100))
printf 'X' | dd of=big.img bs=1 seek=$at conv=notrunc status=none
lb_expect_fail 7 "differs from the image at offset $at" verify img.lbi --against big.img
dd if=src.img of=big.img bs=1 skip=$at seek=$at count=1 conv=notrunc status=none
lb verify img.lbi --against big.img --quiet >/dev/null || fail "the differences were not undone"
# the image's bytes copied onto a larger disk without adjusting the GPT: not what restore does
cp src.img bad.img; truncate -s 1G bad.img
lb_expect_fail 7 "GPT" verify img.lbi --against bad.img
# smaller, but every partition fits (the source's last partition ends at 258 MiB)
random_target small.img 300; truncate -s $((need)) small.img
lb restore img.lbi small.img --yes --quiet
gpt_ok small.img
check_ext src.img small.img $(part_start src.img 3)
cmp_range src.img small.img $(part_start src.img 4) 4096
lb verify img.lbi --against small.img --quiet >/dev/null || { lb verify img.lbi --against small.img; fail "verify --against the smaller restored disk"; }
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
random_target m2.img 62
lb restore m.lbi m2.img --yes --quiet
check_ext m.img m2.img 1048576
lb verify m.lbi --against m2.img --quiet >/dev/null || fail "verify --against the smaller MBR disk"
cp m.img cut.img; truncate -s 50M cut.img   # partition 1 cut short: a real difference
lb_expect_fail 7 "cut.img differs from the image: it is smaller" verify m.lbi --against cut.img
echo ok
