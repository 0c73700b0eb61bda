#!/usr/bin/env bash
# The stick's kernel-parameter reading (initramfs/lib.sh, as /init and lifeboat-unattended use
# it) with a hostile command line, run on the host under dash, bash and the stick's own busybox
# ash (when built): globs stay literal, $(...) and `...` are never run, quotes keep spaces,
# single quotes survive the env file, bad keys and consoles are refused, control characters are
# dropped; paths that climb out with .., names with /, non-numbers and odd TERMs are refused;
# a PARTUUID value is compared as a string (no sed program, no pattern). shellcheck finds no
# warning in initramfs/.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/lib.sh"
LIB=$ROOT/initramfs/lib.sh

shells=(dash "bash --posix")
for bb in "$ROOT/${BUILD:-build}/boot/busybox" "$ROOT/build/boot/busybox"; do
	[ -x "$bb" ] && { shells+=("$bb ash"); break; }
done

# files a glob in the values would find (in the folder the shells run in)
touch 'lifeboat.dest=label=lure' GLOB_HIT
esc=$(printf '\033')
cat >cmdline <<EOF
BOOT_IMAGE=/bzImage console=ttyS0,115200n8 console=tty0 lifeboat.mode=backup lifeboat.dest=label=[l]* lifeboat.source=* lifeboat.note="two  words \$(touch PWNED1) \`touch PWNED2\` ; touch PWNED3" lifeboat.name=it's'\$HOME'.lbi lifeboat.Bad-Key=x lifeboat.=y lifeboat.x=a${esc}[2Jb console=ttyS1/../../x console=ttyS0 console=ttyUSB0 lifeboat.wait=\$((1+1)) "lifeboat.quoted=a b" quiet
EOF

for sh in "${shells[@]}"; do
	rm -f env warn PWNED*
	$sh -c '
		set -f
		. "$1"
		lb_serials="" lb_quietlog=1
		: >env
		lb_params env 2>warn <<EOF
$(lb_words <cmdline)
EOF
		printf "serials=%s\nquietlog=%s\n" "$lb_serials" "$lb_quietlog" >vars
	' sh "$LIB" || fail "$sh: lb_params failed"
	# what the env file gives back, read by a shell as /init and lifeboat-console read it
	$sh -c '. ./env; for v in mode dest source note name x wait quoted; do eval "printf \"%s=[%s]\\n\" $v \"\$LB_$v\""; done' >got \
		|| fail "$sh: the env file does not source"
	cat >want <<'EOF'
mode=[backup]
dest=[label=[l]*]
source=[*]
note=[two  words $(touch PWNED1) `touch PWNED2` ; touch PWNED3]
name=[it's'$HOME'.lbi]
x=[a[2Jb]
wait=[$((1+1))]
quoted=[a b]
EOF
	diff want got || fail "$sh: values changed on the way through the env file"
	ls PWNED* 2>/dev/null && fail "$sh: a value was run as a command"
	grep -qx 'serials=ttyS0 ttyUSB0' vars || { cat vars; fail "$sh: serial consoles wrong"; }
	grep -qx 'quietlog=' vars || fail "$sh: 'quiet' not seen"
	grep -q 'ignoring parameter lifeboat.Bad-Key=x' warn || { cat warn; fail "$sh: bad key not refused"; }
	grep -q 'ignoring parameter lifeboat.=y' warn || { cat warn; fail "$sh: empty key not refused"; }
	grep -q 'ignoring console ttyS1/../../x' warn || { cat warn; fail "$sh: bad console not refused"; }
	grep -q "$esc" env warn && fail "$sh: a control character reached the env file"

	# checks on values that become paths, numbers and names
	$sh -c '
		. "$1"
		ok() { "$@" || { echo "refused: $*"; exit 1; }; }
		no() { ! "$@" || { echo "accepted: $*"; exit 1; }; }
		no lb_safe_path /../../etc/
		no lb_safe_path ..
		no lb_safe_path pc1/../../x.lbi
		no lb_safe_path /a/..
		ok lb_safe_path /office/pc7/
		ok lb_safe_path /a..b/c../..d.lbi
		ok lb_safe_path ""
		no lb_safe_name ../x.lbi
		no lb_safe_name a/b.lbi
		no lb_safe_name ..
		no lb_safe_name .
		no lb_safe_name ""
		ok lb_safe_name "pc 7..lbi"
		[ "$(lb_num "\$((1+1))" 30)" = 30 ] || exit 1
		[ "$(lb_num "-5" 30)" = 30 ] || exit 1
		[ "$(lb_num 1234567 30)" = 30 ] || exit 1
		[ "$(lb_num 12 30)" = 12 ] || exit 1
		[ "$(lb_word ../../tmp/x xterm)" = xterm ] || exit 1
		[ "$(lb_word -x xterm)" = xterm ] || exit 1
		[ "$(lb_word vt100 xterm)" = vt100 ] || exit 1
		[ "$(lb_word xterm-256color xterm)" = xterm-256color ] || exit 1
		[ "$(lb_quote "a'"'"'b")" = "'"'"'a'"'"'\\'"'"''"'"'b'"'"'" ] || { echo "quote: $(lb_quote "a'"'"'b")"; exit 1; }
		blkid_out="/dev/sda1: LABEL=\"ESP\" UUID=\"1234-ABCD\" TYPE=\"vfat\" PARTUUID=\"0a1b2c3d-01\"
/dev/sdb2: UUID=\"x\" TYPE=\"ext4\" PARTUUID=\"5e2a11c0-aaaa-bbbb-cccc-0123456789ab\""
		[ "$(printf "%s\n" "$blkid_out" | lb_blkid_match partuuid 5E2A11C0-AAAA-BBBB-CCCC-0123456789AB)" = /dev/sdb2 ] || { echo "partuuid not found"; exit 1; }
		[ -z "$(printf "%s\n" "$blkid_out" | lb_blkid_match partuuid "*")" ] || { echo "a glob matched"; exit 1; }
		[ -z "$(printf "%s\n" "$blkid_out" | lb_blkid_match partuuid "0a1b2c3d-0?")" ] || { echo "a ? matched"; exit 1; }
		[ -z "$(printf "%s\n" "$blkid_out" | lb_blkid_match partuuid "x\"/;e touch PWNED4;s/")" ] || exit 1
		[ "$(printf "a\033[2J\rb\tc\177d\n" | lb_clean)" = "$(printf "a[2Jb\tcd")" ] || { echo "lb_clean"; exit 1; }
	' sh "$LIB" || fail "$sh: value checks"
	ls PWNED* 2>/dev/null && fail "$sh: a value was run as a command"
done

if command -v shellcheck >/dev/null; then
	shellcheck -s dash -x -S warning "$ROOT"/initramfs/init "$ROOT"/initramfs/unattended.sh \
		"$ROOT"/initramfs/lifeboat-console "$ROOT"/initramfs/lib.sh "$ROOT"/initramfs/udhcpc/default.script || fail "shellcheck warnings in initramfs/"
else
	echo "shellcheck not installed: scripts not linted"
fi
echo "ok (${shells[*]})"
