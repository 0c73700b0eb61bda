#!/usr/bin/env bash
# Builds the static musl libraries the static lifeboat links against: zlib, libdeflate,
# libzstd, libxxhash, libsodium (image format 2.0), ncursesw (terminfo fallbacks compiled in: the initramfs has no terminfo database),
# libext2fs + libcom_err, libntfs-3g (NTFS used clusters), util-linux's libblkid (names and vetoes
# what every partition holds: imager/probe_blkid.c); and, from the same e2fsprogs build, static e2fsck, mke2fs,
# resize2fs, debugfs for the stick.
# Usage: scripts/build-static-libs.sh LINK
#   LINK becomes a symlink to the sysroot $LB_CACHE/musl/<hash of pins and this script>
#   (include/, lib/, kinclude/ = Linux UAPI headers for musl-gcc, sbin/, versions.txt).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
[ $# -eq 1 ] || die "usage: $0 LINK"
mkdir -p "$(dirname "$1")"; link=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")   # the link itself, not its target
command -v musl-gcc >/dev/null || die "musl-gcc missing: run scripts/install-deps.sh boot"
FALLBACKS=linux,vt100,vt102,xterm,xterm-256color,screen
key=$(key_of "$LB_ROOT/scripts/sources.pin" "$0" "$(pkg_version musl-tools)" "$FALLBACKS")
P=$LB_CACHE/musl/$key
HOST=x86_64-linux-musl
export CC=musl-gcc CFLAGS="-Os -ffunction-sections -fdata-sections" AR=ar RANLIB=ranlib
# The codecs and ciphers run over every byte of a backup or restore: built for speed, as
# Debian builds them for the host (-Os would make the stick measurably slower than the host).
FAST_CFLAGS="-O2 -ffunction-sections -fdata-sections"

# Linux UAPI headers (linux/fs.h, asm/...) are libc-independent; musl-gcc's wrapper hides
# /usr/include, so give it a folder with just these.
kheaders() {
	mkdir -p "$P/kinclude"
	local d
	for d in linux asm-generic mtd; do cp -a "/usr/include/$d" "$P/kinclude/"; done
	cp -a "/usr/include/x86_64-linux-gnu/asm" "$P/kinclude/asm"
}

build_zlib() {
	local s; s=$("$LB_ROOT/scripts/fetch-sources.sh" zlib)
	rm -rf "$W/zlib"; cp -a "$s" "$W/zlib"; cd "$W/zlib"
	./configure --static --prefix="$P" >/dev/null
	make -s -j"$LB_JOBS" libz.a && make -s install >/dev/null
}

build_libdeflate() {
	local s; s=$("$LB_ROOT/scripts/fetch-sources.sh" libdeflate)
	rm -rf "$W/libdeflate"; cp -a "$s" "$W/libdeflate"; cd "$W/libdeflate"
	make -s -j"$LB_JOBS" DISABLE_SHARED=1 PREFIX="$P" libdeflate.a
	install -m644 libdeflate.a "$P/lib/"; install -m644 libdeflate.h "$P/include/"
}

# Single-threaded (upstream's default for the static library): each engine worker has its own
# context. Without the legacy (pre-0.8) frame decoders and the dictionary builder, unused here.
build_zstd() {
	local s; s=$("$LB_ROOT/scripts/fetch-sources.sh" libzstd)
	rm -rf "$W/zstd"; cp -a "$s/lib" "$W/zstd"; cd "$W/zstd"
	make -s -j"$LB_JOBS" CFLAGS="$FAST_CFLAGS" ZSTD_LEGACY_SUPPORT=0 ZSTD_LIB_DICTBUILDER=0 \
		libzstd.a >/dev/null
	install -m644 libzstd.a "$P/lib/"; install -m644 zstd.h zstd_errors.h "$P/include/"
}

build_xxhash() {
	local s; s=$("$LB_ROOT/scripts/fetch-sources.sh" xxhash)
	rm -rf "$W/xxhash"; cp -a "$s" "$W/xxhash"; cd "$W/xxhash"
	make -s CFLAGS="$FAST_CFLAGS" libxxhash.a >/dev/null
	install -m644 libxxhash.a "$P/lib/"; install -m644 xxhash.h xxh3.h "$P/include/"
}

# Not --enable-minimal: that drops crypto_pwhash (Argon2id). The CPU-specific code (SSSE3,
# AVX2, AES-NI) is chosen at run time, so the library still runs on any x86-64.
build_libsodium() {
	local s; s=$("$LB_ROOT/scripts/fetch-sources.sh" libsodium)
	rm -rf "$W/libsodium"; cp -a "$s" "$W/libsodium"; cd "$W/libsodium"
	# Debian's source is upstream's git tree, without the generated configure.
	autoreconf -fi >autoreconf.log 2>&1 || { cat autoreconf.log >&2; die "autoreconf failed for libsodium"; }
	CFLAGS="$FAST_CFLAGS" ./configure --host=$HOST --build=x86_64-linux-gnu --prefix="$P" \
		--disable-shared --enable-static --disable-pie --disable-dependency-tracking >/dev/null
	make -s -j"$LB_JOBS" -C src/libsodium >/dev/null
	make -s -C src/libsodium install >/dev/null
	rm -f "$P/lib/libsodium.la"
}

build_ncurses() {
	local s; s=$("$LB_ROOT/scripts/fetch-sources.sh" ncurses)
	rm -rf "$W/ncurses"; cp -a "$s" "$W/ncurses"; cd "$W/ncurses"
	# A cross build (--host) makes configure use the host's tic/infocmp for the fallbacks.
	BUILD_CC=gcc ./configure --host=$HOST --build=x86_64-linux-gnu --prefix="$P" \
		--enable-widec --without-shared --without-debug --without-profile --without-ada \
		--without-cxx --without-cxx-binding --without-manpages --without-progs --without-tests \
		--without-pkg-config --disable-database --with-fallbacks=$FALLBACKS \
		--disable-home-terminfo --enable-pc-files=no >/dev/null
	make -s -j"$LB_JOBS" libs >/dev/null
	make -s install.libs install.includes >/dev/null
	# <ncurses.h> and <curses.h> as on Debian (there they live in the default include path).
	ln -sf ncursesw/curses.h "$P/include/ncurses.h"; ln -sf ncursesw/curses.h "$P/include/curses.h"
}

# The library only: no FUSE driver, no ntfsprogs, no plugins, no crypto (EFS), no libuuid; its
# device code wants <linux/hdreg.h>, hence the kernel headers.
build_ntfs3g() {
	local s; s=$("$LB_ROOT/scripts/fetch-sources.sh" ntfs-3g)
	rm -rf "$W/ntfs-3g"; cp -a "$s" "$W/ntfs-3g"; cd "$W/ntfs-3g"
	# Debian's source comes without the generated configure.
	autoreconf -fi >autoreconf.log 2>&1 || { cat autoreconf.log >&2; die "autoreconf failed for ntfs-3g"; }
	CFLAGS="$CFLAGS -isystem $P/kinclude" ./configure --host=$HOST --build=x86_64-linux-gnu \
		--prefix="$P" --disable-shared --enable-static --disable-ntfs-3g --disable-ntfsprogs \
		--disable-plugins --disable-crypto --without-uuid --without-hd --disable-mtab \
		--disable-ldconfig --disable-dependency-tracking >/dev/null
	make -s -j"$LB_JOBS" -C libntfs-3g >/dev/null
	# its install hook moves shared objects to a root libdir: there are none, so copy the archive
	install -m644 libntfs-3g/.libs/libntfs-3g.a "$P/lib/"
	make -s -C include install >/dev/null
}

# util-linux's libblkid alone (not e2fsprogs' old copy): no programs, no NLS, no udev/systemd;
# the engine uses its low-level probing only (imager/probe_blkid.c).
build_libblkid() {
	local s; s=$("$LB_ROOT/scripts/fetch-sources.sh" util-linux)
	rm -rf "$W/util-linux"; cp -a "$s" "$W/util-linux"; cd "$W/util-linux"
	[ -x configure ] || { ./autogen.sh >autogen.log 2>&1 || { cat autogen.log >&2; die "autogen failed for util-linux"; }; }
	CFLAGS="$CFLAGS -isystem $P/kinclude" ./configure --host=$HOST --build=x86_64-linux-gnu \
		--prefix="$P" --disable-shared --enable-static --disable-all-programs --enable-libblkid \
		--disable-nls --disable-rpath --disable-dependency-tracking --without-udev --without-systemd \
		--without-python --without-readline --without-ncurses --without-ncursesw --without-tinfo \
		--without-cap-ng --without-libz --without-user --without-btrfs --without-econf >/dev/null
	make -s -j"$LB_JOBS" libblkid.la >/dev/null
	install -m644 .libs/libblkid.a "$P/lib/"
	mkdir -p "$P/include/blkid"; install -m644 libblkid/src/blkid.h "$P/include/blkid/"
}

build_e2fsprogs() {
	local s; s=$("$LB_ROOT/scripts/fetch-sources.sh" e2fsprogs)
	rm -rf "$W/e2fsprogs"; cp -a "$s" "$W/e2fsprogs"; mkdir -p "$W/e2fsprogs/b"; cd "$W/e2fsprogs/b"
	CFLAGS="$CFLAGS -isystem $P/kinclude" LDFLAGS=-static PKG_CONFIG=false ../configure \
		--host=$HOST --build=x86_64-linux-gnu --prefix="$P" \
		--disable-nls --disable-elf-shlibs --disable-bsd-shlibs --disable-fuse2fs --disable-uuidd \
		--disable-fsck --disable-e2initrd-helper --disable-defrag --disable-tdb \
		--enable-libuuid --enable-libblkid >/dev/null
	make -s -j"$LB_JOBS" libs >/dev/null
	make -s -j"$LB_JOBS" -C e2fsck e2fsck >/dev/null
	make -s -j"$LB_JOBS" -C misc mke2fs >/dev/null
	make -s -j"$LB_JOBS" -C resize resize2fs >/dev/null
	make -s -j"$LB_JOBS" -C debugfs debugfs >/dev/null
	make -s -C lib/et install >/dev/null
	make -s -C lib/ext2fs install >/dev/null
	mkdir -p "$P/sbin"
	install -m755 e2fsck/e2fsck misc/mke2fs resize/resize2fs debugfs/debugfs "$P/sbin/"
	strip "$P"/sbin/*
}

build() {
	if [ ! -f "$P/.complete" ]; then
		local t0=$SECONDS
		say "building static musl libraries in $P"
		rm -rf "$P"; mkdir -p "$P/include" "$P/lib"
		W=$P/work; mkdir -p "$W"
		kheaders
		build_zlib; build_libdeflate; build_zstd; build_xxhash; build_libsodium
		build_ncurses; build_e2fsprogs; build_ntfs3g; build_libblkid
		rm -rf "$W"
		cat "$LB_CACHE"/src/{zlib,libdeflate,libzstd,xxhash,libsodium,ncurses,e2fsprogs,ntfs-3g,util-linux}.used >"$P/versions.txt"
		printf 'musl %s\n' "$(pkg_version musl-tools)" >>"$P/versions.txt"
		touch "$P/.complete"
		say "static libraries ready in $((SECONDS - t0)) s"
	fi
	mkdir -p "$(dirname "$link")"
	[ "$(readlink "$link" 2>/dev/null)" = "$P" ] || ln -sfn "$P" "$link"
	touch "$P"
}
with_lock "$P" build
prune_cache "$LB_CACHE/musl" 3
