#!/usr/bin/env bash
# restore --resume: compares the target with each chunk first and writes only what differs,
# down to the 4 KiB block (counted by restore --json); after an interrupted restore (killed
# mid-way) it completes the job.
. "$(dirname "$0")/lib.sh"
build_gpt_disk src.img
lb backup src.img img.lbi --quiet
random_target dst.img 300
lb restore img.lbi dst.img --yes --quiet
# unchanged target: nothing rewritten
lb restore img.lbi dst.img --yes --resume 2>err.txt
grep -q "restored 0 B" err.txt || { cat err.txt; fail "resume rewrote an unchanged disk"; }
json() { sed -n "s/.*\"$1\":\([0-9a-z\"]*\).*/\1/p" out.json; }   # FIELD of restore --json
lb restore img.lbi dst.img --yes --resume --quiet --json >out.json
[ "$(wc -l <out.json)" = 1 ] || fail "restore --json printed $(wc -l <out.json) lines"
[ "$(json bytes_written)" = 0 ] || fail "resume of an unchanged disk wrote $(json bytes_written) bytes"
[ "$(json bytes_skipped)" -gt $((20 << 20)) ] || fail "bytes_skipped: $(json bytes_skipped)"
[ "$(json verify)" = '"ok"' ] && [ "$(json chunks)" -gt 10 ] && [ "$(json chunks_written)" = 0 ] \
	|| fail "restore --json: $(cat out.json)"
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
# two 4 KiB blocks changed in the random boot partition (one data chunk): exactly those 8 KiB
# are written, and verified
p1=$(part_start src.img 1)
for at in $((p1 + 8192)) $((p1 + 524288)); do
	head -c 4096 /dev/urandom | dd of=dst.img bs=4096 seek=$((at / 4096)) conv=notrunc status=none
done
cmp -s -n $((2 << 20)) src.img dst.img && fail "the blocks were not changed"
lb restore img.lbi dst.img --yes --resume --quiet --json >out.json
[ "$(json bytes_written)" = 8192 ] || fail "resume after 2 changed blocks: $(cat out.json)"
[ "$(json chunks_written)" = 1 ] && [ "$(json verify)" = '"ok"' ] || fail "restore --json: $(cat out.json)"
for at in $((p1 + 8192)) $((p1 + 524288)); do cmp_range src.img dst.img $at 4096; done
check_gpt_disk src.img dst.img
check_ext src.img dst.img $off
# zero chunks: an unpartitioned disk, 4 MiB random, 24 MiB zeros, 4 MiB random; two blocks
# changed in the zeros and one in the random data: 12 KiB rewritten, the disk equal again
random_target z.img 32
dd if=/dev/zero of=z.img bs=1M seek=4 count=24 conv=notrunc status=none
lb backup z.img z.lbi --quiet
cp z.img zt.img
for at in $((10 << 20)) $(((10 << 20) + 12288)) $((29 << 20)); do
	head -c 4096 /dev/urandom | dd of=zt.img bs=4096 seek=$((at / 4096)) conv=notrunc status=none
done
lb restore z.lbi zt.img --yes --resume --quiet --json >out.json
[ "$(json bytes_written)" = 12288 ] && [ "$(json verify)" = '"ok"' ] \
	|| fail "resume after 3 changed blocks (2 in zeros): $(cat out.json)"
cmp z.img zt.img || fail "the disk differs after resume"
# an interrupted restore, then --resume
random_target k.img 300
lb restore img.lbi k.img --yes --quiet --no-verify & pid=$!
sleep 0.3; kill -KILL $pid 2>/dev/null || true; wait $pid 2>/dev/null || true
lb restore img.lbi k.img --yes --resume --quiet
check_gpt_disk src.img k.img
echo ok
