#!/usr/bin/env bash
# Puts the benchmark's images into a registry (only those it lacks):
#   library/busybox:1.35   from the project's test-image script (tests/images/build-test-images.sh)
#   pause:3.9              containerd's sandbox image: runtime/Infra/pause.c, static, alone in its image
#   bench/threelayer:1     busybox + 8 MiB of incompressible data + 1000 small files: 3 layers
#   bench/sixlayer:1       ~50 MB in 6 layers: busybox, 16 + 12 + 12 MiB of incompressible data (one layer two
#                          files), 3000 small files of 1-4 KiB, 2000 tiny files in nested directories (issue #13)
# usage: bench/prepare-images.sh HOST:PORT
set -euo pipefail
REG=$1
ROOT=$(cd "$(dirname "$0")/.." && pwd)

have() { skopeo inspect --tls-verify=false --raw "docker://$REG/$1" >/dev/null 2>&1; }
add_layer() { # IMAGE FUNC: one more layer on the OCI image IMAGE (layout:tag), made by FUNC ROOTFS
  umoci unpack --image "$1" "$W/b" >/dev/null
  "$2" "$W/b/rootfs"
  umoci repack --image "$1" "$W/b"
  rm -rf "$W/b"
}
busybox_rootfs() { # unpacks busybox into $W/busybox once
  [ -d "$W/busybox" ] && return
  skopeo copy --quiet --src-tls-verify=false "docker://$REG/library/busybox:1.35" "oci:$W/src:busybox"
  umoci unpack --image "$W/src:busybox" "$W/busybox" >/dev/null
}
base() { cp -a "$W/busybox/rootfs/." "$1/"; }
push() { # IMAGE NAME: sets the runtime config and pushes
  umoci config --image "$1" --os linux --architecture "$(dpkg --print-architecture)" --no-history \
    --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --config.cmd sh
  skopeo copy --quiet --dest-tls-verify=false --format v2s2 "oci:$1" "docker://$REG/$2"
}

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
  busybox_rootfs
  umoci init --layout "$W/oci"
  umoci new --image "$W/oci:t"
  blob() { mkdir -p "$1/data"; head -c 8M /dev/urandom >"$1/data/blob"; }
  small() { mkdir -p "$1/data/small"; for i in $(seq 1000); do echo "file $i" >"$1/data/small/$i.txt"; done; }
  for f in base blob small; do add_layer "$W/oci:t" $f; done
  push "$W/oci:t" bench/threelayer:1
fi

if ! have bench/sixlayer:1; then
  busybox_rootfs
  umoci init --layout "$W/six"
  umoci new --image "$W/six:t"
  random16() { mkdir -p "$1/opt/a"; head -c 16M /dev/urandom >"$1/opt/a/blob"; }
  random12() { mkdir -p "$1/opt/b"; head -c 12M /dev/urandom >"$1/opt/b/blob"; }
  random6x2() { mkdir -p "$1/opt/c"; head -c 6M /dev/urandom >"$1/opt/c/one"; head -c 6M /dev/urandom >"$1/opt/c/two"; }
  # one process writes them all (a fork per file would take minutes)
  smallfiles() { python3 - "$1/usr/share/bench" <<'PY'
import os, random, sys
random.seed(13)
for i in range(3000):
    d = os.path.join(sys.argv[1], "d%02d" % (i % 30))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%04d.txt" % i), "wb") as f: f.write(os.urandom(random.randint(1024, 4096)))
PY
  }
  tinyfiles() { python3 - "$1/usr/lib/bench" <<'PY'
import os, sys
for i in range(2000):
    d = os.path.join(sys.argv[1], "p%d" % (i % 10), "q%d" % (i % 7), "r%d" % (i % 5))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "m%04d.py" % i), "w") as f: f.write("# module %d\nVALUE = %d\n" % (i, i))
PY
  }
  for f in base random16 smallfiles random12 tinyfiles random6x2; do add_layer "$W/six:t" $f; done
  push "$W/six:t" bench/sixlayer:1
fi
echo "bench images ready on $REG" >&2
