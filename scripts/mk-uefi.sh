#!/usr/bin/env bash
# Assembles the UEFI side of the stick from Debian's signed packages (scripts/fetch-debs.sh) and
# Lifeboat's initramfs, as the folder tree mk-usb.sh copies onto the FAT partition:
#   EFI/BOOT/BOOTX64.EFI   shim (Microsoft-signed), what the firmware starts
#   EFI/BOOT/grubx64.efi   GRUB (Debian-signed), what shim starts
#   EFI/BOOT/mmx64.efi     MokManager (Debian-signed), what shim starts to enrol a key
#   EFI/BOOT/grub.cfg      scripts/grub.cfg
#   boot/vmlinuz           Debian's signed kernel
#   boot/initrd.img        Lifeboat's initramfs + the modules of initramfs/modules.list (and
#                          their dependencies), one zstd-compressed archive
# Usage: scripts/mk-uefi.sh INITRAMFS.cpio OUTDIR
set -euo pipefail
. "$(dirname "$0")/lib.sh"
[ $# -eq 2 ] || die "usage: $0 INITRAMFS.cpio OUTDIR"
cpio=$1 out=$(realpath -m "$2")
for t in depmod zstd dpkg-deb; do command -v $t >/dev/null || die "$t missing: run scripts/install-deps.sh boot"; done
debs=$("$LB_ROOT/scripts/fetch-debs.sh")
kver=$(cat "$debs/kernel-version")
root=$debs/root mods=$debs/root/lib/modules/$kver
gen=$LB_CACHE/tools/gen_init_cpio-$(pkg_version linux-source-6.1)
[ -x "$gen" ] || die "$gen missing (scripts/mk-initramfs.sh builds it)"

work=$out.work; rm -rf "$work"; mkdir -p "$work"
# The modules asked for (folder/ or name) and, through modules.dep, what they need.
awk '
	FNR == NR { sub(/#.*/, ""); for (i = 1; i <= NF; i++) want[$i]; next }
	{
		path = $1; sub(/:$/, "", path); deps[path] = ""
		for (i = 2; i <= NF; i++) deps[path] = deps[path] " " $i
		name = path; sub(/.*\//, "", name); sub(/\.ko.*/, "", name)
		byname[name] = path; gsub(/-/, "_", name); byname[name] = path
		paths[++n] = path
	}
	END {
		for (w in want) {
			found = 0
			if (w ~ /\/$/) {
				for (i = 1; i <= n; i++) if (index(paths[i], "kernel/" w) == 1) { take[paths[i]]; found = 1 }
			} else {
				k = w; gsub(/-/, "_", k)
				if (k in byname) { take[byname[k]]; found = 1 }
			}
			if (!found) { print "no module " w " in this kernel" > "/dev/stderr"; bad = 1 }
		}
		do {
			more = 0
			for (p in take) {
				m = split(deps[p], d, " ")
				for (i = 1; i <= m; i++) if (!(d[i] in take)) { take[d[i]]; more = 1 }
			}
		} while (more)
		for (p in take) print p
		exit bad
	}' "$LB_ROOT/initramfs/modules.list" "$mods/modules.dep" >"$work/modules" \
	|| die "initramfs/modules.list names modules Debian's kernel $kver does not have"
sort -o "$work/modules" "$work/modules"

# A module tree of just those, with its own modules.dep/alias (busybox modprobe reads them).
stage=$work/stage/lib/modules/$kver
mkdir -p "$stage"
while read -r m; do
	mkdir -p "$stage/$(dirname "$m")"; cp -p "$mods/$m" "$stage/$m"   # as signed: never strip
done <"$work/modules"
cp -p "$mods/modules.builtin" "$mods/modules.builtin.modinfo" "$mods/modules.order" "$stage/"
depmod -b "$work/stage" "$kver"
rm -f "$stage"/*.bin
# The release record, completed with the Debian packages (replaces the initramfs's own copy:
# the kernel unpacks the second archive over the first).
{ cat "$cpio.release"; cat "$debs/versions.txt"; } >"$work/release"
mkdir -p "$work/stage/etc"; cp "$work/release" "$work/stage/etc/lifeboat-release"
find "$work/stage" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
{
	(cd "$work/stage" && find . -mindepth 1 | sort) | while read -r p; do
		p=${p#.}
		if [ -d "$work/stage$p" ]; then echo "dir $p 0755 0 0"
		else echo "file $p $work/stage$p 0644 0 0"; fi
	done
} >"$work/modules.list"
"$gen" -t "$SOURCE_DATE_EPOCH" "$work/modules.list" >"$work/modules.cpio"
cat "$cpio" "$work/modules.cpio" | zstd -q -19 -T1 >"$work/initrd.img"

tree=$out.tmp; rm -rf "$tree"; mkdir -p "$tree/EFI/BOOT" "$tree/boot"
cp "$root/usr/lib/shim/shimx64.efi.signed" "$tree/EFI/BOOT/BOOTX64.EFI"
cp "$root/usr/lib/shim/mmx64.efi.signed" "$tree/EFI/BOOT/mmx64.efi"
cp "$root/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed" "$tree/EFI/BOOT/grubx64.efi"
cp "$LB_ROOT/scripts/grub.cfg" "$tree/EFI/BOOT/grub.cfg"
cp "$root/boot/vmlinuz-$kver" "$tree/boot/vmlinuz"
cp "$work/initrd.img" "$tree/boot/initrd.img"
find "$tree" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
cp "$work/release" "$out.release"
rm -rf "$out"; mv "$tree" "$out"
say "$(basename "$out"): $(wc -l <"$work/modules") modules of Debian's kernel $kver, initrd $(stat -c %s "$out/boot/initrd.img") bytes"
rm -rf "$work"
