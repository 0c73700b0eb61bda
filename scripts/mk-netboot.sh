#!/usr/bin/env bash
# Assembles out/netboot/: the stick's kernels and initramfs, served over the network. The folder
# is the root of a TFTP server (PXE) and of an HTTP server (UEFI HTTP boot); docs/DEPLOY.md has
# a dnsmasq configuration for it.
#   pxelinux.0, ldlinux.c32   PXELINUX (Debian's pxelinux, syslinux-common): legacy BIOS PXE
#   pxelinux.cfg/default      the stick's syslinux.cfg (same labels, same APPEND lines) and
#                             SYSAPPEND 2 (BOOTIF=MAC on the command line: no stick to wait for)
#   bootx64.efi               shim (Microsoft-signed): what UEFI PXE starts
#   grubx64.efi               Debian's signed network GRUB (grubnetx64.efi.signed), started by
#                             shim from the same place and by the same protocol
#   mmx64.efi                 MokManager, which shim starts to enrol a key
#   grub/grub.cfg             read by that GRUB at /grub on the server (its built-in prefix):
#                             the labels of the syslinux.cfg, Debian's kernel, the same APPEND
#   boot/lifeboat             Lifeboat's own kernel, initramfs built in (BIOS)
#   lifeboat.efi              -> boot/lifeboat: UEFI HTTP boot with Secure Boot off (docs/DEPLOY.md)
#   boot/vmlinuz, initrd.img  Debian's signed kernel and Lifeboat's initramfs + modules (UEFI)
# The paths are those of the stick's FAT partition, so the stick's syslinux.cfg works as it is.
# Usage: scripts/mk-netboot.sh BZIMAGE UEFI_DIR [SYSLINUX.CFG] OUTDIR
set -euo pipefail
. "$(dirname "$0")/lib.sh"
case $# in
3) kernel=$1 uefi=$2 cfg=$LB_ROOT/scripts/syslinux.cfg out=$3 ;;
4) kernel=$1 uefi=$2 cfg=$3 out=$4 ;;
*) die "usage: $0 BZIMAGE UEFI_DIR [SYSLINUX.CFG] OUTDIR" ;;
esac
out=$(realpath -m "$out")
[ -f "$kernel" ] || die "$kernel: no kernel (make kernel)"
[ -f "$uefi/EFI/BOOT/BOOTX64.EFI" ] && [ -f "$uefi/boot/vmlinuz" ] && [ -f "$uefi/boot/initrd.img" ] ||
	die "$uefi: no UEFI files (scripts/mk-uefi.sh)"
[ -f "$cfg" ] || die "$cfg: no such file"
debs=$("$LB_ROOT/scripts/fetch-debs.sh")
root=$debs/root
for f in usr/lib/PXELINUX/pxelinux.0 usr/lib/syslinux/modules/bios/ldlinux.c32 \
	usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed; do
	[ -f "$root/$f" ] || die "$root/$f missing (scripts/boot-debs.pin: pxelinux, syslinux-common, grub-efi-amd64-signed)"
done

tree=$out.tmp; rm -rf "$tree"; mkdir -p "$tree/pxelinux.cfg" "$tree/grub" "$tree/boot"
cp "$root/usr/lib/PXELINUX/pxelinux.0" "$tree/"
cp "$root/usr/lib/syslinux/modules/bios/ldlinux.c32" "$tree/"
# SYSAPPEND 2: PXELINUX adds BOOTIF=01-MAC, by which /init knows there is no stick to wait for.
{ cat "$cfg"; printf '\n# Added for network boot (scripts/mk-netboot.sh): BOOTIF= tells /init there is no stick.\nSYSAPPEND 2\n'; } \
	>"$tree/pxelinux.cfg/default"
cp "$uefi/EFI/BOOT/BOOTX64.EFI" "$tree/bootx64.efi"
cp "$uefi/EFI/BOOT/mmx64.efi" "$tree/mmx64.efi"
cp "$root/usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed" "$tree/grubx64.efi"
cp "$kernel" "$tree/boot/lifeboat"
# UEFI HTTP boot without Secure Boot: the firmware starts Lifeboat's kernel itself (EFI stub,
# initramfs inside, one file), since Debian's network GRUB cannot use the network the firmware's
# HTTP boot set up. Firmware takes a file by HTTP as an EFI program only when it ends in .efi.
ln -s boot/lifeboat "$tree/lifeboat.efi"
cp "$uefi/boot/vmlinuz" "$uefi/boot/initrd.img" "$tree/boot/"

# GRUB: one entry per LABEL of the syslinux.cfg, its APPEND after the console options (Debian's
# kernel has no built-in command line; Lifeboat's has exactly these), the DEFAULT one first.
# lifeboat.stickwait=0: there is no stick whose syslinux.cfg /init should wait for and read.
awk -v src="$(basename "$cfg")" '
	function flush() { if (label != "") { n++; name[n] = label; args[n] = append } }
	toupper($1) == "DEFAULT" { def = $2 }
	toupper($1) == "LABEL" { flush(); label = $2; append = "" }
	toupper($1) == "APPEND" && label != "" { $1 = ""; sub(/^ +/, ""); append = $0 }
	END {
		flush()
		print "# Lifeboat over the network (UEFI PXE), written by scripts/mk-netboot.sh from"
		print "# " src ": the same labels and APPEND lines as pxelinux.cfg/default. GRUB reads this file"
		print "# at /grub on the server it was loaded from; /boot/... are on that server too."
		print "set timeout=0"
		for (i = 1; i <= n; i++) if (name[i] == def) d = i - 1
		print "set default=" (d + 0)
		for (i = 1; i <= n; i++) {
			printf "menuentry \"Lifeboat (%s)\" {\n", name[i]
			printf "\tlinux /boot/vmlinuz console=ttyS0,115200 console=tty0 lifeboat.stickwait=0%s\n", args[i] == "" ? "" : " " args[i]
			print "\tinitrd /boot/initrd.img"
			print "}"
		}
		if (n == 0) exit 1
	}' "$cfg" >"$tree/grub/grub.cfg" || die "$cfg: no LABEL entries"
grep -q "^set default=" "$tree/grub/grub.cfg"

find "$tree" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
rm -rf "$out"; mv "$tree" "$out"
say "$(basename "$out"): $(du -sb "$out" | cut -f1) bytes (BIOS: pxelinux.0, UEFI: bootx64.efi; serve the folder by TFTP and HTTP)"
