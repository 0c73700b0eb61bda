#!/usr/bin/env bash
# Clone from a failing source (LIFEBOAT_FAULTS, the engine's fault-injection hook): every
# readable byte copied, exactly the unreadable sectors zeros on the target, exit 6, never
# "verified"; verify --against compares the readable part of chunks holding bad sectors; pass 1
# skips ahead in a bad zone; a vanished disk stops the run; an interrupted clone resumes from
# its mapfile without reading again what is on the target; Ctrl-C acts within a second even
# inside a slow rescue pass. LIFEBOAT_READLOG logs every source read ("offset length result").
. "$(dirname "$0")/lib.sh"
M=1048576
# zeros_except SRC DST FAULTS: DST equals SRC except in FAULTS ("off+len,..."), which are zeros
zeros_except() {
	python3 - "$1" "$2" "$3" <<'PY'
import sys
src, dst = open(sys.argv[1], 'rb').read(), open(sys.argv[2], 'rb').read()
faults = sorted(tuple(map(int, f.split('+'))) for f in sys.argv[3].split(','))
pos = 0
for off, ln in faults + [(len(src), 0)]:
    if src[pos:off] != dst[pos:off]:
        i = next(i for i in range(pos, off) if src[i] != dst[i])
        sys.exit(f"readable byte {i} differs")
    if dst[off:off + ln] != bytes(ln):
        sys.exit(f"unreadable range {off}+{ln} is not zeros on the target")
    pos = off + ln
PY
}

# 1. The reproducer: one bad sector in a 16 MiB random source.
head -c 16M /dev/urandom >src.img
random_disk dst.img 16
before=$(sum src.img)
f1=$((5 * M + 4096))+512
rc=0; LIFEBOAT_FAULTS=$f1 lb clone src.img dst.img --yes 2>err.txt || rc=$?
[ "$rc" = 6 ] || { cat err.txt; fail "clone over a bad sector exited $rc, wanted 6"; }
[ "$(sum src.img)" = "$before" ] || fail "source changed"
grep -q "read back and verified" err.txt && { cat err.txt; fail "a partial clone was called verified"; }
grep -q "every readable byte read back and checked" err.txt || { cat err.txt; fail "clone does not say what was checked"; }
grep -q "^  offset $((5 * M + 4096)), 512 bytes$" err.txt || { cat err.txt; fail "bad range not reported"; }
zeros_except src.img dst.img "$f1" || fail "target is not the source with the bad sector zeroed"

# 2. Read-back (restore) and verify --against check the readable part of a chunk that holds
# bad sectors. A small ext2 with gaps (deleted files) makes chunks of several pieces: f1 is
# read in pass 1 and lives only in the chunk flagged BAD (f3's piece fails there).
mkdir ft && for i in 1 2 3 4 5 6; do head -c 65536 /dev/urandom >ft/f$i; done
head -c 8M /dev/urandom >fs.img
mke2fs -q -F -t ext2 -b 1024 -N 64 -d ft fs.img
debugfs -w -R "rm f2" fs.img >/dev/null 2>&1; debugfs -w -R "rm f4" fs.img >/dev/null 2>&1
b1=$(debugfs -R "bmap f1 0" fs.img 2>/dev/null); b3=$(debugfs -R "bmap f3 0" fs.img 2>/dev/null)
faults=$((b3 * 1024 + 512))+512
rc=0; LIFEBOAT_FAULTS=$faults lb backup fs.img img.lbi --quiet 2>err.txt || rc=$?
[ "$rc" = 6 ] || { cat err.txt; fail "backup exited $rc, wanted 6"; }
random_disk res.img 8
rc=0; lb restore img.lbi res.img --yes 2>err.txt || rc=$?
[ "$rc" = 6 ] || { cat err.txt; fail "restore exited $rc, wanted 6"; }
grep -q "read back and verified" err.txt && { cat err.txt; fail "a restore with missing ranges was called verified"; }
grep -q "every readable byte read back and checked" err.txt || { cat err.txt; fail "restore does not say what was checked"; }
e2fsck -fn res.img >fsck.txt 2>&1 || { cat fsck.txt; fail "e2fsck on the restored ext2"; }
lb verify img.lbi --against res.img --quiet || fail "verify --against the restored disk failed"
lb verify img.lbi --against fs.img --quiet || fail "verify --against the source failed"
# one byte of f1 changed on the restored disk: must be found
python3 -c "
import sys; f = open('res.img', 'r+b'); f.seek($b1 * 1024 + 100); c = f.read(1)
f.seek($b1 * 1024 + 100); f.write(bytes([c[0] ^ 0xff]))"
lb_expect_fail 7 "differs from the image" verify img.lbi --against res.img

# 3. A large bad zone: pass 1 skips ahead with a growing distance instead of trying every
# piece; each bad sector is read on its own only once.
head -c 32M /dev/urandom >big.img
random_disk bigdst.img 32
zone=$((4 * M))+$((8 * M))
rc=0; LIFEBOAT_READLOG=$T/reads.log LIFEBOAT_FAULTS=$zone lb clone big.img bigdst.img --yes --quiet 2>err.txt || rc=$?
[ "$rc" = 6 ] || { cat err.txt; fail "clone with a bad zone exited $rc, wanted 6"; }
zeros_except big.img bigdst.img "$zone" || fail "bad-zone clone content wrong"
big_fails=$(awk -v s=$((4 * M)) -v e=$((12 * M)) '$3 != 0 && $2 > 65536 && $1 < e && $1 + $2 > s' reads.log | wc -l)
echo "pass-1 reads failing in the 8 MiB zone: $big_fails"
[ "$big_fails" -le 4 ] || fail "pass 1 tried $big_fails pieces of the bad zone (no skipping)"
twice=$(awk '$2 == 512 && $3 != 0 {n[$1]++} END {for (k in n) if (n[k] > 1) c++; print c + 0}' reads.log)
[ "$twice" = 0 ] || fail "$twice sectors were read on their own more than once without --retries"
total=$(wc -l <reads.log)
echo "reads: $total (the zone has 16384 sectors, 128 blocks)"
[ "$total" -le $((16384 + 128 + 200)) ] || fail "$total reads for a 16384-sector bad zone"

# 4. A disk that disappears: stop with a message, do not grind through the rest.
random_disk gonedst.img 16
rm -f reads.log
rc=0; LIFEBOAT_READLOG=$T/reads.log LIFEBOAT_FAULTS="gone@$((8 * M))" lb clone src.img gonedst.img --yes --quiet 2>err.txt || rc=$?
[ "$rc" = 1 ] || { cat err.txt; fail "clone from a vanished disk exited $rc, wanted 1"; }
grep -q "disappeared at offset $((8 * M))" err.txt || { cat err.txt; fail "no 'disappeared at offset' message"; }
after=$(awk '$3 == -19' reads.log | wc -l)
[ "$after" -le 2 ] || fail "$after reads after the disk vanished"
rm -f reads.log
rc=0; LIFEBOAT_FAULTS="gone@$((8 * M))" lb backup src.img gone.lbi --quiet 2>err.txt || rc=$?
[ "$rc" = 1 ] && grep -q "disappeared at offset" err.txt || { cat err.txt; fail "backup from a vanished disk: rc $rc"; }
[ ! -e gone.lbi ] || fail "an incomplete backup was left under the final name"

# 5. Ctrl-C inside a slow rescue pass (each failing read takes 100 ms) acts within a second;
# 6. the mapfile written so far lets a second run finish without reading again what is done.
random_disk resdst.img 32
LIFEBOAT_FAULT_DELAY=100 LIFEBOAT_FAULTS=$zone "$LIFEBOAT" clone big.img resdst.img --yes --quiet --mapfile map.txt 2>err.txt &
pid=$!
for _ in $(seq 100); do grep -q '^0x.*  +$' map.txt 2>/dev/null && break; sleep 0.1; done
sleep 1.5
kill -0 $pid 2>/dev/null || { cat err.txt; fail "the slow rescue finished too early to be interrupted"; }
t0=$(date +%s%N); kill -INT $pid; rc=0; wait $pid || rc=$?; t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
echo "Ctrl-C took $ms ms"
[ "$rc" = 5 ] || { cat err.txt; fail "interrupted clone exited $rc, wanted 5"; }
[ "$ms" -lt 1000 ] || fail "Ctrl-C took $ms ms inside a rescue pass"
grep -q "^0x" map.txt || fail "no mapfile after the interruption"
cp map.txt map1.txt
grep -q '^0x.*  -$' map.txt || fail "the mapfile lists no unreadable range found before Ctrl-C"
# the disk "recovered": the second run reads only what the first did not copy (the ranges
# found unreadable only because --retries asks)
rm -f reads.log
rc=0; LIFEBOAT_READLOG=$T/reads.log lb clone big.img resdst.img --yes --mapfile map.txt --retries 1 2>err.txt || rc=$?
[ "$rc" = 0 ] || { cat err.txt; fail "resumed clone exited $rc"; }
cmp -s big.img resdst.img || fail "resumed clone differs from the source"
grep -q "resumed from map.txt" err.txt || { cat err.txt; fail "no resume message"; }
python3 - <<'PY' || fail "the resumed clone read again what was done"
done = []
for l in open('map1.txt'):
    if l.startswith('0x'):
        f = l.split()
        if len(f) == 3 and f[2] == '+':
            done.append((int(f[0], 16), int(f[1], 16)))
again = 0
for l in open('reads.log'):
    off, ln, _ = map(int, l.split())
    for s, n in done:
        a, b = max(off, s), min(off + ln, s + n)
        again += max(0, b - a)
total = sum(n for _, n in done)
print(f"copied before: {total} bytes; read again: {again} bytes (partition table probes)")
assert total >= 20 * 1048576, "the first run copied too little to test anything"
assert again <= 65536
PY
grep -q '^0x.*  ?$' map.txt && fail "the final mapfile still has unfinished areas"
echo ok
