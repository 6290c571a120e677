#!/usr/bin/env bash
# Renders every overlay under k8s/overlays with `kubectl kustomize`, validates the result offline against the
# Kubernetes schemas (kubernetes-validate --strict, which bundles them) and checks every pod spec against the
# restricted Pod Security Standard (check_pod_specs.py). Also proves both checks can fail, on fixtures/.
# Tools are installed once into a venv under ~/.cache/flexprice-stripe-sync (idempotent).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/tools/k8s"
CACHE="${FLEXSYNC_CACHE_DIR:-$HOME/.cache/flexprice-stripe-sync}"
VENV="$CACHE/k8s-tools"
KUBERNETES_VALIDATE_VERSION=1.37.0
# The oldest Kubernetes minor the manifests must work on (preStop `sleep` needs 1.30+).
K8S_VERSION="${K8S_VERSION:-1.32.0}"
started=$SECONDS

log() { printf '[k8s] %s\n' "$*" >&2; }
fail() { log "FAILED: $*"; exit 1; }

command -v kubectl >/dev/null || fail "kubectl not found (Debian package kubectl; it bundles kustomize)"
if [[ "$("$VENV/bin/kubernetes-validate" --version 2>/dev/null || true)" != *"$KUBERNETES_VALIDATE_VERSION"* ]]; then
  log "installing kubernetes-validate $KUBERNETES_VALIDATE_VERSION into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
fi

OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT

for overlay in "$ROOT"/k8s/overlays/*/; do
  name="$(basename "$overlay")"
  kubectl kustomize "$overlay" > "$OUT/$name.yaml" || fail "kustomize could not render overlay $name"
  grep -q '^kind: Namespace' "$OUT/$name.yaml" || fail "overlay $name renders no Namespace"
  "$VENV/bin/kubernetes-validate" --strict --quiet -k "$K8S_VERSION" "$OUT/$name.yaml" \
    || fail "overlay $name does not match the Kubernetes $K8S_VERSION schemas"
  "$VENV/bin/python" "$HERE/check_pod_specs.py" "$OUT/$name.yaml" || fail "overlay $name breaks the restricted profile"
  log "overlay $name: $(grep -c '^kind:' "$OUT/$name.yaml") objects rendered, schema-valid, restricted"
done

# The checks must be able to fail.
if "$VENV/bin/kubernetes-validate" --strict --quiet -k "$K8S_VERSION" "$HERE/fixtures/invalid-schema.yaml" > "$OUT/schema.txt" 2>&1; then
  fail "kubernetes-validate accepted fixtures/invalid-schema.yaml"
fi
if "$VENV/bin/python" "$HERE/check_pod_specs.py" "$HERE/fixtures/not-restricted.yaml" > "$OUT/restricted.txt"; then
  fail "check_pod_specs.py accepted fixtures/not-restricted.yaml"
fi
expected=21
found="$(grep -c '^RESTRICTED ' "$OUT/restricted.txt" || true)"
[[ "$found" == "$expected" ]] || { cat "$OUT/restricted.txt" >&2; fail "fixtures/not-restricted.yaml: $found violations reported, $expected expected"; }
log "the failing fixtures fail ($found restricted-profile violations found); done in $((SECONDS - started)) s"
