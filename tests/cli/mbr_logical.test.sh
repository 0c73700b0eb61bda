#!/usr/bin/env bash
# MBR with an extended partition and logical partitions: ext2 (1 KiB blocks), raw data under
# an unknown type, and ext3, FAT16 and FAT12 as logicals. Backup, restore, compare all.
. "$(dirname "$0")/lib.sh"
random_disk src.img 200
sfdisk -q src.img <<'SF'
label: dos
src.img1 : start=2048, size=40MiB, type=83, bootable
src.img2 : size=8MiB, type=da
src.img3 : size=140MiB, type=5
src.img5 : size=60MiB, type=83
src.img6 : size=40MiB, type=6
src.img7 : size=8MiB, type=1
SF
make_tree tree
mk_ext src.img 1 ext2 tree -b 1024
mk_ext src.img 5 ext3 tree
mk_fat src.img 6 16 tree/etc
mk_fat src.img 7 12 tree/deep
printf 'MBR-BOOT-CODE' | dd of=src.img bs=1 conv=notrunc status=none
before=$(sum src.img)
lb backup src.img img.lbi --quiet
lb info img.lbi >info.txt
grep -Eq "^5 .*ext3 .*used" info.txt || { cat info.txt; fail "logical ext3 not imaged by used blocks"; }
grep -Eq "^2 .*raw" info.txt || fail "unknown partition not raw"
random_target dst.img 200
lb restore img.lbi dst.img --yes --quiet
[ "$(sum src.img)" = "$before" ] || fail "source changed"
[ "$(sfdisk -d src.img | sed -e 1,3d -e 's/^src.img//')" = "$(sfdisk -d dst.img | sed -e 1,3d -e 's/^dst.img//')" ] || fail "partition tables differ"
cmp_range src.img dst.img 0 $((2048 * 512))                                 # MBR + gap
cmp_range src.img dst.img $(part_start src.img 2) $(part_size src.img 2)      # raw partition
for p in 5 6; do  # EBRs: the sector before each logical partition
	cmp_range src.img dst.img $(( $(part_start src.img $p) - 2048 * 512 )) $((2048 * 512))
done
check_ext src.img dst.img $(part_start src.img 1)
check_ext src.img dst.img $(part_start src.img 5)
cmp_ext_used src.img dst.img $(part_start src.img 1)
cmp_ext_used src.img dst.img $(part_start src.img 5)
check_fat src.img dst.img $(part_start src.img 6)
lb info img.lbi | grep -Eq "^7 .*vfat .*used" || fail "FAT12 not imaged by used blocks"
check_fat src.img dst.img $(part_start src.img 7)
echo ok
