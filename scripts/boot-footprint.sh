#!/usr/bin/env bash
# Prints the boot stick's footprint: sizes of the pieces and seconds from qemu start to the
# screens on the serial console (software emulation), under SeaBIOS, OVMF, and OVMF with Secure
# Boot enforced (Microsoft's keys, SMM).
# Usage: scripts/boot-footprint.sh     (after make usb; for make bench)
set -u
. "$(dirname "$0")/../tests/boot/lib.sh"
need_image
mib() { awk -v b="$(stat -c %s "$1")" 'BEGIN { printf "%.2f MiB", b / 1048576 }'; }
echo "own kernel + initramfs (out/bzImage = boot/lifeboat, BIOS): $(mib out/bzImage)"
echo "Debian's signed kernel (out/uefi/boot/vmlinuz):   $(mib out/uefi/boot/vmlinuz)"
echo "UEFI initrd: initramfs + modules (zstd):          $(mib out/uefi/boot/initrd.img)"
echo "shim + GRUB + MokManager (out/uefi/EFI/BOOT):     $(du -cb out/uefi/EFI/BOOT/*.EFI out/uefi/EFI/BOOT/*.efi | tail -n1 | awk '{ printf "%.2f MiB", $1 / 1048576 }')"
echo "initramfs (cpio, uncompressed):                  $(mib out/initramfs.cpio)"
echo "static lifeboat (out/lifeboat):                   $(mib out/lifeboat)"
echo "USB image (out/lifeboat-usb.img):                 $(mib "$USB_IMG")"
fws="bios uefi"
[ -f /usr/share/OVMF/OVMF_CODE_4M.secboot.fd ] && fws="$fws secboot"
for fw in $fws; do
	log=$T/$fw.log
	qemu_start $fw "$USB_IMG" "$log"
	if wait_line "$log" "$READY_LINE" 300; then
		echo "qemu start to the screens on ttyS0, $fw:        $(since_start) s"
	else
		echo "qemu start to the screens on ttyS0, $fw:        did not get there in 300 s"
	fi
	kill "$QEMU_PID" 2>/dev/null; wait "$QEMU_PID" 2>/dev/null; QEMU_PID=
done
