# shellcheck shell=bash
# Temporal dev server (Temporal CLI built from the Go module proxy)
# Sourced by tools/stack/stack.sh (after lib/common.sh); defines start_/stop_/status_ and the
# service_pid_/service_port_/service_logs_ hooks the commands dispatch to by service name.

TEMPORAL_CLI_VERSION="v1.5.1"
TEMPORAL_PORT="${FLEXSYNC_TEMPORAL_PORT:-17233}"
TEMPORAL_HTTP_PORT="${FLEXSYNC_TEMPORAL_HTTP_PORT:-17243}"
TEMPORAL_METRICS_PORT="${FLEXSYNC_TEMPORAL_METRICS_PORT:-17244}"
TEMPORAL_NAMESPACE="default"

install_temporal() { go_install_cached temporal "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION"; }

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

service_pid_temporal() { temporal_pid; }
service_port_temporal() { echo "$TEMPORAL_PORT"; }
service_logs_temporal() { tail -n "$1" "$TEMPORAL_DIR/temporal.log"; }
