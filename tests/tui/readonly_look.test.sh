#!/usr/bin/env bash
# The image picker writes nothing to the disks it looks on. Three loop devices: one ext4 holding
# an image, one ext4 whose journal needs recovery (copied from a mounted filesystem: a read-only
# mount of it would replay the journal), one target full of old data. Restore: nothing is
# mounted until a filesystem is chosen; the dirty one is named as such, mounted only after a
# yes, and read-only with nothing replayed; choosing the image unmounts every other looking
# mount before the targets are checked, so the dirty disk is a valid target while the disk
# holding the image is refused; back out before writing. Verify: the image checked in full.
# Afterwards nothing is mounted, the devices are writable again, and the image disk and the
# dirty disk are byte-identical to before (the dirty one still needs recovery).
. "$(dirname "$0")/lib.sh"
need losetup mke2fs sgdisk dumpe2fs sha256sum mount
[ "$(id -u)" = 0 ] || { echo "needs root (loop devices, mounts)"; exit 77; }
LOOPS=()
cleanup_loops() {
	tm kill-server 2>/dev/null
	for d in "$W"/mnt/* "$W"/m; do mountpoint -q "$d" 2>/dev/null && umount "$d"; done
	for l in "${LOOPS[@]}"; do blockdev --setrw "$l" 2>/dev/null; losetup -d "$l" 2>/dev/null; done
	rm -rf "$W"
}
trap cleanup_loops EXIT
# loop FILE: attaches FILE, sets $L (not in a subshell, so cleanup knows every device)
loop() { L=$(losetup -f --show "$1") || { echo "no loop device"; exit 77; }; LOOPS+=("$L"); }
mkdir -p "$W/m" "$W/mnt"

# the source of the image: 16 MiB, GPT, one ext4 partition with a few files
truncate -s 16M "$W/small.img"
sgdisk -n1:2048:0 -t1:8300 "$W/small.img" >/dev/null
mkdir -p "$W/tree"; seq 1 50000 >"$W/tree/numbers.txt"
mke2fs -q -t ext4 -L SMALL -d "$W/tree" -E offset=1048576 "$W/small.img" 14M

# the disk holding the image: a clean ext4 with /backups/small.lbi
truncate -s 64M "$W/images.img"
mke2fs -q -t ext4 -L IMAGES "$W/images.img"
loop "$W/images.img"; L1=$L
mount "$L1" "$W/m"; mkdir "$W/m/backups"
"$LIFEBOAT" backup "$W/small.img" "$W/m/backups/small.lbi" --quiet || fail "host backup failed"
umount "$W/m"

# the dirty disk: an ext4 copied while mounted, so its journal needs recovery
truncate -s 32M "$W/dirty-src.img"
mke2fs -q -t ext4 -L DIRTY "$W/dirty-src.img"
loop "$W/dirty-src.img"
mount "$L" "$W/m"; mkdir "$W/m/photos"; head -c 2M /dev/urandom >"$W/m/photos/a.jpg"; sync
dd if="$L" of="$W/dirty.img" bs=1M status=none
umount "$W/m"; losetup -d "$L"
dumpe2fs -h "$W/dirty.img" 2>/dev/null | grep -q needs_recovery || fail "could not make a dirty ext4"
loop "$W/dirty.img"; L2=$L

# the target: old random data
head -c 32M /dev/urandom >"$W/target.img"
loop "$W/target.img"; L3=$L
sum1=$(sha256sum <"$L1") sum2=$(sha256sum <"$L2")
n1=${L1#/dev/} n2=${L2#/dev/} n3=${L3#/dev/}

ours_mounted() { grep -c " $W/mnt/" /proc/self/mounts; }
# select_row ERE: Down from the top until the selected row ('>') matches
select_row() {
	for _ in $(seq 1 12); do keys Up; done
	for _ in $(seq 1 30); do
		sleep 0.2
		screen | grep -E '^ *>' | grep -qE -- "$1" && return 0
		keys Down
	done
	fail "no row matching '$1' could be selected"
}

tui_start --disk "$L1" --disk "$L2" --disk "$L3" --mnt-dir "$W/mnt"
wait_for "What to do"
keys r
wait_for "Restore: choose an image"
wait_for "Look on a filesystem (mounted read-only when chosen" 30
# waited for, not expected at once: the rows are drawn as each filesystem is probed
wait_for "No images found yet" 30
wait_re() { for _ in $(seq 1 150); do screen | grep -qE -- "$1" && return 0; sleep 0.2; done; fail "$2"; }
wait_re "$n1 +ext4 +IMAGES" "the image disk's filesystem is not offered"
wait_re "$n2 +ext4 +DIRTY .*NOT SHUT DOWN CLEANLY" "the dirty filesystem is not marked"
[ "$(ours_mounted)" = 0 ] || fail "opening Restore mounted something"

# the dirty one: a warning first; no = nothing mounted; yes = read-only, nothing replayed
select_row "$n2 +ext4"
keys Enter
wait_for "Not shut down cleanly"
expect "journal holds changes"
keys n
wait_gone "Not shut down cleanly"
[ "$(ours_mounted)" = 0 ] || fail "'no' mounted it anyway"
keys Enter
wait_for "Not shut down cleanly"
keys y
wait_for "No images on $n2" 30
grep " $W/mnt/$n2 " /proc/self/mounts | grep -q ' ro,' || fail "the dirty filesystem is not mounted read-only"
[ "$(blockdev --getro "$L2")" = 1 ] || fail "the dirty device is not marked read-only while looked at"
keys Enter
screen | grep -E '^ *>' | grep -qE "$n2 .*mounted read-only" || fail "the dirty filesystem's row does not say it is mounted"

# the image disk: its image appears and is selected
select_row "$n1 +ext4"
keys Enter
wait_for "Images found (1)" 30
screen | grep -E '^ *>' | grep -q "small.lbi" || fail "the image found is not selected"
keys Enter
wait_for "What to restore:" 30
grep -q " $W/mnt/$n2 " /proc/self/mounts && fail "the dirty filesystem is still mounted after the image was chosen"
[ "$(blockdev --getro "$L2")" = 0 ] || fail "the dirty device was left read-only"
grep -q " $W/mnt/$n1 " /proc/self/mounts || fail "the image's filesystem is not mounted while it is used"
keys Enter                                      # the whole disk
wait_for "Which disk should be overwritten"
select_row "$n2"
keys Enter
wait_for "Restore: check the target" 30
wait_for "Fits" 30
expect_not "Refused"
keys Escape
wait_for "Which disk should be overwritten"
select_row "$n1"
keys Enter
wait_for "Restore: check the target" 30
wait_for "Refused" 30
keys Escape
wait_for "Which disk should be overwritten"
keys Escape
wait_for "What to restore:" 30
keys Escape
wait_for "Restore: choose an image"
keys Escape
wait_for "What to do"
[ "$(ours_mounted)" = 0 ] || fail "leaving Restore left filesystems mounted"

# Verify: look on the image disk again, check the image in full
keys v
wait_for "Verify: choose an image"
wait_for "Look on a filesystem (mounted read-only when chosen" 30
select_row "$n1 +ext4"
keys Enter
wait_for "Images found (1)" 30
keys Enter
wait_for "Check the image"
keys Enter
wait_for "Verified" 30
expect "every checksum matches"
keys Enter
wait_for "What to do"
[ "$(ours_mounted)" = 0 ] || fail "leaving Verify left filesystems mounted"
tui_quit

[ "$(sha256sum <"$L1")" = "$sum1" ] || fail "the disk holding the image changed"
[ "$(sha256sum <"$L2")" = "$sum2" ] || fail "the dirty disk changed (journal replayed?)"
[ "$(blockdev --getro "$L1")" = 0 ] && [ "$(blockdev --getro "$L2")" = 0 ] || fail "a device was left read-only"
dumpe2fs -h "$L2" 2>/dev/null | grep -q needs_recovery || fail "the dirty disk no longer needs recovery"
echo ok
