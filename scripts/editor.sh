#!/usr/bin/env bash
# `npm run editor`: try InitWise in a real VS Code on a machine without one. Builds and
# packages the extension, installs it into a local code-server (fresh profile in
# .e2e-cache/editor) and serves a copy of examples/ on 127.0.0.1 only, without a
# password; Ctrl+C stops it. INITWISE_EDITOR_PORT picks the port (default 8080).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
RUN="$ROOT/.e2e-cache/editor"
PORT="${INITWISE_EDITOR_PORT:-8080}"
# shellcheck source=scripts/code-server.sh
source "$ROOT/scripts/code-server.sh"

"$ROOT/scripts/e2e-setup.sh"
package_vsix
fresh_profile
# A copy, so experiments (quick fixes, saves) never touch the repository's examples.
WS="$RUN/examples"
mkdir -p "$WS"; cp -r "$ROOT/examples/." "$WS/"
trap stop_code_server EXIT INT TERM
start_code_server "$WS"
echo
echo "InitWise $(basename "$VSIX" .vsix | sed 's/^initwise-//') is running in code-server:"
echo "  http://127.0.0.1:$PORT/?folder=$WS"
echo "(examples copied to $WS; log: $RUN/code-server.log; Ctrl+C to stop)"
wait "$CSPID"
