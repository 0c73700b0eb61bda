#!/usr/bin/env bash
# A failing source: reads that overlap injected fault ranges fail with EIO (the engine's
# LIFEBOAT_FAULTS test hook, on the same code path a dying disk takes). The backup must save
# every readable byte, list exactly the unreadable ranges, exit 6, and write a ddrescue mapfile
# that matches what was read; a restore of it says what is missing.
. "$(dirname "$0")/lib.sh"
build_gpt_disk src.img
p3=$(part_start src.img 3); p2=$(part_start src.img 2)
# bad areas: 3 sectors in the middle of the ext4 data, a 64 KiB run across a 1 MiB chunk
# boundary, one sector of the FAT, one sector of the raw BIOS boot partition
faults="$((p3 + 8 * 1048576 + 4096))+1536,$((p3 + 12 * 1048576 - 32768))+65536,$((p2 + 512))+512,$((1048576 + 4096))+512"
want=$(echo "$faults" | tr ',' '\n' | sort -n)
before=$(sum src.img)
rc=0
LIFEBOAT_FAULTS=$faults lb backup src.img img.lbi --mapfile map.txt --retries 1 2>err.txt || rc=$?
[ "$rc" = 6 ] || { cat err.txt; fail "backup of a failing disk exited $rc, wanted 6"; }
[ "$(sum src.img)" = "$before" ] || fail "source changed"
got=$(sed -n 's/^  offset \([0-9]*\), \([0-9]*\) bytes$/\1+\2/p' err.txt | sort -n)
[ "$got" = "$want" ] || { cat err.txt; fail "reported bad ranges differ: got [$got] want [$want]"; }
# the files reported for the ext4 partition are exactly those debugfs finds on those blocks
bs=$(dumpe2fs -h "src.img?offset=$p3" 2>/dev/null | awk -F: '/^Block size/{print $2+0}')
blocks=$(echo "$faults" | tr ',' '\n' | while IFS=+ read -r o l; do
	[ "$o" -ge "$p3" ] && [ "$o" -lt $((p3 + $(part_size src.img 3))) ] || continue
	seq $(( (o - p3) / bs )) $(( (o + l - 1 - p3) / bs ))
done | tr '\n' ' ')
inodes=$(debugfs -R "icheck $blocks" "src.img?offset=$p3" 2>/dev/null | awk 'NR>1 && $2 ~ /^[0-9]+$/ && $2 >= 11 {print $2}' | sort -u | tr '\n' ' ')
[ -n "$inodes" ] || fail "the injected faults hit no file: the test is not testing anything"
want_files=$(debugfs -R "ncheck $inodes" "src.img?offset=$p3" 2>/dev/null | awk 'NR>1 {print $2}' | sed 's|^//|/|' | sort -u)
got_files=$(sed -n 's/^  file: //p' err.txt | sort -u)
echo "damaged files: $got_files"
[ "$got_files" = "$want_files" ] || { cat err.txt; fail "damaged files reported [$got_files], debugfs says [$want_files]"; }
grep -q "^partition 3 (ext4" err.txt && grep -q "^partition 2 (vfat" err.txt && grep -q "^partition 1 (unknown" err.txt || { cat err.txt; fail "damage not reported per partition"; }
lb info img.lbi | grep -q "unreadable: 68096 bytes in 4 ranges" || { lb info img.lbi; fail "info does not show the unreadable ranges"; }
lb verify img.lbi --quiet >/dev/null
random_target dst.img 300; cp dst.img pipe.img   # the same old data under both
rc=0; lb restore img.lbi dst.img --yes 2>err.txt || rc=$?
[ "$rc" = 6 ] && grep -q "lacks 68096 bytes in 4 ranges" err.txt || { cat err.txt; fail "restore did not report the missing ranges (rc $rc)"; }
# the same through a pipe: the missing ranges are known once the trailer has been read
rc=0; lb restore - pipe.img --yes <img.lbi 2>err.txt || rc=$?
[ "$rc" = 6 ] && grep -q "lacks 68096 bytes in 4 ranges" err.txt || { cat err.txt; fail "restore from a pipe did not report the missing ranges (rc $rc)"; }
cmp -s dst.img pipe.img || fail "restores from the file and from a pipe differ"
# every '+' range of the mapfile is identical on the restored disk; every '-' range is zeros
# there and is exactly one of the injected ranges
python3 - "$faults" <<'PY'
import sys
faults = sorted(tuple(map(int, f.split('+'))) for f in sys.argv[1].split(','))
src, dst = open('src.img', 'rb'), open('dst.img', 'rb')
bad, good = [], 0
lines = [l for l in open('map.txt') if l.startswith('0x')]
for line in lines[1:]:          # the first is ddrescue's "current position" line
    pos, size, st = line.split()
    pos, size = int(pos, 16), int(size, 16)
    if st == '+':
        src.seek(pos); dst.seek(pos)
        if src.read(size) != dst.read(size):
            sys.exit(f"readable range {pos}+{size} differs after restore")
        good += size
    elif st == '-':
        dst.seek(pos)
        if dst.read(size) != bytes(size):
            sys.exit(f"unreadable range {pos}+{size} is not zeros")
        bad.append((pos, size))
if bad != faults:
    sys.exit(f"mapfile bad ranges {bad} != injected {faults}")
print(f"{good} readable bytes compared, {sum(s for _, s in bad)} unreadable")
PY
# --resume with patch chunks (rescued pieces that overwrite part of an earlier chunk): onto the
# restored disk and onto one with old data back in chunks holding bad sectors, the result is
# the same disk
rc=0; lb restore img.lbi dst.img --yes --resume --quiet || rc=$?
[ "$rc" = 6 ] || fail "resume onto the restored disk exited $rc"
cmp -s dst.img pipe.img || fail "resume changed a restored disk"
for at in $((p3 + 8 * 1048576)) $((p3 + 12 * 1048576 - 65536)) $p2 1048576; do
	head -c 16384 /dev/urandom | dd of=dst.img bs=4096 seek=$((at / 4096)) conv=notrunc status=none
done
rc=0; lb restore img.lbi dst.img --yes --resume --quiet || rc=$?
[ "$rc" = 6 ] || fail "resume onto a damaged copy exited $rc"
cmp -s dst.img pipe.img || fail "resume with patch chunks left a different disk"
echo ok
