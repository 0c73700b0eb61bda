#!/usr/bin/env bash
# Format 2.0 (docs/FORMAT.md): both codecs round trip onto old random data (files, a pipe)
# and compare over every range the image carries; info names codec, level and checksum; the
# payload of a zstd, a stored and a zero chunk has the layout the spec gives (an independent
# XXH3-128 by xxh128sum, the CRC-32 by zlib); damage is told apart: a flipped stored byte is a
# CRC error naming the chunk, a flipped byte with the CRC fixed a checksum mismatch after
# decoding; the encrypted flag without a KEY record and unknown segment flags are refused; --resume and
# verify --against on 2.0 images.
. "$(dirname "$0")/lib.sh"
command -v xxh128sum >/dev/null || skip "no xxh128sum (xxhash)"
build_gpt_disk src.img
sum0=$(sum src.img)

for codec in zstd deflate; do
	lb backup src.img $codec.lbi --codec $codec --quiet
	lb info $codec.lbi >info.txt
	grep -q "format: *Lifeboat image 2.0" info.txt || { cat info.txt; fail "$codec: not a 2.0 image"; }
	lvl=3; [ $codec = deflate ] && lvl=2
	grep -q "chunks: *$codec level $lvl, XXH3-128 checksums" info.txt || { cat info.txt; fail "info: $codec"; }
	lb info $codec.lbi --json | grep -q "\"codec\":\"$codec\",\"level\":$lvl,\"checksum\":\"XXH3-128\"" ||
		fail "info --json: $codec"
	lb verify $codec.lbi --quiet
	random_target dst.img 300
	lb restore $codec.lbi dst.img --yes --quiet
	check_gpt_disk src.img dst.img
	lb verify $codec.lbi --against dst.img --quiet
done
random_target dst.img 300
lb restore - dst.img --yes --quiet <deflate.lbi
lb verify zstd.lbi --against dst.img --quiet
# other levels decode the same; higher is smaller
lb backup src.img z1.lbi --level 1 --quiet
lb backup src.img z9.lbi --level 9 --quiet
[ "$(stat -c %s z9.lbi)" -lt "$(stat -c %s z1.lbi)" ] || fail "zstd level 9 is not smaller than level 1"
[ "$(stat -c %s zstd.lbi)" -lt "$(stat -c %s deflate.lbi)" ] || fail "zstd 3 is not smaller than deflate 2"
lb verify z1.lbi --against src.img --quiet

# records of an image: "file_offset type codec offset nextents length stored" per line
records() {
	python3 - "$1" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
p = 64
while p + 40 <= len(b):
    off, nx, ln, st = struct.unpack_from("<QIII", b, p + 8)
    print(p, b[p + 4], b[p + 5], off, nx, ln, st)
    p += 40 + st
PY
}
records zstd.lbi >rec.txt
# the layout of each kind of chunk payload, checked with tools other than Lifeboat
python3 - zstd.lbi src.img rec.txt <<'PY' || fail "a chunk payload does not have the 2.0 layout"
import struct, subprocess, sys, zlib
img, src = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb")
seen = set()
for line in open(sys.argv[3]):
    p, t, codec, off, nx, ln, st = map(int, line.split())
    if t != 2:
        continue
    h, pay = img[p:p + 40], img[p + 40:p + 40 + st]
    assert struct.unpack_from("<I", h, 28)[0] == zlib.crc32(pay), "payload CRC at %d" % p
    table = pay[:nx * 16]
    ranges = [struct.unpack_from("<QQ", table, i * 16) for i in range(nx)] or [(off, ln)]
    data = b""
    for o, l in ranges:
        src.seek(o); data += src.read(l)
    if codec == 0:
        assert len(pay) == nx * 16 and data == bytes(len(data))
    else:
        want = subprocess.run(["xxh128sum", "-"], input=table + data, capture_output=True,
                              check=True).stdout.split()[0].decode()
        assert pay[nx * 16:nx * 16 + 16].hex() == want, "XXH3-128 of chunk at %d" % off
        if codec == 1:
            assert pay[nx * 16 + 16:] == data
        if codec == 3:
            assert pay[nx * 16 + 16:nx * 16 + 20] == b"\x28\xb5\x2f\xfd", "zstd magic"
    seen.add((codec, nx > 0))
assert {0, 1, 3} <= {c for c, _ in seen} and (3, True) in seen, seen
PY

random_target dst.img 300
cp dst.img clean.img; clean=$(sum dst.img)
untouched() { [ "$(sum dst.img)" = "$clean" ] || fail "$1: the target was written to"; }
# patch IMAGE FILE_OFFSET HEX [HEADER_OFFSET]: overwrite bytes; with HEADER_OFFSET recompute
# that record's payload CRC and header CRC, so only the checks behind them can fail
patch() {
	python3 - "$@" <<'PY'
import struct, sys, zlib
f, off, data = sys.argv[1], int(sys.argv[2]), bytes.fromhex(sys.argv[3])
b = bytearray(open(f, "rb").read())
b[off:off + len(data)] = bytes(x ^ y for x, y in zip(b[off:off + len(data)], data))
if len(sys.argv) > 4:
    h = int(sys.argv[4]); n = struct.unpack_from("<I", b, h + 24)[0]
    struct.pack_into("<I", b, h + 28, zlib.crc32(bytes(b[h + 40:h + 40 + n])))
    struct.pack_into("<I", b, h + 36, zlib.crc32(bytes(b[h:h + 36])))
open(f, "wb").write(b)
PY
}
# chunk N of the image: "file_offset codec nextents" (N counts chunks only)
chunk() { awk -v n="$1" '$2 == 2 { if (i++ == n) print $1, $3, $5 }' rec.txt; }
nz=$(awk '$2 == 2 && $3 == 3 { print i } $2 == 2 { i++ }' rec.txt | sed -n 3p)   # a zstd chunk
ns=$(awk '$2 == 2 && $3 == 1 { print i } $2 == 2 { i++ }' rec.txt | head -n1)    # a stored one
read -r pz _ tz <<<"$(chunk "$nz")"
read -r ps _ _ <<<"$(chunk "$ns")"
dz=$(( pz + 40 + tz * 16 + 16 + 20 ))    # inside the zstd data
# 1. a flipped byte in a chunk's stored bytes: a CRC error naming the chunk, before decoding
cp zstd.lbi bad.lbi; patch bad.lbi $dz 01
lb_expect_fail 3 "chunk $nz \(disk offset [0-9]+, stream offset $((pz - 64))\): its stored bytes are damaged \(CRC-32 mismatch\)" verify bad.lbi
lb_expect_fail 3 "chunk $nz .*CRC-32 mismatch" verify - <bad.lbi
lb_expect_fail 3 "chunk $nz .*CRC-32 mismatch" restore bad.lbi dst.img --yes
grep -q "did NOT complete" err.txt || fail "a failed restore did not say so"
cp clean.img dst.img   # (the chunks before the damaged one were written: errors are in order)
# 2. the checksum itself changed, CRC fixed: the data decodes but does not match it
cp zstd.lbi bad.lbi; patch bad.lbi $(( pz + 40 + tz * 16 + 5 )) 40 $pz
lb_expect_fail 3 "chunk $nz .*checksum mismatch after decoding \(the image says xxh3-128 [0-9a-f]{32}, the data gives xxh3-128 [0-9a-f]{32}\)" verify bad.lbi
# 3. a stored chunk's data changed, CRC fixed: the checksum catches it
cp zstd.lbi bad.lbi; patch bad.lbi $(( ps + 40 + 16 + 1000 )) 80 $ps
lb_expect_fail 3 "chunk $ns .*checksum mismatch after decoding" verify bad.lbi
lb_expect_fail 3 "chunk $ns .*checksum mismatch" restore - dst.img --yes <bad.lbi
cp clean.img dst.img
# 4. zstd data changed, CRC fixed: it no longer decodes, or decodes to the wrong bytes
cp zstd.lbi bad.lbi; patch bad.lbi $dz ff $pz
lb_expect_fail 3 "chunk $nz .*(does not decode|checksum mismatch after decoding)" verify bad.lbi
# 5. cut inside a chunk: refused at open (files), named as an early end (pipes)
head -c $(( dz + 10 )) zstd.lbi >cut.lbi
lb_expect_fail 3 "incomplete: its end marker is missing" restore cut.lbi dst.img --yes
lb_expect_fail 3 "ends early|truncated|ended" verify - <cut.lbi
untouched "damaged 2.0 images"
# 6. encrypted (flags bit 0, or a KEY record first) and unknown flags
seghdr() { # IMAGE OUT FLAGS
	python3 - "$@" <<'PY'
import struct, sys, zlib
b = bytearray(open(sys.argv[1], "rb").read())
struct.pack_into("<I", b, 32, int(sys.argv[3], 0))
struct.pack_into("<I", b, 60, zlib.crc32(bytes(b[:60])))
open(sys.argv[2], "wb").write(b)
PY
}
seghdr zstd.lbi enc.lbi 1
# (real encrypted images: tests/cli/encrypt.test.sh; the flag without a KEY record is damage)
lb_expect_fail 3 "enc.lbi is damaged.*marked encrypted but its key record is missing" verify enc.lbi
lb_expect_fail 3 "marked encrypted but its key record is missing" restore - dst.img --yes <enc.lbi
lb_expect_fail 3 "marked encrypted but its key record is missing" info enc.lbi
seghdr zstd.lbi new.lbi 4
lb_expect_fail 3 "segment flags 0x4\): it needs a newer Lifeboat" verify new.lbi
untouched "refused 2.0 images"

# --resume on a 2.0 image: an unchanged disk is not rewritten; of a damaged chunk, only the 4 KiB
# block that differs is
lb restore zstd.lbi dst.img --yes --quiet
lb restore zstd.lbi dst.img --yes --resume 2>err.txt
grep -q "restored 0 B" err.txt || { cat err.txt; fail "resume rewrote an unchanged disk"; }
dd if=/dev/urandom of=dst.img bs=1K seek=$(( $(part_start src.img 2) / 1024 + 8 )) count=4 conv=notrunc status=none
lb_expect_fail 7 "differs from the image" verify zstd.lbi --against dst.img
lb restore deflate.lbi dst.img --yes --resume 2>err.txt
grep -q "restored 4.00 KiB" err.txt || { cat err.txt; fail "resume did not rewrite exactly the damaged 4 KiB block"; }
check_fat src.img dst.img "$(part_start src.img 2)"
lb verify zstd.lbi --against dst.img --quiet
[ "$(sum src.img)" = "$sum0" ] || fail "the source changed"
echo ok
