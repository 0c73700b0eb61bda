#!/usr/bin/env bash
# Encrypted images (FORMAT.md "Encryption"): backup --key-file of a real ext4 disk (sfdisk
# table, mke2fs -d), restore onto old random data (files and a pipe) and compare the
# filesystem; verify, verify --against, --resume, split segments; none of a known file's
# content, the note or the source name is in the image's bytes (while a clear image of the
# same disk holds them: the check can fail); a wrong key file is exit 8 with nothing written;
# info without the key shows only what is clear; passphrases typed on a terminal (tmux), echo
# off, asked twice for a backup and once per restore; a flipped sealed byte is damage (CRC) and,
# with the CRC fixed, ALTERED (the tag) — for a chunk, an INDEX record, the trailer and META.
. "$(dirname "$0")/lib.sh"

# a disk: MBR, one ext4 partition holding a known, incompressible-looking file
random_disk src.img 48
printf 'label: dos\n2048,40M,83\n' | sfdisk -q src.img
mkdir -p tree/secret
python3 -c '
import random
r = random.Random(7)
words = ["LB-SECRET-%06d" % r.randrange(10**6) for _ in range(20000)]
open("tree/secret/plans.txt", "w").write(" ".join(words))
'
marker=$(head -c 200 tree/secret/plans.txt | cut -d' ' -f3)
cp /bin/ls tree/
mk_ext src.img 1 ext4 tree
src_md5=$(md5sum <src.img)
off=$(part_start src.img 1)

printf 'correct horse battery\n' >key
printf 'correct horse battery\r\n' >key.crlf
printf 'wrong horse battery\n' >wrong
: >empty

# stored chunks (deflate level 0), so a clear image holds the file's bytes as they are
lb backup src.img clear.lbi --codec deflate --level 0 --note "NOTE-TOP-SECRET" --quiet
grep -q -a -- "$marker" clear.lbi || fail "control: the clear image does not hold the marker"
lb backup src.img enc.lbi --codec deflate --level 0 --note "NOTE-TOP-SECRET" --key-file key --quiet
for s in "$marker" NOTE-TOP-SECRET src.img "source.path" ext4; do
	! grep -q -a -- "$s" enc.lbi || fail "the encrypted image holds '$s' in the clear"
done
lb backup src.img z.lbi --encrypt --key-file key.crlf --quiet   # zstd, the default

# info without the key: only what is clear
lb info enc.lbi >info.txt
grep -q "encrypted: *yes.*Argon2id (3 passes, 64 MiB)" info.txt || { cat info.txt; fail "info: encryption"; }
grep -q "needs the passphrase" info.txt || fail "info: does not say the rest needs the key"
! grep -q "src.img\|ext4\|NOTE" info.txt || fail "info without the key shows sealed things"
lb info enc.lbi --json | grep -q '"encrypted":true,"locked":true,"kdf":{"name":"argon2id13","ops":3,"mem":67108864}' ||
	fail "info --json without the key"
lb info enc.lbi --key-file key >info.txt
grep -q "note: *NOTE-TOP-SECRET" info.txt && grep -q "encrypted: *yes" info.txt || { cat info.txt; fail "info --key-file"; }
lb_expect_fail 8 "wrong passphrase for enc.lbi" info enc.lbi --key-file wrong

# restore (the CRLF key file is the same passphrase) onto old data, compare, verify
random_target dst.img 48
lb restore enc.lbi dst.img --yes --quiet --key-file key.crlf
cmp_range src.img dst.img 0 "$off"
cmp_ext_used src.img dst.img "$off"
check_ext src.img dst.img "$off"
lb verify enc.lbi --key-file key --quiet
lb verify z.lbi --key-file key --against dst.img --quiet
random_target dst.img 48
lb restore - dst.img --yes --quiet --key-file key <z.lbi
check_ext src.img dst.img "$off"
lb restore z.lbi dst.img --yes --resume --key-file key 2>err.txt
grep -q "restored 0 B" err.txt || { cat err.txt; fail "--resume rewrote an unchanged disk"; }
lb backup src.img split.lbi --key-file key --split 4M --codec deflate --level 0 --quiet
[ -e split.lbi.002 ] || fail "no second segment"
lb verify split.lbi --key-file key --quiet
cat split.lbi split.lbi.* | lb verify - --key-file key --quiet

# wrong, empty, missing key file; no terminal: refused before anything is written
clean=$(sum dst.img)
untouched() { [ "$(sum dst.img)" = "$clean" ] || fail "$1: restore wrote to the target"; }
lb_expect_fail 8 "wrong passphrase for enc.lbi" restore enc.lbi dst.img --yes --key-file wrong
untouched "wrong key"
lb_expect_fail 8 "wrong passphrase" restore - dst.img --yes --key-file wrong <enc.lbi
untouched "wrong key, pipe"
! grep -q "did NOT complete" err.txt || fail "a wrong key is reported as a partial restore"
lb_expect_fail 8 "wrong passphrase" verify enc.lbi --key-file wrong
lb_expect_fail 2 "key file empty is empty" restore enc.lbi dst.img --yes --key-file empty
lb_expect_fail 2 "cannot read the key file" verify enc.lbi --key-file nonexistent
rc=0; setsid "$LIFEBOAT" restore enc.lbi dst.img --yes </dev/null >out.txt 2>err.txt || rc=$?
[ $rc = 8 ] && grep -q "no terminal.*--key-file" err.txt || { cat err.txt; fail "no terminal, no key file: exit $rc"; }
untouched "no key"
rc=0; setsid "$LIFEBOAT" backup src.img x.lbi --encrypt </dev/null >out.txt 2>err.txt || rc=$?
[ $rc = 2 ] && grep -q "needs a terminal" err.txt && [ ! -e x.lbi ] || { cat err.txt; fail "--encrypt without a terminal: exit $rc"; }

# typed on a terminal (tmux gives the pty): backup --encrypt asks twice, echo off; verify asks
if command -v tmux >/dev/null; then
	nsock=0
	tty_run() { # COMMAND: in a fresh pane (a fresh server: no race with one shutting down)
		[ -n "${tsock:-}" ] && { tmux -S "$tsock" kill-server 2>/dev/null || true; }
		nsock=$((nsock + 1)); tsock=$T/tmux.$nsock.sock
		tmux -S "$tsock" -f /dev/null new-session -d -x 150 -y 20 \
			"cd $T && $1; echo \"[exit \$?]\"; sleep 120"
	}
	tty_wait() { # TEXT
		for _ in $(seq 900); do
			tmux -S "$tsock" capture-pane -p | grep -qF -- "$1" && return 0
			sleep 0.1
		done
		tmux -S "$tsock" capture-pane -p; fail "the terminal did not show: $1"
	}
	tty_type() { tmux -S "$tsock" send-keys -l "$1"; tmux -S "$tsock" send-keys Enter; }
	tty_run "$LIFEBOAT backup src.img tty.lbi --encrypt --quiet"
	tty_wait "New passphrase for the image:"; tty_type "typed one"
	tty_wait "The same passphrase again:"; tty_type "typed two"
	tty_wait "the two passphrases differ"
	tty_wait "New passphrase for the image:"; tty_type "typed pass"
	tty_wait "The same passphrase again:"; tty_type "typed pass"
	tty_wait "[exit 0]"
	! tmux -S "$tsock" capture-pane -p | grep -q "typed" || fail "the passphrase was echoed"
	printf 'typed pass' >typed.key   # (no newline: the same passphrase)
	lb verify tty.lbi --key-file typed.key --quiet
	tty_run "$LIFEBOAT verify tty.lbi --quiet"
	tty_wait "Passphrase for tty.lbi:"; tty_type "typed pasS"
	tty_wait "[exit 8]"
	tty_run "$LIFEBOAT restore tty.lbi dst.img --yes --quiet"
	tty_wait "Passphrase for tty.lbi:"; tty_type "typed pass"
	tty_wait "[exit 0]"
	tmux -S "$tsock" capture-pane -p | grep -c "Passphrase for" | grep -qx 1 ||
		fail "restore asked for the passphrase more than once"
	tmux -S "$tsock" kill-server
	check_ext src.img dst.img "$off"
	clean=$(sum dst.img)
else
	echo "no tmux: the terminal prompts are not tested"
fi

# records: "file_offset type codec offset nextents length stored" (an unsplit image)
records() {
	python3 - "$1" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
p = 64
while p + 40 <= len(b):
    off, nx, ln, st = struct.unpack_from("<QIII", b, p + 8)
    print(p, b[p + 4], b[p + 5], off, nx, ln, st)
    p += 40 + st
PY
}
# flip IMAGE OUT FILE_OFFSET_OF_RECORD BYTE_IN_PAYLOAD FIXCRC: xor one payload byte; with
# FIXCRC=1 also rewrite the record's payload CRC and header CRC (and END's copy of the
# trailer's), as a deliberate change would
flip() {
	python3 - "$@" <<'PY'
import struct, sys, zlib
src, out, p, k, fix = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "1"
b = bytearray(open(src, "rb").read())
st = struct.unpack_from("<I", b, p + 24)[0]
b[p + 40 + k] ^= 0x20
if fix:
    struct.pack_into("<I", b, p + 28, zlib.crc32(bytes(b[p + 40:p + 40 + st])))
    struct.pack_into("<I", b, p + 36, zlib.crc32(bytes(b[p:p + 36])))
    if b[p + 4] == 3:   # the trailer: END repeats its CRC
        e = len(b) - 40
        b[e + 28:e + 32] = b[p + 28:p + 32]
        struct.pack_into("<I", b, e + 36, zlib.crc32(bytes(b[e:e + 36])))
open(out, "wb").write(b)
PY
}
records enc.lbi >rec.txt
[ "$(awk 'NR==1{print $2, $7}' rec.txt)" = "6 80" ] || fail "the first record is not an 80-byte KEY"
[ "$(awk 'NR==2{print $2}' rec.txt)" = 1 ] || fail "META does not follow KEY"
# a chunk with an extent table (opened by the reading thread) and single-range chunks (opened
# by the decoding workers): byte 100 of the ciphertext (after the 24-byte nonce), fixed CRC
grep -q . < <(awk '$2 == 2 && $3 == 1 && $5 > 0' rec.txt) || fail "no chunk with an extent table"
while read -r cp _ _ coff _ _ _; do
	cseq=$(awk -v p="$cp" '$2 == 2 { if ($1 == p) { print n + 0; exit } n++ }' rec.txt)
	flip enc.lbi alt.lbi "$cp" 124 1
	lb_expect_fail 3 "ALTERED.*tampered.*authentication failed at chunk $cseq \(disk offset $coff\), stream offset $((cp - 64))" verify alt.lbi --key-file key
	lb_expect_fail 3 "ALTERED.*chunk $cseq \(disk offset $coff\)" verify - --key-file key <alt.lbi
done < <(awk '$2 == 2 && $3 == 1 && $5 > 0' rec.txt | head -1; awk '$2 == 2 && $3 == 1 && $5 == 0 && $7 > 4096' rec.txt | sed -n '1p;3p')
# a single-range chunk in the middle
read -r cp _ _ coff _ _ cst < <(awk '$2 == 2 && $3 == 1 && $5 == 0 && $7 > 4096' rec.txt | sed -n 3p)
cseq=$(awk -v p="$cp" '$2 == 2 { if ($1 == p) { print n + 0; exit } n++ }' rec.txt)
flip enc.lbi dmg.lbi "$cp" 124 0
lb_expect_fail 3 "damaged.*chunk $cseq \(disk offset $coff[,)].*CRC-32 mismatch" verify dmg.lbi --key-file key
! grep -q ALTERED err.txt || fail "damage called tampering"
flip enc.lbi alt.lbi "$cp" 124 1
lb_expect_fail 3 "ALTERED.*tampered.*authentication failed at chunk $cseq \(disk offset $coff\), stream offset $((cp - 64))" verify alt.lbi --key-file key
lb_expect_fail 3 "ALTERED" restore alt.lbi dst.img --yes --key-file key --no-verify
lb_expect_fail 3 "ALTERED" verify - --key-file key <alt.lbi
# a wrong key is still told as a wrong key on an altered image (the key check comes first)
lb_expect_fail 8 "wrong passphrase" verify alt.lbi --key-file wrong
# the tag, or the nonce: both fail authentication
flip enc.lbi alt2.lbi "$cp" $((cst - 3)) 1
lb_expect_fail 3 "ALTERED.*chunk $cseq" verify alt2.lbi --key-file key
flip enc.lbi alt3.lbi "$cp" 2 1
lb_expect_fail 3 "ALTERED.*chunk $cseq" verify alt3.lbi --key-file key
# header fields are bound too: a chunk moved to another disk offset (header CRC fixed)
python3 - enc.lbi moved.lbi "$cp" <<'PY'
import struct, sys, zlib
b = bytearray(open(sys.argv[1], "rb").read()); p = int(sys.argv[3])
struct.pack_into("<I", b, p + 6, struct.unpack_from("<H", b, p + 6)[0] | 1)   # flags: "bad sectors"
struct.pack_into("<I", b, p + 36, zlib.crc32(bytes(b[p:p + 36])))
open(sys.argv[2], "wb").write(b)
PY
lb_expect_fail 3 "ALTERED.*chunk $cseq" verify moved.lbi --key-file key
# META, an INDEX record, the trailer
mp=$(awk '$2 == 1 { print $1; exit }' rec.txt)
ip=$(awk '$2 == 5 { print $1; exit }' rec.txt)
tp=$(awk '$2 == 3 { print $1; exit }' rec.txt)
flip enc.lbi m.lbi "$mp" 30 1
lb_expect_fail 3 "ALTERED.*its description" info m.lbi --key-file key
flip enc.lbi m.lbi "$mp" 30 0
lb_expect_fail 3 "description is corrupted" info m.lbi --key-file key
flip enc.lbi i.lbi "$ip" 30 1
lb_expect_fail 3 "ALTERED.*index record 0" verify i.lbi --key-file key
flip enc.lbi t.lbi "$tp" 30 1
lb_expect_fail 3 "ALTERED.*the trailer" verify t.lbi --key-file key
lb_expect_fail 3 "ALTERED.*the trailer" verify - --key-file key <t.lbi
untouched "altered images"

[ "$(md5sum <src.img)" = "$src_md5" ] || fail "the source changed"
echo "encrypted images: round trips, no plaintext, wrong key exit 8, damage vs ALTERED"
