#!/usr/bin/env bash
# Installs the Debian packages the host build and the tests need, only when something is missing.
# Usage: scripts/install-deps.sh [host|boot|bench]...   (default: host)
set -euo pipefail
host=(build-essential pkg-config libext2fs-dev comerr-dev libdeflate-dev zlib1g-dev libncurses-dev
      libzstd-dev libxxhash-dev libsodium-dev ntfs-3g-dev libblkid-dev zstd xxhash
      e2fsprogs gdisk fdisk dosfstools mtools fusefat ntfs-3g util-linux tmux time shellcheck
      cryptsetup-bin lvm2 xfsprogs btrfs-progs   # tests/cli/probe_containers
      openssh-server dropbear-bin curl iproute2   # tests/cli/netrepo: sshd, dbclient, http
      udpcast   # tests/cli/multicast: udp-sender, udp-receiver (the stick has its own static ones)
      python3 dpkg-dev)   # dpkg-dev: apt-get source, for e2fsprogs' test images (tests/cli/ext_corrupt)
bench=(partclone pigz zstd time)
fuzz=(clang libclang-rt-14-dev)   # libFuzzer and the sanitizer runtimes for clang
want=()
for set in "${@:-host}"; do
  case "$set" in
    host) want+=("${host[@]}") ;;
    bench) want+=("${host[@]}" "${bench[@]}") ;;
    fuzz) want+=("${fuzz[@]}") ;;
    boot) [ -x scripts/boot-deps.sh ] && want+=($(scripts/boot-deps.sh)) ;;
    *) echo "install-deps: unknown set '$set' (host, boot, bench)" >&2; exit 2 ;;
  esac
done
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages; run as root:" >&2
  echo "  apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || true
apt-get install -y -qq "${missing[@]}"
