#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The npm package the deploy tests validate Kubernetes manifests with
# (kubernetes-models: every kind's schema, offline), installed into
# BUILD/node/node_modules; never committed.  Node.js and npm come from the
# system (tools/deps.sh).
set -eu
BUILD=${BUILD:-build}
DIR=$BUILD/node
[ -d "$DIR/node_modules/kubernetes-models" ] && exit 0
command -v npm >/dev/null 2>&1 || {
	echo "node-deps: npm is missing (tools/deps.sh installs it)" >&2
	exit 1
}
mkdir -p "$DIR"
[ -f "$DIR/package.json" ] || echo '{"private": true}' >"$DIR/package.json"
npm install --prefix "$DIR" --no-audit --no-fund --silent \
	kubernetes-models@5.1.0 >&2
