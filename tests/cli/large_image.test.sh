#!/usr/bin/env bash
# A 64 TiB disk (a sparse file on tmpfs: ext4 cannot hold one) with a GPT, an ext4 partition
# near the start, a FAT partition near the end and random data at scattered offsets of the
# unpartitioned space: backup, info, verify, verify --against, restore onto a 64 TiB target
# holding random data where the image says zeros, from a file and from a pipe, with many INDEX
# records (LIFEBOAT_TEST_INDEX_EVERY). The target must equal the source everywhere, and backup
# and restore must stay under 64 MiB of memory (peak RSS from /usr/bin/time -v). The backups
# keep the unallocated space (--unallocated), so the image does describe 64 TiB; by default
# (checked first) the plan skips it.
. "$(dirname "$0")/lib.sh"
[ -x /usr/bin/time ] || skip "needs /usr/bin/time (package time)"
mkdir big
mount -t tmpfs -o size=2G tmpfs big 2>/dev/null || skip "cannot mount a tmpfs (needs root)"
trap 'umount big 2>/dev/null || true; cleanup' EXIT
TIB=$((1 << 40)) MIB=$((1 << 20))
truncate -s 64T big/disk
sgdisk -n1:2048:+64M -t1:8300 -c1:root -n2:$(( (64 * TIB - 64 * MIB) / 512 )):+32M -t2:0700 -c2:data \
	big/disk >/dev/null
make_tree tree
mk_ext big/disk 1 ext4 tree
mk_fat big/disk 2 16 ""
mcopy -i "big/disk@@$(part_start big/disk 2)" -s tree/etc tree/random.bin ::/ 2>/dev/null ||
	fail "mcopy into the FAT near the end of 64 TiB failed"
# random data in the unpartitioned space, aligned and not
for at in $((1 << 30)) $((5 * TIB)) $((17 * TIB + 12345)) $((33 * TIB)) $((63 * TIB + 4096))
do
	head -c $((MIB + 777)) /dev/urandom | dd of=big/disk bs=4096 seek=$at oflag=seek_bytes conv=notrunc status=none
done

# sparse.py sum FILE | cmp A B: over the data extents (SEEK_DATA/SEEK_HOLE); holes are zeros
cat >sparse.py <<'PY'
import hashlib, os, sys
def extents(fd, size):
    off = 0
    while off < size:
        try:
            d = os.lseek(fd, off, os.SEEK_DATA)
        except OSError:
            return
        h = os.lseek(fd, d, os.SEEK_HOLE)
        yield d, h
        off = h
def data(fd, a, b):
    out = bytearray()
    while a < b:
        n = min(b - a, 1 << 20); out += os.pread(fd, n, a); a += n
    return bytes(out)
if sys.argv[1] == "sum":
    fd = os.open(sys.argv[2], os.O_RDONLY); size = os.fstat(fd).st_size; h = hashlib.sha256()
    for a, b in extents(fd, size):
        blk = data(fd, a, b).rstrip(b"\0")   # holes and zeros hash the same
        if blk: h.update(str(a).encode() + b":" + blk)
    print(size, h.hexdigest())
else:
    fa, fb = os.open(sys.argv[2], os.O_RDONLY), os.open(sys.argv[3], os.O_RDONLY)
    size = os.fstat(fa).st_size
    if os.fstat(fb).st_size != size: sys.exit("sizes differ")
    for a, b in sorted(set(extents(fa, size)) | set(extents(fb, size))):
        for o in range(a, b, 1 << 20):
            n = min(b - o, 1 << 20)
            if os.pread(fa, n, o) != os.pread(fb, n, o): sys.exit("differ near offset %d" % o)
PY
srcsum=$(python3 sparse.py sum big/disk)

# a sanitizer build (the asan suite sets ASAN_OPTIONS) keeps freed memory in quarantine and
# adds shadow memory: there the bound only has to show that memory does not grow with 64 TiB
limit=$([ -n "${ASAN_OPTIONS:-}" ] && echo 512 || echo 64)
peak() { awk '/Maximum resident/ { print $NF }' "$1"; }   # KiB
bounded() { # LOG WHAT
	local kib; kib=$(peak "$1")
	echo "$2: peak RSS $((kib / 1024)) MiB, $(awk -F': ' '/Elapsed/ { print $2 }' "$1")"
	[ "$kib" -lt $((limit * 1024)) ] || fail "$2 used $((kib / 1024)) MiB (limit $limit MiB)"
}
# random data on the target where the image says zeros (unpartitioned space before, between
# and after the partitions), so a restore that skips zero ranges is caught
random_target() {
	rm -f big/tgt; truncate -s 64T big/tgt
	for at in $((2 << 30)) $((7 * TIB + 99)) $((40 * TIB)) $((64 * TIB - 16 * MIB)); do
		head -c $((3 * MIB)) /dev/urandom | dd of=big/tgt bs=4096 seek=$at oflag=seek_bytes conv=notrunc status=none
	done
}

lb backup --plan big/disk >plan.txt
grep -q "^unallocated 64.0 TiB at offset $((65 * MIB)): skipped$" plan.txt || { cat plan.txt; fail "plan: the unpartitioned 64 TiB not skipped"; }
timeout 300 /usr/bin/time -v -o time.txt "$LIFEBOAT" backup --unallocated big/disk big/img.lbi --quiet ||
	fail "backup of the 64 TiB disk failed (or did not finish in 5 minutes)"
bounded time.txt backup
lb info big/img.lbi >info.txt
grep -q "64.0 TiB (70368744177664 bytes)" info.txt || { cat info.txt; fail "info: wrong source size"; }
grep -Eq "contents: +[0-9]+ chunks, 64.0 TiB of data" info.txt || { cat info.txt; fail "info: wrong contents"; }
echo "image: $(stat -c %s big/img.lbi) bytes; $(grep contents: info.txt)"
lb verify big/img.lbi --quiet
lb verify big/img.lbi --against big/disk --quiet

random_target
/usr/bin/time -v -o time.txt "$LIFEBOAT" restore big/img.lbi big/tgt --yes --quiet
bounded time.txt "restore (file)"
python3 sparse.py cmp big/disk big/tgt || fail "the restored 64 TiB disk differs from the source"
sgdisk -v big/tgt | grep -q "No problems found" || fail "the restored GPT is not valid"
[ "$(sgdisk -p big/tgt | tail -n +2)" = "$(sgdisk -p big/disk | tail -n +2)" ] || fail "the GPT differs"
# --resume over the restored disk with old data back in one zero range: only that is redone
head -c $((5 * MIB)) /dev/urandom | dd of=big/tgt bs=4096 seek=$((40 * TIB)) oflag=seek_bytes conv=notrunc status=none
/usr/bin/time -v -o time.txt "$LIFEBOAT" restore big/img.lbi big/tgt --yes --resume 2>resume.txt
bounded time.txt "restore --resume"
python3 sparse.py cmp big/disk big/tgt || fail "restore --resume left old data on the target"

# many INDEX records (every 7 chunks), written to and read from pipes
random_target
LIFEBOAT_TEST_INDEX_EVERY=7 "$LIFEBOAT" backup --unallocated big/disk - --quiet |
	/usr/bin/time -v -o time.txt "$LIFEBOAT" restore - big/tgt --yes --quiet
bounded time.txt "restore (pipe, INDEX every 7 chunks)"
python3 sparse.py cmp big/disk big/tgt || fail "the disk restored from a pipe differs from the source"
LIFEBOAT_TEST_INDEX_EVERY=7 lb backup --unallocated big/disk big/img7.lbi --quiet
n=$(lb info big/img7.lbi | sed -n 's/^contents: *\([0-9]*\) chunks.*/\1/p')
echo "INDEX every 7: $n chunks, $(( (n + 6) / 7 )) INDEX records"
lb verify big/img7.lbi --quiet
[ "$(python3 sparse.py sum big/disk)" = "$srcsum" ] || fail "the source changed"
echo ok
