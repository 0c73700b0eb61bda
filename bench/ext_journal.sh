#!/usr/bin/env bash
# make bench, the crashed-Linux side: the benchmark disk (bench/run.sh) after a power cut — its
# ext4 root mounted, written to, synced, and copied while still mounted, so the copy's journal
# holds committed transactions and the superblock says "needs recovery", as a machine that died
# without unmounting leaves it.
#   backup:  lifeboat backup of the root partition (defaults);  partclone.ext4 -c | zstd -T0 -3 of the root
#            (Clonezilla's default pipeline);  dd | zstd -T0 -3 of the root (the raw copy)
# Prints time and size of each and lifeboat's ratios to the others. The crashed copy is cached
# in $BENCH_DIR next to the benchmark disk.
set -euo pipefail
cd "$(dirname "$0")/.."
LB=$PWD/${BUILD:-build}/lifeboat
DIR=${BENCH_DIR:-/var/tmp/lifeboat-bench}
GIB=${BENCH_DISK_GIB:-8}
cd "$DIR" 2>/dev/null || { echo "bench: run bench/run.sh first (it makes the benchmark disk)"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "bench: needs root (loop devices, a kernel mount of a copy)"; exit 1; }
SRC=disk-gen3-$GIB.img
[ -f "$SRC" ] || { echo "bench: $DIR/$SRC missing: run bench/run.sh first"; exit 1; }
cleanup() {
	mountpoint -q "$DIR/crash-mnt" && umount -l "$DIR/crash-mnt"
	losetup -l -n -O NAME,BACK-FILE | awk -v d="$DIR/" 'index($2, d) == 1 {print $1}' |
		while read -r l; do losetup -d "$l" 2>/dev/null || true; done
	rm -rf "$DIR/out-crash" "$DIR/crash-mnt"
}
trap cleanup EXIT
pstart() { sgdisk -i "$2" "$1" | awk '/First sector/{printf "%.0f\n", $3 * 512}'; }
psize() { sgdisk -i "$2" "$1" | awk '/First sector/{f=$3} /Last sector/{l=$3} END{printf "%.0f\n", (l - f + 1) * 512}'; }
drop() { sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true; }
OFF=$(pstart "$SRC" 3) LEN=$(psize "$SRC" 3)

key=crash2-$GIB   # bump when the generation below changes
DISK=disk-$key.img
if [ ! -f "$DISK" ]; then
	echo "bench: making the crashed copy of the benchmark disk (once; cached as $DIR/$DISK)"
	rm -f disk-crash*.img
	cp --sparse=always "$SRC" work.tmp
	# The copy is mounted (never a source under test): a day's work, then the power cut.
	mkdir -p crash-mnt
	L=$(losetup -f --show --offset "$OFF" --sizelimit "$LEN" work.tmp)
	mount -t ext4 -o commit=1 "$L" crash-mnt
	mkdir -p crash-mnt/home/tech
	cp -a /usr/share/doc crash-mnt/home/tech/doc-copy 2>/dev/null || true
	rm -rf crash-mnt/usr/share/locale/[a-m]*
	for i in $(seq 1 8); do head -c 16M /dev/urandom >crash-mnt/home/tech/blob$i; done
	rm -f crash-mnt/home/tech/blob[1-4]
	sync; sleep 2
	# what the disk holds at this instant, journal not yet checkpointed, still mounted
	cp --sparse=always work.tmp disk.tmp
	umount crash-mnt; losetup -d "$L"; rm -f work.tmp
	dumpe2fs -h "disk.tmp?offset=$OFF" 2>/dev/null | grep -q needs_recovery ||
		{ echo "bench: the crashed copy does not need recovery (the kernel checkpointed first)"; exit 1; }
	mv disk.tmp "$DISK"
fi
P=$(losetup -f --show -r --offset "$OFF" --sizelimit "$LEN" "$DISK")
sum0=$(xxh128sum "$DISK" | cut -d' ' -f1)
rm -rf out-crash && mkdir out-crash
declare -A T S
run() { # name, output, command...
	local name=$1 out=$2; shift 2
	drop
	/usr/bin/time -f "%e" -o time.txt bash -c "$*" >/dev/null 2>err.txt || { cat err.txt; echo "bench: $name failed"; exit 1; }
	T[$name]=$(cat time.txt)
	S[$name]=$(stat -c %s "$out")
	printf '  %-44s %8.1f s  %10s\n' "$name" "${T[$name]}" "$(numfmt --to=iec "${S[$name]}")"
}
echo "crashed ext4: root $(numfmt --to=iec "$LEN"); lifeboat's plan: $("$LB" backup "$P" --plan 2>&1 | tr '\r' '\n' | grep -i -m1 journal || echo '(no journal line)')"
echo "backup:"
LBN="lifeboat backup (root)" PC="partclone.ext4 | zstd -T0 -3 (root)" DD="dd | zstd -T0 -3 (root, raw)"
run "$LBN" out-crash/lb.lbi "$LB backup $P out-crash/lb.lbi --quiet"
# partclone refuses a filesystem that needs recovery unless forced (Clonezilla's -F... is not
# its default): -F is what a Clonezilla user ends up choosing
run "$PC" out-crash/pc.zst "partclone.ext4 -c -q -F -s $P -o - 2>/dev/null | zstd -q -T0 -3 >out-crash/pc.zst"
run "$DD" out-crash/dd.zst "dd if=$P bs=4M status=none | zstd -q -T0 -3 >out-crash/dd.zst"
[ "$(xxh128sum "$DISK" | cut -d' ' -f1)" = "$sum0" ] || { echo "bench: the source changed"; exit 1; }
r() { echo "scale=2; $1 / $2" | bc -l | sed 's/^\./0./'; }
echo "ratios:"
printf '  time  lifeboat / partclone.ext4 pipeline  %s  (target <= 1.00)\n' "$(r "${T[$LBN]}" "${T[$PC]}")"
printf '  size  lifeboat / partclone.ext4 pipeline  %s  (target <= 1.00)\n' "$(r "${S[$LBN]}" "${S[$PC]}")"
printf '  time  lifeboat / raw                      %s\n' "$(r "${T[$LBN]}" "${T[$DD]}")"
printf '  size  lifeboat / raw                      %s\n' "$(r "${S[$LBN]}" "${S[$DD]}")"
