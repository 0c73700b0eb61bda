#!/usr/bin/env bash
# The screens over the serial console, driven through tmux: the stick boots (SeaBIOS) with disks
# on NVMe, SATA (AHCI) and virtio, and the home screen on ttyS0 lists them with their transports.
. "$(dirname "$0")/lib.sh"
need_image
command -v tmux >/dev/null || skip "tmux missing"
scripts/mk-demo-disk.sh "$T/demo.img" 128 2>/dev/null || die "mk-demo-disk.sh failed"
truncate -s 1G "$T/sata.img"; truncate -s 256M "$T/virtio.img"
s=lifeboat-boot-$$
export TMUX_TMPDIR=$T
q=(qemu-system-x86_64 -machine q35 -m 1024 -smp 2 -accel tcg,thread=multi -nographic -no-reboot
   -device qemu-xhci,id=xhci
   -drive "if=none,id=stick,file=$USB_IMG,format=raw,snapshot=on" -device usb-storage,bus=xhci.0,drive=stick,bootindex=0
   -drive "if=none,id=d1,file=$T/demo.img,format=raw" -device nvme,drive=d1,serial=DEMO-NVME
   -drive "if=none,id=d2,file=$T/sata.img,format=raw" -device ide-hd,drive=d2,bus=ide.1,serial=EMPTY-SATA
   -drive "if=none,id=d3,file=$T/virtio.img,format=raw" -device virtio-blk-pci,drive=d3,serial=EMPTY-VIRTIO)
tmux new-session -d -s "$s" -x 120 -y 40 "$(printf '%q ' "${q[@]}")" || die "tmux failed"
trap 'tmux kill-session -t "$s" 2>/dev/null; cleanup' EXIT
deadline=$((SECONDS + ${LB_BOOT_TIMEOUT:-120}))
while [ $SECONDS -lt $deadline ]; do
	scr=$(screen)
	grep -q 'interactive screens are not built yet' <<<"$scr" && skip "the TUI is not built yet"
	# The home screen (not kernel messages, which also name the drivers) lists each disk with its
	# transport and partition table.
	if grep -q 'What to do' <<<"$scr" && grep -qE 'nvme +gpt' <<<"$scr" && grep -qE 'sata +none' <<<"$scr" \
		&& grep -qE 'virtio +none' <<<"$scr"; then
		echo "$scr"; echo "home screen lists NVMe, SATA and virtio disks"; exit 0
	fi
	sleep 1
done
echo "$scr"
die "the home screen on ttyS0 did not list the NVMe, SATA and virtio disks"
