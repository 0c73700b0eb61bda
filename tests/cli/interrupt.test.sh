#!/usr/bin/env bash
# A backup killed at random moments (SIGKILL, SIGTERM, SIGINT; one file, split, and a pipe):
# nothing ever appears under the final name; after SIGTERM/SIGINT the engine cancels (exit 5)
# and removes its temporary files; after SIGKILL a .part file may remain, and `verify` and
# `restore` of it say it is incomplete (exit 3) without writing to the target.
. "$(dirname "$0")/lib.sh"
random_disk src.img 256
sgdisk -n1:2048:+96M -n2:200704:0 src.img >/dev/null
mk_ext src.img 1 ext4 "" >/dev/null      # an ext4 area (planned by libext2fs)
# and a partition without a filesystem, copied whole, of text-like data (base64): zstd passes
# random data through in a few ms per chunk at any level, and an empty ext4 is a few blocks,
# so such a disk is backed up in ~60 ms on a fast machine — too fast for kills to land inside
# it (CI saw that). Compressible data makes level 9 take a second or two to spread kills over.
# (112 MiB encode to 151 MiB: they end at 249 MiB, inside partition 2 at 98..255 MiB)
head -c $((112 << 20)) /dev/urandom | base64 -w 76 | dd of=src.img bs=1M seek=98 conv=notrunc status=none
random_target dst.img 256
clean=$(sum dst.img)
incomplete='incomplete|truncated|ends early|end marker|missing'

# zstd's default level 3 backs this disk up in a few hundred ms, too fast for kills spread over
# it to land inside a running backup on a loaded machine: level 9 gives room.
# How long an uninterrupted backup takes here (the kills are spread over it).
# Timed warm (a second run): the first one also fills the page cache, and the later, faster
# runs would then often finish before a kill timed from it.
lb backup src.img full.lbi --quiet --threads 1 --level 9
rm -f full.lbi
start=$(date +%s%N)
lb backup src.img full.lbi --quiet --threads 1 --level 9
ms=$(( ($(date +%s%N) - start) / 1000000 ))
lb verify full.lbi
rm -f full.lbi
echo "a full backup takes ${ms} ms"

# check_partial FILE WHAT: verify and restore refuse FILE as incomplete; the target is untouched.
# A kill can land after the end marker was written but before the rename (during the fsync):
# then the .part is whole, and verify must pass it completely instead. For a split image the
# segments must still be found: only the first is checked that way when all are present.
check_partial() {
	if lb verify "$1" >/dev/null 2>&1; then
		echo "  ($1 was complete: killed between the end marker and the rename)"
		return 0
	fi
	lb_expect_fail 3 "$incomplete" verify "$1"
	lb_expect_fail 3 "$incomplete" restore "$1" dst.img --yes
	[ "$(sum dst.img)" = "$clean" ] || fail "$2: restore of the partial image wrote to the target"
}

rounds=0 partials=0 finished=0
for round in $(seq 1 12); do
	# SIGKILL and SIGTERM/SIGINT alternate; every third round writes a split image
	case $((round % 4)) in
		0) sig=TERM ;; 1) sig=KILL ;; 2) sig=INT ;; 3) sig=KILL ;;
	esac
	split=()
	[ $((round % 3)) -eq 0 ] && split=(--split 16M)
	# a moment between 0 and 60% of a full run (later runs are often faster than the timed one)
	delay=$(( RANDOM % (ms * 6 / 10 + 1) ))
	[ $((round % 5)) -eq 0 ] && delay=$(( RANDOM % 100 ))
	rm -f out.lbi*
	{ "$LIFEBOAT" backup src.img out.lbi --quiet --threads 1 --level 9 "${split[@]}" 2>err.txt & } 2>/dev/null
	pid=$!
	sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
	kill -"$sig" "$pid" 2>/dev/null || true
	rc=0; wait "$pid" || rc=$?
	what="round $round: SIG$sig after ${delay} ms${split:+ (split)}"
	if [ "$rc" -eq 0 ]; then
		# it finished before the signal: then the image must be whole
		finished=$((finished + 1))
		lb verify out.lbi >/dev/null 2>&1 || fail "$what: finished, but the image does not verify"
		echo "$what: had already finished"
		continue
	fi
	ls out.lbi* >ls.txt 2>/dev/null || true
	if [ -e out.lbi ]; then
		# the first segment gets its final name last, after every segment was synced: the
		# signal came after that (during the closing read-back or report), so it must be whole
		lb verify out.lbi >/dev/null 2>&1 || fail "$what: out.lbi exists but is not a complete image"
		finished=$((finished + 1))
		echo "$what: had already finished (exit $rc)"
		continue
	fi
	rounds=$((rounds + 1))
	# without out.lbi, later segments may already carry final names (renamed last to first)
	# when SIGKILL lands inside the renaming: no reader takes them for an image
	[ "$sig" = KILL ] || ! grep -Eq '^out\.lbi(\.[0-9]{3})?$' ls.txt ||
		fail "$what: a file is left under a final name: $(cat ls.txt)"
	if [ "$sig" = KILL ]; then
		[ "$rc" -eq 137 ] || fail "$what: exit status $rc, wanted 137"
		if [ -e out.lbi.part ]; then
			check_partial out.lbi.part "$what"
			partials=$((partials + 1))
		fi
	elif [ "$rc" -eq $((128 + $(kill -l "$sig"))) ] && [ ! -s ls.txt ] && [ ! -s err.txt ]; then
		# the signal came before the program had set up its handlers (a sanitizer build starts
		# slowly): it had created nothing yet, so nothing is left
		echo "$what: killed while starting (exit $rc), nothing left"
		continue
	else
		[ "$rc" -eq 5 ] || { cat err.txt >&2; fail "$what: exit status $rc, wanted 5 (cancelled)"; }
		[ -s ls.txt ] && fail "$what: temporary files remain after a clean cancel: $(cat ls.txt)"
	fi
	echo "$what: ok (exit $rc; left: $(tr '\n' ' ' <ls.txt))"
done

# A backup to a pipe, killed: what reached the pipe is refused as incomplete. A fast codec
# can finish first: then again, sooner (half, a quarter of a full run).
for div in 2 4 8; do
	rm -f pipe.lbi
	"$LIFEBOAT" backup src.img - --quiet --threads 1 --level 9 >pipe.lbi 2>err.txt &
	pid=$!
	delay=$(( ms / div ))
	sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" || true
	[ -s pipe.lbi ] && lb verify pipe.lbi >/dev/null 2>&1 || break
	echo "  (the backup to a pipe finished before a kill after $delay ms)"
done
if [ -s pipe.lbi ]; then
	check_partial pipe.lbi "pipe"
	# from a pipe, chunks are written as they arrive (nothing says in advance that the stream
	# is cut): the restore must end with exit 3 and say the target is not a complete copy
	lb_expect_fail 3 "$incomplete" restore - dst.img --yes <pipe.lbi
	grep -qi "not complete" err.txt || { cat err.txt >&2; fail "pipe: restore did not say it is incomplete"; }
fi
[ "$rounds" -ge 6 ] || fail "only $rounds of 12 kills hit a running backup (the backup is too fast here)"
echo "$rounds interrupted backups ($partials partial .part files refused), $finished finished first"
