#!/usr/bin/env bash
# make bench, the Windows side: one NTFS volume as a Windows PC holds it, against the tools
# that image NTFS today, in one run.
#   disk:  GPT, one NTFS partition (BENCH_NTFS_GIB, default 4 GiB) made by mkntfs -Q over old
#          random data, filled through ntfs-3g with real files (/usr's docs, locales,
#          headers, python, programs) and 20 "photos" of random data, 20 more deleted.
#   backup:  lifeboat backup (defaults: zstd 3);  partclone.ntfs -c | zstd -T0 -3 (Clonezilla's
#            default pipeline);  ntfsclone --save-image | zstd -T0 -3;  dd | zstd -T0 -3 (raw)
# Prints time and size of each and lifeboat's ratios to the others.
# The generated disk is cached in $BENCH_DIR (default /var/tmp/lifeboat-bench).
set -euo pipefail
cd "$(dirname "$0")/.."
LB=$PWD/${BUILD:-build}/lifeboat
DIR=${BENCH_DIR:-/var/tmp/lifeboat-bench}
GIB=${BENCH_NTFS_GIB:-4}
mkdir -p "$DIR"
cd "$DIR"
[ "$(id -u)" = 0 ] || { echo "bench: needs root (loop devices, ntfs-3g FUSE)"; exit 1; }
for t in mkntfs ntfs-3g partclone.ntfs ntfsclone zstd; do
	command -v $t >/dev/null || { echo "bench: $t missing (scripts/install-deps.sh bench)"; exit 1; }
done
LOOPS=()
cleanup() { for l in "${LOOPS[@]}"; do losetup -d "$l" 2>/dev/null || true; done; rm -rf "$DIR/out-ntfs"; }
trap cleanup EXIT
drop() { sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true; }

key=ntfs2-$GIB   # bump when the generation below changes
start=$((2048 * 512))
if [ ! -f "disk-$key.img" ]; then
	echo "bench: generating a ${GIB} GiB Windows-style disk (once; cached as $DIR/disk-$key.img)"
	rm -f disk-ntfs*.img
	head -c $((GIB * 1024 * 1024 * 1024)) /dev/urandom >disk.tmp
	sgdisk -Z disk.tmp >/dev/null 2>&1 || true
	sgdisk -n1:2048:0 -t1:0700 -c1:"Basic data partition" disk.tmp >/dev/null
	size=$(( ($(stat -c %s disk.tmp) - start - 33 * 512) / 1048576 * 1048576 ))
	dd if=disk.tmp of=p.tmp bs=1M iflag=skip_bytes,count_bytes skip=$start count=$size status=none
	mkntfs -q -F -Q -L Windows -p 2048 -H 255 -S 63 -s 512 p.tmp >/dev/null 2>&1
	mkdir -p mnt
	ntfs-3g -o no_detach,big_writes p.tmp mnt & pid=$!
	for _ in $(seq 50); do mountpoint -q mnt && break; sleep 0.2; done
	mountpoint -q mnt || { echo "bench: ntfs-3g could not mount"; exit 1; }
	for d in share/doc share/locale include lib/python3 bin; do
		[ -e /usr/$d ] && mkdir -p "mnt/Program Files/usr/$(dirname $d)" &&
			cp -r /usr/$d "mnt/Program Files/usr/$d" 2>/dev/null || true
	done
	mkdir -p mnt/Users/tech/Pictures
	for i in $(seq 1 40); do head -c 8M /dev/urandom >mnt/Users/tech/Pictures/IMG_"$i".JPG; done
	for i in $(seq 1 2 40); do rm mnt/Users/tech/Pictures/IMG_"$i".JPG; done
	fusermount -u mnt; wait $pid
	dd if=p.tmp of=disk.tmp bs=1M oflag=seek_bytes seek=$start conv=notrunc status=none
	rm -rf p.tmp mnt
	mv disk.tmp "disk-$key.img"
fi
DISK=disk-$key.img
PSIZE=$(( ($(stat -c %s "$DISK") - start - 33 * 512) / 1048576 * 1048576 ))
P=$(losetup -f --show -r --offset $start --sizelimit "$PSIZE" "$DISK"); LOOPS+=("$P")
rm -rf out-ntfs && mkdir out-ntfs
declare -A T S
run() { # name, output, command...
	local name=$1 out=$2; shift 2
	drop
	/usr/bin/time -f "%e" -o time.txt bash -c "$*" >/dev/null 2>err.txt || { cat err.txt; echo "bench: $name failed"; exit 1; }
	T[$name]=$(cat time.txt)
	S[$name]=$(stat -c %s "$out")
	printf '  %-40s %8.1f s  %10s\n' "$name" "${T[$name]}" "$(numfmt --to=iec "${S[$name]}")"
}
echo "NTFS: partition $(numfmt --to=iec "$PSIZE"); lifeboat's plan: $("$LB" backup "$DISK" --plan 2>&1 | awk '$1 == 1 && $2 == "ntfs" {print $4, $5, "to read"}')"
echo "backup:"
run "lifeboat backup (whole disk)" out-ntfs/lb.lbi "$LB backup $DISK out-ntfs/lb.lbi --quiet"
run "partclone.ntfs | zstd -T0 -3" out-ntfs/pc.zst "partclone.ntfs -c -q -s $P -o - 2>/dev/null | zstd -q -T0 -3 >out-ntfs/pc.zst"
run "ntfsclone --save-image | zstd -T0 -3" out-ntfs/nc.zst "ntfsclone -q --save-image -O - $P 2>/dev/null | zstd -q -T0 -3 >out-ntfs/nc.zst"
run "dd | zstd -T0 -3 (raw)" out-ntfs/dd.zst "dd if=$P bs=4M status=none | zstd -q -T0 -3 >out-ntfs/dd.zst"
r() { echo "scale=2; $1 / $2" | bc -l | sed "s/^\./0./"; }
lb=${T[lifeboat backup (whole disk)]} lbs=${S[lifeboat backup (whole disk)]}
echo "ratios:"
printf '  time  lifeboat / partclone.ntfs pipeline  %s  (target <= 1.00)\n' "$(r "$lb" "${T[partclone.ntfs | zstd -T0 -3]}")"
printf '  size  lifeboat / partclone.ntfs pipeline  %s  (target <= 1.00)\n' "$(r "$lbs" "${S[partclone.ntfs | zstd -T0 -3]}")"
printf '  time  lifeboat / ntfsclone pipeline       %s\n' "$(r "$lb" "${T[ntfsclone --save-image | zstd -T0 -3]}")"
printf '  size  lifeboat / ntfsclone pipeline       %s\n' "$(r "$lbs" "${S[ntfsclone --save-image | zstd -T0 -3]}")"
printf '  time  lifeboat / raw                      %s\n' "$(r "$lb" "${T[dd | zstd -T0 -3 (raw)]}")"
printf '  size  lifeboat / raw                      %s;  image / partition %s\n' "$(r "$lbs" "${S[dd | zstd -T0 -3 (raw)]}")" "$(r "$lbs" "$PSIZE")"
