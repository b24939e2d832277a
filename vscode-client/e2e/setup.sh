#!/usr/bin/env bash
# Install what the end-to-end test needs: code-server 4.100.3 (VS Code 1.100.3, the last release that runs
# on Node 20) and playwright-core into vscode-client/e2e/node_modules. Chromium comes from Debian
# (apt-get install chromium libkrb5-dev ripgrep; .ci/run does it).
set -euo pipefail
cd "$(dirname "$0")"
# @vscode/ripgrep's postinstall downloads rg from GitHub, which is unreachable here; it looks in this cache
# first, so seed it with Debian's rg.
rg_cache="${TMPDIR:-/tmp}/vscode-ripgrep-cache-1.15.11"
if [ ! -f "$rg_cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" ]; then
  rg_bin="$(command -v rg)" || { echo "e2e/setup.sh: ripgrep is missing (apt-get install ripgrep)" >&2; exit 1; }
  staging="$(mktemp -d)"
  cp "$rg_bin" "$staging/rg"
  mkdir -p "$rg_cache"
  tar czf "$rg_cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C "$staging" rg
  rm -rf "$staging"
fi
# As root, code-server's postinstall demands --unsafe-perm; node-pty's runs `npx node-gyp` without a TTY.
export npm_config_unsafe_perm=true npm_config_yes=true
# Native modules (argon2's prebuilt binary is on GitHub) are compiled against the machine's Node headers:
# node-gyp would download them otherwise.
node_prefix="$(dirname "$(dirname "$(command -v node)")")"
for prefix in "$node_prefix" /usr /usr/local; do
  if [ -f "$prefix/include/node/common.gypi" ]; then export npm_config_nodedir="$prefix"; break; fi
done
npm ci --no-audit --no-fund --loglevel=error
