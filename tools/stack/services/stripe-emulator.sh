# shellcheck shell=bash
# Stripe emulator (the project's own, tools/stripe-emulator)
# Sourced by tools/stack/stack.sh (after lib/common.sh); defines start_/stop_/status_ and the
# service_pid_/service_port_/service_logs_ hooks the commands dispatch to by service name.

STRIPE_EMULATOR_PORT="${FLEXSYNC_STRIPE_EMULATOR_PORT:-12180}"
STRIPE_EMULATOR_ENTRY="${FLEXSYNC_STRIPE_EMULATOR_ENTRY:-$REPO_ROOT/tools/stripe-emulator/src/main.ts}"
RUN_TS="$REPO_ROOT/tools/dev/run-ts.js"

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

service_pid_stripe_emulator() { emulator_pid; }
service_port_stripe_emulator() { echo "$STRIPE_EMULATOR_PORT"; }
service_logs_stripe_emulator() { tail -n "$1" "$EMU_DIR/stripe-emulator.log"; }
