#!/usr/bin/env bash
# Signals: SIGTERM on the home screen, and SIGHUP during a backup, restore the terminal; a
# backup stopped this way leaves no image behind.
. "$(dirname "$0")/lib.sh"
mkslowdisk "$W/disk.img"
mkdir "$W/images"

tui_start --disk "$W/disk.img" --images-dir "$W/images"
wait_for "What to do"
pid=$(lb_pid)
[ -n "$pid" ] || fail "no lifeboat process"
kill -TERM "$pid"
wait_for "[lifeboat exited 143]"
tty_restored
tui_stop

tui_start --disk "$W/disk.img" --images-dir "$W/images"
wait_for "What to do"
keys b; wait_for "Which disk"; keys Enter; wait_for "Back up: partitions"; keys Enter
wait_for "Where should the image"; keys Enter; wait_for "choose a folder"; keys Enter
wait_for "Back up: options"
for i in $(seq 16); do keys Right; done
wait_for "< 19 (smallest, slow) >"
keys Enter
wait_for "Back up: summary" 20
keys Enter
wait_for "MB/s" 10
kill -HUP "$(lb_pid)"
wait_for "[lifeboat exited 129]" 20
tty_restored
left=$(ls -A "$W/images")
[ -z "$left" ] || fail "files left in the images folder: $left"
echo ok
