#!/usr/bin/env bash
# Corrupt ext filesystems from e2fsprogs' own test suite (tests/f_*/image.gz), each in a
# partition of a GPT disk over old random data. Their bitmaps lie (blocks in use but marked
# free, data in BLOCK_UNINIT groups, inodes past bg_itable_unused, orphans, broken trees),
# so a map from the bitmap alone drops blocks: after backup and restore onto a random-filled
# disk, `e2fsck -fn` must say exactly what it says about the original, and debugfs must
# extract the same files. The source stays unchanged.
REPO=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/lib.sh"
command -v e2fsck >/dev/null && command -v debugfs >/dev/null || skip "e2fsprogs missing"
src=$("$REPO/scripts/fetch-sources.sh" e2fsprogs 2>/dev/null) || skip "no e2fsprogs source (scripts/fetch-sources.sh e2fsprogs)"
[ -d "$src/tests" ] || skip "no e2fsprogs tests in $src"
# the three the issue names first, then: inodes past bg_itable_unused (x2), orphan chains,
# a broken extent tree, htree, ea_inode, xattr blocks, multiply-claimed blocks, bigalloc,
# 64bit descriptors, a journal with bad indirect blocks
images="f_uninit_blk_used_not_set f_uninit_set_inode_not_set f_resize_inode_meta_bg
	f_uninit_inode_past_unused f_unused_itable f_orphan_indirect_inode f_extent_int_bad_extent
	f_htree_leaf_csum f_ea_inode f_unsorted_EAs f_dup f_bigalloc_symlink_with_xattr f_desc_size_128
	f_badjour_indblks"
off=$((2048 * 512))
fsck_of() { # DISK -> e2fsck -fn output with the device name taken out, then its exit status
	local rc=0
	timeout 60 e2fsck -fn "$1?offset=$off" >fsck.raw 2>&1 || rc=$?
	sed "s|$1?offset=$off|FS|g; s|$1|FS|g" fsck.raw
	echo "exit status $rc"
}
n=0
for name in $images; do
	[ -f "$src/tests/$name/image.gz" ] || fail "$name: no $src/tests/$name/image.gz"
	rm -rf d && mkdir d && cd d
	zcat "$src/tests/$name/image.gz" >fs.img
	mib=$(( ($(stat -c %s fs.img) + 1048575) / 1048576 ))
	random_disk src.img $((mib + 2))
	sgdisk -n1:2048:+${mib}M src.img >/dev/null
	dd if=fs.img of=src.img bs=1M seek=1 conv=notrunc status=none
	before=$(sum src.img)
	fsck_of src.img >want.txt
	lb backup --plan src.img >plan.txt
	grep -Eq "^1 +ext[234] .* used " plan.txt || { cat plan.txt; fail "$name: not planned by used blocks (this test is about that map)"; }
	lb backup src.img img.lbi --quiet
	random_disk dst.img $((mib + 2))
	lb restore img.lbi dst.img --yes --quiet
	[ "$(sum src.img)" = "$before" ] || fail "$name: the source changed"
	fsck_of dst.img >got.txt
	diff want.txt got.txt >fsck.diff || { head -20 fsck.diff; fail "$name: e2fsck -fn says something else after the round trip"; }
	mkdir ta tb
	timeout 60 debugfs -R "rdump / ta" "src.img?offset=$off" >/dev/null 2>&1 || true
	timeout 60 debugfs -R "rdump / tb" "dst.img?offset=$off" >/dev/null 2>&1 || true
	diff -r --no-dereference ta tb >/dev/null || fail "$name: debugfs extracts other files after the round trip"
	echo "ok: $name ($(tail -n1 want.txt), $(find ta -mindepth 1 | wc -l) files extracted)"
	cd .. && rm -rf d
	n=$((n + 1))
done
echo "ok: $n corrupt filesystems kept what e2fsck sees"
