#!/usr/bin/env bash
# ext4 features libext2fs supports are imaged by used blocks (mmp was copied raw as "unknown"
# before), and round trip with the same files, xattrs and a clean e2fsck; a feature this
# libext2fs truly does not know is copied raw, and the plan names it.
. "$(dirname "$0")/lib.sh"
mkdir -p tree/d tree/e
cp -r /usr/include/linux/netfilter tree/ 2>/dev/null || true
head -c 1M /dev/urandom >tree/r.bin
for i in $(seq 40); do echo "small $i" >"tree/d/f$i"; done   # inline_data candidates
ln -s d/f1 tree/link
# xattrs that mke2fs -d copies: one in the inode, one in an EA block
python3 -c 'import os; os.setxattr("tree/d/f2", "user.small", b"hello"); os.setxattr("tree/r.bin", "user.mid", os.urandom(3000))' ||
	skip "no user xattrs on $T"
head -c 8000 /dev/urandom >big.xattr                          # an EA inode with ea_inode
n=0
while read -r feats opts; do
	n=$((n + 1))
	random_disk src.img 40
	sgdisk -n1:2048:+32M src.img >/dev/null
	# made apart and copied in: mke2fs -E offset= writes the MMP block without the offset
	rm -f fs.img
	mke2fs -q -F -t ext4 -b 4096 -O "$feats" $opts -d tree fs.img 32M >mk.txt 2>&1 || { cat mk.txt; fail "mke2fs -O $feats"; }
	[[ $feats != *ea_inode* ]] || debugfs -w -R "ea_set -f big.xattr /r.bin user.big" fs.img >/dev/null 2>&1
	# mke2fs -d leaves quota usage and debugfs an EA inode owner's i_blocks behind; MMP makes
	# each writer wait 10 s, and those filesystems need no fixing
	[[ $feats == *mmp* ]] || e2fsck -fy fs.img >/dev/null 2>&1 || true
	e2fsck -fn fs.img >fsck.txt 2>&1 || { cat fsck.txt; fail "-O $feats: the source is not clean"; }
	off=$(part_start src.img 1)
	dd if=fs.img of=src.img bs=1M seek=$((off / 1048576)) conv=notrunc status=none
	before=$(sum src.img)
	lb backup --plan src.img >plan.txt
	grep -Eq "^1 +ext4 .* used " plan.txt || { cat plan.txt; fail "-O $feats: not imaged by used blocks"; }
	lb backup src.img img.lbi --quiet
	random_disk dst.img 40
	lb restore img.lbi dst.img --yes --quiet
	[ "$(sum src.img)" = "$before" ] || fail "-O $feats: the source changed"
	# checked as a file of its own: libext2fs reads the MMP block without the ?offset=
	dd if=dst.img of=part.img bs=1M skip=$((off / 1048576)) count=32 status=none
	check_ext fs.img part.img 0
	for f in /r.bin /d/f2; do
		a=$(debugfs -R "ea_list $f" fs.img 2>/dev/null | md5sum)
		b=$(debugfs -R "ea_list $f" part.img 2>/dev/null | md5sum)
		[ "$a" = "$b" ] || fail "-O $feats: xattrs of $f differ"
	done
	echo "ok: -O $feats $opts"
done <<'LIST'
mmp
mmp,metadata_csum,64bit
inline_data
ea_inode
quota,project -I 256
verity
encrypt
casefold
bigalloc -C 16384
huge_file,large_dir
metadata_csum_seed,orphan_file,stable_inodes,fast_commit
sparse_super2,^resize_inode
inline_data,ea_inode,quota,project,verity,encrypt,casefold,huge_file,large_dir,metadata_csum_seed,orphan_file -I 256
LIST

# features this libext2fs does not know (an incompat and a read-only compatible bit no ext4
# has yet), and an external journal: copied whole, and the plan says which
random_disk u.img 40
while read -r feat want; do
	mke2fs -q -F -t ext4 u.img 32M
	debugfs -w -R "feature $feat" u.img >/dev/null 2>&1
	lb backup --plan u.img >plan.txt
	grep -q "raw.*does not know: $want" plan.txt || { cat plan.txt; fail "feature $feat: not copied raw naming $want"; }
done <<'LIST'
FEATURE_I20 FEATURE_I20
FEATURE_R21 FEATURE_R21
compression compression
LIST
mke2fs -q -F -O journal_dev u.img 16M
lb backup --plan u.img >plan.txt
grep -q "raw.*external journal" plan.txt || { cat plan.txt; fail "an external journal is not named as one"; }
echo ok
