# Shared fixtures and checks for the command-line tests. Sourced by *.test.sh.
# Disks are plain files built with sgdisk/sfdisk + mke2fs -E offset / mkfs.fat --offset, so no
# loop devices or root-only steps are needed; tests that use loop devices say so and skip
# when they cannot.
set -euo pipefail
export LC_ALL=C MTOOLS_SKIP_CHECK=1
LIFEBOAT=${LIFEBOAT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/lifeboat}
T=$(mktemp -d /tmp/lifeboat-test.XXXXXX)
cleanup() {
	for l in ${LOOPS:-}; do umount "$l" 2>/dev/null || true; losetup -d "$l" 2>/dev/null || true; done
	rm -rf "$T"
}
trap cleanup EXIT
cd "$T"

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "$*"; exit 77; }
lb() { "$LIFEBOAT" "$@"; }
# lb_expect_fail STATUS PATTERN ARGS...: the command must exit STATUS and say PATTERN.
lb_expect_fail() {
	local want=$1 pat=$2 rc=0; shift 2
	"$LIFEBOAT" "$@" >out.txt 2>err.txt || rc=$?
	[ "$rc" = "$want" ] || { cat err.txt >&2; fail "lifeboat $* exited $rc, wanted $want"; }
	grep -Eqi -- "$pat" err.txt || { cat err.txt >&2; fail "lifeboat $* did not say /$pat/"; }
}

# A tree of real files: headers, config files, a binary, random data, a symlink, empty files.
make_tree() {
	local d=$1
	mkdir -p "$d/etc" "$d/usr/include" "$d/bin" "$d/empty dir" "$d/deep/a/b/c"
	cp -r /usr/include/ext2fs /usr/include/linux "$d/usr/include/" 2>/dev/null || true
	cp /etc/*.conf "$d/etc/" 2>/dev/null || true
	cp /bin/ls /bin/bash "$d/bin/"
	head -c 3M /dev/urandom >"$d/random.bin"
	: >"$d/empty file"
	echo "deep" >"$d/deep/a/b/c/file.txt"
	ln -s ../etc "$d/bin/link-to-etc"
}

# Old random data over the whole disk first: free space that is not zero, as on real disks.
random_disk() { # FILE SIZE_MIB
	dd if=/dev/urandom of="$1" bs=1M count="$2" status=none
}

sectors_of() { # FILE PARTNO -> "start size" in 512-byte sectors (GPT or MBR, via sfdisk)
	sfdisk -d "$1" 2>/dev/null | awk -v n="$2" -F'[ ,=:]+' '
		$1 ~ /[^0-9]'"$2"'$/ || $1 ~ /p'"$2"'$/ { for (i=1;i<=NF;i++) { if ($i=="start") s=$(i+1); if ($i=="size") z=$(i+1) } print s, z; exit }'
}
part_start() { set -- $(sectors_of "$1" "$2"); echo $(( $1 * 512 )); }
part_size() { set -- $(sectors_of "$1" "$2"); echo $(( $2 * 512 )); }

# mkfs helpers into a partition of a disk file
mk_ext() { # DISK PART TYPE TREE [mke2fs options...]
	local disk=$1 p=$2 type=$3 tree=$4; shift 4
	local off size; off=$(part_start "$disk" "$p"); size=$(part_size "$disk" "$p")
	mke2fs -q -F -t "$type" -L "p$p$type" "$@" ${tree:+-d "$tree"} -E offset="$off" "$disk" $((size / 1024))k
}
mk_fat() { # DISK PART BITS TREE
	local disk=$1 p=$2 bits=$3 tree=$4 off size
	off=$(part_start "$disk" "$p"); size=$(part_size "$disk" "$p")
	mkfs.fat -F "$bits" $([ "$bits" = 32 ] && echo "-s 1") -n "FAT$bits" --offset=$((off / 512)) "$disk" $((size / 1024)) >/dev/null 2>&1
	[ -n "$tree" ] && mcopy -i "$disk@@$off" -s "$tree"/* ::/
	return 0
}
mk_swap() { # DISK PART
	local disk=$1 p=$2 off size
	off=$(part_start "$disk" "$p"); size=$(part_size "$disk" "$p")
	truncate -s "$size" swap.tmp && mkswap -L swp swap.tmp >/dev/null 2>&1
	dd if=swap.tmp of="$disk" bs=4096 count=1 seek=$((off / 4096)) conv=notrunc status=none
	rm -f swap.tmp
}

# The standard GPT system disk: BIOS boot (raw), FAT32 ESP, ext4 root, swap, unpartitioned tail.
build_gpt_disk() { # FILE
	local f=$1
	random_disk "$f" 300
	sgdisk -Z "$f" >/dev/null 2>&1 || true
	sgdisk -n1:2048:+1M -t1:ef02 -c1:bios -n2:0:+64M -t2:ef00 -c2:esp -n3:0:+160M -t3:8300 \
		-c3:root -n4:0:+32M -t4:8200 -c4:swap "$f" >/dev/null
	[ -d tree ] || make_tree tree
	dd if=/dev/urandom of="$f" bs=512 seek=2048 count=2048 conv=notrunc status=none   # boot code
	printf 'LIFEBOAT-TEST-MBR-CODE' | dd of="$f" bs=1 seek=0 conv=notrunc status=none
	mk_fat "$f" 2 32 tree/etc
	mk_ext "$f" 3 ext4 tree
	mk_swap "$f" 4
}

sum() { sha256sum "$1" | cut -d' ' -f1; }
# cmp_range A B OFFSET LENGTH: bytes equal
cmp_range() {
	cmp -s -n "$4" -i "$3:$3" "$1" "$2" || fail "$1 and $2 differ in [$3, +$4)"
}
# check_ext SRC DST OFFSET [DST_OFFSET]: e2fsck clean on DST, same file tree as SRC.
check_ext() {
	local src=$1 dst=$2 off=$3 doff=${4:-$3}
	e2fsck -fn "$dst?offset=$doff" >fsck.txt 2>&1 || { cat fsck.txt >&2; fail "e2fsck found problems at $doff in $dst"; }
	rm -rf ta tb; mkdir ta tb
	debugfs -R "rdump / ta" "$src?offset=$off" >/dev/null 2>&1
	debugfs -R "rdump / tb" "$dst?offset=$doff" >/dev/null 2>&1
	[ -n "$(ls -A ta)" ] || fail "nothing extracted from $src at $off"
	diff -r --no-dereference ta tb >/dev/null || fail "ext file trees differ ($src@$off vs $dst@$doff)"
}
# check_fat SRC DST OFFSET [DST_OFFSET]
check_fat() {
	local src=$1 dst=$2 off=$3 doff=${4:-$3} size
	rm -rf fa fb fat.img; mkdir fa fb
	mcopy -i "$src@@$off" -s -n ::/ fa/ 2>/dev/null || true
	mcopy -i "$dst@@$doff" -s -n ::/ fb/ 2>/dev/null || true
	[ -n "$(ls -A fa)" ] || fail "nothing extracted from FAT at $off"
	diff -r fa fb >/dev/null || fail "FAT file trees differ"
	size=$(( $(stat -c %s "$dst") - doff ))
	dd if="$dst" of=fat.img bs=1M iflag=skip_bytes,count_bytes skip="$doff" count="$size" status=none
	fsck.fat -n fat.img >fsck.txt 2>&1 || { cat fsck.txt >&2; fail "fsck.fat found problems"; }
}
# check_gpt_disk SRC DST: DST (same size) holds what build_gpt_disk's SRC must give: the raw
# areas byte for byte (MBR, GPT, gap, BIOS boot, swap header, backup GPT), every ext block in
# use, both file trees, a valid GPT. Free space may differ.
check_gpt_disk() {
	local src=$1 dst=$2 size
	size=$(stat -c %s "$src")
	cmp_range "$src" "$dst" 0 $((2048 * 512))
	cmp_range "$src" "$dst" "$(part_start "$src" 1)" "$(part_size "$src" 1)"
	cmp_range "$src" "$dst" "$(part_start "$src" 4)" 4096
	cmp_range "$src" "$dst" $((size - 33 * 512)) $((33 * 512))
	check_fat "$src" "$dst" "$(part_start "$src" 2)"
	cmp_ext_used "$src" "$dst" "$(part_start "$src" 3)"
	check_ext "$src" "$dst" "$(part_start "$src" 3)"
	gpt_ok "$dst"
}
gpt_ok() { # FILE: sgdisk -v clean and the backup header in the last sector
	sgdisk -v "$1" >v.txt 2>&1; grep -q "No problems found" v.txt || { cat v.txt >&2; fail "sgdisk -v: $1"; }
	local last=$(( $(stat -c %s "$1") / 512 - 1 ))
	[ "$(dd if="$1" bs=512 skip=$last count=1 status=none | head -c 8)" = "EFI PART" ] || fail "no backup GPT header in the last sector of $1"
}

# A restore or clone target that held other data before, as reused disks do: random bytes,
# so a range the restore should have written (zeros included) but did not shows up.
random_target() { # FILE SIZE_MIB
	dd if=/dev/urandom of="$1" bs=1M count="$2" status=none
}
# cmp_ext_used SRC DST OFFSET [DST_OFFSET]: every block the source ext filesystem's bitmaps
# mark in use (read by dumpe2fs, not by Lifeboat) is byte-identical on DST — zero blocks
# included; free blocks may differ.
cmp_ext_used() {
	local src=$1 dst=$2 off=$3 doff=${4:-$3}
	dumpe2fs "$src?offset=$off" >dumpe2fs.txt 2>/dev/null || fail "dumpe2fs cannot read $src at $off"
	python3 - "$src" "$dst" "$off" "$doff" dumpe2fs.txt <<'PY' || fail "used ext blocks differ ($src@$off vs $dst@$doff)"
import re, sys
src, dst, off, doff, dump = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
text = open(dump).read()
bs = int(re.search(r'^Block size:\s+(\d+)', text, re.M).group(1))
count = int(re.search(r'^Block count:\s+(\d+)', text, re.M).group(1))
cm = re.search(r'^Cluster size:\s+(\d+)', text, re.M)
per = int(cm.group(1)) // bs if cm else 1   # bigalloc: ranges name each cluster's first block
free = [False] * count
for m in re.finditer(r'^\s+Free blocks: ?(.*)$', text, re.M):
	for r in filter(None, (x.strip() for x in m.group(1).split(','))):
		a, _, b = r.partition('-')
		for blk in range(int(a), min(int(b or a) + per, count)):
			free[blk] = True
used = bad = 0
with open(src, 'rb') as s, open(dst, 'rb') as d:
	blk = 0
	while blk < count:
		if free[blk]:
			blk += 1
			continue
		end = blk
		while end < count and not free[end]:
			end += 1
		s.seek(off + blk * bs); d.seek(doff + blk * bs)
		a, b = s.read((end - blk) * bs), d.read((end - blk) * bs)
		used += end - blk
		if a != b:
			at = next(i for i in range(len(a)) if i >= len(b) or a[i] != b[i])
			print(f"block {blk + at // bs} (in use) differs", file=sys.stderr)
			sys.exit(1)
		blk = end
if used < 16:
	print("no used blocks found", file=sys.stderr)
	sys.exit(1)
PY
}
