#!/usr/bin/env bash
# Logical sector sizes. A partition table counts sectors: a whole-disk restore or clone between
# 4096- and 512-byte-sector disks is refused, naming both, and leaves the target untouched; 4Kn
# to 4Kn comes back whole. A filesystem restored alone (--partition N) may move when its own
# unit (FAT bytes per sector, ext block size) is at least the target's sector size, and is
# refused otherwise. An image file of a 4Kn disk is recorded as 4096-byte sectors (its GPT).
# Uses loop devices (losetup -b 4096); no partition scanning: partitions are --offset loops.
. "$(dirname "$0")/lib.sh"
LOOPS=
loop() { # VAR FILE [losetup options...]: VAR = the new loop device
	local _v=$1 _f=$2 _l; shift 2
	_l=$(losetup -f --show "$@" "$_f") || return 1
	LOOPS="$LOOPS $_l"
	printf -v "$_v" %s "$_l"
}
unloop() { losetup -d "$1"; LOOPS=${LOOPS// $1/}; }
random_disk probe.img 1
loop l probe.img -b 4096 2>/dev/null || skip "no loop devices"
unloop "$l"
[ -d tree ] || make_tree tree

# A 4Kn GPT disk: FAT16 with 4096-byte sectors (ESP), ext4 with 4096-byte blocks. In 4096-byte
# sectors: partition 1 at 256 (1 MiB), 6144 long; partition 2 at 6400, 10240 long.
random_disk src4k.img 96
loop L4 src4k.img -b 4096
sgdisk -n1:256:6399 -t1:ef00 -c1:esp -n2:6400:16639 -t2:8300 -c2:root "$L4" >/dev/null
loop P src4k.img -b 4096 -o $((256 * 4096)) --sizelimit $((6144 * 4096))
mkfs.fat -F 16 -s 1 -n ESP4K "$P" >/dev/null
mcopy -i "$P" -s tree/etc ::/
unloop "$P"
loop P src4k.img -b 4096 -o $((6400 * 4096)) --sizelimit $((10240 * 4096))
mke2fs -q -F -t ext4 -b 4096 -L root4k -d tree "$P"
unloop "$P"
blockdev --flushbufs "$L4"
E4=$((256 * 4096)) X4=$((6400 * 4096))
[ "$(dd if=src4k.img bs=1 skip=$((E4 + 11)) count=2 status=none | od -An -tu2 | tr -d ' ')" = 4096 ] ||
	fail "fixture: the ESP does not have 4096-byte sectors"
before=$(sum src4k.img)

# The 4Kn disk's image file records 4096-byte sectors, as its GPT says.
lb backup src4k.img file.lbi --quiet
lb info file.lbi --json | grep -q '"logical_sector":4096' || { lb info file.lbi >&2; fail "a 4Kn disk file is recorded with other than 4096-byte sectors"; }
lb list --disk src4k.img | grep -q "sectors 4096/" || fail "list shows other than 4096-byte sectors for the 4Kn disk file"
# And the device itself.
lb backup "$L4" dev.lbi --quiet
lb info dev.lbi --json | grep -q '"logical_sector":4096' || fail "the 4Kn device is recorded with other than 4096-byte sectors"
lb info dev.lbi --json | grep -q '"table":"gpt"' || fail "the 4Kn device's GPT is not seen"

# 4Kn image onto a 512-byte-sector disk: refused, naming both sizes; the target untouched.
random_disk t512.img 128
loop L5 t512.img
t512=$(sum t512.img)
lb_expect_fail 4 "4096.*512|512.*4096" restore dev.lbi "$L5" --yes
grep -q 4096 err.txt && grep -q 512 err.txt || fail "the refusal does not name both sector sizes"
lb_expect_fail 4 "4096.*512|512.*4096" restore file.lbi "$L5" --yes
lb_expect_fail 4 "4096.*512|512.*4096" clone "$L4" "$L5" --yes
[ "$(sum t512.img)" = "$t512" ] || fail "a refused restore or clone changed the target"

# 4Kn onto a larger 4Kn disk full of old data: everything back, the GPT moved to the new end.
random_disk t4k.img 128
loop L6 t4k.img -b 4096
lb restore dev.lbi "$L6" --yes --quiet
sgdisk -v "$L6" >v.txt 2>&1; grep -q "No problems found" v.txt || { cat v.txt >&2; fail "sgdisk -v on the restored 4Kn disk"; }
blockdev --flushbufs "$L6"
check_ext src4k.img t4k.img $X4
check_fat src4k.img t4k.img $E4
cmp_range src4k.img t4k.img 0 446                         # boot code (the sizes in the GPT differ)
cmp_range src4k.img t4k.img 8192 $((E4 - 8192))           # entries and the gap before partition 1
# and a clone 4Kn -> 4Kn
random_disk t4k.img 128
blockdev --flushbufs "$L6"
lb clone "$L4" "$L6" --yes --quiet
blockdev --flushbufs "$L6"
check_ext src4k.img t4k.img $X4
[ "$(sum src4k.img)" = "$before" ] || fail "the 4Kn source changed"

# A 512-byte-sector GPT disk (a file) onto the 4Kn disk: refused the other way round.
random_disk src512.img 96
sgdisk -n1:2048:+24M -t1:ef00 -n2:0:+40M -t2:8300 src512.img >/dev/null
mk_fat src512.img 1 16 tree/etc
mk_ext src512.img 2 ext4 tree -b 1024
lb backup src512.img s512.lbi --quiet
lb info s512.lbi --json | grep -q '"logical_sector":512' || fail "a 512-byte-sector disk file is recorded with other than 512-byte sectors"
random_disk t4k.img 128
blockdev --flushbufs "$L6"
t4k=$(sum t4k.img)
lb_expect_fail 4 "4096.*512|512.*4096" restore s512.lbi "$L6" --yes
lb_expect_fail 4 "4096.*512|512.*4096" clone src512.img "$L6" --yes
[ "$(sum t4k.img)" = "$t4k" ] || fail "a refused restore or clone changed the 4Kn target"

# Partition restores across sector sizes.
# 4Kn -> 512: FAT with 4096-byte sectors and ext4 with 4096-byte blocks both fit.
loop PT t512.img -o $((1 << 20)) --sizelimit $((64 << 20))
lb restore dev.lbi "$PT" --partition 2 --yes --quiet
check_ext src4k.img t512.img $X4 $((1 << 20))
lb restore dev.lbi "$PT" --partition 1 --yes --quiet
check_fat src4k.img t512.img $E4 $((1 << 20))
unloop "$PT"
# 512 -> 4Kn: FAT with 512-byte sectors and ext4 with 1024-byte blocks do not; untouched.
loop PT t4k.img -b 4096 -o $((1 << 20)) --sizelimit $((64 << 20))
lb_expect_fail 4 "512.*4096" restore s512.lbi "$PT" --partition 1 --yes
lb_expect_fail 4 "1024.*4096" restore s512.lbi "$PT" --partition 2 --yes
unloop "$PT"
[ "$(sum t4k.img)" = "$t4k" ] || fail "a refused partition restore changed the 4Kn target"
# A disk with no table, just a FAT with 512-byte sectors: not onto the 4Kn disk either.
truncate -s 32M fat512.img
mkfs.fat -F 16 -n LONE fat512.img >/dev/null
mcopy -i fat512.img -s tree/etc ::/
lb backup fat512.img fat512.lbi --quiet
lb_expect_fail 4 "512.*4096" restore fat512.lbi "$L6" --yes
lb_expect_fail 4 "512.*4096" clone fat512.img "$L6" --yes
[ "$(sum t4k.img)" = "$t4k" ] || fail "a refused restore or clone of a lone FAT changed the 4Kn target"
# --to M into a 4Kn disk *file*: its sector size comes from its GPT.
cp src4k.img t4kfile.img
lb_expect_fail 4 "512.*4096" restore s512.lbi t4kfile.img --partition 1 --to 1 --yes
cmp -s src4k.img t4kfile.img || fail "a refused --to restore changed the 4Kn disk file"
echo ok
