# shellcheck shell=bash
# stripe-mock (built from the Go module proxy)
# Sourced by tools/stack/stack.sh (after lib/common.sh); defines start_/stop_/status_ and the
# service_pid_/service_port_/service_logs_ hooks the commands dispatch to by service name.

STRIPE_MOCK_VERSION="v0.197.0"
STRIPE_MOCK_PORT="${FLEXSYNC_STRIPE_MOCK_PORT:-12111}"
STRIPE_MOCK_HTTPS_PORT="${FLEXSYNC_STRIPE_MOCK_HTTPS_PORT:-12112}"

install_stripe_mock() { go_install_cached stripe-mock "github.com/stripe/stripe-mock@$STRIPE_MOCK_VERSION"; }

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

service_pid_stripe_mock() { stripe_mock_pid; }
service_port_stripe_mock() { echo "$STRIPE_MOCK_PORT"; }
service_logs_stripe_mock() { tail -n "$1" "$STRIPE_MOCK_DIR/stripe-mock.log"; }
