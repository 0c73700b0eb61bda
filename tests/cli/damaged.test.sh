#!/usr/bin/env bash
# Damaged images are refused with a specific message and exit status 3: truncation at many
# points, flipped bytes anywhere, missing segments, foreign files, a newer major version.
# A restore from a damaged image file writes nothing to the target.
. "$(dirname "$0")/lib.sh"
random_disk src.img 48
sgdisk -n1:2048:+40M src.img >/dev/null
mkdir t; cp -r /usr/include/linux t/; head -c 2M /dev/urandom >t/r.bin
mk_ext src.img 1 ext4 t
lb backup src.img img.lbi --quiet
size=$(stat -c %s img.lbi)
random_target dst.img 48; cp dst.img clean.img
clean=$(sum dst.img)
damaged='truncated|incomplete|ends early|end marker|too short|damaged|corrupted|empty'

# truncation: fixed points around every structure, plus random ones
points="0 1 8 63 64 65 104 $((size / 3)) $((size / 2)) $((size - 4096)) $((size - 81)) $((size - 41)) $((size - 40)) $((size - 1))"
for i in $(seq 12); do points="$points $(( (RANDOM * 32768 + RANDOM) % size ))"; done
for p in $points; do
	head -c "$p" img.lbi >cut.lbi
	if [ "$p" -lt 64 ]; then pat="not a Lifeboat image|too short|empty|ends"; else pat=$damaged; fi
	lb_expect_fail 3 "$pat" verify cut.lbi
	lb_expect_fail 3 "$pat" restore cut.lbi dst.img --yes
	[ "$(sum dst.img)" = "$clean" ] || fail "restore of an image cut at $p wrote to the target"
done
echo "truncation: $(echo $points | wc -w) points refused"

# flipped bytes: anywhere in the file
for i in $(seq 40); do
	p=$(( (RANDOM * 32768 + RANDOM) % size ))
	[ "$i" -le 4 ] && p=$(( (i - 1) * 20 + 5 ))      # inside the segment header
	cp img.lbi flip.lbi
	python3 - "$p" <<'PY'
import sys
p = int(sys.argv[1])
with open("flip.lbi", "r+b") as f:
    f.seek(p); b = f.read(1); f.seek(p); f.write(bytes([b[0] ^ 0x5a]))
PY
	lb_expect_fail 3 "$damaged|checksum|signature" verify flip.lbi
	grep -Eq "offset [0-9]+|segment|header|signature" err.txt || fail "flip at $p: message does not say where"
done
echo "flips: 40 refused"
# a flip inside chunk data: restore stops with the chunk named, and says it did not complete
cp img.lbi flip.lbi
printf '\xff\xff\xff\xff' | dd of=flip.lbi bs=1 seek=$((size / 2)) conv=notrunc status=none
lb_expect_fail 3 "damaged" restore flip.lbi dst.img --yes
grep -q "did NOT complete" err.txt || fail "a failed restore did not say so"
cp clean.img dst.img

# segments: missing middle, missing last, one from another image
lb backup src.img s.lbi --split 2M --quiet
lb backup src.img other.lbi --split 2M --quiet
last=$(ls s.lbi.[0-9][0-9][0-9] | tail -n1)
mv s.lbi.002 keep
lb_expect_fail 3 "segment 2 .*missing" verify s.lbi
mv keep s.lbi.002
mv "$last" keep
lb_expect_fail 3 "incomplete|last segment" verify s.lbi
mv keep "$last"
cp other.lbi.002 s.lbi.002
lb_expect_fail 3 "different image" verify s.lbi

# foreign files
head -c 100000 /dev/urandom >random.bin
lb_expect_fail 3 "not a Lifeboat image|signature" verify random.bin
lb_expect_fail 3 "not a Lifeboat image|signature" info src.img
: >empty.lbi
lb_expect_fail 3 "empty" restore empty.lbi dst.img --yes
echo "hello" >text.lbi
lb_expect_fail 3 "too short|not a Lifeboat" verify text.lbi
lb_expect_fail 3 "not a Lifeboat image|signature|ended" restore - dst.img --yes <random.bin
[ "$(sum dst.img)" = "$clean" ] || fail "a foreign image wrote to the target"

# a newer major version
cp img.lbi new.lbi
python3 - <<'PY'
import struct, zlib
with open("new.lbi", "r+b") as f:
    h = bytearray(f.read(64))
    h[8:10] = struct.pack("<H", 3)
    h[60:64] = struct.pack("<I", zlib.crc32(bytes(h[:60])))
    f.seek(0); f.write(h)
PY
lb_expect_fail 3 "version 3\.[0-9].*newer Lifeboat" verify new.lbi
echo ok
