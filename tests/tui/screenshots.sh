#!/usr/bin/env bash
# Regenerates the text screenshots in docs/TUI.md by driving the screens through tmux on
# disk-image files. Usage: tests/tui/screenshots.sh [OUT] (default docs/TUI.md)
cd "$(dirname "$0")/../.."
OUT=${1:-docs/TUI.md}
export LIFEBOAT=${LIFEBOAT:-$PWD/build/lifeboat}
. tests/tui/lib.sh
# the files live in a folder whose name is as long as the one shown instead, so columns line up
D=$(mktemp -d /tmp/usbXXXXX)
trap 'cleanup; rm -rf "$D"' EXIT
mkdisk "$D/disk.img"
truncate -s 96M "$D/new-disk.img"
mkdir "$D/images"
shots=$W/shots.md
: >"$shots"
shot() {   # title, text
	sleep 0.3
	{ echo "### $1"; echo; [ -n "${2:-}" ] && { echo "$2"; echo; }
	  echo '```'; screen | sed -e 's/[[:space:]]*$//' -e "s|$D|/media/backup|g"; echo '```'; echo; } >>"$shots"
}
tui_start --disk "$D/disk.img" --disk "$D/new-disk.img" --images-dir "$D/images"
wait_for "What to do"
shot "Home" "Every disk with its partitions (filesystem, label, used / total); the actions on the left."
keys b; wait_for "Which disk"; keys Enter; wait_for "Back up: partitions"
shot "Back up: partitions" "Space ticks and unticks; the boot areas are always included."
keys Enter; wait_for "Where should"
shot "Back up: where to save" "Filesystems on other disks (mounted under /mnt when chosen), mounted folders, or a browser."
keys Enter; wait_for "choose a folder"; keys Enter; wait_for "Back up: options"
shot "Back up: options" '"Encrypt" set to yes asks a passphrase twice (masked, one * per character; a mismatch is said and asked again; Esc leaves it at no); the summary then says the image is encrypted and the verify afterwards uses the passphrase typed. Restoring or verifying an encrypted image asks for its passphrase in a masked dialog when the image is first read; a wrong one is said as such and nothing is written (what encryption covers: README, "Encrypted images").'
keys Enter; wait_for "Back up: summary" 20
shot "Back up: summary" "The plan per partition, the estimated size and the free space; a backup that cannot fit is refused here."
keys Enter; wait_for "Backup finished" 60
shot "Backup finished" "What was saved where, the verification, and the log saved next to the image."
keys Enter; wait_for "What to do"
keys r; wait_for "Images found"
shot "Restore: images found" "Images on every attached filesystem (mounted read-only to look), plus a browser."
keys Enter; wait_for "What to restore:"
shot "Restore: the image"
keys Enter; wait_for "Which disk should be overwritten"; keys Down Enter
wait_for "Restore: check the target" 20
shot "Restore: the image against the target"
keys Enter; wait_for "type the device name"
typetext "new-disk"
shot "Restore: the typed confirmation"
keys Escape; wait_for "Restore: check the target"; keys Escape; keys Escape; keys Escape; keys Escape
wait_for "What to do"
keys '?'; wait_for "Lifeboat copies"
shot "Help (? or F1 on every screen)"
keys Escape
tui_stop
# a backup slow enough to be seen running, then cancelled
mkslowdisk "$D/old-disk.img"
tui_start --disk "$D/old-disk.img" --images-dir "$D/images"
wait_for "What to do"
keys b; wait_for "Which disk"; keys Enter; wait_for "Back up: partitions"; keys Enter
wait_for "Where should"; keys Enter; wait_for "choose a folder"; keys Enter
wait_for "Back up: options"
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do keys Right; done
keys Enter; wait_for "Back up: summary" 20; keys Enter
wait_for "MB/s" 10
sleep 1
shot "Progress" "Esc asks before cancelling; a cancelled backup leaves no image under the final name."
keys Escape; wait_for "Stop now?"
shot "Cancelling asks first"
keys y; wait_for "Backup cancelled" 20
shot "Cancelled"
tui_stop
{
cat <<'HEAD'
# The Lifeboat screens

`lifeboat` with no arguments (or `lifeboat tui`) starts the screens; the boot stick starts them
on its console. Everything is done with the keyboard: arrows and Enter to choose, Esc to go back,
`?` or F1 for help on every screen. They work on the Linux console, on a serial line (TERM=vt100,
with `--ascii` when the other end cannot draw lines) and in any terminal of 80x24 or more, in
colour or not.

## Options

| option | what it does |
|---|---|
| `--disk FILE` | work on this disk or disk-image file instead of every disk of the machine (repeatable). With disk-image files nothing is ever mounted; Reboot / Power off are refused with `--disk`. |
| `--images-dir DIR` | look for images in DIR and offer it first as the place to save new ones |
| `--boot-disk PATH` | mark this disk as the one Lifeboat started from (also `LIFEBOAT_BOOT_DISK`) |
| `--mnt-dir DIR` | where destination filesystems are mounted (default `/mnt`) |
| `--ascii` | draw lines with `+ - \|` (also `LIFEBOAT_ASCII=1`); used automatically when the terminal has no line-drawing characters |
| `--mono` | no colours (also `NO_COLOR`); automatic on terminals without colour |

What the screens do on a real machine: a filesystem chosen as a backup destination is mounted
read-write under `/mnt/NAME`; to look for images, filesystems are mounted read-only. The disk
being backed up is never mounted, and the TUI never offers one of its filesystems as the
destination. Everything Lifeboat mounted is unmounted when it leaves, reboots or powers off.
A restore or clone always shows the target against the image first and then asks for the
target's device name to be typed; a wrong name writes nothing.

## Screens

The captures below come from `tests/tui/screenshots.sh` (tmux, 80x24, disk-image files).

HEAD
cat "$shots"
} >"$OUT"
echo "wrote $OUT"
