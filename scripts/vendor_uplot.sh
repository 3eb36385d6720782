#!/usr/bin/env bash
# Re-fetches the vendored uPlot (the HTML report's plotting library) from the npm registry and checks
# it against the registry's integrity hash: scripts/vendor_uplot.sh [VERSION] (default: the vendored one).
# Writes python/predsense/report_assets/{uPlot.iife.min.js,uPlot.min.css,LICENSE.uPlot}.
set -euo pipefail
version=${1:-1.6.32}
here=$(cd "$(dirname "$0")/.." && pwd)
dest=$here/python/predsense/report_assets
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
want=$(npm view "uplot@$version" dist.integrity)
tgz=$(npm pack --silent "uplot@$version")
got="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
[ "$got" = "$want" ] || { echo "vendor_uplot: integrity mismatch: $got != $want" >&2; exit 1; }
tar xzf "$tgz"
cp package/dist/uPlot.iife.min.js package/dist/uPlot.min.css "$dest/"
cp package/LICENSE "$dest/LICENSE.uPlot"
echo "vendor_uplot: uplot@$version ($want) -> $dest"
