#!/usr/bin/env bash
# Refresh the vendored front-end libraries from the versions pinned in package.json and
# package-lock.json. The built files and every bundled package's licence are committed
# under geo_cm/static/vendor/, so neither running nor testing GeoCM needs npm or a network.
set -euo pipefail
cd "$(dirname "$0")/.."

npm ci --ignore-scripts --no-audit --no-fund

dest=geo_cm/static/vendor/protomaps-leaflet
rm -rf "$dest"
mkdir -p "$dest"
cp node_modules/protomaps-leaflet/dist/protomaps-leaflet.js "$dest/"
# Its last line names the source map: collectstatic (manifest storage) needs it present.
cp node_modules/protomaps-leaflet/dist/protomaps-leaflet.js.map "$dest/"
cp node_modules/protomaps-leaflet/LICENSE "$dest/LICENSE"
# The browser bundle includes its dependencies: their licences travel with it.
{
  echo "Licences of the packages bundled into protomaps-leaflet.js"
  echo "(versions from package-lock.json; protomaps-leaflet's own licence is LICENSE)."
  for pkg in @mapbox/point-geometry @mapbox/vector-tile @protomaps/basemaps color2k fflate \
      pbf pmtiles potpack quickselect rbush; do
    version=$(node -p "require('./node_modules/$pkg/package.json').version")
    licence=$(node -p "require('./node_modules/$pkg/package.json').license")
    echo
    echo "================================================================"
    echo "$pkg $version ($licence)"
    echo "================================================================"
    file=$(ls node_modules/$pkg/ | grep -i -m1 -E '^licen[cs]e' || true)
    if [ -n "$file" ]; then cat "node_modules/$pkg/$file"; else echo "(no licence file shipped; package.json says $licence)"; fi
  done
} >"$dest/THIRD-PARTY-LICENSES.txt"
version=$(node -p "require('./node_modules/protomaps-leaflet/package.json').version")
echo "protomaps-leaflet $version from npm (package-lock.json); see scripts/vendor_js.sh." >"$dest/VERSION"
echo "==> vendored protomaps-leaflet $version into $dest"
