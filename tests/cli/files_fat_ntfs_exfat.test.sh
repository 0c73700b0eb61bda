#!/usr/bin/env bash
# lifeboat files / extract on FAT32, NTFS and exFAT: a GPT disk with a FAT32 ESP (mkfs.fat,
# filled by mtools), an NTFS partition (mkntfs, filled through ntfs-3g) and an exFAT one
# (mkfs.exfat, filled through exfat-fuse on a loop device), each holding the same tree: long
# and non-ASCII names (one outside the BMP on NTFS and exFAT), nested directories, an empty
# file, a read-only file, a file of a known mtime and files whose clusters are fragmented (one
# written into the gap a deleted file left, two appended to in turn). NTFS also: a hard link
# and a symlink. Backed up, listed and extracted per partition: every name, byte and the
# mtime equal what went in, the read-only file 0444, the NTFS metadata files not listed; the
# fillers' mounts are of the test's own partition files, never of the source under test, and
# the source disk and the image are unchanged. Then a FAT16 volume whose file has a looping
# chain, and a damaged chunk in its image: each failing file named (exit 3), the rest copied.
. "$(dirname "$0")/lib.sh"
for t in mkfs.fat mcopy mkntfs ntfs-3g mkfs.exfat mount.exfat-fuse losetup sgdisk python3 fusermount; do
	command -v $t >/dev/null || skip "$t missing (scripts/install-deps.sh host)"
done
[ "$(id -u)" = 0 ] || skip "needs root (loop devices, FUSE)"
[ -c /dev/fuse ] || skip "no /dev/fuse"
losetup -f >/dev/null 2>&1 || skip "no loop devices"
export TZ=UTC LC_ALL=C.UTF-8   # mtools writes long names from UTF-8 only in a UTF-8 locale
MNTS="" LOOPS=""
fsr_cleanup() {
	for m in $MNTS; do umount "$m" 2>/dev/null || true; done
	cleanup
}
trap fsr_cleanup EXIT
# fuse_up DIR CMD...: a FUSE driver in the foreground (its PID kept), until DIR is mounted
fuse_up() {
	local dir=$1; shift
	mkdir -p "$dir"
	"$@" >>fuse.log 2>&1 &
	FUSE_PID=$!
	for _ in $(seq 100); do mountpoint -q "$dir" && { MNTS="$MNTS $PWD/$dir"; return 0; }; sleep 0.1; done
	cat fuse.log >&2; fail "$* did not mount"
}
# fuse_down DIR: unmounted and its driver gone (so everything it wrote is in the file)
fuse_down() {
	sync
	for _ in $(seq 50); do umount "$1" 2>/dev/null && break; sleep 0.2; done
	mountpoint -q "$1" && fail "cannot unmount $1"
	wait "$FUSE_PID" || fail "the FUSE driver of $1 exited with status $?"
	MNTS=${MNTS/ $PWD\/$1/}
}

part_out() { # DISK P FILE
	dd if="$1" of="$3" bs=1M iflag=skip_bytes,count_bytes skip="$(part_start "$1" "$2")" \
		count="$(part_size "$1" "$2")" status=none
}
part_in() { # FILE DISK P
	dd if="$1" of="$2" bs=1M oflag=seek_bytes seek="$(part_start "$2" "$3")" conv=notrunc status=none
}

# ---- the tree every filesystem gets ---------------------------------------------------------
s=stage
mkdir -p "$s/EFI/BOOT" "$s/Documents and Settings/Ünïcödé folder/deeper/deepest" "$s/empty dir"
head -c 300K /dev/urandom >"$s/EFI/BOOT/BOOTX64.EFI"
head -c 70K /dev/urandom >"$s/Documents and Settings/Ünïcödé folder/deeper/deepest/leaf.bin"
echo "lower case" >"$s/lowercase.txt"
echo "a name past eight dot three" >"$s/A long file name with spaces and.dots.text"
echo "日本語" >"$s/日本語のファイル名.txt"
echo "Grüße" >"$s/Größe – ≠ ½.txt"
: >"$s/empty file"
echo "do not change" >"$s/readonly.txt"
echo "dated" >"$s/dated.txt"; touch -d '2021-03-04 05:06:08 UTC' "$s/dated.txt"
head -c 5000 /dev/urandom >"$s/fill1"; head -c 5000 /dev/urandom >"$s/fill3"
head -c 200K /dev/urandom >"$s/frag.bin"   # written after a 5000-byte file is deleted
head -c 5000 /dev/urandom >fill2
# two files appended to in turn: their clusters interleave
for i in $(seq 1 40); do head -c 3000 /dev/urandom >>"$s/interleaved-a.bin"; head -c 2500 /dev/urandom >>"$s/interleaved-b.bin"; done
uni="😀 emoji outside the BMP.txt"   # mtools cannot write it: NTFS and exFAT only
echo smile >"$uni"
late="fill1 fill3 frag.bin interleaved-a.bin interleaved-b.bin"

# ---- the disk -------------------------------------------------------------------------------
random_disk src.img 200
sgdisk -Z src.img >/dev/null 2>&1 || true
sgdisk -n1:2048:+48M -t1:ef00 -c1:ESP -n2:0:+64M -t2:0700 -c2:ntfs -n3:0:+48M -t3:0700 -c3:exfat \
	src.img >/dev/null

# FAT32 by mtools: the tree, then the fillers, fill2 deleted, frag.bin into its gap and on
part_out src.img 1 p.tmp
mkfs.fat -F 32 -s 1 -n ESP p.tmp >/dev/null 2>&1 || fail "mkfs.fat"
(cd $s && for f in *; do case " $late " in *" $f "*) ;; *) echo "$f" ;; esac; done) >fat-first.txt
while read -r f; do mcopy -m -s -i p.tmp "$s/$f" ::/ || fail "mcopy $f"; done <fat-first.txt
# FSInfo's next-free hint cleared (FSInfo in sector 1 as mkfs.fat puts it): mtools allocates
# from the start again, into fill2's gap
mcopy -m -i p.tmp "$s/fill1" fill2 "$s/fill3" ::/ && mdel -i p.tmp ::/fill2 &&
	printf '\xff\xff\xff\xff' | dd of=p.tmp bs=1 seek=$((512 + 492)) conv=notrunc status=none &&
	mcopy -m -i p.tmp "$s/frag.bin" ::/ || fail "mcopy fillers"
mcopy -m -i p.tmp "$s/interleaved-a.bin" "$s/interleaved-b.bin" ::/ || fail "mcopy interleaved"
mattrib -i p.tmp +r ::/readonly.txt || fail "mattrib"
mshowfat -i p.tmp ::/frag.bin | grep -q '> <' || fail "frag.bin is not fragmented on FAT"
part_in p.tmp src.img 1

# fill_fuse DIR: the tree into a mounted filesystem; the interleaved pair appended in turn
fill_fuse() {
	local m=$1 f
	while read -r f; do cp -r --preserve=timestamps "$s/$f" "$m/" || fail "cp $f"; done <fat-first.txt
	cp "$s/fill1" fill2 "$s/fill3" "$m/" && sync && rm "$m/fill2" && sync && cp "$s/frag.bin" "$m/" ||
		fail "fillers"
	python3 - "$s" "$m" <<'PY' || fail "the interleaved pair"
import sys
s, m = sys.argv[1:]
a, b = open(s + "/interleaved-a.bin", "rb").read(), open(s + "/interleaved-b.bin", "rb").read()
fa, fb = open(m + "/interleaved-a.bin", "wb"), open(m + "/interleaved-b.bin", "wb")
for i in range(40):
    fa.write(a[3000 * i:3000 * (i + 1)]); fa.flush()
    fb.write(b[2500 * i:2500 * (i + 1)]); fb.flush()
PY
	cp "$uni" "$m/" || fail "cp the emoji name"
}

# NTFS through ntfs-3g on the partition's own file
part_out src.img 2 p.tmp
mkntfs -q -F -Q -L NTFS -p $(( $(part_start src.img 2) / 512 )) -H 255 -S 63 p.tmp >/dev/null 2>&1 ||
	fail "mkntfs"
fuse_up mnt ntfs-3g -o no_detach p.tmp mnt
fill_fuse mnt
python3 -c 'import os; os.setxattr("mnt/readonly.txt", "system.ntfs_attrib_be", (0x21).to_bytes(4, "big"))' ||
	fail "the NTFS read-only attribute"
mkdir mnt/links; echo "linked" >mnt/links/a; ln mnt/links/a mnt/links/b; ln -s ../dated.txt mnt/links/sym
fuse_down mnt
part_in p.tmp src.img 2

# exFAT through exfat-fuse on a loop device over the partition's own file
part_out src.img 3 p.tmp
LOOP=$(losetup -f --show p.tmp) || fail "losetup"; LOOPS="$LOOPS $LOOP"
mkfs.exfat -L EXFAT -c 4K "$LOOP" >/dev/null 2>&1 || fail "mkfs.exfat"
fuse_up mnt mount.exfat-fuse -d "$LOOP" mnt   # -d: in the foreground
fill_fuse mnt
fuse_down mnt
losetup -d "$LOOP" || fail "losetup -d"; LOOPS=${LOOPS/ $LOOP/}
# exfat-fuse has no read-only attribute: set in readonly.txt's File entry, SetChecksum redone
python3 - p.tmp <<'PY' || fail "the exFAT read-only attribute"
import sys
b = bytearray(open(sys.argv[1], "rb").read())
name = "readonly.txt".encode("utf-16-le")
i = b.find(b"\xc1\x00" + name)
assert i > 64 and b[i - 64] == 0x85 and b[i - 32] == 0xc0, i
f = i - 64
b[f + 4] |= 1
n = b[f + 1] + 1
s = 0
for k in range(32 * n):
    if k in (2, 3): continue
    s = (((s & 1) << 15) | (s >> 1)) + b[f + k] & 0xffff
b[f + 2:f + 4] = s.to_bytes(2, "little")
open(sys.argv[1], "r+b").write(b)
PY
fsck.exfat -n p.tmp >fsck.log 2>&1 || { cat fsck.log; fail "fsck.exfat after setting the attribute"; }
part_in p.tmp src.img 3
rm -f p.tmp

src_sum=$(sum src.img)
lb backup src.img img.lbi --quiet
img_sum=$(sum img.lbi)

# ---- files ----------------------------------------------------------------------------------
lb_expect_fail 2 "several filesystems.*--partition" files img.lbi
for p in 1 2 3; do
	lb files img.lbi --partition $p / >ls$p.txt 2>err.txt || { cat err.txt; fail "files --partition $p /"; }
	for n in EFI "Documents and Settings" lowercase.txt "A long file name with spaces and.dots.text" \
	         "日本語のファイル名.txt" "Größe – ≠ ½.txt" "empty file" frag.bin; do
		grep -qF " $n" ls$p.txt || { cat ls$p.txt; fail "partition $p: $n not listed"; }
	done
	grep -q '^-r--r--r-- .* readonly.txt$' ls$p.txt || { cat ls$p.txt; fail "partition $p: the read-only file is not 0444"; }
	grep -q ' 2021-03-04 05:06:08 dated.txt$' ls$p.txt || { cat ls$p.txt; fail "partition $p: mtime"; }
	grep -q '^d.* empty dir$' ls$p.txt || { cat ls$p.txt; fail "partition $p: a directory"; }
	lb files img.lbi --partition $p "/Documents and Settings/Ünïcödé folder/deeper/deepest" |
		grep -q ' 71680 .* leaf.bin$' || fail "partition $p: a nested file and its size"
	# names are case-insensitive on these filesystems, as Windows has them
	lb files img.lbi --partition $p /EFI/BOOT >ci1.txt && lb files img.lbi --partition $p /efi/Boot >ci2.txt ||
		fail "partition $p: /efi/Boot does not find EFI/BOOT"
	cmp -s ci1.txt ci2.txt || fail "partition $p: /efi/Boot lists something else than /EFI/BOOT"
done
grep -q '\$MFT\|\$Bitmap' ls2.txt && fail "NTFS metadata files are listed"
grep -qF " $uni" ls2.txt && grep -qF " $uni" ls3.txt || fail "the name outside the BMP is not listed"
lb files img.lbi --partition 2 /links >lsl.txt
grep -q '^-rw-r--r-- *2 .* a$' lsl.txt || { cat lsl.txt; fail "NTFS: the link count"; }
grep -q ' sym -> ../dated.txt$' lsl.txt || { cat lsl.txt; fail "NTFS: the symlink"; }
lb files img.lbi --partition 1 --json / >j.txt
python3 - <<'PY' || fail "files --json of FAT"
import json
j = json.load(open("j.txt"))
assert j["partition"] == 1 and j["filesystem"] == "fat", j
assert any(e["name"] == "frag.bin" and e["size"] == 200 * 1024 for e in j["entries"]), j
PY

# ---- extract --------------------------------------------------------------------------------
# compare STAGE DIR [extra]: the same names and bytes (the emoji name and NTFS' links aside)
compare() {
	python3 - "$@" <<'PY'
import hashlib, os, sys
a, b, extra = sys.argv[1], sys.argv[2], sys.argv[3:]
def walk(top):
    out = {}
    for root, dirs, files in os.walk(top):
        for n in dirs + files:
            p = os.path.join(root, n); rel = os.path.relpath(p, top)
            if os.path.islink(p): out[rel] = "-> " + os.readlink(p)
            elif os.path.isdir(p): out[rel] = "dir"
            else: out[rel] = hashlib.sha256(open(p, "rb").read()).hexdigest()
    return out
x, y = walk(a), walk(b)
for e in extra:
    x[e] = y.get(e, "missing")
bad = sorted(k for k in set(x) | set(y) if x.get(k) != y.get(k))
for k in bad[:20]:
    print("differs:", k, x.get(k), y.get(k))
sys.exit(1 if bad else 0)
PY
}
for p in 1 2 3; do
	mkdir out$p
	lb extract img.lbi --partition $p / --to out$p 2>err.txt || { cat err.txt; fail "extract --partition $p /"; }
	case $p in
		1) compare $s out$p || fail "FAT32: the extracted tree differs" ;;
		2) rm -rf out$p/links; cmp "$uni" "out$p/$uni" && rm "out$p/$uni" || fail "NTFS: the emoji file"
		   compare $s out$p || fail "NTFS: the extracted tree differs" ;;
		3) cmp "$uni" "out$p/$uni" && rm "out$p/$uni" || fail "exFAT: the emoji file"
		   compare $s out$p || fail "exFAT: the extracted tree differs" ;;
	esac
	[ "$(stat -c %Y out$p/dated.txt)" = "$(stat -c %Y $s/dated.txt)" ] || fail "partition $p: extracted mtime"
	[ "$(stat -c %a out$p/readonly.txt)" = 444 ] || fail "partition $p: extracted mode of the read-only file"
done
# single files, and NTFS links as links
mkdir one
lb extract img.lbi --partition 1 /frag.bin "/Documents and Settings" --to one --quiet
cmp one/frag.bin $s/frag.bin || fail "extract of the fragmented FAT file"
[ -f "one/Documents and Settings/Ünïcödé folder/deeper/deepest/leaf.bin" ] || fail "extract of a FAT tree"
mkdir two
lb extract img.lbi --partition 2 /links --to two --quiet
[ "$(stat -c %i two/links/a)" = "$(stat -c %i two/links/b)" ] || fail "NTFS hard links are not links"
[ "$(readlink two/links/sym)" = ../dated.txt ] || fail "NTFS symlink target"
mkdir three
lb extract img.lbi --partition 3 /interleaved-a.bin /interleaved-b.bin --to three --quiet
cmp three/interleaved-a.bin $s/interleaved-a.bin && cmp three/interleaved-b.bin $s/interleaved-b.bin ||
	fail "exFAT: the interleaved files"

# ---- a FAT16 volume (no partition table): a damaged chunk in one file, a looping chain ------
mkdir -p h/dir; head -c 6M /dev/urandom >h/big.bin; echo ok >h/a.txt; echo deep >h/dir/b.txt
head -c 9000 /dev/urandom >h/loop.txt
truncate -s 16M h.img; mkfs.fat -F 16 -s 4 h.img >/dev/null 2>&1; mcopy -m -s -i h.img h/* ::/
python3 - <<'PY' || fail "making loop.txt's chain loop"
import struct
b = bytearray(open("h.img", "rb").read())
bps, spc, res, nf, rootent, _, _, fatsz = struct.unpack_from("<HBHBHHBH", b, 11)
fat = res * bps; root = fat + nf * fatsz * bps
for i in range(root, root + rootent * 32, 32):
    if b[i:i + 11] == b"LOOP    TXT":
        c0 = struct.unpack_from("<H", b, i + 26)[0]
        c1 = struct.unpack_from("<H", b, fat + 2 * c0)[0]
        for k in range(nf):   # the second cluster leads back to the first, in every copy
            struct.pack_into("<H", b, fat + k * fatsz * bps + 2 * c1, c0)
        break
else:
    raise SystemExit("no LOOP.TXT")
open("h.img", "r+b").write(b)
PY
lb backup h.img h.lbi --quiet
mkdir hl hx
lb_expect_fail 3 'loop.txt.*loops' extract h.lbi /loop.txt --to hl
rc=0; lb extract h.lbi / --to hx 2>err.txt || rc=$?
[ "$rc" = 3 ] || { cat err.txt; fail "extract of a FAT volume with a looping chain exited $rc, wanted 3"; }
grep -q "loop.txt.*loops" err.txt || { cat err.txt; fail "the looping file is not named"; }
cmp hx/big.bin h/big.bin && cmp hx/dir/b.txt h/dir/b.txt && cmp hx/a.txt h/a.txt ||
	fail "the files beside the looping one differ"
size=$(stat -c %s h.lbi) hit=
for frac in 50 40 60 30 70 45 55; do
	cp h.lbi flip.lbi
	printf '\xff\xff\xff\xff' | dd of=flip.lbi bs=1 seek=$((size * frac / 100)) conv=notrunc status=none
	lb verify flip.lbi >/dev/null 2>v.txt && continue
	grep -q 'disk offset [0-9]*' v.txt && { hit=$frac; break; }
done
[ -n "$hit" ] || fail "no flip damaged a chunk"
mkdir dmg
rc=0; lb extract flip.lbi /big.bin /a.txt /dir --to dmg 2>err.txt || rc=$?
[ "$rc" = 3 ] || { cat err.txt; fail "extract of a damaged FAT image exited $rc, wanted 3"; }
grep -q "^/big.bin: .* could not be read (zeros in the copy)" err.txt || { cat err.txt; fail "the damaged FAT file is not named"; }
[ "$(grep -c 'could not be read' err.txt)" = 1 ] || { cat err.txt; fail "other files named damaged"; }
cmp dmg/a.txt h/a.txt && cmp dmg/dir/b.txt h/dir/b.txt || fail "the undamaged FAT files differ"
[ "$(stat -c %s dmg/big.bin)" = $((6 << 20)) ] || fail "the damaged FAT file has the wrong size"

[ "$(sum src.img)" = "$src_sum" ] || fail "the source disk changed"
[ "$(sum img.lbi)" = "$img_sum" ] || fail "the image changed"
echo "ok"
