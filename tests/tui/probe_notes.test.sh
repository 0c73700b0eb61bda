#!/usr/bin/env bash
# Home screen: what libblkid names (imager/probe_blkid.c) shows in the partition rows — a LUKS2
# partition with its note ("LUKS2: encrypted, copied raw"), an xfs with its label.
. "$(dirname "$0")/lib.sh"
command -v cryptsetup >/dev/null && command -v mkfs.xfs >/dev/null || { echo "cryptsetup or mkfs.xfs missing"; exit 77; }
truncate -s 120M "$W/disk.img"
sgdisk -n1:2048:+32M -n2:0:+64M "$W/disk.img" >/dev/null
head -c 32 /dev/urandom >"$W/key"
truncate -s 32M "$W/luks.img"
cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
	--key-file "$W/key" "$W/luks.img" >/dev/null
truncate -s 64M "$W/xfs.img"
TEST_DIR=1 TEST_DEV=1 QA_CHECK_FS=1 mkfs.xfs -q -f -L tuixfs "$W/xfs.img" >/dev/null
dd if="$W/luks.img" of="$W/disk.img" bs=1M seek=1 conv=notrunc status=none
dd if="$W/xfs.img" of="$W/disk.img" bs=1M seek=33 conv=notrunc status=none
TUI_COLS=132 TUI_LINES=30 tui_start --disk "$W/disk.img"
wait_for "What to do"
screen | grep -E '1 +crypto_LUKS .*LUKS2: encrypted, copied raw' >/dev/null || fail "LUKS2 row without its note"
screen | grep -E '2 +xfs +tuixfs' >/dev/null || fail "xfs row without its label"
tui_quit
echo ok
