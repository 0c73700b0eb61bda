#!/usr/bin/env bash
# A reused target is not a blank file: whatever it held before, every range the image carries
# — zeros included (zero chunks are punched or BLKZEROOUT'd, not written) — equals the source
# afterwards. The source is the oracle: raw areas byte for byte, every ext block in use per
# dumpe2fs, FAT by its files and fsck. Targets hold random data: files, loop devices (512 and
# 4096-byte sectors), a partition restore shifted to another offset, --resume, a smaller disk
# (chunks clipped at its end).
. "$(dirname "$0")/lib.sh"
MiB=1048576
random_disk src.img 96
sgdisk -Z src.img >/dev/null 2>&1 || true
# p1: no filesystem (raw); a 2 MiB gap after it; p2 ext4 with 1 KiB blocks and p3 FAT16 at odd
# sectors (so ranges, zeros included, end inside 4 KiB pages: the page cache's partial-page
# paths); a zero tail
sgdisk -a 1 -n1:2048:+16M -t1:8300 -n2:38913:+40M -t2:8300 -n3:0:+20M -t3:0700 src.img >/dev/null
o1=$(part_start src.img 1) s1=$(part_size src.img 1)
o2=$(part_start src.img 2) s2=$(part_size src.img 2)
o3=$(part_start src.img 3) s3=$(part_size src.img 3)
# zeros at odd places inside the raw partition (not sector aligned), a whole aligned run, and
# the gap between p1 and p2 zero but for a few random bytes
dd if=/dev/zero of=src.img bs=1 seek=$((o1 + MiB + 12345)) count=$((3 * MiB + 777)) conv=notrunc status=none
dd if=/dev/zero of=src.img bs=1M seek=$(((o1 + 8 * MiB) / MiB)) count=4 conv=notrunc status=none
dd if=/dev/zero of=src.img bs=512 seek=$(((o1 + s1) / 512)) count=$(((o2 - o1 - s1) / 512)) conv=notrunc status=none
head -c 1234 /dev/urandom | dd of=src.img bs=1 seek=$((o1 + s1 + MiB + 3)) conv=notrunc status=none
[ $((o2 % 4096)) != 0 ] && [ $((o2 - o1 - s1)) -gt $((MiB + 1237)) ] || fail "layout not as intended"
tail_at=$((o3 + s3)) size=$(stat -c %s src.img)
dd if=/dev/zero of=src.img bs=512 seek=$((tail_at / 512)) count=$(((size - tail_at) / 512 - 33)) conv=notrunc status=none
[ -d tree ] || make_tree tree
mkdir -p tree/zeros; head -c $((6 * MiB)) /dev/zero >tree/zeros/six-mib; truncate -s 5M tree/zeros/sparse
mk_ext src.img 2 ext4 tree -b 1024
mkfs.fat -F 16 -n ZEROS --offset=$((o3 / 512)) src.img $((s3 / 1024)) >/dev/null
mcopy -i "src.img@@$o3" tree/zeros/six-mib tree/random.bin ::/
before=$(sum src.img)
lb backup src.img img.lbi --quiet

check_all() { # DST: everything the image carries equals the source
	local dst=$1
	cmp_range src.img "$dst" 0 "$o2"                        # tables, p1 (raw), the gap
	cmp_ext_used src.img "$dst" "$o2"
	check_ext src.img "$dst" "$o2"
	check_fat src.img "$dst" "$o3"
	mcopy -n -i "$dst@@$o3" ::/six-mib fat-zeros && cmp -s fat-zeros tree/zeros/six-mib || fail "zero file on FAT not zeros on $dst"
	cmp_range src.img "$dst" "$tail_at" $((size - tail_at))  # zero tail, backup GPT
}
# a file holding old data
random_target f.img 96
lb restore img.lbi f.img --yes --quiet
check_all f.img
# --resume onto another disk's old data: what differs is rewritten, zeros included
random_target r.img 96
lb restore img.lbi r.img --yes --quiet --resume
check_all r.img
# a smaller disk: the tail's chunks are clipped at its end
need=$(lb info img.lbi --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["min_size"])')
random_target small.img 96; truncate -s "$need" small.img
lb restore img.lbi small.img --yes --quiet
cmp_range src.img small.img 0 458                          # the MBR but its size field,
cmp_range src.img small.img 1024 $((o2 - 1024))            # all but the primary GPT header
cmp_ext_used src.img small.img "$o2"
check_fat src.img small.img "$o3"
# one partition (raw, with its zeros) into partition 2 of a disk laid out differently
random_target other.img 64
sgdisk -Z other.img >/dev/null 2>&1 || true
sgdisk -n1:2048:+3M -n2:0:+17M other.img >/dev/null
od=$(part_start other.img 2)
lb restore img.lbi other.img --partition 1 --to 2 --yes --quiet
cmp -s -n "$s1" -i "$o1:$od" src.img other.img || fail "the raw partition restored at another offset differs"
# the ext partition into a file standing for it
random_target p2.img 40
lb restore img.lbi p2.img --partition 2 --yes --quiet
cmp_ext_used src.img p2.img "$o2" 0
[ "$(sum src.img)" = "$before" ] || fail "source changed"

# loop devices: BLKZEROOUT instead of punching holes; 4096-byte sectors make the image's
# 512-byte-aligned zero ranges unaligned for the device
L1=$(losetup -f --show f.img 2>/dev/null) || skip "no loop devices here (file tests passed)"
LOOPS="$L1"
random_target f.img 96   # new old data under the loop device
lb restore img.lbi "$L1" --yes --quiet
check_all f.img
# a disk with 4096-byte sectors and no table, zeros at 512-byte granularity
random_disk raw4k.img 24
dd if=/dev/zero of=raw4k.img bs=512 seek=2049 count=4099 conv=notrunc status=none
dd if=/dev/zero of=raw4k.img bs=1M seek=10 count=5 conv=notrunc status=none
dd if=/dev/zero of=raw4k.img bs=512 seek=$((20 * 2048 + 1)) count=3 conv=notrunc status=none
S4=$(losetup -f --show -b 4096 raw4k.img 2>/dev/null) || skip "no 4096-byte-sector loop devices here"
LOOPS="$S4 $LOOPS"
lb backup "$S4" raw4k.lbi --quiet
random_target t4k.img 24
L4=$(losetup -f --show -b 4096 t4k.img); LOOPS="$L4 $LOOPS"
lb restore raw4k.lbi "$L4" --yes --quiet
losetup -d "$L4"
cmp -s raw4k.img t4k.img || fail "4096-byte-sector target: $(cmp raw4k.img t4k.img)"
echo ok
