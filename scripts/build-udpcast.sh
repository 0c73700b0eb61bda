#!/usr/bin/env bash
# Builds static musl udp-sender and udp-receiver (udpcast) from Debian's source, for multicast
# on the stick (imager/mcast_send.c, imager/mcast_recv.c: `lifeboat multicast` and
# `lifeboat restore multicast://IF`). Debian's patches are applied by apt-get source.
# Usage: scripts/build-udpcast.sh OUTDIR     (OUTDIR/udp-sender, OUTDIR/udp-receiver;
#                                             cached in $LB_CACHE/udpcast/<hash>)
# The source is the pinned one of scripts/sources.pin. LB_UDPCAST_SRC=DIR builds from an
# unpacked upstream udpcast-20120424 tree instead (the archive lists Debian's source but has
# served its tarballs as 404 since 2026-12-02; the version is the same, Debian's -2 patches are
# only packaging).
# Exit status 3 (nothing built, a message saying why) when no source can be had: mk/boot.mk then
# builds a stick without udpcast and says so, unless LB_STRICT_PINS=1.
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
	say "the udpcast source (scripts/sources.pin) cannot be fetched; give an unpacked"
	say "udpcast-20120424 tree as LB_UDPCAST_SRC=DIR to build udp-sender and udp-receiver"
	exit 3
else
	srckey=$src
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
	cp "$obj/udp-sender" "$obj/udp-receiver" "$out/"
	touch "$obj"
}
with_lock "$obj" build
prune_cache "$LB_CACHE/udpcast" 3
