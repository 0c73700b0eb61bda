#!/usr/bin/env bash
# "Browse an image": an ext4 disk backed up with the command line is browsed in the screens
# (image -> partition -> folders), entries in two folders are marked (a tree and files), copied
# to a folder chosen in the picker and compared with the originals; the result names what was
# marked. A name holding an escape sequence is shown harmlessly, a folder of 300 entries
# scrolls, a read-only destination is refused, a file already at the destination is not
# replaced, a copy is cancelled, an encrypted image asks for its passphrase (a wrong one is said as such), and a
# damaged chunk under a file names that file in the result. The images are never changed.
. "$(dirname "$0")/lib.sh"
need sgdisk mke2fs cmp
S=$W/stage
mkdir -p "$S/docs/deep/nested" "$S/many" "$S/photos" "$W/images" "$W/enc" "$W/out"
echo "the report" >"$S/docs/report.txt"
head -c 200000 /dev/urandom >"$S/docs/deep/nested/leaf.bin"
seq 1 5000 >"$S/docs/deep/list.txt"
echo "spaced out" >"$S/my file.txt"
ln -s docs/report.txt "$S/to-report"
head -c 1500000 /dev/urandom >"$S/photos/a.jpg"
printf 'x' >"$S/$(printf 'bad\033[2Jname')"
for i in $(seq -w 1 300); do echo "$i" >"$S/many/f$i"; done
head -c 120M /dev/urandom >"$S/big.bin"    # about a second to copy: long enough to cancel
truncate -s 200M "$W/disk.img"
sgdisk -n1:2048:+180M -t1:8300 -c1:data "$W/disk.img" >/dev/null
mke2fs -q -t ext4 -b 4096 -L data -E offset=1048576 -d "$S" "$W/disk.img" 180M
"$LIFEBOAT" backup "$W/disk.img" "$W/images/disk.lbi" --quiet || fail "backup failed"
printf 'browse secret\n' >"$W/key"
"$LIFEBOAT" backup "$W/disk.img" "$W/enc/enc.lbi" --key-file "$W/key" --quiet ||
	fail "encrypted backup failed"
sum_before=$(cat "$W/images/disk.lbi" "$W/enc/enc.lbi" | md5sum)

# select NAME: moves the cursor (the row starting with '>') onto the row showing NAME
# (a short list: PgUp goes to its top)
select_row() {
	local i
	keys PPage PPage PPage; sleep 0.1   # from the top
	for i in $(seq 1 400); do
		screen | grep '^ *>' | grep -qF -- "$1" && return 0
		keys Down; sleep 0.05
	done
	fail "no row $1"
}

tui_start --disk "$W/disk.img" --images-dir "$W/images"
wait_for "What to do"
wait_for "Browse an image"
keys f
wait_for "Images found (1)"
wait_for "disk.lbi"
keys Enter
wait_for "Which partition's files do you want to see?"
screen | grep -qE '1 +ext4 +data' || fail "partition 1 (ext4 data) not listed"
keys '?'
wait_for "[*] is marked"
keys Escape
wait_for "Which partition's files do you want to see?"
keys Enter
wait_for "Folder: /  ("
wait_for "partition 1 (ext4 data)"
wait_for "docs/"
wait_for "my file.txt"
wait_for 'bad\x1b[2Jname'               # ESC shown escaped: the screen was not cleared
wait_for "Nothing marked"
wait_for "to-report -> docs/report.txt"

# a big folder scrolls
select_row "many/"
keys Enter
wait_for "Folder: /many  (300 entries)"
wait_for "f001"
expect_not "f300"
for _ in $(seq 25); do keys NPage; done
wait_for "f300"
expect_not "f001"
keys BSpace
wait_for "Folder: /  ("
screen | grep '^ *>' | grep -qF "many/" || fail "the cursor is not on the folder just left"

# mark a tree and a file in docs, and a file at the root
select_row "docs/"
keys Enter
wait_for "Folder: /docs  (2 entries)"
wait_for "..  (up one level)"
select_row "deep/"
keys Space
wait_for "Marked: 1 entry, 2 files"
select_row "report.txt"
keys Space
wait_for "Marked: 2 entries, 3 files"
keys Left
wait_for "Folder: /  ("
select_row "my file.txt"
keys Space
wait_for "Marked: 3 entries, 4 files"
screen_trim
screen | grep -F "my file.txt" | grep -qF "[*]" || fail "my file.txt not shown as marked"

# the destination: first a read-only folder (refused), then $W/out
ro=0
mkdir "$W/ro"
if mount -t tmpfs -o ro,size=1m lbtest "$W/ro" 2>/dev/null; then
	ro=1
	trap 'umount "$W/ro" 2>/dev/null; cleanup' EXIT
fi
keys c
wait_for "Copy to: choose a folder"
wait_for "Folder: $W/images"
keys Down Enter                       # ..
wait_for "Folder: $W"
if [ $ro = 1 ]; then
	select_row "ro/"
	keys Enter
	wait_for "Folder: $W/ro"
	keys Up Enter                     # "." = this folder
	wait_for "Cannot copy there"
	expect "read-only filesystem"
	keys Enter
	wait_for "Copy to: choose a folder"
	keys Down Enter
	wait_for "Folder: $W"
fi
select_row "out/"
keys Enter
wait_for "Folder: $W/out"
keys Up Enter
wait_for "Copy 3 entries"
keys y
wait_for "Copy finished" 60
screen_trim                            # in the log: what the result says
wait_for "everything marked was copied"
wait_for "To:     $W/out"
wait_for "Copied: 4 files"
wait_for "/docs/deep"
wait_for "/docs/report.txt"
wait_for "/my file.txt"
cmp "$S/docs/deep/nested/leaf.bin" "$W/out/deep/nested/leaf.bin" || fail "leaf.bin differs"
cmp "$S/docs/deep/list.txt" "$W/out/deep/list.txt" || fail "list.txt differs"
cmp "$S/docs/report.txt" "$W/out/report.txt" || fail "report.txt differs"
cmp "$S/my file.txt" "$W/out/my file.txt" || fail "'my file.txt' differs"
[ "$(ls "$W/out" | wc -l)" = 3 ] || fail "more than what was marked was copied: $(ls "$W/out")"
keys Enter
wait_for "Nothing marked"              # a full copy clears the marks

# nothing marked: c copies the entry under the cursor; one already there is not replaced
echo "changed" >"$W/out/my file.txt"
select_row "my file.txt"
keys c
wait_for "Copy to: choose a folder"
wait_for "Folder: $W/out"               # the last destination is offered again
keys Enter
wait_for "Copy 1 entry"
keys y
wait_for "Copy failed" 60
screen_trim
wait_for "my file.txt"
[ "$(cat "$W/out/my file.txt")" = changed ] || fail "an existing file was replaced"
keys Enter
wait_for "Folder: /  ("

# the copy is cancelled (Esc asks first): the result says so, not that it finished
select_row "big.bin"
keys c
wait_for "Copy to: choose a folder"
keys Enter
wait_for "Copy 1 entry (120 MiB)"
# y and Esc in one write: Esc is waiting when the copy's first progress call reads the keys, so
# the stop is asked before the copy can finish (two writes raced a fast copy and lost)
keys y Escape
wait_for "Stop now?" 20
screen_trim
wait_for "Copying files"
wait_for "Cancelling keeps the files copied so far"
keys y
wait_for "Copy cancelled" 20
screen_trim
wait_for "only part of what was marked was copied"
expect_not "everything marked was copied"
[ ! -e "$W/out/big.bin" ] || fail "a half-copied file was left"
keys Enter
wait_for "Folder: /  ("
keys Escape
wait_for "Which partition's files do you want to see?"
keys Escape
wait_for "Images found (1)"
keys Escape
wait_for "What to do"
tui_quit

# an encrypted image asks for the passphrase; a wrong one is said as such
tui_start --disk "$W/disk.img" --images-dir "$W/enc"
wait_for "What to do"
keys f
wait_for "Images found (1)"
keys Enter
wait_for "enc.lbi is encrypted. Type its passphrase:"
typetext "wrong"
keys Enter
wait_for "The passphrase is needed to read this image."
keys Enter
wait_for "Images found (1)"
keys Enter
wait_for "enc.lbi is encrypted. Type its passphrase:"
typetext "browse secret"
expect_not "browse secret"
keys Enter
wait_for "Which partition's files do you want to see?"
keys Enter
wait_for "Folder: /  ("
wait_for "photos/"
keys Escape
wait_for "Which partition's files do you want to see?"
keys Escape
wait_for "Images found (1)"
keys Escape
wait_for "What to do"
tui_quit

# a damaged chunk under photos/a.jpg: the rest is copied, a.jpg is named (zeros where unreadable)
mkdir "$W/bad" "$W/out2"
cp "$W/images/disk.lbi" "$W/bad/bad.lbi"
dd if="$W/disk.img" of="$W/part.img" bs=1M skip=1 count=180 status=none
blk=$(debugfs -R "bmap /photos/a.jpg 180" "$W/part.img" 2>/dev/null)
[ -n "$blk" ] && [ "$blk" -gt 0 ] || fail "no block for a.jpg"
python3 - "$W/bad/bad.lbi" $((1048576 + blk * 4096)) <<'PY' || fail "no chunk found to damage"
import struct, sys
f = open(sys.argv[1], "r+b"); data = f.read(); want = int(sys.argv[2]); pos = 64
while pos + 40 <= len(data):
    typ, off, length, stored = data[pos + 4], *struct.unpack("<Q", data[pos+8:pos+16]), \
        *struct.unpack("<I", data[pos+20:pos+24]), *struct.unpack("<I", data[pos+24:pos+28])
    if typ == 2 and off <= want < off + length and stored > 64:
        p = pos + 40 + stored // 2; f.seek(p); f.write(bytes([data[p] ^ 0x55])); sys.exit(0)
    pos += 40 + stored
sys.exit(1)
PY
tui_start --disk "$W/disk.img" --images-dir "$W/bad"
wait_for "What to do"
keys f
wait_for "Images found (1)"
keys Enter
wait_for "Which partition's files do you want to see?"
keys Enter
wait_for "Folder: /  ("
select_row "photos/"
keys Space
wait_for "Marked: 1 entry, 1 file"
keys c
wait_for "Copy to: choose a folder"
keys Down Enter
wait_for "Folder: $W"
select_row "out2/"
keys Enter
wait_for "Folder: $W/out2"
keys Enter
wait_for "Copy 1 entry"
keys y
wait_for "Copy finished with errors" 60
screen_trim
wait_for "could not be copied whole"
wait_for "Could not be copied (1)"
wait_for "a.jpg"
[ -f "$W/out2/photos/a.jpg" ] || fail "a.jpg was not copied at all"
[ "$(stat -c %s "$W/out2/photos/a.jpg")" = "$(stat -c %s "$S/photos/a.jpg")" ] ||
	fail "a.jpg has the wrong size"
! cmp -s "$S/photos/a.jpg" "$W/out2/photos/a.jpg" || fail "a.jpg copied whole from a damaged chunk"
keys Enter
wait_for "Marked: 1 entry"                # not a full copy: the marks stay
keys Escape
wait_for "Leave this filesystem?"
keys y
wait_for "Which partition's files do you want to see?"
keys Escape
wait_for "Images found (1)"
keys Escape
wait_for "What to do"
tui_quit

[ "$(cat "$W/images/disk.lbi" "$W/enc/enc.lbi" | md5sum)" = "$sum_before" ] ||
	fail "an image changed"
echo "browse_image: ok"
