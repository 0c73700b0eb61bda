#!/usr/bin/env bash
# Writes the Lifeboat image to a USB stick, then grows the data partition (exFAT, LB-IMAGES) to
# fill the stick. Refuses a disk that is mounted or in use (swap, LVM/RAID holders), the disk the
# running system lives on, and a disk smaller than the image; asks before writing, naming the
# disk's model, serial and size.
# Usage: scripts/write-stick.sh [--yes] [--dry-run] IMAGE DEVICE      (as root)
#   DEVICE  a whole disk (/dev/sdX, /dev/nvmeXnY, /dev/mmcblkX), or a plain file (for tests)
#   --yes   do not ask (the refusals above still apply)   --dry-run  check and describe only
set -euo pipefail
yes= dry=
while [ $# -gt 0 ]; do
	case $1 in
	--yes) yes=1 ;; --dry-run) dry=1 ;;
	-h|--help) sed -n '2,9s/^# \{0,1\}//p' "$0"; exit 0 ;;
	-*) echo "write-stick: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
	shift
done
[ $# -eq 2 ] || { echo "usage: $0 [--yes] [--dry-run] IMAGE DEVICE" >&2; exit 2; }
img=$1 dev=$2
die() { echo "write-stick: $*" >&2; exit 1; }
[ -f "$img" ] || die "no image $img (make usb)"
imgsize=$(stat -c %s "$img")
MiB=1048576

# The data partition: number 2, as scripts/mk-usb.sh makes it.
grow_data() {  # DEVICE: partition 2 to the end of the disk
	echo ", +" | sfdisk -q --no-reread --no-tell-kernel -N 2 "$1" >/dev/null
}

if [ -f "$dev" ]; then  # a plain file: no disk to protect, same steps
	kind=file size=$(stat -c %s "$dev")
	[ "$size" -ge "$imgsize" ] || die "$dev is smaller than the image ($size < $imgsize bytes)"
	echo "write-stick: file $dev, $((size / MiB)) MiB"
	[ -n "$dry" ] && { echo "write-stick: dry run: would write $img and grow partition 2"; exit 0; }
	dd if="$img" of="$dev" bs=4M conv=notrunc,sparse status=none
	grow_data "$dev"
	read -r start sectors < <(partx -g -o START,SECTORS -n 2 "$dev")
	tmp=$(mktemp); truncate -s $((sectors * 512)) "$tmp"
	mkfs.exfat -L LB-IMAGES "$tmp" >/dev/null
	dd if="$tmp" of="$dev" bs=1M seek=$((start * 512)) oflag=seek_bytes conv=notrunc,sparse status=none
	rm -f "$tmp"
	echo "write-stick: done; data partition: $((sectors * 512 / MiB)) MiB"
	exit 0
fi

[ -b "$dev" ] || die "$dev is not a block device"
name=$(basename "$(readlink -f "$dev")")
sys=/sys/block/$name
[ -d "$sys" ] || die "$dev is a partition or not a disk: give the whole disk (e.g. /dev/sdb)"
[ "$(id -u)" -eq 0 ] || die "run as root"
size=$(($(cat "$sys/size") * 512))
model=$(cat "$sys/device/model" 2>/dev/null | sed 's/ *$//') || true
serial=$(cat "$sys/device/serial" "$sys/serial" 2>/dev/null | head -n1) || true
[ -n "$serial" ] || serial=$(udevadm info --query=property --name="$dev" 2>/dev/null | sed -n 's/^ID_SERIAL_SHORT=//p') || true
removable=$(cat "$sys/removable")
transport=$(readlink -f "$sys/device" | grep -q '/usb[0-9]' && echo usb || echo internal)

# Refusals.
parts="$name $(ls "$sys" | grep "^$name" || true)"
for p in $parts; do
	if grep -q "^/dev/$p " /proc/mounts; then die "/dev/$p is mounted ($(grep "^/dev/$p " /proc/mounts | awk '{print $2}' | head -n1)): refusing"; fi
	if grep -q "^/dev/$p " /proc/swaps; then die "/dev/$p is in use as swap: refusing"; fi
	h=/sys/class/block/$p/holders
	if [ -d "$h" ] && [ -n "$(ls "$h")" ]; then die "/dev/$p is in use by $(ls "$h" | tr '\n' ' '): refusing"; fi
done
rootdev=$(findmnt -n -o SOURCE / 2>/dev/null || true)
for d in $(lsblk -n -s -o NAME -r "$rootdev" 2>/dev/null); do
	[ "$d" = "$name" ] && die "$dev holds the running system (/ is on $rootdev): refusing"
done
[ "$size" -ge "$imgsize" ] || die "$dev ($((size / MiB)) MiB) is smaller than the image ($((imgsize / MiB)) MiB)"

desc="$dev: ${model:-unknown model}, serial ${serial:-unknown}, $((size / 1000000000)).$(((size / 100000000) % 10)) GB ($((size / MiB)) MiB), $transport"
echo "write-stick: $desc"
lsblk -o NAME,SIZE,FSTYPE,LABEL,MOUNTPOINT "$dev" 2>/dev/null | sed 's/^/    /' || true
[ -n "$dry" ] && { echo "write-stick: dry run: checks passed; would write $img and grow partition 2"; exit 0; }
if [ -z "$yes" ]; then
	[ -t 0 ] || die "not a terminal: add --yes to write without asking"
	if [ "$removable" = 1 ] || [ "$transport" = usb ]; then
		read -r -p "Erase everything on $dev (${model:-unknown model}, serial ${serial:-unknown}) and write Lifeboat? Type yes: " a
		[ "$a" = yes ] || die "not confirmed"
	else
		echo "write-stick: WARNING: $dev is not a removable or USB disk."
		read -r -p "Type the disk name ($name) to erase it and write Lifeboat: " a
		[ "$a" = "$name" ] || die "not confirmed"
	fi
fi
echo "write-stick: writing $img to $dev"
dd if="$img" of="$dev" bs=4M conv=fsync oflag=direct status=progress
grow_data "$dev"
blockdev --rereadpt "$dev" 2>/dev/null || partprobe "$dev" 2>/dev/null || true
udevadm settle 2>/dev/null || sleep 2
case $name in *[0-9]) p2=/dev/${name}p2 ;; *) p2=/dev/${name}2 ;; esac
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -b "$p2" ] && break; sleep 0.5; done
[ -b "$p2" ] || die "no $p2 after writing; the stick boots, but its data partition was not grown"
mkfs.exfat -L LB-IMAGES "$p2" >/dev/null
sync
echo "write-stick: done. $dev boots Lifeboat (UEFI with Secure Boot off, or legacy BIOS); data partition $p2 (exFAT, LB-IMAGES)."
