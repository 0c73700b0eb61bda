#!/usr/bin/env bash
# Builds the Lifeboat kernel from Debian's linux-source-6.1 and kernel-config/lifeboat.config.
# Usage: scripts/build-kernel.sh [INITRAMFS.cpio] OUT_BZIMAGE
# The configured tree is cached in $LB_CACHE/kernel/<hash of version, fragment, this script>;
# a new initramfs only relinks (~20 s). Fails when a fragment symbol did not survive.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
[ $# -ge 1 ] || die "usage: $0 [INITRAMFS.cpio] OUT_BZIMAGE"
if [ $# -ge 2 ]; then cpio=$1 out=$2; else cpio= out=$1; fi

frag=$LB_ROOT/kernel-config/lifeboat.config
tarball=/usr/src/linux-source-6.1.tar.xz
ver=$(pkg_version linux-source-6.1)
[ -f "$tarball" ] && [ -n "$ver" ] || die "linux-source-6.1 is not installed: run scripts/install-deps.sh boot"
src=$LB_CACHE/src/linux-$ver
obj=$LB_CACHE/kernel/$(key_of "$ver" "$frag" "$0")

extract() {
	[ -f "$src/.lifeboat-extracted" ] && return
	say "extracting linux-source $ver"
	rm -rf "$src" "$src.tmp"; mkdir -p "$src.tmp"
	tar -xf "$tarball" -C "$src.tmp" --strip-components=1
	touch "$src.tmp/.lifeboat-extracted"; mv "$src.tmp" "$src"
}

# Every CONFIG_X=value line of the fragment must appear as such in .config
# ("# CONFIG_X is not set" for =n).
check_config() {
	local line sym val bad=0
	while IFS= read -r line; do
		case $line in CONFIG_*=*) ;; *) continue ;; esac
		sym=${line%%=*} val=${line#*=}
		if [ "$val" = n ]; then
			grep -qx "# $sym is not set" "$obj/.config" || grep -qx "$sym=n" "$obj/.config" || { say "lost: $line"; bad=1; }
		else
			grep -qxF "$line" "$obj/.config" || { say "lost: $line (have: $(grep -E "^(# )?$sym[= ]" "$obj/.config" || echo absent))"; bad=1; }
		fi
	done <"$frag"
	return $bad
}

configure() {
	[ -f "$obj/.lifeboat-configured" ] && return
	say "configuring in $obj"
	mkdir -p "$obj"
	# Placeholder initramfs so the tree can be built before the real one exists.
	printf 'dir /dev 0755 0 0\n' >"$obj/initramfs.list"
	cc -O2 -o "$obj/gen_init_cpio" "$src/usr/gen_init_cpio.c"
	"$obj/gen_init_cpio" -t "$SOURCE_DATE_EPOCH" "$obj/initramfs.list" >"$obj/initramfs.cpio"
	{ cat "$frag"; printf 'CONFIG_INITRAMFS_SOURCE="%s"\n' "$obj/initramfs.cpio"; } >"$obj/allno.config"
	make -s -C "$src" O="$obj" KCONFIG_ALLCONFIG="$obj/allno.config" allnoconfig
	check_config || die "kernel-config/lifeboat.config: symbols above did not survive (missing dependency?)"
	touch "$obj/.lifeboat-configured"
}

build() {
	extract
	configure
	[ "${LB_KERNEL_CONFIG_ONLY:-}" ] && return
	if [ -n "$cpio" ] && ! cmp -s "$cpio" "$obj/initramfs.cpio"; then cp "$cpio" "$obj/initramfs.cpio"; fi
	say "building bzImage in $obj"
	local t0=$SECONDS
	make -s -C "$src" O="$obj" -j"$LB_JOBS" bzImage
	say "bzImage ready in $((SECONDS - t0)) s"
	mkdir -p "$(dirname "$out")"
	cp "$obj/arch/x86/boot/bzImage" "$out.tmp" && mv "$out.tmp" "$out"
	printf 'linux-source-6.1 %s\n' "$ver" >"$out.version"
	touch "$obj"
}
with_lock "$obj" build
prune_cache "$LB_CACHE/kernel" 2
