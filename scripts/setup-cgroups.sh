#!/usr/bin/env bash
# Host step for the crun runtime handler. On a hybrid cgroup host (v1 controllers under /sys/fs/cgroup plus a
# cgroup2 hierarchy at /sys/fs/cgroup/unified), crun refuses to run while cgroup2 holds any controller
# ("cgroups in hybrid mode not supported, drop all controllers from cgroupv2"). This moves each such controller
# (typically hugetlb) to a v1 hierarchy of its own, as on a classic v1 host; runc and runsc use it too, so
# hugepage limits then apply everywhere. Idempotent; a no-op on pure v1 or pure v2 hosts. Not persistent:
# `make deps` (run by `make run` and `make test`) repeats it after a reboot.
set -uo pipefail
root=/sys/fs/cgroup
unified=$root/unified/cgroup.controllers
[ -f "$root/cgroup.controllers" ] && exit 0   # pure cgroup v2
[ -f "$unified" ] || exit 0                   # pure cgroup v1
status=0
for c in $(cat "$unified"); do
  if mkdir -p "$root/$c" && mount -t cgroup -o "$c" cgroup "$root/$c"; then
    echo "cgroups: mounted the $c controller as a v1 hierarchy at $root/$c (for crun)"
  else
    echo "cgroups: could not move $c from cgroup2 to v1; the crun handler stays unavailable" >&2
    status=1
  fi
done
exit $status
