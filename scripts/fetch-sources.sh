#!/usr/bin/env bash
# Unpacks the pinned Debian source of a package into the cache and prints its folder.
# Usage: scripts/fetch-sources.sh PACKAGE      (source package name: zlib, ncurses, e2fsprogs,
#        scripts/fetch-sources.sh --all        busybox, libdeflate; the kernel comes from the
#                                              linux-source-6.1 binary package instead)
# Versions are pinned in scripts/sources.pin. When the archive has moved on (Debian drops
# superseded versions), the cached copy is used if present; otherwise the current version is
# taken with a warning, unless LB_STRICT_PINS=1. The version used is recorded in
# $LB_CACHE/src/PACKAGE.used and in each build's record.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
pins=$LB_ROOT/scripts/sources.pin

# deb-src entries mirroring the machine's deb entries, added once.
has_src() { apt-cache showsrc zlib 2>/dev/null | grep -c '^Package: zlib' >/dev/null; }
ensure_deb_src() {
	has_src && return
	[ "$(id -u)" -eq 0 ] || die "no deb-src entries; as root run: $0 (it adds them), or add deb-src lines to /etc/apt"
	local f out=/etc/apt/sources.list.d/lifeboat-src.sources
	say "adding deb-src entries ($out)"
	: >"$out.tmp"
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] && [ "$f" != "$out" ] || continue
		grep -q 'debian' "$f" || continue
		awk 'BEGIN{RS="";ORS="\n\n"} /(^|\n)Types:[^\n]*deb/ && /debian/ {sub(/Types:[^\n]*/,"Types: deb-src"); print}' "$f" >>"$out.tmp"
	done
	if [ -f /etc/apt/sources.list ]; then
		sed -n 's/^deb \(.*debian.*\)/deb-src \1/p' /etc/apt/sources.list >/etc/apt/sources.list.d/lifeboat-src.list
	fi
	mv "$out.tmp" "$out"
	apt-get update -qq
	has_src || die "apt still finds no source packages after adding deb-src"
}

pinned() { awk -v p="$1" '$1 == p { print $2 }' "$pins"; }

fetch() {
	local pkg=$1 want have dir tmp
	want=$(pinned "$pkg")
	[ -n "$want" ] || die "$pkg is not pinned in $pins"
	dir=$LB_CACHE/src/$pkg-${want#*:}
	if [ ! -f "$dir/.lifeboat-unpacked" ]; then
		ensure_deb_src
		have=$want
		if ! apt-cache showsrc "$pkg" | grep -cx "Version: $want" >/dev/null; then
			[ "${LB_STRICT_PINS:-}" = 1 ] && die "$pkg $want is no longer in the archive (LB_STRICT_PINS=1)"
			have=$(apt-cache showsrc "$pkg" | sed -n 's/^Version: //p' | sort -V | tail -n1)
			say "WARNING: $pkg $want is no longer in the archive; using $have (update $pins)"
			dir=$LB_CACHE/src/$pkg-${have#*:}
		fi
		if [ ! -f "$dir/.lifeboat-unpacked" ]; then
			tmp=$LB_CACHE/src/.tmp-$pkg.$$
			rm -rf "$tmp"; mkdir -p "$tmp"
			say "apt-get source $pkg=$have"
			(cd "$tmp" && apt-get source -qq "$pkg=$have" >&2)
			rm -rf "$dir"
			mv "$(find "$tmp" -mindepth 1 -maxdepth 1 -type d | head -n1)" "$dir"
			rm -rf "$tmp"
			touch "$dir/.lifeboat-unpacked"
		fi
		printf '%s %s\n' "$pkg" "$have" >"$LB_CACHE/src/$pkg.used"
	fi
	echo "$dir"
}

mkdir -p "$LB_CACHE/src"
if [ "${1:-}" = --all ]; then
	for p in $(awk '!/^#/ && NF { print $1 }' "$pins"); do fetch "$p" >/dev/null; done
	cat "$LB_CACHE"/src/*.used
else
	[ $# -eq 1 ] || die "usage: $0 PACKAGE | --all"
	fetch "$1"
fi
