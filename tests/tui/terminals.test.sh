#!/usr/bin/env bash
# The same screens on a Linux console, a VT100 over a serial line with ASCII line drawing and
# no colour, and a larger xterm: content is there, boxes are drawn with the right characters,
# and the terminal is restored on leaving.
. "$(dirname "$0")/lib.sh"
truncate -s 64M "$W/disk.img"

check_home() {
	wait_for "What to do"
	expect "Back up a disk"
	expect "disk.img"
	keys q
	wait_for "Leave Lifeboat?"
}

# VT100 over a serial line: --ascii --mono; dialogs are boxed with + - |
TUI_TERM=vt100 TUI_LANG=C tui_start --disk "$W/disk.img" --ascii --mono
check_home
screen | grep -qE '\+- Quit -+\+' || fail "dialog top border not drawn in ASCII"
screen | grep -qE '\| Leave Lifeboat\? +\|' || fail "dialog side borders not drawn in ASCII"
screen | grep -q '|' || fail "no ASCII vertical line"
keys y
wait_for "[lifeboat exited 0]"
tty_restored
tui_stop

# LIFEBOAT_ASCII=1 does the same without the option
TUI_TERM=vt100 TUI_ENV="LIFEBOAT_ASCII=1" tui_start --disk "$W/disk.img"
check_home
screen | grep -qE '\+- Quit -+\+' || fail "LIFEBOAT_ASCII=1 did not give ASCII boxes"
keys y
wait_for "[lifeboat exited 0]"
tui_stop

# the Linux console
TUI_TERM=linux tui_start --disk "$W/disk.img"
check_home
keys n
wait_gone "Leave Lifeboat?"
keys '?'
wait_for "Lifeboat copies whole disks"
keys Escape
tui_quit
tui_stop

# a large xterm, then shrunk to 80x24 while a dialog is open
TUI_COLS=160 TUI_LINES=50 tui_start --disk "$W/disk.img"
check_home
tm resize-window -t t -x 80 -y 24
sleep 0.5
expect "Leave Lifeboat?"
expect "What to do"
[ "$(screen | wc -l)" -eq 24 ] || fail "not 24 lines after resize"
keys y
wait_for "[lifeboat exited 0]"
tui_stop

# no usable terminal: a clear message instead of a broken screen
out=$(TERM=dumb "$LIFEBOAT" tui --disk "$W/disk.img" 2>&1 </dev/null)
rc=$?
[ $rc -ne 0 ] || fail "ran without a terminal"
echo "$out" | grep -q "lifeboat:" || fail "no message without a terminal: $out"
echo ok
