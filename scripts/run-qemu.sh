#!/usr/bin/env bash
# `make run`: boots the USB image in qemu on this terminal (serial console, TUI included) with a
# demo disk (GPT, ESP, ext4 with files; NVMe) and an empty 1 GiB disk (SATA), so you can try a
# backup and a restore. Writes to the stick go to a snapshot; the two disks persist in
# build/run/ (delete them for fresh ones).
# env: LB_RUN_UEFI=1 boots through OVMF instead of SeaBIOS; LB_RUN_MEM (MiB, default 1024).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
img=${1:-$LB_ROOT/out/lifeboat-usb.img}
[ -t 0 ] && [ -t 1 ] || die "make run needs a terminal (the boot tests run without one)"
dir=$LB_ROOT/build/run; mkdir -p "$dir"
[ -f "$dir/demo.img" ] || "$LB_ROOT/scripts/mk-demo-disk.sh" "$dir/demo.img" 256
[ -f "$dir/empty.img" ] || truncate -s 1G "$dir/empty.img"
fw=()
if [ "${LB_RUN_UEFI:-}" = 1 ]; then
	cp /usr/share/OVMF/OVMF_VARS_4M.fd "$dir/ovmf-vars.fd"
	fw=(-drive if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd
	    -drive "if=pflash,format=raw,unit=1,file=$dir/ovmf-vars.fd")
fi
cat <<MSG
Booting $img in qemu (software emulation: about 10 s to the screens).
  disks: demo disk (NVMe, serial DEMO-DISK), empty 1 GiB disk (SATA, serial EMPTY-DISK)
  the stick's own data partition (exFAT, label LB-IMAGES) can hold small images
  quit qemu: Ctrl-A then X      qemu monitor: Ctrl-A then C
MSG
sleep 2
exec qemu-system-x86_64 -machine q35 -m "${LB_RUN_MEM:-1024}" -smp 2 -accel tcg,thread=multi \
	-nographic "${fw[@]}" \
	-device qemu-xhci,id=xhci \
	-drive "if=none,id=stick,file=$img,format=raw,snapshot=on" \
	-device usb-storage,bus=xhci.0,drive=stick,bootindex=0 \
	-drive "if=none,id=demo,file=$dir/demo.img,format=raw" -device nvme,drive=demo,serial=DEMO-DISK \
	-drive "if=none,id=empty,file=$dir/empty.img,format=raw" -device ide-hd,drive=empty,bus=ide.1,serial=EMPTY-DISK
