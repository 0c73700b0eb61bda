#!/usr/bin/env bash
# Sources that cannot give an honest copy. A filesystem mounted read-write on the source (the
# device itself, a loop device over the source file, a loop device at an offset inside a disk
# file) changes while it is copied: backup and clone refuse (exit 4) naming the mount point,
# unless --allow-mounted, and then the report says the copy is crash-consistent at best. A
# read-only mount is fine and the report says so. Empty (0-byte) sources and targets — an
# empty file, an unattached loop device — are refused (exit 4) instead of "succeeding".
. "$(dirname "$0")/lib.sh"
# empty sources and targets (files)
: >empty.img
lb_expect_fail 4 "empty.img: it is empty \(0 bytes\)" backup empty.img e.lbi
[ ! -e e.lbi ] && [ ! -e e.lbi.part ] || fail "an image of an empty source was written"
lb_expect_fail 4 "empty.img: it is empty \(0 bytes\)" backup empty.img --plan
random_disk small.img 4
lb_expect_fail 4 "empty.img: it is empty" clone empty.img small.img --yes
lb backup small.img small.lbi --quiet
lb_expect_fail 4 "write to empty.img: it is empty \(0 bytes\)" restore small.lbi empty.img --yes
lb_expect_fail 4 "write to empty.img: it is empty" clone small.img empty.img --yes
[ ! -s empty.img ] || fail "something was written to the empty target"

# loop devices from here on (the fixtures, never a source under test, are mounted)
L0=$(losetup -f 2>/dev/null) && [ -b "$L0" ] || skip "no loop devices here (file tests passed)"
lb_expect_fail 4 "$L0: it is empty \(0 bytes\)" backup "$L0" e.lbi
lb_expect_fail 4 "$L0: it is empty" restore small.lbi "$L0" --yes

truncate -s 64M fs.img
mke2fs -q -F -t ext4 -L mounted fs.img
L1=$(losetup -f --show fs.img) || skip "cannot attach a loop device"
LOOPS="$L1"
mkdir mnt
mount "$L1" mnt || skip "cannot mount ext4 from a loop device here"
echo "written while mounted" >mnt/file.txt
lb_expect_fail 4 "refusing to back up $L1: $L1 is mounted read-write on $T/mnt.*--allow-mounted" backup "$L1" m.lbi
lb_expect_fail 4 "refusing to back up fs.img: $L1 is mounted read-write on $T/mnt \(a loop device over fs.img\)" backup fs.img m.lbi
lb_expect_fail 4 "mounted read-write on $T/mnt" backup fs.img --plan
[ ! -e m.lbi ] && [ ! -e m.lbi.part ] || fail "a refused backup left an image"
random_disk c.img 64
before=$(sum c.img)
lb_expect_fail 4 "refusing to clone $L1: $L1 is mounted read-write on $T/mnt" clone "$L1" c.img --yes
lb_expect_fail 4 "refusing to clone fs.img: .*mounted read-write" clone fs.img c.img --yes
[ "$(sum c.img)" = "$before" ] || fail "a refused clone wrote to its target"
# allowed: done, and said what it is worth
lb backup "$L1" m.lbi --allow-mounted >out.txt 2>err.txt || { cat err.txt; fail "backup --allow-mounted failed"; }
grep -q "source: $L1 is mounted read-write on $T/mnt: this copy is crash-consistent at best" err.txt || { cat err.txt; fail "backup --allow-mounted does not say crash-consistent"; }
lb backup fs.img m2.lbi --allow-mounted --quiet 2>err.txt
grep -q "crash-consistent at best" err.txt || { cat err.txt; fail "backup --allow-mounted --quiet does not warn"; }
lb backup "$L1" --plan --allow-mounted | grep -q "source: .*crash-consistent" || fail "the plan does not say crash-consistent"
lb clone fs.img c.img --yes --allow-mounted 2>err.txt || { cat err.txt; fail "clone --allow-mounted failed"; }
grep -q "crash-consistent at best" err.txt || { cat err.txt; fail "clone --allow-mounted does not say crash-consistent"; }
# read-only: nothing changes under it, so no refusal
mount -o remount,ro mnt
lb backup "$L1" ro.lbi >out.txt 2>err.txt || { cat err.txt; fail "backup of a read-only mounted source refused"; }
grep -q "source: $L1 is mounted read-only on $T/mnt" err.txt || { cat err.txt; fail "backup does not say the source is mounted read-only"; }
random_disk r.img 64
lb restore ro.lbi r.img --yes --quiet
debugfs -R "cat /file.txt" r.img 2>/dev/null | grep -q "written while mounted" || fail "file missing after restoring the read-only mounted copy"
umount mnt

# a disk file whose partition is mounted through a loop device at an offset
random_disk d.img 40
printf 'label: dos\nstart=2048, size=30MiB, type=83\n' | sfdisk -q d.img
mk_ext d.img 1 ext4 ""
L2=$(losetup -f --show -o 1048576 --sizelimit $((30 * 1048576)) d.img); LOOPS="$L2 $LOOPS"
mount "$L2" mnt
lb_expect_fail 4 "refusing to back up d.img: $L2 is mounted read-write on $T/mnt" backup d.img d.lbi
umount mnt
lb backup d.img d.lbi --quiet 2>err.txt
[ ! -s err.txt ] || { cat err.txt; fail "backup of an unmounted source printed something"; }
echo ok
