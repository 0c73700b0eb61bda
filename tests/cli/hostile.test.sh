#!/usr/bin/env bash
# Hostile disks: tables and filesystems that lie. Loops in the extended-partition chain,
# overlapping partitions, partitions past the end, GPT entries with absurd sizes, FATs pointing
# out of range or boot sectors lying about sizes, ext superblocks lying about sizes. For each:
# `list --disk`, `backup --plan`, `backup`, `verify --against` and `restore` must finish in
# time with a clear message and a safe fallback (raw copy, reason in the plan) or a refusal,
# never a crash; where a backup succeeds, source, image and restored disk agree on every byte
# the image holds, and partitions the plan copies raw are equal over their whole length.
. "$(dirname "$0")/lib.sh"

SIZE_MIB=16
# --- bytes on disk: little-endian fields, CRC-32 via gzip's trailer --------------------------
put_le() { # FILE OFFSET NBYTES VALUE
	local f=$1 off=$2 n=$3 v=$4 i hex=""
	for ((i = 0; i < n; i++)); do hex+=$(printf '\\x%02x' $(( (v >> (8 * i)) & 0xff ))); done
	printf "$hex" | dd of="$f" bs=1 seek="$off" conv=notrunc status=none
}
rd_le() { od -An -tu"$3" -j "$2" -N "$3" "$1" | tr -d ' '; }   # FILE OFFSET NBYTES
crc_into() { # SRC SRC_OFF LEN DST DST_OFF: CRC-32 of SRC[off, +len) written at DST_OFF
	dd if="$1" bs=1M iflag=skip_bytes,count_bytes skip="$2" count="$3" status=none | gzip -c >crc.gz
	dd if=crc.gz of="$4" bs=1 skip=$(( $(stat -c %s crc.gz) - 8 )) count=4 seek="$5" conv=notrunc status=none
}
gpt_fix_crcs() { # FILE: recompute entries and header CRCs of both GPT copies
	local f=$1 last=$(( $(stat -c %s "$1") / 512 - 1 )) lba h
	for lba in 1 $last; do
		h=$((lba * 512))
		[ "$(dd if="$f" bs=1 skip=$h count=8 status=none)" = "EFI PART" ] || continue
		crc_into "$f" $(( $(rd_le "$f" $((h + 72)) 8) * 512 )) \
			$(( $(rd_le "$f" $((h + 80)) 4) * $(rd_le "$f" $((h + 84)) 4) )) "$f" $((h + 88))
		put_le "$f" $((h + 16)) 4 0
		crc_into "$f" $h 92 "$f" $((h + 16))
	done
}
mbr_entry() { # FILE SLOT(0-3) TYPE START_LBA NSECT [TABLE_LBA]: one partition-table entry
	local base=$(( ${6:-0} * 512 + 446 + 16 * $2 ))
	put_le "$1" $((base + 4)) 1 "$3"
	put_le "$1" $((base + 8)) 4 "$4"
	put_le "$1" $((base + 12)) 4 "$5"
}

# --- running lifeboat on them ----------------------------------------------------------------
# run ARGS...: lifeboat within 120 s; a crash, a signal or a hang fails the test. Returns rc.
run() {
	local rc=0
	timeout 120 "$LIFEBOAT" "$@" >out.txt 2>err.txt || rc=$?
	[ "$rc" -eq 124 ] && fail "lifeboat $* hung (killed after 120 s)"
	[ "$rc" -ge 8 ] && { cat err.txt >&2; fail "lifeboat $* died with status $rc"; }
	if [ "$rc" -ne 0 ] && ! grep -q . err.txt; then fail "lifeboat $* failed ($rc) without a message"; fi
	return "$rc"
}
# check NAME LIST_NOTE PLAN_PATTERN RAW_AREAS [gpt-repaired]: the whole cycle on disk.img
check() {
	local name=$1 note=$2 plan=$3 raw=$4 rc p
	echo "== $name"
	run list --disk disk.img || fail "$name: list failed: $(cat err.txt)"
	[ -z "$note" ] || grep -Eqi -- "$note" out.txt || { cat out.txt; fail "$name: list does not say /$note/"; }
	run backup disk.img img.lbi --plan || fail "$name: backup --plan failed: $(cat err.txt)"
	cat out.txt
	[ -z "$plan" ] || grep -Eqi -- "$plan" out.txt || fail "$name: the plan does not say /$plan/"
	rm -f img.lbi*
	run backup disk.img img.lbi --quiet || fail "$name: backup failed: $(cat err.txt)"
	[ -f img.lbi ] || fail "$name: no image"
	run verify img.lbi --against disk.img || fail "$name: the image does not match its source: $(cat err.txt)"
	random_target r.img $SIZE_MIB; local old; old=$(sum r.img)
	# onto a disk of the source's size: the image of a disk always fits its own size
	rc=0; run restore img.lbi r.img --yes --quiet || rc=$?
	if [ "$rc" -ne 0 ]; then
		[ "$(sum r.img)" = "$old" ] || echo "(and the refused restore wrote to r.img)"
		fail "$name: restore failed ($rc): $(cat err.txt)"
	fi
	if [ "${5:-}" = gpt-repaired ]; then
		# restore rewrote the damaged primary GPT from the good backup: put the source's GPT
		# copies back over a copy of the target, then every other imaged byte must match
		[ "$(rd_le r.img $((512 + 80)) 4)" = 128 ] || fail "$name: the primary GPT was not repaired"
		cp r.img r2.img
		dd if=disk.img of=r2.img bs=512 count=34 conv=notrunc status=none
		dd if=disk.img of=r2.img bs=512 skip=$(( (SIZE_MIB << 11) - 33 )) seek=$(( (SIZE_MIB << 11) - 33 )) conv=notrunc status=none
		run verify img.lbi --against r2.img || fail "$name: the restored disk differs from the image: $(cat err.txt)"
	else
		run verify img.lbi --against r.img || fail "$name: the restored disk differs from the image: $(cat err.txt)"
	fi
	for p in $raw; do   # "START:LEN" in sectors of areas the plan must have copied raw
		cmp_range disk.img r.img $(( ${p%:*} * 512 )) $(( ${p#*:} * 512 ))
	done
	echo "$name: ok"
}
fresh_mbr() { random_disk disk.img $SIZE_MIB; dd if=/dev/zero of=disk.img bs=512 count=1 conv=notrunc status=none
              put_le disk.img 510 2 0xaa55; }
fat_at() { # START_SECTOR NSECT: a FAT16 with files
	mkfs.fat -F 16 -s 1 -n HOSTILE --offset="$1" disk.img $(( $2 / 2 )) >/dev/null 2>&1
	mcopy -i "disk.img@@$(( $1 * 512 ))" -s tree/* ::/
}
mkdir -p tree/sub; seq 1 20000 >tree/numbers.txt; head -c 300K /dev/urandom >tree/sub/random.bin
echo hostile >tree/hello.txt

# 1. The extended partition's chain loops: EBR2 links back to EBR1; EBR3 links to itself.
fresh_mbr
mbr_entry disk.img 0 0x0e 2048 8192
fat_at 2048 8192
mbr_entry disk.img 1 0x05 10240 20480        # extended [10240, 30720)
for ebr in 10240 14336 20480; do put_le disk.img $((ebr * 512 + 510)) 2 0xaa55; done
mbr_entry disk.img 0 0x83 2048 2048 10240    # logical 5 at 12288
mbr_entry disk.img 1 0x05 4096 4096 10240    # -> EBR2 at 14336
mbr_entry disk.img 0 0x83 2048 2048 14336    # logical 6 at 16384
mbr_entry disk.img 1 0x05 0 4096 14336       # -> back to EBR1: a loop
check "mbr chain loop" "loops back" "" "10240:20480"
mbr_entry disk.img 1 0x05 10240 4096 14336   # -> EBR3 at 20480
mbr_entry disk.img 0 0x83 2048 2048 20480
mbr_entry disk.img 1 0x05 10240 4096 20480   # EBR3 -> itself
check "mbr chain self-loop" "loops back" "" "10240:20480"
# a link outside the extended partition, and one far past the end of the disk
mbr_entry disk.img 1 0x05 4000000000 4096 20480
check "mbr chain link outside" "outside" "" "10240:20480"

# 2. Overlapping partitions: both copied raw, with the reason.
fresh_mbr
mbr_entry disk.img 0 0x0e 2048 8192
fat_at 2048 8192
mbr_entry disk.img 1 0x83 6144 8192
mbr_entry disk.img 2 0x83 2048 8192          # the same range twice
check "mbr overlap" "overlap" "overlaps partition" "2048:12288"

# 3. Partitions past the end of the disk: clipped, copied raw; one starting past the end.
fresh_mbr
mbr_entry disk.img 0 0x0e 2048 8192
fat_at 2048 8192
mbr_entry disk.img 1 0x0e 16384 4000000000   # runs 2 TB past the end
fat_at 16384 8192
mbr_entry disk.img 2 0x83 3000000000 2048    # starts past the end
check "mbr past end" "past the end" "past the end" "16384:16384"

# 4. GPT entries with absurd sizes, CRCs made valid so the table is believed.
random_disk disk.img $SIZE_MIB
sgdisk -Z disk.img >/dev/null 2>&1 || true
sgdisk -n1:2048:+4M -t1:0700 -n2:0:+4M -t2:8300 -n3:0:+2M -n4:0:+1M disk.img >/dev/null
fat_at 2048 8192
ent() { echo $(( $(rd_le disk.img $((512 + 72)) 8) * 512 + ($1 - 1) * 128 )); }   # entry N, primary
back_ent() { echo $(( $(rd_le disk.img $(( ($(stat -c %s disk.img) / 512 - 1) * 512 + 72 )) 8) * 512 + ($1 - 1) * 128 )); }
gpt_set() { # N FIRST LAST: in both copies
	local e
	for e in $(ent "$1") $(back_ent "$1"); do put_le disk.img $((e + 32)) 8 "$2"; put_le disk.img $((e + 40)) 8 "$3"; done
}
gpt_set 2 10240 $(( (1 << 62) + 12345 ))        # last LBA absurdly far
gpt_set 3 $(( 1 << 62 )) $(( (1 << 62) + 10 ))  # starts far past the end
gpt_set 4 30000 20000                           # ends before it starts
gpt_fix_crcs disk.img
sgdisk -v disk.img >/dev/null 2>&1 || true      # (sgdisk objects; we only want valid CRCs)
check "gpt absurd entries" "past the end" "past the end" "10240:20480"
# entries of absurd size in the header (n * size over 4 MiB): the copy is not believed
h=512; put_le disk.img $((h + 80)) 4 0x100000; put_le disk.img $((h + 84)) 4 4096
put_le disk.img $((h + 16)) 4 0; crc_into disk.img $h 92 disk.img $((h + 16))
check "gpt absurd header" "primary GPT is damaged" "" "" gpt-repaired

# 5. FAT: entries pointing out of range and in loops; boot sectors lying about sizes.
fresh_mbr
mbr_entry disk.img 0 0x0e 2048 16384
fat_at 2048 16384
fat=$(( (2048 + $(rd_le disk.img $((2048 * 512 + 14)) 2)) * 512 ))
put_le disk.img $((fat + 2 * 2)) 2 0xfff0     # cluster 2 -> reserved value
put_le disk.img $((fat + 3 * 2)) 2 3          # cluster 3 -> itself
put_le disk.img $((fat + 100 * 2)) 2 0xfffe   # an unused cluster -> past the last one
put_le disk.img $((fat + 101 * 2)) 2 60000
check "fat entries out of range" "" "vfat.*used" ""
put_le disk.img $((2048 * 512 + 19)) 2 0; put_le disk.img $((2048 * 512 + 32)) 4 40000   # total > partition
check "fat boot sector: too many sectors" "" "no filesystem Lifeboat knows|vfat \(so libblkid says\) fails Lifeboat's own checks" "2048:16384"
fat_at 2048 16384
put_le disk.img $((2048 * 512 + 22)) 2 0xffff # FAT size larger than the filesystem
check "fat boot sector: huge FAT" "" "no filesystem Lifeboat knows|vfat \(so libblkid says\) fails Lifeboat's own checks" "2048:16384"
fat_at 2048 16384
put_le disk.img $((2048 * 512 + 13)) 1 0       # zero sectors per cluster
put_le disk.img $((2048 * 512 + 17)) 2 0xffff  # and a root directory of 65535 entries
check "fat boot sector: zero cluster size" "" "no filesystem Lifeboat knows|vfat \(so libblkid says\) fails Lifeboat's own checks" "2048:16384"

# 6. ext superblocks lying about sizes.
random_disk disk.img $SIZE_MIB
sgdisk -Z disk.img >/dev/null 2>&1 || true
sgdisk -n1:2048:+12M -t1:8300 disk.img >/dev/null
mk_ext disk.img 1 ext4 tree
check "ext4 honest" "" "only blocks the filesystem uses" ""
debugfs -w -R "ssv blocks_count 400000" "disk.img?offset=1048576" >/dev/null 2>&1
check "ext4 blocks_count past the partition" "" "claims 400000 blocks|cannot open" "2048:24576"
mk_ext disk.img 1 ext4 tree
debugfs -w -R "ssv free_blocks_count 99999999" "disk.img?offset=1048576" >/dev/null 2>&1
check "ext4 more free blocks than blocks" "" "" ""
mk_ext disk.img 1 ext2 tree
put_le disk.img $((1048576 + 1024 + 24)) 4 40  # log block size 2^50
check "ext2 absurd block size" "" "no filesystem Lifeboat knows|ext[234] \(so libblkid says\) fails Lifeboat's own checks" "2048:24576"
mk_ext disk.img 1 ext2 tree
bs=$(( 1024 << $(rd_le disk.img $((1048576 + 1024 + 24)) 4) ))
gdt=$(( 1048576 + (bs == 1024 ? 2048 : bs) ))
put_le disk.img $gdt 4 4000000000              # group 0's block bitmap far past the end
check "ext2 block bitmap out of range" "" "ext2 .*(cannot|bitmap|open)" "2048:24576"
mk_ext disk.img 1 ext2 tree
put_le disk.img $((1048576 + 1024 + 32)) 4 0   # zero blocks per group
check "ext2 zero blocks per group" "" "ext2 .*(cannot|bitmap|open)" "2048:24576"
echo "all hostile disks handled"
