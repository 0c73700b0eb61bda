#!/usr/bin/env bash
# Formats 1.1 and 2.0: the index travels in INDEX records (docs/FORMAT.md). With the test hook
# LIFEBOAT_TEST_INDEX_EVERY a small disk gives many of them. Round trips from files and pipes,
# the independent zlib reader, then damage to INDEX records (cut, flipped, forged, removed)
# refused with exit 3 naming the record and where; a damaged last INDEX record is refused
# before anything is written. Versions 1.2 and 2.1 are refused as needing a newer Lifeboat (the
# 1.0 and 1.1 images of earlier versions: format_old).
data=$(cd "$(dirname "$0")" && pwd)/data
. "$(dirname "$0")/lib.sh"
tool=$(dirname "$LIFEBOAT")/tools/zlib_restore

# A raw disk (no table): 24 chunks of random data and zeros -> INDEX records 0..4 of 5, 5, 5,
# 5 and 4 chunks.
random_disk src.img 24
dd if=/dev/zero of=src.img bs=1M seek=8 count=3 conv=notrunc status=none
sum0=$(sha256sum <src.img)
LIFEBOAT_TEST_INDEX_EVERY=5 lb backup src.img img.lbi --quiet
lb info img.lbi | grep -q "format:.*2\.0" || fail "info does not say 2.0"
lb info img.lbi | grep -q "24 chunks" || fail "info does not count 24 chunks"
lb verify img.lbi --quiet
lb verify - --quiet <img.lbi
random_disk dst.img 24
lb restore img.lbi dst.img --yes --quiet
cmp src.img dst.img || fail "restore from a file differs"
random_disk dst.img 24
lb restore - dst.img --yes --quiet <img.lbi
cmp src.img dst.img || fail "restore from a pipe differs"
random_disk z.img 24
LIFEBOAT_TEST_INDEX_EVERY=5 lb backup src.img deflate.lbi --codec deflate --quiet
"$tool" deflate.lbi z.img >/dev/null
cmp src.img z.img || fail "the zlib reader does not decode a 2.0 deflate image to the disk"
# every chunk followed by its own INDEX record, written to a pipe
LIFEBOAT_TEST_INDEX_EVERY=1 lb backup src.img - --quiet | lb verify - --quiet
LIFEBOAT_TEST_INDEX_EVERY=1 lb backup src.img one.lbi --quiet
lb verify one.lbi --quiet

# records of the image: "file_offset type stored" per line (one segment: stream + 64)
records() {
	python3 - "$1" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
p = 64
while p + 40 <= len(b):
    t, stored = b[p + 4], struct.unpack_from("<I", b, p + 24)[0]
    print(p, t, stored)
    p += 40 + stored
PY
}
records img.lbi >rec.txt
[ "$(awk '$2 == 5' rec.txt | wc -l)" = 5 ] || fail "expected 5 INDEX records"
idx() { awk -v n="$1" '$2 == 5 { if (i++ == n) print $1 }' rec.txt; }   # file offset of INDEX n
i2=$(idx 2) i4=$(idx 4)
s2=$((i2 - 64)) s4=$((i4 - 64))                                         # stream offsets
# patch FILE OFFSET HEXBYTES [fixhdr]: overwrite bytes; fixhdr recomputes the record header CRC
# of the record at OFFSET's header (given as 4th arg) so only the body check can fail
patch() {
	python3 - "$@" <<'PY'
import struct, sys, zlib
f, off, data = sys.argv[1], int(sys.argv[2]), bytes.fromhex(sys.argv[3])
b = bytearray(open(f, "rb").read())
b[off:off + len(data)] = data
if len(sys.argv) > 4:
    h = int(sys.argv[4])
    if len(sys.argv) > 5:   # also the body CRC of the record at h
        n = struct.unpack_from("<I", b, h + 24)[0]
        struct.pack_into("<I", b, h + 28, zlib.crc32(bytes(b[h + 40:h + 40 + n])))
    struct.pack_into("<I", b, h + 36, zlib.crc32(bytes(b[h:h + 36])))
open(f, "wb").write(b)
PY
}
random_disk dst.img 24
clean=$(sum dst.img)
untouched() { [ "$(sum dst.img)" = "$clean" ] || fail "$1: restore wrote to the target"; }

# 1. cut in the middle of INDEX record 2: the end marker is gone, refused at open
head -c $((i2 + 40 + 30)) img.lbi >cut.lbi
lb_expect_fail 3 "incomplete: its end marker is missing" verify cut.lbi
lb_expect_fail 3 "incomplete: its end marker is missing" restore cut.lbi dst.img --yes
untouched "cut INDEX"
lb_expect_fail 3 "ends early|truncated|stream offset $((s2 + 40))" verify - <cut.lbi

# 2. a flipped byte in the body of INDEX record 2 (header intact)
cp img.lbi bad.lbi; patch bad.lbi $((i2 + 40 + 3)) ff
lb_expect_fail 3 "stream offset $s2: index record 2 \(chunks 10 to 14\) is corrupted \(checksum mismatch\)" verify bad.lbi
lb_expect_fail 3 "index record 2 \(chunks 10 to 14\) is corrupted" verify - <bad.lbi
lb_expect_fail 3 "index record 2 .* is corrupted" restore bad.lbi dst.img --yes
grep -q "did NOT complete" err.txt || fail "a restore stopped by a bad INDEX did not say so"
random_disk dst.img 24; clean=$(sum dst.img)

# 3. INDEX record 2's CRC field changed: its header no longer checks
cp img.lbi bad.lbi; patch bad.lbi $((i2 + 28)) 00000000
lb_expect_fail 3 "index record 2 .*stream offset $s2: the record header is corrupted" verify bad.lbi
lb_expect_fail 3 "stream offset $s2: the record header is corrupted" verify - <bad.lbi

# 4. a forged entry with every CRC fixed: the chunk offsets no longer match
cp img.lbi bad.lbi; patch bad.lbi $((i2 + 40 + 24)) 0100000000000000 "$i2" body
lb_expect_fail 3 "index record 2 .* is inconsistent with the trailer" verify bad.lbi
lb_expect_fail 3 "index record 2 .* does not match the chunks it describes" verify - <bad.lbi

# 5. the last INDEX record corrupted: refused at open, nothing written
cp img.lbi bad.lbi; patch bad.lbi $((i4 + 40 + 5)) 77
lb_expect_fail 3 "stream offset $s4: index record 4 \(chunks 20 to 23\) is corrupted" restore bad.lbi dst.img --yes
untouched "corrupt last INDEX"

# 6. the last INDEX record removed (the end marker fixed to point at the moved trailer)
python3 - img.lbi "$i4" <<'PY'
import struct, sys, zlib
b = bytearray(open(sys.argv[1], "rb").read()); i = int(sys.argv[2])
n = 40 + struct.unpack_from("<I", b, i + 24)[0]
b[i:i + n] = b""
e = len(b) - 40
struct.pack_into("<Q", b, e + 8, struct.unpack_from("<Q", b, e + 8)[0] - n)
struct.pack_into("<I", b, e + 36, zlib.crc32(bytes(b[e:e + 36])))
open("noidx.lbi", "wb").write(b)
PY
lb_expect_fail 3 "stream offset $s4: the last index record \(4, of chunks 20 to 23\) is missing" verify noidx.lbi
lb_expect_fail 3 "the last index record \(4, .*\) is missing" restore noidx.lbi dst.img --yes
untouched "missing last INDEX"
lb_expect_fail 3 "stream offset $s4: the index record of the last chunks is missing" verify - <noidx.lbi

# 7. a middle INDEX record removed, from a pipe: noticed at the chunk that follows
python3 - img.lbi "$i2" <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read()); i = int(sys.argv[2])
n = 40 + struct.unpack_from("<I", b, i + 24)[0]
open("nomid.lbi", "wb").write(b[:i] + b[i + n:])
PY
lb_expect_fail 3 "stream offset $s2: the index record after chunk 14 is missing" verify - <nomid.lbi

# 8. versions 1.2 and 2.1: need a newer Lifeboat (file and pipe)
for v in "1 2" "2 1"; do
	cp img.lbi new.lbi
	python3 - $v <<'PY'
import struct, sys, zlib
with open("new.lbi", "r+b") as f:
    h = bytearray(f.read(64))
    h[8:12] = struct.pack("<HH", int(sys.argv[1]), int(sys.argv[2]))
    h[60:64] = struct.pack("<I", zlib.crc32(bytes(h[:60])))
    f.seek(0); f.write(h)
PY
	lb_expect_fail 3 "format version ${v/ /\\.}.*reads versions 1\.0, 1\.1 and 2\.0: it needs a newer Lifeboat" verify new.lbi
	lb_expect_fail 3 "format version ${v/ /\\.}.*newer Lifeboat" restore - dst.img --yes <new.lbi
	untouched "version $v"
done
[ "$(sha256sum <src.img)" = "$sum0" ] || fail "the source changed"
echo ok
