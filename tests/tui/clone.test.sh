#!/usr/bin/env bash
# Clone one disk-image file onto a larger one through the screens: the source cannot be its own
# target, the plan says the target grows, the typed confirmation, then compare the content.
. "$(dirname "$0")/lib.sh"
mkdisk "$W/disk.img"
truncate -s 96M "$W/big.img"
tui_start --disk "$W/disk.img" --disk "$W/big.img"
wait_for "What to do"
keys c
wait_for "Which disk do you want to copy?"
keys Enter
wait_for "Which disk should become the copy?"
expect "(the source)"
keys Enter                                  # the only selectable row: big.img
wait_for "Clone: check the target" 20
expect "Source"
expect "big.img"
expect "Fits"
keys Enter
wait_for "type the device name (big.img)"
typetext "big.img"
keys Enter
wait_for "Clone finished" 60
keys Enter
wait_for "What to do"
tui_quit
sect() { dd if="$1" bs=512 skip="$2" count="$3" status=none | md5sum; }
[ "$(sect "$W/disk.img" 2048 32768)" = "$(sect "$W/big.img" 2048 32768)" ] || fail "partition 1 differs"
[ "$(sect "$W/disk.img" 34816 81920)" = "$(sect "$W/big.img" 34816 81920)" ] || fail "partition 2 differs"
sgdisk -v "$W/big.img" | grep -q "No problems found" || fail "the cloned GPT has problems"
echo ok
