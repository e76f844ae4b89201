#!/usr/bin/env bash
# The Neovim client test, on a temporary copy of an example (the repository's file stays as is).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
RUN="$ROOT/.e2e-cache/nvim-run"
rm -rf "$RUN"; mkdir -p "$RUN/ws"
cp "$ROOT/examples/keras_glorot_relu_cnn.netdef" "$RUN/ws/"
[ -s "$ROOT/dist/server.js" ] || ( cd "$ROOT" && node esbuild.mjs )
# Keep nvim's lsp.log and state out of $HOME.
XDG_CONFIG_HOME="$RUN/xdg/config" XDG_DATA_HOME="$RUN/xdg/data" XDG_CACHE_HOME="$RUN/xdg/cache" XDG_STATE_HOME="$RUN/xdg/state" \
SERVER="$ROOT/dist/server.js" FILE="$RUN/ws/keras_glorot_relu_cnn.netdef" \
  timeout 120 nvim --headless -u NONE -i NONE -n -c "luafile $ROOT/test/e2e/nvim/lsp_e2e.lua"
