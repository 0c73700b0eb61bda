# Helpers for the boot tests: boot the USB image (or a variant) in qemu without a terminal,
# serial console to a file, and wait for lines in it. Software emulation (no KVM here).
# Sourced by tests/boot/*.test.sh from the repository root.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build}
USB_IMG=${USB_IMG:-$ROOT/out/lifeboat-usb.img}
LIFEBOAT=${LIFEBOAT:-$ROOT/$BUILD/lifeboat}
READY_LINE='lifeboat: starting the imaging screens on ttyS0'
T=$(mktemp -d "${TMPDIR:-/tmp}/lifeboat-boot.XXXXXX")
QEMU_PID=
cleanup() { [ -n "$QEMU_PID" ] && kill "$QEMU_PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

skip() { echo "SKIP: $*"; exit 77; }
die() { echo "FAIL: $*"; exit 1; }
need_image() {
	command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 missing (scripts/install-deps.sh boot)"
	[ -f "$USB_IMG" ] || skip "no $USB_IMG (make usb)"
}

# qemu_start FIRMWARE(bios|uefi|secboot) STICK SERIAL_LOG [extra qemu args...]: boots in the
# background. The stick is a USB storage device on xHCI, as on a real machine; writes go to a
# snapshot. secboot: OVMF with Secure Boot enforced and only Microsoft's keys enrolled, as PCs
# are sold (the firmware's flash is writable only from SMM, so the guest cannot turn it off).
qemu_start() {
	local fw=$1 stick=$2 log=$3; shift 3
	local machine=q35
	[ "$fw" = secboot ] && machine=q35,smm=on
	local args=(-machine $machine -m 1024 -smp 2 -accel tcg,thread=multi -display none -vga std
		-monitor none -serial "file:$log" -no-reboot
		-device qemu-xhci,id=xhci
		-drive "if=none,id=stick,file=$stick,format=raw,snapshot=on"
		-device usb-storage,bus=xhci.0,drive=stick,bootindex=0)
	if [ "$fw" = uefi ]; then
		cp /usr/share/OVMF/OVMF_VARS_4M.fd "$T/vars.fd"
		args+=(-drive if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd
		       -drive "if=pflash,format=raw,unit=1,file=$T/vars.fd")
	elif [ "$fw" = secboot ]; then
		cp /usr/share/OVMF/OVMF_VARS_4M.ms.fd "$T/vars.fd"
		args+=(-global driver=cfi.pflash01,property=secure,value=on
		       -drive if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd
		       -drive "if=pflash,format=raw,unit=1,file=$T/vars.fd")
	fi
	: >"$log"
	QEMU_START=$(date +%s.%N)
	qemu-system-x86_64 "${args[@]}" "$@" >"$T/qemu.out" 2>&1 </dev/null &
	QEMU_PID=$!
}

# wait_line LOG PATTERN SECONDS: 0 when a line of LOG matches (grep -E), 1 on timeout or exit.
wait_line() {
	local log=$1 pat=$2 deadline=$((SECONDS + $3))
	while [ $SECONDS -lt $deadline ]; do
		grep -aqE "$pat" "$log" 2>/dev/null && return 0
		kill -0 "$QEMU_PID" 2>/dev/null || { grep -aqE "$pat" "$log" 2>/dev/null; return; }
		sleep 0.5
	done
	return 1
}

# wait_exit SECONDS: 0 once qemu has ended (the guest powered off), 1 on timeout.
wait_exit() {
	local deadline=$((SECONDS + $1))
	while kill -0 "$QEMU_PID" 2>/dev/null; do
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.5
	done
	wait "$QEMU_PID" 2>/dev/null; QEMU_PID=
	return 0
}

since_start() { echo "$(date +%s.%N) $QEMU_START" | awk '{ printf "%.1f", $1 - $2 }'; }

show_log() { echo "--- serial log (last 40 lines)"; tail -n 40 "$1" | tr -d '\r'; cat "$T/qemu.out" 2>/dev/null; }

# need_engine: skip (77) until the command line can back up, verify and restore.
need_engine() {
	[ -x "$LIFEBOAT" ] || skip "no $LIFEBOAT (make lifeboat)"
	local help; help=$("$LIFEBOAT" --help 2>&1)
	for c in backup restore verify; do
		grep -qw "$c" <<<"$help" || skip "lifeboat $c not implemented yet ('lifeboat --help' does not mention it)"
	done
}
# host_backup DISK IMAGE: a backup made on the host; skips when the engine reports it is not there.
host_backup() {
	local out
	if ! out=$("$LIFEBOAT" backup "$1" "$2" --quiet 2>&1); then
		grep -qiE 'not (yet )?(implemented|built|supported)|unsupported' <<<"$out" && skip "lifeboat backup not implemented yet: $out"
		die "host backup failed: $out"
	fi
}

# screen_text LOG: what the screens drew on the serial console after they started (kernel
# messages are quiet by then), terminal escapes removed.
screen_text() {
	sed -n "/$READY_LINE/,\$p" "$1" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1b[()][0-9A-Za-z]//g; s/\x1b[=>]//g' | tr -d '\r'
}

# usb_variant OUT APPEND...: the USB image with these kernel parameters in the default entry.
usb_variant() {
	local out=$1; shift
	awk -v a="  APPEND $*" '{ print } /^LABEL lifeboat$/ { getline; print; print a }' scripts/syslinux.cfg >"$T/syslinux.cfg"
	scripts/mk-usb.sh out/bzImage "$T/syslinux.cfg" "$out" >/dev/null 2>&1 || die "mk-usb.sh failed"
}

# part_range IMG N: "start_bytes size_bytes" of partition N.
part_range() { partx -g -o START,SECTORS -n "$2" "$1" | awk '{ print $1 * 512, $2 * 512 }'; }
# part_extract IMG N OUT
part_extract() {
	local r; r=($(part_range "$1" "$2"))
	dd if="$1" of="$3" bs=1M iflag=skip_bytes,count_bytes skip="${r[0]}" count="${r[1]}" status=none
}

# compare_demo SOURCE TARGET TREE: the target holds what the demo source held: valid GPT with
# the same partitions, the ESP's files, the ext4 tree (file by file), e2fsck clean.
compare_demo() {
	local src=$1 dst=$2 tree=$3
	sgdisk -v "$dst" | grep -q 'No problems found' || { sgdisk -v "$dst"; die "target GPT is not valid"; }
	diff <(sgdisk -p "$src" | sed -n '/^Number/,$p') <(sgdisk -p "$dst" | sed -n '/^Number/,$p') \
		|| die "partition tables differ"
	part_extract "$src" 1 "$T/src-esp"; part_extract "$dst" 1 "$T/dst-esp"
	cmp -s "$T/src-esp" "$T/dst-esp" || die "ESP contents differ"
	part_extract "$dst" 2 "$T/dst-ext4"
	e2fsck -fn "$T/dst-ext4" >"$T/fsck.log" 2>&1 || { cat "$T/fsck.log"; die "e2fsck found problems on the restored ext4"; }
	rm -rf "$T/dst-tree"; mkdir -p "$T/dst-tree"
	debugfs -R "rdump / $T/dst-tree" "$T/dst-ext4" >/dev/null 2>&1
	rm -rf "$T/dst-tree/lost+found"
	diff -r --no-dereference "$tree" "$T/dst-tree" || die "restored files differ from the source's"
	rm -f "$T/src-esp" "$T/dst-esp" "$T/dst-ext4"
}

# ---- the TUI over the serial console, in tmux session $s (console copied to $T/console.log)
screen() { tmux capture-pane -p -t "$s" 2>/dev/null; }
keys() { tmux send-keys -t "$s" "$@"; }
# fail MESSAGE: the screen and the console's end, then die
fail() {
	echo "---- screen"; screen | awk '{ l[NR] = $0 } NF { last = NR } END { for (i = 1; i <= last; i++) print l[i] }'
	echo "---- console (last 30 lines, escapes stripped)"
	sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1b[()][0-9A-Za-z]//g' "$T/console.log" | tr -d '\r' | grep -a . | tail -n 30
	die "$*"
}
# wait_for TEXT [SECONDS]: until the screen shows TEXT (fixed string)
wait_for() {
	local deadline=$((SECONDS + ${2:-20}))
	while [ $SECONDS -lt $deadline ]; do
		screen | grep -qF -- "$1" && return 0
		sleep 0.3
	done
	fail "waited ${2:-20} s for: $1"
}
# wait_re ERE [SECONDS]: until a line of the screen matches ERE (the serial line is slow: a
# screen's title shows before the rest of it is drawn)
wait_re() {
	local deadline=$((SECONDS + ${2:-20}))
	while [ $SECONDS -lt $deadline ]; do
		screen | grep -qE -- "$1" && return 0
		sleep 0.3
	done
	fail "waited ${2:-20} s for a line matching: $1"
}
# pick ERE: Down/Up, one press at a time (unselectable headings are skipped by the list), until
# the selected row ('>') matches ERE
pick() {
	local scr again from to i
	for i in $(seq 1 40); do
		# decide on a screen that has stopped changing: one half drawn over the last can show
		# the old screen's '>' row
		scr=$(screen); sleep 0.3; again=$(screen)
		[ "$scr" = "$again" ] || continue
		grep -E -- '^ *>' <<<"$scr" | head -1 | grep -qE -- "$1" && return 0
		from=$(grep -nE -- '^ *>' <<<"$scr" | head -1 | cut -d: -f1)
		to=$(grep -nE -- "$1" <<<"$scr" | head -1 | cut -d: -f1)
		if [ -n "$from" ] && [ -n "$to" ]; then
			if [ "$from" -lt "$to" ]; then keys Down; else keys Up; fi
		fi
		sleep 0.5
	done
	fail "could not select a row matching '$1'"
}
