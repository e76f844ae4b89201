#!/usr/bin/env bash
# Installs what the end-to-end tests and `npm run editor` need, idempotently and offline
# (npm registry + Debian apt only): Debian chromium/neovim and the build headers of
# code-server's native modules, then code-server + playwright-core pinned by
# test/e2e/pin/ into .e2e-cache/tools (git-ignored). Every pitfall handled here is
# described in ../shared/e2e/RECIPE.md §9.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TOOLS="$ROOT/.e2e-cache/tools"
PIN="$ROOT/test/e2e/pin"

# chromium: the browser; neovim: the second LSP client; libkrb5-dev + pkg-config: VS Code's
# kerberos module compiles from source; ripgrep: stands in for @vscode/ripgrep's GitHub download.
need=()
for p in chromium neovim libkrb5-dev pkg-config ripgrep; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "e2e-setup: missing Debian packages (run as root): ${need[*]}" >&2; exit 1; fi
  echo "e2e-setup: apt-get install ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# Up to date when the installed lockfile equals the pinned one.
if [ -x "$TOOLS/node_modules/.bin/code-server" ] && cmp -s "$PIN/package-lock.json" "$TOOLS/package-lock.json"; then
  exit 0
fi

# @vscode/ripgrep (inside code-server) downloads rg from api.github.com in its postinstall
# unless the asset is already in its cache, which is keyed by os.tmpdir(): seed it.
RG_CACHE="$(node -p 'require("os").tmpdir()')/vscode-ripgrep-cache-1.15.11"
RG_ASSET="$RG_CACHE/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
if [ ! -s "$RG_ASSET" ]; then
  mkdir -p "$RG_CACHE"; tmp=$(mktemp -d); cp "$(command -v rg)" "$tmp/rg"
  tar -czf "$RG_ASSET" -C "$tmp" rg; rm -rf "$tmp"
fi

echo "e2e-setup: installing code-server + playwright-core into $TOOLS (about a minute)"
rm -rf "$TOOLS"; mkdir -p "$TOOLS"
cp "$PIN/package.json" "$PIN/package-lock.json" "$TOOLS/"
# unsafe_perm: code-server's postinstall refuses root without it; yes: node-pty's postinstall
# runs `npx node-gyp`, which the machine's npmrc (yes=false) would cancel.
( cd "$TOOLS" && npm_config_unsafe_perm=true npm_config_yes=true npm ci --no-audit --no-fund --loglevel=error )
"$TOOLS/node_modules/.bin/code-server" --version | head -1
