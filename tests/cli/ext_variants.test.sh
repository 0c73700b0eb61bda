#!/usr/bin/env bash
# ext filesystems of every kind the issue names, each as a whole "disk" (no partition table):
# ext2/ext3/ext4, 1 KiB and 4 KiB blocks, 64bit off, bigalloc, meta_bg, metadata_csum off.
# Each is backed up by used blocks, restored, and compared; and a filesystem that needs
# journal recovery is copied raw with the reason given.
. "$(dirname "$0")/lib.sh"
make_tree tree
n=0
while read -r type opts; do
	n=$((n + 1))
	random_disk fs$n.img 96
	mke2fs -q -F -t "$type" $opts -d tree -L v$n fs$n.img >/dev/null 2>&1 || fail "mke2fs -t $type $opts"
	before=$(sum fs$n.img)
	lb backup fs$n.img img$n.lbi --quiet
	lb info img$n.lbi | grep -q "used" || fail "$type $opts: not imaged by used blocks"
	saved=$(lb info img$n.lbi --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["data_bytes"])')
	used=$(dumpe2fs -h fs$n.img 2>/dev/null | awk -F: '/^Block count/{c=$2} /^Free blocks/{f=$2} /^Block size/{b=$2} END{print (c-f)*b}')
	[ "$saved" -le $((used + 2 * 65536 + 1024 * 1024)) ] || fail "$type $opts: read $saved bytes, more than the $used used"
	random_target out$n.img 96
	lb restore img$n.lbi out$n.img --yes --quiet
	[ "$(sum fs$n.img)" = "$before" ] || fail "source changed"
	check_ext fs$n.img out$n.img 0
	cmp_ext_used fs$n.img out$n.img 0
	echo "ok: $type $opts"
done <<'LIST'
ext2 -b 1024
ext2 -b 4096
ext3 -b 1024
ext3 -b 4096
ext4 -b 4096
ext4 -b 1024
ext4 -O ^64bit,^metadata_csum -b 4096
ext4 -O bigalloc -C 16384
ext4 -O meta_bg,^resize_inode
ext4 -O ^flex_bg,uninit_bg,^metadata_csum
LIST
# An ext4 marked as needing journal recovery whose journal is empty: e2fsck would just clear
# the flag, so it is mapped by its used blocks (ext_journal.test.sh replays real journals).
random_disk j.img 64
mke2fs -q -F -t ext4 -d tree j.img
debugfs -w -R "feature needs_recovery" j.img >/dev/null 2>&1
lb backup --plan j.img >plan.txt
grep -q "used.*journal marked for recovery holds no transactions" plan.txt || { cat plan.txt; fail "empty journal to recover"; }
echo ok
