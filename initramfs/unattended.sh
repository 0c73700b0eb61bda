#!/bin/sh
# Unattended backup, restore or verify, driven by lifeboat.* kernel parameters (read by /init
# into /run/lifeboat.env). Logs to the screen, the serial consoles and a file next to the image
# (IMAGE.log). Exit status 0 on success. The grammar is in docs/BOOT.md; in short:
#   lifeboat.mode=backup  lifeboat.source=DISK      lifeboat.dest=PLACE
#   lifeboat.mode=restore lifeboat.source=PLACE     lifeboat.dest=DISK
#   lifeboat.mode=verify  lifeboat.source=PLACE
#   lifeboat.mode=disks   [lifeboat.names=DISK,DISK...]: lists the disks and what the names mean
#   DISK  = internal | serial=S | label=L | uuid=U | partuuid=U | /dev/NAME
#   PLACE = FS[:PATH] with FS = label=L | uuid=U | partuuid=U | /dev/NAME; PATH ending in / (or
#           left out: /lifeboat/) is a folder: backup names the image, restore takes the newest
#   lifeboat.after=poweroff|reboot|shell  lifeboat.onerror=shell|poweroff|reboot
#   PLACE may also be a network repository URL (docs/DEPLOY.md "Network repositories"):
#   nfs://host/export/path/pc.lbi, smb://[user@]host/share/path/pc.lbi, ssh://user@host/path/pc.lbi
#   (backup: a URL ending in / is a folder, the image is named as above), http(s)://host/path/pc.lbi
#   (restore, verify), multicast://IF or multicast://auto (restore: from `lifeboat multicast`,
#   docs/DEPLOY.md "Multicast"); lifeboat.credentials=FILE (a file in the initramfs: username=, password=,
#   domain=, identity=) for the ones that need a password or a key
#   lifeboat.wait=SECONDS (disks to appear, default 30)  lifeboat.verify=0 (skip verify after
#   backup)  lifeboat.name=NAME (image file name for backup)
# shellcheck disable=SC2153,SC2154   # the LB_* variables come from /run/lifeboat.env
# Values from the command line are data: no globbing anywhere (set -f), paths checked with
# lib.sh before use, mounts nosuid,nodev,noexec.
set -f
# shellcheck source=initramfs/lib.sh
. /lib/lifeboat/lib.sh
# shellcheck source=/dev/null
. /run/lifeboat.env
export PATH=/bin HOME=/root LANG=C.UTF-8
mode=$LB_mode
log=/run/lifeboat-unattended.log
mnt=/mnt/lifeboat
: >"$log"

say() {  # one line to the console, the serial consoles and the log, without control characters
	local text s
	text=$(printf '%s\n' "$*" | lb_clean)
	printf 'lifeboat: %s\n' "$text" >/dev/console
	for s in $LB_SERIALS; do [ -c "/dev/$s" ] && printf 'lifeboat: %s\n' "$text" >"/dev/$s" 2>/dev/null; done
	printf '%s %s\n' "$(date '+%F %T')" "$text" >>"$log"
}
fail() { say "unattended $mode: FAILED: $*"; finish 1; }
finish() {
	if [ -n "$logdest" ]; then cat "$log" >>"$logdest" 2>/dev/null; fi
	sync
	mountpoint -q "$mnt" && umount "$mnt"
	exit "$1"
}

# --- disks ---------------------------------------------------------------------------------
disks() (  # whole disks the kernel knows (a subshell: the one glob of this script)
	set +f
	for d in /sys/block/*; do
		n=${d##*/}
		case $n in loop*|ram*|zram*|sr*|fd*|md*|dm-*|nbd*|mmcblk*boot*|mmcblk*rpmb) continue ;; esac
		[ "$(cat "$d/size" 2>/dev/null)" -gt 0 ] 2>/dev/null || continue
		echo "$n"
	done
)
disk_of() {  # disk holding a block device (partition or disk) name
	local n=${1#/dev/}
	if [ -e "/sys/block/$n" ]; then echo "$n"; return; fi
	n=$(readlink -f "/sys/class/block/$n/..") && [ -e "/sys/block/${n##*/}" ] && echo "${n##*/}"
}
serial_of() {  # a disk's serial number, from whichever place its driver puts it
	local n=$1 d=/sys/block/$1 p s=
	for p in "$d/device/serial" "$d/serial"; do
		[ -r "$p" ] && s=$(cat "$p" 2>/dev/null) && [ -n "$s" ] && break
	done
	if [ -z "$s" ] && [ -r "$d/device/vpd_pg80" ]; then
		s=$(tail -c +5 "$d/device/vpd_pg80" 2>/dev/null | tr -d '\000')
	fi
	if [ -z "$s" ]; then  # USB: the serial string of the USB device above the disk
		p=$(readlink -f "$d/device")
		while [ "$p" != / ] && [ -n "$p" ]; do
			if [ -r "$p/idVendor" ] && [ -r "$p/serial" ]; then s=$(cat "$p/serial"); break; fi
			p=${p%/*}
		done
	fi
	printf '%s\n' "$s" | lb_clean | sed 's/^ *//; s/ *$//'
}
transport_of() {
	local p; p=$(readlink -f "/sys/block/$1/device")
	case $p in
	*/usb[0-9]*) echo usb ;;
	*/virtio[0-9]*) echo virtio ;;
	*/nvme*) echo nvme ;;
	*/ata[0-9]*) echo sata ;;
	*/mmc_host/*) echo mmc ;;
	*) echo scsi ;;
	esac
}
is_usb() { readlink -f "/sys/block/$1/device" | grep -q '/usb[0-9]'; }
boot_disk() {  # the stick itself: holds the filesystem labelled LIFEBOAT
	local dev
	dev=$(findfs LABEL=LIFEBOAT 2>/dev/null) && disk_of "$dev"
}
fs_dev() {  # FS spec (label=, uuid=, partuuid=, /dev/NAME) -> /dev/NAME, or nothing
	local spec=$1 v=${1#*=}
	case $spec in
	label=*|LABEL=*) findfs "LABEL=$v" 2>/dev/null ;;
	uuid=*|UUID=*) findfs "UUID=$v" 2>/dev/null ;;
	partuuid=*|PARTUUID=*) blkid | lb_blkid_match partuuid "$v" ;;
	/dev/*) [ -b "$spec" ] && echo "$spec" ;;
	*) return 2 ;;
	esac
}
resolve_disk() {  # DISK spec -> disk name (sda), or a message on stderr and status 1
	local spec=$1 n c boot
	case $spec in
	internal)
		boot=$(boot_disk) c=
		for n in $(disks); do
			[ "$n" = "$boot" ] && continue
			[ "$(cat "/sys/block/$n/removable")" = 1 ] && continue
			is_usb "$n" && continue
			c="$c $n"
		done
		# shellcheck disable=SC2086   # the names are split on purpose (no globbing: set -f)
		set -- $c
		[ $# -eq 1 ] && { echo "$1"; return 0; }
		echo "'internal' needs exactly one internal disk; found ${#}:${c:- none}" >&2; return 1 ;;
	serial=*|SERIAL=*)
		for n in $(disks); do
			[ "$(serial_of "$n")" = "${spec#*=}" ] && { echo "$n"; return 0; }
		done
		echo "no disk has serial '${spec#*=}'" >&2; return 1 ;;
	*)
		c=$(fs_dev "$spec") || { echo "cannot read disk spec '$spec'" >&2; return 1; }
		[ -n "$c" ] && disk_of "$c" && return 0
		echo "no disk matches '$spec'" >&2; return 1 ;;
	esac
}
# Disks appear at their own pace (USB storage adds a second or more): retry until a deadline.
wait_for() {  # CMD ARGS... ; prints its output once it succeeds
	local deadline out
	deadline=$(( $(date +%s) + $(lb_num "${LB_wait:-}" 30) ))
	while :; do
		out=$("$@" 2>/run/lifeboat-wait.err) && [ -n "$out" ] && { echo "$out"; return 0; }
		[ "$(date +%s)" -ge "$deadline" ] && { cat /run/lifeboat-wait.err >&2; return 1; }
		sleep 0.5
	done
}
describe() { echo "/dev/$1 ($(($(cat "/sys/block/$1/size") / 2048)) MiB, serial '$(serial_of "$1")')"; }

is_url() { case $1 in nfs://*|smb://*|cifs://*|ssh://*|http://*|https://*|multicast://*) return 0 ;; esac; return 1; }
# multicast://IF|auto: the interface once it has an IPv4 address (DHCP may still be at work)
mcast_if() {
	local want=${1#multicast://}; want=${want%/}
	ip -4 -o addr show 2>/dev/null | awk -v w="$want" '$2 != "lo" && (w == "auto" || $2 == w) { print $2; exit }'
}
[ -n "${LB_credentials:-}" ] && export LIFEBOAT_CREDENTIALS="$LB_credentials"
place_fs() { echo "${1%%:*}"; }
place_path() { case $1 in *:*) printf '%s\n' "${1#*:}" ;; *) echo /lifeboat/ ;; esac; }
# squeeze repeated slashes (a constant sed program: the value is its input, never its text)
squeeze() { printf '%s\n' "$1" | sed 's://*:/:g'; }
mount_place() {  # PLACE -> mounts its filesystem read-write on $mnt (nosuid,nodev,noexec)
	local dev
	lb_safe_path "$(place_path "$1")" || fail "the path in '$1' goes up out of its filesystem (..): refused"
	dev=$(wait_for fs_dev "$(place_fs "$1")") || fail "no filesystem matches '$(place_fs "$1")' (from '$1')"
	placedisk=$(disk_of "$dev")
	mkdir -p "$mnt"
	placemode=read-write
	if ! mount -o nosuid,nodev,noexec "$dev" "$mnt" 2>/run/lifeboat-mount.err; then
		# Reading an image needs no writing: a filesystem that will not mount read-write
		# (NTFS marked dirty, ...) is fine read-only; the log then stays on the consoles.
		[ "$mode" != backup ] && mount -o ro,nosuid,nodev,noexec "$dev" "$mnt" 2>/dev/null && placemode=read-only \
			|| fail "cannot mount $dev: $(cat /run/lifeboat-mount.err)"
	fi
	say "image place: $dev on disk /dev/$placedisk, mounted $placemode on $mnt"
}

# --- the job ----------------------------------------------------------------------------------
run() {  # lifeboat ARGS... ; output to the log and consoles; returns its exit status
	say "running: lifeboat $*"
	{ /bin/lifeboat "$@" 2>&1; echo "rc=$?" >/run/lifeboat-rc; } | while IFS= read -r l; do say "  $l"; done
	return "$(sed -n 's/^rc=//p' /run/lifeboat-rc)"
}

say "unattended $mode starting ($(sed -n 1p /etc/lifeboat-release))"
logdest=
case $mode in
backup)
	[ -n "$LB_source" ] && [ -n "$LB_dest" ] || fail "backup needs lifeboat.source=DISK and lifeboat.dest=PLACE"
	src=$(wait_for resolve_disk "$LB_source") || fail "source: $(cat /run/lifeboat-wait.err)"
	say "source: $(describe "$src")"
	if [ -n "${LB_name:-}" ]; then
		lb_safe_name "$LB_name" || fail "lifeboat.name must be one file name (no '/', not '..'): refused"
	fi
	if is_url "$LB_dest"; then
		# the repository is on another machine: lifeboat mounts or connects itself
		case $LB_dest in
		*/) img=$LB_dest${LB_name:-$(serial_of "$src" | tr -c 'A-Za-z0-9_.\n-' _ | sed 's/^$/disk/')-$(date +%Y%m%d-%H%M%S).lbi} ;;
		*) img=$LB_dest ;;
		esac
	else
	mount_place "$LB_dest"
	[ "$placedisk" = "$src" ] && fail "the image would be written to the disk being backed up (/dev/$src)"
	path=$(place_path "$LB_dest")
	case $path in
	*/) name=${LB_name:-$(serial_of "$src" | tr -c 'A-Za-z0-9_.\n-' _ | sed 's/^$/disk/')-$(date +%Y%m%d-%H%M%S).lbi}
	    mkdir -p "$mnt/$path" || fail "cannot create $path"; img=$mnt/$path$name ;;
	*) mkdir -p "$mnt/$(dirname "$path")" || fail "cannot create $(dirname "$path")"; img=$mnt/$path ;;
	esac
	img=$(squeeze "$img")
	logdest=$img.log
	fi
	# Status 6: the backup is complete except for sectors the disk could not read, which are
	# zeros in the image and listed in it (and above, with the files they hit). The image is
	# kept and the run counts as done (lifeboat.after applies), but says so distinctly.
	rc=0; run backup "/dev/$src" "$img" --quiet || rc=$?
	case $rc in
	0) ;;
	6) say "backup completed, but some sectors of /dev/$src could not be read: they are zeros in the image (listed above; 'lifeboat info' lists them too)" ;;
	*) fail "backup ended with status $rc" ;;
	esac
	if [ "${LB_verify:-1}" != 0 ]; then run verify "$img" || fail "verify ended with status $?"; fi
	if [ $rc = 6 ]; then say "unattended backup: PARTIAL: unreadable sectors (status 6): /dev/$src -> ${img#"$mnt"}"
	else say "unattended backup: OK: /dev/$src -> ${img#"$mnt"}"; fi ;;
restore)
	[ -n "$LB_source" ] && [ -n "$LB_dest" ] || fail "restore needs lifeboat.source=PLACE and lifeboat.dest=DISK"
	if is_url "$LB_source"; then
		img=$LB_source placedisk=
	else
	mount_place "$LB_source"
	path=$(place_path "$LB_source")
	if [ -d "$mnt/$path" ]; then
		img=$(set +f; ls -t "$mnt/$path"/*.lbi 2>/dev/null | head -n1)
		[ -n "$img" ] || fail "no .lbi image in $path"
	else
		img=$mnt/$path
	fi
	img=$(squeeze "$img")
	[ -f "$img" ] || fail "no image at ${img#"$mnt"}"
	[ "$placemode" = read-write ] && logdest=$img.log
	fi
	tgt=$(wait_for resolve_disk "$LB_dest") || fail "target: $(cat /run/lifeboat-wait.err)"
	[ "$tgt" = "$placedisk" ] && fail "the target /dev/$tgt holds the image itself"
	[ "$tgt" = "$(boot_disk)" ] && fail "the target /dev/$tgt is the Lifeboat stick"
	say "target: $(describe "$tgt")"
	# the target first: a machine without its disk says so instead of waiting for a sender
	case $img in multicast://*)
		nif=$(wait_for mcast_if "$img") || fail "no network interface with an address for $img"
		say "multicast: receiving on $nif; waiting for the sender (lifeboat multicast IMAGE)" ;;
	esac
	run restore "$img" "/dev/$tgt" --yes || fail "restore ended with status $?"
	say "unattended restore: OK: ${img#"$mnt"} -> /dev/$tgt" ;;
disks)
	sleep "$(lb_num "${LB_settle:-}" 3)"   # let slow (USB) disks appear before listing
	boot=$(boot_disk)
	for n in $(disks); do
		say "disk /dev/$n: $(transport_of "$n"), $(($(cat "/sys/block/$n/size") / 2048)) MiB, serial '$(serial_of "$n")', removable $(cat "/sys/block/$n/removable")$( [ "$n" = "$boot" ] && echo ', the Lifeboat stick')"
	done
	for spec in $(echo "${LB_names:-internal}" | tr , ' '); do
		if n=$(resolve_disk "$spec" 2>/run/lifeboat-resolve.err); then say "name $spec = /dev/$n"
		else say "name $spec: $(cat /run/lifeboat-resolve.err)"; fi
	done
	say "unattended disks: OK" ;;
verify)
	[ -n "$LB_source" ] || fail "verify needs lifeboat.source=PLACE"
	if is_url "$LB_source"; then
		img=$LB_source
	else
	mount_place "$LB_source"
	img=$(squeeze "$mnt/$(place_path "$LB_source")")
	[ "$placemode" = read-write ] && logdest=$img.log
	fi
	run verify "$img" || fail "verify ended with status $?"
	say "unattended verify: OK: ${img#"$mnt"}" ;;
esac
finish 0
