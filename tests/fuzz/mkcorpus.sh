#!/usr/bin/env bash
# Regenerates the seed corpora under tests/fuzz/corpus/<target>/ from our own tools and mkfs:
# small disks (MBR with a logical chain, GPT, FAT12/16/32, ext2/ext4, swap), images that
# lifeboat wrote of them, and their META records. Outputs are not byte-reproducible (UUIDs,
# dates, random fill); the committed files are the reference, rerun only to refresh them.
# Usage: tests/fuzz/mkcorpus.sh [LIFEBOAT]      (default build/lifeboat)    env: CORPUS_OUT
set -euo pipefail
cd "$(dirname "$0")/../.."
LB=$(realpath "${1:-build/lifeboat}")
OUT=${CORPUS_OUT:-$PWD/tests/fuzz/corpus}   # CORPUS_OUT: somewhere else, to refresh a part
V10=$PWD/tests/cli/data/format-1.0.image   # written by Lifeboat 0.1.0 (format 1.0)
V11=$PWD/tests/cli/data/format-1.1.image   # written before format 2.0 (1.1: DEFLATE, CRC-32)
export LC_ALL=C MTOOLS_SKIP_CHECK=1
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
cd "$T"
rm -rf "$OUT"; mkdir -p "$OUT"/{image,ptable,fat,exfat,plan,meta,imgread,nbd}
kib() { truncate -s 0 "$1"; truncate -s "$2"K "$1"; }
files() { mkdir -p tree/sub; echo "hello lifeboat" >tree/hello.txt; seq 1 2000 >tree/sub/numbers.txt
          head -c 3000 /dev/urandom >tree/sub/random.bin; }
files

# --- filesystems without a table -----------------------------------------------------------
kib fat12.img 64;  mkfs.fat -F 12 -n SEED12 fat12.img >/dev/null; mcopy -i fat12.img -s tree/* ::/
kib fat16.img 2100; mkfs.fat -F 16 -s 1 -n SEED16 fat16.img >/dev/null 2>&1; mcopy -i fat16.img -s tree/* ::/
kib fat32.img 33500; mkfs.fat -F 32 -s 1 -n SEED32 fat32.img >/dev/null 2>&1; mcopy -i fat32.img -s tree/* ::/
kib ext2.img 64;   mke2fs -q -F -t ext2 -b 1024 -N 16 -L seed2 -d tree ext2.img
kib ext4.img 128;  mke2fs -q -F -t ext4 -b 1024 -N 16 -O ^has_journal -L seed4 -d tree ext4.img
kib swap.img 48;   mkswap -L seedswap swap.img >/dev/null 2>&1
cp fat12.img ext2.img ext4.img swap.img "$OUT/plan/"
cp fat12.img "$OUT/fat/"
# FAT16/32 are too large to commit whole; the fat target extends its input with zeros to the
# size the boot sector gives, so the reserved area and the start of the FATs are enough.
head -c 24K fat16.img >"$OUT/fat/fat16-head.img"
head -c 24K fat32.img >"$OUT/fat/fat32-head.img"
# FAT32 below 65,525 clusters, as mkfs.fat makes small ESPs (mtools refuses to write to them)
kib fat32s.img 2100; mkfs.fat -F 32 -s 1 -n SEED32S fat32s.img >/dev/null 2>&1
head -c 48K fat32s.img >"$OUT/fat/fat32-small-head.img"

# exFAT (exfatprogs), filled through exfat-fuse on a loop device (root: losetup, FUSE): 512-byte
# clusters so the first 64 KiB hold the metadata, a subdirectory and files (one fragmented,
# one deleted); 4096-byte sectors; a dirty copy (VolumeDirty: the walk); an empty volume.
# The target extends a head with zeros to the volume's size.
exfat_seed() { # NAME SECTOR [mkfs.exfat options]
	local name=$1 sect=$2 loop; shift 2
	kib "$name.img" 2048
	loop=$(losetup -f --show -b "$sect" "$name.img")
	mkfs.exfat -L SEEDEX "$@" "$loop" >/dev/null
	mkdir -p mnt; mount.exfat-fuse "$loop" mnt >/dev/null
	cp -r tree/. mnt/
	for i in 1 2 3; do seq 1 300 >>mnt/sub/frag.txt; echo "$i" >>mnt/frag2.txt; done
	echo gone >mnt/deleted.txt; rm mnt/deleted.txt
	umount mnt; losetup -d "$loop"
	head -c $((sect == 4096 ? 192 : 64))K "$name.img" >"$OUT/exfat/$name-head.img"   # 4Kn: the FAT starts at 96 KiB
}
if command -v mkfs.exfat >/dev/null && command -v mount.exfat-fuse >/dev/null && [ -c /dev/fuse ]; then
	exfat_seed exfat512 512 -b 4K -c 512
	exfat_seed exfat4kn 4096 -b 16K -c 4K
	cp "$OUT/exfat/exfat512-head.img" "$OUT/exfat/exfat512-dirty-head.img"
	printf '\x02' | dd of="$OUT/exfat/exfat512-dirty-head.img" bs=1 seek=106 conv=notrunc status=none
	kib exe.img 1024; mkfs.exfat -b 4K -c 4K exe.img >/dev/null; head -c 32K exe.img >"$OUT/exfat/empty-head.img"
else
	echo "mkcorpus: no mkfs.exfat/exfat-fuse: the exfat seeds are kept as they are" >&2
fi

# The file readers (fsr_fat, fsr_exfat) start from the same volumes, and a FAT12 tree with long
# and non-ASCII names, a subdirectory and a fragmented file.
mkdir -p "$OUT"/{fsr_fat,fsr_exfat}
cp "$OUT"/fat/* "$OUT/fsr_fat/"; cp "$OUT"/exfat/* "$OUT/fsr_exfat/" 2>/dev/null || true
mkdir -p lfn/"Sub dir"; for i in 1 2 3; do seq 1 $((i * 40)) >"lfn/long name number $i.txt"; done
seq 1 500 >"lfn/Sub dir/Größe.log"; seq 1 30 >fill-a; seq 1 30 >fill-b; seq 1 400 >frag
kib fat12-tree.img 96; mkfs.fat -F 12 -s 1 -n FSRSEED fat12-tree.img >/dev/null
LC_ALL=C.UTF-8 mcopy -i fat12-tree.img -s lfn/* ::/; mcopy -i fat12-tree.img fill-a fill-b ::/
mdel -i fat12-tree.img ::/fill-a; mcopy -i fat12-tree.img frag ::/
cp fat12-tree.img "$OUT/fsr_fat/"

# --- partition tables ------------------------------------------------------------------------
kib mbr.img 96
printf 'label: dos\nstart=1, size=16, type=83\nstart=17, size=150, type=5\nstart=18, size=20, type=83\nstart=40, size=20, type=b\nstart=62, size=60, type=82\n' |
	sfdisk -q --no-reread --no-tell-kernel mbr.img >/dev/null
cp mbr.img "$OUT/ptable/mbr-logical.img"
kib gpt.img 64
sgdisk -a 1 -n1:34:+20 -t1:ef02 -c1:bios -n2:0:+20 -t2:8300 -c2:root -n3:0:+10 -t3:8200 -c3:swap gpt.img >/dev/null
cp gpt.img "$OUT/ptable/gpt.img"
cp gpt.img gpt-backup-only.img; dd if=/dev/zero of=gpt-backup-only.img bs=512 seek=1 count=1 conv=notrunc status=none
cp gpt-backup-only.img "$OUT/ptable/gpt-backup-only.img"
kib gpt8.img 16
sgdisk -a 1 --resize-table=4 -n1:6:+4 -t1:0700 gpt8.img >/dev/null 2>&1 || true
sgdisk -v gpt8.img 2>/dev/null | grep -q "No problems" && cp gpt8.img "$OUT/ptable/gpt-4entries.img"

# --- whole disks for the planner: MBR with FAT12 + ext2 + swap, GPT with ext4 + FAT12 --------
kib disk-mbr.img 200
printf 'label: dos\nstart=2, size=128, type=c\nstart=130, size=128, type=83\nstart=258, size=100, type=82\n' |
	sfdisk -q --no-reread --no-tell-kernel disk-mbr.img >/dev/null
dd if=fat12.img of=disk-mbr.img bs=512 seek=2 conv=notrunc status=none
dd if=ext2.img of=disk-mbr.img bs=512 seek=130 conv=notrunc status=none
dd if=swap.img of=disk-mbr.img bs=512 seek=258 count=96 conv=notrunc status=none
cp disk-mbr.img "$OUT/plan/"; cp disk-mbr.img "$OUT/ptable/"
kib disk-gpt.img 240
sgdisk -a 1 -n1:40:+255 -t1:8300 -c1:root -n2:0:+127 -t2:ef00 -c2:esp disk-gpt.img >/dev/null
dd if=ext4.img of=disk-gpt.img bs=512 seek=40 conv=notrunc status=none
dd if=fat12.img of=disk-gpt.img bs=512 seek=296 conv=notrunc status=none
cp disk-gpt.img "$OUT/plan/"; cp disk-gpt.img "$OUT/ptable/"

# --- images lifeboat writes, and their META records ------------------------------------------
"$LB" backup disk-mbr.img "$OUT/image/mbr-zstd.lbi" --quiet
"$LB" backup disk-gpt.img "$OUT/image/gpt-zstd.lbi" --quiet
"$LB" backup fat12.img "$OUT/image/fat12-level0.lbi" --codec deflate --level 0 --quiet
"$LB" backup ext2.img "$OUT/image/ext2-level6.lbi" --level 6 --quiet
"$LB" backup disk-gpt.img "$OUT/image/gpt-deflate.lbi" --codec deflate --quiet
# a chunk of random bytes: stored (it does not shrink), with its checksum
kib rnd.img 96; head -c 98304 /dev/urandom | dd of=rnd.img conv=notrunc status=none
"$LB" backup rnd.img "$OUT/image/stored.lbi" --quiet
kib zero.img 32; "$LB" backup zero.img "$OUT/image/zeros.lbi" --quiet
# encrypted: the image target opens it without a passphrase (the flags, the KEY record and
# its limits are what it reaches; a key per execution would cost Argon2id's 64 MiB)
printf 'fuzz\n' >key; "$LB" backup zero.img "$OUT/image/encrypted.lbi" --key-file key --quiet
# an INDEX record every 2 chunks (test hook), and images of formats 1.0 and 1.1
LIFEBOAT_TEST_INDEX_EVERY=2 "$LB" backup disk-gpt.img "$OUT/image/gpt-index2.lbi" --quiet
cp "$V10" "$OUT/image/format-1.0.lbi"
cp "$V11" "$OUT/image/format-1.1.lbi"
# unreadable sectors in the FAT12 partition: BAD and PATCH chunks, bad ranges in the trailer
rc=0; LIFEBOAT_FAULTS=$((40 * 512))+1024 "$LB" backup disk-mbr.img "$OUT/image/mbr-badsectors.lbi" \
	--quiet 2>/dev/null || rc=$?
[ "$rc" -eq 6 ] || { echo "mkcorpus: backup over injected faults exited $rc, expected 6" >&2; exit 1; }
for i in "$OUT"/image/*.lbi; do
	case $i in *encrypted.lbi) continue ;; esac   # its first record is KEY, not META
	# the META record follows the 64-byte segment header; its body length is at +20
	len=$(od -An -tu4 -j $((64 + 20)) -N4 "$i" | tr -d ' ')
	dd if="$i" of="$OUT/meta/$(basename "$i" .lbi).meta" bs=1 skip=$((64 + 40)) count="$len" status=none
done
# random access (serve, export): a few of the images, enough kinds of index and chunk
cp "$OUT"/image/{gpt-index2,gpt-zstd,mbr-badsectors,format-1.0,zeros}.lbi "$OUT/imgread/"
# NBD clients: a structured session, a writable one, an old-style one, option haggling
python3 - "$OUT/nbd" <<'PY'
import struct, sys, os
d = sys.argv[1]
IHAVEOPT = 0x49484156454F5054
def opt(o, data=b""): return struct.pack(">QII", IHAVEOPT, o, len(data)) + data
def req(t, off, ln, flags=0, cookie=1, payload=b""): return struct.pack(">IHHQQI", 0x25609513, flags, t, cookie, off, ln) + payload
meta = struct.pack(">II", 0, 1) + struct.pack(">I", 15) + b"base:allocation"
go = opt(7, struct.pack(">I", 4) + b"fuzz" + struct.pack(">HHH", 2, 1, 3))
base = struct.pack(">I", 3) + opt(8) + opt(10, meta) + go
reads = req(0, 0, 4096) + req(0, 599000, 400000) + req(0, 699000, 4096) + req(0, 1048576, 1024) + req(7, 0, 1048576) + req(7, 0, 4096, flags=8) + req(3, 0, 0)
open(os.path.join(d, "go-structured"), "wb").write(b"\0" + base + reads + req(2, 0, 0))
open(os.path.join(d, "go-writable"), "wb").write(b"\x03" + base + req(1, 4000, 200, payload=b"\xab" * 200) + req(6, 5000, 9000) + req(4, 0, 4096, flags=1) + reads + req(2, 0, 0))
open(os.path.join(d, "export-name-simple"), "wb").write(b"\x02" + struct.pack(">I", 1) + opt(3) + opt(9, struct.pack(">II", 0, 0)) + opt(1, b"") + req(0, 0, 65536) + req(0, 1048000, 1000) + req(1, 0, 16, payload=b"x" * 16) + req(2, 0, 0))
open(os.path.join(d, "haggle"), "wb").write(b"\0" + struct.pack(">I", 3) + opt(99, b"junk") + opt(6, b"\xff" * 6) + opt(10, meta) + opt(8) + opt(8) + opt(9, meta) + opt(6, struct.pack(">I", 0) + struct.pack(">H", 0)) + opt(2))
PY
ls -l "$OUT"/*/ | awk 'NF > 5 { print $5, $9 }'
