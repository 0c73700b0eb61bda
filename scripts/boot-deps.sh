#!/usr/bin/env bash
# Prints the Debian packages the boot side needs (static musl build, kernel, busybox, initramfs,
# USB image, boot tests), one per line. scripts/install-deps.sh boot installs the missing ones.
# autoconf, automake, libtool: the Debian source of libsodium comes without its configure.
cat <<'LIST'
build-essential
musl-tools
dpkg-dev
autoconf
automake
libtool
linux-source-6.1
bc
bison
flex
libelf-dev
libssl-dev
xz-utils
ncurses-bin
e2fsprogs
mtools
dosfstools
exfatprogs
fdisk
util-linux
gdisk
syslinux
syslinux-common
qemu-system-x86
ovmf
tmux
LIST
