#!/usr/bin/env bash
# Local development / test stack for FlexPrice Stripe Sync, without Docker.
#
#   bash tools/stack/stack.sh up                  install what is missing, start everything, write stack.env
#   bash tools/stack/stack.sh status              one line per service; exit 1 if any is down
#   bash tools/stack/stack.sh down [--purge]      stop everything (keep data unless --purge)
#   bash tools/stack/stack.sh stop-service NAME   stop one service (fault tests)
#   bash tools/stack/stack.sh start-service NAME  start one service again and wait until ready
#   bash tools/stack/stack.sh restart-service NAME
#   bash tools/stack/stack.sh kill-service NAME   SIGKILL one service (crash simulation)
#   bash tools/stack/stack.sh env                 print stack.env
#   bash tools/stack/stack.sh write-env           only (re)write stack.env (e.g. after docker compose up)
#   bash tools/stack/stack.sh logs NAME [N]       tail a service's log
#   bash tools/stack/stack.sh kafka-secure up|down|status|env   optional SCRAM + ACL broker (not part of up)
#
# Services: postgres clickhouse kafka temporal stripe-mock stripe-emulator
# See tools/stack/README.md for ports, environment variables and the cache layout.
set -euo pipefail

# ---------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"

CACHE_DIR="$(realpath -m "${FLEXSYNC_CACHE:-$HOME/.cache/flexprice-stripe-sync}")"
STACK_DIR="$(realpath -m "${FLEXSYNC_STACK_DIR:-$REPO_ROOT/.stack}")"
BIN_DIR="$CACHE_DIR/bin"

PG_PORT="${FLEXSYNC_PG_PORT:-55432}"
PG_DB="flexsync"
PG_BIN="${FLEXSYNC_PG_BIN:-/usr/lib/postgresql/15/bin}"

CH_HTTP_PORT="${FLEXSYNC_CH_HTTP_PORT:-18123}"
CH_TCP_PORT="${FLEXSYNC_CH_TCP_PORT:-19000}"
CH_INTERSERVER_PORT="${FLEXSYNC_CH_INTERSERVER_PORT:-19009}"
CH_DB="flexprice"

KAFKA_VERSION="4.1.1" # keep in sync with tools/kafka/pom.xml
KAFKA_PORT="${FLEXSYNC_KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${FLEXSYNC_KAFKA_CONTROLLER_PORT:-19093}"
KAFKA_HOME="$CACHE_DIR/kafka-$KAFKA_VERSION"
KAFKA_HEAP_OPTS="${FLEXSYNC_KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"

TEMPORAL_CLI_VERSION="v1.5.1"
TEMPORAL_PORT="${FLEXSYNC_TEMPORAL_PORT:-17233}"
TEMPORAL_HTTP_PORT="${FLEXSYNC_TEMPORAL_HTTP_PORT:-17243}"
TEMPORAL_METRICS_PORT="${FLEXSYNC_TEMPORAL_METRICS_PORT:-17244}"
TEMPORAL_NAMESPACE="default"

STRIPE_MOCK_VERSION="v0.197.0"
STRIPE_MOCK_PORT="${FLEXSYNC_STRIPE_MOCK_PORT:-12111}"
STRIPE_MOCK_HTTPS_PORT="${FLEXSYNC_STRIPE_MOCK_HTTPS_PORT:-12112}"

STRIPE_EMULATOR_PORT="${FLEXSYNC_STRIPE_EMULATOR_PORT:-12180}"
STRIPE_EMULATOR_ENTRY="${FLEXSYNC_STRIPE_EMULATOR_ENTRY:-$REPO_ROOT/tools/stripe-emulator/src/main.ts}"
RUN_TS="$REPO_ROOT/tools/dev/run-ts.js"

READY_TIMEOUT="${FLEXSYNC_READY_TIMEOUT:-120}" # seconds per service
ALL_SERVICES=(postgres clickhouse kafka temporal stripe-mock stripe-emulator)

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

install_postgres() {
  if [ ! -x "$PG_BIN/initdb" ] || [ ! -x "$PG_BIN/pg_ctl" ]; then
    local t0
    t0="$(now)"
    apt_install postgresql
    [ -x "$PG_BIN/pg_ctl" ] || die "postgres: $PG_BIN/pg_ctl still missing after installing 'postgresql' (expected PostgreSQL 15; set FLEXSYNC_PG_BIN)"
    log "postgres: installed in $(elapsed "$t0")"
  fi
}

# clickhouse-server lives in /usr/sbin, which a non-root PATH may lack
ch_server_bin() {
  command -v clickhouse-server 2>/dev/null || { [ -x /usr/sbin/clickhouse-server ] && echo /usr/sbin/clickhouse-server; } || true
}

install_clickhouse() {
  if [ -z "$(ch_server_bin)" ] || ! have clickhouse-client; then
    local t0
    t0="$(now)"
    apt_install clickhouse-server clickhouse-client
    log "clickhouse: installed in $(elapsed "$t0")"
  fi
}

install_kafka() {
  ensure_java
  if [ -f "$KAFKA_HOME/.complete" ] && ls "$KAFKA_HOME"/libs/kafka_2.13-"$KAFKA_VERSION".jar >/dev/null 2>&1; then
    return 0
  fi
  have mvn || apt_install maven
  mkdir -p "$CACHE_DIR"
  exec 7>"$CACHE_DIR/.kafka.lock"
  flock 7
  if [ ! -f "$KAFKA_HOME/.complete" ]; then
    local t0
    t0="$(now)"
    log "kafka: resolving org.apache.kafka:kafka_2.13:$KAFKA_VERSION and dependencies from Maven Central ..."
    rm -rf "$KAFKA_HOME/libs"
    mkdir -p "$KAFKA_HOME/libs"
    local buildlog="$CACHE_DIR/build-kafka.log"
    if ! mvn -B -q -f "$REPO_ROOT/tools/kafka/pom.xml" \
      -Dmaven.repo.local="$CACHE_DIR/m2" \
      -Dkafka.version="$KAFKA_VERSION" \
      dependency:copy-dependencies -DoutputDirectory="$KAFKA_HOME/libs" >"$buildlog" 2>&1; then
      tail -n 40 "$buildlog" >&2
      exec 7>&-
      die "kafka: maven dependency resolution failed (full log: $buildlog)"
    fi
    [ -f "$KAFKA_HOME/libs/kafka_2.13-$KAFKA_VERSION.jar" ] || die "kafka: kafka_2.13-$KAFKA_VERSION.jar missing after maven run"
    touch "$KAFKA_HOME/.complete"
    log "kafka: $(find "$KAFKA_HOME/libs" -name '*.jar' | wc -l) jars installed in $(elapsed "$t0")"
  fi
  exec 7>&-
}

install_temporal() { go_install_cached temporal "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION"; }
install_stripe_mock() { go_install_cached stripe-mock "github.com/stripe/stripe-mock@$STRIPE_MOCK_VERSION"; }

# ---------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------
PG_BASE="" # directory owned by the server user: data/, sock/, postgres.log

# pg_base_dir [create]: sets PG_BASE. Only start passes "create"; status/stop create nothing.
pg_base_dir() {
  if [ -n "$PG_BASE" ] && [ "${1:-}" != create ]; then return 0; fi
  if [ -s "$STACK_DIR/postgres/base-dir" ]; then
    PG_BASE="$(cat "$STACK_DIR/postgres/base-dir")"
    return 0
  fi
  PG_BASE="$STACK_DIR/postgres"
  if is_root && [ "${1:-}" = create ]; then
    # The server runs as the 'postgres' OS user, which must be able to reach the stack dir.
    mkdir -p "$PG_BASE"
    if ! runuser -u postgres -- test -x "$PG_BASE" 2>/dev/null; then
      PG_BASE="/var/lib/postgresql/flexsync-stack-$(printf '%s' "$STACK_DIR" | cksum | awk '{print $1}')"
      log "postgres: user 'postgres' cannot access $STACK_DIR; using $PG_BASE"
      echo "$PG_BASE" >"$STACK_DIR/postgres/base-dir"
    fi
  fi
  return 0
}

pg_sock_dir() {
  local d="$PG_BASE/sock"
  # unix socket paths are limited to ~107 bytes
  if [ "${#d}" -gt 80 ]; then d="/tmp/flexsync-pg-$(printf '%s' "$PG_BASE" | cksum | awk '{print $1}')"; fi
  printf '%s' "$d"
}

as_pg_user() {
  if is_root; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_pid() {
  pg_base_dir
  local f="$PG_BASE/data/postmaster.pid"
  read_pid "$f"
}

pg_running() {
  local pid
  pid="$(pg_pid)"
  pid_matches "$pid" "postgres"
}

pg_ready() {
  "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres &&
    psql_q postgres -c 'select 1' >/dev/null
}

psql_q() {
  local db="$1"
  shift
  PGCONNECT_TIMEOUT=5 "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$db" "$@"
}

start_postgres() {
  install_postgres
  pg_base_dir create
  local t0
  t0="$(now)"
  if pg_running; then
    wait_until postgres "$READY_TIMEOUT" pg_ready "$PG_BASE/postgres.log" || die "postgres: not ready"
    log "postgres: already running on 127.0.0.1:$PG_PORT (pid $(pg_pid))"
  else
    if use_external postgres pg_ready "$PG_PORT"; then
      pg_create_db
      return 0
    fi
    ensure_port_free postgres "$PG_PORT"
    local sock
    sock="$(pg_sock_dir)"
    mkdir -p "$PG_BASE" "$sock"
    if is_root; then chown postgres:postgres "$PG_BASE" "$sock"; fi
    if [ ! -f "$PG_BASE/data/PG_VERSION" ]; then
      log "postgres: initdb $PG_BASE/data"
      rm -rf "$PG_BASE/data"
      as_pg_user "$PG_BIN/initdb" -D "$PG_BASE/data" -U postgres --auth=trust \
        --encoding=UTF8 --locale=C >"$PG_BASE/initdb.log" 2>&1 ||
        {
          tail_log "$PG_BASE/initdb.log"
          die "postgres: initdb failed"
        }
    fi
    # stale pid file from a crash (kill -9, machine reboot)
    local stale
    stale="$(pg_pid)"
    if [ -n "$stale" ] && ! pid_alive "$stale"; then rm -f "$PG_BASE/data/postmaster.pid"; fi
    if ! as_pg_user "$PG_BIN/pg_ctl" -D "$PG_BASE/data" -l "$PG_BASE/postgres.log" -w -t "$READY_TIMEOUT" \
      -o "-p $PG_PORT -k $sock -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >/dev/null 2>&1 </dev/null 7>&- 8>&- 9>&-; then
      tail_log "$PG_BASE/postgres.log"
      die "postgres: pg_ctl start failed"
    fi
    wait_until postgres "$READY_TIMEOUT" pg_ready "$PG_BASE/postgres.log" || die "postgres: not ready"
    log "postgres: started on 127.0.0.1:$PG_PORT (pid $(pg_pid)) in $(elapsed "$t0")"
  fi
  pg_create_db
}

pg_create_db() {
  if [ "$(psql_q postgres -tAc "select 1 from pg_database where datname = '$PG_DB'")" != "1" ]; then
    psql_q postgres -c "create database $PG_DB" >/dev/null
    log "postgres: created database $PG_DB"
  fi
}

stop_postgres() {
  [ -x "$PG_BIN/pg_ctl" ] || {
    log "postgres: not installed"
    return 0
  }
  pg_base_dir
  local pid t0
  pid="$(pg_pid)"
  if ! pid_matches "$pid" postgres; then
    not_running_msg postgres "$PG_PORT"
    return 0
  fi
  t0="$(now)"
  if ! as_pg_user "$PG_BIN/pg_ctl" -D "$PG_BASE/data" -m fast -w -t 30 stop >/dev/null 2>&1; then
    log "postgres: pg_ctl stop failed, killing pid $pid"
    kill -KILL "$pid" 2>/dev/null || true
    while pid_alive "$pid"; do sleep 0.1; done
  fi
  log "postgres: stopped (pid $pid) in $(elapsed "$t0")"
}

status_postgres() {
  pg_base_dir
  if [ -x "$PG_BIN/pg_ctl" ] && pg_running; then
    status_running postgres "$PG_PORT" "$(pg_pid)"
  else
    status_not_ours postgres "$PG_PORT"
  fi
}

# ---------------------------------------------------------------------------
# ClickHouse (18.16 from Debian; config generated into the stack dir)
# ---------------------------------------------------------------------------
CH_DIR="$STACK_DIR/clickhouse"
CH_PIDFILE="$CH_DIR/clickhouse.pid"

ch_pid() { read_pid "$CH_PIDFILE"; }
ch_running() { pid_matches "$(ch_pid)" clickhouse; }

ch_query() {
  curl -fsS --max-time 10 "http://127.0.0.1:$CH_HTTP_PORT/" --data-binary "$1"
}

ch_ready() {
  [ "$(curl -fsS --max-time 3 "http://127.0.0.1:$CH_HTTP_PORT/ping")" = "Ok." ] &&
    [ "$(ch_query 'SELECT 1')" = "1" ]
}

# The sync worker's SELECT-only ClickHouse user: password generated once into $CH_DIR/reader.env (mode 600).
ch_reader_credentials() {
  [ -f "$CH_DIR/reader.env" ] && return 0
  (
    umask 077
    printf 'CLICKHOUSE_READER_USERNAME=sync_reader\nCLICKHOUSE_READER_PASSWORD=%s\n' "$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
  ) >"$CH_DIR/reader.env"
}
ch_reader_password() { grep '^CLICKHOUSE_READER_PASSWORD=' "$CH_DIR/reader.env" | cut -d= -f2-; }

write_clickhouse_config() {
  mkdir -p "$CH_DIR/data" "$CH_DIR/tmp" "$CH_DIR/user_files" "$CH_DIR/format_schemas" "$CH_DIR/log"
  cat >"$CH_DIR/config.xml" <<EOF
<?xml version="1.0"?>
<!-- generated by tools/stack/stack.sh; edits are overwritten -->
<yandex>
    <logger>
        <level>warning</level>
        <log>$CH_DIR/log/clickhouse-server.log</log>
        <errorlog>$CH_DIR/log/clickhouse-server.err.log</errorlog>
        <size>100M</size>
        <count>2</count>
    </logger>
    <http_port>$CH_HTTP_PORT</http_port>
    <tcp_port>$CH_TCP_PORT</tcp_port>
    <interserver_http_port>$CH_INTERSERVER_PORT</interserver_http_port>
    <interserver_http_host>127.0.0.1</interserver_http_host>
    <listen_host>127.0.0.1</listen_host>
    <max_connections>1024</max_connections>
    <keep_alive_timeout>3</keep_alive_timeout>
    <max_concurrent_queries>100</max_concurrent_queries>
    <uncompressed_cache_size>268435456</uncompressed_cache_size>
    <mark_cache_size>268435456</mark_cache_size>
    <path>$CH_DIR/data/</path>
    <tmp_path>$CH_DIR/tmp/</tmp_path>
    <user_files_path>$CH_DIR/user_files/</user_files_path>
    <format_schema_path>$CH_DIR/format_schemas/</format_schema_path>
    <users_config>$CH_DIR/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mlock_executable>false</mlock_executable>
    <include_from>$CH_DIR/metrika.xml</include_from>
    <builtin_dictionaries_reload_interval>3600</builtin_dictionaries_reload_interval>
    <max_session_timeout>3600</max_session_timeout>
    <default_session_timeout>60</default_session_timeout>
    <dictionaries_config>*_dictionary.xml</dictionaries_config>
</yandex>
EOF
  cat >"$CH_DIR/metrika.xml" <<'EOF'
<?xml version="1.0"?>
<yandex></yandex>
EOF
  cat >"$CH_DIR/users.xml" <<'EOF'
<?xml version="1.0"?>
<!-- generated by tools/stack/stack.sh -->
<yandex>
    <profiles>
        <default>
            <max_memory_usage>4000000000</max_memory_usage>
            <use_uncompressed_cache>0</use_uncompressed_cache>
            <load_balancing>random</load_balancing>
        </default>
        <readonly>
            <readonly>1</readonly>
        </readonly>
        <sync_reader>
            <readonly>1</readonly>
            <max_memory_usage>4000000000</max_memory_usage>
        </sync_reader>
    </profiles>
    <users>
        <!-- the sync worker's SELECT-only user (readonly=1; 18.16 has no per-table GRANT); password in reader.env -->
        <sync_reader>
            <password_sha256_hex>@READER_SHA256@</password_sha256_hex>
            <networks>
                <ip>::1</ip>
                <ip>127.0.0.1</ip>
            </networks>
            <profile>sync_reader</profile>
            <quota>default</quota>
            <allow_databases>
                <database>flexprice</database>
            </allow_databases>
        </sync_reader>
        <default>
            <password></password>
            <networks>
                <ip>::1</ip>
                <ip>127.0.0.1</ip>
            </networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas>
        <default>
            <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
            </interval>
        </default>
    </quotas>
</yandex>
EOF
  ch_reader_credentials
  sed -i "s/@READER_SHA256@/$(ch_reader_password | tr -d '\n' | sha256sum | cut -d' ' -f1)/" "$CH_DIR/users.xml"
}

start_clickhouse() {
  install_clickhouse
  ensure_curl
  local t0
  t0="$(now)"
  if ch_running; then
    wait_until clickhouse "$READY_TIMEOUT" ch_ready "$CH_DIR/log/clickhouse-server.err.log" || die "clickhouse: not ready"
    log "clickhouse: already running on 127.0.0.1:$CH_HTTP_PORT (pid $(ch_pid))"
  else
    if use_external clickhouse ch_ready "$CH_HTTP_PORT"; then
      ch_query "CREATE DATABASE IF NOT EXISTS $CH_DB" >/dev/null
      return 0
    fi
    ensure_port_free clickhouse "$CH_HTTP_PORT" "$CH_TCP_PORT" "$CH_INTERSERVER_PORT"
    write_clickhouse_config
    rm -f "$CH_PIDFILE"
    # Run in the foreground of its own session (not --daemon) so that the pid we record is the server's.
    (cd "$CH_DIR" && spawn "$CH_PIDFILE" "$CH_DIR/log/stdout.log" \
      "$(ch_server_bin)" --config-file="$CH_DIR/config.xml")
    wait_until clickhouse "$READY_TIMEOUT" ch_ready_or_dead "$CH_DIR/log/stdout.log" "$CH_DIR/log/clickhouse-server.err.log" ||
      die "clickhouse: not ready"
    pid_alive "$(ch_pid)" || {
      tail_log "$CH_DIR/log/stdout.log" "$CH_DIR/log/clickhouse-server.err.log"
      die "clickhouse: server exited during startup"
    }
    log "clickhouse: started on 127.0.0.1:$CH_HTTP_PORT (tcp $CH_TCP_PORT, pid $(ch_pid)) in $(elapsed "$t0")"
  fi
  ch_query "CREATE DATABASE IF NOT EXISTS $CH_DB" >/dev/null
}

# stop polling early when the process died
ch_ready_or_dead() { ch_ready || ! pid_alive "$(ch_pid)"; }

stop_clickhouse() { stop_pid clickhouse "$CH_PIDFILE" clickhouse "$CH_HTTP_PORT" 30; }

status_clickhouse() {
  if ch_running; then
    status_running clickhouse "$CH_HTTP_PORT" "$(ch_pid)" "tcp=$CH_TCP_PORT"
  else
    status_not_ours clickhouse "$CH_HTTP_PORT"
  fi
}

# ---------------------------------------------------------------------------
# Kafka (single-node KRaft, combined broker + controller)
# ---------------------------------------------------------------------------
KAFKA_DIR="$STACK_DIR/kafka"
KAFKA_PIDFILE="$KAFKA_DIR/kafka.pid"

kafka_pid() { read_pid "$KAFKA_PIDFILE"; }
kafka_running() { pid_matches "$(kafka_pid)" kafka.Kafka; }

kafka_java() {
  java -Xms64m -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
    -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2-tools.properties" \
    -cp "$KAFKA_HOME/libs/*" "$@"
}

kafka_ready() {
  port_open "$KAFKA_PORT" &&
    timeout 30 java -Xms64m -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
      -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2-tools.properties" \
      -cp "$KAFKA_HOME/libs/*" org.apache.kafka.tools.TopicCommand \
      --bootstrap-server "127.0.0.1:$KAFKA_PORT" --list >/dev/null
}

KAFKA_LOG_OFFSET=0 # size of kafka.log when the broker was spawned

# kafka_started_logged: the broker logged "Kafka Server started" since it was spawned.
# Cheap, so polling it does not steal CPU from the booting broker like a JVM probe would.
kafka_started_logged() {
  local f="$KAFKA_DIR/kafka.log" size
  [ -f "$f" ] || return 1
  size="$(stat -c %s "$f")"
  if [ "$size" -lt "$KAFKA_LOG_OFFSET" ]; then KAFKA_LOG_OFFSET=0; fi # rotated
  tail -c +"$((KAFKA_LOG_OFFSET + 1))" "$f" | grep -q 'Kafka Server started'
}

kafka_ready_or_dead() {
  if ! pid_alive "$(kafka_pid)"; then return 0; fi
  kafka_started_logged && port_open "$KAFKA_PORT" && kafka_ready
}

write_kafka_config() {
  mkdir -p "$KAFKA_DIR/data"
  cat >"$KAFKA_DIR/server.properties" <<EOF
# generated by tools/stack/stack.sh; edits are overwritten
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_DIR/data
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=3
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
# a broker killed with -9 re-registers after the session timeout (default 9s): keep it short
broker.heartbeat.interval.ms=500
broker.session.timeout.ms=2000
num.network.threads=2
num.io.threads=4
log.retention.hours=24
log.segment.bytes=67108864
delete.topic.enable=true
EOF
  cat >"$KAFKA_DIR/log4j2.properties" <<EOF
# generated by tools/stack/stack.sh
status = error
name = flexsync-kafka
appender.file.type = RollingFile
appender.file.name = FILE
appender.file.fileName = $KAFKA_DIR/kafka.log
appender.file.filePattern = $KAFKA_DIR/kafka.log.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 50MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 2
rootLogger.level = WARN
rootLogger.appenderRef.file.ref = FILE
logger.server.name = kafka.server
logger.server.level = INFO
logger.raft.name = kafka.server.KafkaRaftServer
logger.raft.level = INFO
EOF
  cat >"$KAFKA_DIR/log4j2-tools.properties" <<'EOF'
status = error
appender.console.type = Console
appender.console.name = STDERR
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %p %m (%c)%n
rootLogger.level = ERROR
rootLogger.appenderRef.console.ref = STDERR
EOF
}

# kafka_cluster_id: what `kafka-storage random-uuid` prints (base64url of 16 random bytes, no
# padding, not starting with '-'), without paying for a JVM start.
kafka_cluster_id() {
  local id
  while :; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    case "$id" in -*) ;; *) break ;; esac
  done
  printf '%s' "$id"
}

KAFKA_PENDING=0 # 1 after launch_kafka spawned the broker and nobody waited for it yet
KAFKA_T0=""

# launch_kafka: spawn the broker if needed, without waiting (the slowest service starts first)
launch_kafka() {
  install_kafka
  KAFKA_T0="$(now)"
  write_kafka_config
  if kafka_running || use_external kafka kafka_ready "$KAFKA_PORT"; then return 0; fi
  ensure_port_free kafka "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"
  if [ ! -f "$KAFKA_DIR/data/meta.properties" ]; then
    log "kafka: formatting KRaft storage in $KAFKA_DIR/data"
    if ! kafka_java kafka.tools.StorageTool format --ignore-formatted -t "$(kafka_cluster_id)" \
      -c "$KAFKA_DIR/server.properties" >"$KAFKA_DIR/format.log" 2>&1; then
      tail_log "$KAFKA_DIR/format.log"
      die "kafka: storage format failed"
    fi
  fi
  rm -f "$KAFKA_PIDFILE"
  : >"$KAFKA_DIR/stdout.log"
  KAFKA_LOG_OFFSET="$(stat -c %s "$KAFKA_DIR/kafka.log" 2>/dev/null || echo 0)"
  # shellcheck disable=SC2086 # KAFKA_HEAP_OPTS is a list of JVM flags
  spawn "$KAFKA_PIDFILE" "$KAFKA_DIR/stdout.log" \
    java $KAFKA_HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2.properties" \
    -Dkafka.logs.dir="$KAFKA_DIR" \
    -cp "$KAFKA_HOME/libs/*" kafka.Kafka "$KAFKA_DIR/server.properties"
  KAFKA_PENDING=1
}

start_kafka() {
  [ -n "$KAFKA_T0" ] || launch_kafka
  if [ "$KAFKA_PENDING" -eq 0 ]; then
    if kafka_running; then
      wait_until kafka "$READY_TIMEOUT" kafka_ready "$KAFKA_DIR/kafka.log" || die "kafka: not ready"
      log "kafka: already running on 127.0.0.1:$KAFKA_PORT (pid $(kafka_pid))"
    fi
    return 0 # otherwise: external, already reported
  fi
  KAFKA_PENDING=0
  wait_until kafka "$READY_TIMEOUT" kafka_ready_or_dead "$KAFKA_DIR/stdout.log" "$KAFKA_DIR/kafka.log" || die "kafka: not ready"
  pid_alive "$(kafka_pid)" || {
    tail_log "$KAFKA_DIR/stdout.log" "$KAFKA_DIR/kafka.log"
    die "kafka: broker exited during startup"
  }
  log "kafka: $KAFKA_VERSION started on 127.0.0.1:$KAFKA_PORT (controller $KAFKA_CONTROLLER_PORT, pid $(kafka_pid)) in $(elapsed "$KAFKA_T0")"
}

stop_kafka() { stop_pid kafka "$KAFKA_PIDFILE" kafka.Kafka "$KAFKA_PORT" 40; }

status_kafka() {
  if kafka_running; then
    status_running kafka "$KAFKA_PORT" "$(kafka_pid)" "controller=$KAFKA_CONTROLLER_PORT"
  else
    status_not_ours kafka "$KAFKA_PORT"
  fi
}

# ---------------------------------------------------------------------------
# kafka-secure: an optional second broker with SASL/SCRAM-SHA-512 and ACLs (StandardAuthorizer), for the tests
# that show which principal may write or read which topic. Not part of `up`; `stack.sh kafka-secure up|down|status|env`.
# Principals: admin (super user), webhook-ingest, mapping-service; their passwords are generated at the first
# format and kept in $KSEC_DIR/credentials.env (mode 600). No ACLs are created here: the tests apply them.
# ---------------------------------------------------------------------------
KSEC_PORT="${FLEXSYNC_KAFKA_SECURE_PORT:-19096}"
KSEC_CONTROLLER_PORT="${FLEXSYNC_KAFKA_SECURE_CONTROLLER_PORT:-19097}"
KSEC_DIR="$STACK_DIR/kafka-secure"
KSEC_PIDFILE="$KSEC_DIR/kafka.pid"
KSEC_USERS=(admin webhook-ingest mapping-service)

ksec_pid() { read_pid "$KSEC_PIDFILE"; }
ksec_running() { pid_matches "$(ksec_pid)" kafka.Kafka; }
ksec_ready() { port_open "$KSEC_PORT" && grep -q 'Kafka Server started' "$KSEC_DIR/kafka.log" 2>/dev/null; }
ksec_ready_or_dead() { ksec_ready || ! pid_alive "$(ksec_pid)"; }

ksec_credentials() {
  local f="$KSEC_DIR/credentials.env" u
  [ -f "$f" ] && return 0
  (
    umask 077
    for u in "${KSEC_USERS[@]}"; do
      printf 'KAFKA_SECURE_PASSWORD_%s=%s\n' "$(printf '%s' "$u" | tr 'a-z-' 'A-Z_')" "$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
    done
  ) >"$f"
}

ksec_password() { grep "^KAFKA_SECURE_PASSWORD_$(printf '%s' "$1" | tr 'a-z-' 'A-Z_')=" "$KSEC_DIR/credentials.env" | cut -d= -f2-; }

write_ksec_config() {
  mkdir -p "$KSEC_DIR/data"
  chmod 700 "$KSEC_DIR"
  ksec_credentials
  (
    umask 077
    cat >"$KSEC_DIR/server.properties" <<EOF
# generated by tools/stack/stack.sh; edits are overwritten
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KSEC_CONTROLLER_PORT
listeners=SASL_PLAINTEXT://127.0.0.1:$KSEC_PORT,CONTROLLER://127.0.0.1:$KSEC_CONTROLLER_PORT
advertised.listeners=SASL_PLAINTEXT://127.0.0.1:$KSEC_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=SASL_PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$(ksec_password admin)";
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
# the controller listener is loopback plaintext (its principal is ANONYMOUS); clients reach only the SASL listener
super.users=User:admin;User:ANONYMOUS
allow.everyone.if.no.acl.found=false
log.dirs=$KSEC_DIR/data
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=1
num.io.threads=2
log.retention.hours=1
log.segment.bytes=16777216
EOF
  )
  sed "s#$KAFKA_DIR#$KSEC_DIR#g" "$KAFKA_DIR/log4j2.properties" >"$KSEC_DIR/log4j2.properties"
}

start_kafka_secure() {
  install_kafka
  [ -f "$KAFKA_DIR/log4j2.properties" ] || write_kafka_config
  write_ksec_config
  if ksec_running; then
    log "kafka-secure: already running on 127.0.0.1:$KSEC_PORT (pid $(ksec_pid))"
    return 0
  fi
  ensure_port_free kafka-secure "$KSEC_PORT" "$KSEC_CONTROLLER_PORT"
  local t0 u scram=()
  t0="$(now)"
  if [ ! -f "$KSEC_DIR/data/meta.properties" ]; then
    for u in "${KSEC_USERS[@]}"; do scram+=(--add-scram "SCRAM-SHA-512=[name=$u,password=$(ksec_password "$u")]"); done
    log "kafka-secure: formatting KRaft storage with SCRAM credentials for ${KSEC_USERS[*]}"
    if ! kafka_java kafka.tools.StorageTool format --ignore-formatted -t "$(kafka_cluster_id)" \
      -c "$KSEC_DIR/server.properties" "${scram[@]}" >"$KSEC_DIR/format.log" 2>&1; then
      tail_log "$KSEC_DIR/format.log"
      die "kafka-secure: storage format failed"
    fi
  fi
  rm -f "$KSEC_PIDFILE"
  : >"$KSEC_DIR/stdout.log"
  : >"$KSEC_DIR/kafka.log"
  spawn "$KSEC_PIDFILE" "$KSEC_DIR/stdout.log" \
    java -Xms128m -Xmx384m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$KSEC_DIR/log4j2.properties" -Dkafka.logs.dir="$KSEC_DIR" \
    -cp "$KAFKA_HOME/libs/*" kafka.Kafka "$KSEC_DIR/server.properties"
  wait_until kafka-secure "$READY_TIMEOUT" ksec_ready_or_dead "$KSEC_DIR/stdout.log" "$KSEC_DIR/kafka.log" || die "kafka-secure: not ready"
  pid_alive "$(ksec_pid)" || {
    tail_log "$KSEC_DIR/stdout.log" "$KSEC_DIR/kafka.log"
    die "kafka-secure: broker exited during startup"
  }
  log "kafka-secure: started on 127.0.0.1:$KSEC_PORT (SASL_PLAINTEXT, SCRAM-SHA-512, pid $(ksec_pid)) in $(elapsed "$t0")"
}

stop_kafka_secure() { stop_pid kafka-secure "$KSEC_PIDFILE" kafka.Kafka "$KSEC_PORT" 40; }

cmd_kafka_secure() {
  case "${1:-}" in
  up)
    with_lock
    mkdir -p "$CACHE_DIR"
    start_kafka_secure
    ;;
  down)
    with_lock
    stop_kafka_secure
    ;;
  status)
    if ksec_running; then status_running kafka-secure "$KSEC_PORT" "$(ksec_pid)" "sasl=SCRAM-SHA-512"; else status_not_ours kafka-secure "$KSEC_PORT"; fi
    ;;
  env)
    printf 'KAFKA_SECURE_BROKERS=127.0.0.1:%s\n' "$KSEC_PORT"
    cat "$KSEC_DIR/credentials.env"
    ;;
  *) die "usage: stack.sh kafka-secure up|down|status|env" ;;
  esac
}

# ---------------------------------------------------------------------------
# Temporal dev server (Temporal CLI built from the Go module proxy)
# ---------------------------------------------------------------------------
TEMPORAL_DIR="$STACK_DIR/temporal"
TEMPORAL_PIDFILE="$TEMPORAL_DIR/temporal.pid"

temporal_pid() { read_pid "$TEMPORAL_PIDFILE"; }
temporal_running() { pid_matches "$(temporal_pid)" start-dev; }

temporal_ready() {
  port_open "$TEMPORAL_PORT" &&
    "$BIN_DIR/temporal" operator namespace describe --namespace "$TEMPORAL_NAMESPACE" \
      --address "127.0.0.1:$TEMPORAL_PORT" --command-timeout 5s \
      --disable-config-file --disable-config-env >/dev/null 2>&1
}
temporal_ready_or_dead() { ! pid_alive "$(temporal_pid)" || temporal_ready; }

start_temporal() {
  install_temporal
  local t0
  t0="$(now)"
  if temporal_running; then
    wait_until temporal "$READY_TIMEOUT" temporal_ready "$TEMPORAL_DIR/temporal.log" || die "temporal: not ready"
    log "temporal: already running on 127.0.0.1:$TEMPORAL_PORT (pid $(temporal_pid))"
    return 0
  fi
  if use_external temporal temporal_ready "$TEMPORAL_PORT"; then return 0; fi
  ensure_port_free temporal "$TEMPORAL_PORT" "$TEMPORAL_HTTP_PORT" "$TEMPORAL_METRICS_PORT"
  mkdir -p "$TEMPORAL_DIR"
  rm -f "$TEMPORAL_PIDFILE"
  : >"$TEMPORAL_DIR/temporal.log"
  spawn "$TEMPORAL_PIDFILE" "$TEMPORAL_DIR/temporal.log" \
    "$BIN_DIR/temporal" server start-dev --headless \
    --ip 127.0.0.1 --port "$TEMPORAL_PORT" --http-port "$TEMPORAL_HTTP_PORT" \
    --metrics-port "$TEMPORAL_METRICS_PORT" \
    --db-filename "$TEMPORAL_DIR/temporal.db" \
    --log-level warn --log-format text \
    --disable-config-file --disable-config-env
  wait_until temporal "$READY_TIMEOUT" temporal_ready_or_dead "$TEMPORAL_DIR/temporal.log" || die "temporal: not ready"
  pid_alive "$(temporal_pid)" || {
    tail_log "$TEMPORAL_DIR/temporal.log"
    die "temporal: server exited during startup"
  }
  log "temporal: started on 127.0.0.1:$TEMPORAL_PORT (http $TEMPORAL_HTTP_PORT, pid $(temporal_pid)) in $(elapsed "$t0")"
}

stop_temporal() { stop_pid temporal "$TEMPORAL_PIDFILE" start-dev "$TEMPORAL_PORT" 30; }

status_temporal() {
  if temporal_running; then
    status_running temporal "$TEMPORAL_PORT" "$(temporal_pid)" "http=$TEMPORAL_HTTP_PORT"
  else
    status_not_ours temporal "$TEMPORAL_PORT"
  fi
}

# ---------------------------------------------------------------------------
# stripe-mock
# ---------------------------------------------------------------------------
STRIPE_MOCK_DIR="$STACK_DIR/stripe-mock"
STRIPE_MOCK_PIDFILE="$STRIPE_MOCK_DIR/stripe-mock.pid"

stripe_mock_pid() { read_pid "$STRIPE_MOCK_PIDFILE"; }
stripe_mock_running() { pid_matches "$(stripe_mock_pid)" stripe-mock; }
stripe_mock_ready() {
  curl -fsS --max-time 3 -H 'Authorization: Bearer sk_test_123' \
    "http://127.0.0.1:$STRIPE_MOCK_PORT/v1/balance" >/dev/null
}
stripe_mock_ready_or_dead() { ! pid_alive "$(stripe_mock_pid)" || stripe_mock_ready; }

start_stripe_mock() {
  install_stripe_mock
  ensure_curl
  local t0
  t0="$(now)"
  if stripe_mock_running; then
    wait_until stripe-mock "$READY_TIMEOUT" stripe_mock_ready "$STRIPE_MOCK_DIR/stripe-mock.log" || die "stripe-mock: not ready"
    log "stripe-mock: already running on 127.0.0.1:$STRIPE_MOCK_PORT (pid $(stripe_mock_pid))"
    return 0
  fi
  if use_external stripe-mock stripe_mock_ready "$STRIPE_MOCK_PORT"; then return 0; fi
  ensure_port_free stripe-mock "$STRIPE_MOCK_PORT" "$STRIPE_MOCK_HTTPS_PORT"
  mkdir -p "$STRIPE_MOCK_DIR"
  rm -f "$STRIPE_MOCK_PIDFILE"
  : >"$STRIPE_MOCK_DIR/stripe-mock.log"
  spawn "$STRIPE_MOCK_PIDFILE" "$STRIPE_MOCK_DIR/stripe-mock.log" \
    "$BIN_DIR/stripe-mock" -http-addr "127.0.0.1:$STRIPE_MOCK_PORT" -https-addr "127.0.0.1:$STRIPE_MOCK_HTTPS_PORT"
  wait_until stripe-mock "$READY_TIMEOUT" stripe_mock_ready_or_dead "$STRIPE_MOCK_DIR/stripe-mock.log" || die "stripe-mock: not ready"
  pid_alive "$(stripe_mock_pid)" || {
    tail_log "$STRIPE_MOCK_DIR/stripe-mock.log"
    die "stripe-mock: exited during startup"
  }
  log "stripe-mock: started on 127.0.0.1:$STRIPE_MOCK_PORT (https $STRIPE_MOCK_HTTPS_PORT, pid $(stripe_mock_pid)) in $(elapsed "$t0")"
}

stop_stripe_mock() { stop_pid stripe-mock "$STRIPE_MOCK_PIDFILE" stripe-mock "$STRIPE_MOCK_PORT" 10; }

status_stripe_mock() {
  if stripe_mock_running; then
    status_running stripe-mock "$STRIPE_MOCK_PORT" "$(stripe_mock_pid)" "https=$STRIPE_MOCK_HTTPS_PORT"
  else
    status_not_ours stripe-mock "$STRIPE_MOCK_PORT"
  fi
}

# ---------------------------------------------------------------------------
# Stripe emulator (the project's own, tools/stripe-emulator)
# ---------------------------------------------------------------------------
EMU_DIR="$STACK_DIR/stripe-emulator"
EMU_PIDFILE="$EMU_DIR/stripe-emulator.pid"

emulator_available() { [ -f "$STRIPE_EMULATOR_ENTRY" ] && [ -f "$RUN_TS" ]; }
emulator_pid() { read_pid "$EMU_PIDFILE"; }
emulator_running() { pid_matches "$(emulator_pid)" "$STRIPE_EMULATOR_ENTRY"; }
emulator_ready() {
  curl -fsS --max-time 3 -o /dev/null "http://127.0.0.1:$STRIPE_EMULATOR_PORT/__admin/health"
}
emulator_ready_or_dead() { ! pid_alive "$(emulator_pid)" || emulator_ready; }

start_stripe_emulator() {
  if ! emulator_available; then
    log "stripe-emulator: SKIPPED ($([ -f "$STRIPE_EMULATOR_ENTRY" ] || printf '%s ' "${STRIPE_EMULATOR_ENTRY#"$REPO_ROOT"/}")$([ -f "$RUN_TS" ] || printf '%s ' "${RUN_TS#"$REPO_ROOT"/}")missing)"
    return 0
  fi
  have node || die "stripe-emulator: node is not installed"
  ensure_curl
  local t0
  t0="$(now)"
  if emulator_running; then
    wait_until stripe-emulator "$READY_TIMEOUT" emulator_ready "$EMU_DIR/stripe-emulator.log" || die "stripe-emulator: not ready"
    log "stripe-emulator: already running on 127.0.0.1:$STRIPE_EMULATOR_PORT (pid $(emulator_pid))"
    return 0
  fi
  if use_external stripe-emulator emulator_ready "$STRIPE_EMULATOR_PORT"; then return 0; fi
  ensure_port_free stripe-emulator "$STRIPE_EMULATOR_PORT"
  mkdir -p "$EMU_DIR"
  rm -f "$EMU_PIDFILE"
  : >"$EMU_DIR/stripe-emulator.log"
  (cd "$REPO_ROOT" && spawn "$EMU_PIDFILE" "$EMU_DIR/stripe-emulator.log" \
    env STRIPE_EMULATOR_PORT="$STRIPE_EMULATOR_PORT" STRIPE_EMULATOR_HOST=127.0.0.1 \
    node "$RUN_TS" "$STRIPE_EMULATOR_ENTRY")
  wait_until stripe-emulator "$READY_TIMEOUT" emulator_ready_or_dead "$EMU_DIR/stripe-emulator.log" || die "stripe-emulator: not ready"
  pid_alive "$(emulator_pid)" || {
    tail_log "$EMU_DIR/stripe-emulator.log"
    die "stripe-emulator: exited during startup"
  }
  log "stripe-emulator: started on 127.0.0.1:$STRIPE_EMULATOR_PORT (pid $(emulator_pid)) in $(elapsed "$t0")"
}

stop_stripe_emulator() { stop_pid stripe-emulator "$EMU_PIDFILE" "$STRIPE_EMULATOR_ENTRY" "$STRIPE_EMULATOR_PORT" 10; }

status_stripe_emulator() {
  if ! emulator_available; then
    status_line stripe-emulator skipped "$STRIPE_EMULATOR_PORT" "-" "(source or tools/dev/run-ts.js missing)"
    return 0
  fi
  if emulator_running; then
    status_running stripe-emulator "$STRIPE_EMULATOR_PORT" "$(emulator_pid)"
  else
    status_not_ours stripe-emulator "$STRIPE_EMULATOR_PORT"
  fi
}

# ---------------------------------------------------------------------------
# Commands
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

fn_suffix() { printf '%s' "${1//-/_}"; }

check_service() {
  local s
  for s in "${ALL_SERVICES[@]}"; do [ "$s" = "$1" ] && return 0; done
  die "unknown service '$1' (one of: ${ALL_SERVICES[*]})"
}

write_env() {
  local f="$STACK_DIR/stack.env" tmp
  tmp="$(mktemp "$STACK_DIR/.stack.env.XXXXXX")"
  cat >"$tmp" <<EOF
DATABASE_URL=postgres://postgres@127.0.0.1:$PG_PORT/$PG_DB
CLICKHOUSE_URL=http://127.0.0.1:$CH_HTTP_PORT
CLICKHOUSE_DATABASE=$CH_DB
KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT
TEMPORAL_ADDRESS=127.0.0.1:$TEMPORAL_PORT
TEMPORAL_NAMESPACE=$TEMPORAL_NAMESPACE
STRIPE_MOCK_URL=http://127.0.0.1:$STRIPE_MOCK_PORT
STRIPE_EMULATOR_URL=http://127.0.0.1:$STRIPE_EMULATOR_PORT
FLEXSYNC_STACK_DIR=$STACK_DIR
FLEXSYNC_PG_BIN=$PG_BIN
EOF
  chmod 644 "$tmp"
  mv -f "$tmp" "$f"
  log "wrote $f"
}

with_lock() {
  mkdir -p "$STACK_DIR"
  exec 9>"$STACK_DIR/.lock"
  if ! flock -n 9; then
    log "another stack.sh is running in $STACK_DIR, waiting for it ..."
    flock 9
  fi
}

cmd_up() {
  local t0
  t0="$(now)"
  with_lock
  mkdir -p "$CACHE_DIR" "$BIN_DIR"
  log "stack dir: $STACK_DIR   cache: $CACHE_DIR"
  # Slow installs first, so a cold run fails early rather than after starting half the stack.
  install_postgres
  install_clickhouse
  install_kafka
  install_stripe_mock
  install_temporal
  # Kafka boots slowest: launch it first and wait for it after the others are up.
  launch_kafka
  local s
  for s in "${ALL_SERVICES[@]}"; do "start_$(fn_suffix "$s")"; done
  write_env
  log "stack is up in $(elapsed "$t0")"
  cmd_status || true
}

cmd_down() {
  local purge=0
  [ "${1:-}" = "--purge" ] && purge=1
  with_lock
  local t0 s
  t0="$(now)"
  # in parallel: each stop is independent (graceful TERM, then KILL after its grace period)
  local pids=()
  for s in "${ALL_SERVICES[@]}"; do
    "stop_$(fn_suffix "$s")" &
    pids+=($!)
  done
  if [ -f "$KSEC_PIDFILE" ]; then
    stop_kafka_secure &
    pids+=($!)
  fi
  local rc=0 p
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  [ "$rc" -eq 0 ] || die "some services failed to stop"
  log "stack stopped in $(elapsed "$t0")"
  if [ "$purge" -eq 1 ]; then
    case "$STACK_DIR" in
    "" | "/" | "$HOME" | "$REPO_ROOT") die "refusing to purge '$STACK_DIR'" ;;
    esac
    pg_base_dir
    if [ "$PG_BASE" != "$STACK_DIR/postgres" ]; then rm -rf "$PG_BASE"; fi
    rm -rf "/tmp/flexsync-pg-$(printf '%s' "$PG_BASE" | cksum | awk '{print $1}')"
    find "$STACK_DIR" -mindepth 1 -maxdepth 1 ! -name .lock -exec rm -rf {} +
    log "purged $STACK_DIR"
  else
    rm -f "$STACK_DIR/stack.env"
  fi
}

cmd_status() {
  local s rc=0
  for s in "${ALL_SERVICES[@]}"; do "status_$(fn_suffix "$s")" || rc=1; done
  return "$rc"
}

cmd_start_service() {
  [ $# -ge 1 ] || die "usage: stack.sh start-service NAME"
  check_service "$1"
  with_lock
  mkdir -p "$CACHE_DIR" "$BIN_DIR"
  "start_$(fn_suffix "$1")"
  write_env
}

cmd_stop_service() {
  [ $# -ge 1 ] || die "usage: stack.sh stop-service NAME"
  check_service "$1"
  with_lock
  "stop_$(fn_suffix "$1")"
  local port
  port="$(service_port "$1")"
  if port_open "$port"; then
    port_holder "$port" >&2
    die "$1: port $port is still served by a process this stack did not start; cannot stop it"
  fi
}

service_pid() {
  case "$1" in
  postgres) pg_base_dir && pg_pid ;;
  clickhouse) ch_pid ;;
  kafka) kafka_pid ;;
  temporal) temporal_pid ;;
  stripe-mock) stripe_mock_pid ;;
  stripe-emulator) emulator_pid ;;
  esac
}

# kill-service NAME: SIGKILL, to simulate a crash (start-service recovers it)
cmd_kill_service() {
  [ $# -ge 1 ] || die "usage: stack.sh kill-service NAME"
  check_service "$1"
  with_lock
  local pid
  pid="$(service_pid "$1")"
  if ! pid_alive "$pid"; then
    log "$1: not running"
    return 0
  fi
  kill -KILL "$pid"
  while pid_alive "$pid"; do sleep 0.1; done
  log "$1: killed (pid $pid)"
}

service_port() {
  case "$1" in
  postgres) echo "$PG_PORT" ;;
  clickhouse) echo "$CH_HTTP_PORT" ;;
  kafka) echo "$KAFKA_PORT" ;;
  temporal) echo "$TEMPORAL_PORT" ;;
  stripe-mock) echo "$STRIPE_MOCK_PORT" ;;
  stripe-emulator) echo "$STRIPE_EMULATOR_PORT" ;;
  esac
}

cmd_logs() {
  [ $# -ge 1 ] || die "usage: stack.sh logs NAME [LINES]"
  check_service "$1"
  local n="${2:-100}"
  case "$1" in
  postgres) pg_base_dir && tail -n "$n" "$PG_BASE/postgres.log" ;;
  clickhouse) tail -n "$n" "$CH_DIR/log/clickhouse-server.log" "$CH_DIR/log/clickhouse-server.err.log" "$CH_DIR/log/stdout.log" ;;
  kafka) tail -n "$n" "$KAFKA_DIR/kafka.log" "$KAFKA_DIR/stdout.log" ;;
  temporal) tail -n "$n" "$TEMPORAL_DIR/temporal.log" ;;
  stripe-mock) tail -n "$n" "$STRIPE_MOCK_DIR/stripe-mock.log" ;;
  stripe-emulator) tail -n "$n" "$EMU_DIR/stripe-emulator.log" ;;
  esac
}

usage() {
  sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

main() {
  local cmd="${1:-}"
  [ $# -gt 0 ] && shift
  case "$cmd" in
  up) cmd_up "$@" ;;
  down) cmd_down "$@" ;;
  status) cmd_status "$@" ;;
  start-service) cmd_start_service "$@" ;;
  stop-service) cmd_stop_service "$@" ;;
  kill-service) cmd_kill_service "$@" ;;
  restart-service)
    cmd_stop_service "$@"
    exec 9>&-
    cmd_start_service "$@"
    ;;
  env) cat "$STACK_DIR/stack.env" ;;
  write-env)
    mkdir -p "$STACK_DIR"
    write_env
    ;;
  logs) cmd_logs "$@" ;;
  kafka-secure) cmd_kafka_secure "$@" ;;
  -h | --help | help) usage ;;
  *)
    usage >&2
    exit 2
    ;;
  esac
}

main "$@"
