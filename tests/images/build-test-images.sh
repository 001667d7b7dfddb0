#!/usr/bin/env bash
# Builds CriShim's test images from Debian's busybox-static with umoci and pushes them with skopeo.
#
# usage: build-test-images.sh REGISTRY        e.g. 127.0.0.1:5000 (plain HTTP)
#
# Pushed (REG = REGISTRY):
#   REG/busybox:1.35, REG/library/busybox:1.35   Docker schema 2, gzip, one layer: /bin/busybox with applets
#                                                (hard links; /bin/sh a symlink), /etc/passwd+group (root, www-data, nobody)
#   REG/crishim-test/multilayer:latest            OCI, 3 layers: busybox; + /data/{keep,gone,old/a}; + whiteout of
#                                                /data/gone, opaque /data/old (with /data/old/b), /data/new
#   REG/crishim-test/multiarch:latest             OCI index: linux/amd64 busybox + linux/arm64 image with /WRONG-PLATFORM
#                                                (the other way round on arm64 machines)
#   REG/crishim-test/zstd:latest                  OCI, zstd layers
#   REG/crishim-test/plain:latest                 OCI, uncompressed layers
#   REG/crishim-test/nonroot:latest               busybox with USER www-data:33 and a second layer with /home/www
#   REG/crishim-test/sibling:latest               busybox + one small layer (shares the base layer with busybox:1.35)
#   REG/crishim-test/setuid:latest                busybox + /usr/bin/suid-id: a setuid-root copy of the host's id(1), which
#                                                host users must never get to run as root from the unpacked layer
#   REG/crishim-test/user-{uid,username,uid-group,username-group}:latest
#                                                busybox with USER 1002, www-data, 1003:1004, www-data:1004
#   REG/crishim-test/image-{1,2,3}:latest         three different images; REG/crishim-test/tags:{1,2,3} one image
set -euo pipefail

REG=${1:?usage: build-test-images.sh REGISTRY}
ARCH=$(dpkg --print-architecture 2>/dev/null || echo amd64)
OTHER=arm64; [ "$ARCH" = arm64 ] && OTHER=amd64
BB=/bin/busybox
for tool in umoci skopeo jq; do command -v "$tool" >/dev/null || { echo "missing $tool (make deps)" >&2; exit 1; }; done
[ -x "$BB" ] || { echo "missing $BB (busybox-static)" >&2; exit 1; }

W=$(mktemp -d /tmp/crishim-test-images.XXXXXX)
trap 'rm -rf "$W"' EXIT
L=$W/oci
umoci init --layout "$L"
export SOURCE_DATE_EPOCH=1700000000

base_rootfs() { # ROOTFS
  local r=$1
  mkdir -p "$r"/{bin,etc,root,home,tmp,var/www,usr/bin,usr/sbin}
  chmod 1777 "$r/tmp"; chmod 700 "$r/root"
  cp "$BB" "$r/bin/busybox"
  for a in $("$BB" --list); do
    case "$a" in busybox|sh) ;; *) ln -f "$r/bin/busybox" "$r/bin/$a" ;; esac
  done
  ln -s busybox "$r/bin/sh"
  cat >"$r/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
P
  cat >"$r/etc/group" <<'G'
root:x:0:
daemon:x:1:
www-data:x:33:
users:x:100:
nogroup:x:65534:
G
}

layer() { # TAG FROM-TAG|"" FUNC: new image TAG = FROM + one layer made by FUNC ROOTFS
  local tag=$1 from=$2 fn=$3 b=$W/bundle
  if [ -n "$from" ]; then umoci unpack --image "$L:$from" "$b" >/dev/null; umoci tag --image "$L:$from" "$tag"
  else umoci new --image "$L:$tag"; umoci unpack --image "$L:$tag" "$b" >/dev/null; fi
  "$fn" "$b/rootfs"
  umoci repack --image "$L:$tag" "$b"
  rm -rf "$b"
}
raw_layer() { # TAG DIR: add DIR's content (taken literally, whiteout files included) as a new layer of TAG
  tar -C "$2" --numeric-owner --owner=0 --group=0 -cf "$W/raw.tar" .
  umoci raw add-layer --image "$L:$1" "$W/raw.tar"
}
config() { local tag=$1; shift; umoci config --image "$L:$tag" --architecture "$ARCH" --os linux --no-history "$@"; }
PATHENV=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

layer busybox "" base_rootfs
config busybox --config.env "$PATHENV" --config.cmd sh

# multilayer: base, then data, then a raw layer with a whiteout and an opaque directory
data_files() { mkdir -p "$1/data/old"; echo keep >"$1/data/keep"; echo gone >"$1/data/gone"; echo a >"$1/data/old/a"; }
layer multilayer busybox data_files
mkdir -p "$W/upper/data/old"
: >"$W/upper/data/.wh.gone"
: >"$W/upper/data/old/.wh..wh..opq"
echo b >"$W/upper/data/old/b"
echo new >"$W/upper/data/new"
raw_layer multilayer "$W/upper"
config multilayer --config.env "$PATHENV" --config.cmd sh --config.label org.crishim.test=multilayer

nonroot_files() { mkdir -p "$1/home/www"; chown 33:33 "$1/home/www"; echo hi >"$1/home/www/index.html"; }
layer nonroot busybox nonroot_files
config nonroot --config.env "$PATHENV" --config.cmd sh --config.user www-data:33 --config.workingdir /home/www \
  --config.exposedports 8080/tcp --config.stopsignal SIGQUIT

sibling_files() { echo sibling >"$1/sibling"; }
layer sibling busybox sibling_files
config sibling --config.env "$PATHENV" --config.cmd sh

setuid_files() { mkdir -p "$1/usr/bin"; cp /usr/bin/id "$1/usr/bin/suid-id"; chown 0:0 "$1/usr/bin/suid-id"; chmod 4755 "$1/usr/bin/suid-id"; }
layer setuid busybox setuid_files
config setuid --config.env "$PATHENV" --config.cmd sh

# critest-style user images: the config's User in each spelling
for u in 1002:uid www-data:username 1003:1004:uid-group www-data:1004:username-group; do
  user=${u%:*}; name=${u##*:}
  umoci tag --image "$L:busybox" "user-$name"
  config "user-$name" --config.user "$user"
done
# three tags of one image, and three images of one repository each with a file of their own
tagged_file() { echo "$TAGGED" >"$1/$TAGGED"; }
for n in 1 2 3; do TAGGED=image-$n layer "image-$n" busybox tagged_file; done

wrong_platform() { echo "this is not the $ARCH image" >"$1/WRONG-PLATFORM"; }
layer other-arch "" wrong_platform
umoci config --image "$L:other-arch" --architecture "$OTHER" --os linux --no-history --config.cmd /WRONG-PLATFORM

# multiarch: an OCI index over busybox (this platform) and other-arch
desc() { # TAG -> manifest descriptor with platform
  local m cfg plat
  m=$(jq -c --arg t "$1" '.manifests[] | select(.annotations."org.opencontainers.image.ref.name"==$t)' "$L/index.json")
  cfg=$(jq -r .config.digest "$L/blobs/sha256/$(echo "$m" | jq -r .digest | cut -d: -f2)")
  plat=$(jq -c '{architecture, os}' "$L/blobs/sha256/${cfg#sha256:}")
  echo "$m" | jq -c --argjson p "$plat" '{mediaType, digest, size, platform: $p}'
}
jq -cn --argjson a "$(desc other-arch)" --argjson b "$(desc busybox)" \
  '{schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: [$a, $b]}' | tr -d '\n' >"$W/idx.json"
dg=$(sha256sum "$W/idx.json" | cut -d' ' -f1); sz=$(stat -c %s "$W/idx.json")
cp "$W/idx.json" "$L/blobs/sha256/$dg"
jq --arg d "sha256:$dg" --argjson s "$sz" '.manifests += [{mediaType: "application/vnd.oci.image.index.v1+json",
  digest: $d, size: $s, annotations: {"org.opencontainers.image.ref.name": "multiarch"}}]' \
  "$L/index.json" >"$W/index.json" && mv "$W/index.json" "$L/index.json"

push() { # TAG DEST [skopeo flags]
  local tag=$1 dest=$2; shift 2
  skopeo copy --quiet --dest-tls-verify=false "$@" "oci:$L:$tag" "docker://$REG/$dest"
  echo "pushed $REG/$dest"
}
push busybox busybox:1.35 --format v2s2
push busybox library/busybox:1.35 --format v2s2
push multilayer crishim-test/multilayer:latest
push multiarch crishim-test/multiarch:latest --all
for name in uid username uid-group username-group; do push "user-$name" "crishim-test/user-$name:latest"; done
for n in 1 2 3; do push "image-$n" "crishim-test/image-$n:latest"; push image-1 "crishim-test/tags:$n"; done
# Recompress through a fresh layout: pushing straight would reuse the gzip blob the registry already has.
recompress() { # TAG NEWTAG skopeo-flags...
  local tag=$1 new=$2; shift 2
  skopeo copy --quiet "$@" "oci:$L:$tag" "oci:$W/recompressed:$new"
  skopeo copy --quiet --dest-tls-verify=false "oci:$W/recompressed:$new" "docker://$REG/crishim-test/$new:latest"
  echo "pushed $REG/crishim-test/$new:latest"
}
recompress busybox zstd --dest-compress-format zstd --dest-compress

# plain: busybox's layers stored uncompressed (skopeo 1.9 will not decompress between layouts)
blob() { echo "$L/blobs/sha256/${1#sha256:}"; }
add_blob() { local dg; dg=$(sha256sum "$1" | cut -d' ' -f1); mv "$1" "$L/blobs/sha256/$dg"; echo "sha256:$dg"; }
ref_desc() { jq -c --arg t "$1" '.manifests[] | select(.annotations."org.opencontainers.image.ref.name"==$t)' "$L/index.json"; }
manifest=$(blob "$(ref_desc busybox | jq -r .digest)")
layers='[]'
for d in $(jq -r '.layers[].digest' "$manifest"); do
  gzip -dc "$(blob "$d")" >"$W/plain.tar"
  size=$(stat -c %s "$W/plain.tar"); digest=$(add_blob "$W/plain.tar")
  layers=$(jq -c --arg d "$digest" --argjson s "$size" '. + [{mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $d, size: $s}]' <<<"$layers")
done
jq -c --argjson l "$layers" '.layers = $l' "$manifest" | tr -d '\n' >"$W/plain.json"
msize=$(stat -c %s "$W/plain.json"); mdigest=$(add_blob "$W/plain.json")
jq --arg d "$mdigest" --argjson s "$msize" '.manifests += [{mediaType: "application/vnd.oci.image.manifest.v1+json",
  digest: $d, size: $s, annotations: {"org.opencontainers.image.ref.name": "plain"}}]' "$L/index.json" >"$W/index.json"
mv "$W/index.json" "$L/index.json"
# skopeo would substitute the gzip blob it knows for the same content: upload with the registry API instead.
upload_blob() { # REPO DIGEST
  local loc sep
  loc=$(curl -fsS -D - -o /dev/null -X POST "http://$REG/v2/$1/blobs/uploads/" | tr -d '\r' | sed -n 's/^[Ll]ocation: *//p')
  case "$loc" in http*) ;; *) loc="http://$REG$loc" ;; esac
  sep='?'; case "$loc" in *\?*) sep='&' ;; esac
  curl -fsS -o /dev/null -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$(blob "$2")" "$loc${sep}digest=$2"
}
upload_blob crishim-test/plain "$(jq -r .config.digest "$(blob "$mdigest")")"
for d in $(jq -r '.layers[].digest' "$(blob "$mdigest")"); do upload_blob crishim-test/plain "$d"; done
curl -fsS -o /dev/null -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
  --data-binary "@$(blob "$mdigest")" "http://$REG/v2/crishim-test/plain/manifests/latest"
echo "pushed $REG/crishim-test/plain:latest"
push nonroot crishim-test/nonroot:latest
push sibling crishim-test/sibling:latest
push setuid crishim-test/setuid:latest
