#!/usr/bin/env bash
# make bench: lifeboat against the tools its users have today, on one realistic system disk.
#   disk:  GPT; BIOS boot 1 MiB; FAT32 ESP 256 MiB with files; ext4 root of real OS files
#          (~2.5 GiB of /usr) over free space full of old random data; swap 1 GiB; a 16 MiB
#          unpartitioned tail (of old random data, copied raw like every area outside
#          partitions).
#   backup:  Clonezilla's default today (partclone per partition | zstd -T0 -3, swap skipped);
#            the older Clonezilla-style partclone | pigz -1; e2image -ra (root only);
#            lifeboat backup (defaults: zstd 3).  BENCH_DD=1 adds dd | pigz -1 (slow).
#   restore: zstd -dc | partclone -r and pigz -dc | partclone -r (per partition)  vs  lifeboat
#            restore (with and without its read-back verification), and restore --resume of
#            the unchanged disk.
#   sparse:  a 1 TiB sparse disk file holding one 256 MiB ext4 partition (BENCH_SPARSE=0: no).
# Measures wall time, CPU (user+sys of the command and all its children), peak memory, image
# size and bytes written (the kernel's write accounting of the command's processes, rusage
# oublock), and prints them with the Lifeboat / Clonezilla ratios as markdown tables that
# README can take. The generated disks are cached in $BENCH_DIR (default /var/tmp/lifeboat-bench).
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
# loop() runs in $(...), a subshell: cleanup finds the loops by their backing files, all in $DIR
cleanup() {
	losetup -l -n -O NAME,BACK-FILE | awk -v d="$DIR/" 'index($2, d) == 1 {print $1}' |
		while read -r l; do losetup -d "$l" 2>/dev/null || true; done
	rm -rf "$DIR/out"
}
trap cleanup EXIT
loop() { losetup -f --show --offset "$2" --sizelimit "$3" "$1"; }
pstart() { sgdisk -i "$2" "$1" | awk '/First sector/{printf "%.0f\n", $3 * 512}'; }
psize() { sgdisk -i "$2" "$1" | awk '/First sector/{f=$3} /Last sector/{l=$3} END{printf "%.0f\n", (l - f + 1) * 512}'; }
drop() { sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true; }

key=gen3-$GIB   # bump when the generation below changes
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
	mke2fs -q -F -t ext4 -L root -d stage -E nodiscard,offset=$(pstart disk.tmp 3) disk.tmp $(( $(psize disk.tmp 3) / 1024 ))k
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

declare -A T C M S W
run() { # name, size-path-glob, command...
	local name=$1 out=$2 t u s m o; shift 2
	drop
	/usr/bin/time -f "%e %U %S %M %O" -o time.txt bash -c "$*" >/dev/null 2>err.txt || { cat err.txt; echo "bench: $name failed"; exit 1; }
	read -r t u s m o <time.txt
	T[$name]=$t
	C[$name]=$(echo "$u + $s" | bc -l)
	M[$name]=$m
	W[$name]=$((o * 512))
	S[$name]=0
	[ -n "$out" ] && S[$name]=$(du -cb $out | tail -n1 | cut -f1)
	printf '  %-42s %6.1f s  cpu %7.1f s  %8s  written %8s  peak %6.1f MiB\n' "$name" "${T[$name]}" "${C[$name]}" \
		"$(iec "${S[$name]}")" "$(iecw "${W[$name]}")" "$(echo "${M[$name]} / 1024" | bc -l)"
}
iec() { if [ "$1" -gt 0 ]; then numfmt --to=iec-i --suffix=B --format=%.1f "$1"; else echo -; fi; }
iecw() { if [ "$1" -gt 0 ]; then iec "$1"; else echo "0 B"; fi; }
# partclone per partition: BIOS boot raw (partclone.dd), ESP (vfat), root (ext4); swap skipped
# as Clonezilla does (it re-creates it from the saved UUID and label).
cz_backup() { # compressor suffix
	echo "sgdisk -b out/cz$2.gpt $DISK >/dev/null && dd if=$DISK bs=1M count=1 status=none > out/cz$2.mbr &&
	partclone.dd -q -s $P1 -o - 2>/dev/null | $1 > out/cz$2.p1 &&
	partclone.vfat -c -q -s $P2 -o - 2>/dev/null | $1 > out/cz$2.p2 &&
	partclone.ext4 -c -q -s $P3 -o - 2>/dev/null | $1 > out/cz$2.p3"
}
cz_restore() { # decompressor suffix loop1 loop2 loop3
	echo "$1 out/cz$2.p1 | partclone.dd -q -s - -o $3 2>/dev/null &&
	$1 out/cz$2.p2 | partclone.vfat -r -q -s - -o $4 2>/dev/null &&
	$1 out/cz$2.p3 | partclone.ext4 -r -q -s - -o $5 2>/dev/null && sync"
}
target() { # FILE: an empty disk of the bench disk's size with its GPT, and loops on partitions 1-3
	truncate -s "$SIZE" "$1"
	sgdisk -R "$1" "$DISK" >/dev/null 2>&1
	echo "$(loop "$1" $(pstart $DISK 1) $(psize $DISK 1)) $(loop "$1" $(pstart $DISK 2) $(psize $DISK 2)) $(loop "$1" $(pstart $DISK 3) $(psize $DISK 3))"
}

CZ="partclone | zstd -T0 -3 (Clonezilla)"
CZR="zstd -dc | partclone -r (Clonezilla)"
echo "backup:"
[ "${BENCH_DD:-0}" = 1 ] && run "dd | pigz -1" "out/dd.gz" "dd if=$DISK bs=4M status=none | pigz -1 > out/dd.gz"
P1=$(loop $DISK $(pstart $DISK 1) $(psize $DISK 1)); P2=$(loop $DISK $(pstart $DISK 2) $(psize $DISK 2))
P3=$(loop $DISK $(pstart $DISK 3) $(psize $DISK 3))
run "$CZ" "out/cz.*" "$(cz_backup "zstd -q -T0 -3" "")"
run "partclone | pigz -1" "out/czg.*" "$(cz_backup "pigz -1" g)"
run "e2image -ra (root only)" "" "e2image -ra $P3 out/root.e2i"
echo "    (e2image -ra writes a sparse raw file: $(du -h out/root.e2i | cut -f1) on disk; uncompressed)"
rm -f out/root.e2i
run "lifeboat backup" "out/lb.lbi" "$LB backup $DISK out/lb.lbi --quiet"

echo "restore:"
read -r Q1 Q2 Q3 <<<"$(target out/t1.img)"
run "$CZR" "" "$(cz_restore "zstd -dcq" "" $Q1 $Q2 $Q3)"
rm -f out/t1.img   # the loops keep its blocks until cleanup; the next target is another file
read -r Q1 Q2 Q3 <<<"$(target out/t4.img)"
run "pigz -dc | partclone -r" "" "$(cz_restore "pigz -dc" g $Q1 $Q2 $Q3)"
rm -f out/t4.img
truncate -s "$SIZE" out/t2.img out/t3.img
run "lifeboat restore" "" "$LB restore out/lb.lbi out/t2.img --yes --quiet"
run "lifeboat restore --no-verify" "" "$LB restore out/lb.lbi out/t3.img --yes --quiet --no-verify && sync"
rm -f out/t3.img
run "lifeboat restore --resume (same)" "" "$LB restore out/lb.lbi out/t2.img --yes --quiet --resume"
"$LB" verify out/lb.lbi --against out/t2.img --quiet >/dev/null || { echo "bench: restored disk differs"; exit 1; }
rm -f out/t2.img

if [ "${BENCH_SPARSE:-1}" = 1 ]; then
	# 1 TiB of address space, 256 MiB of it an ext4 partition of files, the rest a hole: what
	# reading nothing costs (Lifeboat copies areas outside partitions, here as zero chunks).
	SP=sparse-1t-gen1.img
	if [ ! -f "$SP" ]; then
		rm -f sparse-*.img
		truncate -s 1T sp.tmp
		sgdisk -n1:2048:+256M -t1:8300 sp.tmp >/dev/null
		rm -rf stage && mkdir -p stage && cp -a /usr/share/doc stage/ 2>/dev/null || true
		mke2fs -q -F -t ext4 -L data -d stage -E offset=$(pstart sp.tmp 1) sp.tmp $(( $(psize sp.tmp 1) / 1024 ))k
		rm -rf stage && mv sp.tmp "$SP"
	fi
	echo "1 TiB sparse disk (one 256 MiB ext4 partition):"
	S1=$(loop $SP $(pstart $SP 1) $(psize $SP 1))
	run "1T: partclone | zstd -3 (Clonezilla)" "out/sp.*" "sgdisk -b out/sp.gpt $SP >/dev/null &&
		partclone.ext4 -c -q -s $S1 -o - 2>/dev/null | zstd -q -T0 -3 > out/sp.p1"
	run "1T: lifeboat backup" "out/sp.lbi" "$LB backup $SP out/sp.lbi --quiet"
	truncate -s 1T out/st1.img out/st2.img
	sgdisk -R out/st1.img $SP >/dev/null 2>&1
	R1=$(loop out/st1.img $(pstart $SP 1) $(psize $SP 1))
	run "1T: zstd -dc | partclone -r (Clonezilla)" "" "zstd -dcq out/sp.p1 | partclone.ext4 -r -q -s - -o $R1 2>/dev/null && sync"
	run "1T: lifeboat restore" "" "$LB restore out/sp.lbi out/st2.img --yes --quiet"
	rm -f out/st1.img out/st2.img
fi

r() { echo "scale=2; $1 / $2" | bc -l | sed 's/^\./0./'; }
rw() { [ "$2" -gt 0 ] && r "$1" "$2" || echo -; }
sec() { printf '%.1f s' "$1"; }
lb=lifeboat
peak=$(for k in "lifeboat backup" "lifeboat restore" "lifeboat restore --no-verify"; do echo "${M[$k]}"; done | sort -n | tail -n1)
echo
echo "Markdown ($(nproc) cores; 8 GiB system disk: GPT, BIOS boot, FAT32 ESP, ext4 root with $used GiB used over old random data, 1 GiB swap, 16 MiB tail):"
echo
echo "| | Lifeboat | Clonezilla default (partclone \\| zstd -3) | Lifeboat / Clonezilla |"
echo "|---|---|---|---|"
row() { printf '| %s | %s | %s | %s |\n' "$@"; }
row "backup wall time" "$(sec "${T[$lb backup]}")" "$(sec "${T[$CZ]}")" "$(r "${T[$lb backup]}" "${T[$CZ]}")"
row "backup CPU (user+sys)" "$(sec "${C[$lb backup]}")" "$(sec "${C[$CZ]}")" "$(r "${C[$lb backup]}" "${C[$CZ]}")"
row "image size" "$(iec "${S[$lb backup]}")" "$(iec "${S[$CZ]}")" "$(r "${S[$lb backup]}" "${S[$CZ]}")"
row "backup bytes written" "$(iecw "${W[$lb backup]}")" "$(iecw "${W[$CZ]}")" "$(rw "${W[$lb backup]}" "${W[$CZ]}")"
row "restore wall time (Lifeboat reads back and verifies)" "$(sec "${T[$lb restore]}")" "$(sec "${T[$CZR]}")" "$(r "${T[$lb restore]}" "${T[$CZR]}")"
row "restore CPU (user+sys)" "$(sec "${C[$lb restore]}")" "$(sec "${C[$CZR]}")" "$(r "${C[$lb restore]}" "${C[$CZR]}")"
row "restore bytes written" "$(iecw "${W[$lb restore]}")" "$(iecw "${W[$CZR]}")" "$(rw "${W[$lb restore]}" "${W[$CZR]}")"
row "restore --no-verify wall time" "$(sec "${T[$lb restore --no-verify]}")" "$(sec "${T[$CZR]}")" "$(r "${T[$lb restore --no-verify]}" "${T[$CZR]}")"
row "restore --no-verify CPU" "$(sec "${C[$lb restore --no-verify]}")" "$(sec "${C[$CZR]}")" "$(r "${C[$lb restore --no-verify]}" "${C[$CZR]}")"
row "re-restore of the unchanged disk (\`--resume\`)" "$(sec "${T[$lb restore --resume (same)]}"), $(iecw "${W[$lb restore --resume (same)]}") written" "(full restore again)" "$(r "${T[$lb restore --resume (same)]}" "${T[$CZR]}")"
row "peak memory" "$(echo "$peak / 1024" | bc -l | xargs printf '%.1f MiB')" "$(echo "${M[$CZ]} / 1024" | bc -l | xargs printf '%.1f MiB')" ""
echo
echo "Clonezilla copies partitions (swap skipped) and the table; Lifeboat also copies what lies"
echo "outside partitions, here the 16 MiB tail of old random data. CPU is that of the processes"
echo "(partclone's writes through loop devices finish in the kernel's loop threads, not counted)."
echo
echo "| run | wall | CPU | image | written | peak memory |"
echo "|---|---|---|---|---|---|"
for k in "dd | pigz -1" "$CZ" "partclone | pigz -1" "e2image -ra (root only)" "lifeboat backup" "$CZR" "pigz -dc | partclone -r" \
	"lifeboat restore" "lifeboat restore --no-verify" "lifeboat restore --resume (same)" \
	"1T: partclone | zstd -3 (Clonezilla)" "1T: lifeboat backup" "1T: zstd -dc | partclone -r (Clonezilla)" "1T: lifeboat restore"; do
	[ -n "${T[$k]:-}" ] || continue
	printf '| `%s` | %s | %s | %s | %s | %.1f MiB |\n' "${k//|/\\|}" "$(sec "${T[$k]}")" "$(sec "${C[$k]}")" "$(iec "${S[$k]}")" \
		"$(iecw "${W[$k]}")" "$(echo "${M[$k]} / 1024" | bc -l)"
done
echo
echo "ratios against the targets (2-core machine):"
printf '  backup time   lifeboat / Clonezilla (zstd)  %s  (target <= 0.67)\n' "$(r "${T[$lb backup]}" "${T[$CZ]}")"
printf '  image size    lifeboat / Clonezilla (zstd)  %s  (target <= 1.00)\n' "$(r "${S[$lb backup]}" "${S[$CZ]}")"
printf '  restore time  lifeboat / Clonezilla (zstd)  %s  (target <= 0.67; verify included)\n' "$(r "${T[$lb restore]}" "${T[$CZR]}")"
printf '  backup time   lifeboat / partclone | pigz -1  %s; restore %s\n' "$(r "${T[$lb backup]}" "${T[partclone | pigz -1]}")" \
	"$(r "${T[$lb restore]}" "${T[pigz -dc | partclone -r]}")"
printf '  re-restore of an unchanged disk (--resume) / full restore  %s\n' "$(r "${T[$lb restore --resume (same)]}" "${T[$lb restore]}")"
printf '  peak memory   lifeboat                     %.1f MiB (target <= 64)\n' "$(echo "$peak / 1024" | bc -l)"
if [ -x "$REPO/scripts/boot-footprint.sh" ] && [ -f "$REPO/out/lifeboat-usb.img" ]; then
	echo "boot stick footprint:"
	(cd "$REPO" && scripts/boot-footprint.sh)
fi
