#!/usr/bin/env bash
# Home screen: disks and partitions listed, the boot disk marked, help, Esc back, resize,
# and a clean quit that leaves the terminal as it was.
. "$(dirname "$0")/lib.sh"
mkdisk "$W/disk.img"
truncate -s 32M "$W/stick.img"
tui_start --disk "$W/disk.img" --disk "$W/stick.img" --boot-disk "$W/stick.img"
wait_for "What to do"
for t in "Back up a disk" "Restore an image" "Clone a disk" "Verify an image" "Browse an image" \
	"Shell" "Reboot" "Power off" "Help" "disk.img" "64.0 MiB" "stick.img" "[Lifeboat stick]"; do expect "$t"; done
screen | grep -E '^.*1 +vfat +EFI' >/dev/null || fail "partition 1 (vfat EFI) not listed"
screen | grep -E '^.*2 +ext4 +root' >/dev/null || fail "partition 2 (ext4 root) not listed"
screen | grep 'disk.img' | grep -q gpt || fail "partition table type not shown"

# help and back
keys '?'
wait_for "Lifeboat copies whole disks"
keys Escape
wait_for "What to do"
keys F1
wait_for "Lifeboat copies whole disks"
keys Escape
wait_gone "Lifeboat copies whole disks"

# resize: larger, smaller than the minimum, and back
tm resize-window -t t -x 132 -y 40
sleep 0.3
wait_for "What to do"
[ "$(screen | wc -l)" -ge 40 ] || fail "screen not redrawn at 132x40"
screen | grep -q "disk.img.*gpt" || fail "disk row not redrawn at 132x40"
tm resize-window -t t -x 50 -y 12
wait_for "at least 60x16"
tm resize-window -t t -x 80 -y 24
wait_for "What to do"
expect "Power off"

# a flow entered and left with Esc comes back home
keys b
wait_for "Which disk do you want to copy?"
keys Escape
wait_for "What to do"

# reboot is refused in --disk mode (no real disks)
keys Down Down Down Down Down Down Enter    # Reboot, below Browse an image
wait_for "Reboot the computer now?"
keys y
wait_for "Not done"
keys Enter
wait_for "What to do"
tui_quit
echo ok
