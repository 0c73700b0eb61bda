#!/usr/bin/env bash
# Injected faults inside the holes of a sparse source: the backup skips holes without reading
# them (SEEK_DATA through the I/O layer), yet a fault there must still be read, fail, and be
# reported, exactly as one in the data; every other byte comes back.
. "$(dirname "$0")/lib.sh"
truncate -s 64M src.img
head -c 1M /dev/urandom | dd of=src.img conv=notrunc status=none
head -c 1M /dev/urandom | dd of=src.img bs=1M seek=48 conv=notrunc status=none
hole=$((20 * 1048576 + 4096)) data=$((48 * 1048576 + 8192))
faults="$hole+1024,$data+512"
before=$(sum src.img)
rc=0; LIFEBOAT_FAULTS=$faults lb backup src.img img.lbi 2>err.txt || rc=$?
[ "$rc" = 6 ] || { cat err.txt; fail "backup over faults in a sparse source exited $rc, wanted 6"; }
[ "$(sum src.img)" = "$before" ] || fail "source changed"
got=$(sed -n 's/^  offset \([0-9]*\), \([0-9]*\) bytes$/\1+\2/p' err.txt | sort -n | paste -sd,)
[ "$got" = "$faults" ] || { cat err.txt; fail "reported bad ranges [$got], wanted [$faults]"; }
random_disk dst.img 64
rc=0; lb restore img.lbi dst.img --yes 2>err.txt || rc=$?
[ "$rc" = 6 ] || { cat err.txt; fail "restore of an image with missing ranges exited $rc, wanted 6"; }
# the missing ranges are zeros, everything else is the source
for r in "$hole+1024" "$data+512"; do
	o=${r%+*} l=${r#*+}
	cmp -n "$l" -i "$o:0" dst.img /dev/zero || fail "missing range $r is not zeros on the target"
done
cp --sparse=always src.img want.img
for r in "$hole+1024" "$data+512"; do
	dd if=/dev/zero of=want.img bs=512 seek=$(( ${r%+*} / 512 )) count=$(( ${r#*+} / 512 )) conv=notrunc status=none
done
cmp want.img dst.img || fail "restored disk differs from the source outside the missing ranges"
echo "ok: faults in holes and in data reported, the rest restored"
