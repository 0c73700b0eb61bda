#!/usr/bin/env bash
# Builds a static musl dbclient (dropbear's SSH client) from Debian's source, for ssh://
# repositories on the stick (imager/repo_ssh.c). Only the client, no zlib (an image is already
# compressed), no syslog/lastlog/utmp; DROPBEAR_PASSWORD in the environment stays on (the
# password of ssh:// never goes through a command line).
# Usage: scripts/build-dropbear.sh OUT      (cached in $LB_CACHE/dropbear/<hash>)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
[ $# -eq 1 ] || die "usage: $0 OUT"
out=$(realpath -m "$1")
src=$("$LB_ROOT/scripts/fetch-sources.sh" dropbear)
obj=$LB_CACHE/dropbear/$(key_of "$src/.lifeboat-unpacked" "$src" "$0" "$(pkg_version musl-tools)")

build() {
	if [ ! -x "$obj/dbclient" ]; then
		local t0=$SECONDS
		say "building dbclient in $obj"
		rm -rf "$obj"; mkdir -p "$obj"
		cp -a "$src/." "$obj/"
		# Debian's patches are applied by apt-get source already
		(cd "$obj" && CC=musl-gcc ./configure --enable-static --disable-zlib --disable-pam \
			--disable-syslog --disable-lastlog --disable-utmp --disable-utmpx --disable-wtmp \
			--disable-wtmpx --disable-loginfunc --disable-pututline --disable-pututxline \
			>"$obj/configure.log" 2>&1) || { tail -n 30 "$obj/configure.log" >&2; die "dropbear configure failed"; }
		# musl has no crypt(): the server's password login goes (only the client is built)
		printf '#define DROPBEAR_USE_PASSWORD_ENV 1\n#define DROPBEAR_SVR_PASSWORD_AUTH 0\n' >"$obj/localoptions.h"
		make -s -C "$obj" -j"$LB_JOBS" PROGRAMS=dbclient STATIC=1 dbclient >"$obj/build.log" 2>&1 ||
			{ tail -n 40 "$obj/build.log" >&2; die "dbclient build failed"; }
		strip "$obj/dbclient"
		! readelf -l "$obj/dbclient" | grep -q INTERP || die "dbclient is not static"
		say "dbclient ready in $((SECONDS - t0)) s"
	fi
	mkdir -p "$(dirname "$out")"
	cp "$obj/dbclient" "$out"
	touch "$obj"
}
with_lock "$obj" build
prune_cache "$LB_CACHE/dropbear" 3
