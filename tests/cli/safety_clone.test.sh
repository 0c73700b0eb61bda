#!/usr/bin/env bash
# The right disk, or nothing: restore and clone refuse mounted targets (also a file backing a
# mounted loop device), the disk or file holding the image, and the source itself; backup
# refuses to save onto its own source. Clone copies by used blocks, onto real loop devices
# where the machine has them. Bad arguments get a usage message and status 2.
. "$(dirname "$0")/lib.sh"
build_gpt_disk src.img
before=$(sum src.img)
lb backup src.img img.lbi --quiet
lb_expect_fail 4 "onto itself" restore img.lbi img.lbi --yes
lb_expect_fail 4 "onto itself" clone src.img src.img --yes
lb_expect_fail 2 "needs IMAGE and TARGET" restore img.lbi
lb_expect_fail 2 "--level takes 1 to 19 with zstd" backup src.img x.lbi --level 99
lb_expect_fail 2 "--level takes 0 to 12 with deflate" backup src.img x.lbi --codec deflate --level 13
lb_expect_fail 2 "--codec takes zstd or deflate" backup src.img x.lbi --codec lz4
lb_expect_fail 2 "unknown command" frobnicate
lb_expect_fail 1 "cannot open nope.img.*No such file" backup nope.img x.lbi
lb_expect_fail 1 "does not exist|No such file.*truncate" restore img.lbi missing.img --yes
lb_expect_fail 4 "add --yes" restore img.lbi src.img
[ "$(sum src.img)" = "$before" ] || fail "a refused operation changed the source"

# clone between files, onto a larger file
random_target c.img 400
lb clone src.img c.img --yes --quiet
[ "$(sum src.img)" = "$before" ] || fail "clone changed its source"
gpt_ok c.img
check_ext src.img c.img $(part_start src.img 3)
check_fat src.img c.img $(part_start src.img 2)

# loop devices: block-device code paths and mount checks
L1=$(losetup -f --show src.img 2>/dev/null) || skip "no loop devices here (file tests passed)"
LOOPS="$L1"
random_target t.img 300
L2=$(losetup -f --show t.img); LOOPS="$LOOPS $L2"
lb backup "$L1" dev.lbi --quiet
lb restore dev.lbi "$L2" --yes --quiet
check_gpt_disk src.img t.img
lb verify dev.lbi --against "$L2" --quiet >/dev/null
random_target t2.img 300
L3=$(losetup -f --show t2.img); LOOPS="$LOOPS $L3"
lb clone "$L1" "$L3" --yes --quiet
check_gpt_disk src.img t2.img
lb_expect_fail 4 "same disk" clone "$L1" "$L1" --yes
# a mounted target, and the file behind it
truncate -s 64M fs.img; mke2fs -q -F -t ext4 fs.img
L4=$(losetup -f --show fs.img); LOOPS="$L4 $LOOPS"
mkdir mnt; mount "$L4" mnt
lb_expect_fail 4 "mounted" restore img.lbi "$L4" --yes
lb_expect_fail 4 "mounted" restore img.lbi fs.img --yes
lb_expect_fail 4 "mounted" clone src.img "$L4" --yes
# backing up a device onto a filesystem of that same device
lb_expect_fail 4 "being backed up" backup "$L4" mnt/self.lbi
[ ! -e mnt/self.lbi ] && [ ! -e mnt/self.lbi.part ] || fail "an image was written onto its source"
umount mnt
[ "$(sum src.img)" = "$before" ] || fail "source changed"
echo ok
