#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `runner image remove` of one image from a store of IMAGES images (each an
# index, a manifest, a config and a layer of its own: 4 blobs an image),
# the time of its garbage collection growing with the blobs it keeps.
# The store is written directly as an OCI layout (no build: thousands of
# images), copied afresh for each run. ROUNDS rounds alternate RUNNER
# and RUNNER2 (default build/runner both); prints the median CPU time
# (user + sys) of each and every run's.
#   IMAGES=2000 RUNNER2=other/runner bench/store_gc.sh [ROUNDS]   (default 9)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-9}
IMAGES=${IMAGES:-2000}
RUNNER=${RUNNER:-build/runner}
RUNNER2=${RUNNER2:-$RUNNER}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 - "$tmp/template" "$IMAGES" <<'EOF'
import hashlib, json, os, sys

top, n = sys.argv[1], int(sys.argv[2])
blobs = os.path.join(top, "blobs", "sha256")
os.makedirs(blobs)
MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def put(data):
    d = hashlib.sha256(data).hexdigest()
    with open(os.path.join(blobs, d), "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + d, "size": len(data)}


entries = []
for i in range(n):
    layer = put(b"layer of image %d\n" % i)
    config = put(json.dumps({"image": i}).encode())
    manifest = put(json.dumps({
        "schemaVersion": 2, "mediaType": MT_MANIFEST,
        "config": dict(config, mediaType="application/vnd.oci.empty.v1+json"),
        "layers": [dict(layer,
                        mediaType="application/vnd.gadget.ebpf.program.v1+binary")],
    }).encode())
    index = put(json.dumps({
        "schemaVersion": 2, "mediaType": MT_INDEX,
        "manifests": [dict(manifest, mediaType=MT_MANIFEST,
                           platform={"architecture": "amd64", "os": "linux"})],
    }).encode())
    entries.append(dict(index, mediaType=MT_INDEX, annotations={
        "org.opencontainers.image.ref.name": "bench.local/img:v%d" % i}))
with open(os.path.join(top, "index.json"), "w") as f:
    json.dump({"schemaVersion": 2, "mediaType": MT_INDEX,
               "manifests": entries}, f)
with open(os.path.join(top, "oci-layout"), "w") as f:
    f.write('{"imageLayoutVersion":"1.0.0"}')
EOF

# CPU time (user + sys, ms) of one remove of image v0 from a fresh copy
one() {
	rm -rf "$tmp/store"
	cp -a "$tmp/template" "$tmp/store"
	python3 - "$1" "$tmp/store" <<'EOF'
import os, resource, subprocess, sys
p = subprocess.run([sys.argv[1], "image", "remove", "bench.local/img:v0",
                    "--store", sys.argv[2]], capture_output=True, text=True)
if p.returncode:
    sys.exit(p.stderr)
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.1f" % ((u.ru_utime + u.ru_stime) * 1000))
EOF
	left=$(ls "$tmp/store/blobs/sha256" | wc -l)
	[ "$left" -eq $((IMAGES * 4 - 4)) ] ||
		{ echo "the remove left $left blobs" >&2; exit 1; }
}

a=() b=()
for _ in $(seq 1 "$ROUNDS"); do
	a+=("$(one "$RUNNER")")
	b+=("$(one "$RUNNER2")")
done
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
echo "IMAGES=$IMAGES blobs=$((IMAGES * 4)) rounds=$ROUNDS"
echo "RUNNER  $RUNNER: median $(median "${a[@]}") ms CPU (${a[*]})"
echo "RUNNER2 $RUNNER2: median $(median "${b[@]}") ms CPU (${b[*]})"
