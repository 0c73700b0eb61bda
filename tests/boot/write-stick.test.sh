#!/usr/bin/env bash
# scripts/write-stick.sh: writes the image to a (file) stick and grows the data partition to
# fill it; with --dry-run it refuses the disk the running system lives on, and writes nothing.
. "$(dirname "$0")/lib.sh"
[ -f "$USB_IMG" ] || skip "no $USB_IMG (make usb)"
command -v mkfs.exfat >/dev/null || skip "mkfs.exfat missing (scripts/install-deps.sh boot)"
truncate -s 256M "$T/stick"
scripts/write-stick.sh --yes "$T/stick" 2>&1 && die "accepted a missing device argument"
scripts/write-stick.sh --yes "$USB_IMG" "$T/stick" || die "write-stick failed on a file"
read -r start sectors < <(partx -g -o START,SECTORS -n 2 "$T/stick")
[ $(( (start + sectors) * 512 )) -eq $((256 * 1048576)) ] || die "partition 2 does not reach the end ($start + $sectors)"
blkid -p -O $((start * 512)) "$T/stick" | grep -q 'LABEL="LB-IMAGES".*TYPE="exfat"' || die "no exFAT LB-IMAGES on partition 2"
cmp -n 440 "$USB_IMG" "$T/stick" || die "the MBR boot code differs from the image's"
cmp -i 512 -n $((49 * 1048576 - 512)) "$USB_IMG" "$T/stick" || die "the ESP differs from the image's"
truncate -s 16M "$T/small"
scripts/write-stick.sh --yes "$USB_IMG" "$T/small" && die "wrote to a stick smaller than the image"

# The disk / lives on must be refused (dry run: nothing is written whatever happens).
root=$(findmnt -n -o SOURCE / 2>/dev/null)
disk=$(lsblk -n -s -r -o NAME,TYPE "$root" 2>/dev/null | awk '$2 == "disk" { print $1; exit }')
if [ -n "$disk" ] && [ -b "/dev/$disk" ] && [ "$(id -u)" -eq 0 ]; then
	out=$(scripts/write-stick.sh --dry-run --yes "$USB_IMG" "/dev/$disk" 2>&1) && die "dry run accepted /dev/$disk, which holds /: $out"
	echo "$out"
	grep -qE 'running system|mounted|in use' <<<"$out" || die "refused /dev/$disk for another reason: $out"
else
	echo "(no block device under /, or not root: the system-disk refusal was not exercised)"
fi
echo "write-stick ok"
