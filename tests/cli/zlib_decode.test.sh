#!/usr/bin/env bash
# With --codec deflate the chunks are plain DEFLATE: an independent reader using only zlib
# (tests/tools/zlib_restore.c, written from docs/FORMAT.md) decodes a 2.0 image to the same disk
# as lifeboat restore does, at compression levels 0, 1, 6 and 12; a zstd image it refuses.
. "$(dirname "$0")/lib.sh"
tool=$(dirname "$LIFEBOAT")/tools/zlib_restore
[ -x "$tool" ] || fail "missing $tool (make unit)"
build_gpt_disk src.img
for level in 0 1 6 12; do
	lb backup src.img img$level.lbi --codec deflate --level $level --quiet
	lb info img$level.lbi | grep -q "chunks: *deflate level $level, XXH3-128" || fail "info: not deflate $level"
	random_target a.img 300; cp a.img b.img   # the same old data under both
	"$tool" img$level.lbi a.img
	lb restore img$level.lbi b.img --yes --quiet
	cmp a.img b.img || fail "zlib decode and lifeboat restore differ at level $level"
	[ "$level" != 6 ] || check_gpt_disk src.img b.img
	rm a.img b.img
done
[ "$(stat -c %s img0.lbi)" -gt "$(stat -c %s img12.lbi)" ] || fail "level 0 is not larger than level 12"
lb backup src.img zstd.lbi --quiet
random_target a.img 300
! "$tool" zstd.lbi a.img 2>err.txt || fail "the zlib reader decoded a zstd image"
grep -q "zstd" err.txt || fail "the zlib reader did not say why it refused a zstd image"
echo ok
