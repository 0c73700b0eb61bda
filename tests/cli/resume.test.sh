#!/usr/bin/env bash
# restore --resume: compares the target with each chunk first and writes only what differs;
# after an interrupted restore (killed mid-way) it completes the job.
. "$(dirname "$0")/lib.sh"
build_gpt_disk src.img
lb backup src.img img.lbi --quiet
random_target dst.img 300
lb restore img.lbi dst.img --yes --quiet
# unchanged target: nothing rewritten
lb restore img.lbi dst.img --yes --resume 2>err.txt
grep -q "restored 0 B" err.txt || { cat err.txt; fail "resume rewrote an unchanged disk"; }
# damage 3 MiB inside the ext4 partition's used data and the FAT: only that is rewritten
off=$(part_start src.img 3)
dd if=/dev/urandom of=dst.img bs=1M seek=$(( off / 1048576 + 1 )) count=3 conv=notrunc status=none
dd if=/dev/urandom of=dst.img bs=1K seek=$(( $(part_start src.img 2) / 1024 )) count=64 conv=notrunc status=none
lb restore img.lbi dst.img --yes --resume 2>err.txt
w=$(sed -n 's/^restored \([0-9.]*\) MiB.*/\1/p' err.txt)
[ -n "$w" ] && awk -v w="$w" 'BEGIN{exit !(w >= 1 && w <= 6)}' || { cat err.txt; fail "resume rewrote ${w:-?} MiB for 3 MiB of damage"; }
check_ext src.img dst.img $off
check_fat src.img dst.img $(part_start src.img 2)
lb verify img.lbi --against dst.img --quiet >/dev/null
# an interrupted restore, then --resume
random_target k.img 300
lb restore img.lbi k.img --yes --quiet --no-verify & pid=$!
sleep 0.3; kill -KILL $pid 2>/dev/null || true; wait $pid 2>/dev/null || true
lb restore img.lbi k.img --yes --resume --quiet
check_gpt_disk src.img k.img
echo ok
