#!/usr/bin/env bash
# A failing disk with real kernel I/O errors: the demo source disk sits behind qemu's blkdebug
# driver, with read-error rules (EIO) on sectors inside ext4 file data, on virtio-blk; an
# unattended backup (SeaBIOS) writes to a filesystem found by its label on a second disk and the
# guest powers off. On the host: the run ended as a partial success (status 6) with the image
# and its log kept, the log names the unreadable ranges and the files they hit, `lifeboat info`
# lists the ranges, the image verifies, and a restore equals the source with those ranges zeroed.
#
# blkdebug (block/blkdebug.c, rule_check): a rule with `sector = N` fails any request that
# contains byte N*512 (inject_offset >= offset && inject_offset < offset + bytes), for as long as
# it is active; the raw format node above it fires `read_aio` before each read, so the rules are
# active from the first read on, and once = "off" keeps them. So exactly the configured sectors
# are unreadable, whichever way the guest splits its requests.
#
# The kernel reads through its page cache in 4 KiB pages, where one bad sector fails its whole
# page; the engine's rescue passes read with O_DIRECT, sector by sector, so area C (one sector
# in the middle of a page) must come back as exactly that sector: its 7 neighbours are saved.
. "$(dirname "$0")/lib.sh"
need_image
need_engine
scripts/mk-demo-disk.sh "$T/src.img" 128 "$T/tree" 2>/dev/null || die "mk-demo-disk.sh failed"

# --- the bad sectors, inside file data of the ext4 partition (2) ---------------------------------
p2=$(partx -g -o START -n 2 "$T/src.img")          # in 512-byte sectors
fs="$T/src.img?offset=$((p2 * 512))"
bs=$(dumpe2fs -h "$fs" 2>/dev/null | awk -F: '/^Block size/ { print $2 + 0 }')
spb=$((bs / 512))
sector_of() {  # FILE LOGICAL_BLOCK -> the disk sector where that block starts
	local b; b=$(debugfs -R "bmap $1 $2" "$fs" 2>/dev/null)
	[[ $b =~ ^[0-9]+$ ]] && [ "$b" -gt 0 ] || die "no block $2 in $1 (debugfs bmap: '$b')"
	echo $((p2 + b * spb))
}
page_up() { echo $(( ($1 + 7) / 8 * 8 )); }
a=$(page_up "$(sector_of /home/demo/photos/random.bin 1000)")     # A: one 4 KiB page, 8 sectors
b=$(page_up "$(sector_of /home/demo/photos/random.bin 3000)")     # B: two pages, 16 sectors
c=$(( $(sector_of /var/log/demo.log 70) / 8 * 8 + 3 ))            # C: one sector mid-page
bad_sectors=$(seq "$a" $((a + 7)); seq "$b" $((b + 15)); echo "$c")
{
	for s in $bad_sectors; do
		printf '[inject-error]\nevent = "read_aio"\nerrno = "5"\nsector = "%s"\nonce = "off"\n\n' "$s"
	done
} >"$T/blkdebug.conf"
src_drive="if=none,id=src,format=raw,file.driver=blkdebug,file.config=$T/blkdebug.conf,file.image.driver=file,file.image.filename=$T/src.img"
out=$(echo quit | qemu-system-x86_64 -machine none -nodefaults -display none -monitor stdio \
	-drive "$src_drive" 2>&1) || skip "qemu cannot open a blkdebug drive: $(tail -n1 <<<"$out")"

before=$(sha256sum <"$T/src.img")
mke2fs -q -t ext4 -L BACKUPS "$T/dest.img" 256M 2>/dev/null || die "mke2fs failed"
usb_variant "$T/usb.img" lifeboat.mode=backup lifeboat.source=serial=SRC-BLKDEBUG \
	lifeboat.dest=label=BACKUPS:/pc1/ lifeboat.name=bad.lbi lifeboat.after=poweroff lifeboat.onerror=poweroff
log=$T/serial.log
qemu_start bios "$T/usb.img" "$log" \
	-drive "$src_drive" -device virtio-blk-pci,drive=src,serial=SRC-BLKDEBUG \
	-drive "if=none,id=dst,file=$T/dest.img,format=raw" -device virtio-blk-pci,drive=dst,serial=DEST
wait_exit ${LB_E2E_TIMEOUT:-900} || { show_log "$log"; die "the guest did not power off"; }
grep -a 'lifeboat:' "$log" | tr -d '\r'
echo "kernel I/O errors on the console: $(grep -ac 'I/O error, dev vda' "$log")"
grep -aq 'unattended backup: PARTIAL: unreadable sectors (status 6)' "$log" \
	|| { show_log "$log"; die "no 'unattended backup: PARTIAL: ... (status 6)' on the serial console"; }
echo "backup done $(since_start) s after qemu started"
[ "$(sha256sum <"$T/src.img")" = "$before" ] || die "the source disk changed during the backup"

mkdir -p "$T/got"
debugfs -R "rdump /pc1 $T/got" "$T/dest.img" >/dev/null 2>&1
img=$T/got/pc1/bad.lbi
[ -f "$img" ] || { ls -la "$T/got/pc1"; die "no /pc1/bad.lbi on the BACKUPS filesystem (a partial backup must keep its image)"; }
[ -s "$img.log" ] || die "no log next to the image"
grep -q 'backup ended with status' "$img.log" && die "the log reports the backup as failed"
grep -q 'running: lifeboat verify' "$img.log" || die "the guest did not verify the partial image"

# --- the ranges: exactly the configured sectors -------------------------------------------------
got=$(sed -n 's/^.*  offset \([0-9]*\), \([0-9]*\) bytes$/\1+\2/p' "$img.log" | sort -n)
want_exact=$(printf '%s\n' "$((a * 512))+4096" "$((b * 512))+8192" "$((c * 512))+512" | sort -n)
if [ "$got" = "$want_exact" ]; then want=$want_exact
else
	cat "$img.log"; die "reported bad ranges [$(echo $got)], configured sectors give [$(echo $want_exact)]"
fi
nbad=$(wc -l <<<"$want"); bad_bytes=$(awk -F+ '{ s += $2 } END { print s }' <<<"$want")
echo "unreadable: $bad_bytes bytes in $nbad ranges: $(echo $want)"

# the files named are exactly those debugfs finds on the blocks of the reported ranges
blocks=$(while IFS=+ read -r o l; do seq $(( (o / 512 - p2) / spb )) $(( ((o + l) / 512 - 1 - p2) / spb )); done <<<"$want" | tr '\n' ' ')
inodes=$(debugfs -R "icheck $blocks" "$fs" 2>/dev/null | awk 'NR > 1 && $2 ~ /^[0-9]+$/ && $2 >= 11 { print $2 }' | sort -u | tr '\n' ' ')
want_files=$(debugfs -R "ncheck $inodes" "$fs" 2>/dev/null | awk 'NR > 1 { print $2 }' | sed 's|^//|/|' | sort -u)
got_files=$(sed -n 's/^.*  file: //p' "$img.log" | sort -u)
echo "damaged files: $(echo $got_files)"
[ -n "$want_files" ] || die "the bad sectors hit no file: the test is not testing anything"
[ "$got_files" = "$want_files" ] || { cat "$img.log"; die "damaged files named [$(echo $got_files)], debugfs says [$(echo $want_files)]"; }

"$LIFEBOAT" info "$img" >"$T/info.txt" || die "lifeboat info failed"
grep -q "unreadable: $bad_bytes bytes in $nbad ranges" "$T/info.txt" || { cat "$T/info.txt"; die "info does not list $bad_bytes unreadable bytes in $nbad ranges"; }
"$LIFEBOAT" verify "$img" --quiet >/dev/null || die "lifeboat verify failed on the partial image"

# --- restore: the source everywhere, zeros on the bad ranges ----------------------------------------
truncate -s 128M "$T/restored.img"
rc=0; "$LIFEBOAT" restore "$img" "$T/restored.img" --yes 2>"$T/restore.err" || rc=$?
[ "$rc" = 6 ] && grep -q "lacks $bad_bytes bytes in $nbad ranges" "$T/restore.err" \
	|| { cat "$T/restore.err"; die "restore did not report the missing ranges (status $rc)"; }
cp "$T/src.img" "$T/expect.img"
while IFS=+ read -r o l; do
	dd if=/dev/zero of="$T/expect.img" bs=512 seek=$((o / 512)) count=$((l / 512)) conv=notrunc status=none
done <<<"$want"
r=($(part_range "$T/src.img" 2))
cmp -n "${r[1]}" -i "${r[0]}" "$T/expect.img" "$T/restored.img" \
	|| die "the restored ext4 partition differs from the source with the bad ranges zeroed"
cmp -s "$T/expect.img" "$T/restored.img" && echo "restored disk = source with the bad ranges zeroed, byte for byte" \
	|| echo "restored ext4 partition = source with the bad ranges zeroed (outside it the disks differ: unused areas)"
echo ok
