# shellcheck shell=bash
# Shared library of tools/stack/stack.sh: logging, process and port checks, spawning and stopping,
# toolchain installs, status lines and the stack lock. Uses STACK_DIR, CACHE_DIR and BIN_DIR from stack.sh.

# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------
log() { printf '[stack] %s\n' "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

have() { command -v "$1" >/dev/null 2>&1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

APT_UPDATED=0
apt_install() {
  have apt-get || die "apt-get not found; install manually: $*"
  local sudo=()
  if ! is_root; then
    have sudo || die "need root (or sudo) to apt-get install: $*"
    sudo=(sudo)
  fi
  if [ "$APT_UPDATED" -eq 0 ]; then
    log "apt-get update"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    APT_UPDATED=1
  fi
  log "apt-get install $*"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
}

# port_open PORT -> 0 if something accepts TCP connections on 127.0.0.1:PORT
port_open() {
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

port_holder() {
  if have ss; then ss -ltnpH "sport = :$1" 2>/dev/null | head -n 3; fi
}

pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

read_pid() { if [ -f "$1" ]; then head -n 1 "$1" | tr -dc '0-9'; fi; }

# pid_matches PID PATTERN -> the process' command line contains PATTERN (guards against pid reuse)
pid_matches() {
  local pid="$1" pattern="$2"
  pid_alive "$pid" || return 1
  [ -r "/proc/$pid/cmdline" ] || return 0
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$pattern"
}

# tail_log FILE... : print the end of each log that exists
tail_log() {
  local f
  for f in "$@"; do
    [ -s "$f" ] || continue
    log "----- last lines of $f -----"
    tail -n 40 "$f" >&2 || true
    log "----- end of $f -----"
  done
}

# wait_until NAME TIMEOUT CHECK_FN LOGFILE... : poll CHECK_FN until it succeeds
wait_until() {
  local name="$1" timeout="$2" check="$3"
  shift 3
  local deadline=$((SECONDS + timeout))
  while ! "$check" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "ERROR: $name did not become ready within ${timeout}s"
      tail_log "$@"
      return 1
    fi
    sleep 0.5
  done
}

# spawn PIDFILE LOGFILE CMD... : start CMD detached (own session), record its pid
spawn() {
  local pidfile="$1" logfile="$2"
  shift 2
  # setsid: survive the caller's process group (jest, Ctrl-C in a terminal, ...).
  # In a non-interactive script the background child is not a group leader, so
  # setsid does not fork and $! is the service's own pid.
  # Lock fds 7-9 are closed so the service never holds stack.sh's locks.
  nohup setsid "$@" >>"$logfile" 2>&1 </dev/null 7>&- 8>&- 9>&- &
  echo $! >"$pidfile"
}

# stop_pid NAME PIDFILE PATTERN PORT [GRACE_SECONDS]: TERM, wait, then KILL
stop_pid() {
  local name="$1" pidfile="$2" pattern="$3" port="$4" grace="${5:-20}"
  local pid
  pid="$(read_pid "$pidfile")"
  if ! pid_matches "$pid" "$pattern"; then
    rm -f "$pidfile"
    not_running_msg "$name" "$port"
    return 0
  fi
  local t0
  t0="$(now)"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + grace))
  while pid_alive "$pid" && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
  if pid_alive "$pid"; then
    log "$name: still running after ${grace}s, sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
    while pid_alive "$pid"; do sleep 0.1; done
  fi
  rm -f "$pidfile"
  log "$name: stopped (pid $pid) in $(elapsed "$t0")"
}

not_running_msg() {
  if port_open "$2"; then
    log "$1: not started by this stack; leaving the process on port $2$(port_pid_suffix "$2") alone"
  else
    log "$1: not running"
  fi
}

# ensure_port_free NAME PORT... : fail clearly if a foreign process holds a port
ensure_port_free() {
  local name="$1" p
  shift
  for p in "$@"; do
    if port_open "$p"; then
      log "ERROR: $name cannot start: port $p on 127.0.0.1 is already in use by another process"
      port_holder "$p" >&2
      die "free the port or set the corresponding FLEXSYNC_*_PORT variable (see tools/stack/README.md)"
    fi
  done
}

# use_external NAME READY_FN PORT : a server this stack did not start already answers on
# PORT (another checkout's stack, docker compose, a manual start). Use it rather than fail.
use_external() {
  local name="$1" ready="$2" port="$3"
  port_open "$port" || return 1
  "$ready" >/dev/null 2>&1 || return 1
  log "$name: WARNING: a healthy $name not started by this stack already listens on 127.0.0.1:$port$(port_pid_suffix "$port"); using it (stop-service/down will not touch it)"
}

port_pid_suffix() {
  local p
  p="$(port_holder "$1" | grep -o 'pid=[0-9]*' | head -n 1 || true)"
  [ -n "$p" ] && printf ' (%s)' "$p"
  return 0
}

# ---------------------------------------------------------------------------
# Toolchain installs (each only when missing)
# ---------------------------------------------------------------------------
ensure_curl() { have curl || apt_install curl ca-certificates; }

ensure_java() {
  have java || apt_install openjdk-17-jre-headless
}

ensure_go() {
  have go && return 0
  [ -x /usr/local/go/bin/go ] && export PATH="/usr/local/go/bin:$PATH" && return 0
  die "go is not installed (needed once to build the Temporal CLI and stripe-mock into $BIN_DIR)"
}

# go_install_cached BINARY MODULE_PKG@VERSION : build into $BIN_DIR once, serialised by a lock
go_install_cached() {
  local bin="$1" target="$2"
  local dest="$BIN_DIR/$bin" stamp="$BIN_DIR/.$bin.version"
  local version="${target##*@}"
  if [ -x "$dest" ] && { [ ! -f "$stamp" ] || [ "$(cat "$stamp")" = "$version" ]; }; then
    [ -f "$stamp" ] || echo "$version" >"$stamp"
    return 0
  fi
  mkdir -p "$BIN_DIR"
  # Another stack.sh (or a manual build) may be building the same thing: wait for it.
  exec 8>"$BIN_DIR/.$bin.lock"
  if ! flock -n 8; then
    log "$bin: another build is in progress, waiting for it ..."
    flock 8
  fi
  if [ -x "$dest" ] && { [ ! -f "$stamp" ] || [ "$(cat "$stamp")" = "$version" ]; }; then
    exec 8>&-
    return 0
  fi
  # A build started by hand (e.g. `GOBIN=... go install <target>`) does not take our lock.
  local pkg="${target%@*}" waited=0
  while pgrep -f "go (install|build) .*$pkg" >/dev/null 2>&1; do
    [ "$waited" -eq 1 ] || log "$bin: waiting for a running 'go install $pkg' to finish ..."
    waited=1
    sleep 5
  done
  if [ -x "$dest" ]; then
    echo "$version" >"$stamp"
    exec 8>&-
    return 0
  fi
  ensure_go
  local t0 tmp
  t0="$(now)"
  tmp="$BIN_DIR/.build-$bin"
  rm -rf "$tmp" && mkdir -p "$tmp"
  log "$bin: building $target with $(go version | awk '{print $3}') (first run only; the Temporal CLI takes ~10 min on 2 cores) ..."
  local buildlog="$CACHE_DIR/build-$bin.log"
  if ! GOBIN="$tmp" GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=mod" CGO_ENABLED=0 go install "$target" >"$buildlog" 2>&1; then
    tail -n 40 "$buildlog" >&2
    exec 8>&-
    die "$bin: go install $target failed (full log: $buildlog)"
  fi
  mv -f "$tmp/$bin" "$dest"
  rm -rf "$tmp"
  echo "$version" >"$stamp"
  exec 8>&-
  log "$bin: built in $(elapsed "$t0")"
}

# ---------------------------------------------------------------------------
# Status lines and the stack lock
# ---------------------------------------------------------------------------
status_line() {
  # NAME STATE PORT PID [EXTRA]
  printf '%-16s %-8s port=%-6s pid=%-8s %s\n' "$1" "$2" "$3" "$4" "${5:-}"
}

# status_running NAME PORT PID [EXTRA] : our process is alive; is it serving yet?
status_running() {
  if port_open "$2"; then
    status_line "$1" running "$2" "$3" "${4:-}"
  else
    status_line "$1" starting "$2" "$3" "(process alive, port not open yet)"
    return 1
  fi
}

# status_not_ours NAME PORT : our process is not running; is someone else serving the port?
status_not_ours() {
  if port_open "$2"; then
    local pid
    pid="$(port_pid_suffix "$2" | tr -dc '0-9')"
    status_line "$1" external "$2" "${pid:--}" "(not started by this stack)"
    return 0
  fi
  status_line "$1" stopped "$2" "-"
  return 1
}

with_lock() {
  mkdir -p "$STACK_DIR"
  exec 9>"$STACK_DIR/.lock"
  if ! flock -n 9; then
    log "another stack.sh is running in $STACK_DIR, waiting for it ..."
    flock 9
  fi
}
