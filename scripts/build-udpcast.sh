#!/usr/bin/env bash
# Builds static musl udp-sender and udp-receiver (udpcast) from Debian's source, for multicast
# on the stick (imager/mcast_send.c, imager/mcast_recv.c: `lifeboat multicast` and
# `lifeboat restore multicast://IF`). Debian's patches are applied by apt-get source.
# Usage: scripts/build-udpcast.sh OUTDIR     (OUTDIR/udp-sender, OUTDIR/udp-receiver;
#                                             cached in $LB_CACHE/udpcast/<hash>)
# The source is the pinned one of scripts/sources.pin. LB_UDPCAST_SRC=DIR builds from an
# unpacked upstream udpcast-20120424 tree instead.
# When no source can be had (the archive lists Debian's source but has served its tarballs as
# 404 since 2026-12-02), Debian's binary package of the same version is used instead, with the
# glibc it was linked against (both pinned below, downloaded by apt-get download, cached):
# OUTDIR/udp-sender and udp-receiver are then two-line wrappers that start the real programs
# from /lib/udpcast through glibc's own loader, so glibc stays out of the musl system's paths
# (about 1 MiB more in the compressed initramfs). mk-initramfs.sh ships OUTDIR/udpcast-lib.
# LB_UDPCAST_FROM=source refuses the fallback (exit 3 when there is no source).
UDPCAST_DEB=20120424-2+b1
LIBC6_DEB=2.36-9+deb12u14
set -euo pipefail
. "$(dirname "$0")/lib.sh"
[ $# -eq 1 ] || die "usage: $0 OUTDIR"
out=$(realpath -m "$1")
if [ -n "${LB_UDPCAST_SRC:-}" ]; then
	src=$(realpath "$LB_UDPCAST_SRC")
	[ "$(head -n1 "$src/Changelog.txt" 2>/dev/null)" = v20120424 ] ||
		die "$src is not an udpcast-20120424 tree (LB_UDPCAST_SRC)"
	srckey=$(cd "$src" && find . -type f \( -name '*.[ch]' -o -name 'configure' -o -name 'Makefile.in' \) | LC_ALL=C sort | xargs cat | sha256sum)
elif ! src=$("$LB_ROOT/scripts/fetch-sources.sh" udpcast); then
	rm -rf "$LB_CACHE"/src/.tmp-udpcast.*   # what the failed apt-get source left
	if [ "${LB_UDPCAST_FROM:-}" = source ]; then
		say "the udpcast source (scripts/sources.pin) cannot be fetched; give an unpacked"
		say "udpcast-20120424 tree as LB_UDPCAST_SRC=DIR to build udp-sender and udp-receiver"
		exit 3
	fi
	src=
else
	srckey=$src
fi

# from_debs: Debian's binary udpcast and its glibc, unpacked, wrapped (see the top)
from_debs() {
	local dir
	dir=$LB_CACHE/udpcast/debs-$(key_of "$UDPCAST_DEB $LIBC6_DEB" "$0")
	fetch_debs() {
		[ -f "$dir/.complete" ] && return
		local tmp=$dir.tmp pkg want have dl
		rm -rf "$tmp"; mkdir -p "$tmp/debs" "$tmp/root" "$tmp/out/udpcast-lib"
		for pkg in "udpcast=$UDPCAST_DEB" "libc6=$LIBC6_DEB"; do
			want=${pkg#*=}; have=$want; pkg=${pkg%%=*}
			if ! apt-cache show "$pkg=$want" >/dev/null 2>&1; then
				[ "${LB_STRICT_PINS:-}" = 1 ] && die "$pkg $want is not in the archive (LB_STRICT_PINS=1)"
				have=$(apt-cache policy "$pkg" | sed -n 's/^ *Candidate: //p')
				[ -n "$have" ] && [ "$have" != "(none)" ] || die "$pkg is not in the archive"
				say "WARNING: $pkg $want is not in the archive; using $have (update $0)"
			fi
			# _apt cannot write into root's cache folder: let it write into /tmp, then move.
			dl=$(mktemp -d); chmod 0777 "$dl"
			(cd "$dl" && apt-get download -qq "$pkg=$have" >&2) || die "apt-get download $pkg=$have failed"
			mv "$dl"/*.deb "$tmp/debs/"; rmdir "$dl"
			echo "$pkg $have" >>"$tmp/versions.txt"
		done
		for d in "$tmp"/debs/*.deb; do dpkg-deb -x "$d" "$tmp/root"; done
		local lib=$tmp/root/lib/x86_64-linux-gnu f
		for f in ld-linux-x86-64.so.2 libc.so.6 libdl.so.2 libpthread.so.0; do
			cp -L "$lib/$f" "$tmp/out/udpcast-lib/$f" || die "no $f in libc6"
		done
		for f in udp-sender udp-receiver; do
			cp "$tmp/root/usr/bin/$f" "$tmp/out/udpcast-lib/$f" || die "no $f in udpcast"
			# exec keeps the process (lifeboat waits for and signals it by pid)
			printf '#!/bin/sh\n# Debian %s %s, run by its own glibc (scripts/build-udpcast.sh)\nexec /lib/udpcast/ld-linux-x86-64.so.2 --library-path /lib/udpcast /lib/udpcast/%s "$@"\n' \
				"$f" "$(sed -n 's/^udpcast //p' "$tmp/versions.txt")" "$f" >"$tmp/out/$f"
			chmod 0755 "$tmp/out/$f"
		done
		touch "$tmp/.complete"
		rm -rf "$dir"; mv "$tmp" "$dir"
	}
	with_lock "$dir" fetch_debs
	mkdir -p "$out"
	rm -rf "$out/udpcast-lib"
	cp -a "$dir/out/." "$out/"
	{ echo "udpcast: Debian's binary package (no source to be had)"; cat "$dir/versions.txt"; } >"$out/udpcast.release"
	touch "$dir"
	say "udp-sender and udp-receiver from Debian's binary package $UDPCAST_DEB (glibc $LIBC6_DEB)"
}
if [ -z "$src" ]; then
	from_debs
	prune_cache "$LB_CACHE/udpcast" 4
	exit 0
fi
obj=$LB_CACHE/udpcast/$(key_of "$srckey" "$0" "$(pkg_version musl-tools)")
kinc=$LB_CACHE/kinclude-udpcast

build() {
	if [ ! -x "$obj/udp-sender" ] || [ ! -x "$obj/udp-receiver" ]; then
		local t0=$SECONDS p
		say "building udp-sender and udp-receiver in $obj"
		rm -rf "$obj"; mkdir -p "$obj" "$kinc"
		cp -a "$src/." "$obj/"
		# musl-gcc sees no kernel headers (socklib.c includes linux/types.h): the host's, as
		# for busybox
		for p in linux asm-generic; do [ -d "$kinc/$p" ] || cp -a "/usr/include/$p" "$kinc/"; done
		[ -d "$kinc/asm" ] || cp -a /usr/include/x86_64-linux-gnu/asm "$kinc/asm"
		# console.h uses fd_set without <sys/select.h>, which glibc drags in and musl does not
		(cd "$obj" && CC="musl-gcc -isystem $kinc -include sys/select.h" ./configure \
			>"$obj/configure.log" 2>&1) || { tail -n 30 "$obj/configure.log" >&2; die "udpcast configure failed"; }
		make -C "$obj" -j"$LB_JOBS" udp-sender udp-receiver LDFLAGS="-static -s" \
			>"$obj/build.log" 2>&1 || { tail -n 40 "$obj/build.log" >&2; die "udpcast build failed"; }
		for p in udp-sender udp-receiver; do
			! readelf -l "$obj/$p" | grep -q INTERP || die "$p is not static"
		done
		say "udp-sender and udp-receiver ready in $((SECONDS - t0)) s"
	fi
	mkdir -p "$out"
	rm -rf "$out/udpcast-lib"
	cp "$obj/udp-sender" "$obj/udp-receiver" "$out/"
	echo "udpcast 20120424 (static, from source)" >"$out/udpcast.release"
	touch "$obj"
}
with_lock "$obj" build
prune_cache "$LB_CACHE/udpcast" 3
