#!/usr/bin/env bash
# Fuzzes every HTTP endpoint of the services' OpenAPI documents with schemathesis against the local stack.
#
#   bash tools/fuzz/run.sh [--max-examples N]      (default 25 per operation and phase)
#
# Starts config-service, mapping-service, webhook-ingest and sync-orchestrator on free ports
# ($FLEXSYNC_FUZZ_PORT_BASE+1..4, default $WT_FREE_PORT_BASE+100 or 28100) with secrets generated for this run, and
# mints a tenant-admin token for a fresh tenant. Two phases per service:
#   1. negative: only invalid requests. Every answer must be < 500, and a hash of every Postgres table must be
#      the same before and after (a rejected request changes nothing).
#   2. all: valid and invalid requests; every answer must be < 500 (no crash, no stack trace).
# Prints one summary line per service and phase with the request count and the status codes seen; exit 1 on any
# response >= 500, a service that died, or changed data in phase 1. schemathesis is installed once, pinned, into
# $FLEXSYNC_CACHE/schemathesis-<version>.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
ST_VERSION="4.32.5"
CACHE_DIR="$(realpath -m "${FLEXSYNC_CACHE:-$HOME/.cache/flexprice-stripe-sync}")"
VENV="$CACHE_DIR/schemathesis-$ST_VERSION"
STACK_DIR="$(realpath -m "${FLEXSYNC_STACK_DIR:-$ROOT/.stack}")"
FUZZ_DIR="$STACK_DIR/fuzz"
PORT_BASE="${FLEXSYNC_FUZZ_PORT_BASE:-$((${WT_FREE_PORT_BASE:-28000} + 100))}"
PG_BIN="${FLEXSYNC_PG_BIN:-/usr/lib/postgresql/15/bin}"
MAX_EXAMPLES=25
[ "${1:-}" = "--max-examples" ] && MAX_EXAMPLES="$2"
SERVICES=(config-service mapping-service webhook-ingest sync-orchestrator)
declare -A PORTS=([config-service]=$((PORT_BASE + 1)) [mapping-service]=$((PORT_BASE + 2)) [webhook-ingest]=$((PORT_BASE + 3)) [sync-orchestrator]=$((PORT_BASE + 4)))

log() { printf '[fuzz] %s\n' "$*" >&2; }

if ! "$VENV/bin/st" --version 2>/dev/null | grep -q "$ST_VERSION"; then
  log "installing schemathesis $ST_VERSION into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$ST_VERSION"
fi

[ -f "$STACK_DIR/stack.env" ] || bash tools/stack/stack.sh up
mkdir -p "$FUZZ_DIR"
rm -rf "$FUZZ_DIR/reports"
(
  umask 077
  cat >"$FUZZ_DIR/secrets.env" <<SECRETS
FLEXSYNC_ENCRYPTION_KEYS=fuzz1:$(openssl rand -base64 32)
FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID=fuzz1
AUTH_JWT_SECRET=$(openssl rand -hex 32)
AUTH_JWT_ISSUER=flexsync-fuzz
AUTH_JWT_AUDIENCE=flexsync-api
STRIPE_WEBHOOK_SECRET=whsec_$(openssl rand -hex 24)
SECRETS
)
set -a
# shellcheck disable=SC1091
. "$STACK_DIR/stack.env"
# shellcheck disable=SC1091
. "$FUZZ_DIR/secrets.env"
STRIPE_API_BASE_URL="$STRIPE_EMULATOR_URL"
STRIPE_SYNC_SCHEDULE_ENABLED=false
# The negative phase compares table hashes, so only requests may change data: the services' own background work
# (customer-events consumer, outbox relay, payload purge) stays off, or rows an earlier step left queued would move.
CUSTOMER_EVENTS_CONSUMER_ENABLED=false
OUTBOX_RELAY_ENABLED=false
WEBHOOK_PURGE_INTERVAL_MS=86400000
LOG_LEVEL=warn
set +a

node tools/dev/run-ts.js tools/db/migrate.ts up >/dev/null
node tools/dev/run-ts.js tools/db/clickhouse-migrate.ts >/dev/null

PIDS=()
stop_services() { for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap stop_services EXIT
for service in "${SERVICES[@]}"; do
  PORT="${PORTS[$service]}" node tools/dev/run-ts.js "apps/$service/src/main.ts" >"$FUZZ_DIR/$service.log" 2>&1 &
  PIDS+=($!)
done
for service in "${SERVICES[@]}"; do
  deadline=$((SECONDS + 120))
  until curl -fsS "http://127.0.0.1:${PORTS[$service]}/docs-json" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || { tail -n 30 "$FUZZ_DIR/$service.log" >&2; log "$service did not start"; exit 1; }
    sleep 1
  done
done
log "services up on ports ${PORTS[*]}"

TENANT="fuzz_$(openssl rand -hex 4)"
TOKEN="$(node tools/dev/run-ts.js tools/mint-token/mint-token.ts --tenant "$TENANT" --env fuzz_env --ttl 7200)"

# One hash per table over every row, so any insert, update or delete by a rejected request shows.
table_hashes() {
  local tables
  tables="$("$PG_BIN/psql" "$DATABASE_URL" -Atc "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE 'typeorm%' ORDER BY 1")"
  for t in $tables; do
    printf '%s %s\n' "$t" "$("$PG_BIN/psql" "$DATABASE_URL" -Atc "SELECT count(*) || ':' || coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '') FROM \"$t\" x")"
  done
}

failed=0
fuzz() {
  local service="$1" mode="$2" phases="$3" har="$FUZZ_DIR/reports/$1-$2.har" rc=0
  mkdir -p "$FUZZ_DIR/reports"
  # from the fuzz dir, so schemathesis keeps its cache (.schemathesis/) there and not in the repository
  (cd "$FUZZ_DIR" && "$VENV/bin/st" run "http://127.0.0.1:${PORTS[$service]}/docs-json" --mode "$mode" --phases "$phases" --checks not_a_server_error \
    --max-examples "$MAX_EXAMPLES" --workers 1 --seed 13 --request-timeout 10 --no-color --suppress-health-check all --generation-database none \
    --header "Authorization: Bearer $TOKEN" --report har --report-har-path "$har") >"$FUZZ_DIR/reports/$service-$mode.txt" 2>&1 || rc=$?
  python3 - "$service" "$mode" "$har" "$rc" <<'PY' || failed=1
import collections, json, sys
service, mode, har, rc = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
entries = json.load(open(har))["log"]["entries"]
statuses = collections.Counter(e["response"]["status"] for e in entries)
errors = sum(n for s, n in statuses.items() if s >= 500 or s == 0)
accepted = [f"{e['request']['method']} {e['request']['url']}" for e in entries
            if mode == "negative" and 200 <= e["response"]["status"] < 300 and e["request"]["method"] != "GET"]
print(f"[fuzz] {service} {mode}: {len(entries)} requests, statuses {dict(sorted(statuses.items()))}, >=500: {errors}"
      f" (schemathesis exit {rc}; its schema notes in {har[:-4]}.txt)")
for request in accepted:
    print(f"[fuzz]   invalid request accepted: {request}")
sys.exit(1 if errors or accepted else 0)
PY
}

before="$(table_hashes)"
# fuzzing only: the examples and coverage phases also send valid requests, which may change data
for service in "${SERVICES[@]}"; do fuzz "$service" negative fuzzing; done
after="$(table_hashes)"
if [ "$before" != "$after" ]; then
  log "data changed during the negative (rejected-only) phase:"
  diff <(printf '%s\n' "$before") <(printf '%s\n' "$after") >&2 || true
  failed=1
else
  log "negative phase: $(printf '%s\n' "$before" | wc -l) tables unchanged"
fi
for service in "${SERVICES[@]}"; do fuzz "$service" all examples,coverage,fuzzing,stateful; done
for i in "${!SERVICES[@]}"; do
  kill -0 "${PIDS[$i]}" 2>/dev/null || { log "${SERVICES[$i]} died during the run (log: $FUZZ_DIR/${SERVICES[$i]}.log)"; failed=1; }
done
[ "$failed" -eq 0 ] && log "0 responses >= 500, 0 crashes" || log "FAILED (details in $FUZZ_DIR/reports)"
exit "$failed"
