#!/usr/bin/env bash
# Install Microsoft's SARIF multitool (npm package @microsoft/sarif-multitool, a native .NET binary
# for linux-x64) into the project-local, gitignored .cache/sarif-multitool/, and print its path.
# tests/sarif_multitool.py finds it there; CI (.ci/run) calls this script before pytest.
# Usage: tests/sarif_multitool.sh [VERSION]   (default: the version pinned below)
set -euo pipefail
cd "$(dirname "$0")/.."
version="${1:-5.7.0}"
prefix=".cache/sarif-multitool"
binary="$prefix/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool"
if [ ! -x "$binary" ]; then
  mkdir -p "$prefix"
  npm install --silent --no-audit --no-fund --prefix "$prefix" "@microsoft/sarif-multitool@$version" >&2
  # npm may skip the package's postinstall (which only does this chmod) under an allowScripts policy.
  chmod u+x "$binary"
fi
"$binary" --version >/dev/null 2>&1
echo "$binary"
