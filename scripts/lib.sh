# Shared by the boot-side build scripts: cache location, input hashing, logging.
# Slow artefacts (kernel tree, static libraries, busybox) live outside the clone under
# $LB_CACHE, in folders named by a hash of their inputs, so a fresh clone rebuilds only
# what changed.
LB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LB_CACHE=${LB_CACHE:-/var/cache/lifeboat}
LB_JOBS=${LB_JOBS:-$(nproc)}
# Fixed times and names so the outputs are reproducible.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1704067200}   # 2024-01-01 00:00:00 UTC
export KBUILD_BUILD_TIMESTAMP="@$SOURCE_DATE_EPOCH" KBUILD_BUILD_USER=lifeboat KBUILD_BUILD_HOST=lifeboat
export LC_ALL=C TZ=UTC

say() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; }
die() { say "$*"; exit 1; }

# key_of FILE|STRING...: a short hash of the contents of files and of literal strings.
key_of() {
	local a
	for a in "$@"; do
		if [ -f "$a" ]; then printf 'file %s\n' "$(basename "$a")"; cat "$a"
		else printf 'str %s\n' "$a"; fi
	done | sha256sum | cut -c1-16
}

# pkg_version NAME: installed version of a Debian binary package.
pkg_version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null; }

# with_lock DIR CMD...: one builder at a time per cache folder.
with_lock() {
	local dir=$1; shift
	mkdir -p "$(dirname "$dir")"
	exec 9>"$dir.lock"
	flock 9
	"$@"
}

# prune_cache DIR KEEP: in DIR, keep the KEEP most recently used build folders (and the one in
# use, touched by the caller), delete older ones, so changing inputs does not fill the disk.
prune_cache() {
	local dir=$1 keep=$2 d
	[ -d "$dir" ] || return 0
	ls -1td "$dir"/*/ 2>/dev/null | tail -n +$((keep + 1)) | while read -r d; do
		d=${d%/}
		# Skip a folder another build holds the lock of.
		( flock -n 9 || exit 0; say "pruning old cache $d"; rm -rf "$d" ) 9>"$d.lock"
		rm -f "$d.lock"
	done
}
