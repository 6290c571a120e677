#!/usr/bin/env bash
# The whole check, as CI runs it: lint, type check, unit tests, then integration tests against the real
# local stack (started here if it is not running), the playbook demo against the five services. Ends with one "N passed, N failed" line.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
export NX_NO_CLOUD=true NX_DAEMON=false
# The same Node major as the images (Node 22), from the npm registry, cached.
source tools/dev/node22.sh
REPORTS="${FLEXSYNC_STACK_DIR:-$ROOT/.stack}/reports"

[[ -d node_modules/.bin ]] || npm ci --no-audit --no-fund
bash tools/stack/stack.sh up
mkdir -p "$REPORTS"

step() { printf '\n[test] %s\n' "$*" >&2; }
step "lint";        npm run --silent lint
step "shell scripts (shellcheck: the stack script, its library and one file per service)"
# Installed on demand like the other tools the suite needs (Debian's package), so a fresh machine runs this step too.
if ! command -v shellcheck >/dev/null; then
  SUDO=$([[ $(id -u) -eq 0 ]] || echo sudo)
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends shellcheck >/dev/null \
    || { $SUDO apt-get update >/dev/null && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends shellcheck >/dev/null; }
fi
shellcheck -x tools/stack/stack.sh tools/stack/lib/*.sh tools/stack/services/*.sh
step "kubernetes manifests (kustomize, schemas, restricted profile)"; bash tools/k8s/validate.sh
step "alert rules (promtool check + unit tests)"; bash tools/prometheus/check.sh
step "type check";  npx tsc -p tsconfig.json --noEmit
status=0
step "unit tests";  npx jest --selectProjects unit --json --outputFile="$REPORTS/unit.json" || status=$?
step "production build (specs start services from dist/)"; npm run --silent build
exec > >(tee "$REPORTS/integration-output.log") 2>&1 # the in-process services' logs, for the log scan
step "integration tests (real Postgres, ClickHouse, Kafka, Temporal, stripe-mock, Stripe emulator)"
npx jest --selectProjects integration --runInBand --json --outputFile="$REPORTS/integration.json" || status=$?
step "playbook e2e (the five services from source via start-all.sh, then the demo, playbook §1–§10)"
# Counted as one test. Services on the default ports unless FLEXSYNC_SERVICE_PORT_BASE moves them (start-all.sh).
e2e=0
bash tools/dev/start-all.sh || e2e=$?
bash tools/dev/start-all.sh stop
[[ "$e2e" -eq 0 ]] || status=$e2e
printf '{"numPassedTests":%d,"numFailedTests":%d,"numRuntimeErrorTestSuites":0,"numPendingTests":0,"numTodoTests":0}\n' \
  "$((e2e == 0))" "$((e2e != 0))" >"$REPORTS/playbook-e2e.json"
step "fuzz (schemathesis, every OpenAPI operation)"; bash tools/fuzz/run.sh --max-examples 10 || status=$?
step "log scan (no secret in any service or stack log)"; bash tools/security/log-scan.sh || status=$?

node -e '
  const files = process.argv.slice(1).filter((f) => require("node:fs").existsSync(f));
  let passed = 0, failed = 0, skipped = 0;
  for (const f of files) { const r = require(f); passed += r.numPassedTests; failed += r.numFailedTests + r.numRuntimeErrorTestSuites; skipped += r.numPendingTests + r.numTodoTests; }
  console.log(`\n${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
' "$REPORTS/unit.json" "$REPORTS/integration.json" "$REPORTS/playbook-e2e.json"
exit "$status"
