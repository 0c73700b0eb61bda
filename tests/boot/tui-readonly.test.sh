#!/usr/bin/env bash
# The stick writes nothing to the disks it looks at. It boots (SeaBIOS) with three disks: on
# SATA a GPT disk whose ext4 (LBIMAGES) holds an image; on NVMe a GPT disk whose ext4 (DIRTY)
# was copied while mounted, so its journal needs recovery (any ordinary mount of it, even
# read-only, replays the journal and writes); on virtio a target full of old data. Through the
# screens over the serial console: Restore -> nothing mounted yet, DIRTY marked -> look on it
# (warning, yes) -> look on LBIMAGES -> the image -> whole disk -> target NVMe: fits (its
# looking mount is gone) -> target SATA: refused (holds the image) -> back out before writing;
# Verify -> LBIMAGES -> the image -> full check -> verified; Power off. On the host every disk
# is byte-identical to before (sha256) and DIRTY still needs recovery. (No XFS: the stick's
# kernel has no XFS driver.)
. "$(dirname "$0")/lib.sh"
need_image
need_engine
command -v tmux >/dev/null || skip "tmux missing"
for t in sgdisk mke2fs dumpe2fs losetup sha256sum; do command -v $t >/dev/null || skip "$t missing"; done
[ "$(id -u)" = 0 ] || skip "needs root (a loop mount makes the dirty ext4)"
MiB=1048576
s=lifeboat-boot-$$

# the image: a backup of a 16 MiB GPT disk with one small ext4
truncate -s 16M "$T/small.img"
sgdisk -n1:2048:0 -t1:8300 "$T/small.img" >/dev/null
mkdir -p "$T/tree" "$T/imgs/backups"; seq 1 30000 >"$T/tree/numbers.txt"
mke2fs -q -t ext4 -L SMALL -d "$T/tree" -E offset=$MiB "$T/small.img" 14M
"$LIFEBOAT" backup "$T/small.img" "$T/imgs/backups/small.lbi" --quiet || die "host backup failed"

# SATA: GPT, ext4 LBIMAGES from 1 MiB holding /backups/small.lbi
truncate -s 48M "$T/sata.img"
sgdisk -n1:1M:0 -t1:8300 -c1:images "$T/sata.img" >/dev/null
mke2fs -q -t ext4 -L LBIMAGES -d "$T/imgs" -E offset=$MiB "$T/sata.img" 44M || die "mke2fs failed"

# NVMe: GPT, ext4 DIRTY from 1 MiB, copied from a loop device while it was mounted
truncate -s 32M "$T/nvme.img"
sgdisk -n1:1M:0 -t1:8300 -c1:photos "$T/nvme.img" >/dev/null
truncate -s 28M "$T/dirty.fs"
mke2fs -q -t ext4 -L DIRTY "$T/dirty.fs"
LOOP=$(losetup -f --show "$T/dirty.fs") || skip "no loop device"
trap 'mountpoint -q "$T/m" && umount "$T/m"; [ -n "$LOOP" ] && losetup -d "$LOOP"; tmux kill-session -t "$s" 2>/dev/null; cleanup' EXIT
mkdir -p "$T/m"; mount "$LOOP" "$T/m"
mkdir "$T/m/photos"; head -c 1M /dev/urandom >"$T/m/photos/a.jpg"; sync
dd if="$LOOP" of="$T/nvme.img" bs=1M seek=1 conv=notrunc status=none
umount "$T/m"; losetup -d "$LOOP"; LOOP=
dumpe2fs -h "$T/nvme.img?offset=$MiB" 2>/dev/null | grep -q needs_recovery || die "could not make a dirty ext4"

# virtio: the target, old random data
head -c 32M /dev/urandom >"$T/virtio.img"
for d in sata nvme virtio; do sha256sum <"$T/$d.img" >"$T/$d.sum"; done

export TMUX_TMPDIR=$T
q=(qemu-system-x86_64 -machine q35 -m 1024 -smp 2 -accel tcg,thread=multi -nographic -no-reboot
   -device qemu-xhci,id=xhci
   -drive "if=none,id=stick,file=$USB_IMG,format=raw,snapshot=on" -device usb-storage,bus=xhci.0,drive=stick,bootindex=0
   -drive "if=none,id=img,file=$T/sata.img,format=raw" -device ide-hd,drive=img,bus=ide.1,serial=IMG-SATA
   -drive "if=none,id=dirty,file=$T/nvme.img,format=raw" -device nvme,drive=dirty,serial=DIRTY-NVME
   -drive "if=none,id=tgt,file=$T/virtio.img,format=raw" -device virtio-blk-pci,drive=tgt,serial=TGT-VIRTIO)
QEMU_START=$(date +%s.%N)
tmux new-session -d -s "$s" -x 120 -y 40 "$(printf '%q ' "${q[@]}"); echo '[qemu exited]'; sleep 600" \
	|| die "tmux failed"
tmux pipe-pane -t "$s" "cat >>$T/console.log"

wait_re 'What to do|interactive screens are not built yet' ${LB_BOOT_TIMEOUT:-120}
screen | grep -q 'interactive screens are not built yet' && skip "the TUI is not built yet"
wait_for 'LBIMAGES'
echo "home screen $(since_start) s after qemu started"

# ---- Restore: look, choose, check targets, back out
keys r
wait_for 'Restore: choose an image'
wait_for 'Look on a filesystem'
wait_re 'nvme0n1p1 +ext4 +DIRTY .*NOT SHUT DOWN CLEANLY'
wait_re 'ext4 +LBIMAGES'
pick 'ext4 +DIRTY'
keys Enter
wait_for 'Not shut down cleanly'
wait_for 'Look on nvme0n1p1 anyway?'
keys y
wait_for 'No images on nvme0n1p1'
keys Enter
wait_re 'nvme0n1p1 .*mounted read-only'
pick 'ext4 +LBIMAGES'
keys Enter
wait_for 'Images found (1)'
wait_re '^ *>.*backups/small\.lbi'
keys Enter
wait_for 'What to restore:'
wait_for 'The whole disk'
keys Enter
wait_for 'Which disk should be overwritten'
wait_re ' nvme +1 part'
pick ' nvme +1 part'
keys Enter
wait_for 'Restore: check the target'
wait_for 'Fits'
screen | grep -q 'Refused' && fail "the dirty disk is refused as a target (still mounted?)"
keys Escape
wait_for 'Which disk should be overwritten'
pick ' sata +1 part'
keys Enter
wait_for 'Restore: check the target'
wait_for 'Refused'
keys Escape
wait_for 'Which disk should be overwritten'
keys Escape
wait_for 'What to restore:'
keys Escape
wait_for 'Restore: choose an image'
keys Escape
wait_for 'What to do'
echo "restore walked through and backed out $(since_start) s after qemu started"

# ---- Verify: the image in full
keys v
wait_for 'Verify: choose an image'
wait_re 'ext4 +LBIMAGES'
pick 'ext4 +LBIMAGES'
keys Enter
wait_for 'Images found (1)'
keys Enter
wait_for 'Check the image'
keys Enter
wait_for 'Verified' 60
wait_for 'every checksum matches'
keys Enter
wait_for 'What to do'
echo "verified $(since_start) s after qemu started"

pick 'Power off'
keys Enter
wait_for 'Power off the computer now?'
keys y
wait_for '[qemu exited]' 60
grep -aq 'reboot: Power down' "$T/console.log" || fail "qemu ended without the guest powering off"
echo "powered off $(since_start) s after qemu started"

# ---- on the host: nothing was written anywhere
for d in sata nvme virtio; do
	[ "$(sha256sum <"$T/$d.img")" = "$(cat "$T/$d.sum")" ] || die "the $d disk changed"
done
dumpe2fs -h "$T/nvme.img?offset=$MiB" 2>/dev/null | grep -q needs_recovery || die "the dirty ext4 no longer needs recovery"
echo "every disk is byte-identical ($(since_start) s)"
