#!/usr/bin/env bash
# Writes the initramfs archive from initramfs/files.list (gen_init_cpio lines), with a fixed
# mtime so the same inputs give the same bytes, and no root needed for device nodes.
# Usage: scripts/mk-initramfs.sh LIFEBOAT BUSYBOX SYSROOT OUT.cpio
# @BOOT@ in the list is BUSYBOX's folder, where the other static tools are built (dbclient,
# udp-sender, udp-receiver). 'optfile' lines: files that may be missing (left out, said).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
[ $# -eq 4 ] || die "usage: $0 LIFEBOAT BUSYBOX SYSROOT OUT.cpio"
lifeboat=$(realpath "$1") busybox=$(realpath "$2") sysroot=$(realpath "$3") out=$4
here=$LB_ROOT/initramfs

# gen_init_cpio from the pinned kernel source (one C file), cached.
ver=$(pkg_version linux-source-6.1)
gen=$LB_CACHE/tools/gen_init_cpio-$ver
if [ ! -x "$gen" ]; then
	mkdir -p "$LB_CACHE/tools"
	if [ -f "$LB_CACHE/src/linux-$ver/usr/gen_init_cpio.c" ]; then
		cp "$LB_CACHE/src/linux-$ver/usr/gen_init_cpio.c" "$gen.c"
	else
		tar -xOf /usr/src/linux-source-6.1.tar.xz linux-source-6.1/usr/gen_init_cpio.c >"$gen.c"
	fi
	cc -O2 -o "$gen" "$gen.c"
fi

mkdir -p "$(dirname "$out")"
release=$out.release
{
	echo "Lifeboat $(sed -n 's/^#define LB_VERSION "\(.*\)"/\1/p' "$LB_ROOT/imager/lifeboat.h") ($(git -C "$LB_ROOT" describe --always --dirty 2>/dev/null || echo unknown))"
	echo "linux-source-6.1 $ver"
	cat "$sysroot/versions.txt"
	sed -n 's/^busybox /busybox /p' "$LB_CACHE/src/busybox.used"
	if [ -x "$(dirname "$busybox")/udp-sender" ] && [ -f "$(dirname "$busybox")/udpcast.release" ]; then
		cat "$(dirname "$busybox")/udpcast.release"
	else echo "udpcast: not included (scripts/build-udpcast.sh had neither source nor package)"; fi
} >"$release"

list=$out.list
{
	sed -e "s|@HERE@|$here|g" -e "s|@LIFEBOAT@|$lifeboat|g" -e "s|@BUSYBOX@|$busybox|g" -e "s|@BOOT@|$(dirname "$busybox")|g" \
	    -e "s|@SYSROOT@|$sysroot|g" -e "s|@RELEASE@|$(realpath "$release")|g" "$here/files.list"
	for a in $("$busybox" --list | sort); do
		case $a in busybox|linuxrc) continue ;; esac
		printf 'slink /bin/%s busybox 0777 0 0\n' "$a"
	done
} | grep -v '^[[:space:]]*#' | grep -v '^[[:space:]]*$' >"$list"
# Names the list already ships (e2fsck, ...) win over busybox applets of the same name.
awk '!($2 in seen) { seen[$2]; print }' "$list" >"$list.tmp" && mv "$list.tmp" "$list"
# gen_init_cpio gives regular files their own mtime: stage copies with the fixed one.
stage=$(realpath -m "$out.files"); rm -rf "$stage"; mkdir -p "$stage"
n=0
while read -r type name src rest; do
	# optfile: a file that may be missing (udpcast without a source): left out, said
	if [ "$type" = optfile ]; then
		if [ ! -f "$src" ]; then
			# /lib/udpcast is only for Debian's binary udpcast: quiet when it is static
			case $name in /lib/udpcast/*) [ -f "$(dirname "$busybox")/udp-sender" ] && continue ;; esac
			say "not on the stick: $name ($src was not built)"; continue
		fi
		type="file"
	fi
	if [ "$type" = file ]; then
		n=$((n + 1)); cp "$src" "$stage/$n"; touch -d "@$SOURCE_DATE_EPOCH" "$stage/$n"
		src=$stage/$n
	fi
	echo "$type $name $src $rest"
done <"$list" >"$list.tmp" && mv "$list.tmp" "$list"
"$gen" -t "$SOURCE_DATE_EPOCH" "$list" >"$out.tmp"
mv "$out.tmp" "$out"
say "$(basename "$out"): $(stat -c %s "$out") bytes, $(wc -l <"$list") entries"
