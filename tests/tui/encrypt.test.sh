#!/usr/bin/env bash
# Encryption in the screens: the backup options' "Encrypt < no/yes >" asks the passphrase twice
# (masked; a mismatch is said and asked again), the image is encrypted (checked with the command
# line, which also restores it) and verified with the passphrase typed once; verify and
# restore of the encrypted image ask for it in a masked dialog, a wrong one is said as such.
. "$(dirname "$0")/lib.sh"
mkdisk "$W/disk.img"
mkdir "$W/images"
tui_start --disk "$W/disk.img" --images-dir "$W/images"
wait_for "What to do"
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
expect "Encrypt             < no >"
name=$(screen | sed -n 's/.*File name *\([^ ]*\.lbi\).*/\1/p')
keys Down Down Down Down Down Down Enter
wait_for "Passphrase for the image"
typetext "tui secret 1"; keys Enter
wait_for "The same passphrase again"
typetext "tui secret 2"; keys Enter
wait_for "The two passphrases differ"
keys Enter
wait_for "Passphrase for the image"
typetext "tui secret"
expect "**********"
expect_not "tui secret"
keys Enter
wait_for "The same passphrase again"
typetext "tui secret"; keys Enter
wait_for "Encrypt             < yes (passphrase set) >"
keys Up Up Up Up Up Up Enter
wait_for "Back up: summary" 20
expect "encrypted with the passphrase typed"
keys Enter
wait_for "Backup finished" 60
expect_not "Passphrase"
keys Enter
wait_for "What to do"
img="$W/images/$name"
[ -f "$img" ] || fail "backup made no image"
"$LIFEBOAT" info "$img" | grep -q "needs the passphrase" || fail "the image is not encrypted"
printf 'tui secret\n' >"$W/key"
"$LIFEBOAT" verify "$img" --key-file "$W/key" --quiet >/dev/null || fail "the CLI cannot verify it"
truncate -s 64M "$W/dst.img"
"$LIFEBOAT" restore "$img" "$W/dst.img" --key-file "$W/key" --yes --quiet ||
	fail "the CLI cannot restore it"
cmp -s -n $((34816 * 512)) "$W/disk.img" "$W/dst.img" || fail "restored disk differs"

verify_it() {
	keys v
	wait_for "Images found"
	keys Enter
	wait_for "Check the image"
	keys Enter
	wait_for "is encrypted. Type its passphrase" 20
}
verify_it
typetext "wrong one"; keys Enter
wait_for "wrong passphrase for" 30
expect "Nothing was checked."
keys Enter; wait_for "What to do"
verify_it
typetext "tui secret"; keys Enter
wait_for "Verified" 30
keys Enter; wait_for "What to do"

# restore: asked when the image is read; Esc gives up (nothing asked of the target)
keys r
wait_for "Images found"
keys Enter
wait_for "is encrypted. Type its passphrase" 20
keys Escape
wait_for "The passphrase is needed to read this image."
keys Enter
wait_for "Images found"
keys Enter
wait_for "is encrypted. Type its passphrase" 20
typetext "tui secret"; keys Enter
wait_for "Restore: the image" 20
expect "The whole disk"
keys Escape
wait_for "Images found"
keys Escape
wait_for "What to do"
tui_quit
echo ok
