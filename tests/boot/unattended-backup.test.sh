#!/usr/bin/env bash
# End to end, unattended backup: boot the stick (SeaBIOS) with lifeboat.* parameters; the source
# is found by its serial on SATA (AHCI), the image goes to a filesystem found by its label on an
# NVMe disk, with decoy disks on USB storage and virtio; the guest powers off. On the host: the
# image verifies, restores onto a blank disk, and the restored disk holds what the source held.
. "$(dirname "$0")/lib.sh"
need_image
need_engine
scripts/mk-demo-disk.sh "$T/src.img" 128 "$T/tree" 2>/dev/null || die "mk-demo-disk.sh failed"
before=$(sha256sum <"$T/src.img")
mke2fs -q -t ext4 -L BACKUPS "$T/dest.img" 256M 2>/dev/null || die "mke2fs failed"
truncate -s 64M "$T/decoy-usb.img" "$T/decoy-virtio.img"

usb_variant "$T/usb.img" lifeboat.mode=backup lifeboat.source=serial=SRC-SATA \
	lifeboat.dest=label=BACKUPS:/pc1/ lifeboat.name=demo.lbi lifeboat.after=poweroff lifeboat.onerror=poweroff
log=$T/serial.log
qemu_start bios "$T/usb.img" "$log" \
	-drive "if=none,id=src,file=$T/src.img,format=raw" -device ide-hd,drive=src,bus=ide.1,serial=SRC-SATA \
	-drive "if=none,id=dst,file=$T/dest.img,format=raw" -device nvme,drive=dst,serial=DEST-NVME \
	-drive "if=none,id=du,file=$T/decoy-usb.img,format=raw" -device usb-storage,bus=xhci.0,drive=du,serial=DECOY-USB \
	-drive "if=none,id=dv,file=$T/decoy-virtio.img,format=raw" -device virtio-blk-pci,drive=dv,serial=DECOY-VIRTIO
wait_exit ${LB_E2E_TIMEOUT:-900} || { show_log "$log"; die "the guest did not power off"; }
grep -a 'lifeboat:' "$log" | tr -d '\r'
grep -aq 'unattended backup: OK' "$log" || { show_log "$log"; die "no 'unattended backup: OK' on the serial console"; }
echo "backup done $(since_start) s after qemu started"

[ "$(sha256sum <"$T/src.img")" = "$before" ] || die "the source disk changed during the backup"
mkdir -p "$T/got"
debugfs -R "rdump /pc1 $T/got" "$T/dest.img" >/dev/null 2>&1
ls -la "$T/got/pc1"
[ -f "$T/got/pc1/demo.lbi" ] || die "no /pc1/demo.lbi on the BACKUPS filesystem"
[ -s "$T/got/pc1/demo.lbi.log" ] || die "no log next to the image"
"$LIFEBOAT" verify "$T/got/pc1/demo.lbi" || die "lifeboat verify failed on the guest's image"
truncate -s 128M "$T/restored.img"
"$LIFEBOAT" restore "$T/got/pc1/demo.lbi" "$T/restored.img" --yes || die "lifeboat restore failed"
compare_demo "$T/src.img" "$T/restored.img" "$T/tree"
echo "image verified, restored and compared"
