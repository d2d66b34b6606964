#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Install the Debian 12 packages that the build, the tests and the
# benchmarks need; only what is missing, and apt-get update only then.
set -eu

BUILD_PKGS="gcc make pkg-config clang llvm libbpf-dev bpftool libelf-dev
zlib1g-dev libyaml-dev libjansson-dev libcurl4-openssl-dev libarchive-dev
libssl-dev nettle-dev libcmocka-dev clang-format linux-libc-dev libpcap-dev
libseccomp-dev libpcre2-dev cppcheck"
TEST_PKGS="iproute2 util-linux procps psmisc python3 jq dnsmasq-base dnsutils
busybox-static unbound docker-registry skopeo umoci apache2-utils openssl
podman runc dnsperf tcpdump libclang-rt-14-dev python3-yaml python3-cryptography python3-kubernetes docker.io
man-db bash-completion prometheus containerd catatonit iptables
tshark iperf3 sockperf strace curl linux-perf"

missing=""
for p in $BUILD_PKGS $TEST_PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "deps: root is needed to install:$missing" >&2
	exit 1
fi
echo "deps: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
