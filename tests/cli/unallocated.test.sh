#!/usr/bin/env bash
# Unallocated space: large regions outside partitions are skipped (named in the plan, the image's
# description and info --json), restore and clone leave the target's bytes there, verify
# --against does not compare them; a filesystem signature in a gap (a deleted partition) keeps
# it; --unallocated keeps everything; every EBR of an MBR chain is kept; a 1 TiB sparse disk
# with one small partition gives a tiny image quickly.
. "$(dirname "$0")/lib.sh"
MiB=$((1 << 20))
make_tree tree

# old data at MiB offsets of a file: a target (or a source gap) that is not zeros
scribble() { # FILE MIB_OFFSET MIB_COUNT
	dd if=/dev/urandom of="$1" bs=1M seek="$2" count="$3" conv=notrunc status=none
}

# --- GPT, 256 MiB, a 40 MiB ext4 near the start, old data in the gap ---------------------------
truncate -s 256M src.img
sgdisk -n1:2048:+40M -t1:8300 src.img >/dev/null
mk_ext src.img 1 ext4 tree
size=$(stat -c %s src.img)
pend=$(( $(part_start src.img 1) + $(part_size src.img 1) ))
scribble src.img 100 4             # random bytes: no signature, so skipped
before=$(sum src.img)
lb backup --plan src.img >plan.txt
grep -Eq "^unallocated [0-9.]+ [GM]iB at offset $pend: skipped$" plan.txt || { cat plan.txt; fail "the plan does not name the skipped area at $pend"; }
grep -q "^unallocated space skipped" plan.txt || fail "the plan does not total the skipped bytes"
lb backup src.img img.lbi --quiet
[ "$(stat -c %s img.lbi)" -lt $((8 * MiB)) ] || fail "image of a disk with a 40 MiB partition is $(stat -c %s img.lbi) bytes"
lb info img.lbi | grep -Eq "^unallocated .* at offset $pend: skipped$" || fail "info does not list the skipped area"
lb info --json img.lbi | python3 -c '
import json, sys
j = json.load(sys.stdin); pend, size = int(sys.argv[1]), int(sys.argv[2])
u = j["unallocated"]
assert len(u) == 1 and u[0]["offset"] == pend and not u[0]["kept"], u
assert u[0]["length"] == size - (1 << 20) - pend, u
assert j["unallocated_skipped"] == u[0]["length"]
' "$pend" "$size" || fail "info --json: unallocated fields wrong"

truncate -s 256M old.img
scribble old.img 0 64; scribble old.img 90 30; scribble old.img 248 8
cp --sparse=always old.img dst.img
lb restore img.lbi dst.img --yes --quiet
[ "$(sum src.img)" = "$before" ] || fail "source changed"
cmp_range src.img dst.img 0 "$MiB"                            # MBR, GPT, the gap before p1
cmp_range src.img dst.img $((size - MiB)) "$MiB"              # the last MiB, backup GPT
cmp_ext_used src.img dst.img "$(part_start src.img 1)"
check_ext src.img dst.img "$(part_start src.img 1)"
gpt_ok dst.img
cmp_range old.img dst.img "$pend" $((64 * MiB - pend))        # skipped: the target's old bytes
cmp_range old.img dst.img $((90 * MiB)) $((30 * MiB))
cmp -s -n $((4 * MiB)) -i $((100 * MiB)):$((100 * MiB)) src.img dst.img && fail "skipped source bytes reached the target"
lb verify img.lbi --against dst.img >/dev/null || fail "verify --against fails on a target with old data in the skipped area"

# clone skips the same areas
cp --sparse=always old.img cl.img
lb clone src.img cl.img --yes --quiet
cmp_range src.img cl.img 0 "$MiB"
check_ext src.img cl.img "$(part_start src.img 1)"
cmp_range old.img cl.img $((90 * MiB)) $((30 * MiB))

# --- a deleted partition: an ext4 in the gap with no table entry ------------------------------
cp --sparse=always src.img del.img
mke2fs -q -F -t ext4 -d tree -E offset=$((150 * MiB)) del.img 32768k
lb backup --plan del.img >plan.txt
grep -Eq "^unallocated .* at offset $pend: kept raw: ext2/3/4 signature at offset $((150 * MiB)) \(a deleted partition\?\)$" plan.txt || { cat plan.txt; fail "the plan does not name the deleted partition"; }
grep -q "^unallocated space skipped" plan.txt && fail "a region with a filesystem counted as skipped"
lb backup del.img del.lbi --quiet
cp --sparse=always old.img dst2.img
lb restore del.lbi dst2.img --yes --quiet
cmp_range del.img dst2.img $((150 * MiB)) $((32 * MiB))
check_ext del.img dst2.img $((150 * MiB))
cmp_range del.img dst2.img "$pend" $((size - pend))           # the whole region, raw

# --- --unallocated keeps everything -----------------------------------------------------------
lb backup --plan --unallocated src.img >plan.txt
grep -Eq "^unallocated .* at offset $pend: kept \(--unallocated\)$" plan.txt || { cat plan.txt; fail "--unallocated not in the plan"; }
grep -q "^unallocated space skipped" plan.txt && fail "--unallocated still skips"
lb backup --unallocated src.img all.lbi --quiet
cp --sparse=always old.img dst3.img
lb restore all.lbi dst3.img --yes --quiet
cmp_range src.img dst3.img "$pend" $((size - pend))
lb verify all.lbi --against dst3.img >/dev/null || fail "verify --against after --unallocated"
cp --sparse=always old.img cl3.img
lb clone --unallocated src.img cl3.img --yes --quiet
cmp_range src.img cl3.img "$pend" $((size - pend))

# --- MBR with logical partitions far apart: every EBR is kept ----------------------------------
truncate -s 1G mbr.img
sfdisk -q mbr.img <<'SF'
label: dos
mbr.img1 : start=2048, size=20MiB, type=83
mbr.img2 : start=100MiB, size=800MiB, type=5
mbr.img5 : start=110MiB, size=20MiB, type=83
mbr.img6 : start=400MiB, size=20MiB, type=83
mbr.img7 : start=700MiB, size=20MiB, type=83
SF
for p in 1 5 6 7; do mk_ext mbr.img $p ext4 tree/etc; done
ebrs=$(python3 - mbr.img <<'PY'
import struct, sys
f = open(sys.argv[1], 'rb')
def sec(n):
    f.seek(n * 512); return f.read(512)
m = sec(0)
ext = [struct.unpack('<I', m[446 + 16 * i + 8:446 + 16 * i + 12])[0] for i in range(4) if m[446 + 16 * i + 4] == 5][0]
ebr, out = ext, []
while ebr:
    out.append(ebr * 512); e1 = sec(ebr)[462:478]
    ebr = ext + struct.unpack('<I', e1[8:12])[0] if e1[4] else 0
print(*out)
PY
)
[ "$(echo $ebrs | wc -w)" = 3 ] || fail "expected 3 EBRs, found: $ebrs"
lb backup --plan mbr.img >plan.txt
[ "$(grep -c ': skipped$' plan.txt)" -ge 3 ] || { cat plan.txt; fail "the MBR disk's gaps are not skipped"; }
lb backup mbr.img mbr.lbi --quiet
truncate -s 1G mdst.img
for o in 0 60 95 200 398 697 1000; do scribble mdst.img $o 4; done
cp --sparse=always mdst.img mold.img
lb restore mbr.lbi mdst.img --yes --quiet
for e in $ebrs; do cmp_range mbr.img mdst.img "$e" 512; done
[ "$(sfdisk -d mbr.img | sed -e 1,3d -e 's/^mbr.img//')" = "$(sfdisk -d mdst.img | sed -e 1,3d -e 's/^mdst.img//')" ] || fail "MBR partition tables differ after restore"
for p in 1 5 6 7; do check_ext mbr.img mdst.img "$(part_start mbr.img $p)"; done
cmp_range mold.img mdst.img $((60 * MiB)) $((4 * MiB))        # skipped gaps: old bytes
cmp_range mold.img mdst.img $((200 * MiB)) $((4 * MiB))
lb verify mbr.lbi --against mdst.img >/dev/null || fail "verify --against (MBR)"

# --- 1 TiB sparse disk, one small partition -----------------------------------------------------
truncate -s 1T big.img
sgdisk -n1:2048:+32M -t1:8300 big.img >/dev/null
mk_ext big.img 1 ext4 tree/etc
start=$(date +%s)
timeout 120 "$LIFEBOAT" backup big.img big.lbi --quiet || fail "backup of a 1 TiB sparse disk failed or took over 2 minutes"
[ "$(stat -c %s big.lbi)" -lt $((4 * MiB)) ] || fail "image of a 1 TiB disk with a 32 MiB partition is $(stat -c %s big.lbi) bytes"
lb info big.lbi | grep -Eq "^unallocated 1024 GiB at offset $((33 * MiB)): skipped$|^unallocated 1(\.00)? TiB at offset $((33 * MiB)): skipped$" || { lb info big.lbi; fail "1 TiB: skipped area not named"; }
truncate -s 1T bigdst.img
timeout 120 "$LIFEBOAT" restore big.lbi bigdst.img --yes --quiet || fail "restore of the 1 TiB image"
check_ext big.img bigdst.img $MiB
gpt_ok bigdst.img
echo "1 TiB backup + restore: $(( $(date +%s) - start )) s"
echo ok
