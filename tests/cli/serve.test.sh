#!/usr/bin/env bash
# lifeboat serve: a real GPT disk (BIOS boot, FAT32 ESP, ext4, swap, an unallocated tail) backed
# up and served over a Unix socket. Read whole by qemu-img (raw, qcow2, vhdx) and nbdfuse, it
# equals a restore onto a blank file; nbdinfo --map shows holes where the image holds nothing;
# several clients at once; a hostile client (garbage, bad haggling, reads past the end, huge
# lengths, writes on a read-only export, clients vanishing mid-reply) gets the protocol's
# answers and the server still serves; --overlay takes writes (qemu-io) and the image file does
# not change, and the writes are there again after a restart; a flipped byte in a chunk is an
# I/O error on that chunk's range only; an encrypted image is served with --key-file; SIGINT
# stops the server cleanly and removes its socket.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$(dirname "$0")/lib.sh"
command -v qemu-img >/dev/null && command -v qemu-io >/dev/null || skip "qemu-utils not installed"
command -v nbdinfo >/dev/null || skip "nbdinfo (libnbd-bin) not installed"
PID=
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; cleanup' EXIT

start() { # LOG ARGS...: serve in the background, wait until it listens
	local log=$1 i; shift
	: >"$log"                    # before the child opens it: the old "serving" must not count
	"$LIFEBOAT" serve "$@" 2>>"$log" &
	PID=$!
	for i in $(seq 200); do
		grep -q "serving" "$log" && return 0
		kill -0 "$PID" 2>/dev/null || { cat "$log" >&2; fail "serve $* exited"; }
		sleep 0.05
	done
	fail "serve $* did not start"
}
stop() { # SIGINT: exit 0, socket gone
	local rc=0
	kill -INT "$PID"; wait "$PID" || rc=$?
	PID=
	[ "$rc" = 0 ] || fail "serve exited $rc on SIGINT"
	[ ! -e "$1" ] || fail "serve left its socket $1 behind"
}

build_gpt_disk src.img
src_sum=$(sum src.img)
size=$(stat -c %s src.img)
lb backup src.img img.lbi --quiet
truncate -s "$size" ref.img
lb restore img.lbi ref.img --yes --quiet
img_sum=$(sum img.lbi)
U="nbd+unix:///?socket=$T/s.sock"

start serve.log img.lbi --socket "$T/s.sock"
nbdinfo "$U" >info.txt
grep -q "export-size: $size" info.txt && grep -q "is_read_only: true" info.txt &&
	grep -q "base:allocation" info.txt || { cat info.txt; fail "nbdinfo"; }
qemu-img convert -f raw -O raw "$U" conv.img
cmp conv.img ref.img || fail "qemu-img convert of the served disk differs from a restore"

# holes: the swap partition's body and the unallocated tail are not in the image
nbdinfo --map "$U" >map.txt
python3 - map.txt "$(( $(part_start src.img 4) + 16 * 1048576 ))" "$(( size - 8 * 1048576 ))" <<'PY' || { cat map.txt; fail "nbdinfo --map"; }
import sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
def kind(x):
    for r in rows:
        if int(r[0]) <= x < int(r[0]) + int(r[1]):
            return int(r[2])
for x in map(int, sys.argv[2:]):
    assert kind(x) == 3, "%d is not a hole" % x
assert kind(0) == 0, "offset 0 is not data"
holes = sum(int(r[1]) for r in rows if r[2] == "3")
assert holes > 100 << 20, "only %d bytes of holes" % holes
PY

# other formats through qemu-img, and several clients at once
qemu-img convert -f raw -O qcow2 "$U" out.qcow2
qemu-img compare -f qcow2 -F raw out.qcow2 ref.img >/dev/null || fail "qcow2 differs from the restore"
qemu-img convert -f raw -O vhdx "$U" out.vhdx
qemu-img compare -f vhdx -F raw out.vhdx ref.img >/dev/null || fail "vhdx differs from the restore"
for i in 1 2 3 4; do qemu-img convert -f raw -O raw "$U" "par$i.img" & done
wait %2 %3 %4 %5 2>/dev/null || true
for i in 1 2 3 4; do cmp "par$i.img" ref.img || fail "parallel client $i read something else"; done
rm -f par*.img out.vhdx

# nbdfuse, when FUSE works here
if command -v nbdfuse >/dev/null && [ -e /dev/fuse ]; then
	mkdir fuse
	nbdfuse -r fuse "$U" & fpid=$!
	for i in $(seq 100); do [ -e fuse/nbd ] && break; sleep 0.1; done
	cmp fuse/nbd ref.img || fail "nbdfuse: the disk differs from the restore"
	fusermount -u fuse 2>/dev/null || umount fuse
	wait "$fpid" || true
	echo "nbdfuse: equal to the restore"
else
	echo "nbdfuse: not available here, not tested"
fi
# nbd-client needs the kernel's nbd driver
if command -v nbd-client >/dev/null && { [ -e /dev/nbd0 ] || modprobe nbd 2>/dev/null; } && [ -e /dev/nbd0 ]; then
	nbd-client -unix "$T/s.sock" /dev/nbd0 -readonly >/dev/null 2>&1 || fail "nbd-client could not connect"
	cmp /dev/nbd0 ref.img || { nbd-client -d /dev/nbd0; fail "/dev/nbd0 differs from the restore"; }
	nbd-client -d /dev/nbd0 >/dev/null 2>&1
	echo "nbd-client: equal to the restore"
else
	echo "nbd-client: no nbd driver here, not tested"
fi

# read-only: a write is refused, the image stays as it was
! qemu-io -f raw -c 'write -P 0xab 0 64k' "$U" >/dev/null 2>&1 || fail "a read-only export took a write"

# hostile clients, then it still serves what it served
python3 "$HERE/nbd_hostile.py" "$T/s.sock" "$size" || fail "hostile client"
kill -0 "$PID" || fail "the server died"
qemu-img convert -f raw -O raw "$U" conv.img
cmp conv.img ref.img || fail "after the hostile client the served disk differs"
stop "$T/s.sock"
[ "$(sum img.lbi)" = "$img_sum" ] || fail "serving changed the image"

# --overlay: writes land in the overlay, reads see them, the image does not change
start serve.log img.lbi --socket "$T/s.sock" --overlay ov.bin
qemu-io -f raw -c 'write -P 0xab 0 64k' -c 'write -P 0xcd 5000 3000' -c 'write -z 1M 1M' \
	-c "write -P 0xef $((size - 6000)) 6000" "$U" >qio.txt || { cat qio.txt; fail "qemu-io write"; }
qemu-io -r -f raw -c 'read -P 0xab 0 5000' -c 'read -P 0xcd 5000 3000' -c 'read -P 0xab 8000 57536' \
	-c 'read -P 0 1M 1M' -c "read -P 0xef $((size - 6000)) 6000" "$U" >qio.txt
! grep -q "failed" qio.txt || { cat qio.txt; fail "overlay: the writes do not read back"; }
python3 - ref.img want.img "$size" <<'PY'
import shutil, sys
shutil.copyfile(sys.argv[1], sys.argv[2]); size = int(sys.argv[3])
with open(sys.argv[2], "r+b") as f:
    for off, b, n in ((0, 0xab, 65536), (5000, 0xcd, 3000), (1 << 20, 0, 1 << 20), (size - 6000, 0xef, 6000)):
        f.seek(off); f.write(bytes([b]) * n)
PY
qemu-img convert -f raw -O raw "$U" conv.img
cmp conv.img want.img || fail "overlay: the disk is not the image with the writes"
stop "$T/s.sock"
[ "$(sum img.lbi)" = "$img_sum" ] || fail "writing through the overlay changed the image"
start serve.log img.lbi --socket "$T/s.sock" --overlay ov.bin
qemu-img convert -f raw -O raw "$U" conv.img
cmp conv.img want.img || fail "overlay: the writes are gone after a restart"
stop "$T/s.sock"
lb backup src.img other.lbi --quiet
lb_expect_fail 4 "another image" serve other.lbi --socket "$T/s.sock" --overlay ov.bin
lb_expect_fail 4 "not a Lifeboat overlay" serve img.lbi --socket "$T/s.sock" --overlay ref.img
lb_expect_fail 4 "image itself" serve img.lbi --socket "$T/s.sock" --overlay img.lbi

# a damaged chunk: an I/O error on its range, never other data; the rest reads fine
cp img.lbi bad.lbi
read -r doff dlen < <(python3 - bad.lbi <<'PY'
import struct, sys
f = open(sys.argv[1], "r+b"); data = f.read()
pos = 64
while pos + 40 <= len(data):
    magic, typ, codec, flags, off, next_, length, stored = struct.unpack("<IBBHQIII", data[pos:pos+28])
    if typ == 2 and codec != 0 and next_ == 0 and stored > 4096 and off >= 4 << 20:
        p = pos + 40 + stored // 2
        f.seek(p); f.write(bytes([data[p] ^ 0x55]))
        print(off, length); break
    pos += 40 + stored
PY
)
[ -n "$doff" ] || fail "no data chunk found to damage"
start serve.log bad.lbi --socket "$T/s.sock"
qemu-io -r -f raw -c "read $doff 4096" "$U" >qio.txt 2>&1 || true
grep -q "Input/output error" qio.txt || { cat qio.txt; fail "reading the damaged chunk did not fail with EIO"; }
qemu-io -r -f raw -c "read $((doff + dlen - 512)) 512" "$U" >qio.txt 2>&1 || true
grep -q "Input/output error" qio.txt || { cat qio.txt; fail "the damaged chunk's last sector read without error"; }
qemu-io -r -f raw -c "read -P 0 0 0" -c "read 0 1M" "$U" >qio.txt 2>&1
! grep -q "error" qio.txt || { cat qio.txt; fail "a range away from the damage failed"; }
! qemu-img convert -f raw -O raw "$U" conv.img 2>/dev/null || fail "a convert of a damaged image succeeded"
grep -q "damaged.*disk offset $doff" serve.log || { cat serve.log; fail "the server did not log the damage"; }
stop "$T/s.sock"

# an encrypted image, served with its key file
printf 'served secret\n' >key
lb backup src.img enc.lbi --key-file key --quiet
lb_expect_fail 8 "passphrase" serve enc.lbi --socket "$T/s.sock"
start serve.log enc.lbi --socket "$T/s.sock" --key-file key
qemu-img convert -f raw -O raw "$U" conv.img
cmp conv.img ref.img || fail "the encrypted image served differs from the restore"
stop "$T/s.sock"

# TCP on 127.0.0.1 by default
port=$((20000 + RANDOM % 20000))
start serve.log img.lbi --port "$port"
grep -q "127.0.0.1 port $port" serve.log || fail "TCP: not on 127.0.0.1"
nbdinfo "nbd://127.0.0.1:$port" | grep -q "export-size: $size" || fail "TCP: nbdinfo"
# SIGTERM with a client connected and idle: the server cuts it off and exits at once
python3 -c '
import socket, struct, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.recv(18); s.sendall(struct.pack(">I", 3))
s.sendall(struct.pack(">QII", 0x49484156454F5054, 1, 0)); s.recv(10)
open("held", "w").close()
s.settimeout(60); print("closed" if not s.recv(1) else "data")
' "$port" >held.txt & hpid=$!
for i in $(seq 100); do [ -e held ] && break; sleep 0.05; done
t0=$SECONDS
kill -TERM "$PID"; wait "$PID" || fail "serve exited non-zero on SIGTERM"; PID=
[ $((SECONDS - t0)) -le 5 ] || fail "serve took $((SECONDS - t0)) s to stop with a client connected"
wait "$hpid"; grep -q closed held.txt || fail "the idle client was not cut off"

[ "$(sum src.img)" = "$src_sum" ] || fail "the source changed"
echo "serve: qemu-img raw/qcow2/vhdx, map, clients, hostile client, overlay, damage, encryption, TCP ok"
