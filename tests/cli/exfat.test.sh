#!/usr/bin/env bash
# exFAT as mkfs.exfat (exfatprogs) makes it and exfat-fuse fills it, on a GPT disk whose free
# space holds old random data: the default cluster size, 4 KiB, 128 KiB and 1 MiB clusters,
# and a volume with 4096-byte sectors (mkfs.exfat on a `losetup -b 4096` device). Each holds
# real files, a fragmented pair (written interleaved) and deleted files whose clusters still
# hold their old bytes. The fixtures are filled (through loop devices) before anything is
# backed up; sources under test are never mounted, and checksummed before and after.
# Backup by used clusters (image far smaller than the volumes, deleted data absent), restore
# onto a disk of random data: fsck.exfat -n clean, every file equal (the restored copy
# mounted), the boot regions identical. Then the states: dirty (bitmap plus every cluster the
# directories name; a file whose bitmap bits were cleared still comes back), a main boot
# region failing its checksum (raw, the backup region named intact), a bitmap too short for
# the cluster count, a looping FAT chain, a dirty volume whose walk breaks (raw, each with its
# reason), and the damage report naming the file on unreadable sectors.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
for t in mkfs.exfat fsck.exfat mount.exfat-fuse losetup sgdisk python3; do
	command -v $t >/dev/null || skip "$t missing (scripts/install-deps.sh host)"
done
[ -c /dev/fuse ] || skip "no /dev/fuse"
losetup -f >/dev/null 2>&1 || skip "no loop devices"
MNTS="" LOOPS=""
exfat_cleanup() {
	for m in $MNTS; do umount "$m" 2>/dev/null || true; done
	cleanup
}
trap exfat_cleanup EXIT

part_out() { # DISK P FILE
	dd if="$1" of="$3" bs=1M iflag=skip_bytes,count_bytes skip="$(part_start "$1" "$2")" \
		count="$(part_size "$1" "$2")" status=none
}
part_in() { # FILE DISK P
	dd if="$1" of="$2" bs=1M oflag=seek_bytes seek="$(part_start "$2" "$3")" conv=notrunc status=none
}
# loop_up FILE [SECTOR]: a loop device over FILE (LOOP)
loop_up() {
	LOOP=$(losetup -f --show ${2:+-b "$2"} "$1") || fail "losetup $1"
	LOOPS="$LOOPS $LOOP"
}
loop_down() { losetup -d "$1"; LOOPS=${LOOPS/ $1/}; }
# exfat-fuse runs in the foreground (-d) in the background, and unmounting waits for it to
# exit: a daemonised driver may still be writing after umount returns, and the partition file
# is read right after (a lost write made the deleted-marker check fail under load).
ex_mount() { # DEV DIR [ro]
	mkdir -p "$2"
	mount.exfat-fuse -d ${3:+-o ro} "$1" "$2" >>fuse.log 2>&1 &
	EX_PID=$!
	for _ in $(seq 100); do mountpoint -q "$2" && { MNTS="$MNTS $PWD/$2"; return 0; }; sleep 0.1; done
	tail fuse.log >&2; fail "cannot mount $1"
}
ex_umount() { # DIR
	sync
	for _ in $(seq 50); do umount "$1" 2>/dev/null && break; sleep 0.2; done
	mountpoint -q "$1" && fail "cannot unmount $1"
	wait "$EX_PID" || fail "exfat-fuse on $1 exited with status $?"
	MNTS=${MNTS/ $PWD\/$1/}
}
# mk_exfat DISK P TREE SECTOR [mkfs.exfat options]: mkfs.exfat over the partition's old data
# (a quick format: free clusters keep it), then filled through exfat-fuse and the same into
# TREE (the reference): headers, config files, a Unicode name, a fragmented pair, 1 MiB
# files of which half are deleted, then files into the holes, and a deleted file of a marker
# pattern (to look for in the copy).
mk_exfat() {
	local disk=$1 p=$2 tree=$3 sect=$4 i; shift 4
	part_out "$disk" "$p" p.tmp
	loop_up p.tmp "$sect"
	mkfs.exfat -L "EX$p" "$@" "$LOOP" >mkfs.log 2>&1 || { cat mkfs.log >&2; fail "mkfs.exfat $*"; }
	ex_mount "$LOOP" mnt
	mkdir -p "$tree/usr/include" "$tree/etc" "$tree/deep/a/b/c" "$tree/empty dir"
	cp -r /usr/include/ext2fs "$tree/usr/include/"
	cp /etc/*.conf "$tree/etc/" 2>/dev/null || true
	echo deep >"$tree/deep/a/b/c/file.txt"
	: >"$tree/empty file"
	echo "grüße, 日本語" >"$tree/ünïcödé €.txt"
	head -c 700 /dev/urandom >"$tree/$(printf 'n%.0s' $(seq 1 200)).bin"   # a 200-character name
	cp -r "$tree"/. mnt/
	for i in $(seq 1 24); do   # interleaved appends: each file's clusters alternate
		head -c 50000 /dev/urandom | tee -a "$tree/frag-a.bin" >>mnt/frag-a.bin
		head -c 70000 /dev/urandom | tee -a "$tree/frag-b.bin" >>mnt/frag-b.bin
	done
	for i in $(seq 1 8); do head -c 1M /dev/urandom >"$tree/old$i.bin"; cp "$tree/old$i.bin" mnt/; done
	for i in 1 3 5 7; do rm "mnt/old$i.bin" "$tree/old$i.bin"; done
	for i in 1 2 3; do head -c $((i * 300000)) /dev/urandom >"$tree/new$i.bin"; cp "$tree/new$i.bin" mnt/; done
	# last, so no file takes its clusters (a file's last cluster keeps old bytes after its end)
	python3 -c 'import sys; sys.stdout.buffer.write(b"LB-DELETED-MARKER-" * 60000)' >mnt/deleted.bin
	rm mnt/deleted.bin
	ex_umount mnt
	loop_down "$LOOP"
	fsck.exfat -n p.tmp >fsck.txt 2>&1 || { cat fsck.txt >&2; fail "fsck.exfat: the fixture $p"; }
	grep -q "LB-DELETED-MARKER" p.tmp || fail "partition $p: the deleted file's bytes are gone already"
	part_in p.tmp "$disk" "$p"
	rm -f p.tmp
}
# check_exfat SRC DST P TREE SECTOR: fsck.exfat -n clean, the boot regions identical, TREE's
# files byte for byte and nothing else, no bytes of the deleted file
check_exfat() {
	local src=$1 dst=$2 p=$3 tree=$4 sect=$5
	part_out "$src" "$p" a.tmp
	part_out "$dst" "$p" b.tmp
	cmp -s -n $((24 * sect)) a.tmp b.tmp || fail "partition $p: boot regions differ"
	fsck.exfat -n b.tmp >fsck.txt 2>&1 || { cat fsck.txt >&2; fail "fsck.exfat -n: restored partition $p"; }
	! grep -q "LB-DELETED-MARKER" b.tmp || fail "partition $p: a deleted file's clusters were copied"
	loop_up b.tmp "$sect"
	ex_mount "$LOOP" rmnt ro
	diff -r "$tree" rmnt >diff.txt 2>&1 || { head diff.txt >&2; fail "partition $p: the restored files differ"; }
	ex_umount rmnt
	loop_down "$LOOP"
	rm -f a.tmp b.tmp
}

# --- a GPT disk of five exFAT volumes ------------------------------------------------------
random_disk src.img 330
sgdisk -n1:2048:+100M -t1:0700 -n2:0:+48M -t2:0700 -n3:0:+56M -t3:0700 -n4:0:+64M -t4:0700 \
	-n5:0:0 -t5:0700 src.img >/dev/null
declare -A opts=([1]="" [2]="-c 4K" [3]="-c 128K" [4]="-c 1M" [5]="")
declare -A sect=([1]=512 [2]=512 [3]=512 [4]=512 [5]=4096)
for p in 1 2 3 4 5; do
	# shellcheck disable=SC2086
	mk_exfat src.img $p tree$p ${sect[$p]} ${opts[$p]}
done
part_out src.img 5 p.tmp
[ "$(od -An -tu1 -j108 -N1 p.tmp | tr -d ' ')" = 12 ] || fail "mkfs.exfat did not make 4096-byte sectors"
part_out src.img 4 p.tmp
[ "$(od -An -tu1 -j109 -N1 p.tmp | tr -d ' ')" = 11 ] || fail "mkfs.exfat -c 1M did not make 1 MiB clusters"
rm -f p.tmp
lb list --disk src.img >list.txt
grep -Eq "exfat +EX1 .* used of" list.txt || { cat list.txt; fail "list does not show the exFAT label and use"; }
src_sum=$(sum src.img)
lb backup src.img img.lbi >plan.txt 2>&1 || { cat plan.txt; fail "backup"; }
[ "$(sum src.img)" = "$src_sum" ] || fail "source changed"
for p in 1 2 3 4 5; do
	grep -Eq "^$p +exfat +EX$p +used .*only blocks the filesystem uses" plan.txt ||
		{ cat plan.txt; fail "partition $p not by used clusters"; }
done
# Written per volume: ~8 MiB of files (4 MiB more deleted), over 328 MiB of random bytes; the
# 1 MiB-cluster volume keeps ~50 MiB (a cluster per small file, its tail old random data).
size=$(stat -c %s img.lbi)
[ "$size" -lt $((100 * 1024 * 1024)) ] || { cat plan.txt; fail "image is $size bytes: not by used clusters"; }
random_target dst.img 330
lb restore img.lbi dst.img --yes --quiet
for p in 1 2 3 4 5; do
	check_exfat src.img dst.img $p tree$p ${sect[$p]}
done
gpt_ok dst.img
[ "$(sum src.img)" = "$src_sum" ] || fail "source changed"

# --- the states: never fixed, only described -------------------------------------------------
# exfat_py FILE CODE: runs CODE with v (the volume, open r+b), its geometry, cl(cluster) -> byte
# offset, rd (the root directory's first cluster) and entry(type) -> its offset and bytes
exfat_py() {
	python3 - "$1" <<EOF
import struct, sys
v = open(sys.argv[1], 'r+b'); b = v.read(512)
bs, ss = b[108], b[109]; sec = 1 << bs; cs = sec << ss
fat = struct.unpack_from('<I', b, 80)[0] * sec
heap = struct.unpack_from('<I', b, 88)[0] * sec
root = struct.unpack_from('<I', b, 96)[0]
def cl(c): return heap + (c - 2) * cs
v.seek(cl(root)); rd = v.read(cs)
def entry(t):
    for i in range(0, len(rd), 32):
        if rd[i] == t: return cl(root) + i, rd[i:i + 32]
    raise SystemExit('no entry %x' % t)
$2
EOF
}
# dirty, with the bitmap bits of frag-b.bin's clusters cleared (what a crash leaves:
# the directories name clusters the bitmap does not have yet): used, said, and the file back
cp src.img dirty.img
part_out dirty.img 1 p.tmp
exfat_py p.tmp '
v.seek(106); f = struct.unpack("<H", v.read(2))[0]; v.seek(106); v.write(struct.pack("<H", f | 2))
at, e = entry(0x81); bm = struct.unpack_from("<I", e, 20)[0]
# frag-b.bin: its stream extension follows its file entry; clusters by its FAT chain
for i in range(0, len(rd), 32):
    if rd[i] == 0x85:
        n = rd[i + 1]; s = rd[i + 32:i + 32 + 32 * n]
        name = b"".join(s[k + 2:k + 32] for k in range(32, len(s), 32)).decode("utf-16-le")[:s[3]]
        if name == "frag-b.bin":
            c = struct.unpack_from("<I", s, 20)[0]; nclear = 0
            while 2 <= c < 0xfffffff7:
                v.seek(cl(bm) + (c - 2) // 8); x = v.read(1)[0]
                v.seek(cl(bm) + (c - 2) // 8); v.write(bytes([x & ~(1 << ((c - 2) % 8))]))
                v.seek(fat + 4 * c); c = struct.unpack("<I", v.read(4))[0]; nclear += 1
            assert nclear > 1, nclear
            break
else:
    raise SystemExit("no frag-b.bin in the root directory")
'
part_in p.tmp dirty.img 1
rm -f p.tmp
before=$(sum dirty.img)
lb backup dirty.img dirty.lbi >plan.txt 2>&1 || { cat plan.txt; fail "backup of a dirty volume"; }
[ "$(sum dirty.img)" = "$before" ] || fail "dirty source changed"
grep -Eq "^1 +exfat .* used .*marked dirty \(not cleanly removed\): every cluster its directories name kept" plan.txt ||
	{ cat plan.txt; fail "the plan does not say the volume is dirty"; }
random_target dirty-dst.img 330
lb restore dirty.lbi dirty-dst.img --yes --quiet
part_out dirty-dst.img 1 b.tmp
loop_up b.tmp
ex_mount "$LOOP" rmnt ro
cmp -s tree1/frag-b.bin rmnt/frag-b.bin || fail "dirty volume: frag-b.bin (not in the bitmap) differs"
diff -r tree1 rmnt >/dev/null || fail "dirty volume: restored files differ"
ex_umount rmnt
loop_down "$LOOP"
rm -f b.tmp

# main boot region failing its checksum (one byte of the boot code changed), backup intact:
# raw, and the plan says so
cp src.img bad.img
part_out bad.img 2 p.tmp
exfat_py p.tmp 'v.seek(200); x = v.read(1)[0]; v.seek(200); v.write(bytes([x ^ 0x55]))'
part_in p.tmp bad.img 2
# a bitmap entry whose length is too short for the cluster count: raw
part_out bad.img 3 p.tmp
exfat_py p.tmp 'at, e = entry(0x81); v.seek(at + 24); v.write(struct.pack("<Q", 8))'
part_in p.tmp bad.img 3
# the root directory's FAT chain looping onto itself: raw (the walk is bounded)
part_out bad.img 4 p.tmp
exfat_py p.tmp 'v.seek(fat + 4 * root); v.write(struct.pack("<I", root))'
part_in p.tmp bad.img 4
# dirty, and a directory that starts past the cluster heap: the walk stops, raw
part_out bad.img 5 p.tmp
exfat_py p.tmp '
v.seek(106); f = struct.unpack("<H", v.read(2))[0]; v.seek(106); v.write(struct.pack("<H", f | 2))
for i in range(0, len(rd), 32):
    if rd[i] == 0x85 and rd[i + 4] & 0x10:
        v.seek(cl(root) + i + 32 + 20); v.write(struct.pack("<I", 0xfffffff0))
        break
else:
    raise SystemExit("no directory in the root directory")
'
part_in p.tmp bad.img 5
rm -f p.tmp
before=$(sum bad.img)
lb backup bad.img bad.lbi >plan.txt 2>&1 || { cat plan.txt; fail "backup of damaged volumes"; }
[ "$(sum bad.img)" = "$before" ] || fail "damaged source changed"
grep -Eq "^2 +exfat .* raw .*its main boot region fails its boot checksum; its backup boot region is intact" plan.txt ||
	{ cat plan.txt; fail "partition 2: a bad boot checksum not raw with the reason"; }
grep -Eq "^3 +exfat .* raw .*allocation bitmap is 8 bytes, too short" plan.txt ||
	{ cat plan.txt; fail "partition 3: a short bitmap not raw with the reason"; }
grep -Eq "^4 +exfat .* raw .*the FAT chain of the root directory loops" plan.txt ||
	{ cat plan.txt; fail "partition 4: a looping root directory not raw with the reason"; }
grep -Eq "^5 +exfat .* raw .*volume is marked dirty \(not cleanly removed\) and /.* starts outside the cluster heap \(cluster 4294967280\): copied raw" plan.txt ||
	{ cat plan.txt; fail "partition 5: a dirty volume whose walk breaks not raw with the reason"; }
grep -Eq "^1 +exfat .* used " plan.txt || { cat plan.txt; fail "partition 1 beside them not by used clusters"; }
random_target bad-dst.img 330
lb restore bad.lbi bad-dst.img --yes --quiet
for p in 2 3 4 5; do
	cmp_range bad.img bad-dst.img "$(part_start bad.img $p)" "$(part_size bad.img $p)"
done

# --- a failing disk: the damage report names the file on unreadable sectors --------------------
part_out src.img 4 p.tmp
at=$(grep -obUa "grüße, 日本語" p.tmp | head -1 | cut -d: -f1)
[ -n "$at" ] || fail "the Unicode file's bytes not found"
rm -f p.tmp
rc=0
LIFEBOAT_FAULTS=$(( $(part_start src.img 4) + at ))+512 lb backup src.img f.lbi --retries 1 2>err.txt || rc=$?
[ "$rc" = 6 ] || { cat err.txt; fail "backup of a failing exFAT exited $rc, wanted 6"; }
grep -q "^partition 4 (exfat" err.txt || { cat err.txt; fail "damage not reported for partition 4"; }
grep -q "^  file: /ünïcödé €.txt$" err.txt || { cat err.txt; fail "the damaged file is not named"; }
[ "$(sum src.img)" = "$src_sum" ] || fail "source changed"
echo ok
