#!/usr/bin/env bash
# FAT as mkfs.fat makes it and a real FAT driver (fusefat) fills it, on a disk whose free space
# holds old random data: a 32 MiB FAT32 ESP (fewer than 65,525 clusters, still FAT32: the
# kernel and fsck.fat go by the 16-bit FAT size being 0), FAT32 with 4096-byte sectors (16 k
# clusters), FAT16 and FAT12. Backup, restore onto a disk of random data; every file must read
# back the same, fsck.fat clean, the reserved sectors (FSInfo, backup boot sector) identical.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/fat_lib.sh"
random_disk src.img 160
sgdisk -n1:2048:+32M -t1:ef00 -c1:esp -n2:0:+64M -t2:0700 -c2:fat32-4k -n3:0:+40M -t3:0700 \
	-c3:fat16 -n4:0:+4M -t4:0700 -c4:fat12 src.img >/dev/null
declare -A mkfs=([1]="-F 32" [2]="-F 32 -S 4096" [3]="-F 16" [4]="-F 12")   # no labels: fusefat shows them as files
declare -A fill=([1]=20000 [2]=40000 [3]=24000 [4]=2400)
for p in 1 2 3 4; do
	fat_part_out src.img $p p$p.img            # the old random data stays in the free clusters
	mkfs.fat ${mkfs[$p]} p$p.img >/dev/null 2>&1
	fat_fill p$p.img tree$p ${fill[$p]}
	fat_part_in p$p.img src.img $p
done
[ "$(fat_field p1.img 22 2)" = 0 ] && [ "$(fat_field p2.img 22 2)" = 0 ] || fail "mkfs.fat did not make FAT32"
before=$(sum src.img)
lb backup src.img img.lbi --quiet
[ "$(sum src.img)" = "$before" ] || fail "source changed"
lb info img.lbi >info.txt
for p in 1 2 3 4; do
	grep -Eq "^$p .*vfat .*used" info.txt || { cat info.txt; fail "partition $p not imaged by used clusters"; }
done
random_disk dst.img 160
lb restore img.lbi dst.img --yes --quiet
lb verify img.lbi --against dst.img --quiet
for p in 1 2 3 4; do
	fat_part_out dst.img $p out$p.img
	reserved=$(( $(fat_field p$p.img 14 2) * $(fat_field p$p.img 11 2) ))
	cmp -s -n $reserved p$p.img out$p.img || fail "partition $p: reserved sectors differ"
	fat_check out$p.img tree$p
done
[ "$(sum src.img)" = "$before" ] || fail "source changed"
echo ok
