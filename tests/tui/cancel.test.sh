#!/usr/bin/env bash
# Cancelling a running backup: Esc asks first ("n" goes on), "y" stops it, and no file is left
# under the image's name (nor any partial file in the folder). The source is untouched.
. "$(dirname "$0")/lib.sh"
mkslowdisk "$W/disk.img"
sum_before=$(md5sum <"$W/disk.img")
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
for i in $(seq 16); do keys Right; done
wait_for "< 19 (smallest, slow) >"
name=$(screen | sed -n 's/.*File name *\([^ ]*\.lbi\).*/\1/p')
keys Enter
wait_for "Back up: summary" 20
keys Enter
wait_for "Backing up" 10
wait_for "MB/s"
expect "Unreadable so far: none"
expect "$W/images/$name"
# the progress screen follows a resize while the engine runs
tm resize-window -t t -x 120 -y 30
sleep 0.6
screen | grep -qE '^  \[#*\.*\]$' || fail "no progress bar after resize"
[ "$(screen | sed -n 's/^  \(\[.*\]\)$/\1/p' | head -1 | wc -c)" -eq 117 ] || fail "bar not 116 wide at 120 columns"
tm resize-window -t t -x 80 -y 24
sleep 0.6
expect "Backing up"
keys Escape
wait_for "Stop now?"
keys n
wait_gone "Stop now?"
expect "Backing up"
keys Escape
wait_for "Stop now?"
keys y
wait_for "Backup cancelled" 20
expect "No image was left under the name:"
[ ! -e "$W/images/$name" ] || fail "an image was left under $name"
left=$(ls -A "$W/images")
[ -z "$left" ] || fail "files left in the images folder: $left"
[ "$(md5sum <"$W/disk.img")" = "$sum_before" ] || fail "the source changed"
keys Enter
wait_for "What to do"
tui_quit
echo ok
