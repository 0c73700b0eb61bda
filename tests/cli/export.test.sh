#!/usr/bin/env bash
# lifeboat export IMAGE OUT: a sparse raw disk that cmp equals a restore onto a blank file —
# a real GPT disk (FAT32, ext4, swap, unallocated tail), a rescued image (unreadable ranges,
# patch chunks over zero chunks: exit 6, as restore), an encrypted one, the 1.0 and 1.1
# fixtures, many INDEX records; holes where the image holds nothing; an existing file, a
# device and the image itself are refused; a damaged image fails (exit 3) and leaves nothing.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$(dirname "$0")/lib.sh"
build_gpt_disk src.img
src_sum=$(sum src.img)
size=$(stat -c %s src.img)

# restore_blank IMAGE OUT [restore options...]: a restore onto a new, blank (sparse) file
restore_blank() {
	local img=$1 out=$2 rc=0; shift 2
	rm -f "$out"; truncate -s "$(lb info "$img" "$@" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["source"]["size"])')" "$out"
	lb restore "$img" "$out" --yes --quiet "$@" || rc=$?
	[ "$rc" = 0 ] || [ "$rc" = 6 ] || fail "restore of $img exited $rc"
}

lb backup src.img img.lbi --quiet
restore_blank img.lbi ref.img
lb export img.lbi out.img 2>err.txt || { cat err.txt; fail "export"; }
cmp out.img ref.img || fail "export differs from a restore onto a blank file"
[ "$(stat -c %s out.img)" = "$size" ] || fail "export has the wrong size"
alloc=$(( $(stat -c %b out.img) * 512 ))
[ "$alloc" -lt $((size / 4)) ] || fail "export is not sparse: $alloc of $size bytes allocated"
grep -q "data written" err.txt || fail "export did not say what it wrote"
[ ! -e out.img.part ] || fail "export left out.img.part"

# refusals
lb_expect_fail 4 "exists.*--force" export img.lbi out.img
lb export img.lbi out.img --force --quiet
cmp out.img ref.img || fail "export --force differs"
lb_expect_fail 4 "device" export img.lbi /dev/null --force
lb_expect_fail 4 "image itself" export img.lbi img.lbi --force
mkdir adir
lb_expect_fail 4 "not a regular file" export img.lbi adir --force
lb_expect_fail 2 "needs IMAGE and OUT" export img.lbi

# many INDEX records (an index piece per 7 chunks) and deflate
LIFEBOAT_TEST_INDEX_EVERY=7 lb backup src.img small.lbi --codec deflate --quiet
lb export small.lbi small.img --quiet
cmp small.img ref.img || fail "export of a deflate image with many index records differs"

# a rescued image: zero chunks with unreadable sectors, filled by patch chunks; exit 6 as restore
p3=$(part_start src.img 3); p2=$(part_start src.img 2)
faults="$((p3 + 8 * 1048576 + 4096))+1536,$((p3 + 12 * 1048576 - 32768))+65536,$((p2 + 512))+512,$((1048576 + 4096))+512"
rc=0; LIFEBOAT_FAULTS=$faults lb backup src.img rescued.lbi --retries 1 --quiet 2>/dev/null || rc=$?
[ "$rc" = 6 ] || fail "the rescue backup exited $rc"
python3 - rescued.lbi <<'PY' || fail "the rescued image has no patch chunks: the test tests nothing"
import struct, sys
data = open(sys.argv[1], "rb").read(); pos = 64; n = 0
while pos + 40 <= len(data):
    typ, flags, stored = data[pos + 4], struct.unpack("<H", data[pos+6:pos+8])[0], struct.unpack("<I", data[pos+24:pos+28])[0]
    n += typ == 2 and flags & 2 != 0
    pos += 40 + stored
sys.exit(0 if n else 1)
PY
restore_blank rescued.lbi rescued.ref
lb_expect_fail 6 "could not be read from the source" export rescued.lbi rescued.img
cmp rescued.img rescued.ref || fail "export of a rescued image differs from its restore"

# encrypted
printf 'export key\n' >key
lb backup src.img enc.lbi --key-file key --quiet
lb_expect_fail 8 "passphrase" export enc.lbi enc.img
[ ! -e enc.img ] && [ ! -e enc.img.part ] || fail "a refused export left a file"
lb export enc.lbi enc.img --key-file key --quiet
cmp enc.img ref.img || fail "export of the encrypted image differs"

# the format fixtures: 1.0 and 1.1
for v in 1.0 1.1; do
	f=$HERE/data/format-$v.image
	restore_blank "$f" "old$v.ref"
	lb export "$f" "old$v.img" --quiet
	cmp "old$v.img" "old$v.ref" || fail "export of the $v fixture differs from its restore"
	echo "format $v: export equals restore"
done

# a damaged chunk: exit 3, nothing left behind
cp img.lbi bad.lbi
python3 - bad.lbi <<'PY'
import struct, sys
f = open(sys.argv[1], "r+b"); data = f.read(); pos = 64
while pos + 40 <= len(data):
    typ, codec, stored = data[pos + 4], data[pos + 5], struct.unpack("<I", data[pos+24:pos+28])[0]
    if typ == 2 and codec and stored > 4096:
        p = pos + 40 + stored // 2; f.seek(p); f.write(bytes([data[p] ^ 0x55])); break
    pos += 40 + stored
PY
lb_expect_fail 3 "damaged.*chunk" export bad.lbi bad.img
[ ! -e bad.img ] && [ ! -e bad.img.part ] || fail "a failed export left a file"

[ "$(sum src.img)" = "$src_sum" ] || fail "the source changed"
echo "export: equal to restore (zstd, deflate+index, rescued, encrypted, 1.x), sparse, refusals ok"
