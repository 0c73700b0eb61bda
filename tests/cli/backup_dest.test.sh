#!/usr/bin/env bash
# Where a backup is saved is checked before anything is read: a folder given as the image
# (exit 2), a folder that does not exist or cannot be written (exit 1), an existing file that
# is not an image (refused, exit 4: a mistyped name must not cost another file). An existing
# image of that name is replaced, and the backup says so first.
. "$(dirname "$0")/lib.sh"
random_disk src.img 8
mkdir D
# LIFEBOAT_FAULTS makes every read of the source fail: a check that comes only after reading
# would show up as exit 6 (or a rescue pass) instead of the refusal
lb_expect_fail 2 "D is a folder: give the image a file name in it, e.g. D/disk.lbi" backup src.img D
LIFEBOAT_FAULTS=0+8388608 lb_expect_fail 2 "D is a folder" backup src.img D
[ -z "$(ls -A D)" ] && [ ! -e D.part ] || fail "something was left behind for a folder destination"
LIFEBOAT_FAULTS=0+8388608 lb_expect_fail 1 "cannot save the image in nowhere: No such file or directory \(create the folder" backup src.img nowhere/x.lbi
echo "precious notes" >notes.txt
LIFEBOAT_FAULTS=0+8388608 lb_expect_fail 4 "refusing to replace notes.txt: it exists and is not a Lifeboat image" backup src.img notes.txt
[ "$(cat notes.txt)" = "precious notes" ] || fail "a file that is not an image was replaced"
mkdir ro
if mount -t tmpfs -o ro,size=1m tmpfs ro 2>/dev/null; then
	LOOPS="$T/ro"   # unmounted by the cleanup
	LIFEBOAT_FAULTS=0+8388608 lb_expect_fail 1 "cannot save the image in ro: Read-only file system" backup src.img ro/x.lbi
	umount ro
fi
# an empty file of that name (mktemp, touch) is simply used
: >new.lbi
lb backup src.img new.lbi --quiet 2>err.txt
[ ! -s err.txt ] || { cat err.txt; fail "backup into an empty file printed something"; }
# replacing an image: said before the copy starts; the new image is the one kept
lb backup src.img x.lbi --quiet
old=$(sum x.lbi)
dd if=/dev/urandom of=src.img bs=1M count=1 seek=3 conv=notrunc status=none
lb backup src.img x.lbi --quiet 2>err.txt
grep -q "replacing the existing image x.lbi" err.txt || { cat err.txt; fail "backup does not say it replaces x.lbi"; }
[ "$(sum x.lbi)" != "$old" ] || fail "the image was not replaced"
random_disk dst.img 8
lb restore x.lbi dst.img --yes --quiet
cmp -s src.img dst.img || fail "the replacing image does not restore the new source"
echo ok
