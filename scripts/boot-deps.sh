#!/usr/bin/env bash
# Prints the Debian packages the boot side needs (static musl build, kernel, busybox, initramfs,
# USB image, boot tests), one per line. scripts/install-deps.sh boot installs the missing ones.
# autoconf, automake, libtool: the Debian source of libsodium comes without its configure.
# kmod: depmod over Debian's kernel modules; zstd: the UEFI initrd; sbsigntool: the Secure Boot
# test strips the kernel's signature (sbattach --remove) to see the firmware refuse it.
# dnsmasq-base: DHCP and TFTP of the network boot test (the binary only, no service started).
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
dnsmasq-base
kmod
zstd
sbsigntool
LIST
