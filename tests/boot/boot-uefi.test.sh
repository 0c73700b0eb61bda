#!/usr/bin/env bash
# The USB image boots under OVMF (UEFI, Secure Boot off: shim, GRUB, Debian's kernel) from a
# USB stick, and /init starts lifeboat on the serial console, saying Secure Boot is off.
. "$(dirname "$0")/lib.sh"
need_image
[ -f /usr/share/OVMF/OVMF_CODE_4M.fd ] || skip "OVMF missing (package ovmf)"
log=$T/serial.log
qemu_start uefi "$USB_IMG" "$log"
if ! wait_line "$log" "$READY_LINE" ${LB_BOOT_TIMEOUT:-120}; then show_log "$log"; die "no '$READY_LINE' on the serial console"; fi
echo "uefi: lifeboat running on ttyS0 $(since_start) s after qemu started"
grep -aq 'Linux version' "$log" || die "no kernel messages on the serial console"
grep -aq 'lifeboat: /init started' "$log" || die "no /init line on the serial console"
grep -aq 'lifeboat: Secure Boot: off' "$log" || { show_log "$log"; die "/init did not say 'Secure Boot: off'"; }
