#!/usr/bin/env bash
# Assembles the USB stick image from files, without loop mounts or root:
#   MBR (syslinux mbr.bin boot code)
#   1: FAT32 "LIFEBOAT", active, type 0x0c, 48 MiB:
#      EFI/BOOT/  BOOTX64.EFI (shim), grubx64.efi, mmx64.efi, grub.cfg   UEFI, Secure Boot on or off
#      boot/      vmlinuz + initrd.img (Debian's signed kernel, Lifeboat's initramfs + modules)
#      boot/lifeboat   Lifeboat's own kernel, initramfs built in: legacy BIOS, through syslinux
#      syslinux/  ldlinux.sys, syslinux.cfg (the stick's one configuration file)
#   2: exFAT "LB-IMAGES", type 0x07, 8 MiB: room for images; scripts/write-stick.sh grows it
# The UEFI files come from the folder scripts/mk-uefi.sh made: UEFI_DIR (default: the folder
# "uefi" next to BZIMAGE).
# Usage: scripts/mk-usb.sh BZIMAGE [SYSLINUX.CFG] OUT.img        env: UEFI_DIR
set -euo pipefail
. "$(dirname "$0")/lib.sh"
case $# in
2) kernel=$1 cfg=$LB_ROOT/scripts/syslinux.cfg out=$2 ;;
3) kernel=$1 cfg=$2 out=$3 ;;
*) die "usage: $0 BZIMAGE [SYSLINUX.CFG] OUT.img" ;;
esac
uefi=${UEFI_DIR:-$(dirname "$kernel")/uefi}
[ -f "$uefi/EFI/BOOT/BOOTX64.EFI" ] && [ -f "$uefi/boot/vmlinuz" ] || die "$uefi: no UEFI files (scripts/mk-uefi.sh)"
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
mmd -i "$esp" ::/EFI ::/EFI/BOOT ::/boot ::/syslinux
for f in EFI/BOOT/BOOTX64.EFI EFI/BOOT/grubx64.efi EFI/BOOT/mmx64.efi EFI/BOOT/grub.cfg boot/vmlinuz boot/initrd.img; do
	mcopy -i "$esp" -m "$uefi/$f" "::/$f"
done
mcopy -i "$esp" -m "$kernel" ::/boot/lifeboat
mcopy -i "$esp" -m "$cfg" ::/syslinux/syslinux.cfg
printf 'Lifeboat stick. Boot from it; see syslinux/syslinux.cfg for unattended runs.\r\n' >"$work/README.TXT"
mcopy -i "$esp" -m "$work/README.TXT" ::/README.TXT
syslinux --install --directory /syslinux "$esp"
used=$(du -cb "$kernel" "$uefi"/EFI/BOOT/* "$uefi"/boot/* | tail -n1 | cut -f1)

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
say "$(basename "$out"): $total MiB, $used bytes of boot files on the FAT partition (kernel $(stat -c %s "$kernel"), Debian's $(stat -c %s "$uefi/boot/vmlinuz"), its initrd $(stat -c %s "$uefi/boot/initrd.img"))"
