#!/usr/bin/env bash
# Strings a disk or an image chose are printed without their control characters: a GPT name, a
# FAT and an ext4 label, a file name (in a damage report) and an image's note holding ESC [2J
# (clear the screen), CR, BS, DEL, the C1 CSI (U+009B, and as a lone 0x9b byte), a right-to-left
# override (U+202E). `list`, `list --json`, `backup --plan`, `backup`, `info` and `info --json`
# carry no control byte, C1 control or invalid UTF-8; the JSON parses and gives back the
# sanitized strings; valid UTF-8 (a GPT name in Greek) survives.
. "$(dirname "$0")/lib.sh"
for t in sgdisk mkfs.fat mke2fs tune2fs debugfs python3; do command -v $t >/dev/null || skip "$t missing"; done

evil=$(printf 'A\033[2J\rB\bC\177D\302\233E\342\200\256F')      # ESC CR BS DEL U+009B U+202E
EXT_OFF=$((34816 * 512))
truncate -s 64M disk.img
sgdisk -n1:2048:+16M -t1:0700 -c1:"$evil" -n2:34816:+40M -t2:8300 -c2:"δίσκος" disk.img >/dev/null
mkfs.fat -F 16 -n TEMP --offset 2048 disk.img 16384 >/dev/null 2>&1
# FAT16 boot sector label (offset 43, 11 bytes), as a disk could hold it: ESC, a lone 0x9b, DEL
printf 'F\033[2J\233\177X  ' | dd of=disk.img bs=1 seek=$((2048 * 512 + 43)) conv=notrunc status=none
mkdir -p tree
echo secret >"tree/file$(printf '\033[2J\r')name"
head -c 200000 /dev/urandom >tree/pad.bin
mke2fs -q -t ext4 -L x -d tree -E offset=$EXT_OFF disk.img 40M
dd if=disk.img of=p2.img bs=512 skip=34816 count=81920 status=none
tune2fs -L "$(printf 'e\033[2J\r\b\177\302\233')" p2.img >/dev/null
dd if=p2.img of=disk.img bs=512 seek=34816 conv=notrunc status=none

# clean FILE WHAT: no C0 control (but newline), DEL, C1 (raw or UTF-8) and nothing but UTF-8
clean() {
	python3 - "$1" "$2" <<'PY'
import sys, re
data = open(sys.argv[1], 'rb').read()
try:
    text = data.decode('utf-8')
except UnicodeDecodeError as e:
    sys.exit(f"{sys.argv[2]}: not UTF-8 at byte {e.start}: {data[max(0, e.start - 20):e.start + 5]!r}")
bad = re.search('[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u2028-\u202e\u2066-\u2069]', text)
if bad:
    i = bad.start()
    sys.exit(f"{sys.argv[2]}: control character {bad.group()!r} in {text[max(0, i - 30):i + 10]!r}")
PY
}

lb list --disk disk.img >list.txt
clean list.txt "lifeboat list" || fail "list prints control characters"
grep -q 'e?\[2J???? ' list.txt || { cat list.txt; fail "the ext4 label is not shown sanitized"; }
grep -q 'F?\[2J??X ' list.txt || { cat list.txt; fail "the FAT label is not shown sanitized"; }

lb list --json --disk disk.img >list.json
clean list.json "lifeboat list --json" || fail "list --json carries control characters"
python3 - list.json <<'PY' || fail "list --json is not right"
import json, sys
d = json.load(open(sys.argv[1]))["disks"][0]
p = {x["number"]: x for x in d["partitions"]}
assert p[1]["name"] == "A?[2J?B?C?D?E?F", p[1]["name"]
assert p[2]["name"] == "δίσκος", p[2]["name"]
assert p[1]["label"] == "F?[2J??X", p[1]["label"]
assert p[2]["label"] == "e?[2J????", p[2]["label"]
PY

lb backup disk.img --plan >plan.txt 2>&1
clean plan.txt "backup --plan" || fail "backup --plan prints control characters"

# a backup with unreadable sectors in the file with the hostile name and in another: the damage
# report names both, sanitized, one line each
blk=$(debugfs -R "bmap /file$(printf '\033[2J\r')name 0" p2.img 2>/dev/null)
[ -n "$blk" ] || fail "cannot find the file's block"
blk2=$(debugfs -R "bmap /pad.bin 0" p2.img 2>/dev/null)
[ -n "$blk2" ] || fail "cannot find pad.bin's block"
bs=$(dumpe2fs -h p2.img 2>/dev/null | sed -n 's/^Block size: *//p')
rc=0
LIFEBOAT_FAULTS=$((EXT_OFF + blk * bs))+512,$((EXT_OFF + blk2 * bs))+512 lb backup disk.img img.lbi --quiet \
	--note "note $evil" >backup.txt 2>&1 || rc=$?
[ $rc = 6 ] || { cat backup.txt; fail "backup with an unreadable sector exited $rc, wanted 6"; }
clean backup.txt "backup" || fail "backup prints control characters"
grep -qE '^ +file: /file\?\[2J\?name$' backup.txt || { cat backup.txt; fail "the damage report does not name the file"; }
grep -qE '^ +file: /pad\.bin$' backup.txt || { cat backup.txt; fail "the damage report lost its lines"; }

# the note: CR and BS are blanked when the image is written; DEL, C1 and the override reach
# the image, and must be stopped when it is read
lb info img.lbi >info.txt
clean info.txt "info" || fail "info prints control characters"
grep -q 'note: *note A \[2J B C?D?E?F' info.txt || { cat info.txt; fail "the note is not shown"; }
lb info img.lbi --json >info.json
clean info.json "info --json" || fail "info --json carries control characters"
python3 -c 'import json,sys; i = json.load(open(sys.argv[1])); assert i["note"] == "note A [2J B C?D?E?F", i["note"]' info.json \
	|| fail "info --json does not give the sanitized note"

# a path on the command line is not sanitized, but JSON output stays valid JSON
cp img.lbi "$(printf 'x\033\377.lbi')"
lb info "$(printf 'x\033\377.lbi')" --json >path.json
python3 -c 'import json,sys; i = json.load(open(sys.argv[1])); assert i["image"] == "x\x1b\ufffd.lbi", i["image"]' path.json \
	|| { cat -v path.json; fail "info --json of an odd path is not valid JSON"; }
echo ok
