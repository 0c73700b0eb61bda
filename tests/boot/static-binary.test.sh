#!/usr/bin/env bash
# The static musl lifeboat (out/lifeboat, what the stick runs): no interpreter, no libraries;
# its images are read by the host build and the other way round; its screens draw with the
# terminfo entries compiled into it (the stick has no terminfo database) for each TERM the
# stick uses or a technician's terminal may send. NTFS goes by used clusters there too, and
# libblkid names what it knows.
. "$(dirname "$0")/lib.sh"
S=$ROOT/out/lifeboat
[ -x "$S" ] || skip "no $S (make static)"
need_engine
readelf -l "$S" | grep -q INTERP && die "$S has an ELF interpreter: not static"
readelf -d "$S" 2>/dev/null | grep -q NEEDED && die "$S needs shared libraries"
"$S" --help | grep -qw backup || die "$S --help does not list backup"

scripts/mk-demo-disk.sh "$T/src.img" 64 "$T/tree" 2>/dev/null || die "mk-demo-disk.sh failed"
"$S" backup "$T/src.img" "$T/static.lbi" --quiet || die "static backup failed"
"$LIFEBOAT" verify "$T/static.lbi" || die "the host build cannot verify the static build's image"
"$LIFEBOAT" backup "$T/src.img" "$T/host.lbi" --quiet || die "host backup failed"
truncate -s 64M "$T/dst.img"
"$S" restore "$T/host.lbi" "$T/dst.img" --yes || die "the static build cannot restore the host build's image"
compare_demo "$T/src.img" "$T/dst.img" "$T/tree"

# NTFS by used clusters on the stick too (libntfs-3g in the sysroot), read-only, and the host
# build restores what the static one saved
if command -v mkntfs >/dev/null && command -v ntfsls >/dev/null; then
	head -c 64M /dev/urandom >"$T/ntfs.img"
	mkntfs -q -F -Q -L stick "$T/ntfs.img" >/dev/null 2>&1 || die "mkntfs failed"
	ntfscp -q "$T/ntfs.img" "$S" lifeboat >/dev/null 2>&1 || die "ntfscp failed"
	before=$(md5sum <"$T/ntfs.img")
	"$S" backup "$T/ntfs.img" "$T/ntfs.lbi" >"$T/plan.txt" 2>&1 || { cat "$T/plan.txt"; die "static NTFS backup failed"; }
	[ "$(md5sum <"$T/ntfs.img")" = "$before" ] || die "the static build changed the NTFS source"
	grep -Eq "^- +ntfs .* used " "$T/plan.txt" || { cat "$T/plan.txt"; die "the static build copies NTFS raw"; }
	head -c 64M /dev/urandom >"$T/ntfs-dst.img"
	"$LIFEBOAT" restore "$T/ntfs.lbi" "$T/ntfs-dst.img" --yes --quiet || die "the host build cannot restore the static build's NTFS image"
	ntfscat "$T/ntfs-dst.img" lifeboat | cmp -s - "$S" || die "NTFS file differs after a static backup"
	echo "NTFS: by used clusters"
fi

# libblkid is in the sysroot: the static build names a LUKS2 volume and copies it raw
if command -v cryptsetup >/dev/null; then
	truncate -s 24M "$T/luks.img"
	head -c 32 /dev/urandom >"$T/luks.key"
	cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
		--key-file "$T/luks.key" "$T/luks.img" >/dev/null || die "cryptsetup luksFormat failed"
	"$S" backup --plan "$T/luks.img" >"$T/plan.txt" 2>&1 || { cat "$T/plan.txt"; die "static plan of a LUKS volume failed"; }
	grep -q "raw .*LUKS2: encrypted, copied raw" "$T/plan.txt" || { cat "$T/plan.txt"; die "the static build does not name LUKS2 (libblkid missing?)"; }
	echo "libblkid: LUKS2 named"
fi

command -v tmux >/dev/null || skip "tmux missing (the terminfo part was not run)"
export TMUX_TMPDIR=$T
# one tmux server per terminal type: a new session on the server the last kill-session is
# shutting down fails ("server exited unexpectedly")
for term in linux vt100 vt102 xterm xterm-256color screen; do
	tm() { tmux -L "st-$term" "$@"; }
	tm new-session -d -s "st-$$" -x 100 -y 30 "env -i TERM=$term LANG=C.UTF-8 $S tui --disk $T/src.img; sleep 30"
	ok=
	for _ in $(seq 1 40); do
		tm capture-pane -p -t "st-$$" | grep -q 'What to do' && { ok=1; break; }
		sleep 0.25
	done
	scr=$(tm capture-pane -p -t "st-$$")
	tm kill-server
	[ -n "$ok" ] || { echo "$scr"; die "TERM=$term: the home screen did not draw"; }
	grep -qi 'unknown terminal\|not found' <<<"$scr" && die "TERM=$term: $scr"
	echo "TERM=$term: home screen drawn"
done
