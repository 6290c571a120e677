# Sourced by .ci/run and tools/dev/test.sh: puts Node 22 — the major the images run (docker/Dockerfile) — first
# on PATH, installing it once from the npm registry (package node-linux-<arch>, the official binary) into the
# cache. npm and npx then run on it too. Set FLEXSYNC_SYSTEM_NODE=1 to keep the machine's node.
NODE22_VERSION=22.23.5
if [[ -z "${FLEXSYNC_SYSTEM_NODE:-}" ]]; then
  case "$(uname -m)" in
    x86_64) node22_arch=x64 ;;
    aarch64 | arm64) node22_arch=arm64 ;;
    *) echo "[node22] no Node build for $(uname -m); set FLEXSYNC_SYSTEM_NODE=1" >&2; return 1 ;;
  esac
  NODE22_HOME="${FLEXSYNC_CACHE_DIR:-$HOME/.cache/flexprice-stripe-sync}/node-$NODE22_VERSION"
  if [[ "$("$NODE22_HOME/bin/node" --version 2>/dev/null || true)" != "v$NODE22_VERSION" ]]; then
    echo "[node22] installing node-linux-$node22_arch@$NODE22_VERSION into $NODE22_HOME" >&2
    npm install --prefix "$NODE22_HOME/pkg" --no-save --no-audit --no-fund --silent "node-linux-$node22_arch@$NODE22_VERSION"
    mkdir -p "$NODE22_HOME/bin"
    ln -sf "../pkg/node_modules/node-linux-$node22_arch/bin/node" "$NODE22_HOME/bin/node"
  fi
  export PATH="$NODE22_HOME/bin:$PATH"
  echo "[node22] $(command -v node) $(node --version)" >&2
  unset node22_arch
fi
