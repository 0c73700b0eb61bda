#!/usr/bin/env bash
# Network boot of out/netboot (make netboot), without a stick: in a network namespace of its own,
# a bridge with the test's tap on it and dnsmasq on the bridge (DHCP and TFTP, configured as
# docs/DEPLOY.md's full-DHCP example), qemu boots over PXE: SeaBIOS runs qemu's iPXE ROM of the
# e1000 NIC, which loads pxelinux.0, PXELINUX loads Lifeboat's kernel by TFTP. Then /init takes
# an address by DHCP on that NIC (the kernel's e1000 driver) and says it on the serial console,
# and the screens start there. Nothing leaves the namespace.
# LB_PXE_FIRMWARES="bios uefi http proxy" also boots OVMF over PXE (shim, network GRUB, Debian's kernel
# by TFTP) and by OVMF's own UEFI HTTP boot (lifeboat.efi from an HTTP server in the namespace;
# PXE then gets no boot file, so the firmware goes on to HTTP): slow under software emulation,
# so not by default; and BIOS PXE again with docs/DEPLOY.md's proxy-DHCP configuration next to
# a plain DHCP server in a second namespace.
. "$(dirname "$0")/lib.sh"
NETBOOT=${NETBOOT:-$ROOT/out/netboot}
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 missing (scripts/install-deps.sh boot)"
command -v dnsmasq >/dev/null || skip "dnsmasq missing (scripts/install-deps.sh boot: dnsmasq-base)"
[ -f "$NETBOOT/pxelinux.0" ] && [ -f "$NETBOOT/boot/lifeboat" ] || skip "no $NETBOOT (make netboot)"
[ "$(id -u)" = 0 ] || skip "needs root (network namespace)"
[ -f /usr/lib/ipxe/qemu/efi-e1000.rom ] || skip "qemu's iPXE ROMs missing (ipxe-qemu)"
ns=lbpxe$$ DPID='' HPID='' PLAIN_PID=''
net_cleanup() {
	[ -n "$PLAIN_PID" ] && kill "$PLAIN_PID" 2>/dev/null && wait "$PLAIN_PID" 2>/dev/null
	ip netns del "$ns-dhcp" 2>/dev/null
	[ -n "$HPID" ] && kill "$HPID" 2>/dev/null && wait "$HPID" 2>/dev/null
	[ -n "$QEMU_PID" ] && kill "$QEMU_PID" 2>/dev/null && wait "$QEMU_PID" 2>/dev/null
	QEMU_PID=
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	cleanup
}
trap net_cleanup EXIT
ip netns add "$ns" || skip "cannot create a network namespace"
ip -n "$ns" link set lo up
ip -n "$ns" link add br0 type bridge
ip -n "$ns" addr add 10.77.42.1/24 dev br0
ip -n "$ns" tuntap add dev tap0 mode tap || die "cannot create a tap device"
ip -n "$ns" link set tap0 master br0
ip -n "$ns" link set tap0 up
ip -n "$ns" link set br0 up

# The dnsmasq configurations of docs/DEPLOY.md, as they are there, this network's addresses in:
# the server (192.168.10.5) and the router (.1) are the bridge, the served folder is out/netboot.
docs_conf() {  # FIRST-LINE-PATTERN OUT
	awk -v pat="$1" '$0 ~ pat { on = 1 } on && /^```/ { exit } on { print }' docs/DEPLOY.md |
		sed -e 's/192\.168\.10\.5\b/10.77.42.1/g; s/192\.168\.10\.1\b/10.77.42.1/g; s/192\.168\.10\./10.77.42./g' \
		    -e 's/^interface=eth0$/interface=br0/' -e "s|^tftp-root=/srv/lifeboat\$|tftp-root=$NETBOOT|" >"$2"
	grep -q '^tftp-root='"$NETBOOT"'$' "$2" && grep -q '^interface=br0$' "$2" || { cat "$2"; die "docs/DEPLOY.md: no dnsmasq configuration '$1'"; }
}
docs_conf '^# /etc/dnsmasq.d/lifeboat.conf .Debian' "$T/dnsmasq.conf"
start_dnsmasq() {  # CONF
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	: >"$T/dnsmasq.log"
	ip netns exec "$ns" dnsmasq --keep-in-foreground --conf-file="$1" --user=root \
		--dhcp-leasefile="$T/leases" --pid-file="$T/dnsmasq.pid" --log-facility="$T/dnsmasq.log" --log-dhcp &
	DPID=$!
	for _ in $(seq 50); do grep -q 'TFTP root' "$T/dnsmasq.log" 2>/dev/null && break; sleep 0.1; done
	grep -q 'TFTP root' "$T/dnsmasq.log" || { cat "$T/dnsmasq.log"; die "dnsmasq did not start"; }
}
start_dnsmasq "$T/dnsmasq.conf"

mac=52:54:00:4c:42:01
for fw in ${LB_PXE_FIRMWARES:-bios}; do
	log=$T/$fw.log; : >"$log"
	args=(-machine q35 -m 1024 -smp 2 -accel tcg,thread=multi -display none -vga std -monitor none
		-serial "file:$log" -no-reboot -netdev tap,id=n0,ifname=tap0,script=no,downscript=no)
	if [ "$fw" = proxy ]; then
		# the network's own DHCP server (addresses only) in a second namespace, on the bridge
		# through a veth pair; dnsmasq on the bridge as docs/DEPLOY.md's proxy DHCP
		ip netns add "$ns-dhcp" || die "cannot create a second network namespace"
		ip -n "$ns" link add vA type veth peer name vB netns "$ns-dhcp"
		ip -n "$ns" link set vA master br0; ip -n "$ns" link set vA up
		ip -n "$ns-dhcp" addr add 10.77.42.2/24 dev vB; ip -n "$ns-dhcp" link set vB up
		printf '%s\n' port=0 interface=vB bind-interfaces dhcp-range=10.77.42.100,10.77.42.150,255.255.255.0,10m \
			dhcp-option=option:router,10.77.42.2 >"$T/plain.conf"
		ip netns exec "$ns-dhcp" dnsmasq --keep-in-foreground --conf-file="$T/plain.conf" --user=root \
			--dhcp-leasefile="$T/leases-plain" --pid-file="$T/plain.pid" --log-facility="$T/plain.log" &
		PLAIN_PID=$!
		docs_conf '^# /etc/dnsmasq.d/lifeboat.conf: proxy DHCP' "$T/dnsmasq-proxy.conf"
		start_dnsmasq "$T/dnsmasq-proxy.conf"
		args+=(-device "e1000,netdev=n0,mac=$mac,bootindex=0")
	elif [ "$fw" = http ]; then
		# OVMF's own virtio driver and HTTP boot (no iPXE ROM); PXE answers without a boot file
		args+=(-device "virtio-net-pci,netdev=n0,mac=$mac,romfile=,bootindex=0")
		grep -v '^dhcp-boot=tag:efi64' "$T/dnsmasq.conf" >"$T/dnsmasq-http.conf"
		start_dnsmasq "$T/dnsmasq-http.conf"
		command -v python3 >/dev/null || skip "python3 missing (the HTTP server)"
		ip netns exec "$ns" python3 -m http.server --bind 10.77.42.1 --directory "$NETBOOT" 80 >"$T/http.log" 2>&1 &
		HPID=$!
	else
		args+=(-device "e1000,netdev=n0,mac=$mac,bootindex=0")
	fi
	if [ "$fw" = uefi ] || [ "$fw" = http ]; then
		cp /usr/share/OVMF/OVMF_VARS_4M.fd "$T/vars.fd"
		args+=(-drive if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd
		       -drive "if=pflash,format=raw,unit=1,file=$T/vars.fd")
	fi
	QEMU_START=$(date +%s.%N)
	ip netns exec "$ns" qemu-system-x86_64 "${args[@]}" >"$T/qemu.out" 2>&1 </dev/null &
	QEMU_PID=$!
	if ! wait_line "$log" "$READY_LINE" ${LB_BOOT_TIMEOUT:-300}; then
		show_log "$log"; tail -n 20 "$T/dnsmasq.log"; die "$fw: no '$READY_LINE' on the serial console"
	fi
	echo "$fw: lifeboat running on ttyS0 $(since_start) s after qemu started, booted over the network"
	sent() { grep -qE "sent .*/$1 to " "$T/dnsmasq.log" || { cat "$T/dnsmasq.log"; die "$fw: $1 was not sent by TFTP"; }; }
	if [ "$fw" = bios ] || [ "$fw" = proxy ]; then
		sent pxelinux.0; sent ldlinux.c32; sent pxelinux.cfg/default; sent boot/lifeboat
		grep -aq 'lifeboat: legacy BIOS, no Secure Boot' "$log" || { show_log "$log"; die "bios: /init did not say legacy BIOS"; }
	elif [ "$fw" = http ]; then
		grep -q '"GET /lifeboat.efi HTTP/1.1" 200' "$T/http.log" || { cat "$T/http.log"; die "http: lifeboat.efi was not fetched by HTTP"; }
		grep -aq 'kernel [0-9.]*-lifeboat' "$log" || { show_log "$log"; die "http: not Lifeboat's kernel"; }
	else
		sent bootx64.efi; sent grubx64.efi; sent grub/grub.cfg; sent boot/vmlinuz; sent boot/initrd.img
	fi
	# the address dnsmasq leased to the NIC (by its MAC), and /init saying it
	leases=$T/leases; [ "$fw" = proxy ] && leases=$T/leases-plain
	addr=$(awk -v m="$mac" '$2 == m { print $3 }' "$leases" | tail -n1)
	[ -n "$addr" ] || { cat "$leases" "$T/dnsmasq.log"; die "$fw: no lease for $mac"; }
	line=$(tr -d '\r' <"$log" | grep -a -m1 "lifeboat: network: eth[0-9]* $addr/24")
	[ -n "$line" ] || { show_log "$log"; die "$fw: /init did not show the DHCP address $addr"; }
	echo "$fw: $line"
	server=10.77.42.1; [ "$fw" = proxy ] && server=10.77.42.2
	grep -aq "router $server, DHCP server $server" <<<"$line" || die "$fw: the lease line does not name the router and DHCP server $server"
	# the screens: the home screen is drawn on ttyS0
	for _ in $(seq 60); do screen_text "$log" | grep -q 'What to do' && break; sleep 1; done
	screen_text "$log" | grep -q 'What to do' || { screen_text "$log" | tail -n 30; die "$fw: the home screen did not appear on ttyS0"; }
	echo "$fw: the home screen is on ttyS0"
	kill "$QEMU_PID"; wait "$QEMU_PID" 2>/dev/null; QEMU_PID=
done
echo "pxe-boot: booted over the network (${LB_PXE_FIRMWARES:-bios}) with an address by DHCP"
