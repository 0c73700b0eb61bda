# lib.sh — tmux plumbing and disk fixtures for the TUI tests (sourced, not run).
# The TUI runs inside a detached tmux session (tmux provides the pty, so no terminal is needed);
# tests send keys and read the screen with capture-pane.
set -u
: "${LIFEBOAT:=$PWD/build/lifeboat}"
command -v tmux >/dev/null || { echo "tmux not installed"; exit 77; }
[ -x "$LIFEBOAT" ] || { echo "no lifeboat binary at $LIFEBOAT"; exit 77; }
"$LIFEBOAT" tui --help 2>&1 | grep -q -- --images-dir ||
	{ echo "'lifeboat tui' does not start the screens in this build"; exit 77; }

W=$(mktemp -d /tmp/lifeboat-tui.XXXXXX)
SOCK=$W/tmux.sock
tm() { tmux -S "$SOCK" "$@"; }
cleanup() { tm kill-server 2>/dev/null; rm -rf "$W"; }
tui_stop() { tm kill-server 2>/dev/null; }
trap cleanup EXIT

# tui_start [lifeboat tui options...]; env: TUI_TERM (xterm), TUI_COLS (80), TUI_LINES (24)
NSESS=0
tui_start() {
	tm kill-server 2>/dev/null
	NSESS=$((NSESS + 1))
	SOCK=$W/tmux.$NSESS.sock    # a fresh server each time: no race with one shutting down
	local cmd="env TERM=${TUI_TERM:-xterm} LANG=${TUI_LANG:-C.UTF-8} NCURSES_NO_UTF8_ACS=1 ${TUI_ENV:-} $LIFEBOAT tui"
	local a
	for a in "$@"; do cmd+=" $(printf '%q' "$a")"; done
	# after lifeboat leaves, the pane shows its exit status and the terminal's state
	cmd+="; echo \"[lifeboat exited \$?]\"; stty -a | grep -o -- '-\?icanon' | head -1; sleep 600"
	tm -f /dev/null new-session -d -x "${TUI_COLS:-80}" -y "${TUI_LINES:-24}" -s t "$cmd"
	tm set-option -t t status off >/dev/null
	# the status line is off: resize the window back to the asked size
	tm resize-window -t t -x "${TUI_COLS:-80}" -y "${TUI_LINES:-24}" 2>/dev/null || true
}

screen() { tm capture-pane -p -t t; }
# the lifeboat process inside the pane (the pane runs sh -c, whose child it is)
lb_pid() { pgrep -P "$(tm display-message -p -t t '#{pane_pid}')" | head -1; }
keys() { tm send-keys -t t "$@"; }
typetext() { tm send-keys -t t -l "$1"; }
# the screen without its trailing blank lines (for failure logs)
screen_trim() { screen | awk '{ l[NR] = $0 } NF { last = NR } END { for (i = 1; i <= last; i++) print l[i] }'; }
fail() { echo "FAIL: $*"; echo "---- screen ----"; screen_trim; echo "----------------"; exit 1; }

# wait_for TEXT [seconds]: until the screen shows TEXT (fixed string)
wait_for() {
	local text=$1 limit=${2:-10} i=0
	while [ $i -lt $((limit * 10)) ]; do
		screen | grep -qF -- "$text" && return 0
		sleep 0.1; i=$((i + 1))
	done
	fail "waited ${limit}s for: $text"
}
# wait_gone TEXT [seconds]
wait_gone() {
	local text=$1 limit=${2:-10} i=0
	while [ $i -lt $((limit * 10)) ]; do
		screen | grep -qF -- "$text" || return 0
		sleep 0.1; i=$((i + 1))
	done
	fail "waited ${limit}s for this to go away: $text"
}
expect() { screen | grep -qF -- "$1" || fail "screen does not show: $1"; }
expect_not() { ! screen | grep -qF -- "$1" || fail "screen shows: $1"; }

# quit from the home screen and check the terminal was restored (icanon back on)
tui_quit() {
	keys q
	wait_for "Leave Lifeboat?"
	keys y
	wait_for "[lifeboat exited 0]"
	tty_restored
}
# after lifeboat left: the pane prints the terminal's mode, which must be canonical again
tty_restored() {
	local i=0
	while ! screen | grep -qE -- '^-?icanon$'; do
		i=$((i + 1)); [ $i -gt 50 ] && fail "no terminal mode printed"
		sleep 0.1
	done
	screen | grep -qE -- '^icanon$' || fail "terminal left in raw mode"
}

need() { for t in "$@"; do command -v "$t" >/dev/null || { echo "$t not installed"; exit 77; }; done; }

# mkdisk FILE: a 64 MiB GPT disk: partition 1 FAT (16 MiB, label EFI, one file),
# partition 2 ext4 (40 MiB, label root, a small tree from $W/tree), 8 MiB unpartitioned at the end.
mkdisk() {
	local f=$1
	need sgdisk mkfs.fat mke2fs mcopy
	mkdir -p "$W/tree/etc" "$W/tree/home/user"
	echo "hello from lifeboat" >"$W/tree/etc/motd"
	head -c 3000000 /dev/urandom >"$W/tree/home/user/random.bin"
	seq 1 200000 >"$W/tree/home/user/numbers.txt"
	rm -f "$f"
	truncate -s 64M "$f"
	sgdisk -n1:2048:+16M -t1:ef00 -c1:EFI -n2:34816:+40M -t2:8300 -c2:root "$f" >/dev/null
	mkfs.fat -F 16 -n EFI --offset 2048 "$f" 16384 >/dev/null 2>&1
	echo "boot me" >"$W/bootx64.efi"
	mcopy -i "$f@@1M" "$W/bootx64.efi" ::/BOOTX64.EFI
	mke2fs -q -t ext4 -L root -E offset=$((34816 * 512)) -d "$W/tree" "$f" 40M
}

# do_backup: from the home screen, back up the first disk with all defaults into the images
# folder (the first destination); sets $name to the image's file name. Back on the home screen.
do_backup() {
	keys b
	wait_for "Which disk do you want to copy?"
	keys Enter
	wait_for "Back up: partitions"
	keys Enter
	wait_for "Where should the image"
	keys Enter
	wait_for "Back up: choose a folder"
	keys Enter
	wait_for "Back up: options"
	name=$(screen | sed -n 's/.*File name *\([^ ]*\.lbi\).*/\1/p')
	keys Enter
	wait_for "Back up: summary" 20
	keys Enter
	wait_for "Backup finished" 60
	keys Enter
	wait_for "What to do"
}

# mkslowdisk FILE: a 256 MiB disk whose one partition holds 240 MiB of base64 text and no
# filesystem: copied raw, and at compression level 19 slow enough (several seconds) to be
# caught running
mkslowdisk() {
	need sgdisk base64
	rm -f "$1"
	truncate -s 256M "$1"
	sgdisk -n1:2048:+240M -t1:8300 -c1:data "$1" >/dev/null
	head -c 180M /dev/urandom | base64 -w0 | head -c 240M |
		dd of="$1" bs=1M seek=1 conv=notrunc status=none
}
