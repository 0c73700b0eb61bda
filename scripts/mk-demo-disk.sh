#!/usr/bin/env bash
# Writes a small demo disk image without root: GPT, an ESP (FAT) and an ext4 partition with
# files, for `make run` and the boot tests.
# Usage: scripts/mk-demo-disk.sh OUT.img [SIZE_MiB (default 256)] [TREE_OUT]
#   TREE_OUT, when given, receives a copy of the ext4 file tree (to compare after a restore).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
[ $# -ge 1 ] || die "usage: $0 OUT.img [SIZE_MiB] [TREE_OUT]"
out=$1 size=${2:-256} tree_out=${3:-}
for t in sgdisk mkfs.vfat mke2fs mcopy; do command -v $t >/dev/null || die "$t missing: run scripts/install-deps.sh host"; done
work=$out.work; rm -rf "$work"; mkdir -p "$work/root"
MiB=1048576 esp=32
ext=$((size - esp - 2))   # 1 MiB in front, 1 MiB for the backup GPT at the end

# Files: text, a compressible log, random bytes, a deeper tree, a symlink.
r=$work/root
mkdir -p "$r/etc" "$r/home/demo/photos" "$r/var/log"
echo demo-pc >"$r/etc/hostname"
printf 'Lifeboat demo disk, made %s.\nBack it up, wipe it, restore it.\n' "$(date -u +%F)" >"$r/home/demo/README.txt"
for i in $(seq 1 2000); do echo "$i lifeboat demo log line: the quick brown fox jumps over the lazy dog"; done >"$r/var/log/demo.log"
head -c $((4 * MiB)) /dev/urandom >"$r/home/demo/photos/random.bin"
head -c $((2 * MiB)) /dev/zero | tr '\0' 'L' >"$r/home/demo/photos/letters.raw"
ln -s ../home/demo/README.txt "$r/etc/motd"

mkfs.vfat -F 16 -n DEMO-ESP -C "$work/esp.img" $((esp * 1024)) >/dev/null
export MTOOLS_SKIP_CHECK=1
mmd -i "$work/esp.img" ::/EFI ::/EFI/demo
printf 'not a real bootloader\n' >"$work/boot.txt"
mcopy -i "$work/esp.img" "$work/boot.txt" ::/EFI/demo/boot.txt
mke2fs -q -t ext4 -L DEMO-ROOT -d "$r" "$work/ext4.img" $((ext * 1024))

truncate -s $((size * MiB)) "$work/disk.img"
sgdisk -o -n 1:1M:+${esp}M -t 1:ef00 -c 1:"EFI system" -n 2:0:+${ext}M -t 2:8300 -c 2:"demo root" "$work/disk.img" >/dev/null
dd if="$work/esp.img" of="$work/disk.img" bs=$MiB seek=1 conv=notrunc,sparse status=none
dd if="$work/ext4.img" of="$work/disk.img" bs=$MiB seek=$((1 + esp)) conv=notrunc,sparse status=none
if [ -n "$tree_out" ]; then rm -rf "$tree_out"; cp -a "$r" "$tree_out"; fi
mv "$work/disk.img" "$out"
rm -rf "$work"
