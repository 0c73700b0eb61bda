# FAT helpers for the FAT tests (sourced after lib.sh): fill and read volumes through a real FAT
# driver, fusefat (the host kernel has no vfat module, and mtools refuses FAT32 volumes with
# fewer than 65,525 clusters). Each mount runs fusefat in the foreground in the background, so
# an unmount can wait for it to finish writing.
command -v fusefat >/dev/null || skip "fusefat missing (scripts/install-deps.sh host)"
[ -c /dev/fuse ] || skip "no /dev/fuse"
declare -A FUSE_PID=()
fat_cleanup() {
	local dir
	for dir in "${!FUSE_PID[@]}"; do
		fusermount -u -z "$dir" 2>/dev/null || true
		kill "${FUSE_PID[$dir]}" 2>/dev/null || true
	done
	cleanup
}
trap fat_cleanup EXIT

fat_mount() { # IMAGE DIR [rw]: IMAGE holds just the filesystem; read-only unless rw
	local img=$1 dir=$2 i
	mkdir -p "$dir"
	fusefat -f -o "$([ -n "${3:-}" ] && echo rw+ || echo ro)" "$img" "$dir" >>fusefat.log 2>&1 &
	FUSE_PID[$dir]=$!
	for i in $(seq 100); do mountpoint -q "$dir" && return 0; sleep 0.1; done
	cat fusefat.log >&2
	fail "fusefat could not mount $img"
}
fat_umount() { # DIR [ro]: a read-only fusefat exits 255 (it tries to write back and is refused)
	local dir=$1 rc=0
	fusermount -u "$dir" || fail "cannot unmount $dir"
	wait "${FUSE_PID[$dir]}" || rc=$?
	unset "FUSE_PID[$dir]"
	[ "$rc" = 0 ] || [ "${2:-}" = ro ] || fail "fusefat on $dir exited with status $rc"
}

# fat_fill IMAGE TREE KIB: writes about KIB of files through fusefat, the same into TREE (the
# reference): big files, half of them deleted, then more files that fragment into the holes, a
# directory with many long names (spanning clusters), a deep path, empty files.
fat_fill() {
	local img=$1 tree=$2 kib=$3 i
	mkdir -p "$tree/many long names" "$tree/deep/a/b/c"
	fat_mount "$img" mnt rw
	mkdir -p "mnt/many long names" "mnt/deep/a/b/c"
	for i in 1 2 3 4 5 6 7 8; do
		head -c $((kib * 1024 / 16 + i * 1000)) /dev/urandom >"$tree/big$i.bin"
		cp "$tree/big$i.bin" mnt/
	done
	for i in 2 4 6 8; do rm "$tree/big$i.bin" "mnt/big$i.bin"; done
	for i in 1 2 3; do
		head -c $((kib * 1024 / 10 + i * 777)) /dev/urandom >"$tree/frag$i.bin"
		cp "$tree/frag$i.bin" mnt/
	done
	for i in $(seq 1 120); do
		echo "file number $i with a name longer than eight dot three" >"$tree/many long names/a file with a long name $i.txt"
		cp "$tree/many long names/a file with a long name $i.txt" "mnt/many long names/"
	done
	echo deep >"$tree/deep/a/b/c/file.txt"; cp "$tree/deep/a/b/c/file.txt" mnt/deep/a/b/c/
	: >"$tree/empty"; : >mnt/empty
	diff -r "$tree" mnt >diff.txt 2>&1 || { head diff.txt >&2; fail "fusefat did not store the files in $img"; }
	fat_umount mnt
	fsck.fat -n "$img" >fsck.txt 2>&1 || { cat fsck.txt >&2; fail "fsck.fat: the new filesystem $img is not clean"; }
}

# fat_part_out DISK PART FILE / fat_part_in FILE DISK PART: the partition's bytes to/from a file
fat_part_out() {
	dd if="$1" of="$3" bs=64K iflag=skip_bytes,count_bytes skip="$(part_start "$1" "$2")" \
		count="$(part_size "$1" "$2")" status=none
}
fat_part_in() {
	dd if="$1" of="$2" bs=64K oflag=seek_bytes seek="$(part_start "$2" "$3")" conv=notrunc status=none
}
fat_field() { # FILE OFFSET BYTES: a little-endian boot sector field
	od -An -tu"$3" -j"$2" -N"$3" "$1" | tr -d ' '
}
# fat_check FILE TREE: fsck.fat clean and every file in TREE reads back the same through fusefat
fat_check() {
	fsck.fat -n "$1" >fsck.txt 2>&1 || { cat fsck.txt >&2; fail "fsck.fat found problems in $1"; }
	fat_mount "$1" ro
	diff -r "$2" ro >diff.txt 2>&1 || { head diff.txt >&2; fail "files in $1 differ from $2"; }
	fat_umount ro ro
}
