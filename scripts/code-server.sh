# Sourced by e2e.sh and editor.sh: a fresh code-server profile with the freshly packaged
# .vsix installed, and start/stop of code-server on loopback. Expects ROOT, RUN, PORT.
# Pitfalls handled (../shared/e2e/RECIPE.md §9): per-run TMPDIR and XDG dirs (sockets and
# files otherwise land in /tmp and $HOME), --config with auth none (otherwise a password
# config is written to ~/.config), setsid + process-group kill (otherwise the file
# watcher and extension host outlive it).
TOOLS="$ROOT/.e2e-cache/tools"
CS="$TOOLS/node_modules/.bin/code-server"
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

package_vsix() {
  local version; version=$(node -p 'require("./package.json").version')
  VSIX="$ROOT/initwise-$version.vsix"
  ( cd "$ROOT" && npm run -s package >/dev/null )
  [ -s "$VSIX" ] || { echo "no $VSIX after npm run package" >&2; return 1; }
}

fresh_profile() {
  rm -rf "$RUN"; mkdir -p "$RUN/ext" "$RUN/user/User" "$RUN/tmp" "$RUN/xdg"
  export XDG_CONFIG_HOME="$RUN/xdg/config" XDG_DATA_HOME="$RUN/xdg/data" XDG_CACHE_HOME="$RUN/xdg/cache" XDG_STATE_HOME="$RUN/xdg/state"
  cp "$ROOT/test/e2e/vscode/settings.json" "$RUN/user/User/settings.json"
  printf 'bind-addr: 127.0.0.1:%s\nauth: none\ncert: false\n' "$PORT" > "$RUN/config.yaml"
  CSARGS=(--config "$RUN/config.yaml" --extensions-dir "$RUN/ext" --user-data-dir "$RUN/user")
  "$CS" "${CSARGS[@]}" --install-extension "$VSIX" >/dev/null
  "$CS" "${CSARGS[@]}" --list-extensions | grep -qx 'initwise.initwise' || { echo "initwise.initwise not installed" >&2; return 1; }
}

start_code_server() { # $1: folder to open
  TMPDIR="$RUN/tmp" setsid "$CS" "${CSARGS[@]}" --bind-addr "127.0.0.1:$PORT" --auth none \
    --disable-telemetry --disable-update-check --disable-workspace-trust \
    --disable-getting-started-override --disable-proxy "$1" > "$RUN/code-server.log" 2>&1 &
  CSPID=$!
  local i
  for i in $(seq 1 120); do
    curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null && return 0
    kill -0 "$CSPID" 2>/dev/null || break
    sleep 0.5
  done
  cat "$RUN/code-server.log" >&2; echo "code-server did not come up on port $PORT" >&2; return 1
}

stop_code_server() {
  [ -n "${CSPID:-}" ] || return 0
  kill -TERM -- "-$CSPID" 2>/dev/null || true
  local i
  for i in $(seq 1 20); do kill -0 -- "-$CSPID" 2>/dev/null || break; sleep 0.25; done
  kill -KILL -- "-$CSPID" 2>/dev/null || true
  CSPID=
}
