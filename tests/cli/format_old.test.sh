#!/usr/bin/env bash
# Images written by earlier versions are still read: a 1.0 image (Lifeboat 0.1.0, before INDEX
# records) and a 1.1 image (DEFLATE chunks, CRC-32 checksums, an INDEX record every 2 chunks),
# both committed in tests/cli/data. Each is shown with its version, verified, verified against
# its source disk, restored from a file and from a pipe onto old random data and compared with
# the source over every range it carries, and re-restored with --resume writing nothing.
data=$(cd "$(dirname "$0")" && pwd)/data
. "$(dirname "$0")/lib.sh"
tool=$(dirname "$LIFEBOAT")/tools/zlib_restore

# 1.0: a 3 MiB raw disk of 64 KiB of numbers, zeros, and 1 MiB of "lifeboat" lines, regenerated
set +o pipefail
{ seq 1 20000 | head -c 65536; head -c $((2 * 1048576 - 65536)) /dev/zero; yes lifeboat | head -c 1048576; } >old10.img
set -o pipefail
[ "$(sha256sum <old10.img | cut -c1-16)" = f093c8c70710dc15 ] || fail "the 1.0 image's disk was not regenerated"
# 1.1: an 8 MiB GPT disk (a raw partition of random bytes and text, FAT12 with a deleted file,
# so a chunk of several ranges), committed compressed
xz -dc "$data/format-1.1.source.xz" >old11.img
[ "$(sha256sum <old11.img | cut -c1-16)" = dea529b4fecc7600 ] || fail "the 1.1 image's disk did not unpack"

# same_content SRC DST VERSION: DST holds what the image of SRC carries (1.0: all of it; 1.1:
# all but the free FAT clusters)
same_content() {
	if [ "$3" = 1.0 ]; then cmp "$1" "$2" || fail "the 1.0 image restores differently"; return; fi
	cmp_range "$1" "$2" 0 $((4096 * 512))
	cmp_range "$1" "$2" $((14336 * 512)) $((2048 * 512))
	check_fat "$1" "$2" $((4096 * 512))
	gpt_ok "$2"
}
check_old() { # IMAGE SOURCE VERSION
	local img=$1 src=$2 v=$3 size
	size=$(stat -c %s "$src")
	lb info "$img" | grep -q "format:.*$v" || fail "the $v image is not shown as $v"
	lb verify "$img" --quiet
	lb verify - --quiet <"$img"
	lb verify "$img" --against "$src" --quiet
	random_target dst.img $((size / 1048576)); cp dst.img z.img
	lb restore "$img" dst.img --yes --quiet
	same_content "$src" dst.img "$v"
	# the independent zlib reader (written from docs/FORMAT.md) agrees byte for byte
	"$tool" "$img" z.img >/dev/null
	cmp z.img dst.img || fail "the zlib reader and lifeboat restore differ on the $v image"
	lb restore "$img" dst.img --yes --resume 2>err.txt
	grep -q "restored 0 B" err.txt || { cat err.txt; fail "resume rewrote an unchanged disk ($v)"; }
	random_target dst.img $((size / 1048576))
	lb restore - dst.img --yes --quiet <"$img"
	same_content "$src" dst.img "$v"
}
check_old "$data/format-1.0.image" old10.img 1.0
check_old "$data/format-1.1.image" old11.img 1.1
echo ok
