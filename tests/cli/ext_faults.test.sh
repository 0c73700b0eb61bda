#!/usr/bin/env bash
# libext2fs reads the source through the engine's handle, so an unreadable bitmap, inode
# table or extent-tree block (LIFEBOAT_FAULTS) is seen where it is: the plan cannot build a used map without it
# and copies the filesystem whole, saying why; the backup then meets the same sectors, saves
# everything around them and reports them (exit 6). Before, libext2fs re-opened the device by
# name and read straight past the faults.
. "$(dirname "$0")/lib.sh"
random_disk src.img 80
sgdisk -n1:2048:+64M src.img >/dev/null
mkdir t; cp -r /usr/include/linux t/; head -c 2M /dev/urandom >t/r.bin
# a file of many extents, so its extent tree has a block of its own
python3 -c 'import sys; f = open(sys.argv[1], "wb"); [(f.seek(i * 8192), f.write(b"x" * 4096)) for i in range(40)]' t/sparse
mk_ext src.img 1 ext4 t
off=$(part_start src.img 1)
before=$(sum src.img)
info=$(dumpe2fs "src.img?offset=$off" 2>/dev/null)
bs=$(awk -F: '/^Block size/{print $2 + 0}' <<<"$info")
at() { awk -v w="$1" '/^Group 0:/{g=1} g && $0 ~ w {sub(/.* at /, ""); sub(/[-( ].*/, ""); print; exit}' <<<"$info"; }
bbitmap=$(at "Block bitmap at") ibitmap=$(at "Inode bitmap at") itable=$(at "Inode table at")
etb=$(debugfs -R "stat /sparse" "src.img?offset=$off" 2>/dev/null | grep -o '(ETB0):[0-9]*' | cut -d: -f2)
[ -n "$bbitmap" ] && [ -n "$ibitmap" ] && [ -n "$itable" ] || { echo "$info" | head -30; fail "no group 0 layout from dumpe2fs"; }
[ -n "$etb" ] || fail "/sparse has no extent tree block"
lb backup --plan src.img | grep -Eq "^1 +ext4 .* used " || fail "the clean filesystem is not planned by used blocks"
while read -r blk want; do
	# one sector inside the block: the 512 bytes libext2fs cannot do without
	f="$((off + blk * bs + 512))+512"
	LIFEBOAT_FAULTS=$f lb backup --plan src.img >plan.txt 2>&1 || { cat plan.txt; fail "plan with a fault at block $blk failed"; }
	grep -Eq "^1 +ext4 .* raw .*$want" plan.txt || { cat plan.txt; fail "fault in block $blk: the plan did not copy raw saying '$want'"; }
	echo "ok: fault in block $blk: $(sed -n "s/^1 .*iB  //p" plan.txt)"
done <<LIST
$bbitmap block bitmap cannot be read
$ibitmap inode bitmap cannot be read
$itable inode table cannot be read
$etb inode [0-9]+'s extent or indirect blocks cannot be read
LIST
# the backup meets the unreadable inode-table sector and says so
f="$((off + itable * bs + 512))"
rc=0
LIFEBOAT_FAULTS=$f+512 lb backup src.img img.lbi 2>err.txt || rc=$?
[ "$rc" = 6 ] || { cat err.txt; fail "backup over an unreadable inode table exited $rc, wanted 6"; }
grep -q "offset $f, 512 bytes" err.txt || { cat err.txt; fail "the unreadable sector is not reported"; }
[ "$(sum src.img)" = "$before" ] || fail "source changed"
random_disk dst.img 80
rc=0; lb restore img.lbi dst.img --yes --quiet 2>err.txt || rc=$?
[ "$rc" = 6 ] || { cat err.txt; fail "restore of an image with a missing sector exited $rc, wanted 6"; }
# everything but that sector is the source's
cmp -n "$f" src.img dst.img || fail "restored disk differs before the unreadable sector"
cmp -i $((f + 512)) src.img dst.img || fail "restored disk differs after the unreadable sector"
echo ok
