#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Store commands whose cost grows with the store, on stores written
# directly as OCI layouts (no build: thousands of images):
#   gc      `image remove` of one image from a store of N images (each an
#           index, a manifest, a config and a layer of its own: 4 blobs an
#           image), its garbage collection walking the blobs it keeps;
#           the store copied afresh for each run
#   import  `image import` into an empty store of an archive whose
#           index.json names one image N times (bench.local/img:vN);
#           DISTINCT=1: N images of their own (4N blobs staged)
# ROUNDS rounds alternate RUNNER and RUNNER2 (default build/runner both);
# prints the median CPU time (user + sys) of each and every run's.
#   N=2000 RUNNER2=other/runner bench/store_scale.sh gc|import [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=${1:?gc or import}
ROUNDS=${2:-5}
N=${N:-2000}
RUNNER=${RUNNER:-build/runner}
RUNNER2=${RUNNER2:-$RUNNER}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 - "$MODE" "$tmp" "$N" "${DISTINCT:-0}" <<'PY'
import hashlib, io, json, os, sys, tarfile

mode, tmp, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
distinct = sys.argv[4] == "1"
MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
REF = "org.opencontainers.image.ref.name"
files = {"oci-layout": b'{"imageLayoutVersion":"1.0.0"}'}


def put(data):
    d = hashlib.sha256(data).hexdigest()
    files["blobs/sha256/" + d] = data
    return {"digest": "sha256:" + d, "size": len(data)}


def image(i):
    """An image's index descriptor; its blobs in files."""
    layer = put(b"layer of image %d\n" % i)
    config = put(json.dumps({"image": i}).encode())
    manifest = put(json.dumps({
        "schemaVersion": 2, "mediaType": MT_MANIFEST,
        "config": dict(config,
                       mediaType="application/vnd.oci.empty.v1+json"),
        "layers": [dict(
            layer, mediaType="application/vnd.gadget.ebpf.program.v1+binary")],
    }).encode())
    return dict(put(json.dumps({
        "schemaVersion": 2, "mediaType": MT_INDEX,
        "manifests": [dict(manifest, mediaType=MT_MANIFEST,
                           platform={"architecture": "amd64",
                                     "os": "linux"})],
    }).encode()), mediaType=MT_INDEX)


if mode == "gc" or distinct:
    entries = [dict(image(i), annotations={REF: "bench.local/img:v%d" % i})
               for i in range(n)]
else:
    one = image(0)
    entries = [dict(one, annotations={REF: "bench.local/img:v%d" % i})
               for i in range(n)]
files["index.json"] = json.dumps({"schemaVersion": 2, "mediaType": MT_INDEX,
                                  "manifests": entries}).encode()
if mode == "gc":
    os.makedirs(os.path.join(tmp, "template", "blobs", "sha256"))
    for name, data in files.items():
        with open(os.path.join(tmp, "template", name), "wb") as f:
            f.write(data)
else:
    with tarfile.open(os.path.join(tmp, "names.tar"), "w") as t:
        for name, data in files.items():
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
PY

# CPU time (user + sys, ms) of one command; then a check of its result
one() {
	rm -rf "$tmp/store"
	if [ "$MODE" = gc ]; then
		cp -a "$tmp/template" "$tmp/store"
		set -- "$1" image remove bench.local/img:v0
	else
		set -- "$1" image import "$tmp/names.tar"
	fi
	python3 - "$tmp/store" "$@" <<'PY'
import resource, subprocess, sys
p = subprocess.run(sys.argv[2:] + ["--store", sys.argv[1]],
                   capture_output=True, text=True)
if p.returncode:
    sys.exit(p.stderr)
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.1f" % ((u.ru_utime + u.ru_stime) * 1000))
PY
	if [ "$MODE" = gc ]; then
		want=$((N * 4 - 4))
		got=$(find "$tmp/store/blobs/sha256" -type f | wc -l)
	else
		want=$N
		got=$("$1" image list -o json --store "$tmp/store" |
			python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')
	fi
	[ "$got" -eq "$want" ] || { echo "$MODE: $got, want $want" >&2; exit 1; }
}

a=() b=()
for _ in $(seq 1 "$ROUNDS"); do
	a+=("$(one "$RUNNER")")
	b+=("$(one "$RUNNER2")")
done
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
echo "$MODE N=$N DISTINCT=${DISTINCT:-0} rounds=$ROUNDS"
echo "RUNNER  $RUNNER: median $(median "${a[@]}") ms CPU (${a[*]})"
echo "RUNNER2 $RUNNER2: median $(median "${b[@]}") ms CPU (${b[*]})"
