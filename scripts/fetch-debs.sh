#!/usr/bin/env bash
# Downloads the Debian binary packages pinned in scripts/boot-debs.pin (apt-get download of the
# exact versions), unpacks them (dpkg-deb -x, no install) into one tree, runs depmod over the
# kernel's modules there (the package leaves modules.dep to its postinst), and prints the folder:
#   $LB_CACHE/debs/<hash of the pins and this script>/{debs/,root/,versions.txt,kernel-version}
# When the archive has replaced a pinned version (security updates do), the current one of the
# same package is taken with a warning, unless LB_STRICT_PINS=1.
# Usage: scripts/fetch-debs.sh
set -euo pipefail
. "$(dirname "$0")/lib.sh"
pins=$LB_ROOT/scripts/boot-debs.pin
dir=$LB_CACHE/debs/$(key_of "$pins" "$0")

fetch() {
	[ -f "$dir/.complete" ] && return
	local tmp=$dir.tmp pkg want have kver
	rm -rf "$tmp"; mkdir -p "$tmp/debs" "$tmp/root"
	: >"$tmp/versions.txt"
	while read -r pkg want; do
		have=$want
		if ! apt-cache show "$pkg=$want" >/dev/null 2>&1; then
			[ "${LB_STRICT_PINS:-}" = 1 ] && die "$pkg $want is not in the archive (LB_STRICT_PINS=1)"
			have=$(apt-cache policy "$pkg" | sed -n 's/^ *Candidate: //p')
			[ -n "$have" ] && [ "$have" != "(none)" ] || die "$pkg is not in the archive (apt-get update?)"
			say "WARNING: $pkg $want is not in the archive; using $have (update $pins)"
		fi
		say "apt-get download $pkg=$have"
		# _apt cannot write into root's cache folder: let it write into /tmp, then move.
		local dl; dl=$(mktemp -d); chmod 0777 "$dl"
		(cd "$dl" && apt-get download -qq "$pkg=$have" >&2)
		mv "$dl"/*.deb "$tmp/debs/"; rmdir "$dl"
		printf '%s %s\n' "$pkg" "$have" >>"$tmp/versions.txt"
	done < <(grep -v '^[[:space:]]*\(#\|$\)' "$pins")
	for d in "$tmp"/debs/*.deb; do dpkg-deb -x "$d" "$tmp/root"; done
	kver=$(basename "$(find "$tmp/root/lib/modules" -mindepth 1 -maxdepth 1 -type d | head -n1)")
	[ -n "$kver" ] && [ -f "$tmp/root/boot/vmlinuz-$kver" ] || die "no kernel in the pinned packages"
	depmod -b "$tmp/root" "$kver"
	echo "$kver" >"$tmp/kernel-version"
	# One fixed mtime, so the archives made from these files depend only on their contents.
	find "$tmp/root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
	touch "$tmp/.complete"
	rm -rf "$dir"; mv "$tmp" "$dir"
}
with_lock "$dir" fetch
touch "$dir"
prune_cache "$LB_CACHE/debs" 2
echo "$dir"
