#!/usr/bin/env bash
# make bench: lifeboat against the tools its users have today, on one realistic system disk.
#   disk:  GPT; BIOS boot 1 MiB; FAT32 ESP 256 MiB with files; ext4 root of real OS files
#          (~2.5 GiB of /usr) over free space full of old random data; swap 1 GiB; a 16 MiB
#          unpartitioned tail (of old random data, copied raw like every area outside
#          partitions).
#   backup:  dd | pigz -1;  Clonezilla-style (partclone per partition | pigz -1, swap skipped);
#            e2image -ra (root only);  lifeboat backup (defaults)
#   restore: pigz -dc | partclone -r (per partition)  vs  lifeboat restore (with and without
#            its read-back verification)
# Prints time, size and peak memory of each, and the ratios the targets are set on.
# The generated disk is cached in $BENCH_DIR (default /var/tmp/lifeboat-bench).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
LB=$PWD/${BUILD:-build}/lifeboat
DIR=${BENCH_DIR:-/var/tmp/lifeboat-bench}
GIB=${BENCH_DISK_GIB:-8}
mkdir -p "$DIR"
cd "$DIR"
export MTOOLS_SKIP_CHECK=1

[ "$(id -u)" = 0 ] || { echo "bench: needs root (loop devices for partclone)"; exit 1; }
LOOPS=()
cleanup() { for l in "${LOOPS[@]}"; do losetup -d "$l" 2>/dev/null || true; done; rm -rf "$DIR/out"; }
trap cleanup EXIT
loop() { local l; l=$(losetup -f --show --offset "$2" --sizelimit "$3" "$1"); LOOPS+=("$l"); echo "$l"; }
pstart() { sgdisk -i "$2" "$1" | awk '/First sector/{printf "%.0f\n", $3 * 512}'; }
psize() { sgdisk -i "$2" "$1" | awk '/First sector/{f=$3} /Last sector/{l=$3} END{printf "%.0f\n", (l - f + 1) * 512}'; }
drop() { sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true; }

key=gen2-$GIB   # bump when the generation below changes
if [ ! -f "disk-$key.img" ]; then
	echo "bench: generating a ${GIB} GiB system disk (once; cached as $DIR/disk-$key.img)"
	rm -f disk-*.img
	head -c $((GIB * 1024 * 1024 * 1024)) /dev/urandom >disk.tmp   # old data everywhere
	sgdisk -Z disk.tmp >/dev/null 2>&1 || true
	sgdisk -n1:2048:+1M -t1:ef02 -n2:0:+256M -t2:ef00 -n3:0:-1040M -t3:8300 \
		-n4:0:+1G -t4:8200 disk.tmp >/dev/null
	rm -rf stage && mkdir -p stage/usr stage/esp
	for d in bin sbin lib/x86_64-linux-gnu share/doc share/locale share/man include lib/python3; do
		[ -e /usr/$d ] && mkdir -p "stage/usr/$(dirname $d)" && cp -a /usr/$d "stage/usr/$d"
	done
	cp -a /etc stage/ 2>/dev/null || true
	cp -a /usr/share/locale/[a-f]* stage/esp/ 2>/dev/null || true
	mkfs.fat -F 32 -s 1 -n ESP --offset=$(( $(pstart disk.tmp 2) / 512 )) disk.tmp $(( $(psize disk.tmp 2) / 1024 )) >/dev/null
	mcopy -i "disk.tmp@@$(pstart disk.tmp 2)" -s stage/esp ::/
	mke2fs -q -F -t ext4 -L root -d stage -E offset=$(pstart disk.tmp 3) disk.tmp $(( $(psize disk.tmp 3) / 1024 ))k
	truncate -s $(psize disk.tmp 4) swap.tmp && mkswap swap.tmp >/dev/null 2>&1
	dd if=swap.tmp of=disk.tmp bs=1M seek=$(( $(pstart disk.tmp 4) / 1048576 )) conv=notrunc status=none
	rm -rf stage swap.tmp
	mv disk.tmp "disk-$key.img"
fi
DISK=disk-$key.img
SIZE=$(stat -c %s "$DISK")
used=$(dumpe2fs -h "$DISK?offset=$(pstart $DISK 3)" 2>/dev/null | awk -F: '/^Block count/{c=$2} /^Free blocks/{f=$2} END{printf "%.2f", (c-f)*4096/2^30}')
echo "disk: $(numfmt --to=iec $SIZE), ext4 root with $used GiB used; $(nproc) cores"
rm -rf out && mkdir out

declare -A T M S
run() { # name, size-path-glob, command...
	local name=$1 out=$2; shift 2
	drop
	/usr/bin/time -f "%e %M" -o time.txt bash -c "$*" >/dev/null 2>err.txt || { cat err.txt; echo "bench: $name failed"; exit 1; }
	read -r t m <time.txt
	T[$name]=$t
	M[$name]=$m
	S[$name]=0
	[ -n "$out" ] && S[$name]=$(du -cb $out | tail -n1 | cut -f1)
	printf '  %-28s %8.1f s  %10s  peak %6.1f MiB\n' "$name" "${T[$name]}" \
		"$([ "${S[$name]}" -gt 0 ] && numfmt --to=iec "${S[$name]}" || echo -)" "$(echo "${M[$name]} / 1024" | bc -l)"
}

echo "backup:"
run "dd | pigz -1" "out/dd.gz" "dd if=$DISK bs=4M status=none | pigz -1 > out/dd.gz"
P1=$(loop $DISK $(pstart $DISK 1) $(psize $DISK 1)); P2=$(loop $DISK $(pstart $DISK 2) $(psize $DISK 2))
P3=$(loop $DISK $(pstart $DISK 3) $(psize $DISK 3))
run "partclone | pigz -1" "out/cz.*" "sgdisk -b out/cz.gpt $DISK >/dev/null && dd if=$DISK bs=1M count=1 status=none > out/cz.mbr &&
	partclone.dd -q -s $P1 -o - 2>/dev/null | pigz -1 > out/cz.p1.gz &&
	partclone.vfat -c -q -s $P2 -o - 2>/dev/null | pigz -1 > out/cz.p2.gz &&
	partclone.ext4 -c -q -s $P3 -o - 2>/dev/null | pigz -1 > out/cz.p3.gz"
run "e2image -ra (root only)" "" "e2image -ra $P3 out/root.e2i"
echo "    (e2image -ra writes a sparse raw file: $(du -h out/root.e2i | cut -f1) on disk; uncompressed)"
run "lifeboat backup" "out/lb.lbi" "$LB backup $DISK out/lb.lbi --quiet"

echo "restore:"
truncate -s "$SIZE" out/t1.img out/t2.img out/t3.img
sgdisk -R out/t1.img $DISK >/dev/null 2>&1 || sgdisk --load-backup=out/cz.gpt out/t1.img >/dev/null
Q1=$(loop out/t1.img $(pstart $DISK 1) $(psize $DISK 1)); Q2=$(loop out/t1.img $(pstart $DISK 2) $(psize $DISK 2))
Q3=$(loop out/t1.img $(pstart $DISK 3) $(psize $DISK 3))
run "pigz -dc | partclone -r" "" "pigz -dc out/cz.p1.gz | partclone.dd -q -s - -o $Q1 2>/dev/null &&
	pigz -dc out/cz.p2.gz | partclone.vfat -r -q -s - -o $Q2 2>/dev/null &&
	pigz -dc out/cz.p3.gz | partclone.ext4 -r -q -s - -o $Q3 2>/dev/null && sync"
run "lifeboat restore" "" "$LB restore out/lb.lbi out/t2.img --yes --quiet"
run "lifeboat restore --no-verify" "" "$LB restore out/lb.lbi out/t3.img --yes --quiet --no-verify && sync"
run "lifeboat restore --resume (same)" "" "$LB restore out/lb.lbi out/t2.img --yes --quiet --resume"
"$LB" verify out/lb.lbi --against out/t2.img --quiet >/dev/null || { echo "bench: restored disk differs"; exit 1; }
cmp -s "$DISK" /dev/null || true

r() { echo "scale=2; $1 / $2" | bc -l; }
lbb=${T[lifeboat backup]} czb=${T[partclone | pigz -1]}
lbr=${T[lifeboat restore]} czr=${T[pigz -dc | partclone -r]} lbrn=${T[lifeboat restore --no-verify]}
peak=$(for k in "lifeboat backup" "lifeboat restore" "lifeboat restore --no-verify"; do echo "${M[$k]}"; done | sort -n | tail -n1)
echo "ratios (targets on a 2-core machine):"
printf '  backup time   lifeboat / Clonezilla-style  %s  (target <= 0.67)\n' "$(r $lbb $czb)"
printf '  image size    lifeboat / Clonezilla-style  %s  (target <= 1.00)\n' "$(r ${S[lifeboat backup]} ${S[partclone | pigz -1]})"
printf '  backup time   lifeboat / dd | pigz -1      %s\n' "$(r $lbb ${T[dd | pigz -1]})"
printf '  restore time  lifeboat / partclone         %s  (target <= 0.67; verify included)\n' "$(r $lbr $czr)"
printf '  restore time  lifeboat --no-verify / partclone %s\n' "$(r $lbrn $czr)"
printf '  re-restore of an unchanged disk (--resume) / full restore  %s\n' "$(r ${T[lifeboat restore --resume (same)]} $lbr)"
printf '  peak memory   lifeboat                     %.1f MiB (target <= 64)\n' "$(echo "$peak / 1024" | bc -l)"
if [ -x "$REPO/scripts/boot-footprint.sh" ] && [ -f "$REPO/out/lifeboat-usb.img" ]; then
	echo "boot stick footprint:"
	(cd "$REPO" && scripts/boot-footprint.sh)
fi
