#!/usr/bin/env bash
# Memory is bounded whatever --threads (and the core count) say: the pipeline keeps at most
# LB_PIPE_MAX_WORKERS (12) workers and its slot buffers within LB_PIPE_BUDGET (32 MiB), so
# backup, restore (onto a file and onto a loop device, where bulk writes go past the page
# cache with O_DIRECT) and restore --resume with --threads 64 stay under 48 MiB of peak RSS
# (/usr/bin/time -v), the bound README states; and the copies are right.
. "$(dirname "$0")/lib.sh"
[ -x /usr/bin/time ] || skip "needs /usr/bin/time (package time)"
# a sanitizer build (the asan suite sets ASAN_OPTIONS) keeps freed memory in quarantine and
# adds shadow memory: there the bound only shows that 64 threads do not mean 64 workers
limit=$([ -n "${ASAN_OPTIONS:-}" ] && echo 512 || echo 48)
bounded() { # WHAT COMMAND...
	local what=$1 kib; shift
	/usr/bin/time -v -o time.txt "$@" || fail "$what failed"
	kib=$(awk '/Maximum resident/ { print $NF }' time.txt)
	echo "$what: peak RSS $((kib / 1024)) MiB"
	[ "$kib" -lt $((limit * 1024)) ] || fail "$what used $((kib / 1024)) MiB (limit $limit MiB)"
}
build_gpt_disk src.img
before=$(sum src.img)
bounded "backup --threads 64" "$LIFEBOAT" backup src.img img.lbi --threads 64 --quiet
[ "$(sum src.img)" = "$before" ] || fail "the source changed"
random_target dst.img 300
bounded "restore --threads 64" "$LIFEBOAT" restore img.lbi dst.img --threads 64 --yes --quiet
check_gpt_disk src.img dst.img
check_ext src.img dst.img "$(part_start src.img 3)"
lb verify img.lbi --against dst.img --quiet >/dev/null
dd if=/dev/urandom of=dst.img bs=1M seek=80 count=2 conv=notrunc status=none
bounded "restore --resume --threads 64" "$LIFEBOAT" restore img.lbi dst.img --threads 64 --yes --resume --quiet
lb verify img.lbi --against dst.img --quiet >/dev/null
# a real block device: the O_DIRECT path
random_target ldst.img 300
if l=$(losetup -f --show ldst.img 2>/dev/null); then
	LOOPS="$l"
	bounded "restore --threads 64 onto $l" "$LIFEBOAT" restore img.lbi "$l" --threads 64 --yes --quiet
	lb verify img.lbi --against "$l" --quiet >/dev/null
	losetup -d "$l"; LOOPS=
	check_gpt_disk src.img ldst.img
else
	echo "no loop device: the block-device restore is not measured"
fi
echo ok
