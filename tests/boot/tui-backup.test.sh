#!/usr/bin/env bash
# A backup through the screens over the serial console, driven through tmux: the stick boots
# (SeaBIOS) with a source disk on SATA (GPT, ESP + ext4 with files) and a destination disk on
# NVMe holding one labelled ext4 partition. Back up -> the SATA disk -> partitions (defaults) ->
# the ext4 partition on the NVMe disk, which the TUI mounts read-write under /mnt (tui/mounts.c)
# -> save in its root -> options (defaults) -> summary -> start -> result -> home -> Power off.
# On the host: the image is on the destination filesystem, verifies, restores onto a blank disk
# with the source's content, the destination ext4 is clean and the source did not change.
. "$(dirname "$0")/lib.sh"
need_image
need_engine
command -v tmux >/dev/null || skip "tmux missing"
for t in debugfs e2fsck sgdisk partx; do command -v $t >/dev/null || skip "$t missing"; done
scripts/mk-demo-disk.sh "$T/src.img" 128 "$T/tree" 2>/dev/null || die "mk-demo-disk.sh failed"
before=$(sha256sum <"$T/src.img")
DOFF=1048576   # the destination partition starts at 1 MiB
truncate -s 256M "$T/dest.img"
sgdisk -o -n 1:1M:0 -t 1:8300 -c 1:backups "$T/dest.img" >/dev/null || die "sgdisk failed"
mke2fs -q -t ext4 -L LBDEST -E offset=$DOFF "$T/dest.img" $(($(part_range "$T/dest.img" 1 | cut -d' ' -f2) / 1024)) \
	2>/dev/null || die "mke2fs failed"

s=lifeboat-boot-$$
export TMUX_TMPDIR=$T
q=(qemu-system-x86_64 -machine q35 -m 1024 -smp 2 -accel tcg,thread=multi -nographic -no-reboot
   -device qemu-xhci,id=xhci
   -drive "if=none,id=stick,file=$USB_IMG,format=raw,snapshot=on" -device usb-storage,bus=xhci.0,drive=stick,bootindex=0
   -drive "if=none,id=src,file=$T/src.img,format=raw" -device ide-hd,drive=src,bus=ide.1,serial=SRC-SATA
   -drive "if=none,id=dst,file=$T/dest.img,format=raw" -device nvme,drive=dst,serial=DEST-NVME)
QEMU_START=$(date +%s.%N)
tmux new-session -d -s "$s" -x 120 -y 40 "$(printf '%q ' "${q[@]}"); echo '[qemu exited]'; sleep 600" \
	|| die "tmux failed"
trap 'tmux kill-session -t "$s" 2>/dev/null; cleanup' EXIT
tmux pipe-pane -t "$s" "cat >>$T/console.log"

wait_re 'What to do|interactive screens are not built yet' ${LB_BOOT_TIMEOUT:-120}
screen | grep -q 'interactive screens are not built yet' && skip "the TUI is not built yet"
wait_for 'LBDEST'
echo "home screen $(since_start) s after qemu started"
keys b
wait_for 'Which disk do you want to copy?'
pick 'sata'
keys Enter
wait_for 'Back up: partitions'
wait_re '\[x\] +2 +ext4'                    # the ext4 partition ticked by default
keys Enter
wait_for 'Where should the image of'
wait_re 'Browse for a folder'
screen | grep -q 'DEMO-ROOT' && fail "a filesystem of the source disk is offered as the destination"
pick 'LBDEST'
keys Enter                                   # tui/mounts.c mounts it read-write under /mnt
wait_for 'Back up: choose a folder'
wait_re 'Folder: +/mnt/'
keys s                                       # save in the filesystem's root
wait_for 'Back up: options'
wait_re 'Saving to /mnt/nvme0n1p1 \(ext4'
wait_re 'File name +[^ ]+\.lbi'
name=$(screen | sed -n 's/.*File name *\([^ ]*\.lbi\).*/\1/p')
[ -n "$name" ] || fail "no default file name"
keys Enter
wait_for 'Back up: summary' 30
wait_for 'It fits.'
keys Enter
wait_for 'Backup finished' ${LB_E2E_TIMEOUT:-300}
wait_re 'Verify: +'
screen | grep -qF 'Backup finished and verified.' || fail "the backup did not finish verified"
screen | grep -qF "/mnt/nvme0n1p1/$name" || fail "the result does not name the image under /mnt/nvme0n1p1"
echo "backup finished $(since_start) s after qemu started: $name"
keys Enter
wait_for 'What to do'
pick 'Power off'
keys Enter
wait_for 'Power off the computer now?'
keys y
wait_for '[qemu exited]' 60
grep -aq 'reboot: Power down' "$T/console.log" || fail "qemu ended without the guest powering off"
echo "powered off $(since_start) s after qemu started"

# ---- on the host
[ "$(sha256sum <"$T/src.img")" = "$before" ] || die "the source disk changed during the backup"
dfs="$T/dest.img?offset=$DOFF"
# Power off unmounted what the TUI mounted: the journal needs no recovery, the ext4 is clean
dumpe2fs -h "$dfs" 2>/dev/null | grep -E '^Filesystem (features|state):' >"$T/sb.txt"
grep -q needs_recovery "$T/sb.txt" && { cat "$T/sb.txt"; die "the destination was not unmounted before the power off"; }
grep -qE 'state: +clean$' "$T/sb.txt" || { cat "$T/sb.txt"; die "the destination ext4 is not marked clean"; }
e2fsck -fn "$dfs" >"$T/fsck.log" 2>&1 || { cat "$T/fsck.log"; die "e2fsck found problems on the destination ext4"; }
debugfs -R "ls -l /" "$dfs" 2>/dev/null
debugfs -R "dump /$name $T/got.lbi" "$dfs" >/dev/null 2>&1
[ -s "$T/got.lbi" ] || die "no /$name on the LBDEST filesystem"
debugfs -R "cat /${name%.lbi}.log" "$dfs" 2>/dev/null | grep -q 'Backup finished' || die "no log next to the image"
"$LIFEBOAT" verify "$T/got.lbi" || die "lifeboat verify failed on the guest's image"
truncate -s 128M "$T/restored.img"
"$LIFEBOAT" restore "$T/got.lbi" "$T/restored.img" --yes || die "lifeboat restore failed"
compare_demo "$T/src.img" "$T/restored.img" "$T/tree"
echo "image verified, restored and compared ($(since_start) s)"
