#!/usr/bin/env bash
# Destinations that are too small: a backup whose folder has too little free space is refused
# on the summary; a restore onto a smaller disk shows the bytes missing and cannot go on.
. "$(dirname "$0")/lib.sh"
mkdisk "$W/disk.img"
truncate -s 32M "$W/small.img"
mkdir "$W/images"

# backup summary: pretend the destination has 100 KiB free
TUI_ENV="LIFEBOAT_TEST_FREE=102400" tui_start --disk "$W/disk.img" --images-dir "$W/images"
wait_for "What to do"
keys b; wait_for "Which disk"; keys Enter; wait_for "Back up: partitions"; keys Enter
wait_for "Where should the image"; keys Enter; wait_for "choose a folder"; keys Enter
wait_for "Back up: options"; keys Enter
wait_for "Back up: summary" 20
wait_for "It will not fit"
expect "Free there:       100 KiB"
expect_not "Enter Start the backup"
keys Enter
sleep 0.5
expect "It will not fit"                      # Enter does nothing
keys Escape
wait_for "Back up: options"
keys Escape; wait_for "Where should"
keys Escape; wait_for "Back up: partitions"; keys Escape; wait_for "Which disk"
keys Escape; wait_for "What to do"
[ -z "$(ls -A "$W/images")" ] || fail "something was written"
tui_quit
tui_stop

# a real image, then a restore onto a disk that is too small
tui_start --disk "$W/disk.img" --disk "$W/small.img" --images-dir "$W/images"
wait_for "What to do"
do_backup
[ -f "$W/images/$name" ] || fail "backup made no image"
keys r
wait_for "Images found (1)"
keys Enter
wait_for "What to restore:"
keys Enter
wait_for "Which disk should be overwritten"
keys Down Enter                              # small.img
wait_for "Restore: check the target" 20
wait_for "Too small:"
expect "more is needed"
expect "Refused:"
expect_not "Enter Continue"
keys Enter
sleep 0.5
expect_not "Danger"
expect "Too small:"
keys Escape
wait_for "Which disk should be overwritten"
keys Escape; wait_for "What to restore:"; keys Escape; wait_for "Images found"
keys Escape; wait_for "What to do"
cmp -s "$W/small.img" <(head -c 32M /dev/zero) || fail "the small target was written"
tui_quit
echo ok
