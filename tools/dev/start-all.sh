#!/usr/bin/env bash
# One command for a working system: dependencies, the local stack, schema, all five services, then the
# playbook demo against them. `start-all.sh --no-demo` skips the demo; `start-all.sh stop` stops the services.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
# The services run on the Node major of the images and the tests (Node 22).
source tools/dev/node22.sh
STACK_DIR="${FLEXSYNC_STACK_DIR:-$ROOT/.stack}"
APPS_DIR="$STACK_DIR/apps"
SERVICES=(config-service mapping-service webhook-ingest sync-orchestrator sync-worker)
declare -A PORTS=([config-service]=8081 [mapping-service]=8082 [webhook-ingest]=8083 [sync-orchestrator]=8080 [sync-worker]=8085)
# FLEXSYNC_SERVICE_PORT_BASE moves the services to base+0..4 in the order above, so a second checkout (or `npm test`
# beside a running `npm start`) does not take the default ports; the demo reads the same variable.
if [[ -n "${FLEXSYNC_SERVICE_PORT_BASE:-}" ]]; then
  offset=0
  for service in "${SERVICES[@]}"; do PORTS[$service]=$((FLEXSYNC_SERVICE_PORT_BASE + offset)); offset=$((offset + 1)); done
fi

log() { printf '[start] %s\n' "$*" >&2; }

stop_services() {
  local stopping=()
  for service in "${SERVICES[@]}"; do
    local pid_file="$APPS_DIR/$service.pid"
    if [[ -f "$pid_file" ]] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
      kill -TERM "$(cat "$pid_file")" 2>/dev/null || true
      stopping+=("$service:$(cat "$pid_file")")
    fi
    rm -f "$pid_file"
  done
  # Graceful shutdown drains work for a few seconds; wait for it, so the ports are free when this returns.
  for entry in "${stopping[@]}"; do
    local deadline=$((SECONDS + 30))
    while kill -0 "${entry#*:}" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    log "stopped ${entry%%:*}"
  done
}

if [[ "${1:-}" == "stop" ]]; then
  stop_services
  exit 0
fi
RUN_DEMO=1
[[ "${1:-}" == "--no-demo" ]] && RUN_DEMO=0

[[ -d node_modules/.bin ]] || { log "installing npm dependencies (npm ci)"; npm ci --no-audit --no-fund; }
bash tools/stack/stack.sh up

mkdir -p "$APPS_DIR"
# Development secrets are generated once per checkout and never committed; services have no defaults for them.
DEV_SECRETS="$STACK_DIR/dev-secrets.env"
if [[ ! -f "$DEV_SECRETS" ]]; then
  umask 077
  cat > "$DEV_SECRETS" <<SECRETS
FLEXSYNC_ENCRYPTION_KEYS=dev1:$(openssl rand -base64 32)
FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID=dev1
AUTH_JWT_SECRET=$(openssl rand -hex 32)
AUTH_JWT_ISSUER=flexsync-dev
AUTH_JWT_AUDIENCE=flexsync-api
STRIPE_WEBHOOK_SECRET=whsec_$(openssl rand -hex 24)
SECRETS
fi
set -a
# shellcheck disable=SC1091
. "$STACK_DIR/stack.env"
# shellcheck disable=SC1090
. "$DEV_SECRETS"
STRIPE_API_BASE_URL="${STRIPE_API_BASE_URL:-$STRIPE_EMULATOR_URL}"
# The local stack is development: webhook-ingest honours the shared STRIPE_WEBHOOK_SECRET only then.
NODE_ENV="${NODE_ENV:-development}"
set +a

node tools/dev/run-ts.js tools/db/migrate.ts up
node tools/dev/run-ts.js tools/db/clickhouse-migrate.ts

stop_services
for service in "${SERVICES[@]}"; do
  PORT="${PORTS[$service]}" nohup node tools/dev/run-ts.js "apps/$service/src/main.ts" >"$APPS_DIR/$service.log" 2>&1 &
  echo $! >"$APPS_DIR/$service.pid"
  log "started $service on 127.0.0.1:${PORTS[$service]} (log: $APPS_DIR/$service.log)"
done

for service in "${SERVICES[@]}"; do
  deadline=$((SECONDS + 120))
  until curl -fsS "http://127.0.0.1:${PORTS[$service]}/health/ready" >/dev/null 2>&1; do
    if ! kill -0 "$(cat "$APPS_DIR/$service.pid")" 2>/dev/null || ((SECONDS > deadline)); then
      log "$service did not become ready; last log lines:"
      tail -n 30 "$APPS_DIR/$service.log" >&2
      exit 1
    fi
    sleep 1
  done
  log "$service ready: $(curl -fsS "http://127.0.0.1:${PORTS[$service]}/health/ready")"
done

if ((RUN_DEMO)); then
  node tools/dev/run-ts.js tools/demo/playbook-demo.ts
fi
log "all five services are running; stop them with: bash tools/dev/start-all.sh stop"
