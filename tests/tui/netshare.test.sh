#!/usr/bin/env bash
# "A network share...": the destination picker's row and the image picker's N key take an
# address; ssh:// and http(s):// are sent to the command line, a bad address is named, and a
# share the kernel cannot mount (on a host kernel without cifs/nfs: no client) is a dialog that
# says why, with nothing started. Mounting a real share is tests/cli/netrepo.test.sh's part.
. "$(dirname "$0")/lib.sh"
mkdisk "$W/disk.img"
mkdir "$W/images"
sum_before=$(md5sum <"$W/disk.img")
tui_start --disk "$W/disk.img" --images-dir "$W/images"
wait_for "What to do"
keys b
wait_for "Which disk do you want to copy?"
keys Enter
wait_for "Back up: partitions"
keys Enter
wait_for "Where should the image of disk.img be saved?"
expect "A network share... (smb://, nfs://)"
for _ in 1 2 3 4 5 6; do keys Down; done; keys Enter
wait_for "Back up to a network share"
typetext "ssh://me@10.99.0.1/srv"
keys Enter
wait_for "Use the command line"
keys Enter
wait_for "Where should the image of disk.img be saved?"
for _ in 1 2 3 4 5 6; do keys Down; done; keys Enter
wait_for "Back up to a network share"
keys C-u 2>/dev/null
for _ in $(seq 30); do keys BSpace; done
typetext "smb://10.99.0.1"
keys Enter
wait_for "cannot be used"
expect "needs a share"
keys Enter
wait_for "Where should the image of disk.img be saved?"
if ! grep -qw cifs /proc/filesystems && ! modprobe cifs 2>/dev/null; then
	for _ in 1 2 3 4 5 6; do keys Down; done; keys Enter
	wait_for "Back up to a network share"
	for _ in $(seq 40); do keys BSpace; done
	typetext "smb://10.99.0.1/share/room1"
	keys Enter
	wait_for "could not be mounted"
	expect "no SMB client"
	keys Enter
	wait_for "Where should the image of disk.img be saved?"
fi
keys Escape
wait_for "Back up: partitions"
keys Escape
sleep 0.3
keys Escape
wait_for "What to do"
keys r
wait_for "N A network share"
keys n
wait_for "An image on a network share"
for _ in $(seq 40); do keys BSpace; done   # the last address is offered again
typetext "http://10.99.0.1/pc.lbi"
keys Enter
wait_for "Use the command line"
keys Enter
wait_for "N A network share"
[ "$(md5sum <"$W/disk.img")" = "$sum_before" ] || fail "the source changed"
ls /tmp/lifeboat-repo.* >/dev/null 2>&1 && fail "a mount folder was left"
echo "netshare: ok"
