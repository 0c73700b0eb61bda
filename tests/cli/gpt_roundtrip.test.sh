#!/usr/bin/env bash
# GPT system disk: backup, verify, restore to a same-size disk; everything compared.
. "$(dirname "$0")/lib.sh"
build_gpt_disk src.img
before=$(sum src.img)
lb backup src.img img.lbi --quiet
[ -f img.lbi ] && [ ! -e img.lbi.part ] || fail "image not renamed into place"
lb verify img.lbi --quiet | grep -q OK || fail "verify did not say OK"
lb info img.lbi >info.txt
grep -q "ext4 *p3ext4 *used" info.txt || { cat info.txt; fail "info does not show ext4 used blocks"; }
grep -q "swap .*header" info.txt || fail "info does not show swap header only"
random_target dst.img 300
lb restore img.lbi dst.img --yes --quiet
[ "$(sum src.img)" = "$before" ] || fail "source changed"
# raw areas: protective MBR + GPT + gap up to partition 1, the BIOS boot partition, swap header
cmp_range src.img dst.img 0 $((2048 * 512))
cmp_range src.img dst.img $(part_start src.img 1) $(part_size src.img 1)
cmp_range src.img dst.img $(part_start src.img 4) 4096
cmp_range src.img dst.img $((300 * 1024 * 1024 - 33 * 512)) $((33 * 512))   # backup GPT
check_fat src.img dst.img $(part_start src.img 2)
check_ext src.img dst.img $(part_start src.img 3)
cmp_ext_used src.img dst.img $(part_start src.img 3)
gpt_ok dst.img
lb verify img.lbi --against dst.img --quiet >/dev/null || fail "verify --against the restored disk"
# and against the source it must also match: the image is the source's used data
lb verify img.lbi --against src.img --quiet >/dev/null || fail "verify --against the source"
# A damaged primary GPT: the partitions are read from the backup GPT, the backup is by used
# blocks as before, and the restored disk gets both copies back intact.
cp src.img dmg.img
printf 'XXXX' | dd of=dmg.img bs=1 seek=$((512 + 24)) conv=notrunc status=none
lb list --disk dmg.img | grep -q "primary GPT is damaged" || fail "list does not say the primary GPT is damaged"
lb backup dmg.img dmg.lbi --quiet
lb info dmg.lbi | grep -Eq "^3 .*ext4 .*used" || fail "damaged-primary disk not backed up by used blocks"
random_target dmg-out.img 300
lb restore dmg.lbi dmg-out.img --yes --quiet
gpt_ok dmg-out.img
check_ext src.img dmg-out.img $(part_start src.img 3)
# verify --against compares what restore promised: the GPT it repaired by meaning; and the
# damaged source itself still byte for byte
lb verify dmg.lbi --against dmg-out.img --quiet >/dev/null || { lb verify dmg.lbi --against dmg-out.img; fail "verify --against the disk whose GPT restore repaired"; }
lb verify dmg.lbi --against dmg.img --quiet >/dev/null || fail "verify --against the damaged source"
lb_expect_fail 7 "differs from the image at offset" verify img.lbi --against dmg.img
# with both GPT copies whole in the image, a changed partition entry is a difference
sgdisk -c 3:renamed dst.img >/dev/null
lb_expect_fail 7 "differs from the image at offset" verify img.lbi --against dst.img
echo ok
