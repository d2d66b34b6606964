#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Build the node agent's OCI image with podman from what this host has (no
# download): the runner, the shared libraries ldd lists, busybox for the
# entrypoint script, CA certificates, /etc/passwd and /etc/group.
#   tools/agent-image.sh [BUILD] [TAG]
set -eu
BUILD=${1:-build}
VERSION=$(sed -n 's/^#define RUNNER_VERSION "\(.*\)"/\1/p' common/version.h)
TAG=${2:-localhost/runner-agent:$VERSION}
ROOTFS=$BUILD/agent/rootfs

rm -rf "$ROOTFS"
mkdir -p "$ROOTFS/usr/bin" "$ROOTFS/bin" "$ROOTFS/etc/ssl/certs" \
	"$ROOTFS/tmp" "$ROOTFS/var/lib/runner" "$ROOTFS/proc" "$ROOTFS/sys" \
	"$ROOTFS/dev" "$ROOTFS/run"
chmod 1777 "$ROOTFS/tmp"
cp "$BUILD/runner" "$ROOTFS/usr/bin/runner"
strip "$ROOTFS/usr/bin/runner"
# every library at the path the dynamic loader looks for it, with those
# the runner loads on first use (common/lazylib.h: their sonames are
# strings in the binary) and what they link
lazy=$(strings -a "$BUILD/runner" | grep -E '^lib[a-z0-9_]+[.]so([.][0-9]+)+$' |
	while read -r so; do
		ldconfig -p | awk -v so="$so" '$1 == so {print $NF; exit}'
	done)
# shellcheck disable=SC2086 # one path per word
{ echo "$lazy"; ldd "$BUILD/runner" $lazy; } |
	awk '/=> \//{print $3} /^\t\//{print $1} /^\/[^:]*$/{print}' |
	sort -u | while read -r lib; do
		mkdir -p "$ROOTFS$(dirname "$lib")"
		cp -L "$lib" "$ROOTFS$lib"
	done
cp /bin/busybox "$ROOTFS/bin/busybox"
ln -s busybox "$ROOTFS/bin/sh"
cp /etc/ssl/certs/ca-certificates.crt "$ROOTFS/etc/ssl/certs/"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' \
	>"$ROOTFS/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$ROOTFS/etc/group"
cp deploy/agent.sh "$ROOTFS/usr/bin/agent"
chmod 755 "$ROOTFS/usr/bin/agent"

tar -C "$ROOTFS" --numeric-owner --owner=0 --group=0 -c . |
	podman import --quiet \
		--change 'ENTRYPOINT ["/usr/bin/agent"]' \
		--change 'ENV RUNNER_STORE=/var/lib/runner/oci-store' \
		--change "LABEL org.opencontainers.image.version=$VERSION" \
		--change 'LABEL org.opencontainers.image.title=runner-agent' \
		- "$TAG" >/dev/null
size=$(podman image inspect -f '{{.Size}}' "$TAG")
echo "agent image: $TAG, $((size / 1048576)) MiB" >&2
