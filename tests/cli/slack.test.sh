#!/usr/bin/env bash
# Bytes between a filesystem's end and its partition's end are part of the disk: an md RAID
# 1.0 superblock lives there, and whatever a shrunken filesystem left behind. ext4, FAT16 and
# swap made smaller than their partitions, the slack filled with random bytes (and an md-style
# superblock); after a restore onto a target full of other random data the slack matches byte
# for byte — whole disk, one partition, clone, and a filesystem image without a table.
. "$(dirname "$0")/lib.sh"
random_disk src.img 100
printf 'label: dos\nstart=2048, size=40MiB, type=83\nsize=20MiB, type=6\nsize=20MiB, type=82\n' |
	sfdisk -q src.img
[ -d tree ] || make_tree tree
o1=$(part_start src.img 1) s1=$(part_size src.img 1)
o2=$(part_start src.img 2) s2=$(part_size src.img 2)
o3=$(part_start src.img 3) s3=$(part_size src.img 3)
slack=$((3 * 1024 * 1024))
# ext4 3 MiB short of its partition; FAT16 and swap likewise
mke2fs -q -F -t ext4 -L short -d tree -E offset="$o1" src.img $(((s1 - slack) / 1024))k
mkfs.fat -F 16 -n SHORT --offset=$((o2 / 512)) src.img $(((s2 - slack) / 1024)) >/dev/null
mcopy -i "src.img@@$o2" -s tree/etc ::/
truncate -s $((s3 - slack)) swap.tmp && mkswap -L swp swap.tmp >/dev/null 2>&1
dd if=swap.tmp of=src.img bs=4096 count=1 seek=$((o3 / 4096)) conv=notrunc status=none
# what lives in the slack: random bytes (from random_disk), plus an md 1.0 superblock 8 KiB
# before the end of partition 1 (magic a92b4efc, major version 1)
printf '\xfc\x4e\x2b\xa9\x01\x00\x00\x00LIFEBOAT-MD-SLACK' |
	dd of=src.img bs=1 seek=$((o1 + s1 - 8192)) conv=notrunc status=none
before=$(sum src.img)

lb backup src.img --plan src.img >plan.txt
grep -Eq "^1 .*ext4 .*used .*3.00 MiB after its end copied raw" plan.txt || { cat plan.txt; fail "the plan does not say partition 1's slack is copied raw"; }
grep -Eq "^2 .*vfat .*used .*after its end copied raw" plan.txt || { cat plan.txt; fail "the plan does not say partition 2's slack is copied raw"; }
grep -Eq "^3 .*swap .*header .*after its end copied raw" plan.txt || { cat plan.txt; fail "the plan does not say the swap's slack is copied raw"; }
lb backup src.img img.lbi --quiet
[ "$(sum src.img)" = "$before" ] || fail "backup changed the source"

check_slack() { # DST [SHIFT]: every partition's slack on DST equals the source's
	local dst=$1
	cmp_range src.img "$dst" $((o1 + s1 - slack)) $slack
	cmp_range src.img "$dst" $((o2 + s2 - slack)) $slack
	cmp_range src.img "$dst" $((o3 + s3 - slack)) $slack
}
random_disk dst.img 100
lb restore img.lbi dst.img --yes --quiet
check_slack dst.img
check_ext src.img dst.img "$o1"
check_fat src.img dst.img "$o2"
cmp_range src.img dst.img "$o3" 4096
lb verify img.lbi --against dst.img --quiet >/dev/null || fail "verify --against the restored disk"

# clone
random_disk cl.img 100
lb clone src.img cl.img --yes --quiet
check_slack cl.img

# one partition into a file standing for it
random_disk p1.img 40
lb restore img.lbi p1.img --partition 1 --yes --quiet
cmp -s -n $slack -i $((o1 + s1 - slack)):$((s1 - slack)) src.img p1.img || fail "partition restore lost the slack"
check_ext src.img p1.img "$o1" 0

# a filesystem image without a table (as a partition device is read): slack after the end
dd if=src.img of=fs.img bs=1M iflag=skip_bytes,count_bytes skip="$o1" count="$s1" status=none
lb backup fs.img fs.lbi --quiet
random_disk fs2.img 40
lb restore fs.lbi fs2.img --yes --quiet
cmp -s fs.img fs2.img --ignore-initial=$((s1 - slack)) || fail "slack of a table-less filesystem image lost"
check_ext fs.img fs2.img 0
[ "$(sum src.img)" = "$before" ] || fail "source changed"
echo ok
