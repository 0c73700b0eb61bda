#!/usr/bin/env bash
# End to end, unattended restore: an image made on the host sits on a filesystem labelled IMAGES
# on a USB storage disk; the stick restores the newest image in /lifeboat/ onto a blank, larger
# virtio disk named "internal" (the only disk neither on USB nor the stick), and powers off. It
# boots through OVMF (UEFI), so the parameters come from the default entry of the stick's
# syslinux.cfg, read by /init. On the host: the target has a valid GPT (backup header moved to
# its end) and the same content as the source.
. "$(dirname "$0")/lib.sh"
need_image
need_engine
scripts/mk-demo-disk.sh "$T/src.img" 128 "$T/tree" 2>/dev/null || die "mk-demo-disk.sh failed"
mkdir -p "$T/images/lifeboat"
host_backup "$T/src.img" "$T/images/lifeboat/demo.lbi"
mke2fs -q -t ext4 -L IMAGES -d "$T/images" "$T/images.img" 256M 2>/dev/null || die "mke2fs failed"
truncate -s 192M "$T/target.img"

usb_variant "$T/usb.img" lifeboat.mode=restore lifeboat.source=label=IMAGES:/lifeboat/ \
	lifeboat.dest=internal lifeboat.after=poweroff lifeboat.onerror=poweroff
log=$T/serial.log
qemu_start uefi "$T/usb.img" "$log" \
	-drive "if=none,id=im,file=$T/images.img,format=raw" -device usb-storage,bus=xhci.0,drive=im,serial=IMAGES-USB \
	-drive "if=none,id=tg,file=$T/target.img,format=raw" -device virtio-blk-pci,drive=tg,serial=BLANK-VIRTIO
wait_exit ${LB_E2E_TIMEOUT:-900} || { show_log "$log"; die "the guest did not power off"; }
grep -a 'lifeboat:' "$log" | tr -d '\r'
grep -aq 'unattended restore: OK' "$log" || { show_log "$log"; die "no 'unattended restore: OK' on the serial console"; }
echo "restore done $(since_start) s after qemu started"

[ "$(stat -c %s "$T/target.img")" = $((192 * 1048576)) ] || die "the target changed size"
compare_demo "$T/src.img" "$T/target.img" "$T/tree"
debugfs -R "cat /lifeboat/demo.lbi.log" "$T/images.img" 2>/dev/null | grep -q 'unattended restore: OK' \
	|| die "no log next to the image"
echo "target has a valid GPT and the source's content"
