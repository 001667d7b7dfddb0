# CriShim's shim in front of a sandboxed OCI runtime (gVisor's runsc), used by conmon and by the daemon in
# place of the runtime binary. CriShim writes this file at start with REAL, SHIM_DIR and HIDE_PROC_SYS_NET set
# above this line. It fixes two things conmon cannot do with runsc alone:
#
# 1. A container that joins a sandbox gets its stdio at `start`, not at `create` (the sandbox already runs),
#    and has no host process of its own. So `create` leaves a small proxy behind, which conmon sees as the
#    container's process: the proxy holds conmon's stdio pipes, runs `runsc start` with them when the daemon
#    says `start`, then `runsc wait` and exits with the container's exit status.
# 2. runsc (2022 builds) decides that a network namespace is the host's when /proc/sys/net/core/rmem_default
#    exists in it, which newer kernels show in every namespace; the sandbox then refuses the pod's namespace.
#    `create` runs in a private mount namespace with /proc/sys/net hidden, so the check sees a pod namespace.

set -u

# The subcommand is the first word that is not a global flag; `--root DIR` is the one global taking a
# separate value (every other flag CriShim passes is written --flag=value).
globals=""
cmd=""
skip=0
for a in "$@"; do
  if [ "$skip" = 1 ]; then skip=0; continue; fi
  case "$a" in
    --root) skip=1 ;;
    -*) ;;
    *) cmd="$a"; break ;;
  esac
done
# The container ID: the last argument, except for `kill ID [SIGNAL]`.
id=""
seen=0
for a in "$@"; do
  if [ "$seen" = 1 ] && [ "$cmd" = kill ]; then
    case "$a" in -*) ;; *) [ -z "$id" ] && id="$a" ;; esac
  elif [ "$cmd" != kill ]; then
    id="$a"
  fi
  [ "$a" = "$cmd" ] && seen=1
done

# Globals exactly as given (everything before the subcommand), to repeat them on the proxy's runsc calls.
set_globals() {
  n=0
  skip=0
  for a in "$@"; do
    if [ "$skip" = 1 ]; then skip=0; n=$((n + 1)); continue; fi
    case "$a" in
      --root) skip=1; n=$((n + 1)) ;;
      -*) n=$((n + 1)) ;;
      *) break ;;
    esac
  done
  GLOBAL_COUNT=$n
}

# runsc with the pod network: the sandbox's network is set up at `start` (`run`), checked at `create`.
run_hidden() {
  hide="$HIDE_PROC_SYS_NET"
  for a in "$@"; do
    case "$a" in --network=host|--network=none) hide=0 ;; create|start|run) break ;; esac
  done
  if [ "$hide" = 1 ]; then
    unshare --mount --propagation private sh -c 'mount -t tmpfs -o size=4k,mode=0555 crishim-hide /proc/sys/net && exec "$0" "$@"' "$REAL" "$@"
  else
    "$REAL" "$@"
  fi
}

start_fifo="$SHIM_DIR/$id.start"
result_fifo="$SHIM_DIR/$id.result"

# The proxy: waits for `start` (or an abort from kill/delete), starts the container with conmon's stdio,
# then lives exactly as long as the container and exits with its status.
proxy() {
  read -r order < "$start_fifo" || order=abort
  if [ "$order" != go ]; then
    rm -f "$start_fifo" "$result_fifo"
    exit 137
  fi
  # The container's stdio is ours (conmon's pipes): runsc's own errors go to a log file instead.
  "$REAL" "$@" --log="$SHIM_DIR/$id.start-err" --log-format=text start "$id"
  rc=$?
  echo "$rc" > "$result_fifo"
  rm -f "$start_fifo" "$result_fifo"
  [ "$rc" = 0 ] || exit 255
  status=$("$REAL" "$@" wait "$id" 2>/dev/null | sed -n 's/.*"exitStatus":\([0-9-]*\).*/\1/p')
  # runsc reports the exit code, or 128+N for a container killed by signal N.
  [ -n "$status" ] && [ "$status" -ge 0 ] 2>/dev/null || exit 255
  exit "$status"
}

abort_proxy() {
  if [ -p "$start_fifo" ]; then
    # Non-blocking: only a waiting proxy has the fifo open for reading.
    (echo abort > "$start_fifo") 2>/dev/null &
    sleep 0.1
    kill $! 2>/dev/null
    rm -f "$start_fifo" "$result_fifo" "$SHIM_DIR/$id.start-err"
  fi
}

case "$cmd" in
create)
  bundle=""
  pidfile=""
  prev=""
  for a in "$@"; do
    case "$prev" in
      --bundle|-b) bundle="$a" ;;
      --pid-file) pidfile="$a" ;;
    esac
    case "$a" in
      --bundle=*) bundle="${a#--bundle=}" ;;
      --pid-file=*) pidfile="${a#--pid-file=}" ;;
    esac
    prev="$a"
  done
  # A pod on the host's network has no network namespace in its spec: the sandbox then uses the host's network
  # stack (netstack would take the host's interfaces over). `start` sets the network up, so it is remembered.
  if [ -n "$bundle" ] && ! grep -Eq '"type" *: *"network"' "$bundle/config.json"; then
    mkdir -p "$SHIM_DIR"
    : > "$SHIM_DIR/$id.hostnet"
    set -- --network=host "$@"
  fi
  run_hidden "$@" || { rc=$?; rm -f "$SHIM_DIR/$id.hostnet"; exit $rc; }
  if [ -n "$bundle" ] && grep -Eq '"io\.kubernetes\.cri\.container-type" *: *"container"' "$bundle/config.json"; then
    mkdir -p "$SHIM_DIR"
    rm -f "$start_fifo" "$result_fifo"
    mkfifo -m 600 "$start_fifo" "$result_fifo" || exit 1
    set_globals "$@"
    g=$GLOBAL_COUNT
    # Keep only the globals as the proxy's arguments.
    i=0
    for a in "$@"; do
      shift
      if [ "$i" -lt "$g" ]; then set -- "$@" "$a"; fi
      i=$((i + 1))
    done
    # A background job's stdin would be /dev/null: hand it conmon's stdin through fd 3.
    exec 3<&0
    proxy "$@" <&3 3<&- &
    exec 3<&-
    if [ -n "$pidfile" ]; then echo $! > "$pidfile"; fi
  fi
  exit 0
  ;;
start)
  if [ -p "$start_fifo" ]; then
    echo go > "$start_fifo"
    read -r rc < "$result_fifo"
    if [ "$rc" != 0 ]; then grep -h "FATAL\|rror" "$SHIM_DIR/$id.start-err" >&2 2>/dev/null; fi
    rm -f "$SHIM_DIR/$id.start-err"
    exit "$rc"
  fi
  if [ -f "$SHIM_DIR/$id.hostnet" ]; then set -- --network=host "$@"; fi
  run_hidden "$@"
  ;;
run)
  run_hidden "$@"
  ;;
kill|delete)
  "$REAL" "$@"
  rc=$?
  if [ -p "$start_fifo" ]; then abort_proxy; rc=0; fi
  [ "$cmd" = delete ] && [ "$rc" = 0 ] && rm -f "$SHIM_DIR/$id.hostnet"
  exit $rc
  ;;
exec)
  # A process exec'd into a sandbox has no host pid: its pid file names the waiting `runsc exec`. Record its
  # pid inside the sandbox beside it (PIDFILE.internal), so a timed-out exec can be killed with `kill --pid`.
  pidfile=""
  prev=""
  for a in "$@"; do
    [ "$prev" = --pid-file ] && pidfile="$a"
    case "$a" in --pid-file=*) pidfile="${a#--pid-file=}" ;; esac
    prev="$a"
  done
  # runsc takes the terminal from the process spec and the console socket; it has no --tty flag.
  done_cmd=0
  for a in "$@"; do
    shift
    if [ "$done_cmd" = 1 ] && [ "$a" = --tty ]; then continue; fi
    set -- "$@" "$a"
    if [ "$done_cmd" = 0 ] && [ "$a" = exec ]; then
      [ -n "$pidfile" ] && set -- "$@" "--internal-pid-file=$pidfile.internal"
      done_cmd=1
    fi
  done
  exec "$REAL" "$@"
  ;;
*)
  exec "$REAL" "$@"
  ;;
esac
