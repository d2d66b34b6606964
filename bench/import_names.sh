#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `runner image import` of an archive whose index.json names one image
# NAMES times (bench.local/img:vN), into an empty store: what grows with
# the names alone (the import's and the commit's lookups of them).
# ROUNDS rounds alternate RUNNER and RUNNER2 (default build/runner both);
# prints the median CPU time (user + sys) of each and every run's.
#   NAMES=16000 RUNNER2=other/runner bench/import_names.sh [ROUNDS]  (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
NAMES=${NAMES:-16000}
RUNNER=${RUNNER:-build/runner}
RUNNER2=${RUNNER2:-$RUNNER}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 - "$tmp/names.tar" "$NAMES" <<'PY'
import hashlib, io, json, sys, tarfile

out, n = sys.argv[1], int(sys.argv[2])
MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
files = {"oci-layout": b'{"imageLayoutVersion":"1.0.0"}'}


def put(data):
    d = hashlib.sha256(data).hexdigest()
    files["blobs/sha256/" + d] = data
    return {"digest": "sha256:" + d, "size": len(data)}


layer = put(b"layer\n")
config = put(b"{}")
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
files["index.json"] = json.dumps({
    "schemaVersion": 2, "mediaType": MT_INDEX,
    "manifests": [dict(index, mediaType=MT_INDEX, annotations={
        "org.opencontainers.image.ref.name": "bench.local/img:v%d" % i})
        for i in range(n)]}).encode()
with tarfile.open(out, "w") as t:
    for name, data in files.items():
        ti = tarfile.TarInfo(name)
        ti.size = len(data)
        t.addfile(ti, io.BytesIO(data))
PY

# CPU time (user + sys, ms) of one import into an empty store
one() {
	rm -rf "$tmp/store"
	python3 - "$1" "$tmp/store" "$tmp/names.tar" "$NAMES" <<'PY'
import json, resource, subprocess, sys
runner, store, tar, n = sys.argv[1:5]
p = subprocess.run([runner, "image", "import", tar, "--store", store],
                   capture_output=True, text=True)
if p.returncode:
    sys.exit(p.stderr)
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.1f" % ((u.ru_utime + u.ru_stime) * 1000))
p = subprocess.run([runner, "image", "list", "-o", "json", "--store", store],
                   capture_output=True, text=True, check=True)
if len(json.loads(p.stdout)) != int(n):
    sys.exit("the import stored %d names" % len(json.loads(p.stdout)))
PY
}

a=() b=()
for _ in $(seq 1 "$ROUNDS"); do
	a+=("$(one "$RUNNER")")
	b+=("$(one "$RUNNER2")")
done
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
echo "NAMES=$NAMES rounds=$ROUNDS"
echo "RUNNER  $RUNNER: median $(median "${a[@]}") ms CPU (${a[*]})"
echo "RUNNER2 $RUNNER2: median $(median "${b[@]}") ms CPU (${b[*]})"
