#!/usr/bin/env bash
# Builds a static musl busybox from Debian's source and initramfs/busybox.config (a fragment
# expanded against allnoconfig; the build fails when a line did not survive).
# Usage: scripts/build-busybox.sh OUT      (cached in $LB_CACHE/busybox/<hash>)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
[ $# -eq 1 ] || die "usage: $0 OUT"
out=$(realpath -m "$1")
frag=$LB_ROOT/initramfs/busybox.config
src=$("$LB_ROOT/scripts/fetch-sources.sh" busybox)
obj=$LB_CACHE/busybox/$(key_of "$src" "$frag" "$0" "$(pkg_version musl-tools)")
kinc=$LB_CACHE/kinclude-busybox

check_config() {
	local line bad=0
	while IFS= read -r line; do
		case $line in CONFIG_*=*) ;; *) continue ;; esac
		grep -qxF "$line" "$obj/.config" || { say "lost: $line"; bad=1; }
	done <"$frag"
	return $bad
}

build() {
	if [ ! -x "$obj/busybox" ]; then
		local t0=$SECONDS
		say "building busybox in $obj"
		mkdir -p "$obj" "$kinc"
		for d in linux asm-generic mtd; do [ -d "$kinc/$d" ] || cp -a "/usr/include/$d" "$kinc/"; done
		[ -d "$kinc/asm" ] || cp -a /usr/include/x86_64-linux-gnu/asm "$kinc/asm"
		local mk=(make -s -C "$src" O="$obj" CC="musl-gcc -isystem $kinc" HOSTCC=gcc)
		# This busybox's kconfig ignores KCONFIG_ALLCONFIG: set the lines over allnoconfig, then
		# let oldconfig give the options they uncover their defaults.
		"${mk[@]}" allnoconfig >/dev/null
		local line sym
		while IFS= read -r line; do
			case $line in CONFIG_*=*) ;; *) continue ;; esac
			sym=${line%%=*}
			sed -i -e "/^$sym=/d" -e "/^# $sym is not set/d" "$obj/.config"
			echo "$line" >>"$obj/.config"
		done <"$frag"
		{ yes "" || true; } | "${mk[@]}" oldconfig >/dev/null
		check_config || die "initramfs/busybox.config: lines above did not survive"
		"${mk[@]}" -j"$LB_JOBS" busybox >"$obj/build.log" 2>&1 || { tail -n 40 "$obj/build.log" >&2; die "busybox build failed"; }
		strip "$obj/busybox"
		say "busybox ready in $((SECONDS - t0)) s"
	fi
	mkdir -p "$(dirname "$out")"
	cp "$obj/busybox" "$out"
	"$out" --list >"$out.applets"
	touch "$obj"
}
with_lock "$obj" build
prune_cache "$LB_CACHE/busybox" 3
