#!/usr/bin/env bash
# A cluster that any copy of the FAT marks in use is copied. FAT16, and FAT32 with mirroring
# off and the second FAT active (BPB_ExtFlags 0x81): files written last are in the second FAT
# only (the first is put back as it was before), their data on a disk of old random data.
# After restore, with the second FAT copied over the first, every file reads back the same.
# A FAT copy that cannot be read makes the partition raw, and says which copy.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/fat_lib.sh"
random_disk src.img 100
sfdisk -q src.img <<'SF'
label: dos
src.img1 : start=2048, size=40MiB, type=6
src.img2 : size=40MiB, type=c
SF
fat_geom() { # FILE -> "offset of FAT 1" "bytes per FAT"
	local bps fatsz
	bps=$(fat_field "$1" 11 2); fatsz=$(fat_field "$1" 22 2)
	[ "$fatsz" != 0 ] || fatsz=$(fat_field "$1" 36 4)
	echo $(( $(fat_field "$1" 14 2) * bps )) $(( fatsz * bps ))
}
second_over_first() { # FILE: what fsck would do choosing the second FAT; mirroring back on
	local g; g=($(fat_geom "$1"))
	dd if="$1" of="$1" bs=512 iflag=skip_bytes,count_bytes oflag=seek_bytes skip=$((g[0] + g[1])) \
		seek=${g[0]} count=${g[1]} conv=notrunc status=none
	[ "$(fat_field "$1" 22 2)" != 0 ] || printf '\0\0' | dd of="$1" bs=1 seek=40 conv=notrunc status=none
}
declare -A mkfs=([1]="-F 16" [2]="-F 32 -s 1")
for p in 1 2; do
	fat_part_out src.img $p p$p.img
	mkfs.fat ${mkfs[$p]} p$p.img >/dev/null 2>&1
	fat_fill p$p.img tree$p 8000
	g=($(fat_geom p$p.img))
	dd if=p$p.img of=fat1.$p bs=512 iflag=skip_bytes,count_bytes skip=${g[0]} count=${g[1]} status=none
	fat_mount p$p.img mnt rw
	mkdir -p tree$p/late mnt/late
	head -c 1500000 /dev/urandom >tree$p/late/only-in-fat2.bin
	head -c 70000 /dev/urandom >tree$p/late.bin
	cp tree$p/late/only-in-fat2.bin mnt/late/; cp tree$p/late.bin mnt/
	fat_umount mnt
	dd if=fat1.$p of=p$p.img bs=512 oflag=seek_bytes seek=${g[0]} conv=notrunc status=none
	[ $p = 2 ] && printf '\x81\0' | dd of=p$p.img bs=1 seek=40 conv=notrunc status=none
	cmp -s -n ${g[1]} -i ${g[0]}:$((g[0] + g[1])) p$p.img p$p.img && fail "the two FATs of partition $p are the same"
	cp p$p.img check.img; second_over_first check.img; fat_check check.img tree$p   # the setup is right
	fat_part_in p$p.img src.img $p
done
before=$(sum src.img)
lb backup src.img img.lbi --quiet
[ "$(sum src.img)" = "$before" ] || fail "source changed"
lb info img.lbi >info.txt
grep -Eq "^1 .*vfat .*used" info.txt && grep -Eq "^2 .*vfat .*used" info.txt || { cat info.txt; fail "not imaged by used clusters"; }
random_disk dst.img 100
lb restore img.lbi dst.img --yes --quiet
for p in 1 2; do
	fat_part_out dst.img $p out$p.img
	g=($(fat_geom p$p.img))
	cmp -s -n $((g[0] + 2 * g[1])) p$p.img out$p.img || fail "partition $p: reserved sectors or FATs differ"
	second_over_first out$p.img
	fat_check out$p.img tree$p
done

# The second FAT of partition 1 unreadable: the partition is copied raw, and the reason says why.
g=($(fat_geom p1.img))
rc=0; LIFEBOAT_FAULTS=$(( $(part_start src.img 1) + g[0] + g[1] + 4096 ))+512 lb backup src.img bad.lbi --quiet 2>err.txt || rc=$?
[ "$rc" = 6 ] || { cat err.txt; fail "backup with an unreadable FAT sector exited $rc, wanted 6"; }
lb info bad.lbi >info.txt
cat info.txt
grep -Eq "^1 .*raw" info.txt && grep -q "FAT copy 2 of 2 cannot be read" info.txt || { fail "an unreadable FAT copy did not make the partition raw with a reason"; }
[ "$(sum src.img)" = "$before" ] || fail "source changed"
echo ok
