#!/usr/bin/env bash
# An independent reader of format 2.0 (tests/tools/lbi2_restore.c, written from docs/FORMAT.md
# with libzstd, zlib and libxxhash, no engine code) restores zstd, deflate and split images of
# an MBR disk (FAT32, ext4, a partition of unknown type holding random data, a sparse tail) and
# of the GPT system disk to the same bytes as lifeboat restore does; it refuses a flipped byte
# (by the record CRC), a flipped byte whose CRC was recomputed (by the XXH3-128 checksum), a
# truncated image and a missing segment. Images come from files, segments and pipes.
. "$(dirname "$0")/lib.sh"
tool=$(dirname "$LIFEBOAT")/tools/lbi2_restore
[ -x "$tool" ] || fail "missing $tool (make unit)"

# MBR disk by sfdisk: FAT32 with files, ext4 with files, type 0xda (non-fs data) full of random
# bytes, free space of old random data, then a 256 MiB hole (a sparse file: zero chunks).
random_disk mbr.img 200
sfdisk -q mbr.img <<'EOF'
label: dos
start=2048, size=40M, type=c
size=100M, type=83
size=16M, type=da
EOF
make_tree tree
mk_fat mbr.img 1 32 tree/etc
mk_ext mbr.img 2 ext4 tree
truncate -s 456M mbr.img
build_gpt_disk gpt.img
md5_mbr=$(md5sum <mbr.img) md5_gpt=$(md5sum <gpt.img)

restore_both() { # IMAGE SOURCE: lbi2_restore and lifeboat restore onto zero files agree
	local img=$1 src=$2 size; size=$(stat -c %s "$src")
	rm -f a.img b.img; truncate -s "$size" b.img
	"$tool" "$img" a.img >out.txt || fail "lbi2_restore refused $img"
	grep -q "restored and checked" out.txt || fail "lbi2_restore printed no summary"
	[ "$(stat -c %s a.img)" = "$size" ] || fail "lbi2_restore made a ${size}-byte disk of another size"
	lb restore "$img" b.img --yes --quiet
	cmp a.img b.img || fail "lbi2_restore and lifeboat restore differ ($img)"
}

for disk in mbr gpt; do
	lb backup $disk.img $disk-zstd.lbi --quiet
	lb info $disk-zstd.lbi | grep -q "chunks: *zstd level 3, XXH3-128" || fail "info: not zstd"
	restore_both $disk-zstd.lbi $disk.img
	# onto the same old data too: zero chunks must be written, ranges outside chunks left alone
	random_target r1.img $(( $(stat -c %s $disk.img) / 1048576 )); cp r1.img r2.img
	"$tool" $disk-zstd.lbi r1.img >/dev/null || fail "lbi2_restore onto old data"
	lb restore $disk-zstd.lbi r2.img --yes --quiet
	cmp r1.img r2.img || fail "lbi2_restore and lifeboat restore differ over old data ($disk)"
	rm -f r1.img r2.img
	if [ $disk = mbr ]; then
		# content checked against the source, not only against lifeboat restore
		cmp_range mbr.img a.img "$(part_start mbr.img 3)" "$(part_size mbr.img 3)"
		cmp_range mbr.img a.img 0 1048576
		check_ext mbr.img a.img "$(part_start mbr.img 2)"
		check_fat mbr.img a.img "$(part_start mbr.img 1)"
		[ "$(du -B1 a.img | cut -f1)" -lt $((200 * 1048576)) ] || fail "lbi2_restore's output is not sparse"
		lb backup mbr.img - --quiet | "$tool" - c.img >/dev/null || fail "lbi2_restore of a backup to a pipe"
		cmp a.img c.img || fail "lbi2_restore of a backup to a pipe differs"
	else
		check_gpt_disk gpt.img a.img
	fi
	lb backup $disk.img $disk-deflate.lbi --codec deflate --quiet
	lb info $disk-deflate.lbi | grep -q "chunks: *deflate" || fail "info: not deflate"
	restore_both $disk-deflate.lbi $disk.img
	LIFEBOAT_TEST_INDEX_EVERY=5 lb backup $disk.img $disk-split.lbi --split 2M --quiet
	[ -f $disk-split.lbi.003 ] || fail "--split 2M wrote no third segment"
	restore_both $disk-split.lbi $disk.img
	grep -q "INDEX records, [0-9]* segments" out.txt || fail "no segment count"
	grep -q " 1 segments" out.txt && fail "the split image was read as one segment"
	cat $disk-split.lbi $disk-split.lbi.[0-9]* | "$tool" - c.img >/dev/null || fail "lbi2_restore from a pipe"
	cmp a.img c.img || fail "lbi2_restore from a pipe differs"
	rm -f a.img b.img c.img
done
[ "$(md5sum <mbr.img)" = "$md5_mbr" ] && [ "$(md5sum <gpt.img)" = "$md5_gpt" ] || fail "a source changed"

# Damage. locate.py prints the stream offset of the payload of the first stored (codec 1) chunk
# with a single range, and its stored size.
cat >locate.py <<'PY'
import struct, sys, zlib
f = open(sys.argv[1], 'r+b'); mode = sys.argv[2]
pos = 64
while True:
	f.seek(pos); h = f.read(40)
	magic, typ, codec, flags, off, next_, length, stored, crc, seq, hcrc = struct.unpack('<IBBHQIIIIII', h)
	if typ == 4: sys.exit("no stored chunk")
	if typ == 2 and codec == 1 and next_ == 0:
		at = pos + 40 + 16 + length // 2          # a data byte in the middle of the chunk
		f.seek(at); b = f.read(1); f.seek(at); f.write(bytes([b[0] ^ 0x20]))
		if mode == 'fixcrc':                      # make the record CRC right again
			f.seek(pos + 40); pay = f.read(stored)
			h = h[:28] + struct.pack('<I', zlib.crc32(pay)) + h[32:36]
			h += struct.pack('<I', zlib.crc32(h))
			f.seek(pos); f.write(h)
		print(off); break
	pos += 40 + stored
PY
cp mbr-zstd.lbi bad.lbi
python3 locate.py bad.lbi flip >/dev/null
! "$tool" bad.lbi a.img 2>err.txt || fail "lbi2_restore accepted a flipped byte"
grep -q "payload CRC mismatch" err.txt || { cat err.txt; fail "no CRC mismatch named"; }
cp mbr-zstd.lbi bad.lbi
at=$(python3 locate.py bad.lbi fixcrc)
! "$tool" bad.lbi a.img 2>err.txt || fail "lbi2_restore accepted a flipped byte under a right CRC"
grep -q "chunk at disk offset $at: XXH3-128 checksum mismatch" err.txt || { cat err.txt; fail "no XXH3 mismatch named"; }
lb_expect_fail 3 "checksum mismatch" restore bad.lbi a.img --yes --quiet   # the engine agrees
head -c -100 mbr-zstd.lbi >bad.lbi
! "$tool" bad.lbi a.img 2>err.txt || fail "lbi2_restore accepted a truncated image"
grep -q "truncated or incomplete" err.txt || { cat err.txt; fail "truncation not named"; }
mv gpt-split.lbi.002 gone
! "$tool" gpt-split.lbi a.img 2>err.txt || fail "lbi2_restore accepted a missing segment"
grep -q "gpt-split.lbi.002 is missing" err.txt || { cat err.txt; fail "missing segment not named"; }
echo ok
