#!/usr/bin/env bash
# `npm run test:e2e`: InitWise in a real VS Code (code-server + headless Chromium driven by
# playwright-core) and in Neovim's LSP client. Installs what it needs (scripts/e2e-setup.sh),
# packages the .vsix, installs it into a fresh profile, works on a temporary copy of
# examples/ (the repository's files are never modified). Prints per-phase times.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
RUN="$ROOT/.e2e-cache/run"
PORT="${INITWISE_E2E_PORT:-18080}"
# shellcheck source=scripts/code-server.sh
source "$ROOT/scripts/code-server.sh"
T0=$(now_ms)

T=$(now_ms); "$ROOT/scripts/e2e-setup.sh"; echo "phase setup: $(( $(now_ms) - T )) ms"
T=$(now_ms); package_vsix; echo "phase package: $(( $(now_ms) - T )) ms ($(stat -c %s "$VSIX") bytes: $(basename "$VSIX"))"
T=$(now_ms); fresh_profile; echo "phase install-vsix: $(( $(now_ms) - T )) ms"

WS="$RUN/ws"
mkdir -p "$WS"; cp -r "$ROOT/examples/." "$WS/"
# A Jupyter notebook for the notebook editor (issue 14): imports, model and instance in separate cells.
cp "$ROOT/test/fixtures/notebooks/critic.ipynb" "$WS/"
# A multi-root workspace: the same file in two folders, IW101 a warning in the first and off
# in the second folder's settings (the server must apply settings per folder).
MULTI="$RUN/multi"
mkdir -p "$MULTI/alpha/.vscode" "$MULTI/beta/.vscode"
cp "$ROOT/examples/keras_glorot_relu_cnn.netdef" "$MULTI/alpha/"
cp "$ROOT/examples/keras_glorot_relu_cnn.netdef" "$MULTI/beta/"
# IW101 raised to a warning in the first folder (a configured severity wins over the impact-based one).
printf '{ "initwise.severity": { "IW101": "warning" } }\n' > "$MULTI/alpha/.vscode/settings.json"
printf '{ "initwise.severity": { "IW101": "off" } }\n' > "$MULTI/beta/.vscode/settings.json"
printf '{ "folders": [ { "path": "alpha" }, { "path": "beta" } ] }\n' > "$MULTI/both.code-workspace"
T=$(now_ms)
trap stop_code_server EXIT
start_code_server "$WS"
echo "phase start-code-server: $(( $(now_ms) - T )) ms"

failed=0
T=$(now_ms)
E2E_RUN="$RUN" E2E_WS="$WS" E2E_MULTI="$MULTI/both.code-workspace" E2E_PORT="$PORT" E2E_TOOLS="$TOOLS" \
  node "$ROOT/test/e2e/vscode/e2e.mjs" || failed=1
echo "phase vscode-e2e: $(( $(now_ms) - T )) ms"
stop_code_server; trap - EXIT

T=$(now_ms)
"$ROOT/test/e2e/nvim/run.sh" || failed=1
echo "phase nvim-e2e: $(( $(now_ms) - T )) ms"

echo "e2e total: $(( $(now_ms) - T0 )) ms"
if [ "$failed" != 0 ]; then echo "e2e: FAILED (screenshots and logs in $RUN)"; exit 1; fi
echo "e2e: all passed"
