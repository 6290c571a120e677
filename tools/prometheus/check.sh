#!/usr/bin/env bash
# The alert rules, checked and unit-tested with Prometheus' own promtool (Debian package `prometheus`, installed
# here once if missing), and the PrometheusRule in k8s/components/monitoring kept equal to the plain rules file.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${FLEXSYNC_CACHE_DIR:-$HOME/.cache/flexprice-stripe-sync}/k8s-tools"
RULES="$ROOT/ops/prometheus/rules/flexsync.rules.yaml"
started=$SECONDS
log() { printf '[prometheus] %s\n' "$*" >&2; }

if ! command -v promtool >/dev/null; then
  log "installing Debian's prometheus (promtool)"
  SUDO=""; [[ "$(id -u)" == 0 ]] || SUDO=sudo
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus >/dev/null \
    || { $SUDO apt-get update >/dev/null && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus >/dev/null; }
fi

promtool check rules "$RULES"
(cd "$ROOT/ops/prometheus/tests" && promtool test rules ./*.test.yaml)
[[ -x "$VENV/bin/python" ]] || bash "$ROOT/tools/k8s/validate.sh"
if ! diff -u "$ROOT/k8s/components/monitoring/prometheus-rule.yaml" <("$VENV/bin/python" "$ROOT/tools/prometheus/render_prometheus_rule.py" "$RULES"); then
  log "FAILED: k8s/components/monitoring/prometheus-rule.yaml is stale; regenerate it:"
  log "  $VENV/bin/python tools/prometheus/render_prometheus_rule.py ops/prometheus/rules/flexsync.rules.yaml > k8s/components/monitoring/prometheus-rule.yaml"
  exit 1
fi
log "rules valid, unit tests pass, PrometheusRule current; done in $((SECONDS - started)) s"
