#!/usr/bin/env bash
# lifeboat files / extract: a GPT disk (sgdisk) with an ext4 partition made by mke2fs -d from
# a staging tree — a fake kernel, a deep tree, names with a space, a newline and 0xff, hard
# links (across directories), symlinks (one pointing at ../../../etc), a sparse file, a 4755
# file with a given mtime, a file owned by 1234:5678, a fifo and a device — and a swap
# partition, backed up; then listed and extracted. The extracted tree must equal the staging
# tree (content, modes, mtimes (one to the nanosecond), owners, link counts, symlink targets,
# devices) and debugfs' rdump of the source; nothing is written outside --to, even through a
# symlink planted in the destination; the sparse file stays sparse. A damaged chunk inside
# one file: that file is named, the others are copied, exit 3. The image and the source disk
# are never changed.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (owners, devices)"
export TZ=UTC

# ---- the source ----------------------------------------------------------------------------
s=stage
mkdir -p $s/boot $s/bin $s/hl $s/sym/x/y "$s/empty dir" $s/dev
head -c 3M /dev/urandom >$s/boot/vmlinuz-6.1.0-lifeboat
printf 'CONFIG_EXT4_FS=y\n' >$s/boot/config-6.1.0-lifeboat
d=$s; for i in $(seq 40); do d=$d/d$i; done; mkdir -p "$d"; echo leaf >"$d/leaf.txt"
deep=${d#$s/}
echo space >"$s/with space"
echo nl >"$s/new"$'\n'"line"
echo ff >"$s/bin/"$'\xff\xfe'" name"
echo bs >"$s/back\\slash"
echo "linked" >$s/hl/a; ln $s/hl/a $s/hl/b; ln $s/hl/a "$s/$deep/c-link"
ln -s ../boot/config-6.1.0-lifeboat $s/sym/rel
ln -s ../../../etc $s/sym/x/y/escape
ln -s /etc/passwd $s/sym/abs
truncate -s 32M $s/sparse.bin
printf 'head' | dd of=$s/sparse.bin conv=notrunc status=none
printf 'tail' | dd of=$s/sparse.bin bs=1M seek=20 conv=notrunc status=none
cp /bin/true $s/bin/suid; chmod 4755 $s/bin/suid
touch -d '2001-02-03 04:05:06.123456789 UTC' $s/bin/suid
echo owned >$s/owned.txt; chown 1234:5678 $s/owned.txt
mkfifo $s/dev/fifo; mknod $s/dev/null1 c 1 3
: >"$s/empty file"
head -c 12M /dev/urandom >$s/big.bin
find $s -mindepth 1 -type d -print0 | xargs -0 touch -h -d '2020-05-06 07:08:09.5 UTC'

random_disk src.img 120
sgdisk -Z src.img >/dev/null 2>&1 || true
sgdisk -n1:2048:+96M -t1:8300 -c1:root -n2:0:+8M -t2:8200 src.img >/dev/null
mk_ext src.img 1 ext4 $s -I 256
mk_swap src.img 2
off=$(part_start src.img 1)
# mke2fs -d keeps whole seconds: the nanoseconds of one file set by hand
debugfs -w -R "sif /bin/suid mtime_extra $((123456789 << 2))" "src.img?offset=$off" >/dev/null 2>&1
e2fsck -fn "src.img?offset=$off" >/dev/null 2>&1 || fail "the source filesystem is not clean"
src_sum=$(sum src.img)

lb backup src.img img.lbi --quiet
img_sum=$(sum img.lbi)

# ---- files ----------------------------------------------------------------------------------
lb files img.lbi >ls.txt 2>err.txt || { cat err.txt; fail "files without --partition"; }
grep -q ' boot$' ls.txt && grep -q ' big.bin$' ls.txt || { cat ls.txt; fail "files / lists the root"; }
grep -q ' new\\nline$' ls.txt || { cat ls.txt; fail "a newline in a name is not escaped"; }
grep -q ' back\\\\slash$' ls.txt || { cat ls.txt; fail "a backslash in a name is not escaped"; }
lb files img.lbi --partition 1 /bin >ls.txt
grep -q '^-rwsr-xr-x .* 2001-02-03 04:05:06 suid$' ls.txt || { cat ls.txt; fail "files: mode 4755 and mtime"; }
grep -q ' \\xff\\xfe name$' ls.txt || { cat ls.txt; fail "a 0xff byte in a name is not escaped"; }
lb files img.lbi --partition 1 '/bin/\xff\xfe name' | grep -q ' 3 ' || fail "an escaped PATH is not found"
lb files img.lbi --partition 1 /hl | grep -q '^-rw-r--r--  *3 .* a$' || fail "files: link count"
lb files img.lbi --partition 1 /sym | grep -q ' rel -> ../boot/config-6.1.0-lifeboat$' || fail "files: symlink target"
lb files img.lbi --partition 1 /dev | grep -q '^crw-r--r-- .* 1, 3 ' || fail "files: a device"
lb files img.lbi --partition 1 /owned.txt | grep -q ' 1234  5678 ' || fail "files: owner"
lb files img.lbi --partition 1 /sym/rel/ >/dev/null 2>&1 && fail "a symlink to a file listed as a directory"
lb files img.lbi --partition 1 /sym/x/y --json >j.txt
python3 - <<'PY' || fail "files --json"
import json
j = json.load(open("j.txt"))
e = j["entries"][0]
assert j["partition"] == 1 and j["filesystem"] == "ext", j
assert e["name"] == "escape" and e["type"] == "symlink" and e["target"] == "../../../etc", e
PY
lb_expect_fail 1 'no "nope" in /boot' files img.lbi /boot/nope/x
lb_expect_fail 2 "no partition 7" files img.lbi --partition 7
lb_expect_fail 1 "partition 2.*swap" files img.lbi --partition 2
lb_expect_fail 2 "needs IMAGE" files

# ---- extract the whole tree ------------------------------------------------------------------
# manifest DIR: one line per entry (lost+found aside): path, type, mode, links, owner, size,
# mtime, and content hash / symlink target / device number
manifest() {
	python3 - "$1" <<'PY'
import hashlib, os, stat, sys
top = sys.argv[1].encode()
for root, dirs, files in os.walk(top):
    dirs.sort()
    for n in sorted(dirs + files):
        p = os.path.join(root, n); rel = os.path.relpath(p, top)
        if rel.startswith(b"lost+found"): continue
        st = os.lstat(p); m = st.st_mode
        if stat.S_ISREG(m): extra = hashlib.sha256(open(p, "rb").read()).hexdigest()
        elif stat.S_ISLNK(m): extra = os.readlink(p).decode("latin-1")
        elif stat.S_ISCHR(m) or stat.S_ISBLK(m): extra = "%d,%d" % (os.major(st.st_rdev), os.minor(st.st_rdev))
        else: extra = ""
        mt = st.st_mtime_ns // 10**9   # mke2fs -d keeps seconds only (see bin/suid below)
        print(repr(rel), oct(m), st.st_nlink, st.st_uid, st.st_gid,
              st.st_size if not stat.S_ISDIR(m) else "-", mt, extra)
PY
}
manifest $s >want.txt
[ "$(wc -l <want.txt)" -gt 60 ] || fail "the staging manifest is short"
mkdir -p box/to box/outside
find box -print0 | sort -z >before.txt
lb extract img.lbi --partition 1 / --to box/to 2>err.txt || { cat err.txt; fail "extract /"; }
grep -q "hard links" err.txt || fail "extract did not say what it made"
manifest box/to >got.txt
diff want.txt got.txt >diff.txt || { cat diff.txt; fail "the extracted tree differs from the source"; }
[ "$(stat -c %y box/to/bin/suid)" = "2001-02-03 04:05:06.123456789 +0000" ] || fail "mtime nanoseconds"
[ "$(stat -c %h box/to/hl/a)" = 3 ] || fail "hard links are not links"
[ "$(stat -c %i box/to/hl/a)" = "$(stat -c %i "box/to/$deep/c-link")" ] || fail "a hard link across directories"
[ "$(readlink box/to/sym/x/y/escape)" = ../../../etc ] || fail "the escaping symlink is not a symlink"
[ -p box/to/dev/fifo ] && [ -c box/to/dev/null1 ] || fail "fifo and device"
alloc=$(du -k box/to/sparse.bin | cut -f1)
[ "$alloc" -lt 1024 ] || fail "the sparse file takes $alloc KiB"
find box -print0 | grep -zv '^box/to/' | sort -z >after.txt
cmp before.txt after.txt || fail "extract wrote outside --to"

# and what debugfs itself extracts (rdump: content, modes, mtimes to the second, symlinks)
mkdir rd
debugfs -R "rdump / rd" "src.img?offset=$off" >/dev/null 2>&1
diff -r --no-dereference -x fifo -x null1 rd box/to >rdiff.txt 2>&1 || true   # rdump makes no specials
[ ! -s rdiff.txt ] || { cat rdiff.txt; fail "extract differs from debugfs rdump"; }
python3 - rd box/to <<'PY' || fail "modes or mtimes differ from debugfs rdump"
import os, stat, sys
a, b = (x.encode() for x in sys.argv[1:])
n = 0
for root, dirs, files in os.walk(a):
    for f in dirs + files:
        p = os.path.join(root, f); q = os.path.join(b, os.path.relpath(p, a))
        x, y = os.lstat(p), os.lstat(q)
        if not (stat.S_ISREG(x.st_mode) or stat.S_ISDIR(x.st_mode)): continue
        # rdump chowns after chmod, which drops set-id bits: those are checked against stage/
        assert x.st_mode & ~0o6000 == y.st_mode & ~0o6000, (p, oct(x.st_mode), oct(y.st_mode))
        assert int(x.st_mtime) == int(y.st_mtime), (p, x.st_mtime, y.st_mtime)
        n += 1
assert n > 60, n
PY

# single files and trees, several at once; refusal to overwrite; --overwrite; --no-owners
mkdir one
lb extract img.lbi /boot/vmlinuz-6.1.0-lifeboat "/$deep" /hl/b --to one --quiet
cmp one/vmlinuz-6.1.0-lifeboat $s/boot/vmlinuz-6.1.0-lifeboat || fail "extract of one file"
[ -f one/d40/leaf.txt ] && [ -f one/d40/c-link ] || fail "extract of a tree"
[ "$(stat -c %i one/b)" = "$(stat -c %i one/d40/c-link)" ] || fail "hard links within one extract"
echo keep >one/b.keep
lb_expect_fail 4 "one/b exists: nothing was extracted" extract img.lbi /hl/b --to one
lb_expect_fail 2 "would both be written" extract img.lbi /hl/a /boot/../hl/a --to one
ln -s ../box/outside one/boot
lb extract img.lbi /boot --to one --overwrite --quiet
[ -d one/boot ] && [ ! -L one/boot ] && [ -f one/boot/config-6.1.0-lifeboat ] || fail "--overwrite of a planted symlink"
[ -z "$(ls -A box/outside)" ] || fail "extract followed a symlink planted in the destination"
mkdir no
lb extract img.lbi /owned.txt --to no --no-owners --quiet
[ "$(stat -c %u:%g no/owned.txt)" = 0:0 ] || fail "--no-owners"
lb_expect_fail 1 "cannot be used" extract img.lbi /boot --to missing-dir
lb_expect_fail 1 'no "nope"' extract img.lbi /nope --to no
lb_expect_fail 2 "needs --to" extract img.lbi /boot
[ -z "$(ls -A box/outside)" ] || fail "something was written to box/outside"

# not root: no owners, no devices (named, not a failure); set-id bits and fifos still made
if id nobody >/dev/null 2>&1 && command -v runuser >/dev/null; then
	mkdir nr; chmod 777 nr; chmod o+rx . ; chmod o+r img.lbi
	runuser -u nobody -- "$LIFEBOAT" extract img.lbi /bin /dev /owned.txt --to nr 2>err.txt ||
		{ cat err.txt; fail "extract as nobody"; }
	grep -q "^/dev/null1: a character device: not made (only root can)" err.txt || { cat err.txt; fail "the device not made is not named"; }
	[ ! -e nr/dev/null1 ] && [ -p nr/dev/fifo ] || fail "as nobody: device made or fifo not"
	[ "$(stat -c %a nr/bin/suid)" = 4755 ] || fail "as nobody: set-uid bit lost"
	[ "$(stat -c %U nr/owned.txt)" = nobody ] || fail "as nobody: owner"
	chmod o-r img.lbi
fi

# ---- several filesystems: --partition is needed, and the choices are listed ----------------
cp src.img two.img
sgdisk -n3:0:+8M -t3:0700 two.img >/dev/null
mk_fat two.img 3 12 ""
lb backup two.img two.lbi --quiet
lb_expect_fail 2 "several filesystems.*--partition" files two.lbi
grep -q "partition 3:.*vfat" err.txt || fail "the partitions are not listed"
lb files two.lbi --partition 1 /boot | grep -q vmlinuz || fail "files --partition 1 of two"

# ---- encrypted: the key as restore takes it --------------------------------------------------
printf 'correct horse\n' >key
lb backup src.img enc.lbi --key-file key --quiet
lb files enc.lbi --key-file key /boot | grep -q vmlinuz || fail "files of an encrypted image"
lb_expect_fail 8 "no terminal|--key-file" files enc.lbi

# ---- a damaged chunk inside big.bin ---------------------------------------------------------
bs=$(dumpe2fs -h "src.img?offset=$off" 2>/dev/null | awk '/^Block size:/ {print $3}')
debugfs -R "blocks /big.bin" "src.img?offset=$off" 2>/dev/null | tr ' ' '\n' | grep . >big.blocks
size=$(stat -c %s img.lbi) hit=
for frac in 50 40 60 30 70 45 55; do
	cp img.lbi flip.lbi
	printf '\xff\xff\xff\xff' | dd of=flip.lbi bs=1 seek=$((size * frac / 100)) conv=notrunc status=none
	lb verify flip.lbi >/dev/null 2>v.txt && continue
	at=$(grep -o 'disk offset [0-9]*' v.txt | head -n1 | awk '{print $3}')
	[ -n "$at" ] || continue
	blk=$(( (at - off) / bs ))
	grep -qx "$blk" big.blocks && { hit=$frac; break; }
done
[ -n "$hit" ] || fail "no flip landed in big.bin's chunks"
mkdir dmg
rc=0; lb extract flip.lbi / --to dmg 2>err.txt || rc=$?
[ "$rc" = 3 ] || { cat err.txt; fail "extract of a damaged image exited $rc, wanted 3"; }
grep -q "^/big.bin: .* could not be read (zeros in the copy).*damaged" err.txt || { cat err.txt; fail "the damaged file is not named"; }
[ "$(grep -c 'could not be read' err.txt)" = 1 ] || { cat err.txt; fail "other files named damaged"; }
manifest dmg | grep -v "^b'big.bin'" >got.txt
grep -v "^b'big.bin'" want.txt | diff - got.txt || fail "the undamaged files differ"
[ "$(stat -c %s dmg/big.bin)" = "$(stat -c %s $s/big.bin)" ] || fail "the damaged file has the wrong size"
{ cmp -l dmg/big.bin $s/big.bin || true; } >cmpl.txt
[ -s cmpl.txt ] || fail "the damaged file is whole"
awk '$2 != 0 {bad=1} END {exit bad}' cmpl.txt || fail "the damaged file holds other than zeros where it differs"

# ---- a hostile filesystem: a name holding '/', a directory linked inside itself -------------
mkdir -p h/a/b; echo hi >h/a/b/evilXname; echo ok >h/a/ok
truncate -s 16M h.img
mke2fs -q -F -t ext4 -O ^metadata_csum -d h h.img   # no checksum to give the edit away
debugfs -w -R "ln /a /a/b/loop" h.img >/dev/null 2>&1
python3 - <<'PY'
d = bytearray(open("h.img", "rb").read())
i = d.find(b"evilXname"); assert i > 0
d[i + 4] = ord("/")
open("h.img", "wb").write(d)
PY
lb backup h.img h.lbi --quiet
lb_expect_fail 3 'cannot be a file name \("evil/name"\)' files h.lbi /a/b
mkdir -p hbox/to
rc=0; lb extract h.lbi /a --to hbox/to 2>err.txt || rc=$?
[ "$rc" = 3 ] || { cat err.txt; fail "extract of a hostile filesystem exited $rc"; }
grep -q "^/a/b/loop: the directory holds itself" err.txt || { cat err.txt; fail "the loop is not named"; }
[ "$(find hbox | wc -l)" = 5 ] && [ -f hbox/to/a/ok ] || { find hbox; fail "extract of a hostile filesystem made other than a, a/b, a/ok"; }

# ---- a journal that needs recovery: files as e2fsck's recovery leaves them ------------------
mkdir -p jr; printf 'old content\n' >jr/a.txt
truncate -s 32M j.img
mke2fs -q -F -t ext4 -b 4096 -d jr j.img
blk=$(debugfs -R "bmap /a.txt 0" j.img 2>/dev/null)
{ printf 'new content\n'; head -c 4084 /dev/zero; } >newblk
printf 'jo\njw -b %s newblk\njc\n' "$blk" | debugfs -w -f - j.img >/dev/null 2>&1
dumpe2fs -h j.img 2>/dev/null | grep -q needs_recovery || fail "debugfs wrote no journal"
lb backup j.img j.lbi --quiet
mkdir jo
lb extract j.lbi /a.txt --to jo 2>err.txt
grep -q "journal needed recovery: replayed in memory" err.txt || { cat err.txt; fail "no word of the journal"; }
[ "$(cat jo/a.txt)" = "new content" ] || fail "the journal was not replayed: $(cat jo/a.txt)"

# ---- nothing changed -----------------------------------------------------------------------
[ "$(sum img.lbi)" = "$img_sum" ] || fail "the image changed"
[ "$(sum src.img)" = "$src_sum" ] || fail "the source disk changed"
echo ok
