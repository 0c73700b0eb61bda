#!/usr/bin/env bash
# libblkid probes every partition (imager/probe_blkid.c): containers that no filesystem bitmap
# may decide — LUKS2, LUKS1, an LVM physical volume, md RAID members (1.2 at the start, 1.0 at
# the end of an ext4), BitLocker — and random data with no signature (VeraCrypt-like), and an
# ambiguous partition (a stale ext4 superblock under a new NTFS) are named in `list` (text and
# --json) and in the plan, and copied raw; xfs and btrfs show type, label and UUID. The backup
# restores byte for byte onto a disk holding old data; the source is unchanged. The same names
# come out for a read-only loop device over the disk, with a fault injected elsewhere, and for
# a disk without a table that is one LUKS volume.
# Made by real tools: cryptsetup luksFormat, pvcreate (on a loop device), mke2fs, mkntfs,
# mkfs.xfs, mkfs.btrfs. Crafted, because no tool here can make them: the md superblocks
# (mdadm --create needs the kernel's md driver; `mdadm --examine` checks what is written) and
# the BitLocker volume (no Linux tool creates one: its boot sector and FVE metadata header are
# written as libblkid's bitlocker probe and libbde's documentation describe them).
. "$(dirname "$0")/lib.sh"
MiB=$((1 << 20))
for t in cryptsetup pvcreate mkfs.xfs mkfs.btrfs mkntfs mdadm python3; do
	command -v "$t" >/dev/null || skip "$t missing (scripts/install-deps.sh host)"
done

# --- the partitions' contents, each made in its own file ----------------------------------------
head -c 32 /dev/urandom >key
luks() { # FILE MIB TYPE
	truncate -s "$2M" "$1"
	cryptsetup luksFormat -q --type "$3" --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
		--key-file key ${4:+--label "$4"} "$1" >/dev/null
}
luks luks2.img 32 luks2 vault
luks luks1.img 16 luks1

truncate -s 16M lvm.img
losetup -f >/dev/null 2>&1 || skip "no loop devices"
L=$(losetup -f --show lvm.img) || skip "cannot attach a loop device"
LOOPS="$L"
pvcreate -q --devicesfile "" "$L" >pv.txt 2>&1 || { cat pv.txt; fail "pvcreate on $L"; }
pvuuid=$(pvs --devicesfile "" --noheadings -o pv_uuid "$L" 2>/dev/null | tr -d ' ')
losetup -d "$L"; LOOPS=

# md superblock 1.x (struct mdp_superblock_1 in the kernel's md_p.h), raid1 of two devices
md_sb() { # FILE MIB SUPER_OFFSET_SECTORS DATA_OFFSET_SECTORS NAME
	python3 - "$@" <<'PY'
import os, struct, sys
f, mib, sup, data, name = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
sectors = mib * 2048
sb = bytearray(256 + 2 * 2)
struct.pack_into('<IIII', sb, 0, 0xa92b4efc, 1, 0, 0)
sb[16:32] = os.urandom(16)
sb[32:32 + len(name)] = name.encode()
size = sup - data if data == 0 else sectors - data   # 1.0: data below the superblock
struct.pack_into('<QiiQII', sb, 64, 1700000000, 1, 0, size, 0, 2)
struct.pack_into('<QQQQII', sb, 128, data, size, sup, 0, 0, 0)
sb[168:184] = os.urandom(16)
struct.pack_into('<QQQ', sb, 192, 1700000000, 10, 0xffffffffffffffff)
struct.pack_into('<I', sb, 220, 2)          # max_dev
struct.pack_into('<HH', sb, 256, 0, 1)      # roles: this is device 0, the other device 1
csum = sum(struct.unpack_from('<%dI' % (len(sb) // 4), sb))
csum = (csum & 0xffffffff) + (csum >> 32)
struct.pack_into('<I', sb, 216, csum & 0xffffffff)
with open(f, 'r+b') as o:
    o.seek(sup * 512); o.write(sb)
PY
}
# 1.2: the superblock 4 KiB from the start, data from 1 MiB (random: the array's contents)
head -c 16M /dev/urandom >md12.img
dd if=/dev/zero of=md12.img bs=4096 count=2 conv=notrunc status=none
md_sb md12.img 16 8 2048 "rescue:0"
mdadm --examine md12.img >mdx.txt 2>&1 || { cat mdx.txt; fail "mdadm --examine rejects the crafted 1.2 superblock"; }
grep -q "Raid Level : raid1" mdx.txt || { cat mdx.txt; fail "crafted md 1.2: not raid1"; }
# 1.0: an ext4 (the array's filesystem, from offset 0) with the superblock 8 KiB from the end
truncate -s 32M md10.img
make_tree tree
mke2fs -q -F -t ext4 -L inraid -d tree/etc md10.img $((32 * 1024 - 128))k
md_sb md10.img 32 $(( (32 * 2048 & ~7) - 16 )) 0 "rescue:1"
mdadm --examine md10.img >mdx.txt 2>&1 || { cat mdx.txt; fail "mdadm --examine rejects the crafted 1.0 superblock"; }

# BitLocker (Windows 7+): "\xeb\x58\x90-FVE-FS-" boot sector, FVE metadata offset at 176, a
# "-FVE-FS-" metadata block header (size, version 2) there; the rest is ciphertext (random).
head -c 16M /dev/urandom >bitlocker.img
python3 - bitlocker.img <<'PY'
import struct, sys
bs = bytearray(512)
bs[0:11] = b'\xeb\x58\x90-FVE-FS-'
struct.pack_into('<HBH', bs, 11, 512, 8, 0)     # bytes per sector, sectors per cluster
bs[71:82] = b'NO NAME    '
bs[160:176] = bytes.fromhex('3b d6 67 49 29 2e d8 4a 83 99 f6 a3 39 e3 d0 01'.replace(' ', ''))
meta = 2 * 1024 * 1024
struct.pack_into('<Q', bs, 176, meta)
struct.pack_into('<QQ', bs, 184, meta + 0x100000, meta + 0x200000)
bs[510:512] = b'\x55\xaa'
fve = bytearray(64)
fve[0:8] = b'-FVE-FS-'
struct.pack_into('<HH', fve, 8, 64, 2)
with open(sys.argv[1], 'r+b') as f:
    f.write(bs)
    for m in (meta, meta + 0x100000, meta + 0x200000):
        f.seek(m); f.write(fve)
PY

head -c 16M /dev/urandom >random.img

# a stale ext4 superblock under a new NTFS (the NTFS boot code sectors do not cover it)
truncate -s 32M amb.img
mke2fs -q -F -t ext4 amb.img
dd if=amb.img of=extsb bs=1024 skip=1 count=1 status=none
mkntfs -q -F -Q -L newntfs amb.img >/dev/null 2>&1
dd if=extsb of=amb.img bs=1024 seek=1 conv=notrunc status=none
[ "$(blkid -p -o value -s TYPE amb.img 2>/dev/null || true)" = "" ] || fail "blkid sees one filesystem in amb.img, wanted two"

xuuid=5b5c6a1e-7d0f-4c4b-9b7e-2f3a8d1c0e11 buuid=0d4c2b6e-1a3f-4e5d-8c7b-9a0f1e2d3c4b
truncate -s 64M xfs.img
TEST_DIR=1 TEST_DEV=1 QA_CHECK_FS=1 mkfs.xfs -q -f -L xfslab -m uuid=$xuuid xfs.img >/dev/null
truncate -s 120M btrfs.img
mkfs.btrfs -q -f -L btrlab -U $buuid btrfs.img >/dev/null

# --- the disk: old random data, a GPT, each content dd'd into its partition --------------------
random_disk src.img 420
sgdisk -Z src.img >/dev/null 2>&1 || true
sgdisk -n1:2048:+32M -n2:0:+16M -n3:0:+16M -n4:0:+16M -n5:0:+16M -n6:0:+16M -n7:0:+32M \
	-n8:0:+32M -n9:0:+64M -n10:0:+120M src.img >/dev/null
n=1
for f in luks2 luks1 lvm md12 bitlocker random amb md10 xfs btrfs; do
	[ "$(stat -c %s $f.img)" = "$(part_size src.img $n)" ] || fail "$f.img does not fit partition $n"
	dd if=$f.img of=src.img bs=1M seek=$(( $(part_start src.img $n) / MiB )) conv=notrunc status=none
	n=$((n + 1))
done
before=$(sum src.img)

# --- list: text and --json ------------------------------------------------------------------------
lb list --disk src.img >list.txt
cat list.txt
line() { grep -A2 -E "^    $1 " list.txt; }
line 1 | grep -q "crypto_LUKS vault" || fail "list: partition 1 is not crypto_LUKS labelled vault"
line 1 | grep -q "LUKS2: encrypted, copied raw" || fail "list: no LUKS2 note"
line 2 | grep -q "LUKS1: encrypted, copied raw" || fail "list: no LUKS1 note"
line 3 | grep -q "LVM2_member" || fail "list: partition 3 is not an LVM PV"
[ -z "$pvuuid" ] || line 3 | grep -q "uuid $pvuuid" || fail "list: PV UUID $pvuuid missing"
line 4 | grep -q "md RAID member (raid1, metadata 1.2, array rescue:0): copied raw" || fail "list: md 1.2 note"
line 5 | grep -q "BitLocker: encrypted, copied raw; the image holds the encrypted volume" || fail "list: BitLocker note"
line 6 | grep -q "no signature, random-looking data" || fail "list: random data not named"
line 7 | grep -q "two signatures, ext4 and ntfs (ambiguous): copied raw" || fail "list: ambiguity not named"
line 8 | grep -q "md RAID member (raid1, metadata 1.0, array rescue:1): copied raw; it also holds a filesystem signature (ext4)" || fail "list: md 1.0 over ext4"
line 9 | grep -q "xfs .*xfslab" || fail "list: xfs label"
line 9 | grep -q "uuid $xuuid" || fail "list: xfs UUID"
line 10 | grep -q "btrfs .*btrlab" || fail "list: btrfs label"
line 10 | grep -q "uuid $buuid" || fail "list: btrfs UUID"
lb list --json --disk src.img | python3 -c '
import json, sys
j = json.load(sys.stdin)
j = j["disks"] if isinstance(j, dict) else j
p = {x["number"]: x for x in j[0]["partitions"]}
want = {1: ("crypto_LUKS", "crypto", "2"), 2: ("crypto_LUKS", "crypto", "1"),
        3: ("LVM2_member", "raid", None), 4: ("linux_raid_member", "raid", "1.2"),
        5: ("BitLocker", "crypto", None), 6: ("", "random", None), 7: ("ambiguous", "ambiguous", None),
        8: ("linux_raid_member", "raid", "1.0"), 9: ("xfs", "filesystem", None),
        10: ("btrfs", "filesystem", None)}
for n, (fs, usage, ver) in want.items():
    assert p[n]["fs"] == fs and p[n]["usage"] == usage, (n, p[n])
    assert ver is None or p[n]["fs_version"] == ver, (n, p[n])
    assert "copied raw" in p[n]["note"], (n, p[n])
assert p[1]["label"] == "vault" and p[9]["label"] == "xfslab" and p[10]["label"] == "btrlab"
assert p[9]["uuid"] == sys.argv[1] and p[10]["uuid"] == sys.argv[2]
' $xuuid $buuid || fail "list --json: per-partition probe fields wrong"

# --- the plan: each one raw, with its line ----------------------------------------------------------
lb backup --plan src.img >plan.txt
cat plan.txt
pl() { grep -E "^$1 " plan.txt; }
for n in 1 2 3 4 5 6 7 8 9 10; do pl $n | grep -q " raw " || fail "plan: partition $n is not raw"; done
pl 1 | grep -q "LUKS2: encrypted, copied raw" || fail "plan: LUKS2 line"
pl 2 | grep -q "LUKS1: encrypted, copied raw" || fail "plan: LUKS1 line"
pl 3 | grep -q "LVM physical volume: copied raw (its logical volumes are not read)" || fail "plan: LVM line"
pl 4 | grep -q "md RAID member (raid1, metadata 1.2, array rescue:0): copied raw" || fail "plan: md line"
pl 5 | grep -q "BitLocker: encrypted, copied raw; the image holds the encrypted volume" || fail "plan: BitLocker line"
pl 6 | grep -q "random-looking data" || fail "plan: random line"
pl 7 | grep -q "two signatures, ext4 and ntfs (ambiguous): copied raw" || fail "plan: ambiguity line"
pl 8 | grep -q "ext4" || fail "plan: md 1.0 line does not name the ext4"
pl 9 | grep -q "xfs: Lifeboat has no used-block map for it, copied raw" || fail "plan: xfs line"

# a block device (read-only loop over the disk): libblkid reads the device's descriptor
L=$(losetup -f --show -r src.img) || fail "cannot attach src.img read-only"
LOOPS="$L"
lb list --disk "$L" >list-loop.txt
sed -n '3,$p' list.txt >a.txt; sed -n '3,$p' list-loop.txt >b.txt
diff a.txt b.txt || fail "list of the loop device differs from the file's"
lb backup --plan "$L" | sed 's|'"$L"'|src.img|' >plan-loop.txt
diff plan.txt plan-loop.txt || fail "the plan of the loop device differs from the file's"
losetup -d "$L"; LOOPS=

# a fault far from every signature (the test hooks do not stand between libblkid and the
# descriptor; the memfd window for handles without one is in tests/unit/test_probe.c)
LIFEBOAT_FAULTS=$(( $(part_start src.img 9) + 32 * MiB ))+4096 lb backup --plan src.img >plan-hook.txt
diff plan.txt plan-hook.txt || fail "the plan differs when the source is read through a test hook"

# --- backup, restore onto old data ------------------------------------------------------------------
lb backup src.img img.lbi >bk.txt
cat bk.txt
img=$(stat -c %s img.lbi)
# random contents do not compress: the random partition, the BitLocker and md 1.2 ciphertext
[ "$img" -ge $((46 * MiB)) ] || fail "image is $img bytes: the random partitions cannot be smaller than ~48 MiB"
random_target dst.img 420
lb restore img.lbi dst.img --yes --quiet
[ "$(sum src.img)" = "$before" ] || fail "source changed"
for n in 1 2 3 4 5 6 7 8 9 10; do cmp_range src.img dst.img "$(part_start src.img $n)" "$(part_size src.img $n)"; done
cmp_range src.img dst.img 0 $MiB
gpt_ok dst.img
# the restored LUKS volume opens with its key (checked without device-mapper)
dd if=dst.img of=back.img bs=1M skip=1 count=32 status=none
cryptsetup open --test-passphrase --key-file key back.img || fail "the restored LUKS2 volume does not take its key"

# --- a disk without a table: one LUKS volume ----------------------------------------------------
cp luks2.img whole.img
lb list --disk whole.img | grep -A2 -E "^    0 " | grep -q "LUKS2: encrypted, copied raw" || { lb list --disk whole.img; fail "list: whole-disk LUKS"; }
lb backup --plan whole.img | grep -E "^- " | grep -q "raw .*LUKS2: encrypted, copied raw" || fail "plan: whole-disk LUKS"
[ "$(sum src.img)" = "$before" ] || fail "source changed"
echo ok
