#!/usr/bin/env bash
# How unattended mode names disks, on every transport: lifeboat.mode=disks lists each disk with
# its transport and serial (SATA/AHCI, NVMe, USB storage, virtio) and resolves names: serial=,
# label=, and "internal", which must be refused here (three internal disks are attached).
. "$(dirname "$0")/lib.sh"
need_image
for d in sata nvme usb virtio; do truncate -s 64M "$T/$d.img"; done
mke2fs -q -t ext4 -L NAMED-FS "$T/virtio.img" 2>/dev/null || die "mke2fs failed"
usb_variant "$T/stick.img" lifeboat.mode=disks lifeboat.names=serial=SER-USB,label=NAMED-FS,serial=SER-SATA,internal \
	lifeboat.after=poweroff lifeboat.onerror=poweroff lifeboat.settle=2
log=$T/serial.log
qemu_start bios "$T/stick.img" "$log" \
	-drive "if=none,id=a,file=$T/sata.img,format=raw" -device ide-hd,drive=a,bus=ide.1,serial=SER-SATA \
	-drive "if=none,id=b,file=$T/nvme.img,format=raw" -device nvme,drive=b,serial=SER-NVME \
	-drive "if=none,id=c,file=$T/usb.img,format=raw" -device usb-storage,bus=xhci.0,drive=c,serial=SER-USB \
	-drive "if=none,id=d,file=$T/virtio.img,format=raw" -device virtio-blk-pci,drive=d,serial=SER-VIRTIO
wait_exit ${LB_BOOT_TIMEOUT:-120} || { show_log "$log"; die "the guest did not power off"; }
tr -d '\r' <"$log" | grep -a 'lifeboat:' >"$T/lines"
cat "$T/lines"
want() { grep -qE "$1" "$T/lines" || die "no line matching: $1"; }
want "disk /dev/sd.: sata, 64 MiB, serial 'SER-SATA'"
want "disk /dev/nvme0n1: nvme, 64 MiB, serial 'SER-NVME'"
want "disk /dev/sd.: usb, 64 MiB, serial 'SER-USB'"
want "disk /dev/vda: virtio, 64 MiB, serial 'SER-VIRTIO'"
want "disk /dev/sd.: usb, 57 MiB, .*the Lifeboat stick"
usbdisk=$(sed -n "s/.*disk \(\/dev\/sd.\): usb, 64 MiB, serial 'SER-USB'.*/\1/p" "$T/lines")
satadisk=$(sed -n "s/.*disk \(\/dev\/sd.\): sata, 64 MiB.*/\1/p" "$T/lines")
want "name serial=SER-USB = $usbdisk\$"
want "name label=NAMED-FS = /dev/vda\$"
want "name serial=SER-SATA = $satadisk\$"
want "name internal: 'internal' needs exactly one internal disk; found 3"
want "unattended disks: OK"
echo "all four transports named"
