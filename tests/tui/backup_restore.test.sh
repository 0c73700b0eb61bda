#!/usr/bin/env bash
# The whole round trip through the screens: back up a disk-image file into an image (with
# verification and a log), then restore it onto a blank disk — first typing the wrong name
# (refused, nothing written), then the right one — and compare the restored content.
. "$(dirname "$0")/lib.sh"
need cmp debugfs
mkdisk "$W/disk.img"
truncate -s 64M "$W/target.img"
mkdir "$W/images"
sum_before=$(md5sum <"$W/disk.img")
tui_start --disk "$W/disk.img" --disk "$W/target.img" --images-dir "$W/images"
wait_for "What to do"

# ---- back up ----
keys b
wait_for "Which disk do you want to copy?"
expect "disk.img"
keys Enter                                  # the first disk: disk.img
wait_for "Back up: partitions"
expect "[x]"
expect "Boot areas (partition table, boot code, gaps) are always included."
screen | grep -qE '\[x\] +1 +vfat' || fail "partition 1 not ticked"
screen | grep -qE '\[x\] +2 +ext4' || fail "partition 2 not ticked"
keys Enter
wait_for "Where should the image of disk.img be saved?"
expect "Images folder"
keys Enter                                  # the images folder
wait_for "Back up: choose a folder"
expect "Folder: $W/images"
keys Enter                                  # "." = save here
wait_for "Back up: options"
expect "Compression level"
expect "Verify afterwards   < yes >"
name=$(screen | sed -n 's/.*File name *\([^ ]*\.lbi\).*/\1/p')
[ -n "$name" ] || fail "no default file name"
keys Enter
wait_for "Back up: summary" 20
expect "It fits."
expect "To read:"
expect "Free there:"
keys Enter
wait_for "Backup finished" 60
expect "Backup finished and verified."
expect "Verify:  every checksum matches"
expect "Log: "
[ -f "$W/images/$name" ] || fail "no image at $W/images/$name"
[ -f "$W/images/${name%.lbi}.log" ] || fail "no log next to the image"
grep -q "Backup finished" "$W/images/${name%.lbi}.log" || fail "log has no result"
[ "$(md5sum <"$W/disk.img")" = "$sum_before" ] || fail "the source changed"
keys Enter
wait_for "What to do"

# ---- restore ----
keys r
wait_for "Images found (1)"
expect "$name"
keys Enter                                  # the image found
wait_for "What to restore:"
expect "The whole disk"
expect "gpt, 2 partitions"
keys Enter
wait_for "Which disk should be overwritten"
keys Down Enter                             # target.img
wait_for "Restore: check the target" 20
expect "Fits"
keys Enter
wait_for "type the device name (target.img)"
typetext "disk.img"
keys Enter
wait_for "Not confirmed"
expect "You typed 'disk.img', which is not 'target.img'."
keys Enter
wait_for "Restore: check the target"
cmp -s "$W/target.img" <(head -c 64M /dev/zero) || fail "the target was written after a wrong name"
keys Enter
wait_for "type the device name (target.img)"
typetext "target.img"
keys Enter
wait_for "Restore finished" 60
expect "verified"
keys Enter
wait_for "What to do"
tui_quit

# ---- compare ----
sect() { dd if="$1" bs=512 skip="$2" count="$3" status=none | md5sum; }
[ "$(sect "$W/disk.img" 2048 32768)" = "$(sect "$W/target.img" 2048 32768)" ] ||
	fail "partition 1 differs after restore"
[ "$(sect "$W/disk.img" 34816 81920)" = "$(sect "$W/target.img" 34816 81920)" ] ||
	fail "partition 2 differs after restore"
sgdisk -v "$W/target.img" | grep -q "No problems found" || fail "restored GPT has problems"
dd if="$W/target.img" of="$W/p2.img" bs=512 skip=34816 count=81920 status=none
e2fsck -fn "$W/p2.img" >/dev/null 2>&1 || fail "e2fsck finds errors in the restored ext4"
mkdir "$W/out"
debugfs -R "rdump / $W/out" "$W/p2.img" >/dev/null 2>&1
diff -r "$W/tree" "$W/out" -x lost+found || fail "restored files differ"
echo ok
