#!/usr/bin/env bash
# NTFS as mkntfs makes it and ntfs-3g fills it, on disks whose free space holds old random data:
# a Windows-style MBR disk (boot code, a "System Reserved" volume filled by ntfscp, the main
# volume) and a GPT one (ESP, MSR copied raw, main volume with 64 KiB clusters, recovery with
# 4 KiB sectors).
# The fixtures are filled through ntfs-3g's FUSE driver before anything is backed up (with
# files deleted, so free clusters hold old file data too); sources under test are never mounted.
# Backup by used clusters (image far smaller than the volumes), restore onto disks of random
# data: ntfsfix -n clean, ntfsls -R trees and every file's bytes (ntfscat) equal, the backup
# boot sector in place, sources unchanged. Then the states Windows leaves: a dirty volume and a
# hibernated one are imaged without a write and the plan says what state they are in.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
for t in mkntfs ntfscp ntfsls ntfscat ntfsfix ntfscluster ntfs-3g fusermount python3; do
	command -v $t >/dev/null || skip "$t missing (scripts/install-deps.sh host)"
done
[ -c /dev/fuse ] || skip "no /dev/fuse"
declare -A FUSE_PID=()
ntfs_cleanup() {
	local dir
	for dir in "${!FUSE_PID[@]}"; do
		fusermount -u -z "$dir" 2>/dev/null || true
		kill "${FUSE_PID[$dir]}" 2>/dev/null || true
	done
	cleanup
}
trap ntfs_cleanup EXIT

# part_out DISK P FILE / part_in FILE DISK P: a partition to and from a file of its own
part_out() {
	dd if="$1" of="$3" bs=1M iflag=skip_bytes,count_bytes skip="$(part_start "$1" "$2")" \
		count="$(part_size "$1" "$2")" status=none
}
part_in() {
	dd if="$1" of="$2" bs=1M oflag=seek_bytes seek="$(part_start "$2" "$3")" conv=notrunc status=none
}
# mk_ntfs DISK P LABEL [mkntfs options]: quick format over the old data (-Q), as Windows does;
# SECT: its sector size (default 512)
mk_ntfs() {
	local disk=$1 p=$2 label=$3 sect=${SECT:-512}; shift 3
	part_out "$disk" "$p" p.tmp
	mkntfs -q -F -Q -L "$label" -p $(( $(part_start "$disk" "$p") / sect )) -H 255 -S 63 -s "$sect" "$@" p.tmp \
		>/dev/null 2>&1 || fail "mkntfs $disk $p"
	part_in p.tmp "$disk" "$p"
	rm -f p.tmp
}
ntfs_mount() { # FILE DIR: read-write, for filling fixtures only
	mkdir -p "$2"
	ntfs-3g -o no_detach "$1" "$2" >>ntfs-3g.log 2>&1 &
	FUSE_PID[$2]=$!
	for _ in $(seq 100); do mountpoint -q "$2" && return 0; sleep 0.1; done
	cat ntfs-3g.log >&2
	fail "ntfs-3g could not mount $1"
}
ntfs_umount() { # DIR: waits for ntfs-3g to finish writing
	fusermount -u "$1" || fail "cannot unmount $1"
	wait "${FUSE_PID[$1]}" || fail "ntfs-3g on $1 exited with status $?"
	unset "FUSE_PID[$1]"
}
# ntfs_fill DISK P TREE MIB: through ntfs-3g, the same into TREE (the reference): headers and
# config files, random files of which half are deleted, then more random files into the holes.
ntfs_fill() {
	local disk=$1 p=$2 tree=$3 mib=$4 i
	part_out "$disk" "$p" p.tmp
	ntfs_mount p.tmp mnt
	mkdir -p "$tree/usr/include" "$tree/etc" "$tree/deep/a/b/c" "$tree/empty dir"
	cp -r /usr/include/ext2fs "$tree/usr/include/"
	cp /etc/*.conf "$tree/etc/" 2>/dev/null || true
	echo deep >"$tree/deep/a/b/c/file.txt"
	: >"$tree/empty file"
	head -c 700 /dev/urandom >"$tree/small resident.bin"
	cp -r "$tree"/. mnt/
	for i in $(seq 1 "$mib"); do head -c 1M /dev/urandom >"$tree/old$i.bin"; cp "$tree/old$i.bin" mnt/; done
	for i in $(seq 1 2 "$mib"); do rm "mnt/old$i.bin" "$tree/old$i.bin"; done
	for i in $(seq 1 $((mib / 2))); do head -c $((i * 100000)) /dev/urandom >"$tree/new$i.bin"; cp "$tree/new$i.bin" mnt/; done
	ntfs_umount mnt
	[ -n "$(ls -A "$tree")" ] || fail "nothing written"
	part_in p.tmp "$disk" "$p"
	rm -f p.tmp
}
# ntfscp_files DISK P TREE FILE...: ntfscp (no mount) of random files of the given KiB sizes
ntfscp_files() {
	local disk=$1 p=$2 tree=$3 f; shift 3
	part_out "$disk" "$p" p.tmp
	mkdir -p "$tree"
	for f in "$@"; do
		head -c $(( ${f#*:} * 1024 )) /dev/urandom >"$tree/${f%:*}"
		ntfscp -q p.tmp "$tree/${f%:*}" "${f%:*}" >/dev/null 2>&1 || fail "ntfscp ${f%:*}"
	done
	part_in p.tmp "$disk" "$p"
	rm -f p.tmp
}
# check_ntfs SRC DST P TREE: the restored volume is clean, lists as the source's does, holds
# TREE's files byte for byte, and its last sector (the backup boot sector) is the source's.
check_ntfs() {
	local src=$1 dst=$2 p=$3 tree=$4 f n=0
	part_out "$src" "$p" a.tmp
	part_out "$dst" "$p" b.tmp
	if [ "${NTFSFIX:-}" != skip ]; then
		ntfsfix -n b.tmp >fix.txt 2>&1 || { cat fix.txt >&2; fail "ntfsfix -n: partition $p"; }
		grep -q "processed successfully" fix.txt || { cat fix.txt >&2; fail "ntfsfix -n: partition $p"; }
	fi
	# -f: a dirty volume (by design below) is listed too
	ntfsls -f -R -l -a -s a.tmp >la.txt 2>&1
	ntfsls -f -R -l -a -s b.tmp >lb.txt 2>&1
	[ "$(wc -l <la.txt)" -gt 5 ] || { cat la.txt >&2; fail "ntfsls lists nothing on partition $p"; }
	cmp -s la.txt lb.txt || { diff la.txt lb.txt | head >&2; fail "ntfsls -R differs: partition $p"; }
	while IFS= read -r f; do
		ntfscat -f b.tmp "${f#"$tree"}" 2>/dev/null | cmp -s - "$f" || fail "partition $p: ${f#"$tree"} differs"
		n=$((n + 1))
	done < <(find "$tree" -type f)
	[ "$n" -gt 0 ] || fail "no files checked on partition $p"
	local bps last
	bps=$(od -An -tu2 -j11 -N2 a.tmp | tr -d ' ')
	last=$(( $(part_size "$src" "$p") / bps * bps - bps ))
	cmp -s -n "$bps" -i "$last:$last" a.tmp b.tmp || fail "partition $p: backup boot sector differs"
	rm -f a.tmp b.tmp
}
lcn_of() { # PARTFILE PATH -> the first LCN of its $DATA
	ntfscluster -F "$2" "$1" 2>/dev/null | awk '$1 == 0 && $2 ~ /^[0-9]+$/ { print $2; exit }'
}
# set_dirty FILE P: sets VOLUME_IS_DIRTY in $Volume's VOLUME_INFORMATION, in $MFT and $MFTMirr
# (records are fixed up per 512 bytes: undone, patched, redone)
set_dirty() {
	python3 - "$1" "$(part_start "$1" "$2")" <<'EOF'
import struct, sys
f = open(sys.argv[1], 'r+b'); base = int(sys.argv[2])
f.seek(base); b = f.read(512)
bps, spc = struct.unpack_from('<HB', b, 11)
cs = bps * spc
mft, mirr = struct.unpack_from('<qq', b, 0x30)
cpr = struct.unpack_from('<b', b, 0x40)[0]
rs = cpr * cs if cpr > 0 else 1 << -cpr
for lcn in (mft, mirr):
    at = base + lcn * cs + 3 * rs
    f.seek(at); r = bytearray(f.read(rs))
    assert r[:4] == b'FILE'
    uo, uc = struct.unpack_from('<HH', r, 4)
    usn = r[uo:uo + 2]
    for i in range(1, uc):
        r[i * 512 - 2:i * 512] = r[uo + 2 * i:uo + 2 * i + 2]
    a = struct.unpack_from('<H', r, 0x14)[0]
    while True:
        t, l = struct.unpack_from('<II', r, a)
        assert t != 0xffffffff, 'no VOLUME_INFORMATION'
        if t == 0x70:
            v = a + struct.unpack_from('<H', r, a + 0x14)[0]
            r[v + 10] |= 1
            break
        a += l
    for i in range(1, uc):
        r[uo + 2 * i:uo + 2 * i + 2] = r[i * 512 - 2:i * 512]
        r[i * 512 - 2:i * 512] = usn
    f.seek(at); f.write(r)
EOF
}

# --- Windows-style MBR disk: boot code, System Reserved (active), main -----------------------
random_disk mbr.img 240
printf 'label: dos\nstart=2048, size=50MiB, type=7, bootable\nstart=104448, type=7\n' |
	sfdisk -q mbr.img
mk_ntfs mbr.img 1 "System Reserved" -c 4096
mk_ntfs mbr.img 2 Windows
ntfscp_files mbr.img 1 tree1 bootmgr:400 BOOTSECT.BAK:8 bcd:24
ntfs_fill mbr.img 2 tree2 12
before=$(sum mbr.img)
lb backup mbr.img mbr.lbi >plan.txt 2>&1 || { cat plan.txt; fail "backup of the MBR disk"; }
[ "$(sum mbr.img)" = "$before" ] || fail "MBR source changed"
grep -Eq "^1 +ntfs .* used .*only blocks the filesystem uses" plan.txt || { cat plan.txt; fail "System Reserved not by used clusters"; }
grep -Eq "^2 +ntfs .* used .*only blocks the filesystem uses" plan.txt || { cat plan.txt; fail "main NTFS not by used clusters"; }
# Written: 12 MiB of random files (6 deleted) plus ~3.5 MiB new; the volumes are 210 MiB of
# random bytes. A raw copy would store them all.
size=$(stat -c %s mbr.lbi)
[ "$size" -lt $((30 * 1024 * 1024)) ] || { cat plan.txt; fail "MBR image is $size bytes: not by used clusters"; }
random_target mbr-dst.img 240
lb restore mbr.lbi mbr-dst.img --yes --quiet
cmp_range mbr.img mbr-dst.img 0 440   # the boot code
check_ntfs mbr.img mbr-dst.img 1 tree1
check_ntfs mbr.img mbr-dst.img 2 tree2
[ "$(sum mbr.img)" = "$before" ] || fail "MBR source changed"

# --- GPT: ESP, MSR, main (64 KiB clusters), recovery (4 KiB sectors) ----------------------
random_disk gpt.img 240
sgdisk -n1:2048:+32M -t1:ef00 -c1:EFI -n2:0:+16M -t2:0c01 -c2:"Microsoft reserved partition" \
	-n3:0:+150M -t3:0700 -c3:"Basic data partition" -n4:0:0 -t4:2700 -c4:Recovery gpt.img >/dev/null
mk_fat gpt.img 1 32 ""
mk_ntfs gpt.img 3 Windows -c 65536
SECT=4096 mk_ntfs gpt.img 4 Recovery   # 4 KiB sectors (as on 4Kn disks)
ntfs_fill gpt.img 3 tree3 10
ntfscp_files gpt.img 4 tree4 Winre.wim:3000 ReAgent.xml:2
before=$(sum gpt.img)
lb backup gpt.img gpt.lbi >plan.txt 2>&1 || { cat plan.txt; fail "backup of the GPT disk"; }
[ "$(sum gpt.img)" = "$before" ] || fail "GPT source changed"
grep -Eq "^2 .* raw " plan.txt || { cat plan.txt; fail "MSR not copied raw"; }
for p in 3 4; do
	grep -Eq "^$p +ntfs .* used " plan.txt || { cat plan.txt; fail "GPT partition $p not by used clusters"; }
done
size=$(stat -c %s gpt.lbi)
[ "$size" -lt $((40 * 1024 * 1024)) ] || { cat plan.txt; fail "GPT image is $size bytes: not by used clusters"; }
random_target gpt-dst.img 240
lb restore gpt.lbi gpt-dst.img --yes --quiet
cmp_range gpt.img gpt-dst.img "$(part_start gpt.img 2)" "$(part_size gpt.img 2)"   # MSR, raw
check_ntfs gpt.img gpt-dst.img 3 tree3
check_ntfs gpt.img gpt-dst.img 4 tree4
gpt_ok gpt-dst.img
[ "$(sum gpt.img)" = "$before" ] || fail "GPT source changed"

# --- a failing disk: the damage report names the NTFS files on unreadable sectors, as
# ntfscluster (ntfsprogs) finds them
p3=$(part_start gpt.img 3)
part_out gpt.img 3 a.tmp
cs=65536
faults="" want_files=""
for f in /old4.bin /new3.bin /usr/include/ext2fs/ext2fs.h; do
	lcn=$(lcn_of a.tmp "$f")
	[ -n "$lcn" ] || fail "ntfscluster finds no cluster of $f"
	faults+="${faults:+,}$((p3 + lcn * cs + 4096))+1024"
	want_files+=$(ntfscluster -c "$lcn-$lcn" a.tmp 2>/dev/null | sed -n 's|^Inode [0-9]* \(/.*\)/\$DATA$|\1|p')$'\n'
done
want_files=$(sort -u <<<"$want_files" | sed '/^$/d')
rm -f a.tmp
[ "$(wc -l <<<"$want_files")" = 3 ] || fail "ntfscluster names [$want_files]: the test is not testing anything"
before=$(sum gpt.img)
rc=0
LIFEBOAT_FAULTS=$faults lb backup gpt.img bad.lbi --retries 1 2>err.txt || rc=$?
[ "$rc" = 6 ] || { cat err.txt; fail "backup of a failing NTFS exited $rc, wanted 6"; }
[ "$(sum gpt.img)" = "$before" ] || fail "GPT source changed"
got_files=$(sed -n 's/^  file: //p' err.txt | sort -u)
[ "$got_files" = "$want_files" ] || { cat err.txt; fail "damaged files reported [$got_files], ntfscluster says [$want_files]"; }
grep -q "^partition 3 (ntfs" err.txt || { cat err.txt; fail "damage not reported for partition 3"; }

# --- the states Windows leaves: never fixed, only described --------------------------------
# dirty (chkdsk due), with the $Bitmap bits of one file cleared (the kind of disagreement
# chkdsk is due for): by used clusters plus every cluster the files name, and the plan says so
cp mbr.img dirty.img
part_out dirty.img 2 p.tmp
lcn=$(lcn_of p.tmp /old4.bin); bm=$(lcn_of p.tmp '/$Bitmap')
[ -n "$lcn" ] && [ -n "$bm" ] || fail "ntfscluster finds no clusters of /old4.bin or \$Bitmap"
python3 - p.tmp "$bm" "$lcn" 256 <<'EOF'
import sys
f = open(sys.argv[1], 'r+b'); bm, lcn, n = map(int, sys.argv[2:])
for c in range(lcn, lcn + n):
    f.seek(bm * 4096 + c // 8); v = f.read(1)[0]
    f.seek(bm * 4096 + c // 8); f.write(bytes([v & ~(1 << (c % 8))]))
EOF
part_in p.tmp dirty.img 2
rm -f p.tmp
set_dirty dirty.img 2
before=$(sum dirty.img)
lb backup dirty.img dirty.lbi >plan.txt 2>&1 || { cat plan.txt; fail "backup of a dirty volume"; }
[ "$(sum dirty.img)" = "$before" ] || fail "dirty source changed"
grep -Eq "^2 +ntfs .* used .*marked dirty" plan.txt || { cat plan.txt; fail "the plan does not say the volume is dirty"; }
grep -Eq "^1 +ntfs .* used " plan.txt || { cat plan.txt; fail "the clean volume beside it not by used clusters"; }
! grep -q "tried to write" plan.txt || { cat plan.txt; fail "libntfs-3g tried to write"; }
random_target dirty-dst.img 240
lb restore dirty.lbi dirty-dst.img --yes --quiet
NTFSFIX=skip check_ntfs dirty.img dirty-dst.img 2 tree2   # dirty by design: ntfsfix would say so

# hibernated (hiberfil.sys starting with HIBR) with a clean $LogFile: by used clusters, said
cp mbr.img hib.img
{ printf HIBR; head -c 65532 /dev/urandom; } >hiberfil.sys
part_out hib.img 2 p.tmp
ntfscp -q p.tmp hiberfil.sys hiberfil.sys >/dev/null 2>&1 || fail "ntfscp hiberfil.sys"
part_in p.tmp hib.img 2
rm -f p.tmp
mkdir -p treeh && cp hiberfil.sys treeh/
before=$(sum hib.img)
lb backup hib.img hib.lbi >plan.txt 2>&1 || { cat plan.txt; fail "backup of a hibernated volume"; }
[ "$(sum hib.img)" = "$before" ] || fail "hibernated source changed"
grep -Eq "^2 +ntfs .* used .*hibernated" plan.txt || { cat plan.txt; fail "the plan does not say Windows is hibernated"; }
random_target hib-dst.img 240
lb restore hib.lbi hib-dst.img --yes --quiet
check_ntfs hib.img hib-dst.img 2 treeh
echo ok
