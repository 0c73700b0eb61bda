#!/usr/bin/env bash
# Restoring one partition of an image into a partition of another disk, through the screens.
. "$(dirname "$0")/lib.sh"
need sgdisk cmp
mkdisk "$W/disk.img"
truncate -s 64M "$W/target.img"
sgdisk -n1:2048:+16M -t1:8300 -c1:one -n2:34816:+40M -t2:8300 -c2:two "$W/target.img" >/dev/null
mkdir "$W/images"
tui_start --disk "$W/disk.img" --disk "$W/target.img" --images-dir "$W/images"
wait_for "What to do"
do_backup
keys r
wait_for "Images found (1)"
keys Enter
wait_for "What to restore:"
screen | grep -qE 'Only partition 2 +ext4' || fail "partition 2 not offered"
keys Down Down Enter
wait_for "Which partition should be overwritten?"
screen | grep -qE 'target.img +part 2' || fail "target partitions not listed"
keys Down Down Down Enter                     # target.img part 2
wait_for "Restore: check the target" 20
expect "partition 2 of the image"
keys Enter
wait_for "type the device name (target.img)"
typetext "target.img"
keys Enter
wait_for "Restore finished" 60
keys Enter
wait_for "What to do"
tui_quit
sect() { dd if="$1" bs=512 skip="$2" count="$3" status=none | md5sum; }
[ "$(sect "$W/disk.img" 34816 81920)" = "$(sect "$W/target.img" 34816 81920)" ] ||
	fail "partition 2 differs after restore"
cmp -s <(dd if="$W/target.img" bs=512 skip=2048 count=32768 status=none) <(head -c 16M /dev/zero) ||
	fail "partition 1 of the target was written"
echo ok
