#!/usr/bin/env bash
# Multicast to a room (udpcast): one sender and three receivers, each in a network namespace
# of its own, joined by veth pairs to a bridge in a fifth namespace, so no packet leaves the
# namespaces made here. Each receiver has its own host name (a UTS namespace).
#  - run 1: a split image (segments streamed in order into udp-sender) restored by all three
#    onto targets holding old random data: every target equals a local restore of the image,
#    every receiver exits 0, the sender's table lists the three machines as ok, exit 0.
#  - run 2: the one-file image, slowed by --max-bitrate; one receiver is killed half-way: the
#    other two finish and equal the local restore; the sender's table names the dead one
#    ("died"), and the sender exits non-zero.
#  - run 3: two of the three expected receivers come; the sender starts after --max-wait; one
#    target is too small: that receiver's own message is in the sender's table, the other
#    restores; the sender exits non-zero.
#  - the source disk and the images are unchanged; wrong multicast:// URLs are refused.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
for p in ip unshare udp-sender udp-receiver; do
	command -v "$p" >/dev/null || skip "$p not installed (scripts/install-deps.sh)"
done
echo "udpcast: $(command -v udp-sender) $(command -v udp-receiver)"   # the host's, or LB's static ones in PATH
P=lbmc$$
B=${P}b
ip netns add "$B" 2>/dev/null || skip "cannot make network namespaces here"
NS=()
PIDS=()
teardown() {
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	for n in "${NS[@]}" "$B"; do ip netns del "$n" 2>/dev/null || true; done
	cleanup
}
trap teardown EXIT
ip -n "$B" link add br0 type bridge
ip -n "$B" link set br0 up
for i in 0 1 2 3; do   # 0: the sender (10.79.0.10), 1-3: receivers (10.79.0.11-13)
	n=$P$i
	ip netns add "$n"
	NS+=("$n")
	ip link add "v$P$i" type veth peer name "e$P$i"
	ip link set "v$P$i" netns "$B"
	ip link set "e$P$i" netns "$n"
	ip -n "$B" link set "v$P$i" master br0
	ip -n "$B" link set "v$P$i" up
	# brd +: udp-receiver finds the sender by the interface's broadcast address
	ip -n "$n" addr add "10.79.0.1$i/24" brd + dev "e$P$i"
	ip -n "$n" link set lo up
	ip -n "$n" link set "e$P$i" up
done
# receiver I restores IMAGE_URL onto TARGET in its namespace, host name rI; its pid in $!
receive() { # I TARGET [URL]
	ip netns exec "$P$1" unshare -u sh -c 'hostname "$1"; shift; exec "$@"' sh "r$1" \
		"$LIFEBOAT" restore "${3:-multicast://auto}" "$2" --yes >"recv$1.out" 2>"recv$1.err" &
	PIDS+=($!)
}
send() { ip netns exec "${P}0" "$LIFEBOAT" multicast "$@"; }

# --- fixtures: a real GPT disk, its images (one file; split), a local restore onto old data
build_gpt_disk src.img
src_sum=$(sum src.img)
size_mib=$(( $(stat -c %s src.img) >> 20 ))
lb backup src.img one.lbi --quiet
lb backup src.img split.lbi --split 2M --quiet
[ -f split.lbi.002 ] || fail "the split image has one segment only"
one_sum=$(sum one.lbi)
split_sums=$(cat split.lbi* | sha256sum)
random_target old.img "$size_mib"
cp old.img ref.img
lb restore one.lbi ref.img --yes --quiet
for i in 1 2 3; do cp old.img "t$i.img"; done

# --- refused before anything starts
lb_expect_fail 2 "interface" restore multicast:// t1.img --yes
lb_expect_fail 2 "interface name" restore "multicast://a/b" t1.img --yes
lb_expect_fail 2 "--yes" restore multicast://auto t1.img
lb_expect_fail 2 "--receivers" multicast one.lbi
lb_expect_fail 2 "restore" verify multicast://auto
lb_expect_fail 3 "not a usable Lifeboat image" multicast old.img --receivers 1
lb_expect_fail 1 "cannot open nosuch.lbi" multicast nosuch.lbi --receivers 1
lb_expect_fail 2 "not standard input" multicast - --receivers 1
rm -f split.lbi.003.moved; mv split.lbi.003 split.lbi.003.moved
lb_expect_fail 3 "split.lbi.003" multicast split.lbi --receivers 1   # a segment missing: named
mv split.lbi.003.moved split.lbi.003
lb_expect_fail 2 "bitrate" multicast one.lbi --receivers 2 --max-bitrate fast
cmp -s t1.img old.img || fail "a refused restore changed its target"

# --- run 1: three receivers, the split image
for i in 1 2 3; do receive "$i" "t$i.img"; done
rc=0
send split.lbi --receivers 3 --max-wait 30 --report-timeout 60 >sum1.txt 2>send1.err || rc=$?
cat send1.err sum1.txt
[ "$rc" = 0 ] || { cat send1.err >&2; fail "run 1: the sender exited $rc"; }
for i in 1 2 3; do
	r=0; wait "${PIDS[$((i - 1))]}" || r=$?
	[ "$r" = 0 ] || { cat "recv$i.err" >&2; fail "run 1: receiver $i exited $r"; }
	cmp t$i.img ref.img || fail "run 1: target $i differs from a local restore of the image"
	grep -Eq "^10\.79\.0\.1$i / r$i +t$i\.img +[0-9.]+ s +ok: restored .*read back and verified" sum1.txt ||
		fail "run 1: the summary has no ok line for receiver $i"
	grep -q "read back and verified" "recv$i.err" || fail "run 1: receiver $i did not verify"
	grep -q "receiving on e$P$i; waiting for the sender" "recv$i.err" || fail "run 1: receiver $i did not say it waits"
done
cat recv1.err
[ "$(grep -c ' ok: ' sum1.txt)" = 3 ] || fail "run 1: not three ok rows"
grep -q "multicast complete: 3 of 3" send1.err || fail "run 1: no completion line"
PIDS=()

# --- run 2: one receiver killed half-way; the other two go on and finish
for i in 1 2 3; do cp old.img "t$i.img"; done
for i in 1 2 3; do receive "$i" "t$i.img"; done
# 15 Mbit/s: the image (8 MB) takes at least 4.5 s, so there is a middle to kill receiver 2 in
send one.lbi --receivers 3 --max-wait 30 --max-bitrate 15m --retries-until-drop 8 \
	--report-timeout 60 >sum2.txt 2>send2.err &
spid=$!
PIDS+=("$spid")
for _ in $(seq 300); do grep -q "Starting transfer" send2.err && break; sleep 0.1; done
grep -q "Starting transfer" send2.err || { cat send2.err >&2; fail "run 2: the transfer did not start"; }
# half-way: --max-bitrate makes the transfer last more than 4 s (checked below: the killed
# receiver's target is not complete)
sleep 2
kill -9 "${PIDS[1]}"
rc=0; wait "$spid" || rc=$?
cat send2.err sum2.txt
[ "$rc" != 0 ] || fail "run 2: the sender exited 0 with a receiver killed"
for i in 1 3; do
	r=0; wait "${PIDS[$((i - 1))]}" || r=$?
	[ "$r" = 0 ] || { cat "recv$i.err" >&2; fail "run 2: receiver $i exited $r"; }
	cmp t$i.img ref.img || fail "run 2: target $i differs from a local restore of the image"
	grep -Eq "^10\.79\.0\.1$i / r$i .* ok: restored" sum2.txt || fail "run 2: receiver $i not ok"
done
grep -Eq "^10\.79\.0\.12 / r2 +t2\.img .*died" sum2.txt || fail "run 2: the summary does not name receiver 2 as died"
grep -q "multicast NOT complete: 2 of 3" send2.err || { cat send2.err >&2; fail "run 2: no NOT complete line"; }
cmp -s t2.img ref.img && fail "run 2: the killed receiver's target is complete: it was not killed half-way"

# --- run 3: two of the three expected come (the start after --max-wait), and one of them
# refuses its target (too small): its own message reaches the sender's table
PIDS=()
cp old.img t1.img
truncate -s 8M small.img
receive 1 t1.img
receive 3 small.img
rc=0
send one.lbi --receivers 3 --max-wait 3 --retries-until-drop 8 --report-timeout 60 \
	>sum3.txt 2>send3.err || rc=$?
cat send3.err sum3.txt
[ "$rc" != 0 ] || fail "run 3: the sender exited 0 with one machine missing and one failed"
r=0; wait "${PIDS[0]}" || r=$?
[ "$r" = 0 ] || { cat recv1.err >&2; fail "run 3: receiver 1 exited $r"; }
cmp t1.img ref.img || fail "run 3: target 1 differs from a local restore of the image"
r=0; wait "${PIDS[1]}" || r=$?
[ "$r" = 4 ] || { cat recv3.err >&2; fail "run 3: receiver 3 (target too small) exited $r, wanted 4"; }
grep -Eq "^10\.79\.0\.13 / r3 +small\.img .*failed: small\.img is too small" sum3.txt ||
	fail "run 3: the summary does not give receiver 3's own message"
[ "$(wc -l <sum3.txt)" = 3 ] || fail "run 3: the table has other rows than the two machines"
grep -q "max wait\[3\] passed: starting\|Starting transfer" send3.err || fail "run 3: no start after --max-wait"
grep -q "multicast NOT complete: 1 of 3 .*1 failed or gave no result; 1 never came" send3.err ||
	fail "run 3: no NOT complete line naming the one that never came"
[ "$(stat -c %s small.img)" = $((8 << 20)) ] || fail "run 3: the refused target changed size"

# --- nothing read was changed; no udpcast process of ours is left
[ "$(sum src.img)" = "$src_sum" ] || fail "the source disk changed"
[ "$(sum one.lbi)" = "$one_sum" ] || fail "the image changed"
[ "$(cat split.lbi* | sha256sum)" = "$split_sums" ] || fail "the split image changed"
for n in "${NS[@]}"; do
	left=$(ip netns pids "$n" | tr "\n" " ")
	[ -z "$left" ] || { ps -f -p "$left" >&2; fail "processes left in $n"; }
done
echo "multicast: OK"
