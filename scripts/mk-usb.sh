#!/usr/bin/env bash
# Assembles the USB stick image from files, without loop mounts or root:
#   MBR (syslinux mbr.bin boot code)
#   1: FAT32 "LIFEBOAT", active, type 0x0c, 48 MiB: EFI/BOOT/BOOTX64.EFI (the kernel, initramfs
#      built in) for UEFI; syslinux (ldlinux.sys, syslinux.cfg) for legacy BIOS, same kernel
#   2: exFAT "LB-IMAGES", type 0x07, 8 MiB: room for images; scripts/write-stick.sh grows it
# Usage: scripts/mk-usb.sh BZIMAGE [SYSLINUX.CFG] OUT.img
set -euo pipefail
. "$(dirname "$0")/lib.sh"
case $# in
2) kernel=$1 cfg=$LB_ROOT/scripts/syslinux.cfg out=$2 ;;
3) kernel=$1 cfg=$2 out=$3 ;;
*) die "usage: $0 BZIMAGE [SYSLINUX.CFG] OUT.img" ;;
esac
for t in sfdisk mkfs.vfat mkfs.exfat mcopy syslinux; do command -v $t >/dev/null || die "$t missing: run scripts/install-deps.sh boot"; done
MBR=/usr/lib/syslinux/mbr/mbr.bin
[ -f "$MBR" ] || die "$MBR missing (package syslinux-common)"

MiB=1048576
esp_start=1 esp_size=48 data_size=8
data_start=$((esp_start + esp_size))
total=$((data_start + data_size))
work=$out.work; rm -rf "$work"; mkdir -p "$work"

# ESP: FAT32 with a fixed serial and --invariant so the bytes depend only on the inputs.
esp=$work/esp.img
mkfs.vfat -F 32 -n LIFEBOAT -i 4c494645 --invariant -h $((esp_start * 2048)) \
	-C "$esp" $((esp_size * 1024)) >/dev/null
export MTOOLS_SKIP_CHECK=1
mmd -i "$esp" ::/EFI ::/EFI/BOOT ::/syslinux
mcopy -i "$esp" -m "$kernel" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$esp" -m "$cfg" ::/syslinux/syslinux.cfg
printf 'Lifeboat stick. Boot from it; see syslinux/syslinux.cfg for unattended runs.\r\n' >"$work/README.TXT"
mcopy -i "$esp" -m "$work/README.TXT" ::/README.TXT
syslinux --install --directory /syslinux "$esp"

data=$work/data.img
truncate -s $((data_size * MiB)) "$data"
mkfs.exfat -L LB-IMAGES "$data" >/dev/null

img=$work/usb.img
truncate -s $((total * MiB)) "$img"
sfdisk -q --no-reread --no-tell-kernel "$img" <<SFDISK
label: dos
label-id: 0x4c494645
start=$((esp_start * 2048)), size=$((esp_size * 2048)), type=c, bootable
start=$((data_start * 2048)), size=$((data_size * 2048)), type=7
SFDISK
dd if="$MBR" of="$img" bs=440 count=1 conv=notrunc status=none
dd if="$esp" of="$img" bs=$MiB seek=$esp_start conv=notrunc,sparse status=none
dd if="$data" of="$img" bs=$MiB seek=$data_start conv=notrunc,sparse status=none
mkdir -p "$(dirname "$out")"
mv "$img" "$out"
rm -rf "$work"
say "$(basename "$out"): $total MiB (kernel $(stat -c %s "$kernel") bytes)"
