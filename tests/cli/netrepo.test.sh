#!/usr/bin/env bash
# Network repositories: real servers in a network namespace of their own (S), Lifeboat in
# another (C), joined by a veth pair, so no traffic leaves the namespaces made here.
#  - ssh:// (openssh-server, a key made here; the client is dropbear's dbclient): backup into
#    it, restore from it onto a target holding old random data, verify; the result equals a
#    local restore; the source is unchanged.
#  - http:// (python3 -m http.server): restore and verify.
#  - a server killed mid-transfer (the link slowed by tc so there is a middle): backup, restore
#    and verify each fail with the server and the repository named, non-zero exit, and no image
#    under its final name; the old image of that name stays as it was.
#  - nfs:// and smb://: the kernel's clients; on a host kernel without them (cifs, nfs absent)
#    those parts are skipped, and Lifeboat must say that the kernel lacks the client.
#  - URLs that are wrong are refused before anything starts (a password in the URL, ...).
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
for p in ip tc dbclient dropbearkey /usr/sbin/sshd curl python3; do
	command -v "$p" >/dev/null || skip "$p not installed (scripts/install-deps.sh)"
done
S=lbnrS$$ C=lbnrC$$ SA=10.77.0.1
ip netns add "$S" 2>/dev/null || skip "cannot make network namespaces here"
ip netns add "$C"
PIDS=()
teardown() {
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	ip netns del "$S" 2>/dev/null || true
	ip netns del "$C" 2>/dev/null || true
	cleanup
}
trap teardown EXIT
ip link add "vs$$" type veth peer name "vc$$"
ip link set "vs$$" netns "$S"
ip link set "vc$$" netns "$C"
ip -n "$S" addr add "$SA/24" dev "vs$$"
ip -n "$C" addr add 10.77.0.2/24 dev "vc$$"
for n in "$S" "$C"; do ip -n "$n" link set lo up; done
ip -n "$S" link set "vs$$" up
ip -n "$C" link set "vc$$" up
inC() { ip netns exec "$C" env HOME="$T/home" "$@"; }
lbC() { inC "$LIFEBOAT" "$@"; }
# lbC_fail STATUS PATTERN ARGS...: as lb_expect_fail, in the client namespace
lbC_fail() {
	local want=$1 pat=$2 rc=0; shift 2
	inC "$LIFEBOAT" "$@" >out.txt 2>err.txt || rc=$?
	[ "$rc" != 0 ] || { cat err.txt >&2; fail "lifeboat $* succeeded"; }
	[ "$want" = any ] || [ "$rc" = "$want" ] || { cat err.txt >&2; fail "lifeboat $* exited $rc, wanted $want"; }
	grep -Eqi -- "$pat" err.txt || { cat err.txt >&2; fail "lifeboat $* did not say /$pat/"; }
}
mkdir -p home repo

# --- fixtures: a real GPT disk, its local image, a local restore onto old random data
build_gpt_disk src.img
src_sum=$(sum src.img)
size_mib=$(( $(stat -c %s src.img) >> 20 ))
lb backup src.img local.lbi --quiet
# one set of old random data for every target: what a restore does not write (free space) stays
random_target old.img "$size_mib"
cp old.img ref.img
lb restore local.lbi ref.img --yes --quiet

# --- URLs refused before any connection
lb_expect_fail 2 "password in the URL" verify ssh://root:secret@$SA/x.lbi
lb_expect_fail 2 "needs a user" verify ssh://$SA/x.lbi
lb_expect_fail 2 "port must be" verify ssh://root@$SA:99999/x.lbi
lb_expect_fail 2 "names a folder" verify http://$SA/dir/
lb_expect_fail 2 "share and a file" verify smb://$SA/share
lb_expect_fail 2 "for restore and verify" backup src.img http://$SA/x.lbi
lb_expect_fail 2 "add --yes" restore ssh://root@$SA/x.lbi ref.img
lb_expect_fail 2 "at random" info ssh://root@$SA/x.lbi

# --- ssh: sshd with a key made here
mkdir -p /run/sshd
ssh-keygen -q -t ed25519 -N '' -f hostkey
dropbearkey -t ed25519 -f client.key >/dev/null 2>&1
dropbearkey -y -f client.key | grep '^ssh-' >authorized_keys
cat >sshd_config <<EOF
Port 2222
ListenAddress $SA
HostKey $T/hostkey
PidFile $T/sshd.pid
AuthorizedKeysFile $T/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
StrictModes no
UsePAM no
EOF
ip netns exec "$S" /usr/sbin/sshd -D -e -f "$T/sshd_config" 2>sshd.log &
SSHD=$!
PIDS+=("$SSHD")
printf 'identity=%s\n' "$T/client.key" >ssh.cred
for i in $(seq 100); do ip netns exec "$S" ss -ltn | grep -q ":2222" && break; sleep 0.1; done
R=ssh://root@$SA:2222$T/repo
lbC backup src.img "$R/pc.lbi" --credentials ssh.cred --quiet || { cat sshd.log; fail "backup to ssh"; }
[ -f repo/pc.lbi ] && [ ! -e repo/pc.lbi.part ] || { ls -l repo; fail "ssh backup: no pc.lbi, or a .part left"; }
lbC verify "$R/pc.lbi" --credentials ssh.cred --quiet >/dev/null || fail "verify over ssh"
lb verify repo/pc.lbi --quiet >/dev/null || fail "the image the server holds does not verify"
cp old.img t.img
LIFEBOAT_CREDENTIALS=$T/ssh.cred lbC restore "$R/pc.lbi" t.img --yes --quiet || fail "restore from ssh"
cmp t.img ref.img || fail "restore from ssh differs from a local restore"
echo "ok: ssh backup, verify, restore"

# a password in the credentials file: handed to dbclient in its environment, never on a command
# line (ps) and never in a message
printf 'identity=%s\npassword=Pw-Not-In-Ps-%s\n' "$T/client.key" "$$" >pw.cred
inC "$LIFEBOAT" backup src.img "$R/pw.lbi" --credentials pw.cred >out.txt 2>err.txt &
lbpid=$!
seen=0
while kill -0 "$lbpid" 2>/dev/null; do
	ps -eo args | grep -v grep | grep -q "Pw-Not-In-Ps-$$" && seen=1
	sleep 0.05
done
wait "$lbpid" || { cat err.txt; fail "backup with a password in the credentials file"; }
[ $seen = 0 ] || fail "the password was visible in ps"
grep -q "Pw-Not-In-Ps" err.txt out.txt && fail "the password was printed"
lb verify repo/pw.lbi --quiet >/dev/null || fail "the image written with a password credential does not verify"
# trailing bytes after the image (an appended copy, a sloppy upload): the stream is read to its
# end, the transfer ends well, the restore counts
cp repo/pc.lbi repo/tail.lbi && head -c 300000 /dev/urandom >>repo/tail.lbi
cp old.img t.img
lbC restore "$R/tail.lbi" t.img --yes --credentials ssh.cred --quiet || fail "restore of an image with bytes after its end"
cmp t.img ref.img || fail "restore of an image with bytes after its end differs"

# a path with a space and a quote is one word for the server's shell
mkdir -p "repo/it's here"
lbC backup src.img "$R/it's%20here/pc.lbi" --credentials ssh.cred --quiet || fail "ssh path with ' and space"
cmp "repo/it's here/pc.lbi" repo/pc.lbi >/dev/null 2>&1 || lb verify "repo/it's here/pc.lbi" --quiet >/dev/null ||
	fail "the quoted path holds no good image"
# a missing folder on the server: a clear error, nothing left
lbC_fail 1 "server $SA.*(No such file|can't create|cannot create)" backup src.img "$R/nodir/pc.lbi" --credentials ssh.cred --quiet
# a key the server does not know, and no terminal to ask a password on: refused, named
dropbearkey -t ed25519 -f other.key >/dev/null 2>&1
printf 'identity=%s\n' "$T/other.key" >other.cred
lbC_fail any "server $SA" verify "$R/pc.lbi" --credentials other.cred </dev/null

# --- http: restore and verify
ip netns exec "$S" python3 -m http.server --bind "$SA" 8080 --directory "$T/repo" >http.log 2>&1 &
HTTPD=$!
PIDS+=("$HTTPD")
for i in $(seq 100); do ip netns exec "$S" ss -ltn | grep -q ":8080" && break; sleep 0.1; done
H=http://$SA:8080
lbC verify "$H/pc.lbi" --quiet >/dev/null || { cat http.log; fail "verify over http"; }
cp old.img t.img
lbC restore "$H/pc.lbi" t.img --yes --quiet || fail "restore over http"
cmp t.img ref.img || fail "restore over http differs from a local restore"
lbC_fail 1 "server $SA.*404" verify "$H/missing.lbi"
echo "ok: http verify, restore"
# the stick has no curl: busybox wget (the stick's, when built) in a PATH without curl
BB=${LB_BUSYBOX:-$(dirname "$LIFEBOAT")/boot/busybox}
if [ -x "$BB" ]; then
	mkdir -p bbin && ln -sf "$BB" bbin/wget
	cp old.img t.img
	inC env PATH="$T/bbin" "$LIFEBOAT" restore "$H/pc.lbi" t.img --yes --quiet || fail "restore over http with busybox wget"
	cmp t.img ref.img || fail "restore over http (busybox wget) differs from a local restore"
	echo "ok: http restore with busybox wget"
else
	echo "SKIP part: busybox wget (no $BB: make busybox, or LB_BUSYBOX=)"
fi

# --- servers killed mid-transfer; the link slowed so that a transfer takes seconds
random_disk big.img 48
lb backup big.img repo/big.lbi --quiet
big_sum=$(sum repo/big.lbi)
ip netns exec "$S" tc qdisc add dev "vs$$" root tbf rate 40mbit burst 64kb latency 200ms
ip netns exec "$C" tc qdisc add dev "vc$$" root tbf rate 40mbit burst 64kb latency 200ms
part_grew() { [ "$(stat -c %s repo/big.lbi.part 2>/dev/null || echo 0)" -gt 4000000 ]; }
killed_run() { # WHEN PID ARGS...: run lifeboat; once WHEN (seconds, or a command) holds, kill
	local when=$1 parent=$2 rc=0 i; shift 2   # the server PID and its children
	inC "$LIFEBOAT" "$@" >out.txt 2>err.txt &
	local lbpid=$!
	case $when in
	[0-9]*) sleep "$when" ;;
	*) for i in $(seq 300); do "$when" && break; sleep 0.05; done; "$when" || fail "$when: never" ;;
	esac
	for c in $(ps -o pid= --ppid "$parent"); do kill -9 "$c" 2>/dev/null || true; done
	kill -9 "$parent" 2>/dev/null || true
	wait "$lbpid" || rc=$?
	echo "$rc"
}
# backup over the old image: killed, so no new image, the old one as it was
rc=$(killed_run part_grew "$SSHD" backup big.img "$R/big.lbi" --credentials ssh.cred --quiet)
[ "$rc" != 0 ] || { cat err.txt; fail "a backup whose server was killed exited 0"; }
grep -q "server $SA" err.txt && grep -q "$R/big.lbi" err.txt || { cat err.txt; fail "killed backup: server and repository not named"; }
grep -qi "did NOT complete\|failed\|broken pipe" err.txt || { cat err.txt; fail "killed backup: no clear error"; }
[ "$(sum repo/big.lbi)" = "$big_sum" ] || fail "a killed backup changed the image of that name"
[ ! -e repo/big.lbi.part ] || echo "    (the server was gone: repo/big.lbi.part stays, never under the final name)"
sed "s/^/    /" err.txt | tr "\r" "\n" | grep -v "^ *$" | tail -4
echo "ok: ssh server killed during a backup: exit $rc"
# restart sshd for the restore case
ip netns exec "$S" /usr/sbin/sshd -D -e -f "$T/sshd_config" 2>>sshd.log &
SSHD=$!
PIDS+=("$SSHD")
for i in $(seq 100); do ip netns exec "$S" ss -ltn | grep -q ":2222" && break; sleep 0.1; done
random_target tb.img 48
rc=$(killed_run 1.5 "$SSHD" restore "$R/big.lbi" tb.img --yes --credentials ssh.cred --quiet)
[ "$rc" != 0 ] || { cat err.txt; fail "a restore whose ssh server was killed exited 0"; }
grep -q "server $SA" err.txt && grep -q "NOT complete" err.txt || { cat err.txt; fail "killed ssh restore: unclear error"; }
sed "s/^/    /" err.txt
echo "ok: ssh server killed during a restore: exit $rc"
rc=$(killed_run 1.5 "$HTTPD" verify "$H/big.lbi" --quiet)
[ "$rc" != 0 ] || { cat err.txt; fail "a verify whose http server was killed exited 0"; }
grep -q "server $SA" err.txt && grep -q "$H/big.lbi" err.txt || { cat err.txt; fail "killed http verify: server and repository not named"; }
grep -q ": OK" out.txt && fail "a verify cut short said OK"
sed "s/^/    /" err.txt
echo "ok: http server killed during a verify: exit $rc"
if [ -x "$BB" ]; then   # busybox wget may end 0 on a cut: the image's own checks must say so
	ip netns exec "$S" python3 -m http.server --bind "$SA" 8080 --directory "$T/repo" >>http.log 2>&1 &
	HTTPD=$!
	PIDS+=("$HTTPD")
	for i in $(seq 100); do ip netns exec "$S" ss -ltn | grep -q ":8080" && break; sleep 0.1; done
	rc=0
	inC env PATH="$T/bbin" "$LIFEBOAT" verify "$H/big.lbi" --quiet >out.txt 2>err.txt &
	lbpid=$!
	sleep 1.5
	kill -9 "$HTTPD"
	wait "$lbpid" || rc=$?
	[ "$rc" != 0 ] && ! grep -q ": OK" out.txt || { cat err.txt; fail "busybox wget: a cut verify passed"; }
	grep -q "$H/big.lbi" err.txt || { cat err.txt; fail "busybox wget: the repository is not named"; }
	sed "s/^/    /" err.txt
	echo "ok: http server killed during a verify with busybox wget: exit $rc"
fi

# --- nfs:// and smb://: the kernel's clients
modprobe cifs 2>/dev/null || true
modprobe nfs 2>/dev/null || true
if ! grep -qw cifs /proc/filesystems; then
	lbC_fail 1 "this kernel has no SMB client" verify "smb://$SA/share/pc.lbi"
	echo "SKIP part: smb:// (this host kernel has no cifs client; the refusal is clear)"
else
	echo "SKIP part: smb:// end to end is not written yet (the host kernel has cifs)"
fi
if ! grep -qw nfs /proc/filesystems && ! grep -qw nfs4 /proc/filesystems; then
	lbC_fail 1 "this kernel has no NFS client" verify "nfs://$SA/export/pc.lbi"
	echo "SKIP part: nfs:// (this host kernel has no NFS client; the refusal is clear)"
else
	echo "SKIP part: nfs:// end to end is not written yet (the host kernel has nfs)"
fi
ls -d /tmp/lifeboat-repo.* 2>/dev/null && fail "a mount folder was left behind"

[ "$(sum src.img)" = "$src_sum" ] || fail "the source changed"
echo "netrepo: ok"
