#!/usr/bin/env bash
# Installs a default CNI network (bridge + host-local + portmap + loopback) when /etc/cni/net.d has none.
set -euo pipefail
dir=${CNI_CONF_DIR:-/etc/cni/net.d}
mkdir -p "$dir"
ls "$dir"/*.conflist "$dir"/*.conf >/dev/null 2>&1 && exit 0
cat >"$dir/10-crishim.conflist" <<'JSON'
{
  "cniVersion": "1.0.0",
  "name": "crishim",
  "plugins": [
    {
      "type": "bridge", "bridge": "crishim0", "isGateway": true, "ipMasq": true, "hairpinMode": true,
      "ipam": { "type": "host-local", "ranges": [[{ "subnet": "10.88.0.0/16" }]], "routes": [{ "dst": "0.0.0.0/0" }] }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } },
    { "type": "firewall" },
    { "type": "tuning" }
  ]
}
JSON
echo "installed default CNI network $dir/10-crishim.conflist"
