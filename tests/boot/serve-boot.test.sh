#!/usr/bin/env bash
# A distribution-style disk booted in qemu straight from `lifeboat serve`, without a restore,
# under SeaBIOS and under OVMF: GPT with a BIOS boot partition (GRUB's core.img, boot.img in
# the MBR), an ESP (GRUB as EFI/BOOT/BOOTX64.EFI) and an ext4 root holding the kernel, an
# initramfs and a marker file. GRUB finds the root by label, prints the marker (read from ext4
# through the NBD-served image), loads Linux and the initramfs from it; the initramfs's /init
# prints the kernel command line and powers off. The kernel: LB_BOOT_KERNEL, out/uefi/boot/vmlinuz
# (the stick's Debian kernel, `make uefi`; a distribution's kernel, as such a disk holds — the
# stick's own BIOS kernel has no compressed-initrd support) or /boot/vmlinuz-*; without one, only
# GRUB's part is checked.
. "$(dirname "$0")/lib.sh"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 missing"
[ -x "$LIFEBOAT" ] || skip "no $LIFEBOAT (make lifeboat)"
"$LIFEBOAT" --help | grep -q "serve IMAGE" || skip "lifeboat serve not built"
command -v grub-mkimage >/dev/null && [ -f /usr/lib/grub/i386-pc/boot.img ] &&
	[ -d /usr/lib/grub/x86_64-efi ] || skip "GRUB images missing (grub-pc-bin, grub-efi-amd64-bin)"
[ -f /usr/share/OVMF/OVMF_CODE_4M.fd ] || skip "OVMF missing (ovmf)"
export MTOOLS_SKIP_CHECK=1
kernel=${LB_BOOT_KERNEL:-}
[ -n "$kernel" ] || { [ -f out/uefi/boot/vmlinuz ] && kernel=$ROOT/out/uefi/boot/vmlinuz; }
[ -n "$kernel" ] || kernel=$(ls /boot/vmlinuz-* 2>/dev/null | tail -n1)
SPID=
trap '[ -n "$SPID" ] && kill "$SPID" 2>/dev/null; cleanup' EXIT
marker="LIFEBOAT-NBD-MARKER-$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')"

# the root filesystem's files: marker, kernel, initramfs with a static /init
mkdir -p "$T/root/boot" "$T/initrd/dev" "$T/initrd/proc"
echo "$marker" >"$T/root/boot/marker.txt"
head -c 3M /dev/urandom >"$T/root/boot/filler.bin"     # data the image must hold
if [ -n "$kernel" ]; then
	cc -static -Os -o "$T/initrd/init" tests/boot/serve_init.c || die "cannot build the test /init"
	(cd "$T/initrd" && find . | cpio -o -H newc --quiet) | gzip >"$T/root/boot/initrd.img"
	cp "$kernel" "$T/root/boot/vmlinuz"
	boot_lines="linux (\$root)/boot/vmlinuz console=ttyS0 panic=-1 lb.marker=$marker
initrd (\$root)/boot/initrd.img
boot"
	echo "kernel: $kernel"
else
	boot_lines="halt"
	echo "no kernel found: GRUB's part only"
fi
cat >"$T/grub.cfg" <<CFG
serial --unit=0 --speed=115200
terminal_input serial
terminal_output serial
insmod part_gpt
insmod ext2
search --no-floppy --label --set=root lbroot
echo GRUB-READ:
cat (\$root)/boot/marker.txt
$boot_lines
CFG
mods="part_gpt ext2 serial echo cat halt search search_label terminal linux boot gzio"

# the disk: BIOS boot (1007 KiB), ESP (8 MiB), ext4 root (64 MiB); GRUB for both firmwares
disk=$T/disk.img
truncate -s 96M "$disk"
sgdisk -a 1 -n3:34:2047 -t3:ef02 -c3:bios -n1:2048:18431 -t1:ef00 -c1:esp \
	-n2:18432:149503 -t2:8300 -c2:root "$disk" >/dev/null
mkfs.fat -n ESP --offset=2048 "$disk" 8192 >/dev/null 2>&1
grub-mkstandalone -O x86_64-efi -o "$T/BOOTX64.EFI" --install-modules="$mods normal configfile" --locales= \
	--themes= --fonts= "boot/grub/grub.cfg=$T/grub.cfg" || die "grub-mkstandalone failed"
mmd -i "$disk@@1M" ::/EFI ::/EFI/BOOT && mcopy -i "$disk@@1M" "$T/BOOTX64.EFI" ::/EFI/BOOT/
mke2fs -q -F -t ext4 -L lbroot -d "$T/root" -E offset=$((18432 * 512)) "$disk" 65536k
grub-mkimage -O i386-pc -d /usr/lib/grub/i386-pc -o "$T/core.img" -p '(hd0,gpt2)/boot/grub' \
	-c "$T/grub.cfg" biosdisk $mods || die "grub-mkimage failed"
# what grub-bios-setup does (it only works on real devices): boot.img's code into the MBR
# pointing at core.img in the BIOS boot partition, core.img's first blocklist after it
python3 - "$disk" /usr/lib/grub/i386-pc/boot.img "$T/core.img" <<'PY' || die "embedding GRUB failed"
import struct, sys
disk, boot, core = sys.argv[1:]
b = bytearray(open(boot, "rb").read()); c = bytearray(open(core, "rb").read())
n = (len(c) + 511) // 512
c += b"\0" * (n * 512 - len(c))
assert n <= 2014, "core.img does not fit the BIOS boot partition"
struct.pack_into("<Q", b, 0x5c, 34)              # GRUB_BOOT_MACHINE_KERNEL_SECTOR
struct.pack_into("<QHH", c, 0x200 - 12, 35, n - 1, 0x820)   # diskboot's blocklist
with open(disk, "r+b") as f:
    f.seek(0); f.write(b[:440])                  # the partition table stays
    f.seek(34 * 512); f.write(c)
PY

"$LIFEBOAT" backup "$disk" "$T/disk.lbi" --quiet || die "backup failed"
rm -f "$disk"                                    # nothing but the image from here on
sock=$T/s.sock
"$LIFEBOAT" serve "$T/disk.lbi" --socket "$sock" 2>"$T/serve.log" & SPID=$!
for i in $(seq 100); do grep -q serving "$T/serve.log" && break; sleep 0.1; done
grep -q serving "$T/serve.log" || { cat "$T/serve.log"; die "serve did not start"; }

for fw in bios uefi; do
	log=$T/$fw.log
	# the served disk as the USB stick of the other boot tests (xHCI, bootindex 0)
	qemu_start "$fw" "nbd+unix:///?socket=$sock" "$log"
	wait_line "$log" "$marker" 120 || { show_log "$log"; die "$fw: GRUB did not print the marker from ext4"; }
	echo "$fw: GRUB read the marker from the served ext4 $(since_start) s after qemu started"
	if [ -n "$kernel" ]; then
		wait_line "$log" "LIFEBOAT-LINUX-INIT-OK.*lb.marker=$marker" ${LB_BOOT_TIMEOUT:-300} ||
			{ show_log "$log"; die "$fw: Linux did not come up from the served disk"; }
		echo "$fw: Linux and its initramfs booted from the served disk $(since_start) s after qemu started"
	fi
	wait_exit 60 || { kill "$QEMU_PID"; wait "$QEMU_PID" 2>/dev/null; }
	QEMU_PID=
done
kill -INT "$SPID"; wait "$SPID" || die "serve exited non-zero"; SPID=
echo "serve-boot: SeaBIOS and OVMF booted the served image"
