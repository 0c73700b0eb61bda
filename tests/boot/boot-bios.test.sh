#!/usr/bin/env bash
# The USB image boots under SeaBIOS (legacy BIOS, syslinux) from a USB stick, and /init
# starts lifeboat on the serial console.
. "$(dirname "$0")/lib.sh"
need_image

log=$T/serial.log
qemu_start bios "$USB_IMG" "$log"
if ! wait_line "$log" "$READY_LINE" ${LB_BOOT_TIMEOUT:-120}; then show_log "$log"; die "no '$READY_LINE' on the serial console"; fi
echo "bios: lifeboat running on ttyS0 $(since_start) s after qemu started"
grep -aq 'Linux version' "$log" || die "no kernel messages on the serial console"
grep -aq 'lifeboat: /init started' "$log" || die "no /init line on the serial console"
grep -aq 'lifeboat: legacy BIOS, no Secure Boot' "$log" || { show_log "$log"; die "/init did not say it booted by legacy BIOS"; }
