#!/usr/bin/env bash
# Verify: an image checked alone, compared with its (unchanged, then changed) source disk, and
# a damaged (truncated) copy of it reported as such.
. "$(dirname "$0")/lib.sh"
mkdisk "$W/disk.img"
mkdir "$W/images"
tui_start --disk "$W/disk.img" --images-dir "$W/images"
wait_for "What to do"
do_backup
[ -f "$W/images/$name" ] || fail "backup made no image"

verify_first_image() {   # mode: 0 = check, 1 = compare with the first disk
	keys v
	wait_for "Images found"
	keys Enter
	wait_for "Check the image"
	[ "$1" = 1 ] && keys Down
	keys Enter
	if [ "$1" = 1 ]; then
		wait_for "Which disk should be compared"
		keys Enter
	fi
}

verify_first_image 0
wait_for "Verified" 30
expect "The image is complete and every checksum matches."
keys Enter; wait_for "What to do"

verify_first_image 1
wait_for "Verified" 30
expect "The disk matches the image."
keys Enter; wait_for "What to do"

# change one byte inside the ext4 file with the random data, then compare again
blk=$(debugfs -R "bmap /home/user/random.bin 0" "$W/disk.img?offset=$((34816 * 512))" 2>/dev/null)
if [ -z "$blk" ]; then
	dd if="$W/disk.img" of="$W/p2.img" bs=512 skip=34816 count=81920 status=none
	blk=$(debugfs -R "bmap /home/user/random.bin 0" "$W/p2.img" 2>/dev/null)
fi
[ -n "$blk" ] || fail "cannot find a data block to change"
bs=$(dumpe2fs -h "$W/p2.img" 2>/dev/null | sed -n 's/^Block size: *//p'); bs=${bs:-1024}
printf '\x5a' | dd of="$W/disk.img" bs=1 seek=$((34816 * 512 + blk * bs + 100)) conv=notrunc status=none
verify_first_image 1
wait_for "Differences found" 30
expect "The disk differs from the image."
keys Enter; wait_for "What to do"

# a truncated image
size=$(stat -c %s "$W/images/$name")
rm -f "$W/images/${name%.lbi}.log"
head -c $((size / 2)) "$W/images/$name" >"$W/images/cut.lbi"
rm "$W/images/$name"
verify_first_image 0
wait_for "Verify failed" 30
expect "The image is damaged"
keys Enter; wait_for "What to do"
tui_quit
echo ok
