# shellcheck shell=bash
# PostgreSQL 15 (Debian package; cluster in the stack dir)
# Sourced by tools/stack/stack.sh (after lib/common.sh); defines start_/stop_/status_ and the
# service_pid_/service_port_/service_logs_ hooks the commands dispatch to by service name.

PG_PORT="${FLEXSYNC_PG_PORT:-55432}"
PG_DB="flexsync"
PG_BIN="${FLEXSYNC_PG_BIN:-/usr/lib/postgresql/15/bin}"

install_postgres() {
  if [ ! -x "$PG_BIN/initdb" ] || [ ! -x "$PG_BIN/pg_ctl" ]; then
    local t0
    t0="$(now)"
    apt_install postgresql
    [ -x "$PG_BIN/pg_ctl" ] || die "postgres: $PG_BIN/pg_ctl still missing after installing 'postgresql' (expected PostgreSQL 15; set FLEXSYNC_PG_BIN)"
    log "postgres: installed in $(elapsed "$t0")"
  fi
}

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

service_pid_postgres() { pg_base_dir && pg_pid; }
service_port_postgres() { echo "$PG_PORT"; }
service_logs_postgres() { pg_base_dir && tail -n "$1" "$PG_BASE/postgres.log"; }
