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
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

# ---------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"

CACHE_DIR="$(realpath -m "${FLEXSYNC_CACHE:-$HOME/.cache/flexprice-stripe-sync}")"
STACK_DIR="$(realpath -m "${FLEXSYNC_STACK_DIR:-$REPO_ROOT/.stack}")"
BIN_DIR="$CACHE_DIR/bin"

READY_TIMEOUT="${FLEXSYNC_READY_TIMEOUT:-120}" # seconds per service
ALL_SERVICES=(postgres clickhouse kafka temporal stripe-mock stripe-emulator)

# One file per service (config, install, start/stop/status); the commands below dispatch by name.
# shellcheck source=lib/common.sh
. "$SCRIPT_DIR/lib/common.sh"
# shellcheck source=services/postgres.sh
. "$SCRIPT_DIR/services/postgres.sh"
# shellcheck source=services/clickhouse.sh
. "$SCRIPT_DIR/services/clickhouse.sh"
# shellcheck source=services/kafka.sh
. "$SCRIPT_DIR/services/kafka.sh"
# shellcheck source=services/kafka-secure.sh
. "$SCRIPT_DIR/services/kafka-secure.sh"
# shellcheck source=services/temporal.sh
. "$SCRIPT_DIR/services/temporal.sh"
# shellcheck source=services/stripe-mock.sh
. "$SCRIPT_DIR/services/stripe-mock.sh"
# shellcheck source=services/stripe-emulator.sh
. "$SCRIPT_DIR/services/stripe-emulator.sh"

# ---------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------
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

service_pid() { "service_pid_$(fn_suffix "$1")"; }

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

service_port() { "service_port_$(fn_suffix "$1")"; }

cmd_logs() {
  [ $# -ge 1 ] || die "usage: stack.sh logs NAME [LINES]"
  check_service "$1"
  "service_logs_$(fn_suffix "$1")" "${2:-100}"
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
