#!/usr/bin/env bash
# The USB image boots with Secure Boot enforced under OVMF with only Microsoft's keys enrolled
# (what PCs ship with): shim (signed by Microsoft) -> GRUB -> Debian's signed kernel -> Lifeboat's
# initramfs. The screens start on ttyS0, list the NVMe disk and say "Secure Boot: on". Then the
# same stick with the kernel's signature removed must be refused, so this cannot pass by a
# firmware that does not check.
. "$(dirname "$0")/lib.sh"
need_image
for f in OVMF_CODE_4M.secboot.fd OVMF_VARS_4M.ms.fd; do
	[ -f /usr/share/OVMF/$f ] || skip "/usr/share/OVMF/$f missing (package ovmf)"
done
command -v sbattach >/dev/null || skip "sbattach missing (package sbsigntool)"
command -v mcopy >/dev/null || skip "mcopy missing (package mtools)"
truncate -s 64M "$T/nvme.img"
disks=(-drive "if=none,id=d1,file=$T/nvme.img,format=raw" -device nvme,drive=d1,serial=SB-NVME)

# The Secure Boot firmware runs its variable services in SMM, which TCG emulates slowly: it takes
# several times as long as plain OVMF to reach GRUB, hence the longer bound.
log=$T/serial.log
qemu_start secboot "$USB_IMG" "$log" "${disks[@]}"
if ! wait_line "$log" "$READY_LINE" ${LB_BOOT_TIMEOUT:-240}; then show_log "$log"; die "no '$READY_LINE' on the serial console"; fi
echo "secboot: lifeboat running on ttyS0 $(since_start) s after qemu started"
grep -aq 'secureboot: Secure boot enabled' "$log" || { show_log "$log"; die "the kernel did not see Secure Boot enabled"; }
grep -aq 'Kernel is locked down from EFI Secure Boot' "$log" || die "the kernel is not locked down"
grep -aq 'lifeboat: Secure Boot: on' "$log" || { show_log "$log"; die "/init did not say 'Secure Boot: on'"; }
# The home screen: its title line and the NVMe disk (kernel messages are quiet by then).
deadline=$((SECONDS + 30))
until screen_text "$log" | grep -q 'Secure Boot: on' && screen_text "$log" | grep -qE 'nvme0n1 .*nvme'; do
	[ $SECONDS -lt $deadline ] || { screen_text "$log" | tail -n 30; die "the home screen did not show 'Secure Boot: on' and the NVMe disk"; }
	sleep 0.5
done
echo "secboot: the home screen says Secure Boot: on and lists nvme0n1"
kill "$QEMU_PID"; wait "$QEMU_PID" 2>/dev/null; QEMU_PID=

# The same stick with boot/vmlinuz unsigned: GRUB (shim's verifier) must refuse it.
p1=($(part_range "$USB_IMG" 1))
cp "$USB_IMG" "$T/unsigned.img"
dd if="$USB_IMG" of="$T/esp" bs=1M iflag=skip_bytes,count_bytes skip="${p1[0]}" count="${p1[1]}" status=none
export MTOOLS_SKIP_CHECK=1
mcopy -n -i "$T/esp" ::/boot/vmlinuz "$T/vmlinuz" || die "no boot/vmlinuz on the stick"
sbattach --remove "$T/vmlinuz" >/dev/null || die "sbattach --remove failed"
mcopy -o -i "$T/esp" "$T/vmlinuz" ::/boot/vmlinuz || die "mcopy failed"
dd if="$T/esp" of="$T/unsigned.img" bs=1M oflag=seek_bytes seek="${p1[0]}" conv=notrunc status=none
log2=$T/serial-unsigned.log
qemu_start secboot "$T/unsigned.img" "$log2" "${disks[@]}"
refused='bad shim signature|Security Violation|Access Denied|verification failed'
if ! wait_line "$log2" "$refused|$READY_LINE|Linux version" ${LB_BOOT_TIMEOUT:-240}; then
	show_log "$log2"; die "neither a refusal nor a boot within ${LB_BOOT_TIMEOUT:-240} s"
fi
sleep 3
if grep -aqE "$READY_LINE|Linux version" "$log2"; then show_log "$log2"; die "the unsigned kernel was started"; fi
echo "secboot: unsigned kernel refused: $(grep -aoE "$refused" "$log2" | head -n1)"
