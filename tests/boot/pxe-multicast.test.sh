#!/usr/bin/env bash
# Unattended deployment to a room, end to end: two machines boot over the network and restore
# one image at once by multicast, with nobody at either. In a network namespace of its own, a
# bridge with one tap per machine, dnsmasq on the bridge (DHCP and TFTP, docs/DEPLOY.md's
# full-DHCP configuration) serving a network-boot folder made as docs/DEPLOY.md says ("Unattended
# deployment to a room": the stick's syslinux.cfg, DEFAULT unattended, its APPEND
#   lifeboat.mode=restore lifeboat.source=multicast://auto lifeboat.dest=internal lifeboat.after=poweroff ...
# through scripts/mk-netboot.sh), and `lifeboat multicast IMAGE --receivers 2` (the host's
# build/lifeboat and udp-sender) on the bridge's address. Two qemu guests (SeaBIOS, qemu's iPXE
# ROM, distinct MACs), each with a virtio disk holding old random data as its only ("internal")
# disk, PXE-boot, take an address by DHCP, receive, restore, read back, report and power off.
# Then on the host: both disks are byte-identical to a local restore of the image onto the same
# old data, the sender's table has one "ok" row per machine and it exited 0. Nothing leaves the
# namespace. LB_PXM_FIRMWARES="bios uefi" (one word per machine, default "bios bios") mixes in
# OVMF machines (UEFI PXE: shim, network GRUB, Debian's kernel; slower, about 2 minutes).
. "$(dirname "$0")/lib.sh"
read -ra FWS <<<"${LB_PXM_FIRMWARES:-bios bios}"
N=${#FWS[@]}
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 missing (scripts/install-deps.sh boot)"
command -v dnsmasq >/dev/null || skip "dnsmasq missing (scripts/install-deps.sh boot: dnsmasq-base)"
command -v udp-sender >/dev/null || skip "udp-sender missing (scripts/install-deps.sh: udpcast)"
for p in sgdisk mkfs.ext4; do command -v "$p" >/dev/null || skip "$p missing"; done
[ -f out/bzImage ] && [ -f out/uefi/boot/vmlinuz ] && [ -f out/netboot/pxelinux.0 ] || skip "no out/bzImage, out/uefi, out/netboot (make netboot)"
[ "$(id -u)" = 0 ] || skip "needs root (network namespace)"
[ -f /usr/lib/ipxe/qemu/efi-e1000.rom ] || skip "qemu's iPXE ROMs missing (ipxe-qemu)"
need_engine
grep -qw multicast <<<"$("$LIFEBOAT" --help 2>&1)" || skip "lifeboat multicast not built"
TIMEOUT=${LB_E2E_TIMEOUT:-420}
ns=lbpxm$$ DPID='' SPID=''
QPIDS=()
net_cleanup() {
	local p
	for p in "${QPIDS[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	[ -n "$SPID" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	cleanup
}
trap net_cleanup EXIT

# --- the image: a small GPT disk (64 MiB, one ext4 partition with files), backed up on the host
# (sgdisk without -q: with it, sgdisk 1.0.9 exits 0 without writing the partition);
# the machines' disks hold old random data, and so does the reference restored locally
truncate -s 64M "$T/src.img"
sgdisk -o -n 1:2048:+40M -t 1:8300 -c 1:data "$T/src.img" >/dev/null 2>&1 && [ "$(part_range "$T/src.img" 1)" = "1048576 41943040" ] || die "sgdisk failed"
mkdir -p "$T/tree/etc" "$T/tree/home/pupil"
echo "room 12, image of $(date -u +%F)" >"$T/tree/etc/motd"
head -c 3000000 /dev/urandom >"$T/tree/home/pupil/data.bin"
seq 1 20000 >"$T/tree/home/pupil/numbers.txt"
truncate -s 40M "$T/part.img"
mkfs.ext4 -q -L ROOM12 -d "$T/tree" "$T/part.img" || die "mkfs.ext4 failed"
dd if="$T/part.img" of="$T/src.img" bs=1M seek=1 conv=notrunc status=none
rm -f "$T/part.img"
host_backup "$T/src.img" "$T/room12.lbi"
head -c $((64 << 20)) /dev/urandom >"$T/old.img"
cp "$T/old.img" "$T/ref.img"
"$LIFEBOAT" restore "$T/room12.lbi" "$T/ref.img" --yes --quiet || die "local restore failed"
cmp -s "$T/ref.img" "$T/old.img" && die "the local restore changed nothing"
for i in $(seq "$N"); do cp "$T/old.img" "$T/pc$i.img"; done

# --- the network: a bridge (with a broadcast address: udp-receiver finds the sender by it), taps
ip netns add "$ns" || skip "cannot create a network namespace"
ip -n "$ns" link set lo up
ip -n "$ns" link add br0 type bridge
ip -n "$ns" addr add 10.77.43.1/24 brd + dev br0
for i in $(seq "$N"); do
	ip -n "$ns" tuntap add dev "tap$i" mode tap || die "cannot create a tap device"
	ip -n "$ns" link set "tap$i" master br0
	ip -n "$ns" link set "tap$i" up
done
ip -n "$ns" link set br0 up

# the served folder, made as docs/DEPLOY.md says: the stick's syslinux.cfg with the "unattended"
# entry as the default and the room's restore as its APPEND, through scripts/mk-netboot.sh
APPEND=$(sed -n 's/^#   APPEND \(lifeboat.mode=restore lifeboat.source=multicast:.*\)$/\1/p' docs/DEPLOY.md)
[ -n "$APPEND" ] || die "docs/DEPLOY.md: no multicast restore APPEND line"
awk -v a="$APPEND" '/^DEFAULT / { $0 = "DEFAULT unattended" } /^LABEL / { in_u = ($2 == "unattended") }
	in_u && /^ *APPEND / { $0 = "  APPEND " a } { print }' scripts/syslinux.cfg >"$T/room12.cfg"
scripts/mk-netboot.sh out/bzImage out/uefi "$T/room12.cfg" "$T/netboot" >"$T/mk-netboot.log" 2>&1 ||
	{ cat "$T/mk-netboot.log"; die "mk-netboot.sh failed"; }
grep -q "^DEFAULT unattended" "$T/netboot/pxelinux.cfg/default" && grep -qF "APPEND $APPEND" "$T/netboot/pxelinux.cfg/default" \
	|| { cat "$T/netboot/pxelinux.cfg/default"; die "the unattended entry is not the default of pxelinux.cfg/default"; }
awk '/^set default=/ { d = substr($0, 13) + 1 } /^\tlinux / && ++n == d { print }' "$T/netboot/grub/grub.cfg" | grep -qF "$APPEND" ||
	{ cat "$T/netboot/grub/grub.cfg"; die "grub.cfg's default entry is not the unattended one"; }

# dnsmasq: docs/DEPLOY.md's full-DHCP configuration, this network's addresses in
awk '/^# \/etc\/dnsmasq.d\/lifeboat.conf .Debian/ { on = 1 } on && /^```/ { exit } on { print }' docs/DEPLOY.md |
	sed -e 's/192\.168\.10\.5\b/10.77.43.1/g; s/192\.168\.10\.1\b/10.77.43.1/g; s/192\.168\.10\./10.77.43./g' \
	    -e 's/^interface=eth0$/interface=br0/' -e "s|^tftp-root=/srv/lifeboat\$|tftp-root=$T/netboot|" >"$T/dnsmasq.conf"
grep -q "^tftp-root=$T/netboot\$" "$T/dnsmasq.conf" || { cat "$T/dnsmasq.conf"; die "docs/DEPLOY.md: no dnsmasq configuration"; }
ip netns exec "$ns" dnsmasq --keep-in-foreground --conf-file="$T/dnsmasq.conf" --user=root \
	--dhcp-leasefile="$T/leases" --pid-file="$T/dnsmasq.pid" --log-facility="$T/dnsmasq.log" --log-dhcp &
DPID=$!
for _ in $(seq 50); do grep -q 'TFTP root' "$T/dnsmasq.log" 2>/dev/null && break; sleep 0.1; done
grep -q 'TFTP root' "$T/dnsmasq.log" || { cat "$T/dnsmasq.log"; die "dnsmasq did not start"; }

# --- the sender: waits for the N machines (or 150 s after the first joined)
ip netns exec "$ns" "$LIFEBOAT" multicast "$T/room12.lbi" --receivers "$N" --interface br0 --max-wait 150 \
	--report-timeout 120 >"$T/summary.txt" 2>"$T/sender.err" &
SPID=$!

# --- the machines: SeaBIOS (or OVMF), PXE from the e1000's iPXE ROM, the old disk on virtio
START=$SECONDS
for i in $(seq "$N"); do
	: >"$T/pc$i.log"
	fw=()
	if [ "${FWS[$((i - 1))]}" = uefi ]; then
		cp /usr/share/OVMF/OVMF_VARS_4M.fd "$T/vars$i.fd"
		# shellcheck disable=SC2054   # the commas are qemu's
		fw=(-drive if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd
		    -drive "if=pflash,format=raw,unit=1,file=$T/vars$i.fd")
	fi
	ip netns exec "$ns" qemu-system-x86_64 -machine q35 -m 512 -smp 1 -accel tcg -display none -vga none \
		-monitor none -serial "file:$T/pc$i.log" -no-reboot "${fw[@]}" \
		-netdev "tap,id=n0,ifname=tap$i,script=no,downscript=no" -device "e1000,netdev=n0,mac=52:54:00:4c:43:$((10 + i)),bootindex=0" \
		-drive "if=none,id=d0,file=$T/pc$i.img,format=raw" -device virtio-blk-pci,drive=d0,serial=PC$i-DISK \
		>"$T/qemu$i.out" 2>&1 </dev/null &
	QPIDS+=($!)
done
guest_logs() {
	local i
	for i in $(seq "$N"); do echo "--- pc$i: serial (lifeboat lines)"; tr -d '\r' <"$T/pc$i.log" | grep -a 'lifeboat' | tail -n 25
		cat "$T/qemu$i.out"; done
	echo "--- sender"; cat "$T/sender.err" "$T/summary.txt"
}
for i in $(seq "$N"); do
	while kill -0 "${QPIDS[$((i - 1))]}" 2>/dev/null && [ $((SECONDS - START)) -lt "$TIMEOUT" ]; do sleep 1; done
	kill -0 "${QPIDS[$((i - 1))]}" 2>/dev/null && { guest_logs; die "pc$i did not power off within $TIMEOUT s"; }
	wait "${QPIDS[$((i - 1))]}" 2>/dev/null
done
QPIDS=()
echo "all $N machines (${FWS[*]}) powered off $((SECONDS - START)) s after they were started"
# the sender ends once every machine reported (a machine that never joined: after --max-wait)
for _ in $(seq 180); do kill -0 "$SPID" 2>/dev/null || break; sleep 1; done
kill -0 "$SPID" 2>/dev/null && { guest_logs; die "the sender still runs 180 s after the machines powered off"; }
rc=0; wait "$SPID" || rc=$?; SPID=
cat "$T/sender.err" "$T/summary.txt"

# --- what each machine did: booted over the network, found its one disk, restored, said OK
for i in $(seq "$N"); do
	log=$T/pc$i.log
	if [ "${FWS[$((i - 1))]}" = uefi ]; then
		grep -aq 'lifeboat: Secure Boot: off' "$log" || { guest_logs; die "pc$i: not booted by UEFI PXE"; }
	else
		grep -aq 'lifeboat: legacy BIOS' "$log" || { guest_logs; die "pc$i: not booted by BIOS PXE"; }
	fi
	grep -aq 'lifeboat: multicast: receiving on eth0' "$log" || { guest_logs; die "pc$i: did not wait for the sender"; }
	grep -aq 'lifeboat: target: /dev/vda (64 MiB' "$log" || { guest_logs; die "pc$i: 'internal' was not its virtio disk"; }
	grep -aq 'unattended restore: OK: multicast://auto -> /dev/vda' "$log" || { guest_logs; die "pc$i: no 'unattended restore: OK'"; }
	tr -d '\r' <"$log" | grep -a -m1 'unattended restore: OK'
done
nb=0; for f in "${FWS[@]}"; do [ "$f" = bios ] && nb=$((nb + 1)); done
[ "$(grep -cE 'sent .*/pxelinux.cfg/default to ' "$T/dnsmasq.log")" = "$nb" ] || die "pxelinux.cfg/default was not sent once per BIOS machine"
[ "$(grep -cE 'sent .*/boot/lifeboat to ' "$T/dnsmasq.log")" = "$nb" ] || die "Lifeboat's kernel was not sent once per BIOS machine"
[ "$(grep -cE 'sent .*/boot/vmlinuz to ' "$T/dnsmasq.log")" = $((N - nb)) ] || die "Debian's kernel was not sent once per UEFI machine"

# --- the sender's verdict and the disks
[ "$rc" = 0 ] || die "the sender exited $rc"
[ "$(grep -cE '^10\.77\.43\.[0-9]+ / .* /dev/vda +[0-9.]+ s +ok: restored .*read back and verified' "$T/summary.txt")" = "$N" ] ||
	die "the sender's table does not list $N machines as ok"
# each machine is named after its MAC address (dnsmasq here gives no names), not all "lifeboat"
for i in $(seq "$N"); do
	grep -qE "^10\.77\.43\.[0-9]+ / lifeboat-4c43$((10 + i)) " "$T/summary.txt" ||
		die "the sender's table has no row for pc$i by its name lifeboat-4c43$((10 + i))"
done
[ "$(wc -l <"$T/summary.txt")" = $((N + 1)) ] || die "the sender's table has other rows than its heading and the $N machines"
grep -q "multicast complete: $N of $N" "$T/sender.err" || die "no 'multicast complete: $N of $N' from the sender"
for i in $(seq "$N"); do
	cmp "$T/pc$i.img" "$T/ref.img" || die "pc$i's disk differs from a local restore of the image"
done
# and what they hold is the source's: the same partition table, the ext4's files, e2fsck clean
diff <(sgdisk -p "$T/src.img" | sed -n '/^Number/,$p') <(sgdisk -p "$T/pc1.img" | sed -n '/^Number/,$p') || die "partition tables differ"
part_extract "$T/pc1.img" 1 "$T/pc1-p1"
e2fsck -fn "$T/pc1-p1" >"$T/fsck.log" 2>&1 || { cat "$T/fsck.log"; die "e2fsck found problems on pc1's restored ext4"; }
mkdir -p "$T/pc1-tree"; debugfs -R "rdump / $T/pc1-tree" "$T/pc1-p1" >/dev/null 2>&1
rm -rf "$T/pc1-tree/lost+found"
diff -r "$T/tree" "$T/pc1-tree" || die "pc1's files differ from the source's"
echo "pxe-multicast: $N machines (${FWS[*]}) booted over the network, restored the image by multicast, identical to a local restore"
