#!/usr/bin/env bash
# Prints the boot stick's footprint: sizes of the pieces and seconds from qemu start to the
# screens on the serial console (software emulation), under SeaBIOS and OVMF.
# Usage: scripts/boot-footprint.sh     (after make usb; for make bench)
set -u
. "$(dirname "$0")/../tests/boot/lib.sh"
need_image
mib() { awk -v b="$(stat -c %s "$1")" 'BEGIN { printf "%.2f MiB", b / 1048576 }'; }
echo "kernel + initramfs (out/bzImage = BOOTX64.EFI): $(mib out/bzImage)"
echo "initramfs (cpio, uncompressed):                  $(mib out/initramfs.cpio)"
echo "static lifeboat (out/lifeboat):                   $(mib out/lifeboat)"
echo "USB image (out/lifeboat-usb.img):                 $(mib "$USB_IMG")"
for fw in bios uefi; do
	log=$T/$fw.log
	qemu_start $fw "$USB_IMG" "$log"
	if wait_line "$log" "$READY_LINE" 180; then
		echo "qemu start to the screens on ttyS0, $fw:        $(since_start) s"
	else
		echo "qemu start to the screens on ttyS0, $fw:        did not get there in 180 s"
	fi
	kill "$QEMU_PID" 2>/dev/null; wait "$QEMU_PID" 2>/dev/null; QEMU_PID=
done
