#!/usr/bin/env bash
# The libraries of image format 2.0 as the stick has them: libzstd, libxxhash and libsodium,
# built static with musl in the sysroot. A probe linked against them (tests/boot/codecs_probe.c)
# gives the same Argon2id key and XChaCha20-Poly1305 record as against the host's libraries,
# refuses altered records, hashes as xxh128sum does, and its zstd frames and the zstd tool's
# decode on the other side. Once its command line offers them, the static lifeboat holds them,
# and its zstd and encrypted images are read by the host build and the other way round.
. "$(dirname "$0")/lib.sh"
SYS=$ROOT/$BUILD/musl-sysroot
S=$ROOT/out/lifeboat
[ -f "$SYS/.complete" ] || skip "no $SYS (make static-libs)"
for t in musl-gcc gcc zstd xxh128sum; do command -v $t >/dev/null || skip "$t missing"; done

musl-gcc -O2 -I"$SYS/include" -static -o "$T/probe" tests/boot/codecs_probe.c \
	-L"$SYS/lib" -lzstd -lxxhash -lsodium -pthread || die "the probe does not link against $SYS"
readelf -l "$T/probe" | grep -q INTERP && die "the probe is not static"
gcc -O2 -o "$T/probe-host" tests/boot/codecs_probe.c -lzstd -lxxhash -lsodium ||
	die "the probe does not build against the host's libraries (scripts/install-deps.sh)"
"$T/probe" versions || die "the static probe does not run"
for lib in libzstd xxhash libsodium; do
	grep -q "^$lib " "$SYS/versions.txt" || die "$SYS/versions.txt does not list $lib"
done

# Text-like data (compresses) and random data (does not), and a size that is not a power of 2.
seq 1 300000 >"$T/text"
head -c 2000001 /dev/urandom >"$T/random"
for f in text random; do
	[ "$("$T/probe" xxh128 "$T/$f")" = "$(xxh128sum -q "$T/$f")" ] || die "$f: XXH3-128 differs from xxh128sum"
	"$T/probe" zstd-pack "$T/$f" "$T/$f.zst" || die "$f: zstd compression failed"
	zstd -q -dc "$T/$f.zst" | cmp -s - "$T/$f" || die "$f: the zstd tool does not decode the static build's frame"
	zstd -q -3 -c "$T/$f" >"$T/$f.tool.zst"
	"$T/probe" zstd-unpack "$T/$f.tool.zst" "$T/$f.out" || die "$f: the static build cannot decode the zstd tool's frame"
	cmp -s "$T/$f.out" "$T/$f" || die "$f: the static build decoded the zstd tool's frame wrongly"
done
[ "$(stat -c %s "$T/text.zst")" -lt $(($(stat -c %s "$T/text") / 3)) ] || die "text did not compress"
cat "$T/text.zst" "$T/random.tool.zst" >"$T/two.zst"
"$T/probe" zstd-unpack "$T/two.zst" "$T/two.out" || die "two frames in a row did not decode"
cat "$T/text" "$T/random" | cmp -s - "$T/two.out" || die "two frames in a row decoded wrongly"
head -c $(($(stat -c %s "$T/text.zst") - 5)) "$T/text.zst" >"$T/short.zst"
"$T/probe" zstd-unpack "$T/short.zst" "$T/short.out" 2>/dev/null && die "a truncated zstd frame was accepted"

"$T/probe" seal >"$T/seal.static" || die "libsodium (static): $(cat "$T/seal.static")"
"$T/probe-host" seal >"$T/seal.host" || die "libsodium (host): $(cat "$T/seal.host")"
diff "$T/seal.static" "$T/seal.host" || die "the static libsodium's Argon2id key or sealed record differs from the host's"
echo "probe: zstd, XXH3-128, Argon2id and XChaCha20-Poly1305 agree with the host"

# The static lifeboat: once its command line offers zstd (--codec) and encryption (--key-file),
# the libraries are in it (the linker keeps only what is called: code the engine has but does
# not call yet is left out) and its images cross over to the host build.
[ -x "$S" ] || skip "no $S (make static)"
need_engine
M=$ROOT/$BUILD/musl/lifeboat   # out/lifeboat before strip: the symbols are still there
"$S" --help >"$T/help"
check_linked() {   # OPTION SYMBOL_PATTERN NAME
	grep -q -- "$1" "$T/help" || { echo "$3: $S has no $1 yet"; return; }
	[ -f "$M" ] || die "no $M (make static)"
	nm "$M" | grep -qE " [Tt] ($2)" || die "$S offers $1 but does not contain $3 ($M)"
	echo "$3: linked into the static lifeboat"
}
check_linked --codec 'ZSTD_compress' libzstd
check_linked --codec 'ZSTD_decompress' libzstd
check_linked --codec 'XXH3_128bits' libxxhash
check_linked --key-file 'crypto_pwhash' libsodium
check_linked --key-file 'crypto_aead_xchacha20poly1305_ietf_' libsodium

scripts/mk-demo-disk.sh "$T/src.img" 64 "$T/tree" 2>/dev/null || die "mk-demo-disk.sh failed"
if grep -q -- --codec "$T/help"; then
	"$S" backup "$T/src.img" "$T/static-zstd.lbi" --codec zstd --quiet || die "static backup --codec zstd failed"
	"$LIFEBOAT" verify "$T/static-zstd.lbi" || die "the host build cannot verify the static build's zstd image"
	"$LIFEBOAT" backup "$T/src.img" "$T/host-zstd.lbi" --codec zstd --quiet || die "host backup --codec zstd failed"
	truncate -s 64M "$T/dst.img"   # compare_demo compares the ESP byte for byte: an empty target
	"$S" restore "$T/host-zstd.lbi" "$T/dst.img" --yes || die "the static build cannot restore the host build's zstd image"
	compare_demo "$T/src.img" "$T/dst.img" "$T/tree"
	echo "zstd images cross between the static and the host build"
else
	echo "static lifeboat has no --codec yet: zstd images not crossed"
fi
if grep -q -- --key-file "$T/help"; then
	printf 'a passphrase for the test\n' >"$T/key"
	printf 'not the passphrase\n' >"$T/wrong"
	"$S" backup "$T/src.img" "$T/static-enc.lbi" --key-file "$T/key" --quiet || die "static encrypted backup failed"
	"$LIFEBOAT" verify "$T/static-enc.lbi" --key-file "$T/key" || die "the host build cannot verify the static build's encrypted image"
	rc=0; "$LIFEBOAT" verify "$T/static-enc.lbi" --key-file "$T/wrong" 2>/dev/null || rc=$?
	[ $rc = 8 ] || die "the host build gave exit $rc for a wrong passphrase (wanted 8)"
	"$LIFEBOAT" backup "$T/src.img" "$T/host-enc.lbi" --key-file "$T/key" --quiet || die "host encrypted backup failed"
	rc=0; "$S" verify "$T/host-enc.lbi" --key-file "$T/wrong" 2>"$T/err" || rc=$?
	[ $rc = 8 ] && grep -q "wrong passphrase" "$T/err" || die "the static build gave exit $rc for a wrong passphrase (wanted 8)"
	"$S" info "$T/host-enc.lbi" | grep -q "needs the passphrase" || die "static info shows a locked image wrongly"
	truncate -s 64M "$T/dst2.img"
	"$S" restore "$T/host-enc.lbi" "$T/dst2.img" --key-file "$T/key" --yes ||
		die "the static build cannot restore the host build's encrypted image"
	compare_demo "$T/src.img" "$T/dst2.img" "$T/tree"
	echo "encrypted images cross between the static and the host build"
else
	echo "static lifeboat has no --key-file yet: encrypted images not crossed"
fi
