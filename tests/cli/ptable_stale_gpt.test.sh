#!/usr/bin/env bash
# Leftover GPTs. (1) An MBR disk that still carries an old GPT (both copies, or only the backup
# at its end) is read as MBR, as the kernel and libblkid read it, and every MBR partition comes
# back. (2) Restoring an MBR image onto a disk that carried a GPT erases the old GPT headers (and
# an old RAID superblock at its end) the image does not cover, so blkid, sfdisk and sgdisk see
# the MBR only; and a GPT image restored
# onto a larger disk leaves no second backup header where the source ended.
. "$(dirname "$0")/lib.sh"
[ -d tree ] || make_tree tree

# An MBR disk: ext4, an extended partition with FAT16 and ext2, and a last ext4 partition that
# reaches the disk's last sector, or (mbr_layout tail) ends 1 MiB before it (mke2fs clears the
# end of its filesystem, and with it a backup GPT there). Sizes in 512-byte sectors.
mbr_layout() {
	printf 'label: dos\n'
	printf 'start=2048, size=40960, type=83\n'
	printf 'start=43008, size=49152, type=5\n'
	printf 'start=45056, size=20480, type=6\n'
	printf 'start=67584, size=24576, type=83\n'
	printf 'start=92160%s, type=83\n' "$([ "${1:-}" = tail ] && echo ", size=36864")"
}
fill_mbr() { # DISK
	mk_ext "$1" 1 ext4 tree
	mk_fat "$1" 5 16 tree/etc
	mk_ext "$1" 6 ext2 tree/usr
	mk_ext "$1" 3 ext4 tree/bin
}
check_mbr() { # SRC DST
	for p in 1 6 3; do check_ext "$1" "$2" "$(part_start "$1" $p)"; done
	check_fat "$1" "$2" "$(part_start "$1" 5)"
	cmp_range "$1" "$2" 0 $((2048 * 512))
}
no_gpt() { # DISK: nothing sees a GPT, everything sees the MBR
	blkid -p "$1" >blkid.txt 2>&1 || true
	grep -q 'PTTYPE="dos"' blkid.txt || { cat blkid.txt >&2; fail "blkid -p does not say dos on $1"; }
	sfdisk -d "$1" 2>/dev/null | grep -q '^label: dos' || fail "sfdisk -d does not see an MBR on $1"
	sgdisk -v "$1" >v.txt 2>&1 || true
	# (an MBR partition reaching the last sector draws a warning about a GPT it would convert to)
	grep -q "Found invalid GPT and valid MBR" v.txt && ! grep -Eqi "valid backup|header: OK|CRC" v.txt ||
		{ cat v.txt >&2; fail "sgdisk -v still finds a GPT on $1"; }
	wipefs "$1" >w.txt 2>&1 || true
	! grep -qw gpt w.txt || { cat w.txt >&2; fail "wipefs still finds a GPT signature on $1"; }
	lb list --disk "$1" | grep -q "mbr table" || fail "lifeboat reads $1 as something else than MBR"
}

# (1a) sfdisk --wipe never over an sgdisk GPT: both GPT copies stay behind the new MBR.
random_disk stale.img 64
sgdisk -n1:2048:0 -t1:8300 -c1:old stale.img >/dev/null
mbr_layout tail | sfdisk --wipe never stale.img >/dev/null 2>&1
fill_mbr stale.img
# (1b) the same, with only the backup GPT left (the start of the disk was cleared).
cp stale.img stale-b.img
dd if=/dev/zero of=stale-b.img bs=512 seek=1 count=33 conv=notrunc status=none
for src in stale.img stale-b.img; do
	before=$(sum "$src")
	lb list --disk "$src" >list.txt
	grep -q "mbr table" list.txt || { cat list.txt >&2; fail "$src: the leftover GPT wins over the MBR"; }
	grep -q "GPT was found but ignored" list.txt || { cat list.txt >&2; fail "$src: no note about the ignored GPT"; }
	lb backup "$src" s.lbi --quiet
	lb info s.lbi --json | grep -q '"table":"mbr"' || { lb info s.lbi >&2; fail "$src imaged as something else than MBR"; }
	for p in 1 3 5 6; do
		lb info s.lbi | grep -Eq "^$p .*(used|raw)" || { lb info s.lbi >&2; fail "$src: partition $p not in the image"; }
	done
	random_disk out.img 64
	lb restore s.lbi out.img --yes --quiet
	[ "$(sum "$src")" = "$before" ] || fail "source $src changed"
	check_mbr "$src" out.img
	rm -f s.lbi
done

# (2) A clean MBR disk (sfdisk wipes old tables by itself) restored onto GPT disks full of old
# data: a larger one (its backup GPT lies past the image), the same size (its backup GPT lies in
# the free space of the last partition), and a larger one with 4096-byte-sector GPT headers.
random_disk src.img 64
mbr_layout | sfdisk src.img >/dev/null 2>&1
fill_mbr src.img
before=$(sum src.img)
lb backup src.img src.lbi --quiet
gpt_target() { # FILE MiB [SECTOR]
	random_disk "$1" "$2"
	if [ "${3:-512}" = 4096 ]; then
		local l; l=$(losetup -f --show -b 4096 "$1") || return 1
		LOOPS="${LOOPS:-} $l"
		sgdisk -n1:256:+8M -t1:ef00 -n2:0:0 -t2:8300 "$l" >/dev/null
		losetup -d "$l"
	else
		sgdisk -n1:2048:+8M -t1:ef00 -n2:0:0 -t2:8300 "$1" >/dev/null
	fi
}
md090() { # FILE: an md RAID 0.90 superblock at the end, as an old array member has (blkid
	# then calls the whole disk linux_raid_member)
	local s; s=$(stat -c %s "$1")
	printf '\xfc\x4e\x2b\xa9\0\0\0\0\x5a\0\0\0\0\0\0\0%016d\x92\x10\0\0' 0 | tr 0 '\0' |
		dd of="$1" bs=1 seek=$(( (s & ~0xffff) - 0x10000 )) conv=notrunc status=none
}
gpt_target big.img 80
md090 big.img
blkid -p big.img | grep -q linux_raid_member || fail "fixture: blkid does not see the RAID superblock"
gpt_target same.img 64
targets="big.img same.img"
if gpt_target big4k.img 80 4096 2>/dev/null; then
	[ "$(dd if=big4k.img bs=4096 skip=$((80 * 256 - 1)) count=1 status=none | head -c 8 | tr -d "\0")" = "EFI PART" ] ||
		fail "fixture: no 4096-byte backup GPT header in big4k.img"
	targets="$targets big4k.img"
else
	echo "no loop devices: the 4096-byte GPT target is left out"
fi
for t in $targets; do
	lb restore src.lbi "$t" --yes --quiet 2>restore.txt
	no_gpt "$t"
	check_mbr src.img "$t"
done
[ "$(sum src.img)" = "$before" ] || fail "source changed"
# a clone does the same
gpt_target big.img 80
lb clone src.img big.img --yes --quiet
no_gpt big.img
check_mbr src.img big.img

# A GPT image onto a larger disk: the backup GPT moves to the new end, and the copy the image
# carried where the source ended is no second GPT header in the middle of the disk.
build_gpt_disk g.img
lb backup g.img g.lbi --quiet
random_disk g-big.img 400
lb restore g.lbi g-big.img --yes --quiet
gpt_ok g-big.img
[ "$(dd if=g-big.img bs=512 skip=$((300 * 2048 - 1)) count=1 status=none | head -c 8 | tr -d "\0")" != "EFI PART" ] ||
	fail "the image's backup GPT header is left where the source disk ended"
check_ext g.img g-big.img "$(part_start g.img 3)"
echo ok
