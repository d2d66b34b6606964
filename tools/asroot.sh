#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Run a command as root: directly, through sudo, or not at all.
if [ "$(id -u)" -eq 0 ]; then
	exec "$@"
elif command -v sudo >/dev/null 2>&1; then
	exec sudo -E "$@"
fi
echo "runner: root is needed (eBPF and network namespaces): $*" >&2
exit 1
