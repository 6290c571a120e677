#!/usr/bin/env bash
# Scans every service and stack log for secrets: Stripe secret/restricted keys, webhook signing secrets, JWTs and
# bearer tokens by shape, plus the exact passwords and keys the local stack generated (Kafka SCRAM, ClickHouse
# reader, development and fuzz-run secrets). Run after the integration tier (tools/dev/test.sh does); exit 1 on any finding.
#
#   bash tools/security/log-scan.sh [EXTRA_FILE...]
#
# Scanned: *.log / *.log.N under $FLEXSYNC_STACK_DIR (default .stack; tools/dev/test.sh tees the integration tier,
# with the logs of the services it runs in process, to reports/integration-output.log there) except broker/database data directories, which
# hold messages and rows rather than logs, and any extra files given. A finding prints the file, line number and a
# masked prefix of the match, never the secret itself.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STACK_DIR="$(realpath -m "${FLEXSYNC_STACK_DIR:-$ROOT/.stack}")"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# Secrets by shape (long enough that test placeholders such as sk_test_123 and masked forms such as sk_test_…wxyz do not match).
SHAPES='(sk|rk)_(test|live)_[A-Za-z0-9]{10,}|whsec_[A-Za-z0-9+/=]{10,}|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}|[Bb]earer [A-Za-z0-9._~+/-]{20,}'

# Exact values the stack generated; only secrets of at least 8 characters (shorter ones would match by chance).
: >"$WORK/values"
for f in "$STACK_DIR/kafka-secure/credentials.env" "$STACK_DIR/clickhouse/reader.env" "$STACK_DIR/dev-secrets.env" "$STACK_DIR/fuzz/secrets.env"; do
  [ -f "$f" ] || continue
  grep -E '^[A-Z0-9_]*(PASSWORD|SECRET|KEYS?|TOKEN)[A-Z0-9_]*=' "$f" | cut -d= -f2- | tr ',' '\n' | sed 's/^[^:]*://' |
    awk 'length($0) >= 8' >>"$WORK/values" || true
done

find "$STACK_DIR" -type f \( -name '*.log' -o -name '*.log.[0-9]*' \) -not -path '*/data/*' -print0 2>/dev/null >"$WORK/files"
for extra in "$@"; do [ -f "$extra" ] && printf '%s\0' "$extra" >>"$WORK/files"; done

files=0 bytes=0 findings=0
while IFS= read -r -d '' file; do
  files=$((files + 1))
  bytes=$((bytes + $(stat -c %s "$file")))
  {
    grep -noE "$SHAPES" "$file" || true
    if [ -s "$WORK/values" ]; then grep -noFf "$WORK/values" "$file" || true; fi
  } >"$WORK/hits"
  while IFS= read -r hit; do
    [ -n "$hit" ] || continue
    findings=$((findings + 1))
    line="${hit%%:*}"
    match="${hit#*:}"
    printf '[log-scan] SECRET in %s:%s (starts %s…)\n' "${file#"$ROOT"/}" "$line" "${match:0:4}" >&2
  done <"$WORK/hits"
done <"$WORK/files"

printf '[log-scan] %d files, %d bytes scanned, %d known secret values checked, %d findings\n' \
  "$files" "$bytes" "$(wc -l <"$WORK/values")" "$findings" >&2
[ "$findings" -eq 0 ]
