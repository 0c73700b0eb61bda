#!/usr/bin/env bash
# The "Unallocated space" option: by default a large gap outside partitions is skipped and the
# summary says so; "keep all" copies it (the image's description says so too).
. "$(dirname "$0")/lib.sh"
need sgdisk mke2fs
truncate -s 512M "$W/disk.img"
sgdisk -n1:2048:+16M -t1:8300 "$W/disk.img" >/dev/null
mke2fs -q -t ext4 -E offset=$((2048 * 512)) "$W/disk.img" 16M
mkdir "$W/images"
tui_start --disk "$W/disk.img" --images-dir "$W/images"
wait_for "What to do"
keys b
wait_for "Which disk do you want to copy?"
keys Enter
wait_for "Back up: partitions"
keys Enter
wait_for "Where should the image"
keys Enter
wait_for "Back up: choose a folder"
keys Enter
wait_for "Back up: options"
expect "Unallocated space   < skip large >"
keys Enter
wait_for "Back up: summary" 20
screen | grep -qE "unallocated, not in the image +skipped +4[0-9]{2}(\.[0-9])? MiB" ||
	fail "the summary does not show the skipped unallocated space"
keys Escape
wait_for "Back up: options"
keys Down Down Down
keys Right
wait_for "Unallocated space   < keep all >"
name=$(screen | sed -n 's/.*File name *\([^ ]*\.lbi\).*/\1/p')
keys Enter
wait_for "Back up: summary" 20
expect_not "not in the image"
keys Enter
wait_for "Backup finished" 60
"$LIFEBOAT" info "$W/images/$name" >"$W/info.txt" || fail "no image $name"
grep -q "^unallocated .*: kept (--unallocated)$" "$W/info.txt" || { cat "$W/info.txt"; fail "the image does not say the unallocated space was kept"; }
grep -q "^skipped:" "$W/info.txt" && fail "keep all still skipped something"
keys Enter
wait_for "What to do"
tui_quit
echo ok
