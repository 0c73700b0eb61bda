#!/usr/bin/env bash
# ext filesystems whose journal needs recovery (a crash, a power cut): the journal is replayed
# in memory to choose the blocks, the image keeps the journal unreplayed, and the restored
# filesystem replays it itself. Each source: backed up (plan says what was replayed, source
# unchanged, image far smaller than raw), restored over old random data; then e2fsck -fy of
# the restored copy and of a copy of the source give the same file tree and the same blocks
# the replay writes. Sources: debugfs-written transactions (1 KiB / 4 KiB blocks, 64bit,
# csum v3, no metadata_csum), a kernel ext4 copied while mounted, e2fsprogs' j_* test images
# (tests/cli/data/jbd2, from e2fsprogs 1.47.0's tests/, GPL); damaged journals are raw with
# the reason.
data=$(cd "$(dirname "$0")" && pwd)/data/jbd2
. "$(dirname "$0")/lib.sh"
make_tree tree

# roundtrip NAME IMG SIZE_MIB: backup, restore, e2fsck both sides, compare trees and blocks
roundtrip() {
	local name=$1 img=$2 mib=$3 before saved raw rc
	before=$(sum "$img")
	lb backup --plan "$img" >plan.txt
	grep -q "used.*journal replayed in memory: [0-9]* transactions\?, [0-9]* blocks\?; image keeps it unreplayed" plan.txt ||
		{ cat plan.txt; fail "$name: journal not replayed in memory"; }
	lb backup "$img" "$name.lbi" --quiet
	[ "$(sum "$img")" = "$before" ] || fail "$name: source changed"
	dumpe2fs -h "$img" 2>/dev/null | grep -q needs_recovery || fail "$name: source lost needs_recovery"
	saved=$(lb info "$name.lbi" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["data_bytes"])')
	raw=$(stat -c %s "$img")
	[ "$raw" -lt $((8 << 20)) ] || [ "$saved" -lt $((raw / 2)) ] || fail "$name: image reads $saved of $raw bytes"
	random_target "$name.out" "$mib"
	truncate -s "$raw" "$name.out"
	lb restore "$name.lbi" "$name.out" --yes --quiet
	cp --sparse=always "$img" "$name.ref"
	rc=0; E2FSCK_TIME=1700000000 e2fsck -fy "$name.ref" >fsck_ref.txt 2>&1 || rc=$?
	[ $rc -le 1 ] || { cat fsck_ref.txt; fail "$name: e2fsck of the source copy ($rc)"; }
	rc=0; E2FSCK_TIME=1700000000 e2fsck -fy "$name.out" >fsck_out.txt 2>&1 || rc=$?
	[ $rc -le 1 ] || { cat fsck_out.txt; fail "$name: e2fsck of the restored copy ($rc)"; }
	diff <(sed 1d fsck_ref.txt | sed "s/$name.ref/X/g") <(sed 1d fsck_out.txt | sed "s/$name.out/X/g") >/dev/null ||
		fail "$name: e2fsck said different things about the source copy and the restored copy"
	e2fsck -fn "$name.out" >/dev/null 2>&1 || fail "$name: restored copy not clean after e2fsck"
	rm -rf ta tb; mkdir ta tb
	debugfs -R "rdump / ta" "$name.ref" >/dev/null 2>&1
	debugfs -R "rdump / tb" "$name.out" >/dev/null 2>&1
	[ -n "$(ls -A ta)" ] || fail "$name: nothing extracted"
	diff -r --no-dereference ta tb >/dev/null || fail "$name: file trees differ after e2fsck"
	cmp_ext_used "$name.ref" "$name.out" 0
	echo "ok: $name ($(grep -o 'in memory: [^;]*' plan.txt), $saved of $raw bytes)"
}

# debugfs transactions: file data over free blocks and over an inode-table block, a revoke,
# one transaction left uncommitted. The written blocks must come back after restore + fsck.
n=0
while read -r bs opts jo; do
	n=$((n + 1))
	random_disk d$n.img 64
	mke2fs -q -F -t ext4 -b "$bs" $opts -d tree d$n.img 64M >/dev/null 2>&1 || fail "mke2fs $opts"
	head -c 200000 /dev/urandom >jdata
	it=$(dumpe2fs d$n.img 2>/dev/null | sed -n 's/.*Inode table at \([0-9]*\)-.*/\1/p' | tail -1)
	free=$(dumpe2fs d$n.img 2>/dev/null | sed -n 's/^  Free blocks: \([0-9]*\)-.*/\1/p' | tail -1)
	printf '%s\njw -b %s-%s,%s data\njc\n%s\njw -b %s data\njw -r %s\njc\n%s\njw -b %s -c data\njc\n' \
		"$jo" "$free" $((free + 20)) $((it + 3)) "$jo" $((free + 30)) $((free + 5)) "$jo" $((free + 40)) |
		sed 's/ data$/ jdata/' >cmd
	debugfs -w -f cmd d$n.img >/dev/null 2>&1
	dumpe2fs -h d$n.img 2>/dev/null | grep -q needs_recovery || fail "debugfs wrote no journal"
	roundtrip "debugfs-$bs$opts" d$n.img 64
	for b in "$free" $((free + 20)) $((free + 30)); do
		cmp -s <(dd if="debugfs-$bs$opts.ref" bs="$bs" skip="$b" count=1 status=none) \
		       <(dd if="debugfs-$bs$opts.out" bs="$bs" skip="$b" count=1 status=none) ||
			fail "debugfs-$bs$opts: replayed block $b differs after restore"
	done
done <<'LIST'
1024 -O^metadata_csum jo
4096 -O^metadata_csum,^64bit jo
1024 -Ometadata_csum,64bit jo -c
4096 -Ometadata_csum,64bit jo -c
LIST

# A kernel ext4 copied while mounted, its journal committed but not checkpointed: csum v3
# (metadata_csum), v1 (journal_checksum, also with journal_async_commit), none, and a 1 MiB
# journal that many small transactions wrap round its ring.
kernel_case() { # NAME "MKE2FS OPTIONS" MOUNT_OPTIONS ROUNDS
	local name=$1 mk=$2 mo=$3 rounds=$4 i
	random_disk k.img 64
	mke2fs -q -F -t ext4 $mk k.img >/dev/null 2>&1 || fail "mke2fs $mk"
	mkdir -p mnt
	if ! mount -o "loop,commit=1,$mo" k.img mnt 2>/dev/null; then
		echo "no loop mount with $mo: $name not tested"
		return 0
	fi
	LOOPS="$PWD/mnt"   # unmounted by lib.sh's cleanup if a step fails
	cp -r tree mnt/a; sync; rm -rf mnt/a/usr; cp -r tree/etc mnt/b; mkdir mnt/c; sync
	for ((i = 0; i < rounds; i++)); do
		echo "$i" >"mnt/c/f$i"; [ $((i % 3)) = 0 ] && rm -f "mnt/c/f$((i - 2))"; sync
	done
	cp --sparse=always k.img "$name.img"
	umount mnt
	LOOPS=
	if dumpe2fs -h "$name.img" 2>/dev/null | grep -q needs_recovery; then
		roundtrip "$name" "$name.img" 64
	else
		echo "$name: the copy does not need recovery (journal checkpointed); not tested"
	fi
}
if [ "$(id -u)" = 0 ]; then
	kernel_case kernel-v3 "" "" 0
	kernel_case kernel-v1 "-O ^metadata_csum" journal_checksum 0
	kernel_case kernel-v1-async "-O ^metadata_csum" journal_async_commit,data=writeback 0
	kernel_case kernel-plain "-b 1024 -O ^metadata_csum,^64bit" "" 0
	kernel_case kernel-wrap "-b 1024 -J size=1" "" 300
else
	echo "not root: kernel-written journals not tested"
fi

# e2fsprogs' own images: csum v2 32/64-bit, csum v3; a revoke block failing its checksum in a
# stale transaction (e2fsck ends the log there); damaged ones raw with the reason.
for t in j_recover_csum2_32bit j_recover_csum2_64bit j_recover_csum3_64bit j_corrupt_revoke_csum; do
	zcat "$data/$t.img.gz" >"$t.img"
	roundtrip "$t" "$t.img" 8
done
while read -r t why; do
	zcat "$data/$t.img.gz" >"$t.img"
	lb backup --plan "$t.img" >plan.txt
	grep -q "raw.*cannot be replayed: $why" plan.txt || { cat plan.txt; fail "$t: not raw with the reason"; }
	echo "ok: $t raw ($why)"
done <<'LIST'
j_corrupt_commit_csum commit block 4 of journal transaction 3 fails its checksum
j_corrupt_descr_csum journal transaction 3 has a descriptor or revoke block
j_corrupt_journal_block journal block 6 (for block 1090) of transaction 4 fails its checksum
LIST

# A byte flipped in a csum v3 commit block of our own: raw, naming the transaction.
random_disk c.img 16
mke2fs -q -F -t ext4 -b 4096 -O metadata_csum,64bit c.img 16M >/dev/null 2>&1
printf 'jo -c\njw -b 3000-3010 /dev/urandom\njc\n' >cmd
debugfs -w -f cmd c.img >/dev/null 2>&1
jb=$(debugfs -R logdump c.img 2>/dev/null | sed -n 's/.*type 2 (commit block) at block \([0-9]*\).*/\1/p' | head -1)
pb=$(debugfs -R "bmap <8> $jb" c.img 2>/dev/null)
[ -n "$pb" ] || fail "no commit block found"
printf '\x55' | dd of=c.img bs=1 seek=$((pb * 4096 + 200)) conv=notrunc status=none
lb backup --plan c.img >plan.txt
grep -q "raw.*commit block $jb of journal transaction 1 fails its checksum" plan.txt ||
	{ cat plan.txt; fail "corrupt commit block not raw with the reason"; }
echo "ok: corrupt commit block raw"

# An external journal cannot be read from this partition: raw, and said so. (mke2fs wants a
# block device for -J device=, so the superblock is made to point at one.)
random_disk e.img 16
mke2fs -q -F -t ext4 -b 4096 e.img 16M >/dev/null 2>&1
debugfs -w -f - e.img >/dev/null 2>&1 <<'CMDS'
ssv journal_inum 0
ssv journal_uuid 0b1e4a3c-3f2a-4d7b-9c1e-2a6f8d0e5b11
ssv journal_dev 0x0801
feature needs_recovery
CMDS
lb backup --plan e.img >plan.txt
grep -q "raw.*external journal device, copied raw" plan.txt || { cat plan.txt; fail "external journal"; }
echo ok
