#!/usr/bin/env bash
# The image's codec is plain DEFLATE: an independent reader using only zlib (tests/tools/
# zlib_restore.c, written from docs/FORMAT.md) decodes an image to the same disk as
# lifeboat restore does, at compression levels 0, 1, 6 and 12.
. "$(dirname "$0")/lib.sh"
tool=$(dirname "$LIFEBOAT")/tools/zlib_restore
[ -x "$tool" ] || fail "missing $tool (make unit)"
build_gpt_disk src.img
for level in 0 1 6 12; do
	lb backup src.img img$level.lbi --level $level --quiet
	random_target a.img 300; cp a.img b.img   # the same old data under both
	"$tool" img$level.lbi a.img
	lb restore img$level.lbi b.img --yes --quiet
	cmp a.img b.img || fail "zlib decode and lifeboat restore differ at level $level"
	[ "$level" != 6 ] || check_gpt_disk src.img b.img
	rm a.img b.img
done
[ "$(stat -c %s img0.lbi)" -gt "$(stat -c %s img12.lbi)" ] || fail "level 0 is not larger than level 12"
echo ok
