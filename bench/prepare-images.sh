#!/usr/bin/env bash
# Puts the benchmark's images into a registry (only those it lacks):
#   library/busybox:1.35   from the project's test-image script (tests/images/build-test-images.sh)
#   pause:3.9              containerd's sandbox image: runtime/Infra/pause.c, static, alone in its image
#   bench/threelayer:1     busybox + 8 MiB of incompressible data + 1000 small files: 3 layers
# usage: bench/prepare-images.sh HOST:PORT
set -euo pipefail
REG=$1
ROOT=$(cd "$(dirname "$0")/.." && pwd)

have() { skopeo inspect --tls-verify=false --raw "docker://$REG/$1" >/dev/null 2>&1; }

W=$(mktemp -d /tmp/crishim-bench-images.XXXXXX)
trap 'rm -rf "$W"' EXIT

if ! have library/busybox:1.35; then
  "$ROOT/tests/images/build-test-images.sh" "$REG" >&2
fi

if ! have pause:3.9; then
  gcc -static -Os -s -o "$W/pause" "$ROOT/runtime/Infra/pause.c"
  umoci init --layout "$W/pause-oci"
  umoci new --image "$W/pause-oci:p"
  umoci unpack --image "$W/pause-oci:p" "$W/pb" >/dev/null
  install -m 755 "$W/pause" "$W/pb/rootfs/pause"
  umoci repack --image "$W/pause-oci:p" "$W/pb"
  umoci config --image "$W/pause-oci:p" --os linux --architecture "$(dpkg --print-architecture)" --no-history \
    --config.entrypoint /pause --config.user 65535:65535
  skopeo copy --quiet --dest-tls-verify=false --format v2s2 "oci:$W/pause-oci:p" "docker://$REG/pause:3.9"
fi

if ! have bench/threelayer:1; then
  skopeo copy --quiet --src-tls-verify=false "docker://$REG/library/busybox:1.35" "oci:$W/src:busybox"
  umoci unpack --image "$W/src:busybox" "$W/busybox" >/dev/null
  umoci init --layout "$W/oci"
  umoci new --image "$W/oci:t"
  add_layer() { # FUNC: one more layer made by FUNC ROOTFS
    umoci unpack --image "$W/oci:t" "$W/b" >/dev/null
    "$1" "$W/b/rootfs"
    umoci repack --image "$W/oci:t" "$W/b"
    rm -rf "$W/b"
  }
  base() { cp -a "$W/busybox/rootfs/." "$1/"; }
  blob() { mkdir -p "$1/data"; head -c 8M /dev/urandom >"$1/data/blob"; }
  small() { mkdir -p "$1/data/small"; for i in $(seq 1000); do echo "file $i" >"$1/data/small/$i.txt"; done; }
  add_layer base; add_layer blob; add_layer small
  umoci config --image "$W/oci:t" --os linux --architecture "$(dpkg --print-architecture)" --no-history \
    --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --config.cmd sh
  skopeo copy --quiet --dest-tls-verify=false --format v2s2 "oci:$W/oci:t" "docker://$REG/bench/threelayer:1"
fi
echo "bench images ready on $REG" >&2
